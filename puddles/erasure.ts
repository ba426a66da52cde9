// An erasure request carried out on the lake (`puddle erase`): every lake file holding the person, raw and
// current state and quarantine included, is rewritten with the person's values replaced (puddles/erasure-match.ts),
// and the rewrites take the old files' places in the catalog in one atomic replaceFiles, as compaction swaps
// its merges. Rows are never dropped: a gift's amount, date and ids stay (HMRC keeps a charity to its gift aid
// records for years, and the reconciliation and the totals add them up); only the values that name the person go.
//
// Crash-safe as compaction is: the rewrites are written first under new keys, which nothing lists; one swap
// registers them all and retires the old files; the old files are deleted only after it. A crash before the swap
// leaves the old files registered and the rewrites as orphans no query sees (a new run writes new ones); a crash
// after it leaves the new files registered and the old ones on disk, unregistered, which the next run finds and
// deletes (it looks at every unregistered lake file, not only the catalog's).
import { createHash } from 'node:crypto';

import { CONTRACTS } from '../core/contracts/index.js';
import { emailSha256 } from '../core/pii.js';
import type { Catalog, CatalogFile, ObjectStore } from '../core/ports.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { contractColumns } from './columns.js';
import { withConnection } from './duckdb.js';
import { erasureNeedles, holdsNeedle, longEnoughId, longerIdsSql, maskNeedle, matchSql, scrubSql, supporterIdNeedles, type ErasureNeedle, type ErasureRequest, type FoundValues } from './erasure-match.js';
import { currentStateKey, ERASED_FILE_NAME, fileKey, isRawTable, LAKE_PREFIX, RAW_TABLE, tableId, tablePrefix } from './layout.js';
import { withLocalFiles } from './local-files.js';
import { copyToBytesCounted } from './parquet-writer.js';
import { sqlIdent, sqlString } from './sql-text.js';

/** A registered lake file holding the person, and how many of its rows do. */
export interface FileMatch {
  file: CatalogFile;
  rows: number;
  /** The envelope ids of those rows (`_id`, raw's `id`): the erasure log's `rewritten_ids`. */
  ids: string[];
}

export interface ErasurePlan {
  files: FileMatch[];
  /** Lake files on disk the catalog does not list (retired, or a crash's leftovers) that hold the person, and raw rewrites an earlier run never swapped in: deleted. */
  unregistered: string[];
}

/** Per table (`puddle/contract/vN`, with ` current` for a contract's current-state files): files and rows that hold the person. */
export interface TableMatch {
  table: string;
  files: number;
  rows: number;
}

export interface ErasureResult {
  tables: TableMatch[];
  filesRewritten: number;
  rowsRewritten: number;
  /** Old files deleted: the rewritten files' old versions and the unregistered files that held the person. */
  filesDeleted: number;
  /**
   * Per table (`transactions/donation/v1`, raw's too), the envelope ids (`_id`, raw's `id`) of the rows rewritten,
   * sorted. An erasure keeps each row's `_id` and `_received_at`, so a warehouse loaded by "new since last night" would
   * keep the person's values for ever: these say which rows to load again. An envelope id is a hash of the record,
   * never the person's value (a supporter id that was erased is not in it to read).
   */
  ids: Record<string, string[]>;
}

const MAX_SWAP_TRIES = 3;

/** Nothing was swapped: the lake changed under every try, or the values would break raw's JSON. The command says so (exit 1). */
export class ErasureRefused extends Error {}

/** Columns holding an email address's hash (core/pii.ts emailSha256): the supporter's, a ticket's requester's. */
const EMAIL_HASH_COLUMNS = ['email_sha256', 'requester_email_sha256'];

/**
 * The tables whose rows tie a supporter id to an email hash (a supporter's `email_sha256`, a ticket's
 * `requester_email_sha256`), with their registered files. Only the catalog's files are read: an unregistered one
 * holding the person is deleted anyway.
 */
