import type { StreamContext } from '../../core/engine/define.js';
import { ConfigError } from '../../core/errors.js';
import type { SalesforceClient } from './client.js';

// A declared optional field the integration user cannot see is dropped (streams.ts, visibleFields): on a first
// sync that is the org's shape. But a field the stream has been reading that disappears later (field-level
// security changed, a permission set taken away, the field deleted) would land every record changed from then on
// without it, over the values that landed before: a payment's method, a supporter's email hash, gone from the
// current state without a word. So each stream keeps the fields it reads, and stops with a configuration error
// (its bookmark untouched) when one of them is no longer visible. `--full` takes the fields it can read now: the
// way to go on without one on purpose. A field that becomes visible is simply read from then on.

const key = (stream: string) => `salesforce:fields:${stream}`;

export async function checkFieldsKept(ctx: StreamContext<SalesforceClient>, stream: string, object: string, visible: readonly string[]): Promise<void> {
  const saved = await ctx.state.get<string[]>(key(stream));
  const now = new Set(visible);
  const lost = (saved ?? []).filter((f) => !now.has(f));
  if (lost.length && !ctx.range.full) {
    const names = lost.map((f) => `${object}.${f}`).join(', ');
    throw new ConfigError(
      `salesforce: ${stream} has read ${names} until now, and the integration user can no longer see ${lost.length === 1 ? 'it' : 'them'}: `
      + `give its profile or permission set Read access again (Setup > Object Manager > ${object} > Fields & Relationships > Set Field-Level Security); `
      + `reading on would land every record changed from now on without ${lost.length === 1 ? 'it' : 'them'}, over what landed before. `
      + `To go on without ${lost.length === 1 ? 'it' : 'them'}, run puddle sync salesforce --streams ${stream} --full`,
    );
  }
  if (lost.length) ctx.log('salesforce: --full reads on without fields the integration user can no longer see', { stream, fields: lost });
  if (!saved || lost.length || visible.some((f) => !saved.includes(f))) await ctx.state.set(key(stream), [...visible]);
}
