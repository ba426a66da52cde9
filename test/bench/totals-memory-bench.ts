// The live totals' memory per donation and apply speed (puddles/live-totals.ts), printed, not asserted. Two
// phases over one LiveTotals, each on its own state:
//  1. rebuild: `n` donations, one current version each, applied as the rebuild does (applyColumns, pages of
//     10,000 rows: puddles/totals-sql.ts);
//  2. live: `n` rows landed as consumers land them (applyRows, batches of 50), nine in ten new donations, the
//     rest a newer version of an earlier donation or a re-send of its current version (the tie path).
// After each, the heap and external (typed array) bytes kept, after a forced GC, per donation held.
// Keys are like a producer's (`website:don_` and 8 to 28 hex digits: 20 to 40 characters), _ids like
// envelopeId's (32 hex digits), every string flat and of its own, as rows from DuckDB or a landing thread are.
// Run: `node --expose-gc --import tsx test/bench/totals-memory-bench.ts [n=2000000]`; PUDDLE_BENCH_TOTALS_MODULE=<file>
// runs it over another copy of live-totals.ts instead (an older commit's, say, to compare on the same machine).
import { pathToFileURL } from 'node:url';
import type { Cell } from '../../puddles/parquet-writer.js';

type Module = typeof import('../../puddles/live-totals.js');
type LiveTotals = InstanceType<Module['LiveTotals']>;
const other = process.env.PUDDLE_BENCH_TOTALS_MODULE;
const { DONATION_COLUMNS, LiveTotals } = (await import(other ? pathToFileURL(other).href : '../../puddles/live-totals.js')) as Module;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const SOURCES = ['website', 'sms', 'ivr', 'callcentre', 'stripe'];
const CHANNELS = ['online', 'sms', 'ivr', 'call_centre'];
const T0 = Date.UTC(2026, 10, 27, 19, 0, 0);
const scratch = Buffer.alloc(64);

/** A 32-bit mix of (a, b): the same inputs always give the same strings. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** `prefix` then `digits` hex digits from (i, salt), as a flat string of its own (not a slice or a concatenation). */
function text(prefix: string, digits: number, i: number, salt: number): string {
  const at = scratch.write(prefix, 'latin1');
  for (let d = 0; d < digits; d += 8) scratch.write(mix(i, salt + d).toString(16).padStart(8, '0'), at + d, 'latin1');
  return scratch.toString('latin1', 0, at + digits);
}

const keyOf = (i: number) => text(`${SOURCES[i % SOURCES.length]}:don_`, 8 + (mix(i, 1) % 21), i, 100);
const idOf = (i: number, version: number) => text('', 32, i, 1000 * (version + 1));

/** Donation i's row at `version` (later versions changed later, the last one paid a pound more). */
function row(i: number, version: number): Record<string, Cell> {
  const occurred = T0 + i * 10;
  return {
    donation_id: keyOf(i),
    _id: idOf(i, version),
    occurred_at: occurred,
    _received_at: occurred + 60_000 + version * 600_000,
    _received_seq: i % 50,
    _changed_at: occurred + version * 600_000,
    status: version === 2 ? 'failed' : 'paid',
    amount_minor: 500 + (i % 100) * 100 + version * 100,
    channel: CHANNELS[i % CHANNELS.length]!,
    campaign: `campaign-${i % 4}`,
    cta: `cta-${i % 8}`,
    currency: i % 40 === 0 ? 'EUR' : 'GBP',
  };
}

function keptBytes(): { heap: number; external: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external };
}

function report(label: string, totals: LiveTotals, before: { heap: number; external: number }, ms: number, rows: number, slowest: number): void {
  const after = keptBytes();
  const n = totals.donations;
  const heap = (after.heap - before.heap) / n;
  const external = (after.external - before.external) / n;
  console.log(
    `${label}: ${rows.toLocaleString('en-GB')} rows, ${n.toLocaleString('en-GB')} donations in ${(ms / 1000).toFixed(2)} s ` +
      `(${((ms * 1e6) / rows).toFixed(0)} ns a row); kept ${(heap + external).toFixed(1)} B a donation ` +
      `(heap ${heap.toFixed(1)}, external ${external.toFixed(1)}), ${((after.heap + after.external - before.heap - before.external) / 1e6).toFixed(0)} MB; ` +
      `slowest call ${slowest.toFixed(0)} ms`,
  );
}

function rebuildPhase(totals: LiveTotals, n: number): void {
  const before = keptBytes();
  const page = 10_000;
  let ms = 0;
  let slowest = 0;
  for (let from = 0; from < n; from += page) {
    const rows = Array.from({ length: Math.min(page, n - from) }, (_, r) => row(from + r, 0));
    const columns = DONATION_COLUMNS.map((c) => rows.map((r) => r[c]));
    const t = performance.now();
    totals.applyColumns({ names: DONATION_COLUMNS, columns, rowCount: rows.length }, T0 + 86_400_000);
    const took = performance.now() - t;
    ms += took;
    slowest = Math.max(slowest, took);
  }
  report('rebuild (applyColumns)', totals, before, ms, n, slowest);
}

function livePhase(totals: LiveTotals, n: number): void {
  // Which version each donation is at: made before the baseline, so not counted as the totals' memory.
  const versions = new Uint8Array(n);
  const before = keptBytes();
  let made = 0;
  let rows = 0;
  let ms = 0;
  // The longest the event loop would have been held by one batch: a pause to grow shows here.
  let slowest = 0;
  let seed = 7;
  while (made < n) {
    const batch: Record<string, Cell>[] = [];
    for (let b = 0; b < 50 && made < n; b++, rows++) {
      seed = mix(seed, rows);
      const earlier = made > 0 ? seed % made : 0;
      if (made === 0 || seed % 10 < 9) batch.push(row(made++, 0));
      // A newer version (up to two), else the current one sent again.
      else if (seed % 20 === 19 && versions[earlier]! < 2) batch.push(row(earlier, ++versions[earlier]!));
      else batch.push(row(earlier, versions[earlier]!));
    }
    const t = performance.now();
    totals.applyRows(batch, T0 + 86_400_000);
    const took = performance.now() - t;
    ms += took;
    slowest = Math.max(slowest, took);
  }
  report('live (applyRows, batches of 50)', totals, before, ms, rows, slowest);
}

const n = Number(process.argv[2] ?? 2_000_000);
console.log(`node ${process.version}, ${n.toLocaleString('en-GB')} donations a phase`);
const totals = new LiveTotals();
rebuildPhase(totals, n);
totals.clear();
livePhase(totals, n);
