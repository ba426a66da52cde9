// ObjectStore on S3 (AWS shape's lake). Keys live under an optional prefix so one bucket can hold several lakes.
//
// Object Lock (the stack's `rawObjectLockDays`): keys under the retention prefix (the raw table's folder) are
// PUT with their own retention, mode and date, rather than relying on a bucket default retention. A default would
// lock every new object version in the bucket: each rewritten Athena manifest, every compaction input and merged
// lake file, query results and queue overflow would all be kept for the whole period (versions piling up that no
// lifecycle rule may remove), while the audit trail that needs it is raw alone. S3 refuses a PUT carrying
// retention without an integrity header (Content-MD5 or x-amz-checksum-*), so locked PUTs always ask the SDK for
// a CRC32 checksum, even on a client set to compute checksums only when required (S3-compatible endpoints).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

import { FatalError } from '../../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../../core/ports.js';
import { httpStatus, toPuddleError as toAwsError } from './aws-errors.js';

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /** Folder inside the bucket that acts as the store root, e.g. `puddle/`; a missing trailing '/' is added. */
  prefix?: string;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000); small values let tests exercise paging. */
  pageSize?: number;
  /** Object Lock retention for keys under a prefix (the bucket must have Object Lock enabled). */
  retention?: ObjectRetention;
  now?: () => number;
}

export interface ObjectRetention {
  /** Store keys starting with this are locked: the raw table's folder. */
  prefix: string;
  days: number;
  /**
   * GOVERNANCE: nobody deletes or shortens it without the s3:BypassGovernanceRetention right, which no Puddle
   * function has; an administrator who holds it can still erase one person's data on a lawful request. COMPLIANCE
   * would forbid that to everyone, root included, for the whole period.
   */
  mode: 'GOVERNANCE' | 'COMPLIANCE';
}

/** S3 answers 409 while another conditional write to the key is in flight; retrying then settles it. */
const CONDITIONAL_CONFLICT_RETRIES = 3;

export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #pageSize: number | undefined;
  readonly #retention: ObjectRetention | undefined;
  readonly #now: () => number;

  constructor(opts: S3ObjectStoreOptions) {
    this.#client = opts.client;
    this.#bucket = opts.bucket;
    const prefix = opts.prefix ?? '';
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (opts.pageSize !== undefined && !(Number.isInteger(opts.pageSize) && opts.pageSize >= 1 && opts.pageSize <= 1000)) {
      throw new FatalError('S3ObjectStore pageSize must be an integer from 1 to 1000');
    }
    this.#pageSize = opts.pageSize;
    if (opts.retention && !(Number.isSafeInteger(opts.retention.days) && opts.retention.days >= 1)) {
      throw new FatalError('S3ObjectStore retention days must be a whole number of at least 1');
    }
    this.#retention = opts.retention;
    this.#now = opts.now ?? Date.now;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.#send('put', () =>
      this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#fullKey(key), Body: body, ...this.#lockOf(key) })),
    );
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const fullKey = this.#fullKey(key);
    // The HEAD saves an upload when the key is plainly there, and keeps the answer right on S3-compatible
    // servers that ignore If-None-Match (fauxqs, s3rver). Only the conditional PUT makes it atomic, so on such
    // servers two racing callers can both "win": the guarantee there is best effort.
    if (await this.#exists(fullKey)) return false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.send(
          new PutObjectCommand({ Bucket: this.#bucket, Key: fullKey, Body: body, IfNoneMatch: '*', ...this.#lockOf(key) }),
        );
        return true;
      } catch (err) {
        const status = httpStatus(err);
        if (status === 412) return false; // PreconditionFailed: someone else wrote it first.
        if (status === 409 && attempt < CONDITIONAL_CONFLICT_RETRIES) continue;
        throw toPuddleError('putIfAbsent', err);
      }
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const fullKey = this.#fullKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: fullKey }));
      if (!out.Body) return new Uint8Array(0);
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (err instanceof NoSuchKey || httpStatus(err) === 404) return null;
      throw toPuddleError('get', err);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.#send('list', () =>
        this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            ContinuationToken: token,
            MaxKeys: this.#pageSize,
          }),
        ),
      );
      for (const obj of page.Contents ?? []) {
        if (obj.Key === undefined || !obj.Key.startsWith(this.#prefix)) continue;
        out.push({
          key: obj.Key.slice(this.#prefix.length),
          size: obj.Size ?? 0,
          lastModified: obj.LastModified ?? new Date(0),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // S3 already returns UTF-8 byte order; sort by the same rule the fs adapter uses so both agree exactly.
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async delete(key: string): Promise<void> {
    // S3 DeleteObject succeeds for absent keys already.
    await this.#send('delete', () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#fullKey(key) })),
    );
  }

  // ------------------------------------------------------------------ internals

  /** The PutObject fields that lock a key under the retention prefix (none for other keys). */
  #lockOf(key: string) {
    const r = this.#retention;
    if (!r || !key.startsWith(r.prefix)) return {};
    return {
      ObjectLockMode: r.mode,
      ObjectLockRetainUntilDate: new Date(this.#now() + r.days * 86_400_000),
      ChecksumAlgorithm: 'CRC32' as const,
    };
  }

  #fullKey(key: string): string {
    if (key === '') throw new FatalError('Object key must not be empty');
    return this.#prefix + key;
  }

  async #exists(fullKey: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: fullKey }));
      return true;
    } catch (err) {
      if (httpStatus(err) === 404) return false;
      throw toPuddleError('putIfAbsent', err);
    }
  }

  async #send<T>(op: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toPuddleError(op, err);
    }
  }
}

const toPuddleError = (op: string, err: unknown) => toAwsError('S3', op, err);
