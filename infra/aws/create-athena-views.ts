// Create (or replace) every view in Athena, and record them as current in the state table, for a first install or
// to force it. After a deploy nothing needs running: the compaction function re-creates the views that changed
// before it folds anything (athena-views-current.ts).
//   AWS_REGION=eu-west-2 npx tsx infra/aws/create-athena-views.ts
// Uses the default AWS credentials; PUDDLE_ATHENA_WORKGROUP, PUDDLE_GLUE_DATABASE and PUDDLE_STATE_TABLE override
// the stack's names.
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { configuredReconParams } from '../../puddles/recon-params.js';
import { AthenaQueryEngine } from './athena-query-engine.js';
import { ensureViewsCurrent } from './athena-views-current.js';
import { awsSetupProblem } from './aws-errors.js';
import { callLimits, readCallTimeoutMs } from './call-limits.js';
import { DynamoDbStateStore } from './dynamodb-state-store.js';
import { ATHENA, ENV, GLUE_DATABASE, STATE_TABLE } from './shape.js';

const limits = callLimits(readCallTimeoutMs());
const client = new AthenaClient(limits);
const dynamodb = new DynamoDBClient(limits);
try {
  const engine = new AthenaQueryEngine({
    client,
    workgroup: process.env[ENV.athenaWorkgroup] || ATHENA.workgroup,
    database: process.env[ENV.glueDatabase] || GLUE_DATABASE,
  });
  const state = new DynamoDbStateStore({ client: dynamodb, table: process.env[ENV.stateTable] || STATE_TABLE.name });
  const { created } = await ensureViewsCurrent({ engine, state, force: true, reconParams: configuredReconParams() });
  process.stdout.write(`created ${created.length} views: ${created.join(', ')}\n`);
} catch (err) {
  process.stderr.write(`create-athena-views: ${awsSetupProblem(err) ?? (err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  client.destroy();
  dynamodb.destroy();
}
