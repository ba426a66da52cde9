import { latestVersion } from '../../../core/contracts/index.js';
import { isCalendarDate } from '../../../core/time.js';
import { replay as replayContract } from '../../../puddles/replay.js';
import { defineCommand } from '../command.js';
import { withLocalRuntime } from '../local-runtime.js';

export const replay = defineCommand({
  name: 'replay',
  summary: "Re-derive a contract's puddle files from the immutable raw trail.",
  usage: 'puddle replay --contract C [--from YYYY-MM-DD] [--to YYYY-MM-DD]',
  options: {
    contract: { type: 'string', description: 'the contract to re-derive, e.g. donation' },
    from: { type: 'string', description: 'first partition date (occurred_at, UTC), inclusive' },
    to: { type: 'string', description: 'last partition date, inclusive' },
  },
  async run({ values }) {
    const contract = values.contract as string | undefined;
    if (!contract || !latestVersion(contract)) {
      process.stderr.write(`puddle replay: --contract must name a known contract\n`);
      return 2;
    }
    for (const d of [values.from, values.to]) {
      if (d !== undefined && !isCalendarDate(d)) {
        process.stderr.write(`puddle replay: --from/--to take a date YYYY-MM-DD\n`);
        return 2;
      }
    }
    return withLocalRuntime(async (rt) => {
      const result = await replayContract({
        store: rt.store,
        catalog: rt.catalog,
        contract,
        from: values.from as string | undefined,
        to: values.to as string | undefined,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    });
  },
});
