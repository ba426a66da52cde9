import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ConfigError } from '../../core/errors.js';
import { createAwsRuntime, readAwsEnv } from '../../infra/aws/runtime.js';
import { loadSecrets } from '../../infra/aws/secrets.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { testEnvelope } from '../ports/queue-suite.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';

let shape: TestShape;
beforeAll(async () => {
  shape = await startTestShape();
});
afterAll(async () => {
  await shape.stop();
});

describe('createAwsRuntime', () => {
  it('finds the bucket, topic, queues and table from the environment, and the endpoints from AWS_ENDPOINT_URL_*', async () => {
    const runtime = await createAwsRuntime();
    try {
      const donation = testEnvelope('donation');
      const ticket = testEnvelope('ticket');
      await runtime.queue.publish([donation, ticket]);
      // Fan-out by the subscriptions provisioned from PUDDLES.
      expect(await runtime.queue.depth('transactions')).toBe(1);
      expect(await runtime.queue.depth('support')).toBe(1);
      expect(await runtime.queue.depth('raw')).toBe(2);
      const [m] = await runtime.queue.claim('transactions', { max: 10, visibilityMs: 30_000 });
      expect(m!.envelope).toEqual(donation);

      await runtime.state.set('bookmark:stripe:charges', { cursor: 'ch_1' });
      expect(await runtime.state.get('bookmark:stripe:charges')).toEqual({ cursor: 'ch_1' });
      await runtime.store.put('lake/x.txt', 'hello');
      expect(new TextDecoder().decode((await runtime.store.get('lake/x.txt'))!)).toBe('hello');
      // Every puddle's queue is there (subscribe only checks, it does not create).
      for (const p of PUDDLES) await runtime.queue.subscribe(p);
    } finally {
      await runtime.close();
    }
  });

  it('says which variable is missing or wrong', () => {
    const env = { ...shape.env };
    expect(() => readAwsEnv({ ...env, PUDDLE_BUCKET: '' })).toThrow(new ConfigError('PUDDLE_BUCKET is not set: the AWS shape needs it (the stack sets it on every function)'));
    expect(() => readAwsEnv({ ...env, PUDDLE_STATE_TABLE: undefined })).toThrow(/^PUDDLE_STATE_TABLE is not set/);
    expect(() => readAwsEnv({ ...env, PUDDLE_TOPIC_ARN: 'puddle-topic' })).toThrow(/PUDDLE_TOPIC_ARN must be an SNS topic ARN/);
  });

  it('uses the catalog it is given, and without one fails on first use, naming what is missing', async () => {
    const bare = await createAwsRuntime();
    expect(() => bare.catalog.tables()).toThrow(/no catalog configured/);
    await bare.close();
    const catalog = new SqliteCatalog(':memory:');
    const given = await createAwsRuntime({ catalog: () => ({ catalog, query: { query: async () => [{ n: 1 }], queryWithColumns: async () => ({ columns: ['n'], types: ['BIGINT'], rows: [{ n: 1 }] }), close: async () => undefined } }) });
    expect(given.catalog).toBe(catalog);
    expect(await given.query.query('SELECT 1 AS n')).toEqual([{ n: 1 }]);
    await given.close();
    catalog.close();
  });
});

