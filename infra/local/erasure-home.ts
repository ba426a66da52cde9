// What `puddle erase` does in the embedded home beside the lake (puddles/erasure.ts): the queue's bodies (waiting
// messages and dead letters), the bank files kept in inbox/bank/, and the erasure log.
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

import { holdsNeedle, scrubText, type ErasureNeedle } from '../../puddles/erasure-match.js';
import { encodeLengths, splitPack } from './sqlite-queue-pack.mjs';
import { hasColumn, openSqlite, truncateWal } from './sqlite.js';

/** The file the erasure log is appended to, in PUDDLE_HOME: one JSON object a line. */
export const ERASURE_LOG_FILE = 'erasure-log.jsonl';

export interface QueueMatches {
  /** Messages (events) waiting to land that hold the person: each event of a pack counts. */
  waiting: number;
  /** Dead letters holding the person, by puddle and their id in queue_dead_letters. */
  deadLetters: { puddle: string; id: number }[];
}

/** Rows read at a time: an appeal night's queue holds gigabytes of bodies, and only one page of them is in memory. */
const QUEUE_PAGE_ROWS = 256;

/**
 * Find (and with `scrub`, rewrite in place with the same tokens as the lake's files) every queued body holding the
 * person: a message still waiting lands erased, and a dead letter redriven later lands as the lake now holds it.
 * Nothing is deleted: an accepted event is never lost. The old bytes are overwritten (secure_delete, infra/local/sqlite.ts)
 * and the WAL checkpointed and truncated, so they do not stay in queue.db-wal either.
 *
 * Paged by id, `pageRows` bodies at a time, each page read and rewritten in one write transaction: memory stays
 * bounded by a page however long the queue (until 2026-12-04 every body was read at once), and a hub's publish or
 * a `dead-letters redrive` waits between pages, not for the whole scan. Dead letters first: a redrive moves one to
 * the end of the messages, which the messages' scan, reading up to the last id when it gets there, then finds.
 */
export function queueHolding(home: string, needles: readonly ErasureNeedle[], opts: { scrub: boolean; pageRows?: number }): QueueMatches {
  const file = join(home, 'queue.db');
  if (!existsSync(file)) return { waiting: 0, deadLetters: [] };
  const db = openSqlite(file);
  const limit = opts.pageRows ?? QUEUE_PAGE_ROWS;
  try {
    const dead = db.prepare(
      'SELECT d.id, s.name AS puddle, d.body FROM queue_dead_letters d JOIN queue_subscriptions s ON s.id = d.sub_id WHERE d.id > ? ORDER BY d.id LIMIT ?',
    );
    const deadLetters: { puddle: string; id: number }[] = [];
    const setDead = db.prepare('UPDATE queue_dead_letters SET body = ? WHERE id = ?');
    scanPages(db, dead as Page, limit, opts.scrub ? (row, s) => setDead.run(s.body, row.id) : null, needles, (row) =>
      deadLetters.push({ puddle: row.puddle!, id: row.id }),
    );
    // A pack (a producer's request, sqlite-queue-pack.mjs) is scrubbed event by event and kept with its new lengths.
    // A queue.db no hub has opened since packs came has no lengths yet: every row there is one event.
    const packs = hasColumn(db, 'queue_messages', 'lengths');
    const messages = db.prepare(`SELECT seq AS id, body, ${packs ? 'lengths' : 'NULL AS lengths'} FROM queue_messages WHERE seq > ? ORDER BY seq LIMIT ?`);
    const setMessage = opts.scrub ? db.prepare(packs ? 'UPDATE queue_messages SET body = ?, lengths = ? WHERE seq = ?' : 'UPDATE queue_messages SET body = ? WHERE seq = ?') : null;
    let waiting = 0;
    const write = setMessage ? (row: PageRow, s: Scrubbed) => setMessage.run(...(packs ? [s.body, s.lengths, row.id] : [s.body, row.id])) : null;
    scanPages(db, messages as Page, limit, write, needles, (_row, events) => (waiting += events));
    if (opts.scrub && (waiting || deadLetters.length)) cutWal(db, file, 'the queued bodies');
    return { waiting, deadLetters };
  } finally {
    db.close();
  }
}

/**
 * After rows were rewritten: their old bytes may still be in the WAL, so it is checkpointed and cut back. Until
 * 2026-12-04 a checkpoint another connection ran at that moment left them there unsaid (test/erase-cli.test.ts
 * failed so, beside a queue open in the test's process). Thrown before the lake's swap: the run stops as a crash
 * would, and the same request run again takes the same tokens (erasure-run.ts).
 */
function cutWal(db: ReturnType<typeof openSqlite>, file: string, what: string): void {
  if (truncateWal(db)) return;
  throw new Error(`erase: ${what} are rewritten, but ${file}-wal could not be cut back (another connection kept ${basename(file)} busy, checkpointing or reading it, for 10 s), so their old bytes may still be in it: close what else has this home open and run the same erase again`);
}

