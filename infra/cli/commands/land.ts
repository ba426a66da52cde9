import { PuddleConsumer } from '../../../puddles/consumer.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { defineCommand } from '../command.js';
import { withLocalRuntime } from '../local-runtime.js';

export const land = defineCommand({
  name: 'land',
  summary: 'Land everything already queued as Parquet, then exit (for batch use and tests).',
  usage: 'puddle land',
  options: {},
  run: () =>
    withLocalRuntime(async (rt) => {
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
    }),
});
