import type { SandboxDonation } from '../../sandbox-kit/donations.js';
import { TimeQueue } from '../../sandbox-kit/time-queue.js';
import type { SandboxRandom } from './ids.js';
import { SortedCollection } from './sorted-collection.js';
import type {
  BankLine,
  SandboxBalanceTransaction,
  SandboxCharge,
  SandboxCheckoutSession,
  SandboxCustomer,
  SandboxDispute,
  SandboxEvent,
  SandboxInvoice,
  SandboxInvoicePayment,
  SandboxPaymentIntent,
  SandboxPayout,
  SandboxRefund,
  SandboxSubscriptionObject,
  StripeObject,
} from './types.js';

/** The API version stripe@23.1.0 pins; events carry it as Stripe's do. */
export const SANDBOX_API_VERSION = '2026-10-28.endive';

/**
 * Everything the sandbox account holds, plus the bookkeeping Stripe does behind the API: balance
 * transactions turning available, payouts arriving, and an event for every creation and change.
 */
export class Ledger {
  /**
   * The campaign the seeded scenario ran, which the live gifts answer too (null without a scenario). Until 2026-12-07
   * live gifts had none, and the dashboard showed the night's own gifts under `(none)` (an upgrade user test).
   */
  campaign: string | null = null;
  readonly charges = new SortedCollection<SandboxCharge>();
  readonly paymentIntents = new SortedCollection<SandboxPaymentIntent>();
  readonly refunds = new SortedCollection<SandboxRefund>();
  readonly disputes = new SortedCollection<SandboxDispute>();
  readonly payouts = new SortedCollection<SandboxPayout>();
  readonly balanceTransactions = new SortedCollection<SandboxBalanceTransaction>();
  readonly customers = new SortedCollection<SandboxCustomer>();
  readonly checkoutSessions = new SortedCollection<SandboxCheckoutSession>();
  /** Only subscriptions' (addSubscription): the seeded history holds none. */
  readonly invoices = new SortedCollection<SandboxInvoice>();
  /** Only addSubscription's, as invoices. */
  readonly subscriptions = new SortedCollection<SandboxSubscriptionObject>();
  /** Each invoice's payments, oldest first: shown only inside an invoice that expands `payments`. */
  readonly invoicePayments = new Map<string, SandboxInvoicePayment[]>();
  readonly events = new SortedCollection<SandboxEvent>();
  readonly bankLines: BankLine[] = [];
  /** The donation behind each charge, as the charity recorded it (Stripe never holds this list). */
  readonly donations: SandboxDonation[] = [];
  /** `/v1/events?type=` for a rare type should not walk every event. */
  readonly eventsByType = new Map<string, SortedCollection<SandboxEvent>>();

  readonly byId = new Map<string, StripeObject>();
  readonly customerBySupporter = new Map<string, SandboxCustomer>();
  readonly payoutByBalanceTransaction = new Map<string, string>();
  readonly payoutMembers = new Map<string, SortedCollection<SandboxBalanceTransaction>>();
  readonly balanceTransactionsBySource = new Map<string, SandboxBalanceTransaction[]>();
  /** Balance transactions not yet swept into a payout. */
  unpaid: SandboxBalanceTransaction[] = [];

  /**
   * Every object as the list endpoints serialise it, by expand spec. An unthrottled backfill would
   * otherwise spend the sandbox's core re-serialising the same charges, and the benchmark that measures
   * the engine would measure the sandbox too. Any change to the account clears it (see changed()).
   */
  private readonly jsonCache = new Map<string, WeakMap<StripeObject, string>>();
  private readonly becomingAvailable = new TimeQueue<SandboxBalanceTransaction>();
  private readonly arriving = new TimeQueue<SandboxPayout>();
  /** Changes due at a time, in time order (a Bacs debit clearing three days after it was made). */
  private readonly dueChanges = new TimeQueue<(at: number) => void>();
  /** False while seeding: objects are appended unsorted and events are history, not deliveries. */
  private live = false;
  onEvent: ((event: SandboxEvent) => void) | null = null;

  constructor(
    readonly rand: SandboxRandom,
    readonly nowSec: () => number,
  ) {}

  get isLive(): boolean {
    return this.live;
  }

