// Provider credentials and webhook secrets on AWS: one Secrets Manager secret holding a JSON object of the
// same names the embedded shape reads from the environment (STRIPE_SECRET_KEY, ...). Read once per cold
// start through Powertools parameters (cached), so SecretStore.get stays synchronous.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';

import { ConfigError } from '../../core/errors.js';
import type { SecretStore } from '../../core/ports.js';
import { toPuddleError } from './aws-errors.js';

export async function loadSecrets(opts: { secretId: string | undefined; env: NodeJS.ProcessEnv; client?: SecretsManagerClient }): Promise<SecretStore> {
  const { env } = opts;
  if (!opts.secretId) return { get: (name) => env[name] };
  const provider = new SecretsProvider(opts.client ? { awsSdkV3Client: opts.client } : {});
  let value: unknown;
  try {
    value = await provider.get(opts.secretId, { transform: 'json' });
  } catch (err) {
    // Names the secret's id (configuration), never its contents; a parse failure says only that.
    if (err instanceof Error && err.name === 'TransformParameterError') {
      throw new ConfigError(`secret ${opts.secretId} is not a JSON object of names to strings`);
    }
    throw toPuddleError('SecretsManager', `GetSecretValue ${opts.secretId}`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`secret ${opts.secretId} is not a JSON object of names to strings`);
  }
  const values = new Map<string, string>();
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ConfigError(`secret ${opts.secretId}: ${name} must be a string`);
    values.set(name, v);
  }
  // The secret wins over the environment: the stack puts no secrets in the environment, only names.
  return { get: (name) => values.get(name) ?? env[name] };
}
