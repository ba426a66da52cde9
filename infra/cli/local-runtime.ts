import { loadConfig } from '../../core/config.js';
import type { Runtime } from '../../core/runtime.js';
import { createLocalRuntime } from '../local/runtime.js';

/**
 * Open the embedded runtime at PUDDLE_HOME, run `fn`, always close. `materializeCurrent`: for one-shot
 * reports, snapshot each contract's current state once instead of de-duplicating history in every query.
 */
export async function withLocalRuntime<T>(fn: (rt: Runtime) => Promise<T>, opts: { materializeCurrent?: boolean } = {}): Promise<T> {
  const rt = await createLocalRuntime({ home: loadConfig().home, ...opts });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
