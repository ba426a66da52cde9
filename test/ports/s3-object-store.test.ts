import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FatalError } from '../../core/errors.js';
import { createS3Client } from '../../infra/aws/s3-client.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startTestFauxqs, type RunningFauxqs } from '../support/fauxqs.js';
import { objectStoreSuite } from './object-store-suite.js';

const bucket = 'puddle-test';
let fauxqs: RunningFauxqs;
let client: S3Client;

beforeAll(async () => {
  fauxqs = await startTestFauxqs();
  client = createS3Client({ endpoint: fauxqs.endpoint, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  client.destroy();
  await fauxqs.stop();
});

/** Each test gets its own root prefix in the shared bucket; cleanup removes whatever it left. */
async function removePrefix(prefix: string): Promise<void> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
  if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
}

// fauxqs ignores If-None-Match on PUT (as every S3 emulator on npm does), so the adapter's only guard there is
// HEAD-then-PUT, which two racing callers can both pass: the exactly-one-winner test is SKIPPED here. It holds
// on real S3; the 412/409 answers that make it hold are tested below with a mocked client.
objectStoreSuite(
  'S3ObjectStore on fauxqs',
  async () => {
    const prefix = `suite-${randomUUID()}/`;
    return { store: new S3ObjectStore({ client, bucket, prefix }), cleanup: () => removePrefix(prefix) };
  },
  { atomicPutIfAbsent: false },
);

// fauxqs lists in S3's byte order across pages (`a-b`, `a.txt`, `a/z.txt`), so the whole suite runs paged too.
objectStoreSuite(
  'S3ObjectStore on fauxqs, 1 key a page',
  async () => {
    const prefix = `paged-${randomUUID()}/`;
    return { store: new S3ObjectStore({ client, bucket, prefix, pageSize: 1 }), cleanup: () => removePrefix(prefix) };
  },
  { atomicPutIfAbsent: false },
);

describe('S3ObjectStore specifics', () => {
  it('pages through ListObjectsV2 with continuation tokens', async () => {
    const prefix = `paging-${randomUUID()}`;
    // A client of its own, counting the list requests it sends, to prove the listing really paged.
    const counted = createS3Client({ endpoint: fauxqs.endpoint, credentials: EMULATOR_CREDENTIALS });
    let listCalls = 0;
    counted.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ListObjectsV2Command') listCalls++;
        return next(args);
      },
      { step: 'initialize', name: 'countListCalls' },
    );
    const store = new S3ObjectStore({ client: counted, bucket, prefix, pageSize: 4 });
    const keys = [
      ...Array.from({ length: 23 }, (_, i) => `dt=2026-11-29/part-${String(i).padStart(3, '0')}.parquet`),
      ...Array.from({ length: 6 }, (_, i) => `dt=2026-11-30/part-${String(i).padStart(3, '0')}.parquet`),
    ];
    await Promise.all(keys.map((k) => store.put(k, k)));
    const listed = await store.list('dt=2026-11-');
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed.map((o) => o.size)).toEqual(keys.map((k) => k.length));
    expect(listCalls).toBe(8); // 29 keys at 4 a page
    expect((await store.list('dt=2026-11-30/')).map((o) => o.key)).toEqual(keys.slice(23));
    expect(listCalls).toBe(10);
    counted.destroy();
    await removePrefix(`${prefix}/`);
  });

  it('keeps keys under its prefix and hides the prefix from callers', async () => {
    const root = `scoped-${randomUUID()}`;
    const a = new S3ObjectStore({ client, bucket, prefix: `${root}/a` });
    const b = new S3ObjectStore({ client, bucket, prefix: `${root}/a-b/` });
    await a.put('k.txt', 'from a');
    await b.put('k.txt', 'from b');
    expect((await a.list('')).map((o) => o.key)).toEqual(['k.txt']);
    expect(new TextDecoder().decode((await a.get('k.txt'))!)).toBe('from a');
    const whole = new S3ObjectStore({ client, bucket });
    expect((await whole.list(`${root}/`)).map((o) => o.key)).toEqual([`${root}/a-b/k.txt`, `${root}/a/k.txt`]);
    await removePrefix(`${root}/`);
  });

  it('maps a missing bucket to a FatalError that names the S3 error, not the data', async () => {
    const store = new S3ObjectStore({ client, bucket: `no-such-bucket-${Date.now()}` });
    const err = await store.put('secret-path/x.txt', 'card 4242424242424242').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toMatch(/^S3 put failed: NoSuchBucket/);
    expect((err as Error).message).not.toContain('4242');
  });

  it('rejects an out-of-range pageSize', () => {
    expect(() => new S3ObjectStore({ client, bucket, pageSize: 0 })).toThrow(FatalError);
    expect(() => new S3ObjectStore({ client, bucket, pageSize: 1001 })).toThrow(FatalError);
  });
});

