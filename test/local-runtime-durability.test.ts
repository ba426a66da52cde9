// PUDDLE_DURABILITY reaches the databases a 202 waits on: queue.db (the producer's group commits, on the writer
// thread) and state.db. 'power' fsyncs the WAL at every commit (synchronous=FULL) and survives a power cut;
// 'process', the default, survives the process being killed (synchronous=NORMAL). A sysadmin's user test found the
// docs' "durably queued" silent on which, and no way to choose (2026-12-07).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalRuntime } from '../infra/local/runtime.js';

const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** SQLite's `synchronous` on a store's own connection: 1 NORMAL, 2 FULL. */
const synchronous = (store: unknown) => (store as { db: Database.Database }).db.pragma('synchronous', { simple: true });

describe('createLocalRuntime durability', () => {
  for (const [durability, level] of [[undefined, 1], ['process', 1], ['power', 2]] as const) {
    it(`${durability ?? 'unset'}: queue.db and state.db commit with synchronous ${level}`, async () => {
      const home = mkdtempSync(join(tmpdir(), 'puddle-durability-'));
      homes.push(home);
      const rt = await createLocalRuntime({ home, ...(durability ? { durability } : {}) });
      try {
        expect(synchronous(rt.queue)).toBe(level);
        expect(synchronous(rt.state)).toBe(level);
      } finally {
        await rt.close?.();
      }
    });
  }
});
