import { parse } from 'csv-parse/sync';
import { loadBookmark, saveBookmark } from '../../core/engine/bookmark.js';
import { getText } from '../../core/engine/json-http.js';
import type { StreamContext } from '../../core/engine/define.js';
import { ConfigError, CursorGoneError, FatalError, NotFoundError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { SALESFORCE_TIMEOUT_MS, type SalesforceClient } from './client.js';
import { bulkJobCreated, bulkJobState, describedFields, recordCounts } from './answers.js';
import type { SfRecord } from './mappings.js';
import { checkSameOrg } from './org-identity.js';

// Large first syncs through Bulk API 2.0: one queryAll job per object, its CSV result pages read with our own
// HTTP calls through the engine (jsforce 3.10.16's bulk2 crashes the process on a second page). The job id and
// the next locator are kept in state after each published page, so a killed run resumes the same job; once
// done, the object's REST stream starts from the job's creation minus the lookback.
//
// A saved job can be gone: Salesforce deletes jobs seven days after they were made (and anyone may delete one),
// and until 2026-12-02 a backfill stopped part-way and not resumed within the week failed with 404 NOT_FOUND on
// every later run. That is the engine's CursorGoneError case (a saved position the provider no longer honours;
// reading again from the start works and lands idempotently), but this read is an escape hatch whose position
// is a job, not a page token the engine could drop: so here a gone job is a CursorGoneError, and the object
// starts a new job, once per run; gone again, the run fails, as the engine's re-read would. The locator alone
// never goes stale: it stays valid as long as its job exists (Bulk API 2.0, "Get Results for a Query Job").
//
// A job that ends Failed or Aborted, or whose results hold other than the numberRecordsProcessed its info
// reports, fails the run and is forgotten: the next run starts a new job. Until 2026-12-02 a failed job stayed
// saved, so every later run polled it and failed the same way, and short results were taken as the whole
// object: the REST stream then started from the job's creation, and the rows missing were never read.

export interface BulkObject {
  stream: string;
  object: string;
  fields: string[];
  /** Fields without which no record maps. */
  required: string[];
}

interface BulkState {
  jobId: string;
  createdDate: string;
  /** The next page's locator; null: the first page; 'null': done. */
  locator: string | null;
  /** Rows read so far (absent from a job saved before 2026-12-02: its count is not checked). */
  rows?: number;
}

const POLL_MS = 1000;
const stateKey = (object: string) => `salesforce:bulk:${object}`;

/** CSV cells are strings ("" = null): typed back with describe's types so one mapping serves REST and Bulk. */
function typed(row: Record<string, string>, types: Map<string, string>): SfRecord {
  const out: SfRecord = {};
  for (const [k, v] of Object.entries(row)) {
    const t = types.get(k);
    if (v === '') out[k] = null;
    else if (t === 'boolean') out[k] = v === 'true';
    else if (t === 'double' || t === 'int') out[k] = Number(v);
    else out[k] = v; // currency and percent stay exact decimal strings; the mapping converts them exactly
  }
  return out;
}

export async function bulkBackfill(
  ctx: StreamContext<SalesforceClient>,
  emit: (records: { object: string; row: SfRecord }[]) => Promise<void>,
  opts: {
    connector: string;
    objects: BulkObject[];
    threshold: number;
    lookbackMs: number;
    maxRecords: number;
    /** SALESFORCE_NPSP_NAMESPACE, named when the org does not know an object asked about. */
    namespace: string;
    /** The declared fields this user can query (describe), as the REST streams use them. */
    visible: (ctx: StreamContext<SalesforceClient>, o: BulkObject) => Promise<string[]>;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<void> {
  const conn = ctx.client.conn;
  const base = `/services/data/v${ctx.client.config.apiVersion}`;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /** The client's session the org was last checked under (checkSameOrg, before each object and after a re-login). */
  let checkedIn = -1;
  // Objects on their first sync with no job yet: one recordCount call for all of them.
  const fresh: string[] = [];
  for (const o of opts.objects) {
    const bm = await loadBookmark(ctx.state, opts.connector, o.stream);
    if (!bm.cursor && !bm.window && !(await ctx.state.get<BulkState>(stateKey(o.object)))) fresh.push(o.object);
  }
  const counts = new Map<string, number>();
  if (fresh.length) {
    const res = await ctx.call('recordCount', async () => recordCounts(await conn.request<unknown>(`${base}/limits/recordCount?sObjects=${fresh.join(',')}`), 'recordCount')).catch((err: unknown) => {
      // An object name the org does not know: NPSP's, under a namespace that is not the org's (streams.ts names it per stream).
      if (err instanceof FatalError && /^salesforce: INVALID_TYPE\b/.test(err.message)) {
        throw new ConfigError(`${err.message}: is the NPSP package installed, and is SALESFORCE_NPSP_NAMESPACE (${opts.namespace || 'empty'}) right?`, { cause: err });
      }
      throw err;
    });
    for (const s of res) counts.set(s.name, s.count);
  }
  /** A new queryAll job for the object, saved before its first poll. */
  const startJob = async (o: BulkObject, rows: number | null): Promise<BulkState> => {
    const fields = await opts.visible(ctx, o);
    const job = await ctx.call(`bulk job ${o.object}`, async () =>
      bulkJobCreated(await conn.request<unknown>({
        method: 'POST', url: `${base}/jobs/query`, body: JSON.stringify({ operation: 'queryAll', query: `SELECT ${fields.join(', ')} FROM ${o.object}` }),
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
      }), `bulk job ${o.object}`),
    );
    const st: BulkState = { jobId: job.id, createdDate: job.createdDate, locator: null, rows: 0 };
    await ctx.state.set(stateKey(o.object), st);
    ctx.log('bulk backfill started', { object: o.object, rows });
    return st;
  };
  /** A call about the saved job: its 404 says the job is gone (see the top of this file). */
  const jobCall = async <T>(what: string, o: BulkObject, fn: () => Promise<T>): Promise<T> => {
    try {
      return await ctx.call(what, fn);
    } catch (err) {
      if (err instanceof NotFoundError) throw new CursorGoneError(`salesforce: the bulk job for ${o.object} no longer exists (deleted, older than seven days, or of an org refreshed since)`, { cause: err });
      throw err;
    }
  };
  /** Poll the job and read its result pages from the saved locator; false: stopped at the time box. */
  const readJob = async (o: BulkObject, saved: BulkState): Promise<boolean> => {
    let st = saved;
    if (st.locator === 'null') return true;
    /** The job is of no more use: forgotten, so that the next run starts a new one; this run fails. */
    const giveUp = async (why: string): Promise<never> => {
      await ctx.state.delete(stateKey(o.object));
      throw new FatalError(`salesforce: bulk job for ${o.object} ${why}; the next run starts a new job`);
    };
    let processed: number | undefined;
    for (;;) {
      const info = await jobCall(`bulk poll ${o.object}`, o, async () => bulkJobState(await conn.request<unknown>(`${base}/jobs/query/${st.jobId}`), `bulk poll ${o.object}`));
      if (info.state === 'JobComplete') {
        processed = info.records;
        break;
      }
      if (info.state === 'Failed' || info.state === 'Aborted') return giveUp(`${info.state}: ${(info.errorMessage ?? '').slice(0, 200)}`);
      // The run's time box is over (Ctrl-C): the job is saved, and the next run polls it again.
      if (ctx.stopping()) return false;
      await sleep(POLL_MS);
    }
    const described = await ctx.call(`describe ${o.object}`, async () => describedFields(await conn.describe(o.object), `describe ${o.object}`));
    const types = new Map(described.map((f) => [f.name, String(f.type)]));
    const jobId = st.jobId;
    while (st.locator !== 'null') {
      // Each page's locator is saved once its rows are on the queue: the next run reads on from here.
      if (ctx.stopping()) return false;
      const locator = st.locator;
      const url: string = `${ctx.client.config.instanceUrl}${base}/jobs/query/${jobId}/results?maxRecords=${opts.maxRecords}${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`;
      const page = await jobCall(`bulk results ${o.object}`, o, async (): Promise<{ text: string; next: string }> => {
        // The engine's getText: the timeout covers the whole page, body included (a page is at most
        // SALESFORCE_PAGE_SIZE rows); the page goes through the proxy jsforce's calls use, if one applies.
        const get = () => getText(url, { headers: { Authorization: `Bearer ${conn.accessToken ?? ''}`, Accept: 'text/csv' }, timeoutMs: SALESFORCE_TIMEOUT_MS });
        let res = await get();
        if (res.status === 401) {
          // Our own call cannot refresh the session: a cheap jsforce call (a job poll) re-mints it through
          // refreshFn on the same 401 and replays, then the page is asked again once. access_token mode cannot.
          await conn.request(`${base}/jobs/query/${jobId}`);
          res = await get();
        }
        const { text } = res;
        if (!res.ok) {
          let body: { errorCode?: string; message?: string } = {};
          try {
            body = (JSON.parse(text) as { errorCode?: string; message?: string }[])[0] ?? {};
          } catch {
            // an HTML error page
          }
          // Shaped as jsforce's errors (errorCode from the body), plus the HTTP status jsforce's lack: a 5xx
          // is retried whatever its code says (classifySalesforceError).
          throw Object.assign(new Error(body.message ?? `HTTP ${res.status}`), { errorCode: body.errorCode ?? `ERROR_HTTP_${res.status}`, status: res.status });
        }
        return { text, next: res.headers.get('sforce-locator') ?? 'null' };
      });
      // A re-login while the page was read (its 401 above, or jsforce's on the poll) may have reached another org:
      // a sandbox refreshed during the backfill. Checked before its rows land, as the REST streams do.
      if (ctx.client.session !== checkedIn) {
        checkedIn = ctx.client.session;
        await checkSameOrg(ctx, o.stream, o.object);
      }
      const rows = parse(page.text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
      await emit(rows.map((r) => ({ object: o.object, row: typed(r, types) })));
      const read = st.rows === undefined ? undefined : st.rows + rows.length;
      const next = page.next || 'null';
      // Checked before the job is saved as read, so a run killed here checks it again when it resumes.
      if (next === 'null' && read !== undefined && read !== processed) return giveUp(`reported ${processed} records, but its results held ${read}`);
      st = { ...st, locator: next, rows: read };
      await ctx.state.set(stateKey(o.object), st);
    }
    return true;
  };
  /** The object's job read, started if need be, in the org its stream's position belongs to; null: stopped at the time box. */
  const readInOrg = async (o: BulkObject, saved: BulkState | null, count: number): Promise<BulkState | null> => {
    let st = saved;
    // The org the stream's position belongs to, as the REST stream checks it (org-identity.ts): a job saved in
    // another org (a sandbox refreshed since) is not resumed, nor one started, under the old org's id. Until
    // 2026-12-03 only the REST streams checked, so a backfill landed the new org's rows under the old org's
    // bookmarks and its id. A --full taking the new org drops the old org's job and starts one here.
    const org = await checkSameOrg(ctx, o.stream, o.object);
    // Answered under the session now current (its first call may have logged in).
    checkedIn = ctx.client.session;
    if (org === 'taking' && st) {
      await ctx.state.delete(stateKey(o.object));
      st = null;
    }
    st ??= await startJob(o, count || null);
    for (let restarted = false; ;) {
      try {
        return (await readJob(o, st)) ? st : null;
      } catch (err) {
        if (!(err instanceof CursorGoneError) || restarted) throw err;
        restarted = true;
        // A refreshed sandbox's jobs are gone too (Salesforce answers 404 for them), met after the re-login that
        // reached the new org: checked before a job is started there, so a plain run stops with the org's error and
        // starts nothing under the old org's id, and a --full takes the new org. Until 2026-12-04 the new job was
        // started first, in the new org, and only its first result page was checked.
        if (ctx.client.session !== checkedIn) {
          checkedIn = ctx.client.session;
          await checkSameOrg(ctx, o.stream, o.object);
        }
        // The rows already read from the old job land again, idempotently. No ids in the line.
        log.warn('salesforce bulk job no longer exists (older than seven days, deleted, or of an org refreshed since): starting a new one', { connector: opts.connector, stream: 'backfill', object: o.object });
        st = await startJob(o, null);
      }
    }
  };
  for (const o of opts.objects) {
    let st: BulkState | null = (await ctx.state.get<BulkState>(stateKey(o.object))) ?? null;
    const count = counts.get(o.object) ?? 0;
    if (!st && count < opts.threshold) continue;
    // A job read to its end needs no org: it is only the REST stream's starting point now.
    if (st?.locator !== 'null') st = await readInOrg(o, st, count);
    // Stopped at the time box (or Ctrl-C): the job is saved, and the next run reads on.
    if (!st) return;
    // Incremental REST takes over from the job's start, minus the lookback for rows committed late.
    const bm = await loadBookmark(ctx.state, opts.connector, o.stream);
    if (!bm.cursor) {
      const from = new Date(Date.parse(st.createdDate.replace(/\+0000$/, 'Z')) - opts.lookbackMs);
      await saveBookmark(ctx.state, opts.connector, o.stream, { ...bm, cursor: from.toISOString(), window: null });
    }
  }
}
