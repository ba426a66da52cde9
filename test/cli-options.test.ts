// The CLI's edges that need no lake: options refused before anything runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

describe('the puddle CLI, without a lake', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-cli-options-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('refuses a date that is not on the calendar with exit code 2, naming the option', async () => {
    const cases: [string[], string][] = [
      [['report', 'breaks', '--as-of', '2027-02-30'], '--as-of'],
      [['report', 'payouts', '--from', '2026-11-31'], '--from'],
      [['report', 'payouts', '--to', '2026-04-31'], '--to'],
      [['export', 'recon_journey', '--as-of', '2026-02-30', '--out', join(home, 'x.csv'), '--format', 'csv'], '--as-of'],
      [['replay', '--contract', 'donation', '--from', '2026-02-30'], '--from'],
      [['sync', 'stripe', '--to', '2026-02-30T10:00:00Z'], '--to'],
    ];
    const results = await Promise.all(cases.map(([args]) => puddle(args)));
    results.forEach((r, i) => {
      const [args, option] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(option);
      expect(r.stderr, args.join(' ')).not.toMatch(/Conversion Error|\n\s+at /);
    });
  });
});
