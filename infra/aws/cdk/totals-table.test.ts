import { testApp } from './test-app.js';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';

import { ENV, TOTALS_TABLE } from '../shape.js';
import { PuddleStack } from './puddle-stack.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown };
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  const app = testApp();
  template = Template.fromStack(new PuddleStack(app, 'Test'));
  resources = template.toJSON().Resources as Record<string, Resource>;
});

describe('the live totals table in the template', () => {
  it('is an on-demand table keyed pk/sk, named in every function\'s environment', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: TOTALS_TABLE.name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties.FunctionName ?? '').startsWith('puddle-'));
    for (const fn of fns) expect(Object.keys((fn.Properties.Environment as { Variables: object }).Variables)).toContain(ENV.totalsTable);
  });

  it('is written by the consumer only and read by the totals function and the drift check only, with named actions', () => {
    const tableId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table' && r.Properties.TableName === TOTALS_TABLE.name)![0];
    const access = new Map<string, string[]>();
    for (const p of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
      const roles = JSON.stringify(p.Properties.Roles);
      for (const s of (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        if (!JSON.stringify(s.Resource).includes(`"${tableId}"`)) continue;
        const fn = /Fn(consumer|totalsdrift|totals|producer|webhooks|sync|compaction|bankimport)/.exec(roles)?.[1] ?? roles;
        access.set(fn, [...(access.get(fn) ?? []), ...[s.Action].flat()].sort());
      }
    }
    expect(Object.fromEntries(access)).toEqual({
      consumer: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      totals: ['dynamodb:GetItem', 'dynamodb:Query'],
      totalsdrift: ['dynamodb:GetItem', 'dynamodb:Query'],
    });
  });
});
