// Envelope -> Parquet row, for the three kinds of table a consumer writes: a contract's own table,
// quarantine (what failed validation, with reasons) and raw (every envelope as delivered).
import { getContract, type Contract, type FieldError } from '../core/contracts/index.js';
import type { Envelope } from '../core/envelope.js';
import type { TableRef } from '../core/ports.js';
import { dateParse } from '../core/time.js';
import { puddleFor } from './definitions.js';
import { RAW_TABLE, utcDate } from './layout.js';
import { contractColumns, RAW_COLUMNS, type Cell, type ColumnSpec } from './parquet-writer.js';

export const QUARANTINE_TABLE: TableRef = { puddle: 'quarantine', contract: 'quarantine', version: 1 };

/** One row bound for one table partition. `identity` feeds the file key hash. */
export interface LandingRow {
  table: TableRef;
  dt: string;
  id: string;
  identity: string;
  row: Cell[];
}

export type ContractRowResult = { ok: true; row: LandingRow } | { ok: false; reasons: FieldError[] };

/**
 * Ties a row to exactly this delivery of the envelope: a redelivered message gives the same identity
 * (so the same file key), while a re-publish with a new received_at is a different arrival.
 */
function identityOf(env: Envelope): string {
  return `${String(env.id)}|${String(env.received_at)}|${String(env.delivery_id)}`;
}

export function columnsFor(table: TableRef): ColumnSpec[] {
  if (table.puddle === RAW_TABLE.puddle) return [...RAW_COLUMNS];
  const contract = getContract(table.contract, table.version);
  if (!contract) throw new Error(`no contract ${table.contract} v${table.version}`);
  return contractColumns(contract);
}

/** Cheaper than utcDate on the hot path: only "does it parse". */
function isTime(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(dateParse(v));
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** The _received_seq cell: a position is a whole number from 0; anything else (none, or not one) is no position. */
function seqOf(env: Envelope): number | null {
  const seq = env.received_seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
}

/** Validate an envelope against its contract and build its row, or say why it cannot land. */
export function contractRow(env: Envelope, fallbackPuddle: string): ContractRowResult {
  const contract: Contract | undefined =
    typeof env.contract === 'string' && typeof env.version === 'number' ? getContract(env.contract, env.version) : undefined;
  if (!contract) {
    return { ok: false, reasons: [{ path: 'envelope.contract', message: `unknown contract ${String(env.contract)} v${String(env.version)}` }] };
  }
  const reasons: FieldError[] = [];
  if (typeof env.id !== 'string' || env.id === '') reasons.push({ path: 'envelope.id', message: 'is required' });
  // _changed_at and _received_at order "latest": a row without them could never be placed.
  if (!isTime(env.occurred_at)) reasons.push({ path: 'envelope.occurred_at', message: 'must be an ISO-8601 time' });
  if (!isTime(env.received_at)) reasons.push({ path: 'envelope.received_at', message: 'must be an ISO-8601 time' });
  const checked = contract.validate(env.payload);
  if (checked.errors) reasons.push(...checked.errors);
  if (reasons.length || !checked.value) return { ok: false, reasons };
  const value = checked.value as Record<string, unknown>;
  const table: TableRef = {
    puddle: puddleFor(contract.name)?.name ?? fallbackPuddle,
    contract: contract.name,
    version: contract.version,
  };
  const cells: Cell[] = [];
  for (const c of contract.columns) cells.push((value[c.name] ?? null) as Cell);
  cells.push(env.id, str(env.source), str(env.stream), env.occurred_at, env.received_at, str(env.delivery_id), seqOf(env));
  return {
    ok: true,
    row: {
      table,
      // Validation normalised occurred_at to `...Z`, so its first ten characters are the UTC date.
      dt: String(value.occurred_at).slice(0, 10),
      id: env.id,
      identity: identityOf(env),
      row: cells,
    },
  };
}

/** The quarantine row for an envelope that could not land; its id is the envelope id. */
export function quarantineRow(env: Envelope, reasons: readonly FieldError[], now: Date = new Date()): LandingRow {
  const payload = (env.payload ?? null) as Record<string, unknown> | null;
  const candidates = [payload && typeof payload === 'object' ? payload.occurred_at : undefined, env.occurred_at, env.received_at];
  const when = candidates.find((c) => utcDate(c) !== null) as string | undefined;
  const occurredAt = when ? new Date(Date.parse(when)).toISOString() : now.toISOString();
  const receivedAt = utcDate(env.received_at) !== null ? String(env.received_at) : now.toISOString();
  const id = typeof env.id === 'string' && env.id !== '' ? env.id : `unidentified-${identityOf(env)}`;
  const value: Record<string, Cell> = {
    quarantine_id: id,
    occurred_at: occurredAt,
    updated_at: null,
    contract: str(env.contract) ?? '',
    version: typeof env.version === 'number' && Number.isSafeInteger(env.version) ? env.version : null,
    source: str(env.source) ?? '',
    reasons: JSON.stringify(reasons),
    record: JSON.stringify(env.payload ?? null),
  };
  const contract = getContract(QUARANTINE_TABLE.contract, QUARANTINE_TABLE.version)!;
  const cells = contract.columns.map((c) => value[c.name] ?? null);
  return {
    table: QUARANTINE_TABLE,
    dt: occurredAt.slice(0, 10),
    id,
    identity: identityOf(env),
    row: [...cells, id, str(env.source), str(env.stream), occurredAt, receivedAt, str(env.delivery_id), seqOf(env)],
  };
}

/** The raw row: partitioned by the date Puddle received it, envelope JSON kept verbatim. */
export function rawRow(env: Envelope, text: string, now: Date = new Date()): LandingRow {
  const dt = utcDate(env.received_at) ?? now.toISOString().slice(0, 10);
  const id = str(env.id) ?? `unidentified-${identityOf(env)}`;
  return {
    table: RAW_TABLE,
    dt,
    id,
    identity: identityOf(env),
    row: [
      id,
      str(env.contract),
      typeof env.version === 'number' && Number.isSafeInteger(env.version) ? env.version : null,
      str(env.source),
      str(env.stream),
      str(env.key),
      str(env.occurred_at),
      str(env.received_at),
      str(env.delivery_id),
      text,
    ],
  };
}
