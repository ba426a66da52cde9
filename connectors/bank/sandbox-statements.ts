import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCamt, type CamtEntryInput } from './camt-writer.js';

// The sandboxes' payouts and disbursements reach a pretend bank account as bank lines; this turns them into the
// daily camt.053 a real bank would send (one per account, currency and day, balances chained from day to day), so
// `npm start` with no bank shows statements arriving in the drop folder and being imported.

/** A bank line as the sandboxes keep it (the bank_line v1 shape). */
export interface SandboxBankLine {
  bank_line_id: string;
  account: string;
  amount_minor: number;
  currency: string;
  reference: string;
  description?: string | null;
  booking_date?: string | null;
  occurred_at: string;
}

/** What the pretend account held before the first line. */
const OPENING_MINOR = 1_000_000;
/** A day's statement is written this long after the day ends, so a payout booked at midnight is in it. */
const GRACE_MS = 10 * 60_000;

export interface DailyStatement {
  name: string;
  xml: string;
  day: string;
  entries: number;
}

const dayOf = (l: SandboxBankLine) => l.booking_date ?? l.occurred_at.slice(0, 10);

/** One camt.053 per account, currency and finished day that has lines. */
export function dailyStatements(lines: readonly SandboxBankLine[], now: Date): DailyStatement[] {
  const lastDay = new Date(now.getTime() - GRACE_MS - 86_400_000).toISOString().slice(0, 10);
  const groups = new Map<string, SandboxBankLine[]>();
  for (const l of lines) {
    const k = `${l.account}\u0000${l.currency}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(l);
  }
  const out: DailyStatement[] = [];
  for (const g of groups.values()) {
    const byDay = new Map<string, SandboxBankLine[]>();
    for (const l of g) {
      const d = dayOf(l);
      let list = byDay.get(d);
      if (!list) byDay.set(d, (list = []));
      list.push(l);
    }
    let balance = OPENING_MINOR;
    for (const day of [...byDay.keys()].sort()) {
      const list = byDay.get(day)!.sort((a, b) => (a.bank_line_id < b.bank_line_id ? -1 : a.bank_line_id > b.bank_line_id ? 1 : 0));
      const opening = balance;
      for (const l of list) balance += l.amount_minor;
      if (day > lastDay) continue;
      const { account, currency } = list[0]!;
      const id = `SBX-${account}-${currency}-${day}`;
      const entries: CamtEntryInput[] = list.map((l) => ({
        amount_minor: l.amount_minor,
        booking_date: day,
        entry_reference: l.bank_line_id,
        // Matching finds a payout by its bank reference in the statement text: it goes in the remittance information.
        remittance: l.reference,
        description: l.description ?? null,
        bank_transaction_code: l.amount_minor >= 0 ? 'PMNT/RCDT/DMCT' : 'PMNT/ICDT/DMCT',
      }));
      const created = `${day}T23:59:59Z`;
      const xml = writeCamt({
        kind: '053',
        version: 8,
        message_id: id,
        created_at: created,
        statements: [{ id, account, currency, created_at: created, from: `${day}T00:00:00Z`, to: created, opening_balance_minor: opening, summary: true, entries }],
      });
      out.push({ name: `${id}.camt053.xml`, xml, day, entries: list.length });
    }
  }
  return out;
}

/**
 * Write the statements not yet in the inbox (nor in its done/ or failed/), each under a dot-name first and then
 * renamed, so the drop folder never sees half a file. Returns the names written.
 */
export function writeDailyStatements(inbox: string, lines: readonly SandboxBankLine[], now: Date): string[] {
  mkdirSync(inbox, { recursive: true });
  const written: string[] = [];
  for (const s of dailyStatements(lines, now)) {
    if ([inbox, join(inbox, 'done'), join(inbox, 'failed')].some((d) => existsSync(join(d, s.name)))) continue;
    const tmp = join(inbox, `.${s.name}.tmp`);
    writeFileSync(tmp, s.xml);
    renameSync(tmp, join(inbox, s.name));
    written.push(s.name);
  }
  return written;
}