  /** When an event about something that happened at `at` is created: history while seeding, the clock after. */
  eventTime(at: number): number {
    return this.live ? this.nowSec() : at;
  }

  /** The JSON of `obj` under `spec` (an expand list), made by `make` unless nothing changed since. */
  serialized(obj: StripeObject, spec: string, make: () => string): string {
    let bySpec = this.jsonCache.get(spec);
    if (!bySpec) this.jsonCache.set(spec, (bySpec = new WeakMap()));
    let json = bySpec.get(obj);
    if (json === undefined) bySpec.set(obj, (json = make()));
    return json;
  }

  /**
   * Objects are edited in place (a refund, a balance turning available) and one object appears inside
   * another (expand), so any change drops every cached serialisation. Called by store, emit and settle,
   * which every change goes through in the same synchronous step.
   */
  private changed(): void {
    this.jsonCache.clear();
  }

  store<T extends StripeObject>(collection: SortedCollection<T>, obj: T): T {
    this.changed();
    if (this.live) collection.add(obj);
    else collection.addUnsorted(obj);
    this.byId.set(obj.id, obj);
    return obj;
  }

  storeBalanceTransaction(bt: SandboxBalanceTransaction): SandboxBalanceTransaction {
    this.store(this.balanceTransactions, bt);
    const bySource = this.balanceTransactionsBySource.get(bt.source);
    if (bySource) bySource.push(bt);
    else this.balanceTransactionsBySource.set(bt.source, [bt]);
    if (bt.type !== 'payout') this.unpaid.push(bt);
    this.becomingAvailable.push(bt.available_on, bt);
    return bt;
  }

  /** `change(at)` runs once the clock reaches `at` (settle), before balances turn available. */
  scheduleChange(at: number, change: (at: number) => void): void {
    this.dueChanges.push(at, change);
  }

  scheduleArrival(payout: SandboxPayout): void {
    this.arriving.push(payout.arrival_date, payout);
  }

  /** Record an event; its data.object is a shallow snapshot, valid because nested parts are replaced, never edited. */
  emit(type: string, obj: StripeObject, created: number, previous?: Record<string, unknown>): SandboxEvent {
    this.changed();
    const event: SandboxEvent = {
      id: this.rand.id('evt_'),
      object: 'event',
      api_version: SANDBOX_API_VERSION,
      created,
      data: previous ? { object: { ...obj }, previous_attributes: previous } : { object: { ...obj } },
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.store(this.events, event);
    let sameType = this.eventsByType.get(type);
    if (!sameType) this.eventsByType.set(type, (sameType = new SortedCollection<SandboxEvent>()));
    if (this.live) sameType.add(event);
    else sameType.addUnsorted(event);
    if (this.live) this.onEvent?.(event);
    return event;
  }

  /** Bring time-driven state up to the clock: available balances, arrived payouts (and their bank lines). */
  settle(now: number): void {
    for (const { at, item: change } of this.dueChanges.popDueWithTimes(now)) change(at);
    for (const bt of this.becomingAvailable.popDue(now)) {
      bt.status = 'available';
      this.changed();
    }
    for (const payout of this.arriving.popDue(now)) {
      payout.status = 'paid';
      const at = this.eventTime(payout.arrival_date);
      this.emit('payout.paid', payout, at, { status: 'in_transit' });
      this.emit('payout.reconciliation_completed', payout, at);
      const arrival = new Date(payout.arrival_date * 1000).toISOString();
      this.bankLines.push({
        bank_line_id: `bl_${payout.id.slice(3)}`,
        occurred_at: arrival,
        account: 'charity-current',
        amount_minor: payout.amount,
        currency: payout.currency.toUpperCase(),
        reference: payout.statement_descriptor,
        description: 'STRIPE PAYMENTS UK LTD',
        booking_date: arrival.slice(0, 10),
      });
    }
  }

  /** End of seeding: sort once, then every later object is inserted in order and its events delivered. */
  goLive(): void {
    for (const c of [this.charges, this.paymentIntents, this.refunds, this.disputes, this.payouts, this.balanceTransactions, this.customers, this.checkoutSessions, this.invoices, this.subscriptions, this.events]) {
      (c as SortedCollection<StripeObject>).finalize();
    }
    for (const c of this.eventsByType.values()) c.finalize();
    this.live = true;
  }
}