async function personTables(catalog: Catalog): Promise<{ columns: string[]; keys: string[] }[]> {
  const byTable = new Map<string, { columns: string[]; keys: string[] }>();
  for (const f of await catalog.listFiles()) {
    const contract = CONTRACTS.get(f.contract)?.get(f.version);
    if (!contract) continue;
    const names = new Set(contractColumns(contract).map((c) => c.name));
    const columns = EMAIL_HASH_COLUMNS.filter((c) => names.has(c));
    if (!names.has('supporter_id') || !columns.length) continue;
    const id = tableId(f);
    const t = byTable.get(id) ?? { columns, keys: [] };
    t.keys.push(f.key);
    byTable.set(id, t);
  }
  return [...byTable.values()];
}

/** The distinct non-null values of `select` over the person tables' rows where `where` holds (both SQL per column list). */
async function personTableValues(store: ObjectStore, catalog: Catalog, query: (columns: string[], source: string) => string): Promise<string[]> {
  const found = new Set<string>();
  for (const { columns, keys } of await personTables(catalog)) {
    const values = await withLocalFiles(store, keys, (paths) =>
      withConnection(async (conn) => {
        // By name: a contract's current-state files have a column (_current) its other files have not.
        const source = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
        return (await conn.runAndReadAll(`SELECT DISTINCT v FROM (${query(columns, source)}) AS _puddle_v WHERE v IS NOT NULL`)).getRowsJS();
      }),
    );
    for (const [v] of values) found.add(String(v));
  }
  return [...found].sort();
}

/** How many times personLinks goes from email hashes to ids and back: a person has a few of each. */
const LINK_ROUNDS = 3;

/**
 * What the lake ties to the person, both ways, through the rows that carry a supporter id and an email hash:
 *
 * - `ids`: the supporter ids on the rows carrying one of the person's email hashes: their Stripe customer, CRM
 *   contact and helpdesk contact, whose rows (payments, gifts, tickets) hold the id and not the email. Until
 *   2026-12-06 an `--email` alone found the supporter rows and nothing they led to, and a confirmed erasure by email
 *   left the person's payments and gifts as they were (a user test). An id too short to match as a whole word
 *   safely (longEnoughId) is left out.
 * - `emailHashes`: the email hashes on the rows of the person's ids (a request through Stripe often brings only the
 *   customer id). Left on their rewritten rows they would let anyone who knows the address find those rows again,
 *   and through the id's token everything else of the person (until 2026-12-05 they stayed).
 *
 * Each found value leads on (an id to its CRM email's hash, that hash to the helpdesk contact), LINK_ROUNDS times at
 * most. Two people sharing an address are both found: the dry run counts what was found, for the DPO to judge.
 */
async function personLinks(store: ObjectStore, catalog: Catalog, request: ErasureRequest): Promise<Required<FoundValues>> {
  const givenIds = new Set(request.supporterIds.map((id) => id.trim()).filter(Boolean));
  const givenHashes = new Set(request.emails.map((e) => emailSha256(e)).filter((h): h is string => Boolean(h)));
  const ids = new Set<string>();
  const hashes = new Set<string>();
  let newIds = [...givenIds];
  let newHashes = [...givenHashes];
  for (let round = 0; round < LINK_ROUNDS && (newIds.length || newHashes.length); round++) {
    const asked = { ids: newIds, hashes: newHashes };
    const idNeedles = asked.ids.length ? supporterIdNeedles({ supporterIds: asked.ids, emails: [], texts: [] }) : [];
    const fromHashes = !asked.hashes.length
      ? []
      : await personTableValues(store, catalog, (columns, source) =>
          `SELECT supporter_id AS v FROM ${source} WHERE ${columns.map((c) => `${sqlIdent(c)} IN (${asked.hashes.map(sqlString).join(', ')})`).join(' OR ')}`,
        );
    const fromIds = !idNeedles.length
      ? []
      : await personTableValues(store, catalog, (columns, source) =>
          columns.map((c) => `SELECT ${sqlIdent(c)} AS v FROM ${source} WHERE ${matchSql('supporter_id', idNeedles)}`).join(' UNION '),
        );
    newIds = fromHashes.filter((id) => !givenIds.has(id) && !ids.has(id) && longEnoughId(id));
    newHashes = fromIds.filter((h) => !givenHashes.has(h) && !hashes.has(h));
    for (const id of newIds) ids.add(id);
    for (const h of newHashes) hashes.add(h);
  }
  return { ids: [...ids].sort(), emailHashes: [...hashes].sort() };
}

