import { fromMinorUnits } from '../../../core/money.js';
import { SandboxRandom, seedFromText } from './ids.js';
import type { DisbursementItem, Ledger } from './ledger.js';
import { disbursementXml } from './objects-xml.js';
import { addDays, dayOf, isoSeconds } from './time.js';
import { notifyTransaction } from './transactions.js';
import type { SandboxDisbursement } from './types.js';

/**
 * Pay out everything due by `upTo`: one disbursement per merchant account per date, netting sales
 * against refunds and chargebacks. Transactions get `disbursement_details` but keep their
 * `updated_at` (Braintree does not count a disbursement as a change, hence the connector's
 * disbursement_date sweep). Each disbursement is one line on the charity's bank statement.
 */
export function disburseDue(ledger: Ledger, upTo: number): SandboxDisbursement[] {
  const groups = new Map<string, { account: string; day: string; at: number; items: DisbursementItem[] }>();
  for (const { at, item } of ledger.toDisburse.popDueWithTimes(upTo)) {
    const account = item.kind === 'transaction' ? item.tx.merchant_account_id : item.dispute.merchant_account_id;
    let day = dayOf(at);
    // Something made late for a date already paid (a mutation dated in the past) goes out the next free day.
    while (ledger.disbursedKeys.has(`${account}|${day}`)) day = addDays(day, 1);
    const key = `${account}|${day}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { account, day, at: Date.parse(`${day}T00:00:00Z`), items: [] }));
    g.items.push(item);
  }
  const made: SandboxDisbursement[] = [];
  for (const g of [...groups.values()].sort((a, b) => a.at - b.at || a.account.localeCompare(b.account))) {
    made.push(disburse(ledger, g.account, g.day, g.at, g.items));
  }
  return made;
}

function disburse(ledger: Ledger, account: string, day: string, at: number, items: DisbursementItem[]): SandboxDisbursement {
  let net = 0;
  let currency = '';
  const transactionIds: string[] = [];
  const disputeIds: string[] = [];
  for (const item of items) {
    if (item.kind === 'transaction') {
      const tx = item.tx;
      currency = tx.currency_iso_code;
      net += tx.type === 'sale' ? tx.amount_minor : -tx.amount_minor;
      transactionIds.push(tx.id);
      tx.disbursement_details = {
        disbursement_date: day,
        settlement_amount: tx.amount,
        settlement_currency_iso_code: tx.currency_iso_code,
        settlement_currency_exchange_rate: '1',
        funds_held: false,
        success: true,
      };
    } else {
      const d = item.dispute;
      currency = d.currency_iso_code;
      // The chargeback's withdrawal is dated on its first event, a win's return on the won event.
      const won = item.kind === 'dispute_won';
      net += won ? d.amount_minor : -d.amount_minor;
      disputeIds.push(d.id);
      (won ? [...d.status_history].reverse().find((e) => e.status === 'won')! : d.status_history[0]!).disbursement_date = day;
    }
  }
  const disbursement: SandboxDisbursement = {
    // From the merchant, account and date, not the drawn stream: a restarted sandbox disburses a day it did
    // not reach before under the same id whatever it drew meanwhile (live sales, another start's stream).
    id: new SandboxRandom(seedFromText(`${ledger.seed}|${account}|${day}`)).id(12),
    merchant_account_id: account,
    currency_iso_code: currency,
    amount: fromMinorUnits(net, currency),
    amount_minor: net,
    disbursement_date: day,
    disbursement_type: net < 0 ? 'debit' : 'credit',
    transaction_ids: transactionIds,
    dispute_ids: disputeIds,
    success: true,
  };
  ledger.disbursements.push(disbursement);
  ledger.disbursedKeys.add(`${account}|${day}`);
  if (net !== 0) {
    ledger.bankLines.push({
      bank_line_id: `bl_bt_${disbursement.id}`,
      occurred_at: new Date(at).toISOString(),
      account: 'charity-current',
      amount_minor: net,
      currency,
      reference: `BRAINTREE ${day}`,
      description: `BRAINTREE PAYMENTS ${account.toUpperCase()}`,
      booking_date: day,
    });
  }
  for (const item of items) if (item.kind === 'transaction') notifyTransaction(ledger, 'transaction_disbursed', item.tx, at);
  ledger.notify({
    kind: 'disbursement',
    timestamp: isoSeconds(at),
    subjectId: disbursement.id,
    subject: () => ({ name: 'disbursement', value: disbursementXml(disbursement) }),
  });
  return disbursement;
}
