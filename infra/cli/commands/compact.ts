import { collectGarbage, compactAll, GARBAGE_GRACE_MS } from '../../../puddles/compact.js';
import { defineCommand } from '../command.js';
import { withLocalRuntime } from '../local-runtime.js';
import { wholeNumberOption } from '../options.js';

export const compact = defineCommand({
  name: 'compact',
  summary:
    "Merge each partition's small Parquet files into one, de-duplicated, then fold everything new into each contract's current state; " +
    'delete the files earlier runs retired once no reader can still hold them; safe against a crash and concurrent readers.',
  usage: 'puddle compact [--min-files N]',
  options: { 'min-files': { type: 'string', default: '2', description: 'only partitions with at least N files, N of 2 or more (default 2)' } },
  run: ({ values }) => {
    // Before the home opens. Fewer than two files make no merge.
    const minFiles = wholeNumberOption(values, 'min-files', { min: 2 });
    return withLocalRuntime(async (rt) => {
      // Asked for by hand (or nightly from cron): one file per partition, and fold whatever landed since, however
      // little. The hub merges by tier instead (puddles/compact.ts pickTier), so a night never rewrites its
      // whole day on every run; once a day, a whole merge costs one read of the lake.
      const result = await compactAll({ store: rt.store, catalog: rt.catalog, minFiles, foldMinRows: 0, whole: true });
      // A lake kept by cron with this command alone never had its retired files deleted (only the hub's
      // maintenance did): every compaction input stayed on disk for good. The same grace as the hub's, so a
      // query that listed the files before a swap never loses one; this run's own inputs go on a later run.
      const deleted = await collectGarbage({ store: rt.store, catalog: rt.catalog, olderThanMs: GARBAGE_GRACE_MS });
      const { unreadable, ...done } = result;
      process.stdout.write(`${JSON.stringify({ ...done, unreadable: unreadable.map((e) => e.key), deleted })}\n`);
      // The rest was compacted; each damaged file's partition or contract waits for it to be re-derived.
      for (const e of unreadable) process.stderr.write(`puddle compact: ${e.message}\n`);
      return unreadable.length ? 1 : 0;
    }, { writesLake: 'puddle compact' });
  },
});
