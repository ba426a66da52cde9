// Deploy step: create (or replace) every view in Athena, after `cdk deploy` and after a new contract version.
//   AWS_REGION=eu-west-2 npx tsx infra/aws/create-athena-views.ts
// Uses the default AWS credentials; PUDDLE_ATHENA_WORKGROUP and PUDDLE_GLUE_DATABASE override the stack's names.
import { AthenaClient } from '@aws-sdk/client-athena';

import { AthenaQueryEngine } from './athena-query-engine.js';
import { awsSetupProblem } from './aws-errors.js';
import { callLimits, readCallTimeoutMs } from './call-limits.js';
import { ATHENA, ENV, GLUE_DATABASE } from './shape.js';

const client = new AthenaClient(callLimits(readCallTimeoutMs()));
try {
  const engine = new AthenaQueryEngine({
    client,
    workgroup: process.env[ENV.athenaWorkgroup] || ATHENA.workgroup,
    database: process.env[ENV.glueDatabase] || GLUE_DATABASE,
  });
  const created = await engine.createViews();
  process.stdout.write(`created ${created.length} views: ${created.join(', ')}\n`);
} catch (err) {
  process.stderr.write(`create-athena-views: ${awsSetupProblem(err) ?? (err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  client.destroy();
}
