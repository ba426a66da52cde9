import { fieldReason, latestVersion } from '../../../core/contracts/index.js';
import { CONNECTORS } from '../../../connectors/registry.js';
import { PuddleConsumer } from '../../../puddles/consumer.js';
import { PUDDLES } from '../../../puddles/definitions.js';
import { sqlString } from '../../../puddles/sql-text.js';
import { BANK_STATEMENT_FIX, BANK_STATEMENT_ROW, retryQuarantine, type RetryReport } from '../../../puddles/quarantine-retry.js';
import { defineCommand } from '../command.js';
import { rowsForStdout } from '../stdout.js';
import { existingHome, withLocalQueryEngine, withLocalRuntime } from '../local-runtime.js';

export const quarantine = defineCommand({
  name: 'quarantine',
  summary: 'List what is open in quarantine, or retry it once the cause is fixed: map it again and land what passes.',
  usage: 'puddle quarantine [list] [--contract C] [--source S] | puddle quarantine retry [--contract C] [--source S] [--dry-run]',
  options: {
    contract: { type: 'string', description: 'only records meant for this contract, e.g. settlement_summary' },
    source: { type: 'string', description: 'only records from this source, e.g. braintree or webhook:stripe' },
    'dry-run': { type: 'boolean', description: 'retry: say what would land and what stays open; publish nothing' },
  },
  async run({ values, positionals }) {
    const fail = (msg: string) => {
      process.stderr.write(`puddle quarantine: ${msg}\n`);
      return Promise.resolve(2);
    };
    const sub = positionals[0] ?? 'list';
    if (positionals.length > 1 || (sub !== 'list' && sub !== 'retry')) return fail('say list (the default) or retry');
    const contract = values.contract as string | undefined;
    if (contract !== undefined && !latestVersion(contract)) return fail(`--contract: no contract ${JSON.stringify(contract)}`);
    const source = values.source as string | undefined;
    if (sub === 'list') return list(contract, source);
    const dryRun = Boolean(values['dry-run']);
    const { tryLockHome, describeHolder } = await import('../../local/home-lock.js');
    const home = existingHome();
    // What the retry publishes is landed here only when no hub runs on the home: draining a puddle beside a hub
    // took the hub's own deliveries (a night's donations among them) out of its live totals and feeds. With a
    // hub running, the hub lands it, as it lands a sync's.
    const lock = dryRun ? null : tryLockHome(home, 'puddle quarantine retry');
    const hub = dryRun || lock ? null : describeHolder(home);
    return withLocalRuntime(async (rt) => {
      try {
        const report = await retryQuarantine({
          query: rt.query,
          queue: rt.queue,
          clock: rt.clock,
          contract,
          source,
          dryRun,
          // The mappings read this shell's settings, as `puddle sync` does: fix the setting here too.
          connector: (name) => {
            const entry = Object.hasOwn(CONNECTORS, name) ? CONNECTORS[name]! : null;
            return entry ? { mappings: entry.mappings?.(rt.secrets) ?? null } : null;
          },
        });
        // Landed before the command returns, so a query straight after sees it.
        for (const name of lock ? report.puddles : []) {
          const puddle = PUDDLES.find((p) => p.name === name)!;
          await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
        }
        process.stdout.write(summary(report, dryRun));
        if (hub && report.puddles.length) process.stdout.write(`published to the queue: the hub running on this home, ${hub}, lands it\n`);
        // --dry-run answers as the retry would (docs/connectors.md, "Quarantine"): 1 when something would stay open, so a script can ask first.
        return report.open - report.remapped - report.revalidated - report.landedSince > 0 ? 1 : 0;
      } catch (err) {
        process.stderr.write(`puddle quarantine: ${(err as Error).message}\n`);
        return 1;
      }
      // Refused beside a confirmed erasure: it republishes what it read from the quarantine, perhaps before the erasure's swap.
    }, dryRun ? {} : { writesLake: 'puddle quarantine retry' }).finally(() => lock?.release());
  },
});

