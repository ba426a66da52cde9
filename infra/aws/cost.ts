// The AWS bill of an appeal night, from per-event request counts the code knows (batch sizes, queues per event,
// files per batch) and list prices in one table. Money here is US dollars as floats on purpose: this is an
// estimate printed to a person, never a ledger amount.
import { TOTALS_SHARDS } from './dynamodb-totals-counters.js';
import { API_THROTTLE, CONSUMER_BATCH, handlerSpec, QUEUES, RAW_BATCHING_WINDOW_SECONDS, scheduleSpecs, type HandlerName } from './shape.js';

/** List prices (USD), as read on PRICES_DATE; us-east-1 unless noted. London (eu-west-2) is equal or a few % higher. */
export const PRICES_DATE = '2026-11-30';
export const PRICES = {
  httpApiPerMillion: { usd: 1.0, source: 'API Gateway HTTP API, first 300M requests/month' },
  lambdaRequestPerMillion: { usd: 0.2, source: 'AWS Lambda requests' },
  lambdaGbSecondArm: { usd: 0.0000133334, source: 'AWS Lambda duration, arm64' },
  snsPublishPerMillion: { usd: 0.5, source: 'SNS standard topic requests (a PublishBatch of up to 10 is one request per 64 KB); delivery to SQS free' },
  sqsPerMillion: { usd: 0.4, source: 'SQS standard requests (per 64 KB chunk); first 1M/month free, not deducted here' },
  s3PutPerThousand: { usd: 0.005, source: 'S3 Standard PUT/COPY/POST/LIST' },
  dynamoWritePerMillion: { usd: 0.625, source: 'DynamoDB on-demand write request units (1 KB each)' },
  dynamoReadPerMillion: { usd: 0.125, source: 'DynamoDB on-demand read request units (4 KB strongly consistent)' },
  athenaPerTb: { usd: 5.0, source: 'Athena SQL, per TB scanned, 10 MB minimum per query' },
  logsPerGb: { usd: 0.5, source: 'CloudWatch Logs ingestion (standard)' },
  eventsPerMillion: { usd: 1.0, source: 'EventBridge custom events' },
} as const;

/** What one event costs in work, measured or assumed; each figure says where it comes from. */
export const ASSUMPTIONS = {
  envelopeBytes: 1024,
  /** An accepted donation goes to its own puddle's queue and to raw. */
  deliveriesPerEvent: 2,
  producerMs: { base: 40, perEvent: 0.2 },
  producerLogBytes: 650,
  /** Landing a full batch with DuckDB at 2 GB (research: ~1.5 s per 1,000 envelopes). */
  consumerSecondsPerBatch: 1.5,
  consumerLogBytes: 2000,
  /** Each batch writes one Parquet file and rewrites one manifest per partition (one partition on the night). */
  s3PutsPerBatch: 2,
  /** Catalog writes per batch: key hint, partition item (sized by its file list), garbage unmark. */
  catalogFileEntryBytes: 150,
  compactionEveryMinutes: 15,
  /** The dashboard's SQL panels refresh every 10 s; the TV total comes from counters, not Athena. */
  athenaQueryEverySeconds: 10,
  athenaBytesPerQuery: 30 * 1024 ** 2,
  /** Empty long polls by the Lambda pollers: 5 per queue, each a 20 s wait. */
  idlePollersPerQueue: 5,
  /**
   * Live totals (dynamodb-totals.ts), per donation: its item written with the counter moves it owes, the move,
   * the moves cleared, a prune of the counter's tokens about every 10 moves, and the odd lost race. Counted on
   * dynalite: 200 first versions into two counters, 16 at a time, made 645 writes and 235 reads (the prunes read
   * the donation items behind the tokens they drop). Every item stays under 1 KB, so a write is 1 WRU.
   */
  totalsWritesPerDonation: 3.2,
  totalsReadsPerDonation: 1.2,
  /** Writes into the busiest counter per donation landing in it: its move, and a share of the prunes. */
  counterWritesPerDonation: 1.1,
  /**
   * A scheduled run with little to do, in seconds at its function's memory (assumed, not measured): a sync
   * reading an empty window, a compaction finding nothing to merge, the drift check waiting on its Athena query.
   */
  idleRunSeconds: { sync: 2, compaction: 3, 'totals-drift': 5 } as Partial<Record<HandlerName, number>>,
  /** State table writes of a scheduled run: its lease taken and given back, bookmarks, run status. */
  stateWritesPerRun: 4,
  scheduledLogBytes: 2000,
} as const;

