import { PuddleConsumer } from '../../../puddles/consumer.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { defineCommand } from '../command.js';
import { existingHome, withLocalRuntime } from '../local-runtime.js';

export const land = defineCommand({
  name: 'land',
  summary: 'Land everything already queued as Parquet, then exit (for batch use and tests).',
  usage: 'puddle land',
  options: {},
  async run() {
    // The hub's lock: landing beside a running hub took part of its deliveries, which its live totals and
    // feeds then never saw. Refused (exit 2, naming the hub) while one runs, and a hub started meanwhile is
    // refused naming this command.
    const { lockHome } = await import('../../local/home-lock.js');
    const lock = lockHome(existingHome(), 'puddle land');
    try {
      return await withLocalRuntime(async (rt) => {
        let total = 0;
        for (const puddle of PUDDLES) {
          const consumer = new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog });
          const n = await consumer.drain();
          const failure = consumer.environmentFailing ? consumer.failure : null;
          if (failure) {
            process.stderr.write(`puddle land: ${puddle.name}: the lake cannot be written (${failure.reason}); what did not land stays in the queue\n`);
            return 1;
          }
          if (n) process.stdout.write(`${puddle.name}: landed ${n}\n`);
          total += n;
        }
        process.stdout.write(`landed ${total} messages\n`);
        return 0;
      });
    } finally {
      lock.release();
    }
  },
});
