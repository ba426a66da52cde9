import type { TakenBodies, WriteGroup } from './sqlite-queue-writer.mjs';

export declare const INLINE: number;
export declare const ON_PORT: number;
export declare const STOP: number;
export declare function createRing(capacity: number): SharedArrayBuffer;

/** The event loop's end of the ring (see sqlite-queue-ring.mjs). */
export declare class RingWriter {
  constructor(sab: SharedArrayBuffer);
  /** Bytes for records. */
  readonly capacity: number;
  /** Where the next record goes (bytes from the start of the records). */
  readonly head: number;
  write(group: WriteGroup, receivedMs?: number): 'written' | 'full' | 'large';
  mark(kind: number): boolean;
}

export interface RingRecord {
  kind: number;
  /** Runs of ASCII bodies come as their bytes (TakenBodies). */
  group?: WriteGroup<TakenBodies>;
  receivedMs?: number;
}

/** The writer thread's end of the ring. */
export declare class RingReader {
  constructor(sab: SharedArrayBuffer);
  wait(): void;
  /** Records written since the last call; ASCII runs are views of the ring, valid until release(). */
  takeAll(): RingRecord[];
  /** Gives back the space of every record taken. */
  release(): void;
}