export interface CostInput {
  donations: number;
  /** Peak donations per second. */
  peak: number;
  /** Events per POST (the producer API takes up to 1,000). */
  batch: number;
  /** How long the night lasts. */
  hours: number;
  /** The connectors the stack schedules (`-c connectors=...` to the deploy, shape.ts parseConnectors); all when unset. */
  connectors?: readonly string[];
}

export interface CostLine {
  item: string;
  quantity: string;
  usd: number;
}

export interface CostEstimate {
  lines: CostLine[];
  totalUsd: number;
  limits: string[];
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');

export function estimateCost(input: CostInput): CostEstimate {
  const { donations, peak, batch, hours } = input;
  const a = ASSUMPTIONS;
  const seconds = hours * 3600;
  const posts = Math.ceil(donations / batch);
  const httpUnits = Math.max(1, Math.ceil((batch * a.envelopeBytes) / (512 * 1024)));
  const deliveries = donations * a.deliveriesPerEvent;

  const producerGbS = posts * (handlerSpec('producer').memoryMb / 1024) * ((a.producerMs.base + a.producerMs.perEvent * batch) / 1000);
  const snsRequests = posts * Math.ceil(batch / 10);

  // A batch closes at CONSUMER_BATCH.size messages or after its queue's window, whichever comes first, on the
  // average rate: the donation's own queue waits CONSUMER_BATCH.windowSeconds, raw's RAW_BATCHING_WINDOW_SECONDS
  // (until 2026-12-06 both were counted at the shorter, too many raw batches on a quiet night: user test).
  const perQueueRate = donations / seconds;
  const perBatch = (windowSeconds: number) => Math.max(1, Math.min(CONSUMER_BATCH.size, perQueueRate * windowSeconds));
  const messagesPerBatch = perBatch(CONSUMER_BATCH.windowSeconds);
  const rawPerBatch = perBatch(RAW_BATCHING_WINDOW_SECONDS);
  const donationBatches = Math.ceil(donations / messagesPerBatch);
  const rawBatches = Math.ceil(donations / rawPerBatch);
  const batches = donationBatches + rawBatches;
  const consumerGbS =
    (handlerSpec('consumer').memoryMb / 1024) * a.consumerSecondsPerBatch * ((donationBatches * messagesPerBatch + rawBatches * rawPerBatch) / CONSUMER_BATCH.size);

  // Receives and deletes carry at most 10 messages; the pollers' empty waits add a fixed count per queue.
  const idlePolls = QUEUES.length * a.idlePollersPerQueue * (seconds / 20);
  const sqsRequests = (2 * deliveries) / 10 + idlePolls;

  // Raw's files are never merged (the immutable trail): only the donation's puddle is compacted.
  const compactions = seconds / 60 / a.compactionEveryMinutes;
  const s3Puts = batches * a.s3PutsPerBatch + compactions * 2;

  // Between compactions a partition gathers files; each catalog write rewrites its item (1 WRU per KB).
  const filesBetween = (a.compactionEveryMinutes * 60) / (messagesPerBatch / perQueueRate);
  const partitionWru = Math.max(1, Math.ceil((filesBetween / 2) * a.catalogFileEntryBytes / 1024));
  // Raw's files are small items of their own, only ever added (raw-file-items.ts): no item to rewrite.
  const dynamoWru = donationBatches * (partitionWru + 2) + rawBatches * (1 + 2);

  const athenaQueries = seconds / a.athenaQueryEverySeconds;
  const athenaBytes = athenaQueries * Math.max(10 * 1024 ** 2, a.athenaBytesPerQuery);

  // Only the donation puddle's consumers keep the totals; each of their batches also moves `as_of` once.
  const totalsWru = donations * a.totalsWritesPerDonation + donationBatches;
  const totalsRru = donations * a.totalsReadsPerDonation;

  const scheduled = scheduledRuns(hours, input.connectors);
  const logBytes = posts * a.producerLogBytes + batches * a.consumerLogBytes;
  const P = PRICES;
  const lines: CostLine[] = [
    // HTTP APIs meter a request in 512 KB increments: a POST of 1,000 envelopes of 1 KB is two (until 2026-12-05 one: user test).
    { item: 'HTTP API requests', quantity: `${fmt(posts)} requests${httpUnits > 1 ? ` (${httpUnits} billed each, 512 KB a unit)` : ''}`, usd: ((posts * httpUnits) / 1e6) * P.httpApiPerMillion.usd },
    {
      item: 'producer Lambda',
      quantity: `${fmt(posts)} invocations, ${fmt(producerGbS)} GB-s`,
      usd: (posts / 1e6) * P.lambdaRequestPerMillion.usd + producerGbS * P.lambdaGbSecondArm.usd,
    },
    { item: 'SNS PublishBatch', quantity: `${fmt(snsRequests)} requests`, usd: (snsRequests / 1e6) * P.snsPublishPerMillion.usd },
    { item: 'SQS (receive, delete, idle polls)', quantity: `${fmt(sqsRequests)} requests`, usd: (sqsRequests / 1e6) * P.sqsPerMillion.usd },
    {
      item: 'consumer Lambda',
      quantity: `${fmt(batches)} batches, ${fmt(consumerGbS)} GB-s`,
      usd: (batches / 1e6) * P.lambdaRequestPerMillion.usd + consumerGbS * P.lambdaGbSecondArm.usd,
    },
    { item: 'S3 PUTs (files, manifests, compaction)', quantity: `${fmt(s3Puts)} PUTs`, usd: (s3Puts / 1000) * P.s3PutPerThousand.usd },
    { item: 'DynamoDB catalog writes', quantity: `${fmt(dynamoWru)} WRU`, usd: (dynamoWru / 1e6) * P.dynamoWritePerMillion.usd },
    {
      item: 'DynamoDB live totals',
      quantity: `${fmt(totalsWru)} WRU, ${fmt(totalsRru)} RRU`,
      usd: (totalsWru / 1e6) * P.dynamoWritePerMillion.usd + (totalsRru / 1e6) * P.dynamoReadPerMillion.usd,
    },
    { item: 'Athena dashboard queries', quantity: `${fmt(athenaQueries)} queries, ${(athenaBytes / 1024 ** 3).toFixed(1)} GiB`, usd: (athenaBytes / 1024 ** 4) * P.athenaPerTb.usd },
    { item: 'CloudWatch Logs', quantity: `${(logBytes / 1024 ** 3).toFixed(2)} GiB`, usd: (logBytes / 1024 ** 3) * P.logsPerGb.usd },
    { item: 'scheduled runs (syncs, compaction, drift check)', quantity: `${fmt(scheduled.runs)} runs`, usd: scheduled.usd },
  ];
  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);

