import { randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { FatalError } from '../../core/errors.js';
import { createS3Client } from '../../infra/aws/s3-client.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { objectStoreSuite } from './object-store-suite.js';

const bucket = inject('s3Bucket');
let client: S3Client;

beforeAll(() => {
  client = createS3Client({
    endpoint: inject('s3Endpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});

afterAll(() => {
  client.destroy();
});

/** Each test gets its own root prefix in the shared bucket; cleanup removes whatever it left. */
async function removePrefix(prefix: string): Promise<void> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
  if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
}

// Two s3rver gaps, relaxed here in the test (the adapter has no s3rver branches):
// - s3rver ignores If-None-Match on PUT, so the adapter's only guard there is HEAD-then-PUT, which two racing
//   callers can both pass. The exactly-one-winner test is therefore SKIPPED for s3rver: it holds on real S3
//   (conditional writes), not on this stand-in. The sequential putIfAbsent tests still run.
// - s3rver lists in folder-walk order (`a/z.txt` before `a.txt`), not S3's byte order, and resumes after the
//   last key returned, so paging drops keys when `a.txt` and `a/...` are both present. The suite therefore
//   runs with the default page size (no paging); paging has its own test below on keys s3rver orders right.
objectStoreSuite(
  'S3ObjectStore on s3rver',
  async () => {
    const prefix = `suite-${randomUUID()}/`;
    return { store: new S3ObjectStore({ client, bucket, prefix }), cleanup: () => removePrefix(prefix) };
  },
  { atomicPutIfAbsent: false },
);

describe('S3ObjectStore specifics', () => {
  it('pages through ListObjectsV2 with continuation tokens', async () => {
    const prefix = `paging-${randomUUID()}`;
    // A client of its own, counting the list requests it sends, to prove the listing really paged.
    const counted = createS3Client({
      endpoint: inject('s3Endpoint'),
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
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
