import { readFileSync } from 'node:fs';
import path from 'node:path';

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { testApp } from './test-app.js';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { callTimeoutMsFor } from '../call-limits.js';
import { bankImportSettings } from '../handlers/bank-import.js';
import { compactionSettings } from '../handlers/compaction.js';
import { syncLeaseMs } from '../handlers/connector-sync.js';
import { runtimeFromEnv } from '../handlers/runtime-source.js';
import { ENV, HANDLERS, OPTIONAL_ENV, QUEUE_PREFIX, type HandlerName } from '../shape.js';
import { REPO_ROOT } from './functions.js';
import { PuddleStack } from './puddle-stack.js';

// What a function reads is recorded from the readers themselves (an environment that notes every name asked
// for), not from a list kept beside them; the template must set each one on the function, or shape.ts must
// say it is optional and what happens without it.
const secrets = mockClient(SecretsManagerClient);
let variables: Map<string, Record<string, unknown>>;

beforeAll(() => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
  const app = testApp();
  const resources = Template.fromStack(new PuddleStack(app, 'EnvTest')).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  variables = new Map(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => [r.Properties.FunctionName as string, (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables]),
  );
});
afterAll(() => secrets.restore());

/** An environment that answers every name with a plausible value and remembers which names were asked for. */
function recordingEnv(): { env: NodeJS.ProcessEnv; read: Set<string> } {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_t, name) {
      if (typeof name !== 'string') return undefined;
      read.add(name);
      // Optional ones take their default (a lake folder is refused by the Glue catalog, rightly).
      if (name in OPTIONAL_ENV) return '';
      return name.endsWith('_ARN') ? 'arn:aws:sns:us-east-1:000000000000:t' : '1';
    },
  });
  return { env, read };
}

/** Readers of a handler's own settings, beyond the runtime every handler makes. */
const HANDLER_READERS: Partial<Record<HandlerName, (env: NodeJS.ProcessEnv) => unknown>> = {
  compaction: compactionSettings,
  'bank-import': bankImportSettings,
  sync: syncLeaseMs,
};

async function readsOf(name: HandlerName): Promise<string[]> {
  const { env, read } = recordingEnv();
  const rt = await runtimeFromEnv(env);
  await rt.close();
  try {
    HANDLER_READERS[name]?.(env);
  } catch {
    // Placeholder values may be refused after they were read: the names are what is under test.
  }
  return [...read].filter((n) => n.startsWith('PUDDLE_'));
}

describe('the environment of each function', () => {
  it('sets every variable its handler reads, except the ones shape.ts declares optional', async () => {
    for (const spec of HANDLERS) {
      const set = variables.get(`puddle-${spec.name}`);
      expect(set, spec.name).toBeDefined();
      const reads = await readsOf(spec.name);
      expect(reads.length, spec.name).toBeGreaterThanOrEqual(9);
      const missing = reads.filter((n) => !(n in set!) && !(n in OPTIONAL_ENV));
      expect(missing, `puddle-${spec.name}`).toEqual([]);
    }
  });

  it('names the queues, the secret and the Glue/Athena resources the stack made', () => {
    const env = variables.get('puddle-consumer')!;
    expect(env[ENV.queuePrefix]).toBe(QUEUE_PREFIX);
    // The internet-facing functions name only the keys they check; the sync function the providers' credentials.
    expect(variables.get('puddle-producer')![ENV.secretsId]).toBe('puddle/hub-keys');
    expect(variables.get('puddle-totals')![ENV.secretsId]).toBe('puddle/hub-keys');
    expect(variables.get('puddle-webhooks')![ENV.secretsId]).toBe('puddle/webhook-keys');
    expect(variables.get('puddle-sync')![ENV.secretsId]).toBe('puddle/webhook-keys,puddle/providers');
    for (const name of [ENV.bucket, ENV.topicArn, ENV.stateTable, ENV.catalogTable, ENV.glueDatabase, ENV.athenaWorkgroup, ENV.eventBus]) {
      expect(env[name], name).toBeTruthy();
    }
  });

  it("gives each function an AWS call limit that its SDK's three attempts fit into", () => {
    for (const spec of HANDLERS) {
      const limit = Number(variables.get(`puddle-${spec.name}`)![ENV.callTimeoutMs]);
      expect(limit, spec.name).toBe(callTimeoutMsFor(spec));
      expect(3 * limit, spec.name).toBeLessThan(spec.timeoutSeconds * 1000);
    }
    expect(variables.get('puddle-producer')![ENV.callTimeoutMs]).toBe('2000');
  });

  it('names the secret to exactly the functions whose role may read it (the runtime reads a named secret at start)', () => {
    const resources = Template.fromStack(new PuddleStack(testApp(), 'SecretTest')).toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const readers = new Map<string, string[]>();
    for (const p of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
      const statements = (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
      const reads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
      if (reads.length === 0) continue;
      const role = (p.Properties.Roles as { Ref: string }[])[0]!.Ref;
      const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties.Role).includes(`"${role}"`))!;
      // Each ARN is a Fn::Join whose text ends `:secret:<id>-??????`.
      const ids = reads.flatMap((s) => [s.Resource].flat()).map((r) => /:secret:([^"]+)-\?{6}"/.exec(JSON.stringify(r))?.[1] ?? JSON.stringify(r));
      readers.set(String(fn.Properties.FunctionName), ids);
    }
    const named = [...variables].filter(([, env]) => env[ENV.secretsId] !== undefined).map(([name]) => name);
    expect(named.sort()).toEqual([...readers.keys()].sort());
    expect(named.sort()).toEqual(['puddle-producer', 'puddle-sync', 'puddle-totals', 'puddle-webhooks']);
    // Each role may read exactly the secrets its function is told to read, not `puddle/*`.
    for (const [name, ids] of readers) expect(ids.sort(), name).toEqual(String(variables.get(name)![ENV.secretsId]).split(',').sort());
  });

  it('has handlers that read the environment only through the readers recorded above', () => {
    const dir = path.join(REPO_ROOT, 'infra/aws/handlers');
    for (const spec of HANDLERS) {
      const file = path.join(REPO_ROOT, spec.entry);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // not in the checkout: the stack deploys a placeholder
      }
      // `env = process.env` as a reader's default is fine; any other use would escape the recording.
      const direct = text.split('\n').filter((l) => l.includes('process.env') && !/env: NodeJS\.ProcessEnv = process\.env/.test(l));
      expect(direct, path.relative(dir, file)).toEqual([]);
    }
  });
});
