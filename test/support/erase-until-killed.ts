// Child process for the killed-erasure test (erase-cli-crash.test.ts): a confirmed erasure of the ids given on the
// home in <home>, as `puddle erase --confirm` runs it, whose catalog SIGKILLs this process when the erasure swaps
// its rewrites in: after the queue's bodies were rewritten, before the lake's files changed.
import type { Catalog } from '../../core/ports.js';
import { confirmErasure } from '../../infra/local/erasure-run.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';

const [home, ref, ...ids] = process.argv.slice(2);
if (!home || !ref || !ids.length) throw new Error('usage: erase-until-killed.ts <home> <ref> <supporter id>...');
const rt = await createLocalRuntime({ home });
const killing: Catalog = {
  addFiles: (files) => rt.catalog.addFiles(files),
  listFiles: (filter) => rt.catalog.listFiles(filter),
  tables: () => rt.catalog.tables(),
  takeGarbage: (...args) => rt.catalog.takeGarbage(...args),
  replaceFiles: () => {
    process.kill(process.pid, 'SIGKILL');
    return new Promise<boolean>(() => {});
  },
};
await confirmErasure({ home, store: rt.store, catalog: killing, request: { supporterIds: ids, emails: [], texts: [] }, ref, now: new Date() });
throw new Error('the erasure was not killed at its swap');
