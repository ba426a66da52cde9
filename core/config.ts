import { resolve } from 'node:path';
import { checkDistinctKeys, parseFeedKeys, type FeedKey } from './http/auth.js';
import { ConfigError } from './errors.js';
import type { SecretStore } from './ports.js';
import { utcInstantMs } from './time.js';

/** Configuration from the environment, read once at an entry point. */
export interface PuddleConfig {
  /** Holds the lake, the queue and the state. */
  home: string;
  port: number;
  host: string;
  /** Producer keys: write events only. */
  apiKeys: string[];
  /** Read keys: totals, reports and the dashboard. */
  readKeys?: string[];
  /** TV keys: the totals and the /tv page only (PUDDLE_TV_KEYS). */
  tvKeys?: string[];
  /** Feed keys: only the feeds each names. */
  feedKeys?: FeedKey[];
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
  /** How the drop folder reads files that do not say it themselves (PUDDLE_BANK_LAYOUT, _CURRENCY, _ACCOUNT). */
  bankInbox?: { layout?: string; currency?: string; account?: string };
}

function keyList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`${name} must be a positive whole number (got ${JSON.stringify(text.slice(0, 20))})`);
  return n;
}

/** A share from 0 to 1; unset: the fallback. */
function share(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${name} must be a number from 0 to 1 (got ${JSON.stringify(text.slice(0, 20))})`);
  return n;
}

/** 0-19 steps of nice (Linux); unset: 0. */
function niceSteps(env: NodeJS.ProcessEnv, name: string): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new ConfigError(`${name} must be a whole number from 0 to 19 (got ${JSON.stringify(text.slice(0, 20))})`);
  return n;
}

const YEAR_MS = 365 * 86_400_000;

/**
 * A connector's start date setting (`STRIPE_START_DATE`, ...), read as `puddle sync --from` reads its time: a
 * date (its midnight UTC) or an ISO time, no zone meaning UTC. `new Date(text)` read a time without a zone in
 * the machine's zone, so one setting started the backfill at different hours on a laptop and on a server, and
 * it rolled 2026-02-30 over to 2 March. Unset or empty: a year before `now`.
 */
export function startDateSetting(secrets: SecretStore, name: string, now: Date): Date {
  const text = secrets.get(name)?.trim();
  if (!text) return new Date(now.getTime() - YEAR_MS);
  const ms = utcInstantMs(text);
  if (Number.isNaN(ms)) {
    throw new ConfigError(`${name} must be a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z (no zone: UTC), on the calendar (got ${JSON.stringify(text.slice(0, 40))})`);
  }
  return new Date(ms);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PuddleConfig {
  const apiKeys = keyList(env.PUDDLE_API_KEYS);
  const readKeys = keyList(env.PUDDLE_READ_KEYS);
  const tvKeys = keyList(env.PUDDLE_TV_KEYS);
  const feedKeys = parseFeedKeys(env.PUDDLE_FEED_KEYS);
  // Here, before anything opens: `puddle start` stops with exit code 2 rather than serve with a key in two scopes.
  checkDistinctKeys({ producer: apiKeys, read: readKeys, tv: tvKeys, feeds: feedKeys });
  return {
    home: resolve(env.PUDDLE_HOME ?? './.puddle'),
    port: Number(env.PORT ?? 8787),
    host: env.HOST ?? '127.0.0.1',
    apiKeys,
    readKeys,
    tvKeys,
    feedKeys,
    driftCheckMs: positiveInteger(env, 'PUDDLE_DRIFT_CHECK_SECONDS', 60) * 1000,
    maxEvents: 1000,
    maxBodyBytes: 1024 * 1024,
    refetchMaxPending: positiveInteger(env, 'PUDDLE_REFETCH_MAX_PENDING', 1000),
    maxQueueDepth: positiveInteger(env, 'PUDDLE_MAX_QUEUE_DEPTH', 200_000),
    landingNice: niceSteps(env, 'PUDDLE_LANDING_NICE'),
    landingYieldAbove: share(env, 'PUDDLE_LANDING_YIELD_ABOVE', 0.5),
    bankInbox: { layout: env.PUDDLE_BANK_LAYOUT, currency: env.PUDDLE_BANK_CURRENCY, account: env.PUDDLE_BANK_ACCOUNT },
  };
}
