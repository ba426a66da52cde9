// `npm run bench [-- name...]`: runs the benchmarks one after another and prints their figures.
// Every bench talks only to 127.0.0.1, is bounded in time and cleans up its temp folders.
import { cpus, loadavg } from 'node:os';

import { benchBraintree } from './braintree-bench.js';
import { benchFreshness, printFreshness } from './freshness-bench.js';
import { benchIngest } from './ingest-bench.js';
import { benchLanding } from './landing-bench.js';
import { benchQueue } from './queue-bench.js';
import { benchStripe } from './stripe-bench.js';

const BENCHES: Record<string, () => Promise<unknown>> = {
  queue: () => benchQueue(),
  ingest: () => benchIngest({ seconds: 5 }),
  landing: () => benchLanding(),
  freshness: async () => printFreshness(await benchFreshness()),
  stripe: () => benchStripe(),
  braintree: () => benchBraintree(),
};

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

export async function main(argv: readonly string[]): Promise<number> {
  const names = argv.length ? [...argv] : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    console.error(`unknown bench: ${unknown.join(', ')} (one of ${Object.keys(BENCHES).join(', ')})`);
    return 2;
  }
  // Figures mean little without the machine: other work on a shared 2-core box moves them a lot.
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load ${load()}`);
  for (const name of names) {
    const started = performance.now();
    console.log(`\n== ${name}`);
    await BENCHES[name]!();
    console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s, load after ${load()})`);
  }
  return 0;
}
