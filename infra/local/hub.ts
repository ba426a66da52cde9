import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { PuddleConfig } from '../../core/config.js';
import { Refetcher } from '../../core/engine/refetch.js';
import type { ConnectorInstance } from '../../core/engine/sync.js';
import type { Envelope, EnvelopeTexts } from '../../core/envelope.js';
import { ConfigError, QueueCommitError } from '../../core/errors.js';
import { createKeyRing } from '../../core/http/auth.js';
import type { AuthFailuresOptions } from '../../core/http/auth-failures.js';
import { buildServer, closeServer } from '../../core/http/server.js';
import { log } from '../../core/log.js';
import { inBackground, type Clock, type Queue, type SecretStore } from '../../core/ports.js';
import { RepeatedFailure, writeFix, type FailureState } from '../../core/repeated-failure.js';
import type { Runtime } from '../../core/runtime.js';
import { itsAddress, listenProblem } from '../../core/listen-problem.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { SANDBOXES, type RunningSandbox } from '../../connectors/sandboxes.js';
import { FAULT_ROUTE, faultRoute } from '../../connectors/sandbox-kit/fault-route.js';
import { parseSandboxFaults, type SandboxFaults } from '../../connectors/sandbox-kit/faults.js';
import { sandboxWorld } from '../../connectors/sandbox-world.js';
import { noteMadeUpData } from './made-up-data.js';
import { sweepTempFolders } from '../../puddles/temp-files.js';
import { startSandboxWebsite, type SandboxWebsite } from '../../connectors/sandbox-website.js';
import { webhookPlugins } from '../../connectors/webhooks.js';
import { DEFAULT_BATCH_SIZE, lingerLeftMs } from '../../puddles/consumer.js';
import { PUDDLES, puddleFor } from '../../puddles/definitions.js';
import { FeedWriter } from '../../puddles/feeds.js';
import { connectorsHealth as readConnectorsHealth } from '../../puddles/http/connector-health.js';
import { dashboardRoutes } from '../../puddles/http/dashboard-routes.js';
import { feedRoutes } from '../../puddles/http/feed-routes.js';
import { opsRoutes } from '../../puddles/http/ops-routes.js';
import { COUNTING_BEHIND_MS, totalsRoutes, type CountingBehind } from '../../puddles/http/totals-routes.js';
import type { LandedRows } from '../../puddles/landed.js';
import { RAW_TABLE } from '../../puddles/layout.js';
import { accountsWithoutBalances } from '../../puddles/recon-params.js';
import { TotalsKeeper } from '../../puddles/totals-keeper.js';
import { WebhookFreshness } from '../../puddles/webhook-freshness.js';
import { SCHEDULE } from '../../schedules/schedule.js';
import { startBankInbox } from './bank-inbox.js';
import { warnIfOpen } from './home-dir.js';
import { lockHome, openUnderLock, type HomeLock } from './home-lock.js';
import { watchQueueFile, type HomeWatch } from './home-watch.js';
import { listenAddresses, probePort } from './port-probe.js';
import { damagedFileError } from './sqlite-file.js';
import { reclaimQueueSpace } from './queue-space.js';
import { probeSandboxPorts, sandboxPortFailure, sandboxPorts } from './sandbox-ports.js';
import { parseImportOptions } from '../../connectors/bank/import-file.js';
import { DEFAULT_RAW_LINGER_MS, LandingThreads, type LandingThreadsOptions } from './landing-thread.js';
import { createLocalRuntime } from './runtime.js';
import { logDuckDbMemory, setDuckDbMemoryMb } from '../../puddles/duckdb.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { SqliteFeedLog } from './sqlite-feed-log.js';
import { ensureWebBuilt, readWebBuild } from './web-assets.js';

export interface HubStats {
  accepted: number;
  waiting: number;
  files: number;
  /** How long the oldest event waiting to land has waited, in ms (0 when none). */
  oldestWaitingMs: number;
  /** `waiting` is above the configured bound (config.maxQueueDepth): landing is behind. */
  behind: boolean;
  bound: number;
  /** The queue cannot commit (events are refused with 503): since when, why, how many publishes failed. */
  queueFailing: FailureState | null;
  /** The puddles whose landing fails, each with its failure (their events wait, durably, in the queue). */
  landingFailing: Record<string, FailureState>;
  /**
   * The live totals over all time (GET /v1/totals without a filter): the main currency's total and count, the
   * others' codes. Null until they are rebuilt from the lake at start.
   */
  liveTotal: LiveTotal | null;
  /** The rebuild of the live totals fails (it is retried): since when, why, how many attempts. */
  liveTotalFailing: FailureState | null;
}

