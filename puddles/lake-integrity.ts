// Was a lake file changed after it landed? What the lake itself can prove, with no checksum stored beside it:
//   - every file the catalog lists is there, with the size the catalog registered when it landed;
//   - a raw file's name is a hash of its rows' identities (envelope id, received_at, delivery_id: puddles/land.ts
//     writeRowFiles), and each envelope id is a hash of its contract, version, key and payload (core/envelope.ts).
//     So a raw file whose rows were edited, added or taken away, or an envelope whose payload was edited, no longer
//     hashes to its name or its id. The columns raw keeps beside the envelope JSON must say what it says.
// Not covered: an envelope's source, stream, occurred_at and provider record are in no hash (an edit there that
// keeps the file's size shows only as a size change, if any), and a rewrite that recomputes every hash and the
// catalog too. Object Lock on AWS (docs/aws.md, "Object Lock on the raw trail") and a backup are what guard against that.
// Other lake files are derived from raw: a replay re-derives them.
// A raw file an erasure rewrote (`puddle erase`, puddles/erasure.ts; `e-` in its name) holds envelopes whose
// payloads no longer hash to their ids, on purpose: its name is the SHA-256 of its bytes instead, which is checked.
import { createHash } from 'node:crypto';

import { envelopeId, type Envelope } from '../core/envelope.js';
import type { Catalog, ObjectStore } from '../core/ports.js';
import { withConnection } from './duckdb.js';
import { ERASED_FILE_NAME, RAW_TABLE, setHash, tablePrefix } from './layout.js';
import { withLocalFiles } from './local-files.js';
import { sqlString } from './sql-text.js';

export interface IntegrityProblem {
  key: string;
  problem: string;
}

export interface IntegrityResult {
  /** Files the catalog lists, and how many of them are raw. */
  files: number;
  rawFiles: number;
  /** Envelopes whose id was recomputed. */
  rawRows: number;
  problems: IntegrityProblem[];
}

const RAW_NAME = /\/[a-z]-([0-9a-f]{32})\.parquet$/;

export async function verifyLake(store: ObjectStore, catalog: Catalog): Promise<IntegrityResult> {
  const files = await catalog.listFiles();
  const sizes = new Map((await store.list('lake/')).map((o) => [o.key, o.size]));
  const problems: IntegrityProblem[] = [];
  const present: typeof files = [];
  for (const f of files) {
    const size = sizes.get(f.key);
    if (size === undefined) problems.push({ key: f.key, problem: 'listed in the catalog but missing from the lake' });
    else {
      if (size !== f.bytes) problems.push({ key: f.key, problem: `is ${size} bytes where the catalog registered ${f.bytes} when it landed: changed since` });
      present.push(f);
    }
  }
  const raw = present.filter((f) => f.key.startsWith(tablePrefix(RAW_TABLE)));
  let rawRows = 0;
  for (const f of raw) {
    const found = await verifyRawFile(store, f.key, f.rows);
    rawRows += found.rows;
    problems.push(...found.problems.map((problem) => ({ key: f.key, problem })));
  }
  return { files: files.length, rawFiles: raw.length, rawRows, problems };
}

async function verifyRawFile(store: ObjectStore, key: string, registeredRows: number): Promise<{ rows: number; problems: string[] }> {
  const problems: string[] = [];
  const erased = ERASED_FILE_NAME.exec(key)?.[1];
  if (erased) {
    const bytes = await store.get(key);
    if (!bytes || createHash('sha256').update(bytes).digest('hex').slice(0, 32) !== erased) problems.push('its bytes no longer hash to its name (an erasure wrote it): changed since');
  }
  let rows: unknown[][];
  try {
    rows = await withLocalFiles(store, [key], ([path]) =>
      withConnection(async (conn) =>
        (await conn.runAndReadAll(`SELECT id, contract, key, delivery_id, envelope FROM read_parquet(${sqlString(path!)}, hive_partitioning = false)`)).getRowsJS(),
      ),
    );
  } catch {
    return { rows: 0, problems: [...problems, 'is not readable Parquet'] };
  }
  if (rows.length !== registeredRows) problems.push(`holds ${rows.length} rows where the catalog registered ${registeredRows}`);
  const identities: string[] = [];
  let badIds = 0;
  let badColumns = 0;
  let example = '';
  for (const [id, contract, rowKey, deliveryId, text] of rows) {
    let env: Envelope;
    try {
      env = JSON.parse(String(text)) as Envelope;
    } catch {
      badIds++;
      continue;
    }
    identities.push(`${String(env.id)}|${String(env.received_at)}|${String(env.delivery_id)}`);
    if (!erased && envelopeId(env.contract, env.version, env.key, env.payload) !== env.id) {
      badIds++;
      example ||= String(id);
    }
    if (id !== env.id || contract !== env.contract || rowKey !== env.key || deliveryId !== (env.delivery_id ?? null)) badColumns++;
  }
  if (badIds) problems.push(`holds ${badIds} envelope${badIds === 1 ? '' : 's'} whose payload no longer hashes to its id (first: ${example || 'not JSON'}): edited after landing`);
  if (badColumns) problems.push(`holds ${badColumns} row${badColumns === 1 ? '' : 's'} whose id, contract, key or delivery_id column differs from its envelope`);
  const name = erased ? undefined : RAW_NAME.exec(key)?.[1];
  if (name && identities.length === rows.length && setHash(identities) !== name) problems.push('its rows no longer hash to its name: rows were edited, added or taken away after landing');
  return { rows: rows.length, problems };
}
