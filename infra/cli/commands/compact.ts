import { compactAll } from '../../../puddles/compact.js';
import { defineCommand } from '../command.js';
import { withLocalRuntime } from '../local-runtime.js';

export const compact = defineCommand({
  name: 'compact',
  summary: "Merge each partition's small Parquet files into one, de-duplicated; safe against a crash and concurrent readers.",
  usage: 'puddle compact [--min-files N]',
  options: { 'min-files': { type: 'string', default: '2', description: 'only partitions with at least N files (default 2)' } },
  run: ({ values }) =>
    withLocalRuntime(async (rt) => {
      const minFiles = Number(values['min-files']);
      const result = await compactAll({ store: rt.store, catalog: rt.catalog, minFiles });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }),
});