export interface LiveTotal {
  /** Null before the first donation. */
  currency: string | null;
  amount_minor: number;
  count: number;
  others: string[];
}

export interface Hub {
  url: string;
  runtime: Runtime;
  server: FastifyInstance;
  /** Sandboxes started because a provider had no credentials. */
  sandboxes: RunningSandbox[];
  /** The providers whose credentials kept `auto` from starting any sandbox (realProviders); empty otherwise. */
  realProviders: string[];
  /** The live totals (rebuilt from the lake before the hub listens) and their drift checks. */
  totals: TotalsKeeper;
  /**
   * What the hub has accepted and what waits to land. `reported`: the landing threads' last count (at most
   * ~0.5 s old, more on a deep backlog) instead of counting now on this event loop; the live line asks for
   * it every second, and counting a backlog of a million deliveries held the producer's loop for tens of ms.
   */
  stats(opts?: { reported?: boolean }): Promise<HubStats>;
  /** Stop taking requests and syncing, land what is queued (bounded by `drainMs`), close everything. */
  stop(drainMs?: number): Promise<void>;
}

/** Counts envelopes the queue confirmed, for the live line, and tells `commits` whether the queue commits. */
function countingQueue(queue: Queue, counter: { accepted: number }, commits: RepeatedFailure, home: HomeWatch): Queue {
  // Every method delegates with the queue itself as `this` (an Object.create wrapper would let a method
  // that sets a field set it on the wrapper).
  return {
    subscribe: (sub) => queue.subscribe(sub),
    // Not async: an async function keeps its parameters while it awaits. Only the count waits for the
    // commit, not the envelopes (see eventsAcceptor).
    publish: (envelopes: readonly Envelope[], texts?: EnvelopeTexts) => {
      const n = envelopes.length;
      const gone = home.gone();
      return (gone ? Promise.reject(gone) : queue.publish(envelopes, texts)).then(
        () => {
          counter.accepted += n;
          // At warn, as its failure is at error: a log read at warn shows both ends (it was info until
          // 2026-12-03). One call that returns at once while the queue commits: this is every publish's path.
          commits.succeeded('the queue commits again', 'warn');
        },
        (err: unknown) => {
          // Only a commit that failed says something of the queue (not an envelope refused for its content).
          if (err instanceof QueueCommitError) commits.fail('the queue cannot commit: events are refused (503) until it can', err);
          throw err;
        },
      );
    },
    claim: (subscription, opts) => queue.claim(subscription, opts),
    ack: (subscription, receipts) => queue.ack(subscription, receipts),
    extend: (subscription, receipts, visibilityMs) => queue.extend(subscription, receipts, visibilityMs),
    retry: (subscription, receipts, opts) => queue.retry(subscription, receipts, opts),
    deadLetters: (subscription, limit) => queue.deadLetters(subscription, limit),
    depth: (subscription) => queue.depth(subscription),
    close: () => queue.close(),
  };
}

/** A sandbox's presets with each name the secrets already have taken from them instead. */
function setWins(presets: Record<string, string>, secrets: SecretStore): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(presets)) out[name] = secrets.get(name) || value;
  return out;
}

/** Secrets from the environment, overlaid with what sandboxes provide. */
function layered(base: SecretStore, overlay: Record<string, string>): SecretStore {
  return { get: (name) => overlay[name] ?? base.get(name) };
}

