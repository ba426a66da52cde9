// The emulators the AWS shape runs on here, started inside this process: fauxqs (S3, SNS, SQS on one
// port) and dynalite (DynamoDB). Both are dev dependencies: imported only when asked for.
import type { AddressInfo } from 'node:net';

import { ConfigError } from '../../../core/errors.js';

export interface RunningEmulator {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

/** Any keys work on the emulators; explicit, so the SDK's default chain never goes looking for real ones. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const EMULATOR_REGION = 'us-east-1';

async function devImport<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new ConfigError(`${name} is not installed: it is a dev dependency (npm ci without --omit=dev)`, { cause: err });
  }
}

/**
 * Where the emulators listen: this machine only. They take any keys, so on another address anyone on the
 * network could list the lake or publish a forged envelope past the producer's key check.
 */
export const EMULATOR_HOST = '127.0.0.1';

/**
 * fauxqs 1.9's startFauxqs listens on 0.0.0.0 whatever `host` says (host only shapes queue URLs), so the app is
 * built with its exported buildApp and listened on 127.0.0.1 here. Queue URLs then carry the request's Host
 * header (127.0.0.1:<port>), as startFauxqs's do.
 */
export async function startFauxqsEmulator(port = 0): Promise<RunningEmulator> {
  const { buildApp } = await devImport('fauxqs', () => import('fauxqs'));
  const app = buildApp({ logger: false });
  const address = await app.listen({ port, host: EMULATOR_HOST });
  const bound = new URL(address).port;
  return { endpoint: `http://${EMULATOR_HOST}:${bound}`, stop: () => app.close() };
}

export async function startDynaliteEmulator(port = 0): Promise<RunningEmulator> {
  const { default: dynalite } = await devImport('dynalite', () => import('dynalite'));
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, EMULATOR_HOST, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${EMULATOR_HOST}:${bound}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The variables to put before an `aws` CLI command for the emulators: their keys and region, as a shell prefix.
 * The region twice: AWS CLI v2 reads AWS_REGION, v1 only AWS_DEFAULT_REGION (Debian's awscli 1.x answered
 * `aws sqs list-queues` with "You must specify a region" under AWS_REGION alone, until 2026-12-03).
 */
export function awsCliEnv(): string {
  return `AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey} AWS_REGION=${EMULATOR_REGION} AWS_DEFAULT_REGION=${EMULATOR_REGION}`;
}

/** The SDK's own variables that send every client to the emulators (no other code path needs to know). */
export function emulatorEnv(fauxqs: RunningEmulator, dynalite: RunningEmulator): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
    AWS_ENDPOINT_URL_SNS: fauxqs.endpoint,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_REGION: EMULATOR_REGION,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  };
}
