// The feed log's positions across a hub's restarts: the start's catch-up appends the whole lake again, and a row
// already logged must take no position (until 2026-12-02 each took an AUTOINCREMENT number, so cursors jumped on
// by the size of the lake at every start: 125 -> 376, nothing lost, but no longer the next position).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEntry } from '../../puddles/feeds.js';
import { SqliteFeedLog } from '../../infra/local/sqlite-feed-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (i: number): FeedEntry => ({ recordId: `env-${i}`, key: `r-${i}`, passes: true, row: { id: `r-${i}`, changed_at: '2026-11-20T09:00:00.000Z' } });
const lake = (n: number) => Array.from({ length: n }, (_, i) => entry(i + 1));

function logFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-feed-log-'));
  dirs.push(dir);
  return join(dir, 'feeds.db');
}

describe('feed log positions across restarts', () => {
  it('a catch-up of an unchanged lake adds no position, and the next new row is the last one + 1', () => {
    const file = logFile();
    let log = new SqliteFeedLog(file);
    log.append('giro_requests', lake(5));
    expect(log.last('giro_requests')).toBe(5);
    log.close();
    for (let start = 0; start < 3; start++) {
      log = new SqliteFeedLog(file);
      // What FeedWriter.catchUp does on start: every row of the lake again, the log already holding them all.
      log.append('giro_requests', lake(5));
      expect(log.last('giro_requests')).toBe(5);
      log.close();
    }
    log = new SqliteFeedLog(file);
    // A landing that holds a row already logged and a new one: only the new one takes a position, the next.
    log.append('giro_requests', [entry(3), entry(6)]);
    log.append('giro_requests', lake(6));
    const rows = log.read('giro_requests', 0, 100);
    expect(rows.map((r) => r.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.map((r) => r.row.id)).toEqual(['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6']);
    log.close();
  });

  it("one feed's catch-up takes no position from another feed's new rows", () => {
    const log = new SqliteFeedLog(logFile());
    log.append('a', lake(2));
    log.append('b', lake(2));
    log.append('a', lake(2));
    log.append('b', [entry(3)]);
    expect(log.read('b', 0, 10).map((r) => r.position)).toEqual([3, 4, 5]);
    log.close();
  });

  it("fills in an older row's missing changed_at at its position, and keeps one it has", () => {
    const log = new SqliteFeedLog(logFile());
    log.append('a', [{ ...entry(1), row: { id: 'r-1' } }, entry(2)]);
    log.append('a', [entry(1), { ...entry(2), row: { id: 'r-2', changed_at: '2026-12-01T00:00:00.000Z' } }]);
    expect(log.read('a', 0, 10)).toEqual([
      { position: 1, row: { id: 'r-1', changed_at: '2026-11-20T09:00:00.000Z' } },
      { position: 2, row: { id: 'r-2', changed_at: '2026-11-20T09:00:00.000Z' } },
    ]);
    log.close();
  });
});
