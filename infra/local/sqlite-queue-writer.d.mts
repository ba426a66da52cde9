import type { Database } from 'better-sqlite3';
import type { EnvelopeTexts } from '../../core/envelope.js';

/** Bodies as one string and their lengths (how they wait for the group commit and cross to the writer thread). */
export type PackedBodies = EnvelopeTexts;
export declare function packBodies(bodies: readonly string[]): PackedBodies;
/** Runs of small packs joined into one, in order (fewer objects for postMessage to clone). */
export declare function joinSmallPacks(packs: readonly PackedBodies[]): PackedBodies[];
export declare function unpackAll(packs: readonly PackedBodies[]): string[];
export declare function unpackBodies(text: string, lengths: ArrayLike<number>): string[];

/** See sqlite-queue-writer.mjs: routes and writes one group of publishes in one transaction. */
export declare class QueueWriter {
  constructor(db: Database);
  /** contracts[i] is the contract of bodies[i]. */
  readonly write: (contracts: readonly string[], bodies: readonly string[]) => void;
}
