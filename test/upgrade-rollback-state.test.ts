// A home rolled back to a Puddle from before the donation contract's v2, then upgraded again: the older hub's
// compact folded a v1 current state from the one donation it landed and retired the v2 state that held the rest.
// Today's views and fold must not trust such a state (an older version's columns) but answer from the history,
// which keeps every donation. The home is a fixture made by the two versions (test/fixtures/upgrade/.../README.md).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { latestVersion } from '../core/contracts/index.js';
import { runPuddle } from './support/run-cli.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/upgrade/rollback-v1-state', import.meta.url));
const COUNTS = `SELECT (SELECT count(*) FROM donation) AS current, (SELECT count(DISTINCT donation_id) FROM donation_history) AS history,
  (SELECT CAST(sum(amount_minor) AS BIGINT) FROM donation) AS amount`;

describe('a current state an older Puddle folded after a rollback', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-rollback-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const home = (name: string) => {
    const h = join(dir, name);
    cpSync(FIXTURE, h, { recursive: true });
    return h;
  };
  const counts = async (h: string) => {
    const r = await runPuddle(['query', COUNTS, '--format', 'json'], { PUDDLE_HOME: h });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };

  it('the fixture is that home: its catalog\'s state is v1 with 1 row, the v2 state retired', () => {
    // A copy: SQLite makes a WAL database's -shm beside it even to read it.
    const db = new Database(join(home('fixture'), 'catalog.db'), { readonly: true });
    try {
      expect(db.prepare(`SELECT version, rows FROM files WHERE contract = 'donation' AND current = 1`).all()).toEqual([{ version: 1, rows: 1 }]);
      expect(db.prepare(`SELECT count(*) FROM garbage WHERE key LIKE 'lake/transactions/donation/v2/current/%'`).pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('puddle query answers every donation the history holds, before any fold', async () => {
    expect(await counts(home('query'))).toEqual([{ current: 6, history: 6, amount: 6000 }]);
  });

  it('puddle compact folds the state again from the whole history, in the latest version', async () => {
    const h = home('compact');
    const r = await runPuddle(['compact'], { PUDDLE_HOME: h });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { folded: { contract: string; rowsOut: number }[] };
    expect(out.folded.filter((f) => f.contract === 'donation').map((f) => f.rowsOut)).toEqual([6]);
    const db = new Database(join(h, 'catalog.db'), { readonly: true });
    try {
      expect(db.prepare(`SELECT version, rows FROM files WHERE contract = 'donation' AND current = 1`).all()).toEqual([{ version: latestVersion('donation')!.version, rows: 6 }]);
    } finally {
      db.close();
    }
    expect(await counts(h)).toEqual([{ current: 6, history: 6, amount: 6000 }]);
  });
});
