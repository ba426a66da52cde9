// `puddle backup --to DIR` beside a running hub, the morning after: a copy another hub or `puddle query` reads as
// the home (the databases through SQLite's online backup, whose WAL a plain copy of a `.db` misses, then the lake
// files the copied catalog lists), readable by this user only, and never a partial copy passed off as whole.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
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

  /** Each file under `d` with its size: what a restore must leave as it was. */
  const listing = (d: string) =>
    (readdirSync(d, { recursive: true }) as string[]).sort().map((f) => `${f} ${statSync(join(d, f)).isFile() ? statSync(join(d, f)).size : '-'}`);

  it('restores a backup into a new folder and checks it, only reading the backup; refuses a home that is not empty (exit 2)', async () => {
    const backupDir = join(dir, 'evening');
    expect((await runPuddle(['backup', '--to', backupDir], { PUDDLE_HOME: home })).stdout).toContain(
      `to restore it: PUDDLE_HOME=<a new, empty folder> puddle restore --from ${backupDir} (the backup itself stays as it is)`,
    );
    // The backup's files are this user's only, not only its folder (a disaster-recovery drill found them 0644).
    expect(statSync(join(backupDir, 'catalog.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(backupDir, 'lake')).mode & 0o777).toBe(0o700);
    const before = listing(backupDir);

    // A killed hub's home: its WAL would be replayed over the restored databases, so it is refused whole.
    const crashed = join(dir, 'crashed');
    mkdirSync(crashed);
    writeFileSync(join(crashed, 'queue.db-wal'), 'x');
    const refused = await runPuddle(['restore', '--from', backupDir], { PUDDLE_HOME: crashed });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`PUDDLE_HOME (${crashed}) is not an empty folder`);
    expect(refused.stderr).toContain('*.db-wal');

    const restored = join(dir, 'restored');
    const r = await runPuddle(['restore', '--from', backupDir], { PUDDLE_HOME: restored });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^restored .+evening into .+restored: \d+ lake files checked against the catalog, the databases read whole\nthe backup was taken at \d{4}-\d\d-\d\dT/);
    expect(await query(restored)).toEqual(await query(home));
    expect(statSync(join(restored, 'queue.db')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(restored, 'backup.json'))).toBe(false);
    expect(listing(backupDir)).toEqual(before);

    // Through a link to the backup (a `latest` link): the home is a copy, not a link to the backup, which stays as it was.
    symlinkSync(backupDir, join(dir, 'latest'));
    const linked = join(dir, 'restored-through-link');
    const viaLink = await runPuddle(['restore', '--from', join(dir, 'latest')], { PUDDLE_HOME: linked });
    expect(viaLink.code, viaLink.stderr).toBe(0);
    expect(lstatSync(linked).isDirectory()).toBe(true);
    expect(await query(linked)).toEqual(await query(home));
    expect(listing(backupDir)).toEqual(before);

    // A home is not a backup: its hub may be writing it (this one runs).
    const live = await runPuddle(['restore', '--from', home], { PUDDLE_HOME: join(dir, 'from-a-home') });
    expect(live.code).toBe(2);
    expect(live.stderr).toContain('is a home (it holds hub.lock), not a backup');
    expect(existsSync(join(dir, 'from-a-home'))).toBe(false);

    // Never into the default ./.puddle.
    const unset = await runPuddle(['restore', '--from', backupDir], { PUDDLE_HOME: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('PUDDLE_HOME is not set');
  });

  it('names a damaged database in what it restored, as catalog verify does (exit 1)', async () => {
    const backupDir = join(dir, 'night');
    expect((await runPuddle(['backup', '--to', backupDir], { PUDDLE_HOME: home })).code).toBe(0);
    // Cut short, as a copy to a full disk leaves it.
    truncateSync(join(backupDir, 'queue.db'), Math.floor(statSync(join(backupDir, 'queue.db')).size / 2));
    const restored = join(dir, 'restored-damaged');
    const r = await runPuddle(['restore', '--from', backupDir], { PUDDLE_HOME: restored });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^puddle restore: queue\.db damaged: SQLite cannot read it whole; restore it from a backup\n$/);
    expect(r.stdout).toContain('with 1 problem(s), above');
    expect(r.stdout).not.toContain('next:');
    const verify = await runPuddle(['catalog', 'verify'], { PUDDLE_HOME: restored });
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('puddle catalog: queue.db damaged');
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
