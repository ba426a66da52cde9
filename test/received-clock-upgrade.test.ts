// A home a hub before 2026-12-02 kept holds no received time in its queue (that hub kept none), yet its lake and
// its waiting events were stamped by that hub's clock. Today's hub on it, under a clock that has stepped back
// since (a VM restored, NTP), must still stamp what it receives after all of them: arrival decides between a
// version and its correction sent without updated_at (puddles/version-order.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../core/ports.js';
import { receivedAt } from '../core/received-clock.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { olderCatalog, olderQueue } from './support/older-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** A clock an hour behind the older hub's last stamps. */
const behind: Clock = { now: () => new Date('2026-11-30T20:00:00.000Z') };

function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'puddle-older-clock-'));
  homes.push(h);
  return h;
}

function addFile(h: string, addedAt: string): void {
  const db = olderCatalog(h);
  db.prepare(`INSERT INTO files (key, puddle, contract, version, dt, rows, bytes, added_at) VALUES ('lake/transactions/donation/v1/dt=2026-11-30/a.parquet', 'transactions', 'donation', 1, '2026-11-30', 1, 1, ?)`).run(addedAt);
  db.close();
}

function addWaiting(h: string, received: string): void {
  const db = olderQueue(h);
  const seq = db.prepare(`INSERT INTO queue_messages (body) VALUES (?)`).run(JSON.stringify({ id: 'e1', contract: 'donation', received_at: received })).lastInsertRowid;
  db.prepare(`INSERT INTO queue_deliveries (sub_id, seq, visible_at, attempts) VALUES (1, ?, 0, 0)`).run(seq);
  db.close();
}

describe("today's clock on an older hub's home", () => {
  it('stamps after the latest file the older hub landed', async () => {
    const h = home();
    addFile(h, '2026-11-30T21:00:00.000Z');
    const rt = await createLocalRuntime({ home: h, clock: behind });
    try {
      expect(receivedAt(rt.clock) > '2026-11-30T21:00:00.000Z').toBe(true);
    } finally {
      await rt.close();
    }
  });

  it('stamps after the latest event still waiting in its queue', async () => {
    const h = home();
    addFile(h, '2026-11-30T21:00:00.000Z');
    addWaiting(h, '2026-11-30T21:00:05.000Z');
    const rt = await createLocalRuntime({ home: h, clock: behind });
    try {
      expect(receivedAt(rt.clock) > '2026-11-30T21:00:05.000Z').toBe(true);
    } finally {
      await rt.close();
    }
  });

  it('keeps its own clock on a new home', async () => {
    const rt = await createLocalRuntime({ home: home(), clock: behind });
    try {
      expect(receivedAt(rt.clock)).toBe('2026-11-30T20:00:00.000Z');
    } finally {
      await rt.close();
    }
  });
});
