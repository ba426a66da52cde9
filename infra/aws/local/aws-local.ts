// `puddle aws local`: the AWS shape on this machine. fauxqs and dynalite run in this process, the bucket,
// topic, queues and table are made as the stack makes them (provisionShape), and the Lambda handlers are
// driven the way AWS drives them: HTTP requests become HTTP API v2 events sent to the function the stack routes
// them to (producer, webhooks, totals), each puddle's queue is polled and its messages handed to the consumer
// handler as SQS events (deleted only when not reported failed), a file put in the bucket's bank inbox is handed
// to the bank-import handler as EventBridge's "Object Created", and the schedule invokes the connector,
// compaction and totals drift handlers. Only Glue and Athena are stood in for: the
// embedded catalog in PUDDLE_HOME (with a copy of the lake there) and DuckDB, the same SQL.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { closeGracefully } from '../../../core/http/server.js';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { SQSBatchResponse } from 'aws-lambda';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';

import { CONNECTORS } from '../../../connectors/registry.js';
import { ConfigError } from '../../../core/errors.js';
import { log } from '../../../core/log.js';
import { itsAddress, listenProblem } from '../../../core/listen-problem.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { SCHEDULE } from '../../../schedules/schedule.js';
import { DuckDbQueryEngine } from '../../local/duckdb-query-engine.js';
import { FsObjectStore } from '../../local/fs-object-store.js';
import { lockHome, openUnderLock } from '../../local/home-lock.js';
import { probePort } from '../../local/port-probe.js';
import { SqliteCatalog } from '../../local/sqlite-catalog.js';
import { makeCompactionHandler } from '../handlers/compaction.js';
import { makeConnectorSyncHandler } from '../handlers/connector-sync.js';
import { makeBankImportHandler } from '../handlers/bank-import.js';
import { makeConsumerHandler } from '../handlers/consumer.js';
import type { HttpHandler } from '../handlers/http-event.js';
import { makeProducerHandler } from '../handlers/producer.js';
import { makeTotalsHandler } from '../handlers/totals.js';
import { makeTotalsDriftHandler, type DriftSummary } from '../handlers/totals-drift.js';
import { makeWebhooksHandler } from '../handlers/webhooks.js';
import { provisionShape } from '../provision.js';
import { createAwsClients, createAwsRuntime, type AwsRuntime } from '../runtime.js';
import { CATALOG_TABLE, HANDLERS, type HandlerName, QUEUE_PREFIX, queueNames, STATE_TABLE, TOPIC, TOTALS_TABLE } from '../shape.js';
import { markAwsLocalHomeStopped, refuseEarlierLake, writeAwsLocalHome } from './aws-local-home.js';
import { watchBankInbox } from './bank-inbox-events.js';
import { emulatorEnv, EMULATOR_REGION, startDynaliteEmulator, startFauxqsEmulator } from './emulators.js';
import { FolderCopyCatalog } from './folder-catalog.js';
import { API_GATEWAY_MAX_BODY_BYTES, httpEventOf, invokeHttp, lambdaContextOf, NO_ROUTE, routeFor, sqsRecordOf, TOO_LARGE, writeHttpResult } from './lambda-bridge.js';

export interface AwsLocalOptions {
  home: string;
  port: number;
  host: string;
  /** Run the schedule table against the connector handler (connectors with credentials only). */
  schedule?: boolean;
  /** Event source mapping settings: most records a batch, and how long to gather one. */
  batchSize?: number;
  windowMs?: number;
  /** The queues' visibility timeout while a batch is in the consumer's hands (seconds). */
  visibilitySeconds?: number;
  /** How often the bank inbox is looked at (ms; default 2 s): fauxqs sends no S3 events. */
  bankInboxEveryMs?: number;
  /**
   * Faults, for tests: given the consumer invocation's number, how many ms to let it run before it is
   * abandoned as Lambda abandons a timed-out or crashed invocation (nothing is deleted; SQS offers the
   * batch again after the visibility timeout). Undefined lets it finish.
   */
  killConsumerAfterMs?: (invocation: number) => number | undefined;
}

