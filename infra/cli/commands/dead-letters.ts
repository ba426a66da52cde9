import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processExists } from '../../../core/process-exists.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { defineCommand } from '../command.js';
import { formatRows, type Format } from '../format.js';
import { rowsForStdout } from '../stdout.js';
import { existingHome } from '../local-runtime.js';
import { AWS_LOCAL_FILE, readAwsLocalHome, type AwsLocalHome } from '../../aws/local/aws-local-home.js';
import type { DeadLetterSummary } from '../../local/sqlite-dead-letters.js';

/** A reason (core/error-reason.ts) can list a record's every bad field: cut long ones to what a table can show. */
const REASON_CHARS = 160;

export const deadLetters = defineCommand({
  name: 'dead-letters',
  summary: 'List the messages that could not land (per puddle: how many, since when, why), or send them back to land.',
  usage: 'puddle dead-letters [--format table|json]\n       puddle dead-letters redrive [--puddle P]',
  options: {
    format: { type: 'string', default: 'table', description: 'table (default) or json (list)' },
    puddle: { type: 'string', description: 'redrive only this puddle (default: every puddle)' },
  },
  async run({ values, positionals }) {
    const [action, ...extra] = positionals;
    if (extra.length || (action !== undefined && action !== 'redrive')) {
      process.stderr.write(`puddle dead-letters: unknown action '${positionals.join(' ')}' (list with no action, or 'redrive')\n`);
      return 2;
    }
    const puddle = values.puddle as string | undefined;
    if (puddle !== undefined && !PUDDLES.some((p) => p.name === puddle)) {
      process.stderr.write(`puddle dead-letters: --puddle must be one of ${PUDDLES.map((p) => p.name).join(', ')}\n`);
      return 2;
    }
    const home = existingHome();
    // A home `puddle aws local` runs on: its dead letters are in the SQS dead-letter queues, not in queue.db.
    const awsLocal = readAwsLocalHome(home);
    if (awsLocal) return awsShapeDeadLetters(awsLocal, action, puddle, values.format === 'json' ? 'json' : 'table');
    const file = join(home, 'queue.db');
    if (!existsSync(file)) {
      process.stderr.write(`note: ${file} does not exist (PUDDLE_HOME): no queue, so no dead letters\n`);
      if (action !== 'redrive') process.stdout.write(listing([], values.format === 'json' ? 'json' : 'table'));
      return 0;
    }
    // Loaded here, not at the top: `--help` needs none of it.
    const [{ openSqlite }, { forgetOlderReasons, redriveDeadLetters, summarizeDeadLetters }] = await Promise.all([import('../../local/sqlite.js'), import('../../local/sqlite-dead-letters.js')]);
    // Only the queue's file: safe beside a running hub (see sqlite-dead-letters.ts).
    const db = openSqlite(file);
    try {
      // A queue.db no hub of today has opened yet may hold an older hub's reasons, which can quote a record.
      forgetOlderReasons(db);
      if (action === 'redrive') {
        const moved = redriveDeadLetters(db, { puddle });
        let total = 0;
        for (const [name, n] of Object.entries(moved)) {
          process.stdout.write(`${name}: ${n} sent back to the queue\n`);
          total += n;
        }
        process.stdout.write(`sent back ${total} dead letters${total ? ': a running hub lands them now; otherwise puddle start or puddle land' : ''}\n`);
        return 0;
      }
      process.stdout.write(listing(summarizeDeadLetters(db), values.format === 'json' ? 'json' : 'table'));
      return 0;
    } finally {
      db.close();
    }
  },
});

/**
 * The list as a table or JSON. An empty table is a sentence, as `puddle quarantine` says "nothing open in
 * quarantine" (until 2026-12-03 it printed `(no rows)`, which reads like a query's answer, not the queue's);
 * JSON stays `[]` for a program.
 */
function listing(summaries: readonly DeadLetterSummary[], format: Format): string {
  if (format === 'json') return formatRows(summaryRows(summaries), format);
  if (!summaries.length) return 'no dead letters: nothing failed to land\n';
  // What to do next, as `puddle quarantine` names its retry.
  return `${rowsForStdout(summaryRows(summaries), format)}once the cause is fixed: puddle dead-letters redrive (or --puddle P for one puddle)\n`;
}

function summaryRows(summaries: readonly DeadLetterSummary[]) {
  return summaries.map((s) => ({
    puddle: s.puddle,
    dead_letters: s.count,
    oldest: s.oldest,
    newest: s.newest,
    reasons: s.reasons.map((r) => `${r.count} x ${r.reason.length > REASON_CHARS ? `${r.reason.slice(0, REASON_CHARS)}...` : r.reason}`).join('; '),
  }));
}

/** The SQS dead-letter queues of the `puddle aws local` running on this home, listed or sent back. */
async function awsShapeDeadLetters(running: AwsLocalHome, action: string | undefined, puddle: string | undefined, format: Format): Promise<number> {
  if (running.stoppedAt !== undefined || !processExists(running.pid)) {
    process.stderr.write(
      `puddle dead-letters: this home belongs to a puddle aws local (pid ${running.pid}, started ${running.startedAt}${running.stoppedAt ? `, stopped ${running.stoppedAt}` : ''}) that no longer runs: ` +
        `its queues, dead letters included, were in its memory and are gone. Remove ${AWS_LOCAL_FILE} from the home to read its embedded queue.db instead\n`,
    );
    return 1;
  }
  const [{ SQSClient }, { redriveSqsDeadLetters, summarizeSqsDeadLetters }, { EMULATOR_CREDENTIALS }] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('../../aws/sqs-dead-letters.js'),
    import('../../aws/local/emulators.js'),
  ]);
  const sqs = new SQSClient({ endpoint: running.sqs, region: running.region, credentials: EMULATOR_CREDENTIALS });
  const puddles = puddle ? [puddle] : PUDDLES.map((p) => p.name);
  try {
    if (action === 'redrive') {
      const moved = await redriveSqsDeadLetters(sqs, running.queuePrefix, puddles);
      let total = 0;
      for (const [name, n] of Object.entries(moved)) {
        process.stdout.write(`${name}: ${n} sent back to ${running.queuePrefix}${name}\n`);
        total += n;
      }
      process.stdout.write(`sent back ${total} dead letters${total ? ': puddle aws local lands them now' : ''}\n`);
      return 0;
    }
    process.stdout.write(listing(await summarizeSqsDeadLetters(sqs, running.queuePrefix, puddles), format));
    return 0;
  } finally {
    sqs.destroy();
  }
}

