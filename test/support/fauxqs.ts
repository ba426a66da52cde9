// fauxqs (S3, SQS, SNS on one port) started inside the test process, on a free port.
// It listens on 0.0.0.0 whatever `host` says, so clients are pointed at 127.0.0.1 explicitly.
import { startFauxqs, type FauxqsServer } from 'fauxqs';

/** Any keys work: fauxqs never checks them. Explicit so the SDK's default chain never looks for real ones. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const EMULATOR_REGION = 'us-east-1';

export interface RunningFauxqs {
  server: FauxqsServer;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startTestFauxqs(): Promise<RunningFauxqs> {
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  return { server, endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}
