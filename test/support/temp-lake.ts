import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineRuntime } from '../../core/engine/define.js';
import { systemClock, type Clock } from '../../core/ports.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { perTest } from './per-test.js';

/** An embedded runtime on a temp folder, with `land()` and `q()` for end-to-end assertions. */
export async function tempLake(clock: Clock) {
  const home = mkdtempSync(join(tmpdir(), 'puddle-lake-'));
  const rt = await createLocalRuntime({ home });
  const engineRuntime: EngineRuntime = { queue: rt.queue, state: rt.state, clock };
  return {
    home,
    rt,
    engineRuntime,
    async land() {
      for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
    },
    q: (sql: string) => rt.query.query(sql),
    async close() {
      await rt.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export type TempLake = Awaited<ReturnType<typeof tempLake>>;

/** A fresh tempLake for every test of the calling `describe`, closed after each (perTest). */
export function useTempLake(clock: Clock = systemClock): TempLake {
  return perTest('useTempLake()', () => tempLake(clock));
}
