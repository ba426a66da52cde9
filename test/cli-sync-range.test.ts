// `puddle sync --from/--to` read on a machine whose zone is not UTC: a time without a zone is UTC there too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { isoFromMs } from '../core/time.js';
import { runPuddle } from './support/run-cli.js';

type Sandbox = Awaited<ReturnType<typeof startStripeSandbox>>;

describe('puddle sync --from/--to on a machine in New York', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-sync-range-'));
  let sandbox: Sandbox;
  beforeAll(async () => {
    // 30 charges over 14 days: one every 11 hours, so a two-hour range holds one charge and the same range
    // read five hours later (New York's offset in winter) holds none.
    sandbox = await startStripeSandbox({ charges: 30, rateLimit: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** The charges one `puddle sync stripe --streams charges --from F --to T` read, with TZ set to New York. */
  async function chargesRead(name: string, from: string, to: string): Promise<number> {
    const r = await runPuddle(['sync', 'stripe', '--streams', 'charges', '--from', from, '--to', to], {
      TZ: 'America/New_York', PUDDLE_HOME: join(home, name), STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url,
      STRIPE_START_DATE: isoFromMs(Date.now() - 30 * 86_400_000),
    });
    expect(r.code, r.stderr).toBe(0);
    const m = /charges \| succeeded \| (\d+) /.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    return Number(m![1]);
  }

  it('reads a time without a zone as UTC, and a time with an offset at that offset', async () => {
    const first = sandbox.data.charges[0]!.created * 1000;
    expect(sandbox.data.charges[1]!.created * 1000 - first).toBeGreaterThan(8 * 3_600_000);
    const from = first - 3_600_000;
    const to = first + 3_600_000;
    const [zoneless, offset] = await Promise.all([
      // `2026-11-18T09:12`: minutes, no zone.
      chargesRead('zoneless', isoFromMs(from).slice(0, 16), isoFromMs(to).slice(0, 16)),
      // The same instants written at +01:00.
      chargesRead('offset', `${isoFromMs(from + 3_600_000).slice(0, 19)}+01:00`, `${isoFromMs(to + 3_600_000).slice(0, 19)}+01:00`),
    ]);
    expect(offset).toBe(1);
    // Read as New York time the range starts five hours later, past the first charge and before the second.
    expect(zoneless).toBe(1);
  }, 60_000);
});
