import { fromMinorUnits } from '../../../core/money.js';
import type { Ledger } from './ledger.js';
import { addDays, dayOf, isoSeconds } from './time.js';
import { notifyTransaction } from './transactions.js';
import type { SandboxTransaction } from './types.js';

/** Disbursements go out two days after the settlement batch, at the start of that day (UTC). */
export const DISBURSEMENT_LAG_DAYS = 2;

/**
 * Run every settlement batch due by `upTo`: submitted_for_settlement -> settled, stamped with the batch
 * id and a status event, and `updated_at` bumped (settlement is a change Braintree records on the transaction).
 */
export function settleDue(ledger: Ledger, upTo: number): SandboxTransaction[] {
  const settled: SandboxTransaction[] = [];
  for (const { at, item: tx } of ledger.toSettle.popDueWithTimes(upTo)) {
    if (tx.status !== 'submitted_for_settlement') continue;
    const when = isoSeconds(at);
    const day = dayOf(at);
    const batchId = `${day}_${tx.merchant_account_id}`;
    tx.status = 'settled';
    tx.settlement_batch_id = batchId;
    tx.updated_at = when;
    tx.status_history.push({ status: 'settled', timestamp: when, amount: tx.amount, user: null, transaction_source: '' });
    let batch = ledger.settlementBatches.get(batchId);
    if (!batch) {
      batch = { id: batchId, settlement_date: day, merchant_account_id: tx.merchant_account_id, transaction_ids: [] };
      ledger.settlementBatches.set(batchId, batch);
    }
    batch.transaction_ids.push(tx.id);
    ledger.toDisburse.push(Date.parse(`${addDays(day, DISBURSEMENT_LAG_DAYS)}T00:00:00Z`), { kind: 'transaction', tx });
    notifyTransaction(ledger, 'transaction_settled', tx, at);
    settled.push(tx);
  }
  return settled;
}

export interface SummaryRecord {
  card_type: string;
  count: string;
  merchant_account_id: string;
  kind: string;
  amount_settled: string;
  [customField: string]: string;
}

/**
 * The settlement batch summary for one date: settled transactions grouped by card type, merchant
 * account and kind (sale/credit), optionally by a custom field too. Amounts are positive for both
 * kinds; `kind` says which way the money went.
 */
export function batchSummary(ledger: Ledger, settlementDate: string, customField?: string): SummaryRecord[] {
  const groups = new Map<string, { record: SummaryRecord; minor: number; count: number; currency: string }>();
  for (const batch of ledger.settlementBatches.values()) {
    if (batch.settlement_date !== settlementDate) continue;
    for (const id of batch.transaction_ids) {
      const tx = ledger.byId.get(id)!;
      const custom = customField === undefined ? undefined : (tx.custom_fields[customField] ?? '');
      const key = [tx.card_type, tx.merchant_account_id, tx.type, custom ?? ''].join('\u0000');
      let g = groups.get(key);
      if (!g) {
        const record: SummaryRecord = { card_type: tx.card_type, count: '0', merchant_account_id: tx.merchant_account_id, kind: tx.type, amount_settled: '' };
        if (customField !== undefined) record[customField] = custom!;
        g = { record, minor: 0, count: 0, currency: tx.currency_iso_code };
        groups.set(key, g);
      }
      g.minor += tx.amount_minor;
      g.count++;
    }
  }
  return [...groups.values()].map((g) => ({ ...g.record, count: String(g.count), amount_settled: fromMinorUnits(g.minor, g.currency) }));
}
