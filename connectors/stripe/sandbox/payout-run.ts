import type { Ledger } from './ledger.js';
import { SortedCollection } from './sorted-collection.js';
import { DAY, buildBalanceTransaction, buildPayout } from './stripe-objects.js';
import type { SandboxBalanceTransaction, SandboxPayout } from './types.js';

/**
 * Daily automatic payouts: every balance transaction that became available on day D is swept into one
 * payout created when D closes (D+1 00:00 UTC) and arriving a day later. A day whose net is not positive
 * pays nothing; its rows roll into the next payout, as Stripe carries a negative balance forward.
 */
export function runPayouts(ledger: Ledger, upTo: number): SandboxPayout[] {
  const due = new Map<string, Map<number, SandboxBalanceTransaction[]>>();
  const keep: SandboxBalanceTransaction[] = [];
  for (const bt of ledger.unpaid) {
    const day = Math.floor(bt.available_on / DAY);
    if ((day + 1) * DAY > upTo) {
      keep.push(bt);
      continue;
    }
    let days = due.get(bt.currency);
    if (!days) due.set(bt.currency, (days = new Map()));
    const rows = days.get(day);
    if (rows) rows.push(bt);
    else days.set(day, [bt]);
  }

  const created: SandboxPayout[] = [];
  for (const [currency, days] of due) {
    let carried: SandboxBalanceTransaction[] = [];
    for (const day of [...days.keys()].sort((a, b) => a - b)) {
      const members = carried.concat(days.get(day)!);
      const amount = members.reduce((sum, bt) => sum + bt.net, 0);
      if (amount <= 0) {
        carried = members;
        continue;
      }
      carried = [];
      created.push(payOut(ledger, currency, (day + 1) * DAY, amount, members));
    }
    keep.push(...carried);
  }
  ledger.unpaid = keep;
  return created;
}

function payOut(ledger: Ledger, currency: string, at: number, amount: number, members: SandboxBalanceTransaction[]): SandboxPayout {
  const payoutId = ledger.rand.id('po_');
  const btId = ledger.rand.id('txn_');
  const payout = ledger.store(ledger.payouts, buildPayout(payoutId, at, amount, currency, at + DAY, btId));
  const own = ledger.storeBalanceTransaction(
    buildBalanceTransaction(btId, at, {
      amount: -amount,
      fee: 0,
      currency,
      availableOn: at,
      type: 'payout',
      reportingCategory: 'payout',
      source: payoutId,
      description: 'STRIPE PAYOUT',
    }),
  );
  // Stripe lists the payout's own row among its transactions, so the listed nets sum to zero.
  const list = new SortedCollection<SandboxBalanceTransaction>();
  for (const bt of [...members, own]) {
    list.addUnsorted(bt);
    ledger.payoutByBalanceTransaction.set(bt.id, payoutId);
  }
  list.finalize();
  ledger.payoutMembers.set(payoutId, list);
  ledger.emit('payout.created', payout, ledger.eventTime(at));
  ledger.scheduleArrival(payout);
  return payout;
}
