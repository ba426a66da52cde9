// The erasure's pass over queue.db (queueHolding) pages through it: on an appeal night's backlog the queue holds
// gigabytes of bodies, and until 2026-12-04 it read every one of them into memory at once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { queueHolding } from '../infra/local/erasure-home.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { PUDDLES } from '../puddles/definitions.js';
import { erasureNeedles } from '../puddles/erasure-match.js';

const homes: string[] = [];
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** A home whose queue.db holds `n` bodies of about `bytes` each, every `every`th of them sup_1's, the rest sup_10's; and `dead` dead letters of sup_1's. */
async function queueOf(n: number, bytes: number, every: number, dead = 0): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'puddle-erase-queue-'));
  homes.push(home);
  const queue = new SqliteQueue(path.join(home, 'queue.db'), { durability: 'process' });
  for (const p of PUDDLES) await queue.subscribe(p);
  await queue.close();
  const db = new Database(path.join(home, 'queue.db'));
  try {
    const pad = 'x'.repeat(bytes);
    const body = (i: number) => JSON.stringify({ contract: 'donation', payload: { donation_id: `d-${i}`, supporter_id: i % every === 0 ? 'sup_1' : 'sup_10', note: pad } });
    const insert = db.prepare('INSERT INTO queue_messages (body) VALUES (?)');
    const insertDead = db.prepare(`INSERT INTO queue_dead_letters (sub_id, body, attempts, reason, failed_at) VALUES ((SELECT min(id) FROM queue_subscriptions), ?, 5, 'timeout', '2026-11-29T18:05:00Z')`);
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(body(i));
      for (let i = 0; i < dead; i++) insertDead.run(body(0));
    })();
  } finally {
    db.close();
  }
  return home;
}

function bodies(home: string): string[] {
  const db = new Database(path.join(home, 'queue.db'), { readonly: true });
  try {
    return db.prepare('SELECT body FROM queue_messages UNION ALL SELECT body FROM queue_dead_letters').pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe('queueHolding', () => {
  it('finds and rewrites every body across pages, and nothing else', async () => {
    const home = await queueOf(23, 10, 3, 5);
    const needles = erasureNeedles({ supporterIds: ['sup_1'], emails: [], texts: [] });
    // Pages of 4: the matches fall across page boundaries, and the last page is short.
    expect(queueHolding(home, needles, { scrub: false, pageRows: 4 })).toMatchObject({ waiting: 8 });
    const done = queueHolding(home, needles, { scrub: true, pageRows: 4 });
    expect(done.waiting).toBe(8);
    expect(done.deadLetters).toHaveLength(5);
    const all = bodies(home);
    expect(all.filter((b) => b.includes('"sup_1"'))).toEqual([]);
    expect(all.filter((b) => b.includes(`"${needles[0]!.replacement}"`))).toHaveLength(13);
    expect(all.filter((b) => b.includes('"sup_10"'))).toHaveLength(15);
    expect(queueHolding(home, needles, { scrub: false, pageRows: 4 })).toEqual({ waiting: 0, deadLetters: [] });
  });

  it('erases a queue several times larger than its heap (bounded memory)', async () => {
    // 12,000 bodies of 20 kB, about 240 MB, in a process allowed 64 MB of heap.
    const home = await queueOf(12_000, 20_000, 100);
    const fixture = fileURLToPath(new URL('./support/queue-holding.ts', import.meta.url));
    const child = spawn(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', fixture, home, 'sup_1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ waiting: 120, dead_letters: 0 });
  }, 180_000);
});
