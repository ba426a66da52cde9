// A confirmed erasure on the embedded home (`puddle erase --confirm`), once the command holds the home's locks:
// the salt kept until the run completes, the lake's files (puddles/erasure.ts), the queue's bodies between their
// rewrite and their swap, the bank files named, the erasure log.
import type { Catalog, ObjectStore } from '../../core/ports.js';
import { eraseFromLake, ErasureRefused, requestNeedles } from '../../puddles/erasure.js';
import type { ErasureRequest } from '../../puddles/erasure-match.js';
import { appendErasureLog, bankFilesHolding, feedRowsHolding, queueHolding, type ErasureLogEntry, type QueueMatches } from './erasure-home.js';
import { erasureSalt, type PendingErasure } from './erasure-pending.js';

/** What a request whose values nothing holds is told, dry run or confirmed. */
export const NOTHING_HELD =
  "nothing in the lake, the queue, the supplier feeds or the bank files holds these values: check them (ids are matched exactly, case included, and a Salesforce id has 15 or 18 characters). If the charity truly holds nothing of the person, --confirm --ref REF --nothing-held records the request in the erasure log";

export interface ConfirmedErasure {
  entry: ErasureLogEntry;
  deadLetters: QueueMatches['deadLetters'];
  bankFiles: string[];
  log: string;
  /** An earlier run of this request that did not complete, whose tokens this one took. */
  resumed: PendingErasure | null;
}

/**
 * Throws ErasureRefused when nothing was swapped (the pending salt is kept if the queue was already rewritten), and
 * when nothing anywhere held the values, unless `nothingHeld` says the charity knows it holds nothing of the person:
 * until 2026-12-06 an id mistyped on the phone (ids are matched exactly, case included) erased nothing, exited 0 and
 * went into the erasure log as done (a user test).
 */
export async function confirmErasure(opts: { home: string; store: ObjectStore; catalog: Catalog; request: ErasureRequest; ref: string; now: Date; nothingHeld?: boolean }): Promise<ConfirmedErasure> {
  const { home, request, ref } = opts;
  // Before the first write: a run again after a crash anywhere from here on takes the same tokens.
  const salt = erasureSalt(home, request, ref, opts.now);
  const { needles } = await requestNeedles({ store: opts.store, catalog: opts.catalog, request, salt: salt.salt });
  const bankFiles = bankFilesHolding(home, needles);
  // The queue between writing the lake's rewrites and swapping them in: a run refused while rewriting (a value
  // that would break raw's JSON) changes nothing anywhere, and a message waiting to land then lands erased, with
  // the lake's tokens. A crash between the two leaves the lake as it was, for the next run, with the same salt,
  // to erase under the tokens the queue already has.
  let queue: QueueMatches | undefined;
  let feedRows = 0;
  let result;
  try {
    // The feeds' rows with the queue: a supplier's next page is served erased once the lake is.
    const beforeSwap = () => {
      queue ??= queueHolding(home, needles, { scrub: true });
      feedRows = feedRowsHolding(home, needles, { scrub: true });
    };
    result = await eraseFromLake({ store: opts.store, catalog: opts.catalog, needles, beforeSwap });
  } catch (err) {
    // Refused before anything was written: the next run may well name other values, and needs no salt of this one.
    if (err instanceof ErasureRefused && !queue) salt.done();
    throw err;
  }
  queue ??= { waiting: 0, deadLetters: [] };
  const touched = result.rowsRewritten + result.filesDeleted + queue.waiting + queue.deadLetters.length + feedRows + bankFiles.length;
  // A run that completes an earlier one cut short may find its work done already: that is no mistyped value.
  if (touched === 0 && !opts.nothingHeld && !salt.resumed) {
    salt.done();
    throw new ErasureRefused(NOTHING_HELD);
  }
  const entry: ErasureLogEntry = {
    at: new Date().toISOString(),
    ref,
    files_rewritten: result.filesRewritten,
    rows_rewritten: result.rowsRewritten,
    files_deleted: result.filesDeleted,
    tables: result.tables,
    rewritten_ids: result.ids,
    queued_messages_rewritten: queue.waiting,
    dead_letters_rewritten: queue.deadLetters.length,
    feed_rows_rewritten: feedRows,
    bank_files_left: bankFiles.length,
  };
  const log = appendErasureLog(home, entry);
  salt.done();
  return { entry, deadLetters: queue.deadLetters, bankFiles, log, resumed: salt.resumed };
}
