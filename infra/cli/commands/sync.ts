import { leaseMsSetting } from '../../../core/config.js';
import { stopRuns } from '../../../core/engine/run-stream.js';
import type { SyncRange } from '../../../core/engine/define.js';
import { syncRangeOf } from '../../../core/engine/sync-range.js';
import { streamsNotRun, syncConnector } from '../../../core/engine/sync.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { ConfigError } from '../../../core/errors.js';
import { envSettings } from '../../../core/settings.js';
import { defineCommand, writeCommandError } from '../command.js';
import { rowsForStdout } from '../stdout.js';
import { progressPrinter } from '../progress.js';
import { withLocalRuntime } from '../local-runtime.js';

export const sync = defineCommand({
  name: 'sync',
  summary: 'Run one sync of a connector: pull what changed since its bookmarks and publish it to the queue.',
  usage: `puddle sync <${Object.keys(CONNECTORS).join('|')}> [--streams a,b] [--from ISO] [--to ISO] [--full]`,
  options: {
    streams: { type: 'string', description: 'only these streams (comma separated)' },
    from: { type: 'string', description: 'backfill from this time; the bookmark stays unless the range reaches it (ISO 8601; no zone: UTC)' },
    to: { type: 'string', description: 'read up to this time, at most now minus the lag (ISO 8601; no zone: UTC; default now)' },
    full: { type: 'boolean', description: 'ignore bookmarks and backfill from the start date (not with --from or --to)' },
  },
  async run({ values, positionals }) {
    const name = positionals[0];
    const make = name ? CONNECTORS[name]?.make : undefined;
    if (!make) {
      const which = name ? `no connector named '${name}'; ` : '';
      process.stderr.write(`puddle sync: ${which}name a connector: ${Object.keys(CONNECTORS).join(', ')}\n`);
      return 2;
    }
    // One connector a run. Anything after it was dropped without a word: `puddle sync stripe charges` (a stream
    // meant) synced every stream and exited 0.
    if (positionals.length > 1) {
      const extra = positionals.slice(1).map((p) => JSON.stringify(p)).join(', ');
      process.stderr.write(`puddle sync: one connector a run, with only options after it: ${extra} is not one (to choose streams: puddle sync ${name} --streams a,b)\n`);
      return 2;
    }
    // A --streams that names none (`--streams ''`, `--streams ,`) ran nothing and said the sync had stopped
    // before every stream's turn, exit 0.
    const wanted = (values.streams as string | undefined)?.split(',').map((s) => s.trim()).filter(Boolean);
    if (wanted !== undefined && wanted.length === 0) {
      process.stderr.write(`puddle sync: --streams names no stream: give one or more, comma separated, or leave --streams out for all of ${name}'s\n`);
      return 2;
    }
    // Read as the sync function on AWS reads its input's from/to/full (one reading, core/engine/sync-range.ts).
    let range: SyncRange;
    try {
      range = syncRangeOf({ from: values.from as string | undefined, to: values.to as string | undefined, full: Boolean(values.full) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`puddle sync: ${err.message}\n`);
      return 2;
    }
    // Read as every number setting is, before the home opens: PUDDLE_LEASE_SECONDS=abc was NaN, a lease that
    // every other run could take at once. Unset: the engine's 2 minutes.
    const settings = envSettings(process.env);
    const leaseMs = leaseMsSetting(settings);
    settings.check();
    // A first sync may come before the first start, so it makes the home: its queue holds what it publishes
    // until a hub lands it.
    return withLocalRuntime(async (rt) => {
      let inst;
      try {
        inst = make(rt.secrets);
      } catch (err) {
        // Credentials not set (a wrong one is a ConfigError, said as it is): a first-day user has usually just
        // watched `puddle start` sync its sandboxes, which no other process can reach (their keys never leave it),
        // and wants to try a sync too: `puddle sandbox` runs one for this (until 2026-12-07 it took a script).
        const unset = !(err instanceof ConfigError);
        const sandbox = `; to try a sync with no account, run \`puddle sandbox ${name}\` and set what it prints (the sandboxes \`puddle start\` runs are synced by that hub's own schedule)`;
        writeCommandError('sync', `${(err as Error).message}${unset ? sandbox : ''}`);
        return 2;
      }
      const progress = progressPrinter(process.stdout);
      // Ctrl-C stops the run at its next page, checkpointed and recorded as partial like the hub's, and the
      // table still says what was read (it used to kill the process: no table, no sync_run row). A second
      // Ctrl-C, the listener gone, exits at once.
      const deadline = new Date(8.64e15); // no time box: only a stop ends it early
      const stop = () => stopRuns(deadline);
      process.once('SIGINT', stop);
      const results = await syncConnector(inst, rt, {
        streams: wanted,
        from: range.from,
        to: range.to,
        full: range.full,
        leaseMs,
        deadline,
        onProgress: progress.update,
        onStreamEnd: (r) => progress.end(r.stream, r),
      })
        .catch((err: Error) => {
          process.stderr.write(`puddle sync: ${err.message}\n`);
          return null;
        })
        .finally(() => process.off('SIGINT', stop));
      if (!results) return 2;
      progress.done();
      process.stdout.write(
        rowsForStdout(
          results.map((r) => ({ stream: r.stream, outcome: r.outcome, records: r.records, pages: r.pages, requests: r.requests, retries: r.retries, '429s': r.rateLimited, quarantined: r.quarantined, error: r.error })),
          'table',
        ),
      );
      // What a run read other than asked (a --from older than Stripe keeps its events): once, under the table.
      for (const r of results) if (r.note) process.stdout.write(`${r.stream}: ${r.note}\n`);
      // Refused credentials, Ctrl-C or the quota end the sync before the streams after it: name them, or the
      // table reads as if they were all it had (until 2026-12-02 they were left out without a word).
      const notRun = streamsNotRun(inst, results, wanted);
      if (notRun.length) process.stdout.write(`not run, the sync having stopped before their turn: ${notRun.join(', ')}\n`);
      // Only when there is something to land: a run refused (the lease held) or failed before it read anything published nothing.
      if (results.some((r) => r.records + r.quarantined > 0)) process.stdout.write(`published to the queue; a running hub or 'puddle land' lands it\n`);
      if (results.some((r) => r.outcome === 'failed' || r.outcome === 'refused')) return 1;
      return deadline.getTime() === 0 ? 130 : 0; // as a shell reports a command Ctrl-C ended
    }, { createsHome: true });
  },
});