  const producerConcurrency = (peak / batch) * ((a.producerMs.base + a.producerMs.perEvent * batch) / 1000);
  const consumerMax = QUEUES.length * CONSUMER_BATCH.maxConcurrency;
  const landPerSecond = CONSUMER_BATCH.maxConcurrency * (CONSUMER_BATCH.size / a.consumerSecondsPerBatch);
  // Each limit beside its figure, marked when the night passes it (`OVER`) or comes within a fifth of it (`near`):
  // until 2026-12-05 the figures stood side by side and the reader had to compare them (user test).
  const mark = (value: number, limit: number) => (value > limit ? 'OVER: ' : value > 0.8 * limit ? 'near: ' : '');
  const requests = Math.ceil(peak / batch);
  const concurrency = Math.ceil(producerConcurrency) + consumerMax;
  const counterWrites = peak * a.counterWritesPerDonation;
  const counterLimit = TOTALS_SHARDS * 1000;
  const limits = [
    `${mark(requests, API_THROTTLE.ratePerSecond)}Producer: ${requests} requests/s at peak; HTTP API stage throttle set to ${fmt(API_THROTTLE.ratePerSecond)}/s (account default 10,000/s): past it, producers get 429.`,
    `${mark(concurrency, 1000)}Lambda concurrency: producer ~${Math.ceil(producerConcurrency)} at peak plus at most ${consumerMax} consumers (5 per queue); account default 1,000 per region.`,
    `SNS: ${Math.ceil((peak / batch) * Math.ceil(batch / 10))} publish requests/s at peak; the Publish quota depends on the region (Service Quotas, "Publish API TPS").`,
    `${mark(peak, landPerSecond)}Landing: up to ~${fmt(landPerSecond)} messages/s per queue (5 consumers x ${CONSUMER_BATCH.size} per ${a.consumerSecondsPerBatch} s) against a peak of ${fmt(peak)}/s: past it, landing falls behind and catches up after the peak.`,
    `${mark(filesBetween, 2500)}Catalog: ~${Math.ceil(filesBetween)} files per partition between compactions (an item holds about 2,500: past it, landing that partition fails until compaction runs).`,
    `${mark(counterWrites, counterLimit)}Live totals: ~${fmt(counterWrites)} writes/s at peak into one counter if every donation lands in the same box, channel, cta and currency, over its ${TOTALS_SHARDS} shards of about 1,000/s each (~${fmt(counterLimit)}/s).`,
    'Athena: seconds per query and a per-account cap on concurrent queries; the on-screen total comes from counters, never from Athena.',
  ];
  return { lines, totalUsd, limits };
}

export interface ScheduledRuns {
  runs: number;
  usd: number;
  lines: CostLine[];
}

