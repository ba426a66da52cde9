import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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

describe('SqliteStateStore leases across processes', () => {
  /** A child process holding a 10-minute lease on `name`; resolves once it holds it. */
  async function holder(path: string, name: string) {
    const fixture = fileURLToPath(new URL('./fixtures/hold-lease.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
      child.on('exit', (code) => reject(new Error(`lease holder exited (${code})`)));
    });
    return {
      kill: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  it("waits while the holder lives, and takes a killed holder's lease at once, not after its expiry", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puddle-lease-'));
    const path = join(dir, 'state.db');
    const store = new SqliteStateStore(path);
    try {
      const child = await holder(path, 'sync:stripe:charges');
      try {
        expect(await store.acquireLease('sync:stripe:charges', 'restarted-run', 60_000)).toBe(false);
      } finally {
        await child.kill();
      }
      expect(await store.acquireLease('sync:stripe:charges', 'restarted-run', 60_000)).toBe(true);
      // And it is ours now: another owner in this process is refused while it lives.
      expect(await store.acquireLease('sync:stripe:charges', 'another-run', 60_000)).toBe(false);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
