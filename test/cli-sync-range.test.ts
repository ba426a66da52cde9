// `puddle sync --from/--to` read on a machine whose zone is not UTC: a time without a zone is UTC there too;
// a range that holds nothing is refused before anything runs.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

  /** `puddle sync stripe --streams charges ...args` against the sandbox, with TZ set to New York. */
  const syncCharges = (name: string, args: string[]) =>
    runPuddle(['sync', 'stripe', '--streams', 'charges', ...args], {
      TZ: 'America/New_York', PUDDLE_HOME: join(home, name), STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url,
      STRIPE_START_DATE: isoFromMs(Date.now() - 30 * 86_400_000),
    });

  /** The charges one `puddle sync stripe --streams charges --from F --to T` read. */
  async function chargesRead(name: string, from: string, to: string): Promise<number> {
    const r = await syncCharges(name, ['--from', from, '--to', to]);
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

  it('says once, under the table, that a --from older than the 30 days Stripe keeps events read them from the 30 days', async () => {
    const from = isoFromMs(Date.now() - 60 * 86_400_000).slice(0, 10);
    const r = await runPuddle(['sync', 'stripe', '--streams', 'events', '--from', from], {
      PUDDLE_HOME: join(home, 'events-from'), STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url,
    });
    expect(r.code, r.stderr).toBe(0);
    const said = r.stdout.split('\n').filter((l) => l.includes('keeps events'));
    expect(said, r.stdout).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`^events: --from ${from}T00:00:00\\.000Z is older than the 30 days stripe keeps events: read from \\S+Z, where they begin$`));
  }, 60_000);

  it("says the run was published to the queue only when it read something", async () => {
    const first = sandbox.data.charges[0]!.created * 1000;
    const [one, none] = await Promise.all([
      syncCharges('published', ['--from', isoFromMs(first - 3_600_000), '--to', isoFromMs(first + 3_600_000)]),
      syncCharges('nothing', ['--from', isoFromMs(first - 3 * 3_600_000), '--to', isoFromMs(first - 2 * 3_600_000)]),
    ]);
    expect([one.code, none.code], one.stderr + none.stderr).toEqual([0, 0]);
    expect(one.stdout).toMatch(/charges \| succeeded \| 1 /);
    expect(one.stdout).toContain("published to the queue; a running hub or 'puddle land' lands it");
    expect(none.stdout).toMatch(/charges \| succeeded \| 0 /);
    expect(none.stdout).not.toContain('published to the queue');
  }, 60_000);

  it('refuses a --to before or at --from with exit code 2, before it opens the home: no run, no sync_run row', async () => {
    const [before, same] = await Promise.all([
      syncCharges('reversed', ['--from', '2026-11-30T00:00:00Z', '--to', '2026-11-29T00:00:00Z']),
      // The same instant written two ways: a range holds its --from but not its --to, so this one is empty.
      syncCharges('equal', ['--from', '2026-11-30', '--to', '2026-11-30T01:00+01:00']),
    ]);
    expect(before.code, before.stdout).toBe(2);
    expect(before.stderr).toContain('puddle sync: --to is before --from (2026-11-30T00:00:00.000Z to 2026-11-29T00:00:00.000Z): a range reads from --from up to, not including, --to; give a later --to\n');
    expect(same.code, same.stdout).toBe(2);
    expect(same.stderr).toContain('--to is the same time as --from (2026-11-30T00:00:00.000Z to 2026-11-30T00:00:00.000Z)');
    // Until 2026-12-02 both ran: "succeeded", 0 requests, exit 0, and a sync_run row in a home made for it.
    for (const [r, name] of [[before, 'reversed'], [same, 'equal']] as const) {
      expect(r.stdout).toBe('');
      expect(existsSync(join(home, name))).toBe(false);
    }
  }, 60_000);

  it('refuses --full with --from or --to with exit code 2, saying what each does, before it opens the home', async () => {
    const [withFrom, withTo, withBoth] = await Promise.all([
      syncCharges('full-from', ['--full', '--from', '2026-11-01']),
      syncCharges('full-to', ['--full', '--to', '2026-11-01']),
      syncCharges('full-both', ['--from', '2026-11-01', '--to', '2026-11-02', '--full']),
    ]);
    for (const [r, given] of [[withFrom, '--from'], [withTo, '--to'], [withBoth, '--from and --to']] as const) {
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr).toContain(
        `puddle sync: --full does not go with ${given}: --full reads every stream again from its start date and moves its bookmark to where that read ends; ` +
          '--from/--to read only that range, a backfill that leaves the bookmark where it is. Give one or the other\n',
      );
      expect(r.stdout).toBe('');
    }
    // Until 2026-12-02 --full was dropped for the --from range (and with --to alone moved the bookmark back to it).
    for (const name of ['full-from', 'full-to', 'full-both']) expect(existsSync(join(home, name))).toBe(false);
  }, 60_000);
});