interface PageRow {
  id: number;
  body: string;
  /** A pack's lengths (null: the row is one event). */
  lengths?: Buffer | null;
  puddle?: string;
}
type Page = { all(after: number, limit: number): PageRow[] };

interface Scrubbed {
  /** Events of the row that held the person. */
  events: number;
  body: string;
  lengths: Buffer | null;
}

/** A row without the person, or null when it does not hold them. A pack is scrubbed event by event. */
function scrubRow(row: PageRow, needles: readonly ErasureNeedle[]): Scrubbed | null {
  if (!holdsNeedle(row.body, needles)) return null;
  const bodies = row.lengths ? splitPack(row.body, row.lengths) : null;
  // One event, or a pack whose lengths do not fit its text (changed by hand; the queue drops it): scrubbed whole.
  if (!bodies) return { events: 1, body: scrubText(row.body, needles), lengths: row.lengths ?? null };
  let events = 0;
  const out = bodies.map((b) => {
    if (!holdsNeedle(b, needles)) return b;
    events++;
    return scrubText(b, needles);
  });
  return events ? { events, body: out.join(''), lengths: encodeLengths(out.map((b) => b.length), 0, out.length) } : null;
}

/** Each page of `page` after the last id seen, its matching rows rewritten by `write` (when given) in the page's own write transaction. */
function scanPages(db: ReturnType<typeof openSqlite>, page: Page, limit: number, write: ((row: PageRow, scrubbed: Scrubbed) => unknown) | null, needles: readonly ErasureNeedle[], found: (row: PageRow, events: number) => void): void {
  const one = (after: number): number | null => {
    const rows = page.all(after, limit);
    for (const row of rows) {
      const scrubbed = scrubRow(row, needles);
      if (!scrubbed) continue;
      write?.(row, scrubbed);
      found(row, scrubbed.events);
    }
    return rows.length < limit ? null : rows.at(-1)!.id;
  };
  // IMMEDIATE: the page is read under the write lock, so no redrive or landing changes it between read and rewrite.
  const step = write ? (after: number) => db.transaction(one).immediate(after) : one;
  for (let after: number | null = 0; after !== null; ) after = step(after);
}

/**
 * Find (and with `scrub`, rewrite in place with the same tokens as the lake's files) the supplier feeds' rows in
 * feeds.db that hold the person: how many. A row keeps its position, so no supplier's cursor moves; from then on it
 * is served erased. What a supplier fetched before is theirs to erase (docs/configuration.md, "An erasure request").
 * Until 2026-12-06 feeds.db was left as it was, and a giro request a person's details had been sent in went on being
 * served after their erasure (user test). Rows kept out of sight (feeds.ts, FeedDef.filter) are rewritten too.
 */
export function feedRowsHolding(home: string, needles: readonly ErasureNeedle[], opts: { scrub: boolean }): number {
  const file = join(home, 'feeds.db');
  if (!existsSync(file)) return 0;
  const db = openSqlite(file);
  try {
    // The giro feed is schools, a few thousand rows: read at once, in one write transaction when rewriting.
    const scan = () => {
      const set = db.prepare('UPDATE feed_row SET row = ? WHERE position = ?');
      let found = 0;
      for (const r of db.prepare('SELECT position, row FROM feed_row').all() as { position: number; row: string }[]) {
        if (!holdsNeedle(r.row, needles)) continue;
        found++;
        if (opts.scrub) set.run(scrubText(r.row, needles), r.position);
      }
      return found;
    };
    const found = opts.scrub ? db.transaction(scan).immediate() : scan();
    if (opts.scrub && found) cutWal(db, file, 'the feed rows');
    return found;
  } finally {
    db.close();
  }
}

/**
 * The bank files under inbox/bank/ (waiting, done/ and failed/, with their logs) that hold the person, named
 * relative to the home. They are the bank's statements as received, which the charity may have to keep: this
 * command names them and leaves them for the DPO to delete or redact (docs/configuration.md, "An erasure request").
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

/**
 * What the erasure log keeps of a request: when, the DPO's reference, what changed, and which rows (by envelope id, a
 * hash of the record). Never the person's identifiers.
 */
export interface ErasureLogEntry {
  at: string;
  ref: string;
  files_rewritten: number;
  rows_rewritten: number;
  files_deleted: number;
  tables: { table: string; files: number; rows: number }[];
  /** Per table, the envelope ids of the rows rewritten (ErasureResult.ids): what a warehouse must load again. */
  rewritten_ids: Record<string, string[]>;
  queued_messages_rewritten: number;
  dead_letters_rewritten: number;
  feed_rows_rewritten: number;
  bank_files_left: number;
}

export function appendErasureLog(home: string, entry: ErasureLogEntry): string {
  const file = join(home, ERASURE_LOG_FILE);
  appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  return file;
}
