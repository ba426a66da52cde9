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

/** What AWS answers when the caller's keys are unknown, mistyped or expired. */
const REFUSED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
]);

/**
 * One line for a failure caused by the shell's AWS setup (no credentials, credentials AWS refuses, no region),
 * or null for any other failure: what a command run against a real account (`puddle aws ...`,
 * create-athena-views) says instead of the SDK's stack trace. It looks through `cause`, so a failure the
 * adapters wrapped (toPuddleError) is recognised too. It names AWS's error code, never a key.
 */
export function awsSetupProblem(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    if (e.name === 'CredentialsProviderError' || e.name === 'TokenProviderError') {
      // The SDK's text says which source it tried last (a profile, an expired SSO session); it holds no key.
      const said = e.message.split('\n')[0]!.slice(0, 200);
      return `no usable AWS credentials (${said}): sign in with \`aws sso login\` (AWS_PROFILE naming the profile) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
    }
    if (REFUSED_CREDENTIALS.has(e.name)) return `AWS refused the credentials (${e.name}): they are wrong or expired; sign in again or set fresh keys`;
    if (e.message === 'Region is missing') return 'no AWS region: set AWS_REGION (for example eu-west-2)';
  }
  return null;
}
