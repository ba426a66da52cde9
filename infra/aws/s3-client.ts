// One place that builds the S3 client, so the runtime and tools agree on endpoint and addressing style.
import { S3Client } from '@aws-sdk/client-s3';

import { callLimits, DEFAULT_CALL_TIMEOUT_MS } from './call-limits.js';

export interface CreateS3ClientOptions {
  /** A non-AWS endpoint (fauxqs, MinIO, LocalStack). Leave unset for real S3 or for `AWS_ENDPOINT_URL_S3`. */
  endpoint?: string;
  region?: string;
  /** Explicit keys for an S3-compatible server; leave unset to use the default AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long a call may go without an answer (call-limits.ts); default DEFAULT_CALL_TIMEOUT_MS. */
  callTimeoutMs?: number;
}

export function createS3Client(opts: CreateS3ClientOptions = {}): S3Client {
  const custom = opts.endpoint !== undefined;
  return new S3Client({
    ...callLimits(opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(custom
      ? {
          endpoint: opts.endpoint,
          // Compatible servers rarely resolve <bucket>.<host> names, so address buckets by path.
          forcePathStyle: true,
          // SDK >= 3.729 adds streaming CRC32 trailers by default, which most compatible servers reject.
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
}
