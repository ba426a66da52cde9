// What a consumer landed, as a plain message: a contract's rows as column -> value objects. Listeners (the
// live totals, the supplier feeds) take only this, so landing can move to another thread or process later and
// send the same message over a port.
import type { LandingRow } from './landing-rows.js';
import { columnsFor } from './landing-rows.js';
import type { Cell } from './parquet-writer.js';

export interface LandedRows {
  contract: string;
  version: number;
  /** Contract columns plus the envelope columns (`_id`, `_changed_at`, `_received_at`, ...). */
  rows: Record<string, Cell>[];
}

/** Called after rows are registered in the catalog (and before the queue ack): a redelivery may repeat them. */
export type LandedListener = (landed: LandedRows) => void;

/**
 * Group a batch's rows into messages, one per contract version. Raw rows come as contract `raw` with the
 * envelope's own fields but not its text (listeners want who sent what when, and the text is most of it).
 */
export function landedMessages(rows: readonly LandingRow[]): LandedRows[] {
  const out = new Map<string, LandedRows & { names: string[] }>();
  for (const r of rows) {
    const id = `${r.table.contract}|${r.table.version}`;
    let msg = out.get(id);
    if (!msg) {
      const names = columnsFor(r.table).map((c) => c.name).filter((n) => !(r.table.puddle === 'raw' && n === 'envelope'));
      out.set(id, (msg = { contract: r.table.contract, version: r.table.version, rows: [], names }));
    }
    const obj: Record<string, Cell> = {};
    for (let i = 0; i < msg.names.length; i++) obj[msg.names[i]!] = r.row[i] ?? null;
    msg.rows.push(obj);
  }
  return [...out.values()].map(({ contract, version, rows: list }) => ({ contract, version, rows: list }));
}
