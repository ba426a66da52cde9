// `npm run synth`: the CDK app. Context (`-c name=value`): rawObjectLockDays, duckdbLayer (a folder laid out as a
// Lambda layer, nodejs/node_modules/@duckdb/...), alarmEmail, prefix (starts every resource name and names the
// stack; default puddle, stack Puddle), connectors (comma separated: which get schedules and staleness alarms;
// default all). Synth needs neither network nor Docker.
import { App } from 'aws-cdk-lib';

import { ConfigError } from '../../../core/errors.js';
import { parseConnectors, resourceNames } from '../shape.js';
import { PuddleStack } from './puddle-stack.js';

const app = new App();
const context = (name: string): string | undefined => {
  const v: unknown = app.node.tryGetContext(name);
  return v === undefined || v === null || v === '' ? undefined : String(v);
};
try {
  const lockDays = context('rawObjectLockDays');
  if (lockDays !== undefined && !/^[1-9]\d*$/.test(lockDays)) throw new ConfigError(`-c rawObjectLockDays must be a whole number of days, not ${JSON.stringify(lockDays)}`);
  const names = resourceNames(context('prefix'));
  new PuddleStack(app, names.stack, {
    description: 'Puddle: donation data hub (AWS shape)',
    prefix: names.prefix,
    connectors: parseConnectors(context('connectors')),
    rawObjectLockDays: lockDays === undefined ? undefined : Number(lockDays),
    duckdbLayerDir: context('duckdbLayer'),
    alarmEmail: context('alarmEmail'),
  });
  app.synth();
} catch (err) {
  // A wrong setting is the user's to fix: one line saying which and what to do, not a stack trace.
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`puddle synth: ${err.message}\n`);
  process.exit(1);
}