/**
 * The needles of `request` (erasureNeedles, tokens under `salt`) with what the lake ties to the person (personLinks),
 * and how many of each that is: what the dry run shows and the confirmed run erases.
 */
export async function requestNeedles(opts: { store: ObjectStore; catalog: Catalog; request: ErasureRequest; salt?: Buffer }): Promise<{ needles: ErasureNeedle[]; emailHashes: number; idsByEmail: number }> {
  const found = await personLinks(opts.store, opts.catalog, opts.request);
  return { needles: erasureNeedles(opts.request, opts.salt, found), emailHashes: found.emailHashes.length, idsByEmail: found.ids.length };
}

/**
 * What is wrong with a `--text` that is a word of a source the lake's records carry (raw's `source`, the contracts'
 * `_source`: `producer:sms-agency`, a named producer key's), or null. Erased wherever it stands as a word, it would
 * rewrite that source on every record it sent (`producer:sms-[erased]`), and that supplier's records would lose
 * their attribution: the hub's own word, not the person's (a user test, 2026-12-06). Refused, as the lake's other
 * values are (erasure-vocabulary.ts), unless `--force-text`; the source is shown with the value as `*`, never the
 * value. Asked before anything is written (a confirmed run writes its salt first). Reads raw's `source` column.
 */
export async function sourceWordProblem(opts: { store: ObjectStore; catalog: Catalog; request: ErasureRequest }): Promise<string | null> {
  const { request } = opts;
  if (request.forceText || !request.texts.some((t) => t.trim())) return null;
  const needles = erasureNeedles({ supporterIds: [], emails: [], texts: request.texts });
  const keys = (await opts.catalog.listFiles()).filter((f) => isRawTable(f)).map((f) => f.key);
  if (!keys.length) return null;
  const sources = await withLocalFiles(opts.store, keys, (paths) =>
    withConnection(async (conn) => {
      const raw = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
      const rows = (await conn.runAndReadAll(`SELECT DISTINCT source FROM ${raw} WHERE ${matchSql('source', needles)} ORDER BY source`)).getRowsJS();
      return rows.map(([s]) => String(s));
    }),
  );
  for (const n of needles) {
    const hit = sources.filter((s) => holdsNeedle(s, [n]));
    if (!hit.length) continue;
    const shown = hit.map((s) => maskNeedle(s, n)).join(', ');
    return (
      `${n.label} is a word of a source the lake's records carry (${shown}: which producer key or provider sent them), not only of a person: ` +
      'erased, it would rewrite that source on every record it sent, which would lose its attribution. Give the person\'s whole name or a longer text; ' +
      'if the person is truly called that and the source may be rewritten, give --force-text and read the dry run first'
    );
  }
  return null;
}

/** Which lake files hold any needle. Reads every file the catalog lists, raw included, and every unregistered one. */
export async function planErasure(opts: { store: ObjectStore; catalog: Catalog; needles: readonly ErasureNeedle[] }): Promise<ErasurePlan> {
  const { store, catalog, needles } = opts;
  const registered = await catalog.listFiles();
  const groups = new Map<string, CatalogFile[]>();
  for (const f of registered) {
    const id = `${tableId(f)}|${f.current ? 'current' : ''}`;
    const group = groups.get(id);
    if (group) group.push(f);
    else groups.set(id, [f]);
  }
  const files: FileMatch[] = [];
  for (const group of groups.values()) {
    const matches = await matchingRows(store, group.map((f) => f.key), needles);
    for (const f of group) {
      const m = matches.get(f.key);
      if (m) files.push({ file: f, ...m });
    }
  }
  const listed = new Set(registered.map((f) => f.key));
  const unregistered: string[] = [];
  const toRead = new Map<string, string[]>();
  for (const o of await store.list(`${LAKE_PREFIX}/`)) {
    if (!o.key.endsWith('.parquet') || listed.has(o.key)) continue;
    // An earlier run's rewrite of a raw file that was never swapped in (killed before its swap): it holds nothing of
    // the person, but `puddle catalog rebuild`, which registers every raw file on disk, would list it beside the file
    // it stands for. Only an erasure writes `e-` files, so an unregistered one is always such a leftover.
    if (o.key.startsWith(tablePrefix(RAW_TABLE)) && ERASED_FILE_NAME.test(o.key)) {
      unregistered.push(o.key);
      continue;
    }
    // `lake/<puddle>/<contract>/v<N>`: the file's tablePrefix.
    const table = o.key.split('/', 4).join('/');
    const keys = toRead.get(table);
    if (keys) keys.push(o.key);
    else toRead.set(table, [o.key]);
  }
  // Files compaction retired wait on disk for their grace (15 minutes), so a running hub always has many: read a
  // table's together, as the registered ones are. Until 2026-12-05 each was read alone, a DuckDB connection a file:
  // 3.5 minutes for a dry run on a sandbox home of 14 MB with 1,050 such files. A table's files that cannot be read
  // together (one may be a crash's half-written file, which nothing reads and which is left as it is) are read one
  // by one.
  for (const keys of toRead.values()) {
    const together = await matchingRows(store, keys, needles).catch(() => null);
    for (const key of keys) {
      const n = (together ? together.get(key) : (await matchingRows(store, [key], needles).catch(() => null))?.get(key))?.rows;
      if (n) unregistered.push(key);
    }
  }
  return { files, unregistered };
}

