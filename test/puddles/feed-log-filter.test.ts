// A feed's filter picks records, not versions (puddles/feeds.ts, FeedDef.filter): once a version of a record has
// passed, every version of it is served, a correction that no longer passes included. Until 2026-12-06 the filter
// ran on each version alone, so a giro request corrected to 0 packs (a cancellation) never reached the print house,
// which went on printing the packs of the version it had (user test).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteFeedLog } from '../../infra/local/sqlite-feed-log.js';
import type { FeedEntry } from '../../puddles/feeds.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-feed-filter-'));
  dirs.push(dir);
  return join(dir, 'feeds.db');
}

/** Version `v` of request `key` asking for `packs` (the giro feed's filter: more than 0). */
const version = (key: string, v: number, packs: number): FeedEntry => ({
  recordId: `env-${key}-${v}`,
  key,
  passes: packs > 0,
  row: { school_giro_request_id: key, pack_size: packs, changed_at: `2026-11-2${v}T09:00:00.000Z` },
});
const served = (log: SqliteFeedLog, after = 0) => log.read('giro_requests', after, 100).map((r) => [r.position, r.row.school_giro_request_id, r.row.pack_size]);

describe('a feed filter picks records, and serves every version of one it picked', () => {
  it('serves a cancellation (0 packs) of a request it served, and never a request of 0 packs alone', () => {
    const log = new SqliteFeedLog(logFile());
    log.append('giro_requests', [version('sgr-1', 1, 30), version('sgr-none', 1, 0)]);
    expect(served(log)).toEqual([[1, 'sgr-1', 30]]);
    log.append('giro_requests', [version('sgr-1', 2, 0)]);
    expect(served(log, 1)).toEqual([[3, 'sgr-1', 0]]);
    // The start's catch-up appends the whole lake again: nothing moves, nothing more is served.
    log.append('giro_requests', [version('sgr-1', 1, 30), version('sgr-none', 1, 0), version('sgr-1', 2, 0)]);
    expect(served(log)).toEqual([[1, 'sgr-1', 30], [3, 'sgr-1', 0]]);
    log.close();
  });

  it('serves the versions that landed before the first passing one after it, in the order they came', () => {
    const log = new SqliteFeedLog(logFile());
    log.append('giro_requests', [version('sgr-a', 1, 30)]);
    // The cancellation lands first (the request's first send was delayed): out of sight, and the cursor handed out
    // meanwhile (1) must not pass it by.
    log.append('giro_requests', [version('sgr-late', 3, 0)]);
    expect(served(log)).toEqual([[1, 'sgr-a', 30]]);
    log.append('giro_requests', [version('sgr-late', 1, 60), version('sgr-a', 2, 40)]);
    const rows = log.read('giro_requests', 1, 100);
    expect(rows.map((r) => [r.row.school_giro_request_id, r.row.pack_size, r.row.changed_at])).toEqual([
      ['sgr-late', 60, '2026-11-21T09:00:00.000Z'],
      ['sgr-late', 0, '2026-11-23T09:00:00.000Z'],
      ['sgr-a', 40, '2026-11-22T09:00:00.000Z'],
    ]);
    // What docs/supplier-feeds.md tells suppliers: per id, the latest changed_at. The cancellation wins.
    const late = rows.filter((r) => r.row.school_giro_request_id === 'sgr-late');
    expect(late.reduce((a, b) => (String(b.row.changed_at) >= String(a.row.changed_at) ? b : a)).row.pack_size).toBe(0);
    expect(log.last('giro_requests')).toBe(Math.max(...rows.map((r) => r.position)));
    log.close();
  });

  it('opens a log made before, whose rows have no key, and fills the keys in from the catch-up', () => {
    const file = logFile();
    const db = new Database(file);
    db.exec(`CREATE TABLE feed_row (position INTEGER PRIMARY KEY AUTOINCREMENT, feed TEXT NOT NULL, record_id TEXT NOT NULL,
      row TEXT NOT NULL, appended_at TEXT NOT NULL, UNIQUE (feed, record_id))`);
    const first = version('sgr-old', 1, 30);
    db.prepare('INSERT INTO feed_row (feed, record_id, row, appended_at) VALUES (?, ?, ?, ?)').run('giro_requests', first.recordId, JSON.stringify(first.row), '2026-12-01T00:00:00.000Z');
    db.close();
    const log = new SqliteFeedLog(file);
    log.append('giro_requests', [first]);
    log.append('giro_requests', [version('sgr-old', 2, 0)]);
    expect(served(log)).toEqual([[1, 'sgr-old', 30], [2, 'sgr-old', 0]]);
    log.close();
  });
});