// No emulator honours If-None-Match, so S3's own answers to a conditional PUT are played by a mocked client:
// these are the branches that make putIfAbsent atomic on real S3.
describe('S3ObjectStore.putIfAbsent against S3 conditional-write answers (mocked client)', () => {
  const notFound = () => new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } });
  const answer = (name: string, status: number) =>
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

  function mocked() {
    const s3 = new S3Client({ region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS });
    const mock = mockClient(s3);
    mock.on(PutObjectCommand).callsFake(() => {
      throw new Error('unexpected PutObject');
    });
    mock.rejects(notFound()); // HeadObject: not there yet
    return { s3, mock, store: new S3ObjectStore({ client: s3, bucket: 'lake', prefix: 'p/' }) };
  }

  it('sends If-None-Match: * and reports a win when S3 accepts the write', async () => {
    const { mock, store } = mocked();
    mock.on(PutObjectCommand).resolves({});
    expect(await store.putIfAbsent('k.bin', 'body')).toBe(true);
    const puts = mock.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]!.args[0].input).toMatchObject({ Bucket: 'lake', Key: 'p/k.bin', IfNoneMatch: '*' });
  });

  it('412 PreconditionFailed: someone else wrote the key first, so this call did not', async () => {
    const { mock, store } = mocked();
    mock.on(PutObjectCommand).rejects(answer('PreconditionFailed', 412));
    expect(await store.putIfAbsent('k.bin', 'body')).toBe(false);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('409 ConditionalRequestConflict: retries, then takes the answer of the settled write', async () => {
    const { mock, store } = mocked();
    mock
      .on(PutObjectCommand)
      .rejectsOnce(answer('ConditionalRequestConflict', 409))
      .rejectsOnce(answer('ConditionalRequestConflict', 409))
      .resolvesOnce({});
    expect(await store.putIfAbsent('k.bin', 'body')).toBe(true);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(3);

    const lost = mocked();
    lost.mock.on(PutObjectCommand).rejectsOnce(answer('ConditionalRequestConflict', 409)).rejectsOnce(answer('PreconditionFailed', 412));
    expect(await lost.store.putIfAbsent('k.bin', 'body')).toBe(false);
  });

  it('gives up after repeated 409s with a FatalError naming the S3 error, not the body', async () => {
    const { mock, store } = mocked();
    mock.on(PutObjectCommand).rejects(answer('ConditionalRequestConflict', 409));
    const err = await store.putIfAbsent('k.bin', 'card 4242424242424242').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalError);
    expect((err as Error).message).toBe('S3 putIfAbsent failed: ConditionalRequestConflict (HTTP 409)');
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(4); // the first try and 3 retries
  });

  it('skips the upload when HEAD already finds the key', async () => {
    const { mock, store } = mocked();
    mock.reset();
    mock.resolves({}); // HeadObject: there
    expect(await store.putIfAbsent('k.bin', 'body')).toBe(false);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