export interface AwsLocal {
  url: string;
  runtime: AwsRuntime;
  /** Where the emulators listen (127.0.0.1 only), the bucket and region: for the `aws` CLI with --endpoint-url. */
  emulators: { s3: string; sns: string; sqs: string; dynamodb: string; bucket: string; region: string };
  /** The totals drift check, as its schedule invokes it (every 15 minutes with the schedule on). */
  checkTotalsDrift(): Promise<DriftSummary>;
  /** One look at the bank inbox, as its timer takes one. */
  pollBankInbox(): Promise<void>;
  /** Messages waiting (visible or in flight) per puddle queue. */
  depths(): Promise<Record<string, number>>;
  /** Consumer invocations so far, and how many were abandoned. */
  invocations(): { started: number; killed: number };
  stop(): Promise<void>;
}

const KILLED: unique symbol = Symbol('killed');

/**
 * Holds PUDDLE_HOME's lock (infra/local/home-lock.ts) from before anything opens until it has stopped, as
 * `puddle start` does: it lands into the home's catalog and lake copy, so two of it, or a hub beside it, on one
 * home wrote the same files. Until 2026-12-02 it took no lock.
 */
export async function startAwsLocal(opts: AwsLocalOptions): Promise<AwsLocal> {
  return openUnderLock(lockHome(opts.home, 'puddle aws local'), () => openAwsLocal(opts));
}

