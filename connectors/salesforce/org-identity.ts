import type { StreamContext } from '../../core/engine/define.js';
import { ConfigError } from '../../core/errors.js';
import type { SalesforceClient } from './client.js';
import { oweSweep } from './deletion-sweep.js';

// A stream's bookmark is a SystemModstamp in one org. Pointed at another org (a refreshed sandbox: same URL, often
// the same record ids, a new org id; or another org altogether), reading on from it skips every record of the new
// org changed before it, without a word. So each stream keeps the id of the org its position was read in, checks
// it once per run and session (run-checks.ts), and stops with a configuration error (its bookmark untouched) when the org is another one.
// `--full` reads the new org from the start date and takes its id. A stream with no id saved takes the org's:
// its first sync, or a home from before 2026-12-03, which cannot tell which org it read.

const key = (stream: string) => `salesforce:org:${stream}`;

export async function checkSameOrg(ctx: StreamContext<SalesforceClient>, stream: string, object: string): Promise<void> {
  const id = await ctx.call('query Organization', () => ctx.client.organizationId(ctx.clock.now().getTime()));
  const saved = await ctx.state.get<{ id: string }>(key(stream));
  if (saved?.id === id) return;
  if (saved && !ctx.range.full) {
    throw new ConfigError(
      `salesforce: ${stream}'s bookmark was read in org ${saved.id}, but SALESFORCE_INSTANCE_URL now reaches org ${id} (a refreshed sandbox is a new org): `
      + `reading on from it would skip every record changed before it. Run puddle sync salesforce --full to read this org from SALESFORCE_START_DATE `
      + `(what only the other org had then lands as deleted), or point SALESFORCE_INSTANCE_URL back at the other org, or give this org its own PUDDLE_HOME`,
    );
  }
  if (saved) {
    ctx.log('salesforce: --full reads another org from the start date; what only the other org had lands as deleted', { stream, was: saved.id, now: id });
    // Records of an org that is no longer the stream's are not current: the window starts with an id sweep, and
    // what the connector read there that this org does not have lands as deleted (deletion-sweep.ts). Kept in raw
    // and in C_history. A record both orgs hold (a refreshed sandbox keeps ids) is the new org's once read again.
    await oweSweep(ctx, object);
  }
  await ctx.state.set(key(stream), { id });
}