/** Seconds between runs of a template schedule; only `rate(...)` expressions are used (shape.ts rateExpression). */
function rateSeconds(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
  if (!m) throw new Error(`cost: cannot read the schedule expression ${expression}`);
  return Number(m[1]) * (m[2]!.startsWith('hour') ? 3600 : 60);
}

/**
 * What the template's schedules cost over `hours`, whatever else happens: every sync, compaction and drift check
 * run the stack deploys (shape.ts scheduleSpecs: a sync only for the connectors chosen, unknown ones a
 * ConfigError), each doing little. The drift check's Athena query scans the
 * donation view like a dashboard query, and more as the lake grows.
 */
export function scheduledRuns(hours: number, connectors?: readonly string[]): ScheduledRuns {
  const a = ASSUMPTIONS;
  const P = PRICES;
  let runs = 0;
  let gbS = 0;
  let driftQueries = 0;
  for (const sch of scheduleSpecs({ connectors })) {
    const n = (hours * 3600) / rateSeconds(sch.expression);
    runs += n;
    gbS += n * (handlerSpec(sch.handler).memoryMb / 1024) * (a.idleRunSeconds[sch.handler] ?? 0);
    if (sch.handler === 'totals-drift') driftQueries += n;
  }
  const stateWru = runs * a.stateWritesPerRun;
  const athenaBytes = driftQueries * Math.max(10 * 1024 ** 2, a.athenaBytesPerQuery);
  const logBytes = runs * a.scheduledLogBytes;
  const lines: CostLine[] = [
    { item: 'scheduled Lambda runs', quantity: `${fmt(runs)} runs, ${fmt(gbS)} GB-s`, usd: (runs / 1e6) * P.lambdaRequestPerMillion.usd + gbS * P.lambdaGbSecondArm.usd },
    { item: 'their state writes', quantity: `${fmt(stateWru)} WRU`, usd: (stateWru / 1e6) * P.dynamoWritePerMillion.usd },
    { item: 'drift check queries', quantity: `${fmt(driftQueries)} queries, ${(athenaBytes / 1024 ** 3).toFixed(1)} GiB`, usd: (athenaBytes / 1024 ** 4) * P.athenaPerTb.usd },
    { item: 'their logs', quantity: `${(logBytes / 1024 ** 3).toFixed(2)} GiB`, usd: (logBytes / 1024 ** 3) * P.logsPerGb.usd },
  ];
  return { runs, usd: lines.reduce((t, l) => t + l.usd, 0), lines };
}

/** A month between nights: the pollers' empty waits on every queue and the scheduled runs; storage is not counted. */
export function betweenNights(days = 30, connectors?: readonly string[]): CostEstimate {
  const a = ASSUMPTIONS;
  const idlePolls = QUEUES.length * a.idlePollersPerQueue * ((days * 86_400) / 20);
  const scheduled = scheduledRuns(days * 24, connectors);
  const lines: CostLine[] = [
    { item: 'SQS idle polls', quantity: `${fmt(idlePolls)} requests (${QUEUES.length} queues)`, usd: (idlePolls / 1e6) * PRICES.sqsPerMillion.usd },
    ...scheduled.lines,
  ];
  return { lines, totalUsd: lines.reduce((t, l) => t + l.usd, 0), limits: [] };
}

export function formatCost(input: CostInput, est: CostEstimate, idle: CostEstimate = betweenNights(30, input.connectors)): string {
  const out = [
    `Appeal night: ${fmt(input.donations)} donations over ${input.hours} h, peak ${fmt(input.peak)}/s, ${input.batch} event${input.batch === 1 ? '' : 's'} per POST`,
    `Connectors scheduled: ${input.connectors === undefined ? 'all' : input.connectors.length === 0 ? 'none' : input.connectors.join(', ')}`,
    `List prices of ${PRICES_DATE} (USD, us-east-1; London equal or a few % higher; check the AWS Pricing Calculator)`,
    '',
    ...table(est),
    '',
    'Limits that bite first:',
    ...est.limits.map((l) => `- ${l}`),
    '',
    'Between nights, per 30 days (storage not counted; the schedules run whatever happens):',
    '',
    ...table(idle),
  ];
  return `${out.join('\n')}\n`;
}

function table(est: CostEstimate): string[] {
  const w = Math.max(...est.lines.map((l) => l.item.length));
  const q = Math.max(...est.lines.map((l) => l.quantity.length));
  const money = (usd: number) => `$${usd.toFixed(2).padStart(7)}`;
  return [...est.lines.map((l) => `${l.item.padEnd(w)}  ${l.quantity.padEnd(q)}  ${money(l.usd)}`), `${'total'.padEnd(w)}  ${''.padEnd(q)}  ${money(est.totalUsd)}`];
}
