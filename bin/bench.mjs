#!/usr/bin/env node
// `npm run bench [-- ingest|hub|startup|landing|freshness|queue ...]`: the benchmarks, through tsx's loader like bin/puddle.mjs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../test/bench/run.ts');
process.exitCode = await main(process.argv.slice(2));
