import { existsSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { CONTRACTS } from '../../core/contracts/index.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { SCHEDULE } from '../../schedules/schedule.js';
import {
  BUCKET_PREFIXES,
  GLUE_TABLES,
  LIFECYCLE,
  overflowExpiryDays,
  parseConnectors,
  QUEUE_PREFIX,
  queueNames,
  glueTableParameters,
  handlerSpec,
  HANDLERS,
  QUEUES,
  rateExpression,
  scheduleSpecs,
  VISIBILITY_PER_CONSUMER_TIMEOUT,
} from './shape.js';

describe('the AWS shape, derived from the code', () => {
  it('reads the connectors setting (-c connectors=..., puddle cost --connectors) one way: a list, none, or all', () => {
    expect(parseConnectors(undefined)).toBeUndefined();
    expect(parseConnectors('')).toBeUndefined();
    expect(parseConnectors('none')).toEqual([]);
    expect(parseConnectors('stripe, braintree,')).toEqual(['stripe', 'braintree']);
  });

  it('has one queue per puddle, filtered on its contracts, with a dead-letter queue', () => {
    expect(QUEUES.map((q) => q.puddle)).toEqual(PUDDLES.map((p) => p.name));
    const tx = QUEUES.find((q) => q.puddle === 'transactions')!;
    expect(tx.filterPolicy).toEqual({ contract: expect.arrayContaining(['donation', 'payment', 'bank_line']) });
    expect(tx.deadLetterName).toBe('puddle-transactions-dlq');
    expect(QUEUES.find((q) => q.puddle === 'raw')!.filterPolicy).toBeNull();
    for (const q of QUEUES) {
      expect(q.maxReceiveCount).toBeGreaterThan(1);
      expect(q.visibilityTimeoutSeconds).toBe(handlerSpec('consumer').timeoutSeconds * VISIBILITY_PER_CONSUMER_TIMEOUT);
      expect(q.deadLetterRetentionSeconds).toBeGreaterThan(q.retentionSeconds);
      // The event source holds received messages while it gathers: the visibility timeout covers that and the run.
      expect(q.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(q.batchingWindowSeconds + handlerSpec('consumer').timeoutSeconds);
      // Lambda's SQS batching window is at most 5 minutes.
      expect(q.batchingWindowSeconds).toBeLessThanOrEqual(300);
    }
    // Raw's files are never merged: at a trickle it gathers a minute; the others land within 20 s (the live totals).
    expect(Object.fromEntries(QUEUES.map((q) => [q.puddle, q.batchingWindowSeconds]))).toMatchObject({ raw: 60, transactions: 20, quarantine: 20 });
  });

  it('names every queue with queueNames, the one definition the queue adapter and `puddle aws local` use', () => {
    for (const q of QUEUES) expect({ queue: q.name, dlq: q.deadLetterName }).toEqual(queueNames(QUEUE_PREFIX, q.puddle));
    expect(queueNames('puddle-', 'raw')).toEqual({ queue: 'puddle-raw', dlq: 'puddle-raw-dlq' });
  });

  it('points every function at its handler file', () => {
    const missing = HANDLERS.filter((h) => !existsSync(path.join(import.meta.dirname, '..', '..', h.entry))).map((h) => h.name);
    expect(missing).toEqual([]);
    expect(handlerSpec('sync').entry).toBe('infra/aws/handlers/connector-sync.ts');
  });

  it('keeps overflow objects longer than a message lives with one redrive, however late', () => {
    const rule = LIFECYCLE.find((r) => r.prefix === BUCKET_PREFIXES.queueOverflow)!;
    const longest = Math.max(...QUEUES.map((q) => Math.max(q.retentionSeconds, q.deadLetterRetentionSeconds)));
    // A dead letter redriven on its last day is a new message: it may wait in its queue and, failing again, a whole
    // dead-letter retention more (SQS resets the retention on a redrive).
    const redrivenOnItsLastDay = 2 * longest;
    expect(rule.expireAfterDays! * 86_400).toBeGreaterThan(redrivenOnItsLastDay);
    expect(rule.expireAfterDays).toBe(29);
    expect(overflowExpiryDays([{ ...QUEUES[0]!, retentionSeconds: 86_400, deadLetterRetentionSeconds: 2.5 * 86_400 }])).toBe(7);
  });

  it('has three Glue tables per contract version (every file, the unfolded ones, current state), plus raw', () => {
    const versions = [...CONTRACTS.values()].reduce((n, v) => n + v.size, 0);
    expect(GLUE_TABLES.length).toBe(3 * versions + 1);
    expect(new Set(GLUE_TABLES.map((t) => t.name)).size).toBe(GLUE_TABLES.length);
    const donation = GLUE_TABLES.find((t) => t.name === 'donation_v1')!;
    expect(donation.dataPrefix).toBe('lake/transactions/donation/v1/');
    const type = (n: string) => donation.columns.find((c) => c.name === n)?.type;
    expect([type('amount_minor'), type('currency'), type('occurred_at'), type('_received_at')]).toEqual(['bigint', 'string', 'timestamp', 'timestamp']);
    expect(GLUE_TABLES.find((t) => t.name === 'bank_line_v2')!.columns.map((c) => c.name)).toContain('end_to_end_id');
    expect(GLUE_TABLES.find((t) => t.name === 'raw_envelope_v1')!.dataPrefix).toBe('lake/raw/envelope/v1/');
    const params = glueTableParameters(donation, 'b');
    expect(params['projection.dt.type']).toBe('date');
    expect(params['storage.location.template']).toBe('s3://b/manifests/donation_v1/dt=${dt}/');
    expect(glueTableParameters(GLUE_TABLES.find((t) => t.name === 'donation_v1_recent')!, 'b')['storage.location.template']).toBe(
      's3://b/manifests/donation_v1_recent/dt=${dt}/',
    );
    // Current state: its version's columns plus _current, no dt. Written only in the latest version, but a state
    // folded before the contract gained a version stays in its own version's table until the next fold.
    const current = GLUE_TABLES.find((t) => t.name === 'bank_line_v2_current')!;
    expect(current.partitionKey).toBeNull();
    expect(current.columns.at(-1)).toEqual({ name: '_current', type: 'boolean' });
    expect(glueTableParameters(current, 'b')['projection.enabled']).toBeUndefined();
    const older = GLUE_TABLES.find((t) => t.name === 'donation_v1_current')!;
    expect(older.columns.map((c) => c.name)).not.toContain('sms_network');
    expect(older.columns.at(-1)).toEqual({ name: '_current', type: 'boolean' });
    expect(GLUE_TABLES.find((t) => t.name === 'donation_v2_current')!.columns).toContainEqual({ name: 'sms_network', type: 'string' });
    expect(GLUE_TABLES.some((t) => t.name.startsWith('raw_') && t.kind !== 'files')).toBe(false);
  });

  it('has one sync schedule per schedules/ entry, as whole-minute rates', () => {
    expect(scheduleSpecs().filter((s) => s.handler === 'sync').map((s) => s.input.connector)).toEqual(SCHEDULE.map((e) => e.connector));
    expect(rateExpression(60)).toBe('rate(1 minute)');
    expect(rateExpression(300)).toBe('rate(5 minutes)');
    expect(() => rateExpression(90)).toThrow(/whole minutes/);
  });

  it('lists every handler with its entry file', () => {
    expect(HANDLERS.map((h) => h.entry)).toEqual(
      ['producer', 'webhooks', 'consumer', 'connector-sync', 'compaction', 'bank-import', 'totals', 'totals-drift'].map((n) => `infra/aws/handlers/${n}.ts`),
    );
  });
});
