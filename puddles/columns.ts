// The Parquet columns of every landed table: a contract's payload columns plus the envelope's, and the raw
// puddle's. Free of DuckDB, so the AWS shape (Glue columns) and the CDK app can read them without loading it.
import type { Contract } from '../core/contracts/index.js';

export type ColumnType = 'VARCHAR' | 'BIGINT' | 'BOOLEAN' | 'TIMESTAMP' | 'DATE' | 'DOUBLE';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/**
 * envelope.received_seq: the event's position in its producer request (NULL where there is none). Files landed
 * before 2026-12-02 lack the column: every reader takes NULL for it there (`duckdbSource` in puddles/views.ts;
 * Athena reads Parquet columns by name, and a column a file lacks as NULL).
 */
export const RECEIVED_SEQ: ColumnSpec = { name: '_received_seq', type: 'BIGINT' };

/** Added to every contract puddle's payload columns. `_changed_at` is envelope.occurred_at (updated_at, else occurred_at). */
export const ENVELOPE_COLUMNS: readonly ColumnSpec[] = [
  { name: '_id', type: 'VARCHAR' },
  { name: '_source', type: 'VARCHAR' },
  { name: '_stream', type: 'VARCHAR' },
  { name: '_changed_at', type: 'TIMESTAMP' },
  { name: '_received_at', type: 'TIMESTAMP' },
  { name: '_delivery_id', type: 'VARCHAR' },
  RECEIVED_SEQ,
];

/** The raw puddle: the envelope's own fields, plus its JSON text exactly as delivered. */
export const RAW_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', type: 'VARCHAR' },
  { name: 'contract', type: 'VARCHAR' },
  { name: 'version', type: 'BIGINT' },
  { name: 'source', type: 'VARCHAR' },
  { name: 'stream', type: 'VARCHAR' },
  { name: 'key', type: 'VARCHAR' },
  { name: 'occurred_at', type: 'TIMESTAMP' },
  { name: 'received_at', type: 'TIMESTAMP' },
  { name: 'delivery_id', type: 'VARCHAR' },
  { name: 'envelope', type: 'VARCHAR' },
];

/**
 * The current-state column saying which row is its key's current version; the key's other rows there tie
 * with it on _changed_at (see puddles/current-state.ts for why they are kept). Only current-state files have it.
 */
export const CURRENT_FLAG: ColumnSpec = { name: '_current', type: 'BOOLEAN' };

export function contractColumns(contract: Contract): ColumnSpec[] {
  return [...contract.columns.map((c) => ({ name: c.name, type: c.duckdbType as ColumnType })), ...ENVELOPE_COLUMNS];
}
