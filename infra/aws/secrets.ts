// Provider credentials and webhook secrets on AWS: Secrets Manager secrets, each holding a JSON object of the
// same names the embedded shape reads from the environment (STRIPE_API_KEY, ...). A function reads the ones its
// PUDDLE_SECRETS_ID lists (comma separated; which keys live in which is SECRET_GROUPS in shape.ts) at its cold
// start, keeps them in memory so SecretStore.get stays synchronous, and reads them again through `refresh` once
// they are older than SECRETS_MAX_AGE_MS: a revoked key then stops working on warm functions within that time.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

import { ConfigError, PuddleError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { SecretStore } from '../../core/ports.js';
import { toPuddleError } from './aws-errors.js';
import { SECRETS_MAX_AGE_MS } from './shape.js';

export interface LoadedSecrets extends SecretStore {
  /**
   * Reads the secrets again when the copy in memory is older than the maximum age; callers await it before
   * using keys they then keep (the HTTP functions' key ring). A failed read keeps the old copy until the next
   * maximum age, so a Secrets Manager blip does not take the API down; the cold-start read has no such grace.
   * `maxAgeMs` overrides the maximum age for this call.
   */
  refresh(maxAgeMs?: number): Promise<void>;
}

export function secretIds(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function loadSecrets(opts: {
  secretId: string | undefined;
  env: NodeJS.ProcessEnv;
  client?: SecretsManagerClient;
  maxAgeMs?: number;
  now?: () => number;
}): Promise<LoadedSecrets> {
  const { env } = opts;
  const ids = secretIds(opts.secretId);
  if (ids.length === 0) return { get: (name) => env[name], refresh: async () => undefined };
  const maxAgeMs = opts.maxAgeMs ?? SECRETS_MAX_AGE_MS;
  const now = opts.now ?? Date.now;
  const provider = new SecretsProvider(opts.client ? { awsSdkV3Client: opts.client } : {});
  const readAll = async (): Promise<Map<string, string>> => {
    const values = new Map<string, string>();
    const from = new Map<string, string>();
    for (const id of ids) {
      for (const [name, v] of Object.entries(await readOne(provider, id))) {
        // One place per key (SECRET_GROUPS): a name in two secrets would leave it unclear which one is revoked.
        if (from.has(name)) throw new ConfigError(`secrets ${from.get(name)} and ${id} both hold ${name}: keep it in one`);
        from.set(name, id);
        values.set(name, v);
      }
    }
    return values;
  };
  let values = await readAll();
  let readAt = now();
  return {
    // The secrets win over the environment: the stack puts no secrets in the environment, only names.
    get: (name) => values.get(name) ?? env[name],
    async refresh(age = maxAgeMs) {
      if (now() - readAt < age) return;
      readAt = now();
      try {
        values = await readAll();
      } catch (err) {
        // Keep the old copy (see the interface), and say so: a revoked key works on until a read succeeds.
        log.warn('secrets could not be read again: keeping the copy read before', { group: ids.join(','), error: safeReason(err) });
      }
    },
  };
}

async function readOne(provider: SecretsProvider, id: string): Promise<Record<string, string>> {
  let value: unknown;
  try {
    // forceFetch: Powertools keeps its own copy for 5 s; the maximum age above is what decides a re-read.
    value = await provider.get(id, { transform: 'json', forceFetch: true });
  } catch (err) {
    // Names the secret's id (configuration), never its contents; a parse failure says only that.
    if (err instanceof Error && err.name === 'TransformParameterError') {
      throw new ConfigError(`secret ${id} is not a JSON object of names to strings`);
    }
    // Powertools wraps the SDK's error in a GetParameterError: AWS's code and status are on its cause.
    const sdkError = err instanceof Error && err.name === 'GetParameterError' && err.cause !== undefined ? err.cause : err;
    throw toPuddleError('SecretsManager', `GetSecretValue ${id}`, sdkError);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`secret ${id} is not a JSON object of names to strings`);
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ConfigError(`secret ${id}: ${name} must be a string`);
    out[name] = v;
  }
  return out;
}

/**
 * What a failed read says in a log: readOne's errors (PuddleErrors) name the secret's id, key names and AWS's
 * error code, never a value; anything else only by its name, as its text could quote what it was parsing.
 */
function safeReason(err: unknown): string {
  if (err instanceof PuddleError) return err.message;
  return err instanceof Error ? err.name : 'unknown error';
}