export interface HubOptions {
  config: PuddleConfig;
  /** What the home's lock says holds it (default `puddle start`): a second hub on the home names it. */
  command?: string;
  /** How its user set the port, for the message when it is taken (default `PORT`; the demo's is `--port`). */
  portSetting?: string;
  /**
   * The home's lock, when the caller took it before printing anything (`puddle start`): the hub holds it from
   * here and releases it when it stops, or when it fails to open.
   */
  lock?: HomeLock;
  schedule?: boolean;
  maintenanceMs?: number;
  /** Stream timings for tests (defaults: 250 ms between pushes, 15 s heartbeats). */
  stream?: { minIntervalMs?: number; heartbeatMs?: number };
  /**
   * Return once listening, with the live totals still being rebuilt (they answer 503 until then): a restart on the
   * night takes events at once instead of after a rebuild that takes minutes on a big lake. `puddle start` does
   * this. Either way the hub listens before the rebuild starts.
   */
  totalsInBackground?: boolean;
  /** Time between attempts to rebuild the live totals while it fails (default 30 s). */
  totalsRetryMs?: number;
  /** Rows per page of the live totals' rebuild (default 200,000; tests make it small to stop one midway). */
  totalsPageRows?: number;
  /** The limit on unknown keys per client address (tests make it small; core/http/auth-failures.ts). */
  authFailures?: AuthFailuresOptions;
  /** Landing threads' settings (tests make landing slow to see a backlog). */
  landing?: Pick<LandingThreadsOptions, 'consumer' | 'groups' | 'backlogMs' | 'busy'>;
  /**
   * The machine's clock by default. Received times (the producer's, webhooks', syncs' and bank imports') come from
   * it through the runtime's ForwardClock, so they never go back within the home (core/received-clock.ts).
   */
  clock?: Clock;
  /**
   * How far after its arrival a record's occurred_at or updated_at may be, for the producer and the syncs: a day
   * unless `puddle demo` widens it for its fixed calendar (core/contracts/time-bounds.ts). Not a setting of the home.
   */
  maxAheadMs?: number;
}

/**
 * PUDDLE_SANDBOXES read: the providers that get a sandbox when their credentials are not set. Unset (or `auto`):
 * every one, unless one provider's credentials are set (realProviders); `off`: none; else a comma-separated list of them (`stripe,salesforce`). A sandbox's made-up donations
 * count in the live totals, on the TV and in the lake like real ones, so a live hub sets `off` (until 2026-12-06 the
 * only way to stop them was --no-schedule, which stops the real connectors' syncs too; a security review). A name
 * that is no provider is a ConfigError (exit 2).
 */
export function sandboxChoice(text: string | undefined): ReadonlySet<string> {
  const all = Object.keys(SANDBOXES);
  const t = (text ?? '').trim().toLowerCase();
  if (isAuto(text)) return new Set(all);
  if (t === 'off') return new Set();
  const names = t.split(',').map((n) => n.trim()).filter(Boolean);
  const bad = names.filter((n) => !all.includes(n));
  if (bad.length || !names.length) throw new ConfigError(`PUDDLE_SANDBOXES must be auto, off or a comma-separated list of ${all.join(', ')}; ${bad.length ? `${bad.map((n) => JSON.stringify(n)).join(', ')} is not one` : 'it names none'}`);
  return new Set(names);
}

/**
 * The providers whose real credentials are set, when PUDDLE_SANDBOXES is left to `auto`: then no sandbox starts at
 * all. `auto` is for trying Puddle; once one provider is real, a sandbox beside it would put made-up donations in the
 * real lake for good (until 2026-12-07 it did, with a warning: a going-live user test). A list still starts what it
 * names beside real credentials. Empty when the choice is not `auto` or nothing is configured.
 */
function realProviders(text: string | undefined, env: { get(name: string): string | undefined }): string[] {
  if (!isAuto(text)) return [];
  return Object.entries(SANDBOXES).filter(([, s]) => s.configured(env)).map(([name]) => name);
}

/** PUDDLE_SANDBOXES unset, blank or `auto` (any case). */
const isAuto = (text: string | undefined) => ['', 'auto'].includes((text ?? '').trim().toLowerCase());

/** PUDDLE_SANDBOX_FAULTS read, or a ConfigError saying what is wrong (`puddle start` stops with exit code 2). */
export function sandboxFaults(text: string | undefined): Record<string, SandboxFaults> {
  try {
    return parseSandboxFaults(text, Object.fromEntries(Object.entries(SANDBOXES).map(([name, s]) => [name, s.faults])));
  } catch (err) {
    throw new ConfigError(`PUDDLE_SANDBOX_FAULTS: ${(err as Error).message}`);
  }
}

/**
 * Producer, webhooks, consumers, maintenance and (with `schedule`) the scheduled syncs in one
 * process: the embedded hub behind `puddle start`. It holds the home's lock from before it opens anything
 * until it has closed everything: a second hub on the same home stops with a ConfigError naming this one.
 */
export async function startHub(opts: HubOptions): Promise<Hub> {
  return openUnderLock(opts.lock ?? lockHome(opts.config.home, opts.command ?? 'puddle start'), () => openHub(opts));
}

