// Getting quarantined records back once their cause is fixed (`puddle quarantine retry`). A quarantine row keeps
// the reasons; the raw trail keeps, under the row's envelope id, what failed: for a connector's record, the
// quarantine envelope with the provider's record (redacted) in `raw`; for an envelope landing refused (a pushed
// event, a contract version the hub did not know), that envelope itself. Each open row becomes one of:
//   - landed_since: its record landed after the row did (a sync read it again, see landedSince): nothing to publish;
//   - remapped: a connector's record maps and validates now (core/engine/remap.ts): its envelopes are published;
//   - revalidated: an envelope landing refused passes its contract now: published again, exactly as it was;
//   - still open: failing still (with today's reasons), to be read from the provider again (the sync to run
//     is named), or beyond a retry (a bank statement waits for its corrected file).
// A bank statement that did not add up leaves quarantine_open by itself once a corrected one has landed (the
// rule that closes its STATEMENT_UNBALANCED break, recon_statement_corrected): the retry sees only those still
// waiting for it. Until 2026-12-03 the row stayed listed as open until a retry resolved it.
// What lands is published with a quarantine_resolution naming the row, both in one publish, so a retry
// killed halfway has published each record whole or not at all. Envelope ids derive from contract, key and
// payload, so a retry run twice (or after a kill) lands each record once; landing de-duplicates by id.
import { fieldReason, type FieldError } from '../core/contracts/index.js';
import type { StreamDef } from '../core/engine/define.js';
import { remapRecord } from '../core/engine/remap.js';
import { makeEnvelope, type Envelope } from '../core/envelope.js';
import type { Clock, Queue, QueryEngine } from '../core/ports.js';
import { receivedAt } from '../core/received-clock.js';
import { isoFromMs, utcInstantMs } from '../core/time.js';
import { puddleFor } from './definitions.js';
import { sqlString } from './sql-text.js';
import { contractRow } from './landing-rows.js';

/** What the retry knows of a connector: its streams as the mappings read them. */
export interface ConnectorMappings {
  /** null: its mappings need the provider or its state (every record is read again). */
  mappings: readonly StreamDef<never, never>[] | null;
}

export interface RetryOptions {
  query: QueryEngine;
  queue: Queue;
  clock: Clock;
  /** Only rows of this contract / this source. */
  contract?: string;
  source?: string;
  /** Say what would happen; publish nothing. */
  dryRun?: boolean;
  /** The connector named `name` (a row's source, without `webhook:`), or null when there is none. */
  connector(name: string): ConnectorMappings | null;
  /** Records per publish; each with its resolution in the same one. */
  chunk?: number;
}

/** A sync to run for rows the kept raw cannot map: `puddle sync <connector> --streams ... --from --to`. */
export interface ResyncRange {
  connector: string;
  /** Empty: every stream. */
  streams: string[];
  /**
   * Dates, `to` exclusive (the day after the last record's, and the streams' lookback on), or, where that is
   * later than now, now (a time, to the second): no sync reads the future (until 2026-12-02 a record of today
   * with Braintree's three-day lookback named a `--to` three days ahead).
   */
  from: string;
  to: string;
  records: number;
  why: string;
}

export interface RetryReport {
  /** Open rows looked at. */
  open: number;
  remapped: number;
  revalidated: number;
  landedSince: number;
  /** Envelope ids published (records and resolutions); 0 on a dry run. */
  published: number;
  /** Rows that fail still, by their first reason. */
  failing: { reason: string; records: number }[];
  resync: ResyncRange[];
  /** Rows whose raw has not landed yet (raw lands behind the other puddles): a later run takes them. */
  waiting: number;
  /** Rows nothing here can retry, by source. */
  other: { source: string; records: number; why: string }[];
  /** The puddles that have something new on the queue. */
  puddles: string[];
}

interface OpenRow {
  quarantine_id: string;
  id: string;
  contract: string;
  source: string;
  stream: string | null;
  occurred_at: string;
  received_at: string;
}

type Resolution = 'remapped' | 'revalidated' | 'landed_since';

