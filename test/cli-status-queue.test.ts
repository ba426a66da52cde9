// `puddle status` says what waits in the queue to land, read from queue.db, so that it is there with the hub down
// (its /healthz and live line are down with it). Until 2026-12-03 nothing said how much a stopped hub left unlanded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess } from './support/hub-process.js';
import { runPuddle } from './support/run-cli.js';

const STATEMENT = fileURLToPath(new URL('./fixtures/bank/camt053_v02_4entries_batch.xml', import.meta.url));

describe('puddle status with events waiting in the queue and no hub running', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-status-queue-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const lastLines = async (n: number) => {
    const res = await puddle(['status']);
    expect(res.code, res.stderr).toBe(0);
    return res.stdout.trimEnd().split('\n').slice(-n);
  };
  const queueLine = async () => (await lastLines(1))[0];

  it('says how many wait in each puddle and since when, then that nothing waits once they land', async () => {
    expect(await queueLine()).toBe('queue: nothing waits to land');
    expect((await puddle(['import', 'bank', STATEMENT])).code).toBe(0);
    // One statement and its four lines, each for transactions and raw.
    const [hub, queue] = await lastLines(2);
    expect(hub).toBe('hub: none runs on this home');
    expect(queue).toMatch(/^queue: waiting to land transactions 7, raw 7 \(the oldest received \d+s ago\): no hub runs on this home: puddle start or puddle land lands them$/);
    // JSON stays the streams' rows, for programs that read it.
    expect(Array.isArray(JSON.parse((await puddle(['status', '--format', 'json'])).stdout))).toBe(true);
    expect((await puddle(['land'])).code).toBe(0);
    expect(await queueLine()).toBe('queue: nothing waits to land');
  });

  it('says whether a hub runs on the home, and a hub started after one was killed says the last did not stop cleanly', async () => {
    // Until 2026-12-06 status read the same with a hub running and after one was killed, and nothing at the restart
    // said the last hub had not stopped cleanly (a user test: the on-call engineer).
    const env = { PUDDLE_HOME: home, PUDDLE_SANDBOXES: 'off', PUDDLE_LOG_LEVEL: 'info' };
    const first = await startHubProcess(env);
    expect((await lastLines(2))[0]).toMatch(new RegExp(`^hub: puddle start at ${first.url} \\(pid ${first.child.pid}, since .*\\)$`));
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await lastLines(2))[0]).toBe('hub: none runs on this home');
    const second = await startHubProcess(env);
    expect(second.output()).toContain(`note: the last puddle start on this home (pid ${first.child.pid}, since `);
    expect(second.output()).toContain('did not stop cleanly (killed, crashed, or the machine stopped): what it accepted is in the queue and lands now');
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    const third = await startHubProcess(env);
    expect(third.output()).not.toContain('did not stop cleanly');
    third.child.kill('SIGINT');
    await third.exited;
  });
});