/** The open quarantine by contract, source, stream and first reason. */
function list(contract: string | undefined, source: string | undefined): Promise<number> {
  return withLocalQueryEngine(async (query) => {
    const where = [contract !== undefined ? `contract = ${sqlString(contract)}` : null, source !== undefined ? `source = ${sqlString(source)}` : null].filter(Boolean);
    const rows = await query.query(
      `SELECT quarantine_id, contract, source, _stream AS stream, reasons, occurred_at FROM quarantine_open${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY occurred_at`,
    );
    const groups = new Map<string, Record<string, unknown>>();
    // A bank statement that does not add up is not retried: a corrected statement closes it (until 2026-12-05 the
    // list said to retry it all the same, and the retry then said otherwise: user test).
    let statements = 0;
    for (const r of rows) {
      if (String(r.quarantine_id).startsWith(BANK_STATEMENT_ROW)) statements++;
      const reason = firstReason(r.reasons);
      const k = `${String(r.contract)}|${String(r.source)}|${String(r.stream)}|${reason}`;
      const day = String(r.occurred_at).slice(0, 10);
      const g = groups.get(k) ?? { contract: r.contract, source: r.source, stream: r.stream, records: 0, first_day: day, last_day: day, reason };
      g.records = Number(g.records) + 1;
      g.last_day = day;
      groups.set(k, g);
    }
    if (!groups.size) {
      const only = [contract ? `--contract ${contract}` : null, source ? `--source ${source}` : null].filter(Boolean).join(' ');
      process.stdout.write(`nothing open in quarantine${only ? ` for ${only} (puddle quarantine without it lists all)` : ''}\n`);
      return 0;
    }
    process.stdout.write(rowsForStdout([...groups.values()], 'table'));
    if (statements) process.stdout.write(`${statements === rows.length ? '' : `${statements} of them: `}${BANK_STATEMENT_FIX}\n`);
    if (statements < rows.length) process.stdout.write(`once the cause is fixed: puddle quarantine retry${contract ? ` --contract ${contract}` : ''}${source ? ` --source ${source}` : ''}\n`);
    return 0;
  });
}

function firstReason(reasons: unknown): string {
  try {
    const [first] = JSON.parse(String(reasons)) as { path?: string; message?: string }[];
    return first ? fieldReason({ path: first.path ?? '', message: first.message ?? '' }) : '';
  } catch {
    return String(reasons);
  }
}

function summary(r: RetryReport, dryRun: boolean): string {
  const lines: string[] = [];
  const landed = r.remapped + r.revalidated + r.landedSince;
  lines.push(`open quarantine rows: ${r.open}`);
  if (!r.open) return `${lines.join('\n')}\n`;
  // A dry run lands nothing, and says so: its line read "mapped again and landed 16" as the real run's does.
  lines.push(
    dryRun
      ? `would resolve: ${landed} (would map again and land ${r.remapped}, pass their contract and land ${r.revalidated}; landed since by a later sync ${r.landedSince}); nothing was published or landed (--dry-run)`
      : `resolved: ${landed} (mapped again and landed ${r.remapped}, passed their contract and landed ${r.revalidated}, landed since by a later sync ${r.landedSince})`,
  );
  for (const f of r.failing) lines.push(`still failing: ${f.records} (${f.reason})`);
  for (const s of r.resync) {
    const streams = s.streams.length ? ` --streams ${s.streams.join(',')}` : '';
    lines.push(`to read again from the provider, ${s.records} record${s.records === 1 ? '' : 's'} (${s.why}): puddle sync ${s.connector}${streams} --from ${s.from} --to ${s.to}`);
  }
  if (r.resync.length) lines.push('  then run puddle quarantine retry again: a record a sync landed since is resolved');
  if (r.waiting) lines.push(`waiting for the raw trail to land: ${r.waiting} (run this again once the hub or puddle land has landed it)`);
  for (const o of r.other) lines.push(`not retried here: ${o.records} from ${o.source} (${o.why})`);
  return `${lines.join('\n')}\n`;
}