describe('secrets from Secrets Manager (mocked: no emulator)', () => {
  it('reads one JSON secret once, over the environment', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/providers' }).resolves({ SecretString: JSON.stringify({ STRIPE_SECRET_KEY: 'sk_test_from_secret' }) });
    const secrets = await loadSecrets({ secretId: 'puddle/providers', env: { STRIPE_SECRET_KEY: 'sk_env', OTHER: 'o' }, client });
    expect(secrets.get('STRIPE_SECRET_KEY')).toBe('sk_test_from_secret');
    expect(secrets.get('OTHER')).toBe('o');
    expect(secrets.get('NOPE')).toBeUndefined();
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refuses a secret that is not an object of strings, without quoting it', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand, { SecretId: 'bad-json' }).resolves({ SecretString: 'sk_live_not_json' });
    mock.on(GetSecretValueCommand, { SecretId: 'bad-value' }).resolves({ SecretString: JSON.stringify({ N: 42 }) });
    const err = await loadSecrets({ secretId: 'bad-json', env: {}, client }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('secret bad-json is not a JSON object of names to strings');
    await expect(loadSecrets({ secretId: 'bad-value', env: {}, client })).rejects.toThrow('secret bad-value: N must be a string');
  });

  it('reads every secret named (comma separated), and refuses a name held by two of them', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/webhook-keys' }).resolves({ SecretString: JSON.stringify({ STRIPE_WEBHOOK_SECRET: 'whsec_1' }) });
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/providers' }).resolves({ SecretString: JSON.stringify({ STRIPE_API_KEY: 'sk_1' }) });
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).resolves({ SecretString: JSON.stringify({ STRIPE_API_KEY: 'sk_misplaced' }) });
    const both = await loadSecrets({ secretId: 'puddle/webhook-keys, puddle/providers', env: {}, client });
    expect([both.get('STRIPE_WEBHOOK_SECRET'), both.get('STRIPE_API_KEY')]).toEqual(['whsec_1', 'sk_1']);
    const err = await loadSecrets({ secretId: 'puddle/providers,puddle/hub-keys', env: {}, client }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    // Names the secrets and the key's name, never its value.
    expect((err as Error).message).toBe('secrets puddle/providers and puddle/hub-keys both hold STRIPE_API_KEY: keep it in one');
  });

  it('reads the secret again once its copy is older than the maximum age, keeping the old copy if that read fails', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).resolvesOnce({ SecretString: JSON.stringify({ PUDDLE_API_KEYS: 'old-key,other' }) });
    let now = 0;
    const secrets = await loadSecrets({ secretId: 'puddle/hub-keys', env: {}, client, maxAgeMs: 300_000, now: () => now });
    // Revoked: the secret no longer holds old-key.
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).resolves({ SecretString: JSON.stringify({ PUDDLE_API_KEYS: 'other' }) });
    now = 299_999;
    await secrets.refresh();
    expect(secrets.get('PUDDLE_API_KEYS')).toBe('old-key,other');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now = 300_000;
    await secrets.refresh();
    expect(secrets.get('PUDDLE_API_KEYS')).toBe('other');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // Secrets Manager failing: the copy stays, and it is not asked again until the next maximum age.
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).rejects(new Error('ServiceUnavailable'));
    now = 600_000;
    await secrets.refresh();
    await secrets.refresh();
    expect(secrets.get('PUDDLE_API_KEYS')).toBe('other');
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('says in a warn line which secrets a refresh could not read, never their values, and serves the old copy', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).resolvesOnce({ SecretString: JSON.stringify({ PUDDLE_API_KEYS: 'old-key' }) });
    let now = 0;
    const secrets = await loadSecrets({ secretId: 'puddle/hub-keys', env: {}, client, maxAgeMs: 1000, now: () => now });
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      // An AWS failure: its code is in the line. Then a secret edited into text that is not JSON, the new key in
      // it: Powertools' parse error quotes that text, so the line says only that it is not JSON.
      mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).rejects(Object.assign(new Error('busy'), { name: 'InternalServiceError', $metadata: { httpStatusCode: 500 } }));
      now = 1000;
      await secrets.refresh();
      mock.on(GetSecretValueCommand, { SecretId: 'puddle/hub-keys' }).resolves({ SecretString: 'PUDDLE_API_KEYS=sk_new_leaked' });
      now = 2000;
      await secrets.refresh();
    } finally {
      stderr.mockRestore();
    }
    expect(secrets.get('PUDDLE_API_KEYS')).toBe('old-key');
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warned).toEqual([
      expect.objectContaining({ level: 'warn', group: 'puddle/hub-keys', error: 'SecretsManager GetSecretValue puddle/hub-keys failed: InternalServiceError (HTTP 500)' }),
      expect.objectContaining({ level: 'warn', group: 'puddle/hub-keys', error: 'secret puddle/hub-keys is not a JSON object of names to strings' }),
    ]);
    expect(lines.join('')).not.toMatch(/old-key|sk_new_leaked/);
  });
});
