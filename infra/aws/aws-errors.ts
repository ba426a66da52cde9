// AWS SDK failures mapped onto DESIGN.md rule 8, for every AWS adapter. Messages name the service, the
// operation and AWS's error code, never a request's body or a message's contents.
import { FatalError, PuddleError, RetriableError } from '../../core/errors.js';

export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** AWS's error code (`ConditionalCheckFailedException`, `NoSuchBucket`, ...): the SDK puts it in `name`. */
export function errorCode(err: unknown): string {
  if (err instanceof Error) return err.name;
  return 'UnknownError';
}

/** Codes AWS uses for throttling; they come with 400 on some services, so the status alone does not say. */
const THROTTLED = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'KMSThrottlingException',
  'InternalError',
  'ServiceUnavailable',
]);

export function toPuddleError(service: string, op: string, err: unknown): PuddleError {
  if (err instanceof PuddleError) return err;
  const status = httpStatus(err);
  const code = errorCode(err);
  const message = `${service} ${op} failed: ${code}${status ? ` (HTTP ${status})` : ''}`;
  // No status means the request never got an answer (network, timeout): worth another go.
  if (status === undefined || status === 429 || status >= 500 || THROTTLED.has(code)) {
    return new RetriableError(message, undefined, { cause: err, ...(status ? { status } : {}) });
  }
  return new FatalError(message, { cause: err });
}

/** Run one SDK call, mapping its failure. */
export async function awsCall<T>(service: string, op: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toPuddleError(service, op, err);
  }
}
