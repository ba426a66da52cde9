// The fastify app a function serves: the producer routes, plus whatever plugins it adds (webhooks). Keys
// come from the runtime's secrets (the Secrets Manager secret), read with the embedded shape's rules.
import type { FastifyPluginAsync } from 'fastify';

import { loadConfig } from '../../../core/config.js';
import { createKeyRing } from '../../../core/http/auth.js';
import { buildServer, type ServerOptions } from '../../../core/http/server.js';
import type { SecretStore } from '../../../core/ports.js';
import type { AwsRuntime } from '../runtime.js';
import type { RuntimeSource } from './runtime-source.js';

const KEY_VARS = ['PUDDLE_API_KEYS', 'PUDDLE_READ_KEYS', 'PUDDLE_TV_KEYS', 'PUDDLE_FEED_KEYS', 'PUDDLE_RETIRED_KEYS'] as const;

/** The embedded shape's configuration, with its key lists taken from the secrets instead of the environment. */
export function configFrom(secrets: SecretStore, env: NodeJS.ProcessEnv = process.env) {
  const overlay: NodeJS.ProcessEnv = { ...env };
  for (const name of KEY_VARS) overlay[name] = secrets.get(name);
  return loadConfig(overlay);
}

/** The key ring the routes check: producer, read, TV and feed keys. */
export function keyRingFrom(secrets: SecretStore) {
  const config = configFrom(secrets);
  return createKeyRing({ producer: config.apiKeys, read: config.readKeys ?? [], tv: config.tvKeys ?? [], feeds: config.feedKeys ?? [], retired: config.retiredKeys ?? [] });
}

/** `health`: what GET /healthz says beside `ok: true` (ServerOptions.health; the producer's names failing connectors). */
export function buildHttpApp(rt: AwsRuntime, plugins: readonly FastifyPluginAsync[] = [], health?: ServerOptions['health']) {
  const config = configFrom(rt.secrets);
  const keys = keyRingFrom(rt.secrets);
  return buildServer({ queue: rt.queue, apiKeys: config.apiKeys, keys, maxEvents: config.maxEvents, maxBodyBytes: config.maxBodyBytes, plugins, ...(health ? { health } : {}) });
}

/**
 * The runtime, its secrets read again unless they were read in the last few seconds (by this cold start): an
 * HTTP function's app is made again every SECRETS_MAX_AGE_MS (http-event.ts), and must then see revoked keys.
 */
export async function runtimeWithFreshSecrets(runtime: RuntimeSource): Promise<AwsRuntime> {
  const rt = await runtime();
  await rt.secrets.refresh(JUST_READ_MS);
  return rt;
}

const JUST_READ_MS = 5_000;