async function openHub(opts: HubOptions): Promise<Hub> {
  const { config } = opts;
  const faults = sandboxFaults(config.sandboxFaults);
  const ports = sandboxPorts(config.sandboxPorts);
  // Before anything heavy starts (landing, the live totals' rebuild): a taken port must not wait for them.
  await probePort(config.host, config.port).catch((err: unknown) => {
    throw listenFailure(err, config, opts.portSetting);
  });
  // Passing files' folders that processes killed (or versions before 2026-12-07) left in the system's tmp.
  sweepTempFolders();
  // Providers without credentials get a sandbox (the runtime's secrets are the environment, read here before it
  // opens): their ports are checked as the hub's is.
  const chosen = sandboxChoice(config.sandboxes);
  const env = { get: (name: string) => process.env[name] };
  const realSet = opts.schedule ? realProviders(config.sandboxes, env) : [];
  const wanted = opts.schedule && !realSet.length ? Object.entries(SANDBOXES).filter(([name, s]) => chosen.has(name) && !s.configured(env)) : [];
  await probeSandboxPorts(wanted.map(([name]) => name), ports);
  // Under the home's lock and before anything opens the queue: the space a drained backlog left goes back.
  const queueFile = join(config.home, 'queue.db');
  try {
    if (existsSync(queueFile)) reclaimQueueSpace(queueFile);
  } catch (err) {
    throw damagedFileError(queueFile, err, 'queue');
  }
  warnIfNoBookmarks(config.home);
  // Before the query engine's DuckDB opens (its first query) and the landing threads start.
  setDuckDbMemoryMb(config.duckDbMemoryMb);
  const runtime = await createLocalRuntime({ home: config.home, clock: opts.clock, durability: config.durability });
  warnIfOpen(config.home);
  const counter = { accepted: 0 };
  const commits = new RepeatedFailure({ fix: writeFix('queue.db') });
  const homeWatch = watchQueueFile(queueFile);
  const queue = countingQueue(runtime.queue, counter, commits, homeWatch);

  // The sandboxes' webhook secrets must exist before routes mount.
  const overlay: Record<string, string> = {};
  // A value the operator set wins over the preset, and the sandbox uses it too (it signs its webhooks with it): a
  // STRIPE_WEBHOOK_SECRET set for the real Stripe's webhooks must not be replaced because no API key is set yet.
  const presets = new Map(wanted.map(([name, s]) => [name, setWins(s.presets(), runtime.secrets)]));
  for (const p of presets.values()) Object.assign(overlay, p);
  const secrets = layered(runtime.secrets, overlay);
  // Webhooks are prompts: what they name is re-read with the connector instances made below.
  const instances: Record<string, ConnectorInstance<never>> = {};
  const engineRuntime = { queue, state: runtime.state, clock: runtime.clock, maxAheadMs: opts.maxAheadMs };
  const refetcher = new Refetcher({ runtime: engineRuntime, instances, maxPending: config.refetchMaxPending });

  // The sandboxes' pretend website posts their donations to the producer API with a key of its own, made now
  // and never shown: the operator's keys stay the operator's.
  const websiteKey = wanted.length ? randomBytes(24).toString('hex') : null;
  const keys = createKeyRing({ producer: config.apiKeys, hubProducer: websiteKey ? [websiteKey] : [], read: config.readKeys ?? [], tv: config.tvKeys ?? [], feeds: config.feedKeys ?? [], retired: config.retiredKeys ?? [] });
  const keeper = new TotalsKeeper(runtime.query, undefined, { pageRows: opts.totalsPageRows });
  const feedLog = new SqliteFeedLog(join(config.home, 'feeds.db'));
  const feeds = new FeedWriter(feedLog);
  const webhooks = new WebhookFreshness();
  const listeners = [keeper.onLanded, feeds.onLanded, webhooks.onLanded];
  const onLanded = (landed: LandedRows) => {
    for (const l of listeners) l(landed);
  };

  // The dashboard's files are built from web/ when missing or stale, and read whole: the hub serves this build
  // until it stops, whatever rebuilds dist/web meanwhile (web-assets.ts). Without them the API still serves.
  const web = await ensureWebBuilt().then((dir) => readWebBuild(dir)).catch((err: unknown) => {
    log.error('dashboard not available', { reason: err instanceof Error ? err.message : String(err) });
    return null;
  });
  // The landing threads count what waits (off this event loop); before their first report, the queue does.
  const queueDepths = async () => {
    const reported = landing.backlog();
    if (reported.at) return reported.depths;
    const out: Record<string, number> = {};
    for (const p of PUDDLES) out[p.name] = await runtime.queue.depth(p.name);
    return out;
  };

  // Raw's deliveries its consumer leaves in the queue on purpose, for a fuller file (landing-worker.ts): not
  // waiting to land yet, as the landing threads count them too.
  const rawBatch = opts.landing?.consumer?.batchSize ?? DEFAULT_BATCH_SIZE;
  const rawLingerMs = config.rawLingerMs ?? DEFAULT_RAW_LINGER_MS;
  const rawLingers = (puddle: string) =>
    puddle === RAW_TABLE.puddle && lingerLeftMs(runtime.queue.claimable(puddle, rawBatch), rawBatch, rawLingerMs) > 0;

  // Landing behind is reported (here and on the live line), never refused: while the queue commits, events
  // are safe, and refusing them would move the backlog to the producers, who may have nowhere to keep it.
  const bound = config.maxQueueDepth ?? 200_000;
  const lag = () => {
    const b = landing.backlog();
    return { waiting: b.waiting, lingering: b.lingering, oldestWaitingMs: b.oldestMs, behind: b.waiting > bound, bound, reported: b.at > 0 };
  };
  // What /healthz, the operations status and the live line say. `accepting` is what a load balancer needs:
  // false while the queue cannot commit, when every event is refused with 503 (/healthz answers 503 too, so a
  // balancer sends producers to a hub that can take their events). Landing that fails or lags is reported, with
  // `ok` false, but the hub still accepts: its events wait in the queue, durably, and refusing them would move
  // the backlog to producers that may have nowhere to keep it. A queue failure is reported for a minute after
  // the last failed publish (RepeatedFailure's staleMs): a balancer that stopped sending gets the hub back to
  // try again, rather than never, since only a publish tells whether the queue commits. The live totals'
  // rebuild from the lake failing (a damaged lake file, retried) is reported as `totals` and changes neither `ok`
  // nor the status: events are accepted and land meanwhile, and only /v1/totals and /tv go without a total.
  const totalsHealth = () => {
    const rebuildFailing = keeper.rebuildFailing();
    const checkFailing = keeper.driftFailing();
    return { ready: keeper.ready, ...(rebuildFailing ? { failing_since: rebuildFailing.since } : {}), ...(checkFailing ? { check_failing_since: checkFailing.since } : {}) };
  };
  // `connectors.failing` (puddles/http/connector-health.ts): read from the streams' state at most once a second, on
  // the producer's event loop; it changes neither `ok` nor the status.
  const connectorsHealth = readConnectorsHealth({ state: runtime.state, streams: async () => CONNECTORS, now: () => runtime.clock.now().getTime(), cacheNow: Date.now });
  const health = async () => {
    const connectors = await connectorsHealth();
    const l = lag();
    const queueFailing = commits.current();
    const landingFailing = landing.failures();
    const failing = Object.keys(landingFailing).length > 0;
    const accepting = queueFailing === null;
    return {
      ok: accepting && !failing,
      accepting,
      queue: queueFailing ? { committing: false, ...queueFailing } : { committing: true },
      landing: {
        ...(l.reported ? { waiting: l.waiting, lingering: l.lingering, oldest_waiting_s: l.oldestWaitingMs / 1000, bound: l.bound, behind: l.behind } : { starting: true }),
        ...(failing ? { failing: landingFailing } : {}),
      },
      totals: totalsHealth(),
      connectors,
    };
  };
  // Accepted donations the live totals do not count yet, once the oldest has waited too long (totals-routes.ts
  // CountingBehind): read every second by the lag watch below, carried by GET /v1/totals and the streams' heartbeats.
  let countingBehind: CountingBehind | null = null;
  const server = buildServer({
    queue,
    health,
    apiKeys: config.apiKeys,
    keys,
    maxEvents: config.maxEvents,
    maxBodyBytes: config.maxBodyBytes,
    clock: runtime.clock,
    maxAheadMs: opts.maxAheadMs,
    ...(opts.authFailures ? { authFailures: opts.authFailures } : {}),
    trustedProxies: config.trustedProxies ?? [],
    maxConnections: config.maxConnections,
    plugins: [
      ...webhookPlugins(queue, secrets, refetcher, runtime.clock),
      async (app) => {
        await app.register(totalsRoutes, { keys, totals: keeper.totals, ready: () => keeper.ready, rebuildFailing: () => keeper.rebuildError, behind: () => countingBehind, maxStreams: config.maxStreams, maxStreamsPerKey: config.maxStreamsPerKey, ...opts.stream });
      },
      async (app) => {
        await app.register(feedRoutes, { keys, log: feedLog, queue, clock: runtime.clock });
      },
      async (app) => {
        await app.register(opsRoutes, { keys, query: runtime.query, keeper, webhooks, queueDepths, state: runtime.state, connectors: CONNECTORS, clock: runtime.clock, health });
      },
      ...(web
        ? [
            async (app: FastifyInstance) => {
              await app.register(dashboardRoutes, { keys, web, passDays: config.dashboardPassDays });
            },
          ]
        : []),
    ],
  });
  // Landing and the lake's maintenance run on worker threads with their own connections (landing-thread.ts).
  const landing = new LandingThreads({ home: config.home, onLanded, maintenanceMs: opts.maintenanceMs, nice: config.landingNice, yieldAbove: config.landingYieldAbove, rawLingerMs: config.rawLingerMs, duckDbMemoryMb: config.duckDbMemoryMb, ...opts.landing });
  await landing.start();
  let wasBehind = false;
  const donations = puddleFor('donation')!.name;
  const watchCounting = async () => {
    try {
      const oldest = await runtime.queue.oldestWaitingMs([donations]);
      const failing = landing.failures()[donations];
      countingBehind =
        oldest > COUNTING_BEHIND_MS
          ? { waiting: await runtime.queue.depth(donations), oldest_waiting_s: Math.round(oldest / 1000), ...(failing ? { landing_failing_since: failing.since } : {}) }
          : null;
    } catch {
      // The queue closing, or failing: the live line and /healthz say so; the screens keep the last word.
    }
  };
  const lagWatch = setInterval(() => {
    void watchCounting();
    const l = lag();
    if (l.behind !== wasBehind) {
      if (l.behind) log.warn('landing is behind: more waits in the queue than the bound (still accepting: the queue is durable)', { waiting: l.waiting, bound, oldest_waiting_s: l.oldestWaitingMs / 1000 });
      else log.info('landing caught up', { waiting: l.waiting, bound });
      wasBehind = l.behind;
    }
  }, 1_000);
  lagWatch.unref();
  const memoryLog = logDuckDbMemory('query engine', () => runtime.query.memory());
  await feeds.catchUp(inBackground(runtime.query));
  // The live totals' rebuild and the webhooks' seeding read the whole lake: they start once the hub listens, so a
  // port taken since the probe stops the start without waiting for them (until 2026-12-02 it waited for the
  // first rebuild, minutes on a big lake, before its one line).
  let rebuilding: Promise<void> = Promise.resolve();
  let seeding: Promise<void> = Promise.resolve();

  // What started before the hub listens, stopped in order: landing (what it lands within drainMs), the live
  // totals, then the lake's readers and the queue.
  const stopLanding = async (drainMs: number) => {
    homeWatch.stop();
    clearInterval(lagWatch);
    clearInterval(memoryLog);
    await stopStep('landing', () => landing.stop(drainMs));
    await stopStep('live totals', async () => {
      // Stop first: a rebuild running ends at once (before 2026-12-03 this waited for all of it).
      await keeper.stop();
      await rebuilding;
    });
    await seeding;
    feedLog.close();
    await stopStep('queue and catalog', () => runtime.close());
  };

  let url: string;
  try {
    url = await server.listen({ port: config.port, host: config.host });
  } catch (err) {
    // Taken since the probe: landing runs already, so stop it before the lock goes, close the server built for
    // the listen, and say why in a line, not a stack trace.
    await stopStep('HTTP server', () => server.close());
    await stopLanding(0);
    throw listenFailure(err, config, opts.portSetting);
  }
  // Fastify binds every address of `localhost` but drops a second one it cannot bind: one taken since the probe
  // would leave the hub on half the name, with another process answering the other half.
  const unbound = await unboundAddresses(server, config.host);
  if (unbound) {
    await stopStep('HTTP server', () => server.close());
    await stopLanding(0);
    throw listenFailure(unbound, config, opts.portSetting);
  }
  // After the consumers start: what they land meanwhile is applied too, and applying twice changes nothing.
  rebuilding = keeper.start(config.driftCheckMs ?? 60_000, opts.totalsRetryMs);
  if (!opts.totalsInBackground) await rebuilding;
  // Scans raw once; the dashboard shows what has landed meanwhile, so start does not wait for it.
  seeding = webhooks.seed(inBackground(runtime.query)).catch((err: unknown) => log.warn('could not read the last webhooks from raw', { error: err }));

  const sandboxes: RunningSandbox[] = [];
  let scheduler: Scheduler | null = null;
  let website: SandboxWebsite | null = null;
  if (opts.schedule && wanted.length) {
    // The same appeal at every start of this home: a restart must not move the seeded ids to other times.
    const world = sandboxWorld(config.home, runtime.clock.now());
    noteMadeUpData(config.home, 'sandboxes', runtime.clock.now());
    for (const [name, s] of wanted) {
      // Faults armed while it runs (POST /_sandbox/faults on its own address): "the next 5 requests" at a
      // moment the tester picks, where PUDDLE_SANDBOX_FAULTS's were spent by the first scheduled syncs.
      let started: RunningSandbox | null = null;
      const control = faultRoute(name, s.faults, (armed) => {
        if (!started) return false;
        started.injectFaults(armed);
        log.warn(`sandbox faults armed (POST ${FAULT_ROUTE})`, { connector: name, faults: armed });
        return true;
      });
      const port = ports[name] ?? 0;
      const running = (started = await s.start({ hubUrl: url, presets: presets.get(name)!, world, control, port }).catch((err: unknown) => {
        throw sandboxPortFailure(name, port, err);
      }));
      if (faults[name]) {
        running.injectFaults(faults[name]);
        log.warn('sandbox faults switched on (PUDDLE_SANDBOX_FAULTS)', { connector: name, faults: faults[name] });
      }
      Object.assign(overlay, running.secrets);
      sandboxes.push(running);
    }
    const sources = sandboxes.flatMap((s) => (s.donations ? [() => s.donations!()] : []));
    if (websiteKey && sources.length) website = startSandboxWebsite({ url, apiKey: websiteKey, sources });
  }
  // One line for all of them: a hub that only takes pushes (PUDDLE_SANDBOXES=off) logged four warnings at every start.
  const unconfigured: Record<string, string> = {};
  for (const [name, entry] of Object.entries(CONNECTORS)) {
    try {
      instances[name] = entry.make(secrets);
    } catch (err) {
      unconfigured[name] = (err as Error).message;
    }
  }
  const notConfigured = Object.keys(unconfigured);
  if (notConfigured.length) {
    (opts.schedule ? log.warn : log.info)(`connectors not configured, so no syncs and no webhook re-reads: ${notConfigured.join(', ')}`, { reasons: unconfigured });
  }
  // Syncs publish through the counting queue too, so the live line counts everything accepted.
  if (opts.schedule) scheduler = startScheduler({ runtime: engineRuntime, entries: SCHEDULE, instances, leaseMs: config.leaseMs });

  // Bank files dropped in $PUDDLE_HOME/inbox/bank (and the sandboxes' daily statements) are imported.
  // A camt.053 of an account whose bank never sends booked balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES) is
  // imported unchecked, as `puddle import bank` does.
  const importOptions = { ...parseImportOptions(config.bankInbox ?? {}, (option) => `PUDDLE_BANK_${option.toUpperCase()}`), accountsWithoutBalances: accountsWithoutBalances() };
  const inbox = startBankInbox({ home: config.home, queue, lake: inBackground(runtime.query), importOptions, clock: runtime.clock, sandboxLines: sandboxes.length ? () => sandboxes.flatMap((s) => s.bankLines?.() ?? []) : undefined });

  return {
    url,
    runtime,
    server,
    sandboxes,
    realProviders: realSet,
    totals: keeper,
    async stats(opts = {}) {
      const l = lag();
      // Counted now unless asked otherwise: callers wait on this reaching 0.
      let waiting = 0;
      if (opts.reported && l.reported) waiting = l.waiting;
      else for (const p of PUDDLES) if (!rawLingers(p.name)) waiting += await runtime.queue.depth(p.name);
      const files = (await runtime.catalog.listFiles()).length;
      const doc = keeper.ready ? keeper.totals.document({ by: 'channel' }) : null;
      const liveTotal = doc && { currency: doc.currency, ...doc.total, others: doc.currencies.slice(1).map((c) => c.currency) };
      return {
        // The oldest's age is from the threads' last report, which can predate a landing the count already saw.
        accepted: counter.accepted, waiting, files, oldestWaitingMs: waiting === 0 ? 0 : l.oldestWaitingMs, behind: waiting > bound, bound,
        queueFailing: commits.current(), landingFailing: landing.failures(), liveTotal, liveTotalFailing: keeper.rebuildFailing(),
      };
    },
    async stop(drainMs = 10_000) {
      // The live totals' rebuild ends at once, its statement interrupted: it would otherwise read on while the steps
      // below run (landing drains for up to drainMs), and its step waits for it (stopLanding).
      void keeper.stop().catch(() => undefined);
      await stopStep('scheduled syncs', async () => scheduler?.stop());
      await stopStep('webhook re-reads', () => refetcher.stop());
      await stopStep('bank drop folder', () => inbox.stop());
      await stopStep('sandboxes', async () => {
        for (const s of sandboxes) await s.close();
      });
      // After the sandboxes stop taking gifts, so the last ones' donations are sent while the server still listens.
      await stopStep('sandbox website', async () => website?.stop());
      await stopStep('HTTP server', async () => {
        const cut = await closeServer(server);
        if (cut) log.warn('stopping: closed connections still open after the grace period', { connections: cut });
      });
      // Land what is still queued, within the time we were given: what is left stays durable in the queue.
      await stopLanding(drainMs);
    },
  };
}