/** The plan's counts per table, for the dry run and the erasure log. */
export function tableMatches(plan: ErasurePlan): TableMatch[] {
  const by = new Map<string, TableMatch>();
  for (const { file, rows } of plan.files) {
    const table = `${tableId(file)}${file.current ? ' current' : ''}`;
    const t = by.get(table) ?? { table, files: 0, rows: 0 };
    t.files++;
    t.rows += rows;
    by.set(table, t);
  }
  return [...by.values()].sort((a, b) => a.table.localeCompare(b.table));
}

/**
 * Rewrite every file the plan names, swap them in at once, delete the old files. If another process changed the
 * catalog meanwhile (a `puddle compact` from cron retired a file this run read), nothing is swapped, the rewrites
 * are deleted and the lake is planned again, up to three times.
 */
export async function eraseFromLake(opts: {
  store: ObjectStore;
  catalog: Catalog;
  needles: readonly ErasureNeedle[];
  /**
   * Run once the rewrites are written and before they are swapped in (the command erases the queue's bodies there):
   * a run refused while rewriting changes nothing anywhere. Called again if the swap is tried again.
   */
  beforeSwap?: () => void | Promise<void>;
}): Promise<ErasureResult> {
  const { store, catalog, needles } = opts;
  for (let attempt = 1; ; attempt++) {
    const plan = await planErasure(opts);
    const tables = tableMatches(plan);
    const added: CatalogFile[] = [];
    try {
      for (const { file } of plan.files) added.push(await rewrite(store, file, needles));
    } catch (err) {
      // Refused or failed before the swap: the rewrites so far are removed, so no orphan is left for a catalog
      // rebuild (which registers every raw file on disk) to find beside the file it stands for.
      for (const f of added) await store.delete(f.key);
      throw err;
    }
    const old = plan.files.map((m) => m.file.key);
    const ids = rewrittenIds(plan);
    await opts.beforeSwap?.();
    const swapped = added.length === 0 || (await catalog.replaceFiles(old, added, { ifAllPresent: true }));
    if (!swapped) {
      for (const f of added) await store.delete(f.key);
      if (attempt >= MAX_SWAP_TRIES) {
        throw new ErasureRefused(`the lake's files changed under the erasure ${MAX_SWAP_TRIES} times (a compaction or replay running beside it): nothing was changed; run it again once they are done`);
      }
      continue;
    }
    // Deleted now, not after compaction's grace: the point is that the person's values leave the disk. A reader
    // that listed them a moment ago fails and can run again; no hub runs beside a confirmed erasure (the home lock).
    // A rewrite may have the key of a leftover of an earlier try with the same tokens (same bytes): it is live now.
    const live = new Set(added.map((f) => f.key));
    const gone = [...old, ...plan.unregistered].filter((key) => !live.has(key));
    for (const key of gone) await store.delete(key);
    return { tables, filesRewritten: added.length, rowsRewritten: plan.files.reduce((n, m) => n + m.rows, 0), filesDeleted: gone.length, ids };
  }
}

