// Replay: re-derive a contract's puddle files from `raw`, which keeps every envelope as delivered.
// Used after a bad deploy, a lost or corrupt file, or a contract fix. Each touched partition's old files
// are swapped for the new ones in one atomic replaceFiles; the old objects go the garbage route.
import { CONTRACTS, getContract } from '../core/contracts/index.js';
import type { Envelope } from '../core/envelope.js';
import type { Catalog, CatalogFile, ObjectStore } from '../core/ports.js';
import { puddleFor } from './definitions.js';
import { withConnection } from './duckdb.js';
import { readParquetSql, sqlString } from './sql-text.js';
import { writeRowFiles } from './land.js';
import type { FieldError } from '../core/contracts/index.js';
import { contractRow, QUARANTINE_TABLE, quarantineRow, type LandingRow } from './landing-rows.js';
import { RAW_TABLE } from './layout.js';
import { withLocalFiles } from './local-files.js';

export interface ReplayResult {
  contract: string;
  /** Raw envelopes read for this contract. */
  read: number;
  /** Rows written (after de-duplication, inside [from, to]). */
  rows: number;
  /** Envelopes that fail today's contract: landing put them in quarantine, unless they landed under an older rule. */
  invalid: number;
  /**
   * Of those, the ones the quarantine did not hold yet (they had landed under an older, looser rule): put there now,
   * as landing puts a refused record, so a replay never drops a record it cannot land (catalog rebuild does the same).
   */
  quarantined: number;
  partitions: string[];
  filesRemoved: number;
  filesAdded: number;
  /** Files kept because they hold a row raw does not have yet (raw lands behind the contract puddles). */
  filesKept: number;
}

/**
 * The contracts a replay re-derives: every one a puddle lands, except `quarantine`. Quarantine holds what did
 * not land, and re-deriving its rows lands none of their records (what landing refused is not even in raw as a
 * quarantine envelope: a replay of it said "read: 0" and exited 0); `puddle quarantine retry` lands them.
 */
export function replayableContracts(): string[] {
  return [...CONTRACTS.keys()].filter((c) => c !== QUARANTINE_TABLE.contract && puddleFor(c) !== undefined).sort();
}

/** `from`/`to` are inclusive `YYYY-MM-DD` bounds on the occurred_at date; omitted means unbounded. */
export async function replay(opts: {
  store: ObjectStore;
  catalog: Catalog;
  contract: string;
  from?: string;
  to?: string;
}): Promise<ReplayResult> {
  const { store, catalog, contract, from, to } = opts;
  const inRange = (dt: string) => (from === undefined || dt >= from) && (to === undefined || dt <= to);
  const fallbackPuddle = puddleFor(contract)?.name ?? contract;
  if (!getContract(contract, 1) && !puddleFor(contract)) throw new Error(`unknown contract ${contract}`);

  const rawFiles = await catalog.listFiles({ puddle: RAW_TABLE.puddle, contract: RAW_TABLE.contract, version: RAW_TABLE.version });
  const rows: LandingRow[] = [];
  const seen = new Set<string>();
  let read = 0;
  let invalid = 0;
  const refused: { env: Envelope; reasons: readonly FieldError[] }[] = [];
  if (rawFiles.length) {
    await withLocalFiles(store, rawFiles.map((f) => f.key), (paths) =>
      withConnection(async (conn) => {
        // Raw partitions by received_at, not occurred_at, so every raw file is read; first arrival first.
        const result = await conn.stream(
          `SELECT envelope FROM ${readParquetSql(paths)} WHERE contract = ${sqlString(contract)} ORDER BY received_at, id, delivery_id`,
        );
        for await (const chunk of result.yieldRowsJs()) {
          for (const [text] of chunk) {
            read++;
            const env = JSON.parse(String(text)) as Envelope;
            if (seen.has(env.id)) continue;
            seen.add(env.id);
            const r = contractRow(env, fallbackPuddle);
            if (!r.ok) {
              invalid++;
              refused.push({ env, reasons: r.reasons });
            } else if (inRange(r.row.dt)) rows.push(r.row);
          }
        }
      }),
    );
  }

  const contractFiles = (await catalog.listFiles({ contract })).filter((f) => f.puddle !== RAW_TABLE.puddle);
  const inScope = contractFiles.filter((f) => !f.current && inRange(f.dt));
  // The contract's current state may hold rows the replay takes away: it goes in the same swap, views read
  // the whole history until the next fold, and that fold starts over (puddles/current-state.ts).
  const state = contractFiles.filter((f) => f.current);
  // A file with a row raw has not landed yet (the hub running beside this, raw a batch behind) must stay:
  // removing it would drop an accepted record that the replay cannot bring back. Its other rows are then
  // in two files, which the views' de-duplication by _id absorbs.
  const ahead = await filesAheadOf(store, inScope, seen);
  const old = inScope.filter((f) => !ahead.has(f.key));
  // What fails today's contract and the quarantine does not hold (it landed under an older rule, and this swap
  // takes its row away): a quarantine row, as landing writes one, so the record is neither landed nor lost.
  const held = refused.length ? await idsIn(store, await catalog.listFiles({ contract: QUARANTINE_TABLE.contract })) : [];
  const inQuarantine = new Set(held.map((h) => h.id));
  const toQuarantine = refused.filter((x) => !inQuarantine.has(x.env.id)).map((x) => quarantineRow(x.env, x.reasons)).filter((q) => inRange(q.dt));
  const landed = await writeRowFiles(store, rows, 'r');
  const added: CatalogFile[] = [...landed, ...(await writeRowFiles(store, toQuarantine, 'r'))];
  await catalog.replaceFiles(
    [...old, ...state].map((f) => f.key),
    added,
  );
  const partitions = [...new Set([...old.map((f) => f.dt), ...landed.map((f) => f.dt)])].sort();
  return { contract, read, rows: rows.length, invalid, quarantined: toQuarantine.length, partitions, filesRemoved: old.length, filesAdded: added.length, filesKept: ahead.size };
}

/** The keys of `files` holding an _id not in `known`. A file that cannot be read is not among them: replay replaces it. */
async function filesAheadOf(store: ObjectStore, files: readonly CatalogFile[], known: ReadonlySet<string>): Promise<Set<string>> {
  const ahead = new Set<string>();
  for (const { id, key } of await idsIn(store, files)) if (!known.has(id)) ahead.add(key);
  return ahead;
}

/** Every _id of `files`, with the file holding it; a file that cannot be read gives none. */
async function idsIn(store: ObjectStore, files: readonly CatalogFile[]): Promise<{ id: string; key: string }[]> {
  if (files.length === 0) return [];
  const idsOf = (keys: readonly string[]) =>
    withLocalFiles(store, keys, (paths) =>
      withConnection(async (conn) => {
        const keyOf = new Map(paths.map((p, i) => [p, keys[i]!]));
        const rows = (await conn.runAndReadAll(`SELECT DISTINCT _id, filename FROM read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, filename = true)`)).getRowsJS();
        return rows.map(([id, file]) => ({ id: String(id), key: keyOf.get(String(file))! }));
      }),
    );
  let found: { id: string; key: string }[] = [];
  try {
    found = await idsOf(files.map((f) => f.key));
  } catch {
    // Some file is lost or corrupt (what replay is for): look at them one by one.
    for (const f of files) found.push(...(await idsOf([f.key]).catch(() => [])));
  }
  return found;
}
