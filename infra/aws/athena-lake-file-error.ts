// Athena's words for a lake file it could not read, turned into the LakeFileError DuckDB's engine gives
// (puddles/lake-file-error.ts): one line naming the file by its key and what to do, HTTP 503. Athena (Trino
// underneath) says it in the query's StateChangeReason, in one of two forms:
//   HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://<bucket>/<key> (offset=0, length=504731):
//     ...AmazonS3Exception: The specified key does not exist. (Service: Amazon S3; Status Code: 404; Error Code: NoSuchKey; ...)
//   GENERIC_INTERNAL_ERROR: ...AmazonS3Exception: The specified key does not exist. (...) (Bucket: <bucket>, Key: <key>)
// and for a damaged file `HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://... : Not valid Parquet file: ...`.
// The same split error also carries S3's 503 Slow Down, which is throttling, not a lost file: the reason must
// say the key is missing or the file is not Parquet.
import type { LakeFileError } from '../../core/errors.js';
import { lakeFileError } from '../../puddles/lake-file-error.js';
import { LAKE_PREFIX } from '../../puddles/layout.js';

const MISSING_OR_DAMAGED = /NoSuchKey|The specified key does not exist|Not valid Parquet file|is not a valid Parquet file/i;

/** The object Athena names: `s3://bucket/key` after "Hive split", or the `(Bucket: b, Key: k)` S3's exception ends with. */
const SPLIT = /Error opening Hive split s3:\/\/[^/\s]+\/(\S+?) \(offset=/;
const BUCKET_KEY = /\(Bucket: [^,)\s]+, Key: ([^)\s]+)\)/;

/**
 * A LakeFileError for a failed Athena query's reason that says a lake file (a key under `lake/`, as the Glue
 * catalog's manifests name them: bucket-root keys) is missing or is not Parquet, else undefined.
 */
export function athenaLakeFileError(reason: string): LakeFileError | undefined {
  if (!MISSING_OR_DAMAGED.test(reason)) return undefined;
  const key = SPLIT.exec(reason)?.[1] ?? BUCKET_KEY.exec(reason)?.[1];
  if (!key?.startsWith(`${LAKE_PREFIX}/`) || !key.endsWith('.parquet')) return undefined;
  return lakeFileError(key, new Error(reason));
}
