// Every setting a webhook receiver reads must be readable by the AWS webhooks function, which reads the
// webhook-keys secret and nothing else: a name missing there is undefined in Lambda, silently (the route answers
// 503, or maps with a default). The receivers declare what they read (WebhookDef.secrets, the only names the hub
// gives them too); this holds the AWS shape's list to theirs.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { WEBHOOKS } from '../../connectors/webhooks.js';
import { REPO_ROOT } from './cdk/functions.js';
import { SECRET_GROUPS, secretsReadBy } from './shape.js';

const webhookKeys = SECRET_GROUPS['webhook-keys'].names as readonly string[];

describe('the webhook-keys secret and the webhook receivers', () => {
  it('is read by the webhooks function, and only it holds names the webhooks function reads', () => {
    expect(secretsReadBy('webhooks')).toEqual(['puddle/webhook-keys']);
  });

  it.each(WEBHOOKS.map((w) => [w.connector, w] as const))('holds every setting the %s receiver reads', (_, w) => {
    expect(w.secrets.filter((name) => !webhookKeys.includes(name)), "add these to SECRET_GROUPS['webhook-keys'] in infra/aws/shape.ts and to the puddle/webhook-keys row in docs/aws.md").toEqual([]);
  });

  it('holds nothing no receiver reads (the sync function reads the rest from providers)', () => {
    const read = new Set(WEBHOOKS.flatMap((w) => w.secrets));
    expect(webhookKeys.filter((name) => !read.has(name))).toEqual([]);
  });

  it('is listed in docs/aws.md as the shape has it', () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/aws.md`, 'utf8');
    const row = doc.split('\n').find((line) => line.includes('| `puddle/webhook-keys` |'));
    expect(row).toBeDefined();
    expect(webhookKeys.filter((name) => !row!.includes(`\`${name}\``))).toEqual([]);
  });
});
