import type { Record as SfRecord } from 'jsforce';
import { RetriableError } from '../../core/errors.js';

// jsforce hands over whatever JSON a 200 carried. An answer that is not the resource's shape (an error body
// sent with 200, a proxy's page) would otherwise surface as a TypeError deep in a mapping, or worse, read as
// "nothing there" and move a bookmark past data. It is retriable, as Braintree's garbage is (search.ts): a
// glitch or a proxy passes; one that stays fails the run after the engine's retries, with these words. The
// detail names what was missing, never the answer's values (they may hold record data).

export interface DescribedField {
  name: string;
  calculated?: boolean;
  type?: string;
}

export interface QueryAnswer {
  records: SfRecord[];
  done: boolean;
  totalSize: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function unexpectedAnswer(what: string, detail: string): RetriableError {
  return new RetriableError(`salesforce: unexpected answer from Salesforce ${what}: ${detail}`);
}

/** A describe's fields, each with a name. */
export function describedFields(res: unknown, what: string): DescribedField[] {
  const fields = isObject(res) ? res.fields : undefined;
  if (!Array.isArray(fields)) throw unexpectedAnswer(what, 'no fields');
  if (!fields.every((f) => isObject(f) && typeof f.name === 'string')) throw unexpectedAnswer(what, 'a field without a name');
  return fields as DescribedField[];
}

/** One page of a query: its records and whether it was the last. */
export function queryAnswer(res: unknown, what: string): QueryAnswer {
  if (!isObject(res) || !Array.isArray(res.records)) throw unexpectedAnswer(what, 'no records');
  if (typeof res.done !== 'boolean') throw unexpectedAnswer(what, 'no done flag');
  if (!res.records.every(isObject)) throw unexpectedAnswer(what, 'a record that is not an object');
  return { records: res.records as SfRecord[], done: res.done, totalSize: typeof res.totalSize === 'number' ? res.totalSize : res.records.length };
}

/**
 * A Bulk 2.0 query job's state, its error when it failed, and once complete how many records its results hold
 * (`numberRecordsProcessed`, which bulk-backfill.ts checks the rows it read against).
 */
export function bulkJobState(res: unknown, what: string): { state: string; errorMessage?: string; records?: number } {
  if (!isObject(res) || typeof res.state !== 'string') throw unexpectedAnswer(what, 'no job state');
  const n = res.numberRecordsProcessed;
  const records = typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
  if (res.state === 'JobComplete' && records === undefined) throw unexpectedAnswer(what, 'a complete job without its numberRecordsProcessed');
  return { state: res.state, errorMessage: typeof res.errorMessage === 'string' ? res.errorMessage : undefined, records };
}

/** A Bulk 2.0 query job just created: its id and creation time (the REST streams start from it). */
export function bulkJobCreated(res: unknown, what: string): { id: string; createdDate: string } {
  if (!isObject(res) || typeof res.id !== 'string' || res.id === '') throw unexpectedAnswer(what, 'no job id');
  const created = typeof res.createdDate === 'string' ? res.createdDate : '';
  if (Number.isNaN(Date.parse(created.replace(/\+0000$/, 'Z')))) throw unexpectedAnswer(what, 'no job creation time');
  return { id: res.id, createdDate: created };
}

/** `limits/recordCount`: a count per object. */
export function recordCounts(res: unknown, what: string): { name: string; count: number }[] {
  const list = isObject(res) ? res.sObjects : undefined;
  if (!Array.isArray(list) || !list.every((s) => isObject(s) && typeof s.name === 'string' && typeof s.count === 'number')) throw unexpectedAnswer(what, 'no sObjects counts');
  return list as { name: string; count: number }[];
}