/** The quarantine id of a bank statement that did not add up: `bank:bank_statement:<bank_statement_id>`. */
/** The quarantine id of a bank statement that does not add up: retried by importing the corrected one. */
export const BANK_STATEMENT_ROW = 'bank:bank_statement:';
/** What closes such a row, for `puddle quarantine` and its retry alike. */
export const BANK_STATEMENT_FIX =
  'a bank statement that does not add up: import the corrected statement (the same account, currency and format, covering its whole period; ' +
  'for a camt.053 the re-issue under its statement id): the row closes once it has landed, with its break';

/** Run the retry over the open quarantine rows (filtered); see the top of this file. */
export async function retryQuarantine(opts: RetryOptions): Promise<RetryReport> {
  const { query } = opts;
  const where = [
    opts.contract !== undefined ? `contract = ${sqlString(opts.contract)}` : null,
    opts.source !== undefined ? `source = ${sqlString(opts.source)}` : null,
  ].filter((w) => w !== null);
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const rows = (await query.query(
    `SELECT quarantine_id, _id AS id, contract, source, _stream AS stream, occurred_at, _received_at AS received_at FROM quarantine_open${filter} ORDER BY occurred_at, quarantine_id`,
  )) as unknown as OpenRow[];
  const report: RetryReport = { open: rows.length, remapped: 0, revalidated: 0, landedSince: 0, published: 0, failing: [], resync: [], waiting: 0, other: [], puddles: [] };
  if (!rows.length) return report;

  const envelopes = await rawEnvelopes(query, filter);
  const since = await landedSince(query, rows, where);
  const notFound = rows.some((r) => r.source.startsWith('webhook:')) ? await rereadNotFound(query) : new Set<string>();
  const now = receivedAt(opts.clock);
  const delivery = { source: '', delivery_id: `quarantine-retry:${now}`, received_at: now };
  const failing = new Map<string, number>();
  const resync = new Map<string, ResyncRange>();
  const other = new Map<string, { source: string; records: number; why: string }>();
  const toPublish: Envelope[][] = [];
  const resolve = (row: OpenRow, resolution: Resolution, landed: Envelope[]) => {
    report[resolution === 'landed_since' ? 'landedSince' : resolution]++;
    toPublish.push([...landed, resolutionEnvelope(row, resolution, landed, delivery)]);
  };
  // From the record's day to the day after it, and as far on as the streams' lookback or `surfacesWithinMs`: a
  // record can surface on a stream's range axis after its own time (Braintree's disbursements are searched by
  // disbursement date, Stripe's payout items by their payout's creation).
  const needsResync = (row: OpenRow, connector: ConnectorMappings, name: string, streams: string[], why: string) => {
    const day = row.occurred_at.slice(0, 10);
    const named = (connector.mappings ?? []).filter((s) => streams.includes(s.name));
    const lookback = Math.max(0, ...named.map((s) => Math.max(s.windows?.lookbackMs ?? 0, s.surfacesWithinMs ?? 0)));
    const last = notAfter(dayAfter(day, Math.ceil(lookback / DAY_MS)), opts.clock.now());
    const k = `${name}|${streams.join(',')}|${why}`;
    const r = resync.get(k) ?? { connector: name, streams, from: day, to: last, records: 0, why };
    r.from = day < r.from ? day : r.from;
    r.to = utcInstantMs(last) > utcInstantMs(r.to) ? last : r.to;
    r.records++;
    resync.set(k, r);
  };
  const stillFailing = (reasons: readonly FieldError[]) => {
    const first = reasons[0];
    const reason = first ? fieldReason(first) : 'no reason given';
    failing.set(reason, (failing.get(reason) ?? 0) + 1);
  };

  for (const row of rows) {
    if (row.quarantine_id.startsWith(BANK_STATEMENT_ROW)) {
      // Open still, so no corrected statement has landed (quarantine_open leaves the corrected ones out). Not
      // landedSince: importing the same unbalanced file again lands its statement (balanced = false) again, which
      // is no correction.
      const o = other.get(row.source) ?? { source: row.source, records: 0, why: BANK_STATEMENT_FIX };
      o.records++;
      other.set(row.source, o);
      continue;
    }
    if (since.has(row.quarantine_id) && since.get(row.quarantine_id)! > row.received_at) {
      resolve(row, 'landed_since', []);
      continue;
    }
    const env = envelopes.get(row.id);
    if (!env) {
      report.waiting++;
      continue;
    }
    if (env.contract !== 'quarantine') {
      // Landing refused this envelope itself: its contract decides again, as landing would.
      const r = contractRow(env, puddleFor(String(env.contract))?.name ?? 'quarantine');
      if (r.ok && puddleFor(String(env.contract))) resolve(row, 'revalidated', [env]);
      else stillFailing(r.ok ? [{ path: 'envelope.contract', message: `no puddle lands contract ${String(env.contract)}` }] : r.reasons);
      continue;
    }
    const name = row.source.replace(/^webhook:/, '');
    const connector = opts.connector(name);
    if (!connector) {
      const why = `no connector named ${row.source} maps these records: send or import them again once fixed`;
      const o = other.get(row.source) ?? { source: row.source, records: 0, why };
      o.records++;
      other.set(row.source, o);
      continue;
    }
    const feeding = (connector.mappings ?? []).filter((s) => s.contract === row.contract).map((s) => s.name);
    if (row.source !== name && notFound.has(`${row.source}|${row.quarantine_id.slice(`${row.source}:${row.contract}:`.length)}`)) {
      // A sync cannot bring back what the provider says it does not have: naming one would never resolve the row.
      const why = 'the provider answered not found when the object the webhook named was read again by id: no sync brings it back';
      const o = other.get(row.source) ?? { source: row.source, records: 0, why };
      o.records++;
      other.set(row.source, o);
      continue;
    }
    if (row.source !== name) {
      // A webhook is a prompt (docs/connectors.md, "Webhooks are prompts"): the object it named is read by a sync.
      needsResync(row, connector, name, feeding, 'a webhook only named the object: a sync reads it');
      continue;
    }
    const stream = connector.mappings?.find((s) => s.name === env.stream);
    if (!stream) {
      needsResync(row, connector, name, env.stream ? [String(env.stream)] : feeding, connector.mappings ? `no stream ${String(env.stream)} maps it` : `${name}'s mappings need the provider`);
      continue;
    }
    const r = remapRecord(stream, env.raw, { ...delivery, source: name });
    if (r.outcome === 'landed') resolve(row, 'remapped', r.envelopes);
    else if (r.outcome === 'failed') stillFailing(r.reasons);
    else needsResync(row, connector, name, [stream.name], r.why);
  }

  report.failing = [...failing].map(([reason, records]) => ({ reason, records })).sort((a, b) => b.records - a.records);
  report.resync = [...resync.values()];
  report.other = [...other.values()];
  const puddles = new Set<string>();
  for (const group of toPublish) for (const e of group) puddles.add(puddleFor(e.contract)?.name ?? 'quarantine');
  if (toPublish.length) puddles.add('raw');
  report.puddles = [...puddles].sort();
  if (opts.dryRun) return report;
  const chunk = opts.chunk ?? 500;
  for (let i = 0; i < toPublish.length; i += chunk) {
    const batch = toPublish.slice(i, i + chunk).flat();
    await opts.queue.publish(batch);
    report.published += batch.length;
  }
  return report;
}

