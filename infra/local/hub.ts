import type { FastifyInstance } from 'fastify';
import type { PuddleConfig } from '../../core/config.js';
import type { Envelope } from '../../core/envelope.js';
import { buildServer } from '../../core/http/server.js';
import { log } from '../../core/log.js';
import type { Queue } from '../../core/ports.js';
import type { Runtime } from '../../core/runtime.js';
import { compactAll } from '../../puddles/compact.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { createLocalRuntime } from './runtime.js';

export interface HubStats {
  accepted: number;
  waiting: number;
  files: number;
}

export interface Hub {
  url: string;
  runtime: Runtime;
  server: FastifyInstance;
  stats(): Promise<HubStats>;
  /** Stop taking requests, land what is queued (bounded by `drainMs`), close everything. */
  stop(drainMs?: number): Promise<void>;
}

/** Counts envelopes the queue confirmed, for the live line. */
function countingQueue(queue: Queue, counter: { accepted: number }): Queue {
  return Object.assign(Object.create(queue) as Queue, {
    publish: async (envelopes: readonly Envelope[]) => {
      await queue.publish(envelopes);
      counter.accepted += envelopes.length;
    },
  });
}

/** Producer, consumers and maintenance in one process: the embedded hub behind `puddle start`. */
export async function startHub(opts: { config: PuddleConfig; maintenanceMs?: number }): Promise<Hub> {
  const { config } = opts;
  const runtime = await createLocalRuntime({ home: config.home });
  const counter = { accepted: 0 };
  const server = buildServer({
    queue: countingQueue(runtime.queue, counter),
    apiKeys: config.apiKeys,
    maxEvents: config.maxEvents,
    maxBodyBytes: config.maxBodyBytes,
  });
  const consumers = PUDDLES.map(
    (puddle) => new PuddleConsumer({ puddle, queue: runtime.queue, store: runtime.store, catalog: runtime.catalog }),
  );
  for (const c of consumers) await c.start();

  // Small files from busy minutes are merged, and files compaction replaced are deleted once no
  // reader can still hold them (a minute is far longer than any query here).
  let maintaining = Promise.resolve();
  const maintenance = setInterval(() => {
    maintaining = maintaining.then(async () => {
      try {
        await compactAll({ store: runtime.store, catalog: runtime.catalog, minFiles: 20 });
        for (const key of await runtime.catalog.takeGarbage(60_000)) await runtime.store.delete(key);
      } catch (err) {
        log.warn('maintenance failed; will try again', { error: err });
      }
    });
  }, opts.maintenanceMs ?? 30_000);
  maintenance.unref();

  const address = await server.listen({ port: config.port, host: config.host });
  return {
    url: address,
    runtime,
    server,
    async stats() {
      let waiting = 0;
      for (const p of PUDDLES) waiting += await runtime.queue.depth(p.name);
      const files = (await runtime.catalog.listFiles()).length;
      return { accepted: counter.accepted, waiting, files };
    },
    async stop(drainMs = 10_000) {
      clearInterval(maintenance);
      await server.close();
      const deadline = Date.now() + drainMs;
      await Promise.all(consumers.map((c) => c.stop()));
      // Land what is still queued, within the time we were given: what is left stays durable in the queue.
      for (const c of consumers) {
        while (Date.now() < deadline && (await c.landOnce()) > 0);
      }
      await maintaining;
      await runtime.close();
    },
  };
}
