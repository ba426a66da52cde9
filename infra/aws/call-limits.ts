// How long one AWS call may wait for an answer, for every SDK client the AWS shape makes.
//
// The SDK's default is to wait for ever: an S3, SQS or DynamoDB endpoint that takes the connection and never
// answers held a function until Lambda's own timeout (10 s for the producer, 60 s for a consumer, 15 minutes
// for a connector run), and the invocation then ended without the error path running. With a limit, the SDK
// abandons the call, tries it again (its three attempts), and if all fail the adapters' mapping makes it a
// RetriableError (aws-errors.ts: no status means no answer): the producer answers 503 with Retry-After, a
// consumer fails its batch back to SQS, a connector run ends partial at its checkpoint.
import { envSettings } from '../../core/settings.js';
import { ENV, type HandlerSpec } from './shape.js';

/**
 * Silence on the socket that ends a call (the SDK's `socketTimeout`: bytes still flowing, a large Parquet upload
 * or download, never trip it). Ten seconds: S3, SQS, SNS, DynamoDB, Glue and Athena's control calls answer in
 * well under one (our SQS receives do not long-poll for longer than a second).
 */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
const MIN_CALL_TIMEOUT_MS = 1_000;
/** Opening the TCP (and TLS) connection. */
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * The limit for a function: a fifth of its timeout, at most the default, so the SDK's three attempts and their
 * backoff end well before Lambda stops the function (the 10 s functions get 2 s a call, 6.6 s at worst in all).
 */
export function callTimeoutMsFor(spec: Pick<HandlerSpec, 'timeoutSeconds'>): number {
  return Math.max(MIN_CALL_TIMEOUT_MS, Math.min(DEFAULT_CALL_TIMEOUT_MS, Math.floor((spec.timeoutSeconds * 1000) / 5)));
}

/** The limit the environment sets (ENV.callTimeoutMs, which the stack sets to callTimeoutMsFor); the default when unset. A value that is not a whole number of ms >= 1,000 is refused. */
export function readCallTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const settings = envSettings(env);
  const ms = settings.number(ENV.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, { min: MIN_CALL_TIMEOUT_MS, whole: true, unit: 'milliseconds' });
  settings.check();
  return ms;
}

/** What every client is made with: pass to the constructor beside its own settings. */
export function callLimits(timeoutMs: number): { requestHandler: { connectionTimeout: number; socketTimeout: number } } {
  return { requestHandler: { connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs), socketTimeout: timeoutMs } };
}
