import { resolve } from 'node:path';

/** Configuration from the environment, read once at an entry point. */
export interface PuddleConfig {
  /** Holds the lake, the queue and the state. */
  home: string;
  port: number;
  host: string;
  apiKeys: string[];
  /** Producer limits. */
  maxEvents: number;
  maxBodyBytes: number;
  /** Objects webhooks asked to re-read that may wait at once; beyond, the next sync covers them (default 1000). */
  refetchMaxPending?: number;
  /** How the drop folder reads files that do not say it themselves (PUDDLE_BANK_LAYOUT, _CURRENCY, _ACCOUNT). */
  bankInbox?: { layout?: string; currency?: string; account?: string };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive whole number (got ${JSON.stringify(text.slice(0, 20))})`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PuddleConfig {
  return {
    home: resolve(env.PUDDLE_HOME ?? './.puddle'),
    port: Number(env.PORT ?? 8787),
    host: env.HOST ?? '127.0.0.1',
    apiKeys: (env.PUDDLE_API_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    maxEvents: 1000,
    maxBodyBytes: 1024 * 1024,
    refetchMaxPending: positiveInteger(env, 'PUDDLE_REFETCH_MAX_PENDING', 1000),
    bankInbox: { layout: env.PUDDLE_BANK_LAYOUT, currency: env.PUDDLE_BANK_CURRENCY, account: env.PUDDLE_BANK_ACCOUNT },
  };
}