/** The envelope each open row's id names in the raw trail (its first arrival), parsed. */
async function rawEnvelopes(query: QueryEngine, filter: string): Promise<Map<string, Envelope>> {
  const found = await query.query(
    `SELECT id, envelope FROM raw WHERE id IN (SELECT _id FROM quarantine_open${filter}) ORDER BY received_at, delivery_id`,
  );
  const out = new Map<string, Envelope>();
  for (const r of found) if (!out.has(String(r.id))) out.set(String(r.id), JSON.parse(String(r.envelope)) as Envelope);
  return out;
}

/**
 * For rows a connector quarantined (named `<source>:<contract>:<key>`, the key being the source's own): when the
 * same source last delivered an envelope of that key that was not a quarantine, by quarantine id. The raw trail
 * keeps every envelope's source, stream and contract key, so this finds the record whichever contract it landed
 * in (a Braintree credit quarantined as a payment lands as a refund). A connector's row must match its stream
 * too; a webhook's matches any stream of its connector (a sync reads what a webhook named). A row landing refused
 * is named by its envelope id instead, and is left out: its envelope is checked again.
 */
async function landedSince(query: QueryEngine, rows: readonly OpenRow[], where: readonly string[]): Promise<Map<string, string>> {
  const wanted = new Map<string, OpenRow[]>();
  for (const row of rows) {
    const prefix = `${row.source}:${row.contract}:`;
    if (!row.quarantine_id.startsWith(prefix)) continue;
    const key = row.quarantine_id.slice(prefix.length);
    wanted.set(key, [...(wanted.get(key) ?? []), row]);
  }
  const out = new Map<string, string>();
  if (!wanted.size) return out;
  // The keys are read from the open rows by SQL, as rawEnvelopes reads the ids, not written into the statement:
  // after a bad mapping on appeal night some 200,000 rows are open, and `key IN ('k1', ..., 'k200000')` was a
  // statement of megabytes (DuckDB took 9 s to bind one; Athena refuses any over 256 KB). A semi-join stays one
  // short statement and one scan of raw, whatever the count. The key is the id after `<source>:<contract>:`,
  // as above; a row named otherwise has no such prefix and is left out here too. Rows opened since `rows` was
  // read only add keys that `wanted` does not ask about.
  const prefix = `source || ':' || contract || ':'`;
  const named = [...where, `substr(quarantine_id, 1, length(${prefix})) = ${prefix}`].join(' AND ');
  const keys = `SELECT substr(quarantine_id, length(${prefix}) + 1) FROM quarantine_open WHERE ${named}`;
  const landed = await query.query(
    `SELECT source, stream, key, max(received_at) AS at FROM raw WHERE contract <> 'quarantine' AND key IN (${keys}) GROUP BY source, stream, key`,
  );
  for (const l of landed) {
    for (const row of wanted.get(String(l.key)) ?? []) {
      const connector = row.source.replace(/^webhook:/, '');
      const sameStream = row.source !== connector || l.stream === row.stream;
      if (l.source !== connector || !sameStream) continue;
      const at = String(l.at);
      if (!out.has(row.quarantine_id) || at > out.get(row.quarantine_id)!) out.set(row.quarantine_id, at);
    }
  }
  return out;
}

