import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { ConfigError } from '../../core/errors.js';
import { readAwsEnv } from '../../infra/aws/runtime.js';
import { createS3Client } from '../../infra/aws/s3-client.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { landEnvelopes } from '../../puddles/land.js';
import { RAW_TABLE, tablePrefix } from '../../puddles/layout.js';
import { startShapeWithEmbeddedCatalog } from '../support/aws-shape.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startTestFauxqs, type RunningFauxqs } from '../support/fauxqs.js';

// Object Lock on raw PUTs: what the requests that leave the SDK carry (recorded after the SDK's own build steps,
// the checksum included), sent to fauxqs, which stores the objects (it ignores lock headers, as no emulator
// enforces Object Lock; S3 refuses a PUT with retention and no Content-MD5 or x-amz-checksum-* header).
const RAW = tablePrefix(RAW_TABLE);
const NOW = Date.parse('2026-11-30T23:00:00Z');
let fauxqs: RunningFauxqs;
let client: S3Client;

type Sent = { key: string; headers: Record<string, string> };

/** Record every PUT's path and headers as it goes on the wire. */
function recordPuts(c: S3Client): Sent[] {
  const sent: Sent[] = [];
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { path: string; headers: Record<string, string> };
      if (context.commandName === 'PutObjectCommand') sent.push({ key: decodeURIComponent(req.path).replace(/^\/[^/]+\//, ''), headers: { ...req.headers } });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordPuts' },
  );
  return sent;
}

const crc32Header = (body: string | Uint8Array) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body));
  return b.toString('base64');
};

beforeAll(async () => {
  fauxqs = await startTestFauxqs();
  // An S3-compatible endpoint: the client computes checksums only when required, the hardest case for a locked PUT.
  client = createS3Client({ endpoint: fauxqs.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: 'locked' }));
});
afterAll(async () => {
  client.destroy();
  await fauxqs.stop();
});

describe('Object Lock on raw PUTs', () => {
  it('puts raw keys with their retention, mode and a CRC32 checksum, and other keys without', async () => {
    const sent = recordPuts(client);
    const store = new S3ObjectStore({ client, bucket: 'locked', retention: { prefix: RAW, days: 30, mode: 'GOVERNANCE' }, now: () => NOW });
    const raw = `${RAW}dt=2026-11-30/b-1.parquet`;
    const body = new Uint8Array([80, 65, 82, 49, 1, 2, 3]);
    await store.put(raw, body);
    expect(await store.putIfAbsent(`${RAW}dt=2026-11-30/b-2.parquet`, 'second')).toBe(true);
    await store.put('lake/transactions/donation/v1/dt=2026-11-30/b-1.parquet', body);
    await store.put('manifests/donation_v1/dt=2026-11-30/manifest', 's3://locked/x');

    const lock = { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2026-12-30T23:00:00Z' };
    expect(sent.map((s) => s.key)).toEqual([raw, `${RAW}dt=2026-11-30/b-2.parquet`, 'lake/transactions/donation/v1/dt=2026-11-30/b-1.parquet', 'manifests/donation_v1/dt=2026-11-30/manifest']);
    expect(sent[0]!.headers).toMatchObject({ ...lock, 'x-amz-checksum-crc32': crc32Header(body) });
    expect(sent[1]!.headers).toMatchObject({ ...lock, 'x-amz-checksum-crc32': crc32Header('second'), 'if-none-match': '*' });
    for (const other of sent.slice(2)) {
      expect(Object.keys(other.headers).filter((h) => h.startsWith('x-amz-object-lock') || h.startsWith('x-amz-checksum'))).toEqual([]);
    }
    expect(await store.get(raw)).toEqual(body);
  });

  it('is set by the runtime from PUDDLE_RAW_OBJECT_LOCK_DAYS, so landing raw envelopes locks their files', async () => {
    vi.stubEnv('PUDDLE_RAW_OBJECT_LOCK_DAYS', '3650');
    const { rt, catalog, stop } = await startShapeWithEmbeddedCatalog();
    try {
      const sent = recordPuts(rt.clients.s3);
      const env = makeEnvelope({ contract: 'donation', version: 1, source: 'producer', delivery_id: 'req-lock-1', payload: { donation_id: 'l1', occurred_at: '2026-11-30T20:00:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' } });
      const before = Date.now();
      for (const name of ['raw', 'transactions']) {
        await landEnvelopes({ puddle: PUDDLES.find((p) => p.name === name)!, store: rt.store, catalog, envelopes: [env] });
      }
      const rawPuts = sent.filter((s) => s.key.startsWith(RAW));
      expect(rawPuts.length).toBeGreaterThan(0);
      for (const put of rawPuts) {
        expect(put.headers['x-amz-object-lock-mode']).toBe('GOVERNANCE');
        const until = Date.parse(put.headers['x-amz-object-lock-retain-until-date']!);
        expect(until).toBeGreaterThanOrEqual(before + 3650 * 86_400_000);
        expect(put.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      }
      const lakePuts = sent.filter((s) => s.key.startsWith('lake/transactions/'));
      expect(lakePuts.length).toBeGreaterThan(0);
      for (const put of lakePuts) expect(put.headers['x-amz-object-lock-mode']).toBeUndefined();
    } finally {
      await stop();
    }
  });

  it('refuses a lock that is not a whole number of days, naming the variable', () => {
    const env = { PUDDLE_BUCKET: 'b', PUDDLE_TOPIC_ARN: 'arn:aws:sns:eu-west-2:1:t', PUDDLE_STATE_TABLE: 's' };
    expect(readAwsEnv(env).rawObjectLockDays).toBeUndefined();
    expect(readAwsEnv({ ...env, PUDDLE_RAW_OBJECT_LOCK_DAYS: '365' }).rawObjectLockDays).toBe(365);
    for (const bad of ['a year', '0', '-5', '1.5']) {
      expect(() => readAwsEnv({ ...env, PUDDLE_RAW_OBJECT_LOCK_DAYS: bad }), bad).toThrow(ConfigError);
    }
    expect(() => readAwsEnv({ ...env, PUDDLE_RAW_OBJECT_LOCK_DAYS: 'a year' })).toThrow('PUDDLE_RAW_OBJECT_LOCK_DAYS must be a whole number of days from 1 to 999999 (got "a year")');
  });
});
