// `puddle start` checks schedules/schedule.ts before it opens anything. The schedule is source, not a setting,
// so this runs bin/puddle.mjs from a copy of the project whose schedule holds the tester's mistakes (the copy
// builds itself on its first command, as a fresh clone does).
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../bin/build.mjs';
import { CONNECTORS } from '../connectors/registry.js';
import { runPuddle } from './support/run-cli.js';

const BAD_ROWS = `export const SCHEDULE: readonly ScheduleEntry[] = [
  { connector: 'Stripe', everySeconds: 60, why: 'a capital S' },
  { connector: 'braintree', everySeconds: 0, why: 'no interval' },
  { connector: 'freshdesk', streams: ['tickts'], everySeconds: 300, why: 'a typo in a stream' },
  { connector: 'salesforce', everySeconds: 300, why: 'right, and not configured: a note, not a mistake' },
];
`;

describe('puddle start with a schedule that has mistakes', () => {
  const copy = mkdtempSync(join(tmpdir(), 'puddle-schedule-copy-'));
  const home = join(copy, 'home');
  beforeAll(() => {
    for (const dir of ['bin', 'core', 'connectors', 'puddles', 'schedules', 'infra']) cpSync(join(ROOT, dir), join(copy, dir), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'));
    // The project's file with its rows swapped for the wrong ones: the entry's type stays as it is.
    const file = join(copy, 'schedules', 'schedule.ts');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.indexOf('export const SCHEDULE')) + BAD_ROWS);
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('refuses to start (puddle start, puddle aws local) with exit code 2, naming each wrong entry and what is wrong with it', async () => {
    const r = await runPuddle(['start'], { PUDDLE_HOME: home, PORT: '0' }, { timeoutMs: 60_000, bin: join(copy, 'bin', 'puddle.mjs') });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('puddle start: '));
    expect(lines).toEqual([
      `puddle start: schedules/schedule.ts entry 1 (connector "Stripe"): there is no such connector; the connectors are ${Object.keys(CONNECTORS).join(', ')}`,
      'puddle start: schedules/schedule.ts entry 2 (connector "braintree"): everySeconds must be a number of seconds, at least 10 (got 0)',
      `puddle start: schedules/schedule.ts entry 3 (connector "freshdesk"): freshdesk has no stream "tickts"; its streams are ${CONNECTORS.freshdesk!.streams.join(', ')}`,
    ]);
    // Refused before anything opened: no home, no sandboxes.
    expect(existsSync(home)).toBe(false);

    // The AWS shape on this machine runs the same schedule: the same lines, before the emulators start.
    const aws = await runPuddle(['aws', 'local'], { PUDDLE_HOME: home, PORT: '0' }, { timeoutMs: 60_000, bin: join(copy, 'bin', 'puddle.mjs') });
    expect(aws.code, aws.stdout + aws.stderr).toBe(2);
    expect(aws.stderr.split('\n').filter((l) => l.startsWith('puddle aws: '))).toEqual(lines.map((l) => l.replace('puddle start: ', 'puddle aws: ')));
    expect(existsSync(home)).toBe(false);
  }, 120_000);
});
