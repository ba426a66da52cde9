import { estimateCost, formatCost } from '../../aws/cost.js';
import { parseConnectors } from '../../aws/shape.js';
import { defineCommand } from '../command.js';

export const cost = defineCommand({
  name: 'cost',
  summary: "Print an appeal night's AWS bill for the AWS shape, item by item, with the limits that bite first.",
  usage: 'puddle cost --donations N --peak R [--batch B] [--hours H] [--connectors stripe,braintree|none]',
  options: {
    donations: { type: 'string', description: 'donations on the night' },
    peak: { type: 'string', description: 'peak donations per second' },
    batch: { type: 'string', default: '1', description: 'events per POST /v1/events (1 to 1000, default 1)' },
    hours: { type: 'string', default: '5', description: 'how long the night lasts (default 5)' },
    connectors: { type: 'string', description: 'the connectors the stack schedules, as deployed with -c connectors=... (default all)' },
  },
  async run({ values }) {
    const fail = (msg: string) => {
      process.stderr.write(`puddle cost: ${msg}\n`);
      return 2;
    };
    const num = (name: string, max = Number.MAX_SAFE_INTEGER): number | string => {
      const raw = values[name];
      if (raw === undefined) return `--${name} is required`;
      const n = Number(raw);
      if (!/^\d+(\.\d+)?$/.test(String(raw)) || !(n > 0) || n > max) return `--${name} takes a positive number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, not ${JSON.stringify(raw)}`;
      return n;
    };
    const donations = num('donations');
    const peak = num('peak');
    const batch = num('batch', 1000);
    const hours = num('hours', 24);
    for (const v of [donations, peak, batch, hours]) if (typeof v === 'string') return fail(v);
    if (!Number.isInteger(batch)) return fail(`--batch takes a whole number of events, not ${String(values.batch)}`);
    // A peak below the night's average cannot be: the limits would be read against too low a rate (until 2026-12-05
    // taken without a word: user test).
    const average = (donations as number) / ((hours as number) * 3600);
    if ((peak as number) < average) return fail(`--peak ${String(values.peak)}/s is below the night's average of ${average.toFixed(1)}/s (${String(values.donations)} donations over ${String(hours)} h): give the busiest second's rate`);
    const connectors = parseConnectors(values.connectors === undefined ? undefined : String(values.connectors));
    // An unknown connector is a ConfigError from the schedules (as at synth), before anything is printed.
    const input = { donations: donations as number, peak: peak as number, batch: batch as number, hours: hours as number, connectors };
    process.stdout.write(formatCost(input, estimateCost(input)));
    return 0;
  },
});