async function openAwsLocal(opts: AwsLocalOptions): Promise<AwsLocal> {
  mkdirSync(opts.home, { recursive: true });
  // Before anything starts: the emulators would start empty beside the earlier run's lake (aws-local-home.ts).
  refuseEarlierLake(opts.home);
  // The producer API's address, before the emulators start: a taken port is one line (listenFailure).
  await probePort(opts.host, opts.port).catch((err: unknown) => {
    throw listenFailure(err, opts);
  });
  const fauxqs = await startFauxqsEmulator();
  const dynalite = await startDynaliteEmulator();
  // This process is pointed at the emulators the way any machine is: the SDK's own variables.
  const saved = new Map<string, string | undefined>();
  const setEnv = (vars: Record<string, string>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (!saved.has(k)) saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  };
  setEnv(emulatorEnv(fauxqs, dynalite));
  const clients = createAwsClients();
  const run = randomUUID().slice(0, 8);
  setEnv(
    await provisionShape(clients, { bucket: `puddle-local-${run}`, topic: TOPIC.name, queuePrefix: QUEUE_PREFIX, stateTable: STATE_TABLE.name, catalogTable: CATALOG_TABLE.name, totalsTable: TOTALS_TABLE.name }),
  );

  const inner = new SqliteCatalog(join(opts.home, 'catalog.db'));
  const folder = new FsObjectStore(opts.home);
  const runtime = await createAwsRuntime({
    catalog: ({ store }) => {
      const catalog = new FolderCopyCatalog({ inner, lake: store, folder });
      return { catalog, query: new DuckDbQueryEngine({ catalog, store: folder }) };
    },
  });
  const source = async () => runtime;
  // For the commands run beside it on this home (puddle dead-letters): where the queues are.
  const record = { pid: process.pid, startedAt: new Date().toISOString(), sqs: fauxqs.endpoint, region: EMULATOR_REGION, queuePrefix: runtime.env.queuePrefix, bucket: runtime.env.bucket };
  /** Stop what this function started before serving: the runtime, catalog, clients and emulators. */
  const release = async () => {
    await runtime.close();
    inner.close();
    for (const c of Object.values(clients)) (c as { destroy(): void }).destroy();
    await fauxqs.stop();
    await dynalite.stop();
    markAwsLocalHomeStopped(opts.home, record);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  writeAwsLocalHome(opts.home, record);

  // ---------------------------------------------------------------- HTTP: API Gateway's part
  const http: Partial<Record<HandlerName, HttpHandler>> = { producer: makeProducerHandler(source), webhooks: makeWebhooksHandler(source), totals: makeTotalsHandler(source) };
  // A route the stack serves with no function here would answer 404 in silence: a bug, stopped at start.
  for (const spec of HANDLERS) if (spec.routes?.length && !http[spec.name]) throw new Error(`puddle aws local serves no function for ${spec.name} (${spec.routes.join(', ')})`);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      if (bytes > API_GATEWAY_MAX_BODY_BYTES) return; // answered already: the rest is read and dropped
      bytes += c.length;
      if (bytes <= API_GATEWAY_MAX_BODY_BYTES) chunks.push(c);
      else {
        chunks.length = 0;
        writeHttpResult(res, TOO_LARGE);
      }
    });
    req.on('end', () => {
      if (bytes > API_GATEWAY_MAX_BODY_BYTES) return;
      const event = httpEventOf(req, Buffer.concat(chunks));
      const route = routeFor(event.requestContext.http.method, event.rawPath);
      const handler = route && http[route];
      if (!handler) {
        writeHttpResult(res, NO_ROUTE);
        return;
      }
      void invokeHttp(handler, event, (err) => log.error('handler failed', { path: event.rawPath, error: err })).then((result) => writeHttpResult(res, result));
    });
  });
  // Another process may take the port after the probe: said the same way, once what started is stopped.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  }).catch(async (err: unknown) => {
    await release();
    throw listenFailure(err, opts);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host}:${port}`;

  // ---------------------------------------------------------------- SQS -> consumer: the event source mapping's part
  const consumer = makeConsumerHandler(source);
  const batchSize = opts.batchSize ?? 100;
  const windowMs = opts.windowMs ?? 500;
  const visibility = opts.visibilitySeconds ?? 30;
  let running = true;
  const counts = { started: 0, killed: 0 };
  const queues = await Promise.all(
    PUDDLES.map(async (p) => {
      const urlOf = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueNames(runtime.env.queuePrefix, p.name).queue }))).QueueUrl!;
      const arn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: urlOf, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      return { puddle: p.name, url: urlOf, arn };
    }),
  );

  async function gather(queueUrl: string): Promise<Message[]> {
    const batch: Message[] = [];
    const deadline = Date.now() + windowMs;
    while (running && batch.length < batchSize) {
      const got = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          VisibilityTimeout: visibility,
          WaitTimeSeconds: batch.length === 0 ? 1 : 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      batch.push(...(got.Messages ?? []));
      if (batch.length > 0 && (Date.now() >= deadline || (got.Messages ?? []).length === 0)) break;
      if (batch.length === 0) break; // the long poll found nothing: let the loop check `running`
    }
    return batch;
  }

  async function poll(q: { puddle: string; url: string; arn: string }): Promise<void> {
    while (running) {
      try {
        const messages = await gather(q.url);
        if (messages.length === 0) continue;
        const n = ++counts.started;
        const invocation = consumer({ Records: messages.map((m) => sqsRecordOf(m, q.arn, EMULATOR_REGION)) }, lambdaContextOf(`puddle-consumer-${q.puddle}`, visibility * 1000));
        const killAfter = opts.killConsumerAfterMs?.(n);
        const outcome: SQSBatchResponse | typeof KILLED =
          killAfter === undefined ? await invocation : await Promise.race([invocation, sleep(killAfter).then((): typeof KILLED => KILLED)]);
        if (outcome === KILLED) {
          counts.killed++;
          invocation.catch(() => undefined); // the abandoned run may still write files: the redelivery overwrites them
          log.debug('consumer invocation killed (fault injection)', { puddle: q.puddle, messages: messages.length });
          continue;
        }
        const failed = new Set(outcome.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
        for (let i = 0; i < done.length; i += 10) {
          const chunk = done.slice(i, i + 10);
          await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }));
        }
      } catch (err) {
        // A crashed invocation: nothing deleted, SQS offers the batch again after the visibility timeout.
        log.error('consumer invocation failed; the batch comes back after its visibility timeout', { puddle: q.puddle, error: err });
        await sleep(200);
      }
    }
  }
  const pollers = queues.map((q) => poll(q));

  // ---------------------------------------------------------------- S3 events: EventBridge's part
  const bankImport = makeBankImportHandler(source);
  const bankInbox = watchBankInbox({ s3: clients.s3, bucket: runtime.env.bucket, region: EMULATOR_REGION, everyMs: opts.bankInboxEveryMs ?? 2000, invoke: (e) => bankImport(e) });

  // ---------------------------------------------------------------- schedules: EventBridge Scheduler's part
  const drift = makeTotalsDriftHandler(source);
  const timers: NodeJS.Timeout[] = [];
  const scheduled = new Set<Promise<unknown>>();
  const every = (ms: number, name: string, fn: () => Promise<unknown>) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy || !running) return;
      busy = true;
      const p = fn()
        .catch((err: unknown) => log.error('scheduled invocation failed', { function: name, error: err }))
        .finally(() => {
          busy = false;
          scheduled.delete(p);
        });
      scheduled.add(p);
    }, ms);
    t.unref();
    timers.push(t);
  };
  if (opts.schedule) {
    const sync = makeConnectorSyncHandler(source);
    for (const entry of SCHEDULE) {
      try {
        CONNECTORS[entry.connector]!.make(runtime.secrets);
      } catch (err) {
        log.warn('connector not configured: not scheduled', { connector: entry.connector, reason: (err as Error).message });
        continue;
      }
      // A function's timeout is at most 15 minutes; a run is time-boxed to its interval, as embedded.
      const timeoutMs = Math.min(900_000, entry.everySeconds * 1000);
      every(entry.everySeconds * 1000, 'connector-sync', () => sync({ connector: entry.connector, ...(entry.streams ? { streams: entry.streams } : {}) }, lambdaContextOf('puddle-sync', timeoutMs)));
    }
    const compaction = makeCompactionHandler(source);
    every(300_000, 'compaction', () => compaction());
    // Every 15 minutes, as the stack's puddle-totals-drift schedule; DuckDB over the home's lake copy stands in for Athena.
    every(900_000, 'totals-drift', () => drift());
  }

  return {
    url,
    runtime,
    emulators: { s3: fauxqs.endpoint, sns: fauxqs.endpoint, sqs: fauxqs.endpoint, dynamodb: dynalite.endpoint, bucket: runtime.env.bucket, region: EMULATOR_REGION },
    checkTotalsDrift: () => drift(),
    pollBankInbox: () => bankInbox.poll(),
    async depths() {
      const out: Record<string, number> = {};
      for (const p of PUDDLES) out[p.name] = await runtime.queue.depth(p.name);
      return out;
    },
    invocations: () => ({ ...counts }),
    async stop() {
      running = false;
      for (const t of timers) clearInterval(t);
      // Requests under way are answered; keep-alive connections close once idle (core/http/server.ts).
      await closeGracefully(server, () => new Promise<void>((resolve) => server.close(() => resolve())));
      await Promise.all(pollers);
      await bankInbox.stop();
      await Promise.all(scheduled);
      await release();
    },
  };
}

/**
 * Why the producer API could not listen, for its user, as `puddle start` says it (infra/local/hub.ts): until
 * 2026-12-03 a taken port was an unhandled 'error' event, a stack trace and exit 1, after the emulators had started.
 */
function listenFailure(err: unknown, opts: { host: string; port: number }): unknown {
  const problem = listenProblem(err, `${opts.host}:${opts.port} (HOST, --port${itsAddress(err, opts.host)})`, {
    taken: ' (another puddle aws local, a hub, or another program): stop it, or give this one another --port',
    denied: ': pick a --port above 1023',
  });
  return problem === null ? err : new ConfigError(problem);
}

