// Where landed files live in the lake. Keys are a pure function of table, partition and content, so a
// redelivered batch rewrites the same object instead of adding a second copy (DESIGN.md rule 4).
import { createHash } from 'node:crypto';

import type { TableRef } from '../core/ports.js';
import { dateParse, isoFromMs } from '../core/time.js';

export const LAKE_PREFIX = 'lake';

/**
 * The raw puddle's single table: every envelope as received. Its files are immutable (never compacted,
 * never replaced), which is what makes replay from raw trustworthy.
 */
export const RAW_TABLE: TableRef = { puddle: 'raw', contract: 'envelope', version: 1 };

/**
 * Where a file came from: a landed batch, a compaction, a replay or an erasure's rewrite (`puddle erase`,
 * puddles/erasure.ts). Kept apart so they never share a key.
 */
export type FileOrigin = 'b' | 'c' | 'r' | 'e';

/** A lake file an erasure rewrote (origin `e`): its name is the SHA-256 of its bytes (captured), not of its rows. */
export const ERASED_FILE_NAME = /\/e-([0-9a-f]{32})\.parquet$/;

export function isRawTable(t: TableRef): boolean {
  return t.puddle === RAW_TABLE.puddle;
}

/** `puddle/contract/vN`, handy as a map key. */
export function tableId(t: TableRef): string {
  return `${t.puddle}/${t.contract}/v${t.version}`;
}

export function tablePrefix(t: TableRef): string {
  return `${LAKE_PREFIX}/${tableId(t)}/`;
}

export function partitionPrefix(t: TableRef, dt: string): string {
  return `${tablePrefix(t)}dt=${dt}/`;
}

/** e.g. `lake/transactions/donation/v1/dt=2026-11-29/b-<hash>.parquet`. */
export function fileKey(t: TableRef, dt: string, origin: FileOrigin, hash: string): string {
  return `${partitionPrefix(t, dt)}${origin}-${hash}.parquet`;
}

/**
 * e.g. `lake/transactions/donation/v1/current/s-<hash>.parquet`: a contract's current state
 * (puddles/current-state.ts), outside every `dt=` partition, so compaction and partition listings never meet it.
 */
export function currentStateKey(t: TableRef, hash: string): string {
  return `${tablePrefix(t)}current/s-${hash}.parquet`;
}

/** Order-independent hash of a set of identities (envelope ids, input keys). */
export function setHash(parts: readonly string[]): string {
  return createHash('sha256')
    .update([...parts].sort().join('\n'))
    .digest('hex')
    .slice(0, 32);
}

/** The UTC calendar date of an instant, or null if it is not a time. */
export function utcDate(iso: unknown): string | null {
  if (typeof iso !== 'string') return null;
  const ms = dateParse(iso);
  if (Number.isNaN(ms)) return null;
  const d = isoFromMs(ms);
  // Years beyond 9999 serialise with a sign and would make a strange partition name.
  return /^\d{4}-/.test(d) ? d.slice(0, 10) : null;
}
