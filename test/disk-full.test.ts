// A hub on a full disk: the queue cannot commit, or landing cannot. SQLite's own error, raised by a trigger from
// another connection (as in backpressure.test.ts), stands for the disk: the whole transaction rolls back, as a
// full disk does to a commit. What must hold: nothing is lost or half-kept, /healthz, the operations status
// and the live line say what is wrong, and the log says it once and then counts, instead of a line an attempt.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub, type Hub } from '../infra/local/hub.js';
import { liveLine } from '../infra/cli/live-line.js';
import { postEvents, smsDonation as donation } from './support/hub-process.js';
import { getJson, waitLanded } from './live/live-hub.js';

const KEY = 'disk-full-producer-key';
const READ = 'disk-full-read-key-0001';
const FULL = `SELECT RAISE(ABORT, 'database or disk is full')`;

interface Health {
  ok: boolean;
  accepting: boolean;
  queue: { committing: boolean; reason?: string; failures?: number; since?: string };
  landing: { failing?: Record<string, { reason: string; failures: number; fix?: string }> };
}

describe('a hub whose disk is full', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-disk-full-'));
  let hub: Hub;
  // The hub's log lines (its landing threads' too: their stderr comes through this process's).
  const lines: { msg: string; puddle?: string; level?: string; fix?: string }[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const said = (msg: string, puddle?: string) => lines.filter((l) => l.msg === msg && (!puddle || l.puddle === puddle)).length;
  const health = async () => {
    const res = await fetch(`${hub.url}/healthz`);
    return { status: res.status, body: (await res.json()) as Health };
  };
  const lakeDonations = async () => (await hub.runtime.query.query('SELECT donation_id FROM donation ORDER BY donation_id')).map((r) => r.donation_id);

  beforeAll(async () => {
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      for (const text of String(chunk).split('\n')) if (text.startsWith('{')) lines.push(JSON.parse(text) as { msg: string });
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    // A failed batch waits 5 s before its next attempt: five attempts (then a dead letter) take 20 s, well
    // beyond the few seconds this test holds the disk full for.
    // No raw linger: raw must try (and fail) to land at once, as transactions does.
    hub = await startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY], readKeys: [READ], rawLingerMs: 0 }, landing: { backlogMs: 50, consumer: { retryDelayMs: 5_000 } } });
  });
  afterAll(async () => {
    await hub?.stop();
    process.stderr.write = write;
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses events with 503 while the queue cannot commit, keeps none of them, and says so once; then takes them again', async () => {
    expect((await postEvents(hub.url, KEY, [donation('before')])).status).toBe(202);
    const db = new Database(join(home, 'queue.db'));
    db.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON queue_deliveries BEGIN ${FULL}; END`);
    try {
      for (let i = 0; i < 30; i++) {
        const res = await postEvents(hub.url, KEY, [donation(`full-${i}`)]);
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        await res.arrayBuffer();
      }
      // A balancer takes the hub out (503); the on-call engineer reads why.
      const h = await health();
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ ok: false, accepting: false, queue: { committing: false, reason: 'disk_full', failures: 30, fix: 'free space on the disk of PUDDLE_HOME (queue.db)' } });
      const ops = (await (await getJson(`${hub.url}/v1/ops/status`, READ)).json()) as { health: Health };
      expect(ops.health).toMatchObject({ ok: false, accepting: false, queue: { committing: false, reason: 'disk_full' } });
      expect(liveLine(await hub.stats({ reported: true }))).toMatch(/ \| QUEUE CANNOT COMMIT \(disk full since \d\d:\d\d:\d\dZ\): events refused with 503$/);
      // Thirty refusals in a few seconds: one line from the producer and one from the hub, not thirty.
      expect(said('producer publish failed')).toBe(1);
      expect(said('the queue cannot commit: events are refused (503) until it can')).toBe(1);
    } finally {
      db.exec('DROP TRIGGER disk_full');
      db.close();
    }
    expect((await postEvents(hub.url, KEY, [donation('after')])).status).toBe(202);
    expect(await health()).toMatchObject({ status: 200, body: { ok: true, accepting: true, queue: { committing: true } } });
    expect(said('the queue commits again')).toBe(1);
    // At warn, as the failure was at error: a log read at warn shows both ends.
    expect(lines.find((l) => l.msg === 'the queue commits again')?.level).toBe('warn');
    expect(lines.find((l) => l.msg === 'the queue cannot commit: events are refused (503) until it can')).toMatchObject({ level: 'error', fix: 'free space on the disk of PUDDLE_HOME (queue.db)' });
    expect(said('producer publishes are accepted again')).toBe(1);
    // At warn too, as its failure is: until 2026-12-03 at info, so a log read at warn never saw it end.
    expect(lines.find((l) => l.msg === 'producer publishes are accepted again')?.level).toBe('warn');
    expect(liveLine(await hub.stats({ reported: true }))).not.toContain('QUEUE');
    await waitLanded(hub);
    expect(await lakeDonations()).toEqual(['after', 'before']);
  });

  it('keeps accepting while landing cannot commit, says which puddles fail, and lands every event once it can', async () => {
    const db = new Database(join(home, 'catalog.db'));
    db.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON files BEGIN ${FULL}; END`);
    let h: Awaited<ReturnType<typeof health>>;
    try {
      for (let i = 0; i < 3; i++) expect((await postEvents(hub.url, KEY, [donation(`landing-${i}`)])).status).toBe(202);
      h = await health();
      // Each landing thread reports its failures with its backlog, twice a second once it has tried a batch. A bound
      // for a hang, not a speed: 5 s was not always enough on a machine running two suites at once (2026-12-05).
      const until = Date.now() + 30_000;
      while (Date.now() < until && !(h.body.landing.failing?.raw && h.body.landing.failing.transactions)) {
        await sleep(25);
        h = await health();
      }
      // Still 200: the events are safe in the queue, so a balancer must keep sending them; `ok` says all is not well.
      expect(h.status).toBe(200);
      expect(h.body).toMatchObject({ ok: false, accepting: true, queue: { committing: true }, landing: { failing: { raw: { reason: 'disk_full' }, transactions: { reason: 'disk_full' } } } });
      const ops = (await (await getJson(`${hub.url}/v1/ops/status`, READ)).json()) as { health: Health };
      expect(Object.keys(ops.health.landing.failing ?? {}).sort()).toEqual(['raw', 'transactions']);
      expect(liveLine(await hub.stats({ reported: true }))).toMatch(/ \| LANDING FAILING: raw, transactions \(disk full since \d\d:\d\d:\d\dZ\), events wait in the queue$/);
      expect(said('landing failed; batch will be retried', 'raw')).toBe(1);
      // The line says what to do, and that nothing is lost meanwhile.
      const fix = 'free space on the disk of PUDDLE_HOME (the lake and catalog.db): the events wait in the queue, and a running hub lands them by itself once it is done';
      expect(lines.find((l) => l.msg === 'landing failed; batch will be retried' && l.puddle === 'raw')?.fix).toBe(fix);
      // /healthz carries the same words, which the dashboard's queue card shows.
      expect(h.body.landing.failing?.raw?.fix).toBe(fix);
    } finally {
      db.exec('DROP TRIGGER disk_full');
      db.close();
    }
    // The batches come back after their retry delay and land; nothing was registered half-way meanwhile.
    await waitLanded(hub);
    expect(await lakeDonations()).toEqual(['after', 'before', 'landing-0', 'landing-1', 'landing-2']);
    // The donations are in transactions; raw's retried batch may still be in its retry delay: wait for it too.
    for (let i = 0; i < 400 && (await health()).body.landing.failing; i++) await sleep(25);
    expect(await health()).toMatchObject({ status: 200, body: { ok: true } });
    expect((await health()).body.landing.failing).toBeUndefined();
    expect(said('landing works again', 'raw')).toBe(1);
    // At warn, as the failure was: a log read at warn shows both ends.
    expect(lines.find((l) => l.msg === 'landing works again' && l.puddle === 'raw')?.level).toBe('warn');
  });
});
