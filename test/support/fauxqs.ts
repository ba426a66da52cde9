// fauxqs (S3, SQS, SNS on one port) started inside the test process, on a free port.
import { startFauxqsEmulator } from '../../infra/aws/local/emulators.js';

export { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../infra/aws/local/emulators.js';

export type RunningFauxqs = Awaited<ReturnType<typeof startFauxqsEmulator>>;

export function startTestFauxqs(): Promise<RunningFauxqs> {
  return startFauxqsEmulator(0);
}
