import { syncConnector } from '../../../core/engine/sync.js';
import type { RunMetrics } from '../../../core/engine/sync-run.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { defineCommand } from '../command.js';
import { formatRows } from '../format.js';
import { withLocalRuntime } from '../local-runtime.js';

export const sync = defineCommand({
  name: 'sync',
  summary: 'Run one sync of a connector: pull what changed since its bookmarks and publish it to the queue.',
  usage: `puddle sync <${Object.keys(CONNECTORS).join('|')}> [--streams a,b] [--from ISO] [--to ISO] [--full]`,
  options: {
    streams: { type: 'string', description: 'only these streams (comma separated)' },
    from: { type: 'string', description: 'read from this time instead of the bookmark (ISO 8601)' },
    to: { type: 'string', description: 'read up to this time (ISO 8601; default now)' },
    full: { type: 'boolean', description: 'ignore bookmarks and backfill from the start date' },
  },
  async run({ values, positionals }) {
    const name = positionals[0];
    const make = name ? CONNECTORS[name]?.make : undefined;
    if (!make) {
      process.stderr.write(`puddle sync: name a connector: ${Object.keys(CONNECTORS).join(', ')}\n`);
      return 2;
    }
    const dates = { from: values.from as string | undefined, to: values.to as string | undefined };
    for (const [k, v] of Object.entries(dates)) {
      if (v !== undefined && Number.isNaN(Date.parse(v))) {
        process.stderr.write(`puddle sync: --${k} must be an ISO 8601 time\n`);
        return 2;
      }
    }
    return withLocalRuntime(async (rt) => {
      let inst;
      try {
        inst = make(rt.secrets);
      } catch (err) {
        process.stderr.write(`puddle sync: ${(err as Error).message}\n`);
        return 2;
      }
      const progress = progressPrinter();
      const results = await syncConnector(inst, rt, {
        streams: (values.streams as string | undefined)?.split(',').map((s) => s.trim()).filter(Boolean),
        from: dates.from ? new Date(dates.from) : undefined,
        to: dates.to ? new Date(dates.to) : undefined,
        full: Boolean(values.full),
        leaseMs: process.env.PUDDLE_LEASE_SECONDS ? Number(process.env.PUDDLE_LEASE_SECONDS) * 1000 : undefined,
        onProgress: progress,
      }).catch((err: Error) => {
        process.stderr.write(`puddle sync: ${err.message}\n`);
        return null;
      });
      if (!results) return 2;
      if (process.stdout.isTTY) process.stdout.write('\n');
      process.stdout.write(
        formatRows(
          results.map((r) => ({ stream: r.stream, outcome: r.outcome, records: r.records, pages: r.pages, requests: r.requests, retries: r.retries, '429s': r.rateLimited, quarantined: r.quarantined, error: r.error })),
          'table',
        ),
      );
      process.stdout.write(`published to the queue; a running hub or 'puddle land' lands it\n`);
      return results.some((r) => r.outcome === 'failed' || r.outcome === 'refused') ? 1 : 0;
    });
  },
});

/** A progress bar on a terminal; plain log lines (one per stream, every few seconds) otherwise. */
function progressPrinter() {
  const started = Date.now();
  let lastLine = 0;
  return (stream: string, m: RunMetrics, done: number | null) => {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? (m.requests / secs).toFixed(1) : '0';
    const counters = `records ${m.records}  pages ${m.pages}  ${rate} req/s  retries ${m.retries}  429s ${m.rateLimited}`;
    if (process.stdout.isTTY) {
      const width = 24;
      const filled = done === null ? 0 : Math.round(Math.min(1, done) * width);
      const bar = done === null ? ' '.repeat(width) : '#'.repeat(filled) + '-'.repeat(width - filled);
      process.stdout.write(`\r${stream.padEnd(18)} [${bar}] ${counters}   `);
    } else if (Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      process.stdout.write(`${stream}: ${counters}\n`);
    }
  };
}
