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

/** fauxqs 1.9 listens on 0.0.0.0 whatever `host` says (host only shapes queue URLs): clients use 127.0.0.1. */
export async function startFauxqsEmulator(port = 0): Promise<RunningEmulator & { server: import('fauxqs').FauxqsServer }> {
  const { startFauxqs } = await devImport('fauxqs', () => import('fauxqs'));
  const server = await startFauxqs({ port, logger: false });
  return { server, endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

export async function startDynaliteEmulator(port = 0): Promise<RunningEmulator> {
  const { default: dynalite } = await devImport('dynalite', () => import('dynalite'));
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
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
