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
  };
}
