// Growing the typed arrays that hold per-donation state (puddles/live-totals.ts, string-slot-map.ts, slot-ids.ts):
// millions of donations on an appeal night. Doubling leaves an array up to half empty just after it grows (a quarter
// on average); growing by half leaves at most a third empty (a sixth on average), for copying each element about
// twice over its life instead of once.

export type GrowableArray = Uint8Array | Int32Array | Uint32Array | Float64Array;

/** `a`, or a copy of it with room for at least `length` elements (half as long again as `a`, at least). */
export function grown<T extends GrowableArray>(a: T, length: number): T {
  if (length <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(length, Math.ceil(a.length * 1.5)));
  b.set(a);
  return b;
}