/**
 * Why the hub could not listen, for its user: the address taken (by another program, or by a hub of this home
 * from before 2026-12-02, which took no home lock and so is not refused by it) or not allowed. Anything else as it was.
 */
function listenFailure(err: unknown, config: { port: number; host: string; home: string }, portSetting = 'PORT'): unknown {
  // A name (localhost) is several addresses: itsAddress says which one is taken.
  const where = `${config.host}:${config.port} (${portSetting === 'PORT' ? 'HOST, PORT' : portSetting}${itsAddress(err, config.host)})`;
  const problem = listenProblem(err, where, {
    taken: `: another program, or a hub still running from before 2026-12-02 (it takes no home lock; if it runs on ${config.home}, stop it first, since two hubs would each land part of the events). Stop it, or give this one another ${portSetting}`,
    denied: `: pick a ${portSetting} above 1023`,
  });
  return problem === null ? err : new ConfigError(problem);
}

/** For `localhost`, an EADDRINUSE naming an address of it the server did not bind (fastify drops those); else null. */
async function unboundAddresses(server: { addresses(): (string | { address: string; port: number })[] }, host: string): Promise<Error | null> {
  if (host !== 'localhost') return null;
  const bound = server.addresses().flatMap((a) => (typeof a === 'string' ? [] : [a]));
  const port = bound[0]?.port;
  const addresses = new Set(bound.map((a) => a.address));
  for (const address of await listenAddresses(host)) {
    if (!addresses.has(address)) return Object.assign(new Error(`${address}:${String(port)} is in use`), { code: 'EADDRINUSE', address, port });
  }
  return null;
}

