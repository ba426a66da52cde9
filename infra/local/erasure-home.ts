// What `puddle erase` does in the embedded home beside the lake (puddles/erasure.ts): the queue's bodies (waiting
// messages and dead letters), the bank files kept in inbox/bank/, and the erasure log.
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { holdsNeedle, scrubText, type ErasureNeedle } from '../../puddles/erasure-match.js';
import { openSqlite } from './sqlite.js';

/** The file the erasure log is appended to, in PUDDLE_HOME: one JSON object a line. */
export const ERASURE_LOG_FILE = 'erasure-log.jsonl';

export interface QueueMatches {
  /** Messages waiting to land that hold the person. */
  waiting: number;
  /** Dead letters holding the person, by puddle and their id in queue_dead_letters. */
  deadLetters: { puddle: string; id: number }[];
}

/**
 * Find (and with `scrub`, rewrite in place with the same tokens as the lake's files) every queued body holding the
 * person: a message still waiting lands erased, and a dead letter redriven later lands as the lake now holds it.
 * Nothing is deleted: an accepted event is never lost. The old bytes are overwritten (secure_delete, infra/local/sqlite.ts)
 * and the WAL checkpointed and truncated, so they do not stay in queue.db-wal either.
 */
export function queueHolding(home: string, needles: readonly ErasureNeedle[], opts: { scrub: boolean }): QueueMatches {
  const file = join(home, 'queue.db');
  if (!existsSync(file)) return { waiting: 0, deadLetters: [] };
  const db = openSqlite(file);
  try {
    const messages = (db.prepare('SELECT seq, body FROM queue_messages').all() as { seq: number; body: string }[]).filter((m) => holdsNeedle(m.body, needles));
    const dead = (
      db.prepare('SELECT d.id, s.name AS puddle, d.body FROM queue_dead_letters d JOIN queue_subscriptions s ON s.id = d.sub_id ORDER BY d.id').all() as {
        id: number;
        puddle: string;
        body: string;
      }[]
    ).filter((d) => holdsNeedle(d.body, needles));
    if (opts.scrub && (messages.length || dead.length)) {
      const setMessage = db.prepare('UPDATE queue_messages SET body = ? WHERE seq = ?');
      const setDead = db.prepare('UPDATE queue_dead_letters SET body = ? WHERE id = ?');
      db.transaction(() => {
        for (const m of messages) setMessage.run(scrubText(m.body, needles), m.seq);
        for (const d of dead) setDead.run(scrubText(d.body, needles), d.id);
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return { waiting: messages.length, deadLetters: dead.map(({ id, puddle }) => ({ puddle, id })) };
  } finally {
    db.close();
  }
}

/**
 * The bank files under inbox/bank/ (waiting, done/ and failed/, with their logs) that hold the person, named
 * relative to the home. They are the bank's statements as received, which the charity may have to keep: this
 * command names them and leaves them for the DPO to delete or redact (README, "An erasure request").
 */
export function bankFilesHolding(home: string, needles: readonly ErasureNeedle[]): string[] {
  const root = join(home, 'inbox', 'bank');
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (holdsNeedle(readFileSync(p, 'utf8'), needles)) found.push(relative(home, p));
    }
  };
  walk(root);
  return found;
}

/** What the erasure log keeps of a request: when, the DPO's reference, what changed. Never the person's identifiers. */
export interface ErasureLogEntry {
  at: string;
  ref: string;
  files_rewritten: number;
  rows_rewritten: number;
  files_deleted: number;
  tables: { table: string; files: number; rows: number }[];
  queued_messages_rewritten: number;
  dead_letters_rewritten: number;
  bank_files_left: number;
}

export function appendErasureLog(home: string, entry: ErasureLogEntry): string {
  const file = join(home, ERASURE_LOG_FILE);
  appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  return file;
}
