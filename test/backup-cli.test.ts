// `puddle backup --to DIR` beside a running hub, the morning after: a copy another hub or `puddle query` reads as
// the home (the databases through SQLite's online backup, whose WAL a plain copy of a `.db` misses, then the lake
// files the copied catalog lists), readable by this user only, and never a partial copy passed off as whole.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvents, startHubProcess, type HubProcess } from './support/hub-process.js';
import { runPuddle } from './support/run-cli.js';

const KEY = 'backup-producer-key-0001';
const donation = (i: number) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: `bk-${i}`, occurred_at: '2026-11-27T20:05:00Z', channel: 'sms', amount_minor: 100 + i, currency: 'GBP', campaign: 'appeal-night-2026' },
});
const TOTAL = 'SELECT count(*) AS n, CAST(sum(amount_minor) AS BIGINT) AS amount FROM donation';

describe('puddle backup', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-backup-'));
  const home = join(dir, 'home');
  let hub: HubProcess | undefined;
  const query = async (h: string) => {
    const r = await runPuddle(['query', TOTAL, '--format', 'json'], { PUDDLE_HOME: h });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };

  beforeAll(async () => {
    hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_API_KEYS: KEY, PUDDLE_RAW_LINGER_SECONDS: '0' });
    const res = await postEvents(hub.url, KEY, Array.from({ length: 40 }, (_, i) => donation(i)));
    expect(res.status).toBe(202);
    await res.arrayBuffer();
    // Landed, raw included, as the lake says: /healthz's `waiting` is the landing threads' last report (once a
    // second), which can still be the one from before the post, so it cannot say these have landed.
    const landed = 'SELECT (SELECT count(*) FROM donation) AS donations, (SELECT count(*) FROM raw) AS raw';
    for (;;) {
      const r = await runPuddle(['query', landed, '--format', 'json'], { PUDDLE_HOME: home });
      if (r.code === 0 && r.stdout.includes('"donations":40,"raw":40')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 300_000);
  afterAll(async () => {
    if (hub) {
      hub.child.kill('SIGINT');
      await hub.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies a running hub\'s home into a folder that reads as the home, for this user only', async () => {
    const to = join(dir, 'morning');
    // The sandboxes' world, as a home that ran them has it: without it, a hub on the backup would start a new one
    // and its sandboxes send the appeal again, re-dated.
    const world = '{"as_of":"2026-12-05T20:28:00.000Z","starts":3}\n';
    writeFileSync(join(home, 'sandboxes.json'), world);
    const r = await runPuddle(['backup', '--to', to], { PUDDLE_HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backed up .+ to .+morning: state\.db, feeds\.db, queue\.db, catalog\.db \(SQLite online backups\), \d+ lake files \([\d.]+ MB\), 0 inbox files\n/);
    expect(statSync(to).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(to, 'sandboxes.json'), 'utf8')).toBe(world);
    // The hub's catalog still has its WAL (the hub runs): the copy has what is in it.
    expect(await query(to)).toEqual([{ n: 40, amount: 40 * 100 + (39 * 40) / 2 }]);
    expect(await query(to)).toEqual(await query(home));
    const raw = await runPuddle(['query', 'SELECT count(*) AS n FROM raw', '--format', 'json'], { PUDDLE_HOME: to });
    expect(JSON.parse(raw.stdout)).toEqual([{ n: 40 }]);
  });

  it('refuses a folder that is not empty or is inside the home, before copying anything (exit 2)', async () => {
    const used = join(dir, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'x');
    const r = await runPuddle(['backup', '--to', used], { PUDDLE_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not an empty folder');
    const inside = await runPuddle(['backup', '--to', join(home, 'bk')], { PUDDLE_HOME: home });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('is inside PUDDLE_HOME');
    const none = await runPuddle(['backup'], { PUDDLE_HOME: home });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--to DIR is required');
  });

  it('says a copy is not whole, naming the file, when a file the catalog lists is gone (exit 1)', async () => {
    const catalog = new Database(join(home, 'catalog.db'), { readonly: true });
    const [first] = catalog.prepare("SELECT key FROM files WHERE contract = 'donation' ORDER BY key LIMIT 1").all() as { key: string }[];
    catalog.close();
    rmSync(join(home, first!.key));
    const r = await runPuddle(['backup', '--to', join(dir, 'partial')], { PUDDLE_HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`1 lake file(s) the catalog lists could not be copied, so ${join(dir, 'partial')} is NOT a whole backup: ${first!.key}`);
  });
});
