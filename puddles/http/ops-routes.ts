// The operations dashboard's data (read keys only). Every answer comes from a fixed query written here or a
// named view; nothing from the caller reaches SQL. Answers are reused (see `cached`): several screens polling
// must not keep the query engine scanning in front of the drift check and the totals rebuild.
import type { FastifyInstance } from 'fastify';
import { readStreamStatus } from '../../core/engine/stream-status.js';
import { ClosedError, LakeFileError } from '../../core/errors.js';
import { RepeatedFailure } from '../../core/repeated-failure.js';
import type { KeyRing } from '../../core/http/auth.js';
import { DamagedLakeFiles } from '../../core/http/damaged-lake-files.js';
import { errorBody } from '../../core/http/errors.js';
import { queryParams, shownName } from '../../core/http/query-params.js';
import { requireScope } from '../../core/http/scope.js';
import { inBackground, systemClock, type Clock, type QueryEngine, type Row, type StateStore } from '../../core/ports.js';
import { connectorHealth } from './connector-health.js';
import { parseTotalsFilter } from './totals-routes.js';
import { BOX_MS } from '../../core/time-window.js';
import type { TotalsKeeper } from '../totals-keeper.js';
import type { WebhookFreshness } from '../webhook-freshness.js';

export interface OpsRoutesOptions {
  keys: KeyRing;
  query: QueryEngine;
  keeper: TotalsKeeper;
  webhooks: WebhookFreshness;
  /** Messages waiting per puddle. */
  queueDepths(): Promise<Record<string, number>>;
  /** Where the connectors' bookmarks and last runs are kept, and their streams: outcome and lag per source. */
  state: StateStore;
  connectors: Readonly<Record<string, { readonly streams: readonly string[] }>>;
  clock?: Clock;
  /** The hub's health, as /healthz says it (whether the queue commits, which puddles fail to land). */
  health?: () => Promise<Record<string, unknown>>;
  /** How long an answer is reused (default 3 s), and the journey and breaks (default 10 s). */
  cacheMs?: number;
  reportsCacheMs?: number;
}

/** The journey answer's row of clicks (no stage of recon_journey is spelt so). */
const CLICKS = '(clicks)';

export const OPS_SQL = {
  // The count of runs comes from the lake (and the last run's times, for a connector with no state here):
  // outcome and lag come from each stream's last run and bookmark in state (stream-status.ts).
  syncRuns: `SELECT connector, count(*) AS runs, max(occurred_at) AS last_started_at, max(ended_at) AS last_ended_at
    FROM sync_run GROUP BY connector ORDER BY connector`,
  // Open ones only: a record `puddle quarantine retry` landed since is resolved (its row stays in `quarantine`).
  quarantine: `SELECT count(*) AS n FROM quarantine_open`,
  // Each stage split by whether the donation's status counts as pledged money, as the live total counts it
  // (donation_statuses; a status the list does not know counts): the funnel's "pledged" is then the Pledged card's
  // count. from_click: those naming the click they came from. Until 2026-12-07 the funnel summed stages alone, so a
  // pledge whose card was declined, or refunded, was in no bar, and "clicked" counted donations, not clicks (a
  // digital analyst's user test). The clicks landed (calls to action followed), the funnel's first step, are a row of
  // their own (stage CLICKS), in the same query, so that the answer is of one moment. Its from_click is the clicks a
  // pledge names: two pledges from one click (a double submit) are two pledges from a click but one click converted,
  // so the share of the clicks is taken from this, not from the pledges' from_click (until 2026-12-07 it was, and
  // could pass 100%).
  journey: `WITH j AS (SELECT j.stage, coalesce(s.pledged, true) AS pledged, j.currency, j.click_id, j.amount_minor
      FROM recon_journey j LEFT JOIN donation_statuses s ON s.status = j.status)
    SELECT stage, pledged, currency, count(*) AS count, count(click_id) AS from_click, CAST(sum(amount_minor) AS BIGINT) AS amount_minor
    FROM j GROUP BY stage, pledged, currency
    UNION ALL
    SELECT '${CLICKS}', CAST(NULL AS BOOLEAN), CAST(NULL AS VARCHAR), count(*),
      count(*) FILTER (WHERE click_id IN (SELECT click_id FROM j WHERE pledged AND click_id IS NOT NULL)), CAST(0 AS BIGINT)
    FROM click
    ORDER BY 1, 2, 3`,
  // The amount at stake: a break's amount_minor is signed (payment - donation, a shortfall), and +25.00 and -25.00
  // are 50.00 to look into, not nothing, so the view's at_stake_minor (never negative) is added, as a spreadsheet
  // of `puddle report breaks` adds its at_stake column.
  breaksByType: `SELECT break_type, currency, count(*) AS count, CAST(sum(at_stake_minor) AS BIGINT) AS amount_minor
    FROM recon_breaks GROUP BY break_type, currency ORDER BY break_type, currency`,
  newestBreaks: `SELECT break_type, object_kind, object_id, amount_minor, currency, age_days, reason FROM recon_breaks
    ORDER BY age_days ASC, break_type, object_id LIMIT 25`,
} as const;