/** Longer ids one value of the request is found inside (longerIdsSql), masked, for the dry run: at most this many each. */
export interface LongerIds {
  /** `--supporter-id 1`: which value, never the value. */
  value: string;
  /** Distinct, the value shown as `*`: `*-2`, `d-*`. */
  ids: string[];
  /** How many more there are than `ids` shows. */
  more: number;
}

/** Per value of the request (by option and position, never the value): the lake rows holding it, raw's included. */
export interface ValueRows {
  value: string;
  rows: number;
}

/**
 * How many lake rows hold each value of the request, 0 included: a DPO sees which value was found where the others
 * were and which nowhere (a phone number typed another way, a name spelled otherwise), before confirming. Reads the
 * plan's matching files once more; only the dry run asks.
 */
export async function valueRows(store: ObjectStore, plan: ErasurePlan, needles: readonly ErasureNeedle[]): Promise<ValueRows[]> {
  const labels = [...new Set(needles.flatMap((n) => [n.label, ...(n.aliases ?? [])]))];
  const keys = plan.files.map((m) => m.file.key);
  const counts = !keys.length
    ? []
    : await withLocalFiles(store, keys, (paths) =>
        withConnection(async (conn) => {
          const source = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
          const text = await varcharColumns(conn, source);
          if (!text.length) return [];
          const per = labels.map((label) => {
            const mine = needles.filter((n) => n.label === label || n.aliases?.includes(label));
            return `count(*) FILTER (WHERE ${text.map((c) => `coalesce(${matchSql(c, mine)}, false)`).join(' OR ')})`;
          });
          return (await conn.runAndReadAll(`SELECT ${per.join(', ')} FROM ${source}`)).getRowsJS()[0]!.map(Number);
        }),
      );
  return labels.map((value, i) => ({ value, rows: counts[i] ?? 0 }));
}

const LONGER_IDS_SHOWN = 20;

/**
 * Per value of the request, the distinct longer ids holding it that the erasure would rewrite with it (an id with a
 * hyphen or colon is found where another person's longer id starts with it: `sup-1` in `sup-1-2`). Reads the plan's
 * matching files once more; only the dry run asks.
 */
export async function longerIds(store: ObjectStore, plan: ErasurePlan, needles: readonly ErasureNeedle[]): Promise<LongerIds[]> {
  const keys = plan.files.map((m) => m.file.key);
  // A value with a space, an `@` or a quote in it (a name, an address, raw's JSON form) is not an id a longer one extends.
  const idLike = needles.filter((n) => n.idLike);
  if (!keys.length || !idLike.length) return [];
  const found = await withLocalFiles(store, keys, (paths) =>
    withConnection(async (conn) => {
      const source = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
      const text = await varcharColumns(conn, source);
      if (!text.length) return [];
      const perNeedle = idLike.map((n, i) => {
        const lists = text.map((c) => `coalesce(${longerIdsSql(c, n)}, []::VARCHAR[])`).join(', ');
        return `SELECT ${i} AS needle, unnest(flatten([${lists}])) AS id FROM ${source}`;
      });
      return (await conn.runAndReadAll(`SELECT DISTINCT needle, id FROM (${perNeedle.join(' UNION ALL ')}) ORDER BY needle, id`)).getRowsJS() as [number, string][];
    }),
  );
  const by = new Map<string, Set<string>>();
  for (const [i, id] of found) {
    const n = idLike[Number(i)]!;
    const masked = maskNeedle(id, n);
    if (masked === '*') continue;
    const ids = by.get(n.label) ?? new Set<string>();
    ids.add(masked);
    by.set(n.label, ids);
  }
  return [...by].map(([value, ids]) => ({ value, ids: [...ids].slice(0, LONGER_IDS_SHOWN), more: Math.max(0, ids.size - LONGER_IDS_SHOWN) }));
}

