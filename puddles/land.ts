// Landing one batch: envelopes -> one Parquet file per table partition -> store -> catalog.
// Writing is idempotent (keys derive from the rows' identities) and registering is idempotent by key,
// so a crash anywhere before the ack only means the batch is landed again, onto the same keys.
import { RAW_ONLY_CONTRACT, type Envelope } from '../core/envelope.js';
import type { Catalog, CatalogFile, ObjectStore } from '../core/ports.js';
import { dateParse } from '../core/time.js';
import type { PuddleDef } from './definitions.js';
import { puddleFor } from './definitions.js';
import { fileKey, setHash, tableId, type FileOrigin } from './layout.js';
import { columnsFor, contractRow, quarantineRow, rawRow, type LandingRow } from './landing-rows.js';
import { writeParquet } from './parquet-writer.js';
import { compareArrivals, positionOf, type Arrival } from './version-order.js';

export interface LandResult {
  files: CatalogFile[];
  /** Rows written to the puddle's own tables (raw rows for `raw`). */
  rows: number;
  quarantined: number;
  /** The rows written (contract and quarantine rows, and raw rows for `raw`), for landed listeners. */
  landed: LandingRow[];
}

/**
 * Build the rows for one batch: the puddle's contract rows plus quarantine rows for what failed.
 * `bodies[i]`, when given, is envelope i's JSON text as queued; raw keeps it instead of serialising again.
 */
export function rowsForBatch(
  puddle: PuddleDef,
  envelopes: readonly Envelope[],
  bodies?: readonly (string | undefined)[],
): { rows: LandingRow[]; quarantined: number } {
  const rows: LandingRow[] = [];
  let quarantined = 0;
  /** Identity -> the envelope whose row is kept, and where that row is. */
  const seen = new Map<string, { env: Envelope; at: number }>();
  for (let i = 0; i < envelopes.length; i++) {
    const env = envelopes[i]!;
    // A message can be in one batch twice (re-published with the same id): the first arrival wins, wherever it
    // is in the batch. SQS hands messages out in no order, so a request sent again may come before the first
    // one: keeping that copy would move the version to the later arrival, where it can beat a correction.
    // raw keeps each delivery, so there the delivery (arrival and delivery id) is part of the identity.
    if (typeof env.id === 'string') {
      const identity = puddle.contracts === '*' ? `${env.id}|${env.received_at}|${env.delivery_id}` : env.id;
      const kept = seen.get(identity);
      if (kept) {
        if (puddle.contracts !== '*' && arrivedBefore(env, kept.env)) {
          const r = contractRow(env, puddle.name);
          // The same payload validates alike; only a row that lands is swapped for its earlier copy.
          if (r.ok && rows[kept.at]!.table.contract === r.row.table.contract) {
            rows[kept.at] = r.row;
            kept.env = env;
          }
        }
        continue;
      }
      seen.set(identity, { env, at: rows.length });
    }
    if (puddle.contracts === '*') {
      rows.push(rawRow(env, bodies?.[i] ?? JSON.stringify(env)));
      // No contract puddle will ever see an envelope for a contract nobody lands: quarantine it here.
      if (env.contract !== RAW_ONLY_CONTRACT && (typeof env.contract !== 'string' || !puddleFor(env.contract))) {
        rows.push(quarantineRow(env, [{ path: 'envelope.contract', message: `no puddle lands contract ${String(env.contract)}` }]));
        quarantined++;
      }
      continue;
    }
    const r = contractRow(env, puddle.name);
    if (r.ok) rows.push(r.row);
    else {
      rows.push(quarantineRow(env, r.reasons));
      quarantined++;
    }
  }
  return { rows, quarantined };
}

/** Whether `a` arrived before `b` (puddles/version-order.ts: _received_at, then the place in its request). */
function arrivedBefore(a: Envelope, b: Envelope): boolean {
  const arrival = (e: Envelope): Arrival => ({ received: dateParse(String(e.received_at)), seq: positionOf(e.received_seq) });
  return compareArrivals(arrival(a), arrival(b)) < 0;
}

/** Write rows as one file per table partition and return the catalog entries (not yet registered). */
export async function writeRowFiles(store: ObjectStore, rows: readonly LandingRow[], origin: FileOrigin): Promise<CatalogFile[]> {
  const groups = new Map<string, LandingRow[]>();
  for (const r of rows) {
    const g = `${tableId(r.table)}|${r.dt}`;
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(r);
  }
  const files: CatalogFile[] = [];
  for (const group of groups.values()) {
    const { table, dt } = group[0]!;
    const key = fileKey(table, dt, origin, setHash(group.map((r) => r.identity)));
    const bytes = await writeParquet(
      columnsFor(table),
      group.map((r) => r.row),
    );
    await store.put(key, bytes);
    files.push({ ...table, key, dt, rows: group.length, bytes: bytes.byteLength, added_at: new Date().toISOString() });
  }
  return files;
}

/** Land a batch: write its files, then register them. The caller acks only after this resolves. */
export async function landEnvelopes(opts: {
  puddle: PuddleDef;
  store: ObjectStore;
  catalog: Catalog;
  envelopes: readonly Envelope[];
  /** Each envelope's JSON text as queued, where known (ClaimedMessage.body). */
  bodies?: readonly (string | undefined)[];
}): Promise<LandResult> {
  const { rows, quarantined } = rowsForBatch(opts.puddle, opts.envelopes, opts.bodies);
  const files = await writeRowFiles(opts.store, rows, 'b');
  if (files.length) await opts.catalog.addFiles(files);
  return { files, rows: rows.length - quarantined, quarantined, landed: rows };
}
