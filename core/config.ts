import { resolve } from 'node:path';
import { proxyTrust } from './http/client-address.js';
import { DEFAULT_PASS_DAYS } from './http/dashboard-pass.js';
import { checkDistinctKeys, checkProducerEntries, parseFeedKeys, retiredKeyOf, type FeedKey } from './http/auth.js';
import { envSettings, readNumber, type SettingsReader } from './settings.js';

/** Configuration from the environment, read once at an entry point. */
export interface PuddleConfig {
  /** Holds the lake, the queue and the state. */
  home: string;
  port: number;
  host: string;
  /** Producer keys: write events only. Each entry as written, `key` or `key:name` (producerKeyEntry). */
  apiKeys: string[];
  /** Read keys: totals, reports and the dashboard. */
  readKeys?: string[];
  /** TV keys: the totals and the /tv page only (PUDDLE_TV_KEYS). */
  tvKeys?: string[];
  /** Feed keys: only the feeds each names. */
  feedKeys?: FeedKey[];
  /** Keys taken out of use: 401 key_retired, never counted as guessing (PUDDLE_RETIRED_KEYS; core/http/auth.ts). */
  retiredKeys?: string[];
  /** How often the live totals are checked against the SQL view (default 60 s). */
  driftCheckMs?: number;
  /** Producer limits. */
  maxEvents: number;
  maxBodyBytes: number;
  /** Objects webhooks asked to re-read that may wait at once; beyond, the next sync covers them (default 1000). */
  refetchMaxPending?: number;
  /**
   * Deliveries waiting to land (over all puddles; an event is one per puddle it goes to) above which the hub
   * reports that landing is behind, on /healthz and its live line (default 200,000). The producer keeps
   * answering 202 while the queue commits: the bound is a signal, not a limit (PUDDLE_MAX_QUEUE_DEPTH).
   */
  maxQueueDepth?: number;
  /** How much lower the landing threads run than the producer (nice steps on Linux, 0-19; default 0; PUDDLE_LANDING_NICE). */
  landingNice?: number;
  /**
   * Share of the producer's event loop in use (0 to 1) above which landing pauses between batches, leaving
   * the cores to the burst (default 0.5; 1: never; PUDDLE_LANDING_YIELD_ABOVE).
   */
  landingYieldAbove?: number;
  /**
   * How long raw's consumer leaves fewer than a batch of deliveries waiting, from the first one's receipt, before
   * it lands them: raw's files are never merged (default 60 s; 0: at once; PUDDLE_RAW_LINGER_SECONDS).
   */
  rawLingerMs?: number;
  /**
   * How far a commit of queue.db and state.db gets before a 202 (PUDDLE_DURABILITY): `process` (default) survives the
   * process being killed, `power` a power cut too, at an fsync per group commit (infra/local/sqlite.ts).
   */
  durability?: 'process' | 'power';
  /**
   * memory_limit of each DuckDB instance the hub opens, MB (PUDDLE_DUCKDB_MEMORY_MB); unset: 2048 each (puddles/duckdb.ts).
   */
  duckDbMemoryMb?: number;
  /**
   * Live totals streams (GET /v1/totals/stream) open at once, over all keys (default 200; PUDDLE_MAX_STREAMS):
   * each holds a socket and a timer, so beyond it a stream is refused with 503 and Retry-After.
   */
  maxStreams?: number;
  /**
   * Live totals streams one key may hold open at once (default a quarter of maxStreams; PUDDLE_MAX_STREAMS_PER_KEY):
   * beyond it that key is refused with 429, so one key cannot take every place from the others.
   */
  maxStreamsPerKey?: number;
  /** A sync run's lease on its stream, for the scheduled syncs (PUDDLE_LEASE_SECONDS; unset: the engine's 2 minutes). */
  leaseMs?: number;
  /** How the drop folder reads files that do not say it themselves (PUDDLE_BANK_LAYOUT, _CURRENCY, _ACCOUNT). */
  bankInbox?: { layout?: string; currency?: string; account?: string };
  /** Faults for the sandboxes `puddle start` runs, as written (PUDDLE_SANDBOX_FAULTS; read by the hub). */
  sandboxFaults?: string;
  /** PUDDLE_SANDBOXES as written: which providers without credentials get a sandbox (infra/local/hub.ts sandboxChoice). */
  sandboxes?: string;
  /** PUDDLE_SANDBOX_PORTS read: each named sandbox's loopback port (sandboxPortsSetting); the others take a free one. */
  sandboxPorts?: Record<string, number>;
  /** Connections the hub keeps open at once (PUDDLE_MAX_CONNECTIONS; DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
  /** How many days a dashboard pass lasts (PUDDLE_DASHBOARD_PASS_DAYS; core/http/dashboard-pass.ts DEFAULT_PASS_DAYS). */
  dashboardPassDays?: number;
  /** PUDDLE_TRUSTED_PROXIES: the TLS proxy's addresses, whose `X-Forwarded-For` names the client (core/http/client-address.ts). */
  trustedProxies?: string[];
}