/** For each of `keys`, the rows where a VARCHAR column holds a needle (absent: none). */
async function matchingRows(store: ObjectStore, keys: readonly string[], needles: readonly ErasureNeedle[]): Promise<Map<string, { rows: number; ids: string[] }>> {
  if (!keys.length || !needles.length) return new Map();
  return withLocalFiles(store, keys, (paths) =>
    withConnection(async (conn) => {
      const source = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true, filename = true)`;
      const text = await varcharColumns(conn, source);
      if (!text.length) return new Map();
      const where = text.map((c) => matchSql(c, needles)).join(' OR ');
      // The rows' envelope ids in the same read (a contract table's `_id`, raw's `id`): the erasure log names them, and
      // reading the files again for them doubled an erasure's reads of its largest files.
      const idColumn = text.includes('_id') ? '_id' : 'id';
      const rows = (await conn.runAndReadAll(`SELECT filename, count(*), list(DISTINCT ${idColumn}) FROM ${source} WHERE ${where} GROUP BY filename`)).getRowsJS();
      const keyOf = new Map(paths.map((p, i) => [p, keys[i]!]));
      return new Map(rows.map(([file, n, ids]) => [keyOf.get(String(file))!, { rows: Number(n), ids: (ids as unknown[]).map(String) }]));
    }),
  );
}

/** Per table, the envelope ids of the plan's rows that hold a needle (ErasureResult.ids): the history's and the current state's as one. */
function rewrittenIds(plan: ErasurePlan): Record<string, string[]> {
  const byTable = new Map<string, Set<string>>();
  for (const { file, ids } of plan.files) {
    const seen = byTable.get(tableId(file)) ?? new Set<string>();
    for (const id of ids) seen.add(id);
    byTable.set(tableId(file), seen);
  }
  return Object.fromEntries([...byTable].sort(([a], [b]) => a.localeCompare(b)).map(([table, seen]) => [table, [...seen].sort()]));
}

/** The VARCHAR columns of `source` (a read_parquet), where a person's values can stand. */
export async function varcharColumns(conn: DuckDBConnection, source: string): Promise<string[]> {
  const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowsJS();
  return described.filter(([name, type]) => type === 'VARCHAR' && name !== 'filename').map(([name]) => String(name));
}

const BROKEN_ENVELOPE = 'erasure: a raw envelope would no longer be JSON';

/** The file with every needle replaced, written under a new key (registered by the caller's swap). */
async function rewrite(store: ObjectStore, file: CatalogFile, needles: readonly ErasureNeedle[]): Promise<CatalogFile> {
  const { bytes, rows } = await withLocalFiles(store, [file.key], ([path]) =>
    withConnection(async (conn) => {
      const source = `read_parquet(${sqlString(path!)}, hive_partitioning = false)`;
      const text = await varcharColumns(conn, source);
      const replaced = text.map((c) => `${scrubSql(c, needles)} AS ${sqlIdent(c)}`).join(', ');
      const scrubbed = `(SELECT * REPLACE (${replaced}) FROM ${source})`;
      if (!isRawTable(file)) return copyToBytesCounted(conn, scrubbed);
      // Raw's envelopes are JSON, which replay parses: a value that is also a JSON number or literal (an id equal to
      // an amount, a text of \`true\`) would break it. Then nothing is swapped, and the DPO is told which file.
      // Checked as the file is written, so raw (the largest files) is scrubbed once (until 2026-12-04 a count of the
      // broken envelopes scrubbed it all first); counted only when one is.
      const checked = `(SELECT * REPLACE (CASE WHEN json_valid(envelope) THEN envelope ELSE error(${sqlString(BROKEN_ENVELOPE)}) END AS envelope) FROM ${scrubbed})`;
      try {
        return await copyToBytesCounted(conn, checked);
      } catch (err) {
        if (!String((err as Error).message).includes(BROKEN_ENVELOPE)) throw err;
        const broken = (await conn.runAndReadAll(`SELECT count(*) FROM ${scrubbed} WHERE NOT json_valid(envelope)`)).getRowsJS()[0]![0];
        throw new ErasureRefused(`erasing these values would break ${broken} envelope(s) of raw file ${file.key} (a value is also a number or a word of their JSON): nothing was changed; give longer or more exact values`);
      }
    }),
  );
  // Every row is kept: only values change.
  if (rows !== file.rows) throw new Error(`erasure: ${file.key} has ${file.rows} rows in the catalog but ${rows} were rewritten; nothing was changed`);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const key = file.current ? currentStateKey(file, hash) : fileKey(file, file.dt, 'e', hash);
  await store.put(key, bytes);
  // The rows were received when the old file's were: added_at and the fold marks carry over.
  return { ...file, key, rows, bytes: bytes.byteLength };
}