/**
 * One step of stopping the hub, saying every `everyMs` that it still waits for it: a stop that hangs names
 * the part it waits for (in the log, and so in a test's output), instead of only timing out.
 */
export async function stopStep(step: string, work: () => Promise<unknown>, everyMs = 10_000): Promise<void> {
  const started = Date.now();
  const waiting = setInterval(() => log.warn('stopping: still waiting', { step, waited_s: Math.round((Date.now() - started) / 1000) }), everyMs);
  waiting.unref();
  try {
    await work();
  } finally {
    clearInterval(waiting);
  }
}

/**
 * A home whose lake holds landed data but that has no state.db (a restore that left it out, a file deleted) gives every
 * connector no bookmark: each reads again from its start date, a full backfill against the provider's API budget,
 * which lands nothing twice but can take hours on the night. Said once at start, before the runtime makes a new,
 * empty state.db (a disaster-recovery drill found it silent, 2026-12-07).
 */
function warnIfNoBookmarks(home: string): void {
  if (existsSync(join(home, 'state.db')) || !existsSync(join(home, 'lake', 'raw'))) return;
  log.warn('state.db is missing but the lake holds landed data: the connectors have no bookmarks, so each reads again from its start date (a full backfill; what the lake has already lands once). To avoid it, stop the hub and restore state.db from a backup', {
    home,
  });
}
