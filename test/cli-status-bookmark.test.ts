// `puddle status`'s bookmark column after a `--from` backfill alone: the backfill never sets the incremental
// position, so there is none yet. Until 2026-12-03 it read "kept by the stream", which only a stream with its
// own position (Stripe's payout_items) means. The CLI as a user runs it, against Freshdesk's sandbox.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreshdeskSandbox, type FreshdeskSandbox } from '../connectors/freshdesk/sandbox/index.js';
import { runPuddle } from './support/run-cli.js';

describe('puddle status after a --from backfill alone', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-status-bookmark-'));
  let sandbox: FreshdeskSandbox;
  beforeAll(async () => {
    sandbox = await startFreshdeskSandbox({});
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(home, { recursive: true, force: true });
  });

  // A start date days back, not a year (the default): the run without --from reads from it, in a few paced list
  // calls. A backfill that starts at or before it would set the bookmark (a first sync's): this one starts after.
  const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
  const start = day(6);
  const env = () => ({ PUDDLE_HOME: home, FRESHDESK_API_BASE: sandbox.url, FRESHDESK_API_KEY: sandbox.apiKey, FRESHDESK_START_DATE: start });
  const tickets = async () => {
    const res = await runPuddle(['status', '--format', 'json'], env());
    expect(res.code).toBe(0);
    const rows = JSON.parse(res.stdout) as { connector: string; stream: string; bookmark: string }[];
    return Object.fromEntries(rows.filter((r) => r.connector === 'freshdesk').map((r) => [r.stream, r.bookmark]));
  };

  it('says there is no bookmark yet, and shows the one the next run without --from sets', async () => {
    const backfill = await runPuddle(['sync', 'freshdesk', '--streams', 'ticket_fields,tickets', '--from', day(4), '--to', day(2)], env());
    expect(backfill.code).toBe(0);
    // ticket_fields is read whole each run, --from or not: no position of a range's.
    expect(await tickets()).toMatchObject({ ticket_fields: 'kept by the stream', tickets: 'none yet (only --from ran)', contacts: 'never synced' });
    expect((await runPuddle(['sync', 'freshdesk', '--streams', 'tickets'], env())).code).toBe(0);
    expect(Date.parse((await tickets()).tickets!)).not.toBeNaN();
    // For a script, the lag in seconds and the last run's outcome and end apart.
    const res = await runPuddle(['status', '--format', 'json'], env());
    const row = (JSON.parse(res.stdout) as Record<string, unknown>[]).find((r) => r.connector === 'freshdesk' && r.stream === 'tickets')!;
    expect(row).toMatchObject({ last_outcome: 'succeeded', lag_seconds: expect.any(Number) });
    expect(Date.parse(row.last_run_ended_at as string)).not.toBeNaN();
  });

  // Until 2026-12-05 a windowed stream whose runs had all failed read "kept by the stream", as if it had data.
  it('says none yet of a stream whose only run failed, and still kept by the stream of one that keeps its own', async () => {
    const refused = await runPuddle(['sync', 'freshdesk', '--streams', 'contacts'], { ...env(), FRESHDESK_API_KEY: 'not-the-key' });
    expect(refused.code).not.toBe(0);
    expect(await tickets()).toMatchObject({ ticket_fields: 'kept by the stream', contacts: 'none yet (no run has succeeded)' });
  });
});
