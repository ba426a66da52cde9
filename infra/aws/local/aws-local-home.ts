// What `puddle aws local` keeps in PUDDLE_HOME beside the lake copy and catalog.db:
//  - aws-local.json: where its emulators listen, so commands run beside it (`puddle dead-letters`) read the AWS
//    shape's queues rather than the embedded queue.db, which this shape never writes; kept once it has stopped,
//    marked stopped, so those commands say its queues are gone rather than finding no queue.db and answering
//    "(no rows)" (until 2026-12-02 it was removed on a clean stop, and they did);
//  - nothing else of its own: fauxqs has no persistence, so its bucket, topic and queues live in its memory, and
//    so do the DynamoDB tables (live totals counters, bookmarks), to stay with them.
// That is why a home holding an earlier run's lake is refused: the SQL would read the earlier lake while the
// counters started from nothing (GET /v1/totals 500 where the SQL said 1000), and compaction would look in the
// new, empty bucket for files the catalog lists.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError } from '../../../core/errors.js';
import { LAKE_PREFIX } from '../../../puddles/layout.js';

export const AWS_LOCAL_FILE = 'aws-local.json';

export interface AwsLocalHome {
  pid: number;
  startedAt: string;
  /** fauxqs: S3, SNS and SQS on one endpoint (127.0.0.1). */
  sqs: string;
  region: string;
  queuePrefix: string;
  bucket: string;
  /** Set when it stopped cleanly: its queues, in the emulators' memory, went with it. */
  stoppedAt?: string;
}

export function writeAwsLocalHome(home: string, running: AwsLocalHome): void {
  writeFileSync(join(home, AWS_LOCAL_FILE), `${JSON.stringify(running, null, 2)}\n`);
}

/** On a clean stop: the home keeps the record, marked stopped (the lake copy it describes stays too). */
export function markAwsLocalHomeStopped(home: string, running: AwsLocalHome, at: Date = new Date()): void {
  writeAwsLocalHome(home, { ...running, stoppedAt: at.toISOString() });
}

/** The running (or crashed) `puddle aws local` this home belongs to, or null: an embedded home. */
export function readAwsLocalHome(home: string): AwsLocalHome | null {
  const file = join(home, AWS_LOCAL_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AwsLocalHome;
  } catch (err) {
    throw new ConfigError(`${file} cannot be read: remove it if no \`puddle aws local\` runs on this home`, { cause: err });
  }
}

/** Refuses a home that already holds a lake (an earlier `puddle aws local`, or an embedded hub's), saying how to start clean. */
export function refuseEarlierLake(home: string): void {
  const lake = join(home, LAKE_PREFIX);
  let entries: string[];
  try {
    entries = readdirSync(lake);
  } catch {
    return; // no lake folder: a new home
  }
  if (entries.length === 0) return;
  throw new ConfigError(
    `${home} (PUDDLE_HOME) holds the lake of an earlier run, and puddle aws local cannot carry that run's state on: its emulators keep the bucket, ` +
      'queues and DynamoDB tables (live totals, bookmarks) in memory, so they would start empty while `puddle query` still read the earlier lake. ' +
      `Start clean with another PUDDLE_HOME, or remove the earlier run: rm -r '${lake}' '${join(home, 'catalog.db')}'*`,
  );
}