function keyList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

/**
 * How long a sync run's lease on its stream lasts unless renewed (PUDDLE_LEASE_SECONDS), for `puddle sync` and the
 * hub's scheduled syncs alike: until 2026-12-02 the scheduler ignored it. Undefined when unset: the engine's 2 minutes.
 */
export function leaseMsSetting(settings: SettingsReader): number | undefined {
  const seconds = settings.number('PUDDLE_LEASE_SECONDS', undefined, { min: 1, whole: true, unit: 'seconds' });
  return seconds === undefined ? undefined : seconds * 1000;
}

/** Live totals streams open at once when PUDDLE_MAX_STREAMS is unset (the hub's config and the route's own default). */
export const DEFAULT_MAX_STREAMS = 200;

/**
 * Connections the hub keeps open at once. Until 2026-12-06 there was no bound: about 20,000 idle connections, with
 * no key, took every file descriptor the process had, and then producers could not connect, `/healthz` failed and
 * maintenance could open no file (a security review). A night's producers, TVs and dashboards need far fewer (the
 * live streams are capped at 200); one more connection is closed as it comes, and the hub says so once a minute.
 */
export const DEFAULT_MAX_CONNECTIONS = 4096;

/**
 * A quarter of the streams: one runaway key (a page reloading in a loop, a script) leaves three quarters to the
 * others, so the broadcaster's TV, on a key of its own, still gets its stream; it takes four keys to fill the hub. A
 * quarter of 200 is 50 screens on one key, more than a charity's operations room opens.
 */
export function defaultMaxStreamsPerKey(maxStreams: number): number {
  return Math.max(1, Math.floor(maxStreams / 4));
}

/** A listen port: 0 picks a free one (PORT, and the CLI's --port). */
export const PORT_RANGE = { min: 0, max: 65_535, whole: true } as const;

const SANDBOX_PORTS_ACCEPTS = 'a comma-separated list of provider:port, such as stripe:12121,braintree:12122 (each provider once, each port once, 0 to 65535, 0: a free one)';

/**
 * PUDDLE_SANDBOX_PORTS: the loopback port of each sandbox `puddle start` runs that it names; the others, and every
 * one when it is unset, take a free port at each start (as before 2026-12-07). A port a firewall lets through, or
 * one a tester arms faults at (POST /_sandbox/faults), must be the same at every start. A list per provider rather
 * than one base port: a firewall rule names each port, a provider can be left on a free one, and it reads as
 * PUDDLE_SANDBOX_FAULTS does. Whether a name is a provider's is checked where the sandboxes are known
 * (infra/local/hub.ts sandboxPorts): core does not know the connectors.
 */
export function sandboxPortsSetting(settings: SettingsReader, hubPort: number): Record<string, number> | undefined {
  const text = settings.text('PUDDLE_SANDBOX_PORTS');
  if (text === undefined) return undefined;
  const ports: Record<string, number> = {};
  for (const entry of text.split(',')) {
    const m = /^\s*([a-z]+)\s*:\s*(\S+)\s*$/i.exec(entry);
    const name = m?.[1]!.toLowerCase() ?? '';
    const port = m ? readNumber(m[2]!, PORT_RANGE) : undefined;
    const twice = Object.hasOwn(ports, name) || (port !== 0 && Object.values(ports).includes(port!));
    // The hub's own port too: the sandbox would find it taken only once the hub listens, after landing has started.
    if (port === undefined || twice || (port !== 0 && port === hubPort)) {
      settings.problem('PUDDLE_SANDBOX_PORTS', port !== undefined && port === hubPort ? `${SANDBOX_PORTS_ACCEPTS}, not the hub's PORT` : SANDBOX_PORTS_ACCEPTS, text);
      return undefined;
    }
    ports[name] = port;
  }
  return ports;
}

