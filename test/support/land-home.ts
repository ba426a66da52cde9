// Lands envelopes in a PUDDLE_HOME as the hub does (the real queue, every puddle's consumer, Parquet and the
// catalog), for tests that then read the home with the CLI.
import type { Envelope } from '../../core/envelope.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';

export async function landInHome(home: string, envelopes: readonly Envelope[]): Promise<void> {
  const rt = await createLocalRuntime({ home });
  try {
    await rt.queue.publish([...envelopes]);
    for (const p of PUDDLES) await new PuddleConsumer({ puddle: p, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
  } finally {
    await rt.close();
  }
}
