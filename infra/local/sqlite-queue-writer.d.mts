import type { Database } from 'better-sqlite3';
import type { EnvelopeTexts } from '../../core/envelope.js';

/** Bodies as one string and their lengths (how they wait for the group commit and go into the writer thread's ring). */
export type PackedBodies = EnvelopeTexts;
export declare function packBodies(bodies: readonly string[]): PackedBodies;

/** The queue_meta row holding the latest received time issued (see sqlite-queue-writer.mjs). */
export declare const RECEIVED_AT_KEY: string;

/**
 * Bodies as the queue's writer takes them: as published, or from the writer thread's ring, where a run of ASCII
 * text comes as its UTF-8 bytes (a byte a character, so the lengths count bytes too), stored as text all the same.
 */
export interface TakenBodies {
  text: string | Buffer;
  lengths: ArrayLike<number>;
}

/**
 * A group of publishes for QueueWriter.write: contracts[i] is the contract of the i-th body of `packs` (packed per
 * publish); `rows`, one number per publish: n > 0, its n bodies are one pack whose received time is the next of
 * `receivedAt`; -k, its k bodies are a row each. Without `rows` every body is a row.
 */
export interface WriteGroup<B extends TakenBodies = PackedBodies> {
  contracts: string[];
  packs: B[];
  rows?: number[];
  receivedAt?: string[];
}
/** Several groups as one, in order (each list concatenated). */
export declare function joinGroups<B extends TakenBodies>(groups: readonly WriteGroup<B>[]): WriteGroup<B>;

/** See sqlite-queue-writer.mjs: routes and writes one group of publishes in one transaction. */
export declare class QueueWriter {
  constructor(db: Database);
  /** `receivedMs`, when given, is kept as the latest received time (never lowered). */
  readonly write: (group: WriteGroup<TakenBodies>, receivedMs?: number) => void;
}
