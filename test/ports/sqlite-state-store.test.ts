import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../../infra/local/sqlite-state-store.js';
import { stateStorePortSuite } from './state-store-suite.js';

stateStorePortSuite('SQLite (:memory:)', async () => {
  const store = new SqliteStateStore(':memory:');
  return { store, cleanup: async () => store.close() };
});

stateStorePortSuite('SQLite (file, WAL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-state-'));
  const path = join(dir, 'state.db');
  const handles = [new SqliteStateStore(path)];
  return {
    store: handles[0]!,
    openAgain: async () => {
      const h = new SqliteStateStore(path);
      handles.push(h);
      return h;
    },
    cleanup: async () => {
      for (const h of handles) h.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
