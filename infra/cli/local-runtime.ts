import { loadConfig } from '../../core/config.js';
import type { Runtime } from '../../core/runtime.js';
import { createLocalRuntime } from '../local/runtime.js';

/** Open the embedded runtime at PUDDLE_HOME, run `fn`, always close. */
export async function withLocalRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await createLocalRuntime({ home: loadConfig().home });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