/**
 * The longest an answer is reused, however long it took (the page shows its age: `computed_at`, when the answer
 * was asked for, so its figures hold at least what had landed by then; until 2026-12-05 it was when the answer
 * came, up to a minute after the lake it read, behind other queries).
 */
export const REUSE_CAP_MS = 60_000;

/** The longest the status's lake counts (sync runs, open quarantine) are reused. */
export const STATUS_REUSE_CAP_MS = 15_000;

/** The routes of fixed figures, which take no parameters, and where to look instead for one record. */
const FIXED_ROUTES: Record<string, string> = {
  '/v1/ops/status': 'It answers the whole hub.',
  '/v1/ops/journey': "It answers the whole funnel; one donation's journey is its row of recon_journey (`puddle query`, docs/supporter-care.md).",
  '/v1/ops/breaks': "It answers every open break; one donation's are the rows of recon_breaks naming it (`puddle query`).",
};

/**
 * The funnel's steps in the order money travels: the clicks, then the pledges the live total counts, and of those the
 * ones paid (stage paid, paid_out, banked, or paid and since refunded or disputed), paid out and banked.
 */
export const FUNNEL = ['clicks', 'pledged', 'paid', 'paid_out', 'banked'] as const;

/** Rows of a fixed query, or `null` when its view does not exist on this lake (yet). */
async function rowsOrMissing(query: QueryEngine, sql: string): Promise<Row[] | null> {
  try {
    return await query.query(sql);
  } catch (err) {
    // A damaged or missing file is not a view that does not exist yet: it goes to the error handler (503).
    if (err instanceof LakeFileError) throw err;
    if (err instanceof Error && /does not exist|not found/i.test(err.message)) return null;
    throw err;
  }
}

/**
 * What an operator is told of a lake read that failed: a damaged file's own message (logged once per file, not
 * once per poll: damaged-lake-files.ts), else where to look (logged when it starts, then at most every 10 s:
 * until 2026-12-03 every open dashboard logged it every 3 s).
 */
function lakeReadProblem(err: unknown, part: string, damaged: DamagedLakeFiles, failing: RepeatedFailure): string {
  if (err instanceof LakeFileError) {
    damaged.failed(statusReader(part), err, { part });
    return err.message;
  }
  failing.fail('an operations read failed', err);
  return `${part.replace('_', ' ')} could not be read from the lake: the hub's log says why`;
}

/** A status part as a reader of the lake (damaged-lake-files.ts). */
const statusReader = (part: string) => `GET /v1/ops/status ${part}`;

