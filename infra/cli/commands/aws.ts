import { loadConfig, PORT_RANGE } from '../../../core/config.js';
import { ConfigError, LakeFileError } from '../../../core/errors.js';
import { awsSetupProblem } from '../../aws/aws-errors.js';
import { defineCommand } from '../command.js';
import { wholeNumberOption } from '../options.js';
import { stopSignal } from '../stop-signal.js';

export const aws = defineCommand({
  name: 'aws',
  summary:
    'Run the AWS shape on this machine: Lambda handlers over fauxqs (S3, SNS, SQS) and dynalite (DynamoDB), in this process; or backfill a deployed stack\'s live totals counters from its lake (totals-rebuild).',
  usage: 'puddle aws local [--no-schedule] [--port N] | puddle aws totals-rebuild',
  options: {
    'no-schedule': { type: 'boolean', description: 'producer, webhooks, totals, consumers and the bank inbox only: no scheduled syncs, compaction or drift check' },
    port: { type: 'string', description: 'listen port (default $PORT or 8787)' },
  },
  async run({ values, positionals }) {
    const sub = positionals[0];
    if (sub !== 'local' && sub !== 'totals-rebuild') {
      process.stderr.write('puddle aws: the subcommands are `local` and `totals-rebuild` (deploying is `cdk deploy`, see docs/aws.md, "Deploying")\n');
      return 2;
    }
    try {
      return sub === 'totals-rebuild' ? await totalsRebuild() : await runLocal(values);
    } catch (err) {
      // A wrong setting (a home in use, a bad PORT) is main's to say, with exit code 2.
      if (err instanceof ConfigError || err instanceof LakeFileError) throw err;
      // Missing or refused credentials (or no region) are the shell's to fix: one line, not the SDK's stack trace.
      // Anything else too (AWS unreachable: no network, a mistyped region's endpoint), as create-athena-views.ts
      // says it: until 2026-12-05 that ended in an uncaught exception (user test).
      const problem = awsSetupProblem(err) ?? (err instanceof Error ? err.message : String(err));
      process.stderr.write(`puddle aws ${sub}: ${problem}\n`);
      return 1;
    }
  },
});

/** The AWS shape on this machine, over the emulators, until SIGINT or SIGTERM. */
async function runLocal(values: { 'no-schedule'?: boolean; port?: string }): Promise<number> {
  const config = loadConfig();
  // As `puddle start` does, before the emulators start: a connector setting that is wrong stops here (exit 2).
  const { checkConnectorSettings, CONNECTORS } = await import('../../../connectors/registry.js');
  checkConnectorSettings({ get: (name) => process.env[name] });
  if (!values['no-schedule']) {
    const [{ checkSchedule }, { SCHEDULE }] = await Promise.all([import('../../../schedules/check-schedule.js'), import('../../../schedules/schedule.js')]);
    checkSchedule(SCHEDULE, CONNECTORS);
  }
  config.port = wholeNumberOption(values, 'port', PORT_RANGE) ?? config.port;
  // Loaded only here: it pulls in the emulators (dev dependencies) and the AWS SDK.
  const { startAwsLocal } = await import('../../aws/local/aws-local.js');
  const { routesLine } = await import('../banner.js');
  // It takes the home's lock first: a home in use is refused (exit 2) before any warning below.
  const local = await startAwsLocal({ home: config.home, port: config.port, host: config.host, schedule: !values['no-schedule'] });
  // Taken before "listening on" is printed, as puddle start does (stopSignal).
  const stopAsked = stopSignal();
  if (config.apiKeys.length === 0) process.stderr.write('warning: PUDDLE_API_KEYS is empty, so POST /v1/events answers 401 to everyone\n');
  process.stdout.write(`puddle (AWS shape, emulated) listening on ${local.url} (home ${config.home})\n`);
  process.stdout.write(routesLine(local.url));
  process.stdout.write(`  GET ${local.url}/v1/totals (read or TV key, from the DynamoDB counters)\n`);
  const e = local.emulators;
  // The emulators take any keys, so they listen on this machine only.
  process.stdout.write(`  emulators on this machine only: S3, SNS, SQS ${e.sqs}, DynamoDB ${e.dynamodb} (any keys, region ${e.region}); bucket ${e.bucket}\n`);
  // With the emulators' keys and region in the line: on a machine with no AWS profile (a first try), the aws CLI
  // refuses before sending anything ("Unable to locate credentials"), as the line without them did until 2026-12-02.
  const { awsCliEnv } = await import('../../aws/local/emulators.js');
  process.stdout.write(`  bank statements: ${awsCliEnv()} aws --endpoint-url ${e.s3} s3 cp FILE s3://${e.bucket}/inbox/bank/\n`);
  process.stdout.write(`  puddle query / puddle report / puddle dead-letters with PUDDLE_HOME=${config.home} answer over what it lands and its dead-letter queues\n`);
  await stopAsked;
  process.stdout.write('\nstopping...\n');
  await local.stop();
  process.stdout.write(`stopped (the emulators kept everything in memory: the queues and counters are gone, the lake copy stays in PUDDLE_HOME; the next puddle aws local wants another PUDDLE_HOME, or this one without lake/ and catalog.db)\n`);
  return 0;
}

/** The deployed stack's counters from its lake, through Athena, with the credentials and region of this shell. */
async function totalsRebuild(): Promise<number> {
  const { rebuildDeployedCounters } = await import('../../aws/totals-rebuild.js');
  let shown = 0;
  const out = await rebuildDeployedCounters(process.env, (applied, of) => {
    if (applied - shown < 50_000 && applied < of) return;
    shown = applied;
    process.stderr.write(`  ${applied} of ${of} donations applied\n`);
  });
  const scanned = out.bytesScanned === undefined ? '' : `, Athena scanned ${(out.bytesScanned / 1024 ** 2).toFixed(1)} MiB`;
  process.stdout.write(`totals counters in ${out.table}: ${out.rows} current donations applied from the lake${scanned} (running it again changes nothing)\n`);
  return 0;
}
