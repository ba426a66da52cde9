// What a consumer landed, as a plain message: a contract's rows as column -> value objects. Listeners (the
// live totals, the supplier feeds) take only this, so landing can move to another thread or process later and
// send the same message over a port.
import type { TableRef } from '../core/ports.js';
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
 * Which columns of a table's rows the listeners read, or null when none listens to that table: landing
 * then builds and sends only those (see puddles/hub-listening.ts). Undefined: every column of every table.
 */
export type LandedColumns = (table: TableRef) => readonly string[] | null;

/**
 * Group a batch's rows into messages, one per contract version. Raw rows come as contract `raw` with the
 * envelope's own fields but not its text (listeners want who sent what when, and the text is most of it).
 */
export function landedMessages(rows: readonly LandingRow[], wanted?: LandedColumns): LandedRows[] {
  const out = new Map<string, (LandedRows & { at: number[]; names: string[] }) | null>();
  for (const r of rows) {
    const id = `${r.table.contract}|${r.table.version}`;
    let msg = out.get(id);
    if (msg === undefined) {
      const want = wanted ? wanted(r.table) : undefined;
      if (want === null) out.set(id, (msg = null));
      else {
        const names: string[] = [];
        const at: number[] = [];
        columnsFor(r.table).forEach((c, i) => {
          if (r.table.puddle === 'raw' && c.name === 'envelope') return;
          if (want && !want.includes(c.name)) return;
          names.push(c.name);
          at.push(i);
        });
        out.set(id, (msg = { contract: r.table.contract, version: r.table.version, rows: [], names, at }));
      }
    }
    if (msg === null) continue;
    const obj: Record<string, Cell> = {};
    for (let i = 0; i < msg.names.length; i++) obj[msg.names[i]!] = r.row[msg.at[i]!] ?? null;
    msg.rows.push(obj);
  }
  const messages: LandedRows[] = [];
  for (const m of out.values()) if (m) messages.push({ contract: m.contract, version: m.version, rows: m.rows });
  return messages;
}