export async function opsRoutes(app: FastifyInstance, opts: OpsRoutesOptions): Promise<void> {
  const { query, keeper } = opts;
  // The server's list, shared with its error handler, so a file the status and the breaks both fail on is said once.
  const damaged = app.damagedLakeFiles ?? new DamagedLakeFiles();
  const nowIso = () => (opts.clock ?? systemClock).now().toISOString();
  const cacheMs = opts.cacheMs ?? 3000;
  const reportsMs = opts.reportsCacheMs ?? 10_000;
  // An answer is reused for `cacheMs`, or for five times as long as it took to compute (the journey and breaks
  // views read the whole lake: on a big one, screens polling every few seconds would otherwise keep the query
  // engine busy all the time), but never for more than REUSE_CAP_MS: until 2026-12-03 there was no cap, and an
  // answer that took 4 minutes behind the totals rebuild was then served for 20. Once it is due, the next
  // request starts a new one and gets the last answer meanwhile (its `computed_at` says how old), so a panel
  // answers in milliseconds whatever the lake's size; only the first answer, the one after a failure, or the first
  // after a quiet spell is waited for. Quiet: nobody asked for REUSE_CAP_MS, so nothing kept the answer fresh, and
  // serving it would show figures from whenever someone last looked (until 2026-12-05 a journey 114 s old came
  // with 200 to the first caller after a quiet minute and a half). While a panel polls, a refresh starts at every
  // poll that finds the answer due, so what it is served is never older than the cap and one refresh.
  // `at` is when `value` was computed (0: no answer yet); `next`, the answer being computed; `waited`, whether
  // requests wait for `next` (the first answer, or after a quiet spell) or are served `value` meanwhile; `asked`,
  // when the last request came.
  interface Cached {
    at: number;
    ttl: number;
    value: unknown;
    next: Promise<unknown> | undefined;
    waited: boolean;
    asked: number;
  }
  const cache = new Map<string, Cached>();
  // An answer waited for (the first, or after a quiet spell) has its queries go ahead of the hub's background work;
  // a refresh is not (the last answer is served), so its queries wait for that work too: idle (duckdb-query-engine.ts).
  const refreshQuery = inBackground(query, 'idle');
  const cached = <T>(name: string, make: (q: QueryEngine) => Promise<T>, minMs = cacheMs, capMs = REUSE_CAP_MS): Promise<T> => {
    let entry = cache.get(name);
    if (!entry) cache.set(name, (entry = { at: 0, ttl: 0, value: undefined, next: undefined, waited: false, asked: 0 }));
    const now = Date.now();
    const quiet = now - entry.asked >= REUSE_CAP_MS;
    entry.asked = now;
    const due = now - entry.at >= entry.ttl;
    if (due && !entry.next) {
      const started = now;
      const e = entry;
      e.waited = e.at === 0 || quiet;
      e.next = make(e.waited ? query : refreshQuery).then(
        (value) => {
          Object.assign(e, { at: Date.now(), ttl: Math.min(capMs, Math.max(minMs, 5 * (Date.now() - started))), value, next: undefined, waited: false });
          return value;
        },
        (err: unknown) => {
          // Forgotten, older answer too: the next request asks again and is told (a damaged file: 503).
          cache.delete(name);
          throw err;
        },
      );
      // A refresh nobody waits for (the last answer was served) fails quietly: the next request is told.
      e.next.catch(() => undefined);
    }
    return entry.next && entry.waited ? (entry.next as Promise<T>) : Promise.resolve(entry.value as T);
  };

  // Breaks and the journey name donations and payments, read with the dashboard's cookie (no Authorization
  // header, which alone keeps a shared cache off): no cache keeps any of these answers, refusals included, as
  // none keeps the totals. Until 2026-12-02 they had no Cache-Control at all.
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });
  app.addHook('onRequest', requireScope(opts.keys, (who) => who.scope === 'read', 'the dashboard'));
  // The status, journey and breaks are fixed figures and take no parameters. Until 2026-12-06 one they do not take
  // was ignored: `/v1/ops/journey?donation_id=...` answered the whole funnel, read as that donation's journey.
  app.addHook('preHandler', async (req, reply) => {
    const path = req.routeOptions.url;
    const instead = path === undefined ? undefined : FIXED_ROUTES[path];
    if (instead === undefined || Object.keys((req.query ?? {}) as object).length === 0) return;
    const first = shownName(Object.keys(req.query as object)[0]!);
    return reply.code(400).send(errorBody('invalid_query', `${first} is not a parameter: ${path} takes none. ${instead}`));
  });

  // Only the SQL is reused: the totals check, the queue and the webhooks are read fresh for every answer (a
  // status made while the lake was slow to read would otherwise show "not checked yet" for 5x that long).
  // The streams' state is read fresh too: one round trip, and a failure must show at the next poll.
  // The two lake reads answer each on its own: a part that fails is `null`, and `problems` says why (a damaged
  // file: which, and the replay that mends it). Until 2026-12-03 one failing read failed the whole answer (503),
  // and the dashboard's queue, health and sources went blank with it, though none of them reads the lake.
  // Each part that answered has its `computed_at`, as the journey and breaks do: its answer is reused (until
  // 2026-12-03 nothing said how old the runs' and the quarantine's counts were, while the rest is fresh).
  const readFailing = new Map<string, RepeatedFailure>();
  const failingRead = (name: string) => {
    let f = readFailing.get(name);
    if (!f) readFailing.set(name, (f = new RepeatedFailure({ fields: { part: name } })));
    return f;
  };
  app.get('/v1/ops/status', async () => {
    const problems: Record<string, string> = {};
    const computedAt: Record<string, string> = {};
    const part = async (name: string, sql: string): Promise<Row[] | null> => {
      try {
        // Two counts, cheap whatever the lake's size: reused STATUS_REUSE_CAP_MS at most. How long an answer took
        // includes its wait for the engine, and behind a journey's or breaks' first answer (17 s in a user test)
        // five times that was a minute of a status 60 s old while polled every 5 s (until 2026-12-05).
        const answer = await cached(`status:${name}`, async (q) => {
          const at = nowIso();
          return { rows: await q.query(sql), at };
        }, cacheMs, STATUS_REUSE_CAP_MS);
        computedAt[name] = answer.at;
        damaged.read(statusReader(name));
        readFailing.get(name)?.succeeded('an operations read answers again', 'warn');
        return answer.rows;
      } catch (err) {
        if (err instanceof ClosedError) throw err;
        problems[name] = lakeReadProblem(err, name, damaged, failingRead(name));
        return null;
      }
    };
    const runs = await part('sync_runs', OPS_SQL.syncRuns);
    const q = (await part('quarantine', OPS_SQL.quarantine))?.[0];
    const now = (opts.clock ?? systemClock).now().getTime();
    const sources = new Map<string, Record<string, unknown>>();
    for (const r of runs ?? []) {
      sources.set(String(r.connector), { source: r.connector, runs: r.runs, last_run_started_at: r.last_started_at, last_run_ended_at: r.last_ended_at, last_outcome: null, failing_streams: [], lag_seconds: null, streams: [] });
    }
    // What the streams' state says wins over the lake's last runs: it is written before a run is published.
    for (const health of connectorHealth(await readStreamStatus(opts.state, opts.connectors, now))) {
      sources.set(health.source, { runs: 0, ...sources.get(health.source), ...health });
    }
    for (const [source, at] of Object.entries(opts.webhooks.snapshot())) {
      sources.set(source, { ...(sources.get(source) ?? { source }), last_webhook_at: at });
    }
    const drift = keeper.drift();
    return {
      now: new Date(now).toISOString(),
      sources: [...sources.values()].sort((a, b) => String(a.source).localeCompare(String(b.source))),
      health: (await opts.health?.()) ?? null,
      queue: await opts.queueDepths(),
      quarantine: q ? Number(q.n) : null,
      problems,
      computed_at: computedAt,
      totals: { ready: keeper.ready, donations: keeper.totals.donations, as_of: keeper.totals.asOf(), drift: drift.lastConclusive ?? null, last_check: drift.last ?? null, check_failing: keeper.driftFailing() },
    };
  });

  // Where each call to action drew pledges: from its first box to the end of its last, per currency-free count.
  // Narrowed as the totals are (`campaign`, `from`, `to`): the dashboard opened on one campaign shows that
  // campaign's lanes, not a lane stretched across every other campaign's dates.
  app.get('/v1/ops/ctas', async (req, reply) => {
    const read = queryParams((req.query ?? {}) as Record<string, unknown>, ['campaign', 'from', 'to']);
    const filter = 'error' in read ? read : parseTotalsFilter(read.params);
    if ('error' in filter) return reply.code(400).send(errorBody('invalid_query', filter.error));
    const windows = new Map<string, { cta: string | null; from: number; to: number; count: number }>();
    for (const c of keeper.totals.cells()) {
      if (filter.campaign !== undefined && c.campaign !== filter.campaign) continue;
      if ((filter.from !== undefined && c.box < filter.from) || (filter.to !== undefined && c.box >= filter.to)) continue;
      const k = String(c.cta);
      const w = windows.get(k) ?? { cta: c.cta, from: c.box, to: c.box + BOX_MS, count: 0 };
      w.from = Math.min(w.from, c.box);
      w.to = Math.max(w.to, c.box + BOX_MS);
      w.count += c.count;
      windows.set(k, w);
    }
    return {
      ctas: [...windows.values()]
        .filter((w) => w.count > 0)
        .sort((a, b) => a.from - b.from)
        .map((w) => ({ cta: w.cta, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(), count: w.count })),
    };
  });

  app.get('/v1/ops/journey', () =>
    cached('journey', async (sql) => {
      const at = nowIso();
      const rows = await rowsOrMissing(sql, OPS_SQL.journey);
      const clicks = rows?.find((r) => r.stage === CLICKS);
      const stages = rows?.filter((r) => r.stage !== CLICKS) ?? [];
      return {
        available: rows !== null,
        funnel: FUNNEL,
        clicks: clicks ? Number(clicks.count) : null,
        clicks_pledged: clicks ? Number(clicks.from_click) : null,
        stages,
        computed_at: at,
      };
    }, reportsMs),
  );

  app.get('/v1/ops/breaks', () =>
    cached('breaks', async (sql) => {
      const at = nowIso();
      const byType = await rowsOrMissing(sql, OPS_SQL.breaksByType);
      const newest = byType === null ? null : await rowsOrMissing(sql, OPS_SQL.newestBreaks);
      return { available: byType !== null, by_type: byType ?? [], newest: newest ?? [], computed_at: at };
    }, reportsMs),
  );
}
