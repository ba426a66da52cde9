import { isCalendarDate } from '../../../core/time.js';
import { replay as replayContract, replayableContracts } from '../../../puddles/replay.js';
import { defineCommand } from '../command.js';
import { withLocalRuntime } from '../local-runtime.js';
import { emptyRangeProblem } from '../../../core/empty-range.js';

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
    const fail = (msg: string) => {
      process.stderr.write(`puddle replay: ${msg}\n`);
      return 2;
    };
    const contract = values.contract as string | undefined;
    if (contract === 'quarantine') {
      return fail('quarantine is not replayed: it holds what did not land, and a replay re-derives what landed. Once the cause is fixed, puddle quarantine retry [--contract C] [--source S] lands its records');
    }
    const contracts = replayableContracts();
    if (contract === undefined) return fail(`--contract names the contract to re-derive: ${contracts.join(', ')}`);
    if (!contracts.includes(contract)) return fail(`--contract: no contract ${JSON.stringify(contract)}; the contracts are ${contracts.join(', ')}`);
    const from = values.from as string | undefined;
    const to = values.to as string | undefined;
    for (const [name, d] of [['from', from], ['to', to]] as const) {
      if (d !== undefined && !isCalendarDate(d)) return fail(`--${name} takes a date YYYY-MM-DD, not ${JSON.stringify(d)}`);
    }
    const empty = emptyRangeProblem({ from, to }, 'days');
    if (empty) return fail(empty);
    return withLocalRuntime(async (rt) => {
      const result = await replayContract({ store: rt.store, catalog: rt.catalog, contract, from, to });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }, { writesLake: 'puddle replay' });
  },
});
