import { leaseMsSetting } from '../../../core/config.js';
import { stopRuns } from '../../../core/engine/run-stream.js';
import { streamsNotRun, syncConnector } from '../../../core/engine/sync.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { ConfigError } from '../../../core/errors.js';
import { envSettings } from '../../../core/settings.js';
import { utcInstantMs } from '../../../core/time.js';
import { defineCommand, writeCommandError } from '../command.js';
import { formatRows } from '../format.js';
import { progressPrinter } from '../progress.js';
import { emptyRangeProblem } from '../range.js';
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
    const range: { from?: Date; to?: Date } = {};
    for (const k of ['from', 'to'] as const) {
      const v = values[k] as string | undefined;
      if (v === undefined) continue;
      // Read as /v1/totals reads it: no zone is UTC, not this machine's zone, and 02-30 is refused, not rolled over.
      const ms = utcInstantMs(v);
      if (Number.isNaN(ms)) {
        process.stderr.write(`puddle sync: --${k} takes a date YYYY-MM-DD or a time such as 2026-11-30T18:00:00Z or 2026-11-30T18:00+01:00 (no zone: UTC), on the calendar; not ${JSON.stringify(v)}\n`);
        return 2;
      }
      range[k] = new Date(ms);
    }
    // The engine took a --from range and dropped --full without a word (and --full with --to alone read from
    // the start date and moved the bookmark back to --to): neither is what a person asking for both meant.
    if (values.full && (range.from || range.to)) {
      const given = range.from && range.to ? '--from and --to' : range.from ? '--from' : '--to';
      process.stderr.write(
        `puddle sync: --full does not go with ${given}: --full reads every stream again from its start date and moves its bookmark to where that read ends; ` +
          `--from/--to read only that range, a backfill that leaves the bookmark where it is. Give one or the other\n`,
      );
      return 2;
    }
    // A range includes its --from and stops before its --to, as every window does: equal bounds, like a --to
    // before --from, hold nothing, and a run over them would be recorded as a sync that succeeded.
    const empty = emptyRangeProblem({ from: range.from?.toISOString(), to: range.to?.toISOString() }, 'instants');
    if (empty) {
      process.stderr.write(`puddle sync: ${empty}\n`);
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
        full: Boolean(values.full),
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
        formatRows(
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
