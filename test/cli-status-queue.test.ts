// `puddle status` says what waits in the queue to land, read from queue.db, so that it is there with the hub down
// (its /healthz and live line are down with it). Until 2026-12-03 nothing said how much a stopped hub left unlanded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

const STATEMENT = fileURLToPath(new URL('./fixtures/bank/camt053_v02_4entries_batch.xml', import.meta.url));

describe('puddle status with events waiting in the queue and no hub running', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-status-queue-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const queueLine = async () => {
    const res = await puddle(['status']);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trimEnd().split('\n').at(-1);
  };

  it('says how many wait in each puddle and since when, then that nothing waits once they land', async () => {
    expect(await queueLine()).toBe('queue: nothing waits to land');
    expect((await puddle(['import', 'bank', STATEMENT])).code).toBe(0);
    // One statement and its four lines, each for transactions and raw.
    expect(await queueLine()).toMatch(
      /^queue: waiting to land transactions 7, raw 7 \(the oldest received \d+s ago\): a running hub lands them; with none running, puddle start or puddle land$/,
    );
    // JSON stays the streams' rows, for programs that read it.
    expect(Array.isArray(JSON.parse((await puddle(['status', '--format', 'json'])).stdout))).toBe(true);
    expect((await puddle(['land'])).code).toBe(0);
    expect(await queueLine()).toBe('queue: nothing waits to land');
  });
});