/**
 * The hub's settings from `env`. Every number goes through one reader (core/settings.ts), and every one that is
 * set but wrong is named at once, a line each, in one ConfigError: the CLI prints it and exits 2 before it opens
 * anything. Until 2026-12-02 PORT was read with Number() alone: PORT=abc ended in a stack trace from listen().
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PuddleConfig {
  const settings = envSettings(env);
  const whole = (name: string, fallback: number, unit?: string) => settings.number(name, fallback, { min: 1, whole: true, unit });
  const numbers = {
    port: settings.number('PORT', 8787, PORT_RANGE),
    driftCheckMs: whole('PUDDLE_DRIFT_CHECK_SECONDS', 60, 'seconds') * 1000,
    refetchMaxPending: whole('PUDDLE_REFETCH_MAX_PENDING', 1000),
    maxQueueDepth: whole('PUDDLE_MAX_QUEUE_DEPTH', 200_000),
    maxStreams: whole('PUDDLE_MAX_STREAMS', DEFAULT_MAX_STREAMS),
    maxStreamsPerKey: settings.number('PUDDLE_MAX_STREAMS_PER_KEY', undefined, { min: 1, whole: true }),
    maxConnections: whole('PUDDLE_MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS),
    // Up to a year, what the key cookie lasted before passes.
    dashboardPassDays: settings.number('PUDDLE_DASHBOARD_PASS_DAYS', DEFAULT_PASS_DAYS, { min: 1, max: 365, whole: true, unit: 'days' }),
    // Linux's nice steps.
    landingNice: settings.number('PUDDLE_LANDING_NICE', 0, { min: 0, max: 19, whole: true }),
    landingYieldAbove: settings.number('PUDDLE_LANDING_YIELD_ABOVE', 0.5, { min: 0, max: 1 }),
    leaseMs: leaseMsSetting(settings),
    // Up to an hour: the trail's freshness is the price of its file count (about one file per linger at a trickle).
    rawLingerMs: settings.number('PUDDLE_RAW_LINGER_SECONDS', 60, { min: 0, max: 3600, whole: true, unit: 'seconds' }) * 1000,
    // Below 2 GiB landing can fail: DuckDB asks for a single 1 GiB block for some batches (puddles/duckdb.ts).
    duckDbMemoryMb: settings.number('PUDDLE_DUCKDB_MEMORY_MB', undefined, { min: 2048, max: 1_048_576, whole: true }),
  };
  const sandboxPorts = sandboxPortsSetting(settings, numbers.port);
  const durability = settings.oneOf('PUDDLE_DURABILITY', ['process', 'power'] as const, 'process');
  settings.check();
  const apiKeys = keyList(env.PUDDLE_API_KEYS);
  checkProducerEntries(apiKeys);
  const readKeys = keyList(env.PUDDLE_READ_KEYS);
  const tvKeys = keyList(env.PUDDLE_TV_KEYS);
  const feedKeys = parseFeedKeys(env.PUDDLE_FEED_KEYS);
  const retiredKeys = keyList(env.PUDDLE_RETIRED_KEYS).map(retiredKeyOf);
  const trustedProxies = keyList(env.PUDDLE_TRUSTED_PROXIES);
  proxyTrust(trustedProxies);
  // Here, before anything opens: `puddle start` stops with exit code 2 rather than serve with a key in two scopes.
  checkDistinctKeys({ producer: apiKeys, read: readKeys, tv: tvKeys, feeds: feedKeys, retired: retiredKeys });
  return {
    home: resolve(env.PUDDLE_HOME ?? './.puddle'),
    port: numbers.port,
    host: env.HOST ?? '127.0.0.1',
    apiKeys,
    readKeys,
    tvKeys,
    feedKeys,
    retiredKeys,
    trustedProxies,
    driftCheckMs: numbers.driftCheckMs,
    maxEvents: 1000,
    maxBodyBytes: 1024 * 1024,
    refetchMaxPending: numbers.refetchMaxPending,
    maxQueueDepth: numbers.maxQueueDepth,
    maxStreams: numbers.maxStreams,
    maxStreamsPerKey: numbers.maxStreamsPerKey ?? defaultMaxStreamsPerKey(numbers.maxStreams),
    maxConnections: numbers.maxConnections,
    dashboardPassDays: numbers.dashboardPassDays,
    landingNice: numbers.landingNice,
    landingYieldAbove: numbers.landingYieldAbove,
    leaseMs: numbers.leaseMs,
    rawLingerMs: numbers.rawLingerMs,
    durability,
    ...(numbers.duckDbMemoryMb !== undefined ? { duckDbMemoryMb: numbers.duckDbMemoryMb } : {}),
    bankInbox: { layout: env.PUDDLE_BANK_LAYOUT, currency: env.PUDDLE_BANK_CURRENCY, account: env.PUDDLE_BANK_ACCOUNT },
    ...(env.PUDDLE_SANDBOX_FAULTS ? { sandboxFaults: env.PUDDLE_SANDBOX_FAULTS } : {}),
    ...(env.PUDDLE_SANDBOXES !== undefined ? { sandboxes: env.PUDDLE_SANDBOXES } : {}),
    ...(sandboxPorts ? { sandboxPorts } : {}),
  };
}
