import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
});
