/** Most events in one pack (see sqlite-queue-pack.mjs). */
export declare const PACK_MAX: number;
export declare function encodeLengths(lengths: ArrayLike<number>, from: number, to: number): Buffer;
export declare function splitPack(text: string, blob: Uint8Array): string[] | null;
export declare function isSettled(bits: Uint8Array | null, i: number): boolean;
export declare function withSettled(bits: Uint8Array | null, n: number, indexes: Iterable<number>): { bits: Buffer; newly: number };
export declare function settledCount(bits: Uint8Array | null): number;
