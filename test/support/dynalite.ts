// dynalite (DynamoDB on LevelDB, in memory) started inside the test process on a free port of 127.0.0.1.
import { startDynaliteEmulator, type RunningEmulator } from '../../infra/aws/local/emulators.js';

export type RunningDynalite = RunningEmulator;

export function startTestDynalite(): Promise<RunningDynalite> {
  return startDynaliteEmulator(0);
}