/**
 * `<webhook source>|<object id>` of each object whose latest re-read by id (core/engine/refetch.ts, raw stream
 * `reread`, key `<webhook id>:reread:<object id>`) the provider answered not found. Only the re-reads of objects
 * an open webhook row names are read: the key's tail is matched to the rows' by SQL, as landedSince does.
 */
async function rereadNotFound(query: QueryEngine): Promise<Set<string>> {
  const marker = `':reread:'`;
  const named = `SELECT substr(quarantine_id, length(source || ':' || contract || ':') + 1) FROM quarantine_open WHERE source LIKE 'webhook:%'`;
  const found = await query.query(
    `SELECT source, envelope FROM raw WHERE stream = 'reread' AND source LIKE 'webhook:%' AND strpos(key, ${marker}) > 0
       AND substr(key, strpos(key, ${marker}) + 8) IN (${named}) ORDER BY received_at`,
  );
  const latest = new Map<string, string>();
  for (const r of found) {
    const payload = (JSON.parse(String(r.envelope)) as Envelope).payload as { object_id?: unknown; type?: unknown };
    latest.set(`${String(r.source)}|${String(payload.object_id)}`, String(payload.type));
  }
  return new Set([...latest].filter(([, type]) => type === 'reread.not_found').map(([k]) => k));
}

function resolutionEnvelope(row: OpenRow, resolution: Resolution, landed: readonly Envelope[], delivery: { delivery_id: string; received_at: string }): Envelope {
  return makeEnvelope({
    contract: 'quarantine_resolution',
    version: 1,
    source: 'puddle:quarantine-retry',
    stream: null,
    delivery_id: delivery.delivery_id,
    received_at: delivery.received_at,
    payload: {
      quarantine_resolution_id: row.id,
      occurred_at: delivery.received_at,
      updated_at: null,
      quarantine_id: row.quarantine_id,
      contract: row.contract,
      source: row.source,
      resolution,
      landed: JSON.stringify(landed.map((e) => e.id)),
    },
  });
}

const DAY_MS = 86_400_000;
const dayAfter = (day: string, more = 0) => new Date(Date.parse(`${day}T00:00:00Z`) + (1 + more) * DAY_MS).toISOString().slice(0, 10);
/** `day`, or `now` to the next whole second (a time `puddle sync --to` takes) when the day starts after it. */
const notAfter = (day: string, now: Date) => (utcInstantMs(day) <= now.getTime() ? day : `${isoFromMs(Math.ceil(now.getTime() / 1000) * 1000).slice(0, 19)}Z`);
