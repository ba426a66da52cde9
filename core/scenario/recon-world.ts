import { makeEnvelope, type Envelope } from '../envelope.js';
import { pick, seededRandom } from './random.js';

// A whole money world with ground truth, for the reconciliation views: clicks, donations on every channel,
// payments (Stripe charges, Braintree transactions), payout items, payouts, refunds, disputes, settlement
// summaries, bank statements and bank lines, shaped as the connectors map them (Stripe: items carry gross,
// fee and net, the payout is their net sum, bank line reference = statement descriptor; Braintree: one
// payout per merchant account and day keyed `<account>:<date>`, items without fees, the bank names
// BRAINTREE a business day later). Into it go breaks of every type, each once or twice, and controls that
// must not break. `truth` says what the reports must find: every break, every match and its rule, each
// donation's stage, and the totals, to the penny.

export interface WorldOptions {
  seed?: number;
  /** Ordinary donations spread over the campaign (the injected cases come on top). */
  donations?: number;
}

export interface TruthBreak {
  break_type: string;
  object_kind: string;
  object_id: string;
  amount_minor: number;
}

export interface TruthMatch {
  left_kind: string;
  left_id: string;
  right_kind: string;
  right_id: string;
  rule: string;
}

/**
 * The CRM's side of the world (Salesforce NPSP), as the connector maps it: gifts (gift v2, Opportunities) and
 * gift payments (npe01__OppPayment__c) with 18-character Salesforce ids. They are also among `envelopes`; the
 * demo seeds the Salesforce sandbox with them instead and syncs it (connectors/salesforce/sandbox/seed.ts).
 */
export interface WorldCrm {
  gifts: Record<string, unknown>[];
  giftPayments: Record<string, unknown>[];
}

export interface ReconWorld {
  asOf: string;
  envelopes: Envelope[];
  crm: WorldCrm;
  truth: {
    breaks: TruthBreak[];
    matches: TruthMatch[];
    /** donation_id -> stage, for every donation dated on or before asOf. */
    stages: Map<string, string>;
    /** Pledges (current donations not started, abandoned, failed or cancelled, dated on or before asOf) per currency. */
    pledges: Map<string, { count: number; amount_minor: number }>;
    /** box start ISO | channel | campaign | cta | currency -> count and amount. */
    boxes: Map<string, { pledges: number; amount_minor: number }>;
    /** The later donation of each pair a supporter gave twice by mistake (recon_possible_duplicate lists them). */
    possibleDuplicates: string[];
  };
}

const DAY = 86_400_000;
const AS_OF = '2027-01-20';
const CAMPAIGN = 'winter-appeal-2026';
const AMOUNTS: (readonly [number, number])[] = [
  [500, 20],
  [1000, 30],
  [2000, 20],
  [2500, 10],
  [5000, 10],
  [10000, 5],
  [1500, 5],
];
const SMS_AMOUNTS: (readonly [number, number])[] = [
  [500, 50],
  [1000, 40],
  [2000, 10],
];
const WEB_CTAS = ['tv-qr', 'email', 'social', 'homepage'];
const BT_WEB = 'charity_web';
const BT_PHONE = 'charity_phone';
const SUMMARY_CARDS = ['Visa', 'MasterCard'];

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const midnight = (day: string) => `${day}T00:00:00.000Z`;
const plusSeconds = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();
const compact = (day: string) => day.replaceAll('-', '');
/** Stripe's UK card price: 1.5% + 20p, rounded half up. */
const stripeFee = (amount: number) => Math.floor((amount * 15 + 500) / 1000) + 20;

type P = Record<string, unknown>;

interface StripeCharge {
  payment: P;
  /** What the payout item says (normally the payment's own values). */
  item: { amount: number; fee: number; net: number };
}

/** Generate the world. Same options, same world. */
export function reconWorld(opts: WorldOptions = {}): ReconWorld {
  const rand = seededRandom(opts.seed ?? 9);
  const n = opts.donations ?? 300;
  let seq = 0;
  const id = (prefix: string) => `${prefix}${(++seq).toString(36).padStart(5, '0')}`;

  const clicks: P[] = [];
  const donations: P[] = [];
  const corrections: P[] = [];
  const payments: P[] = [];
  const refunds: P[] = [];
  const disputes: P[] = [];
  const items: P[] = [];
  const payouts: P[] = [];
  const lines: P[] = [];
  const statements: P[] = [];
  const summaries: P[] = [];
  const gifts: P[] = [];
  const breaks: TruthBreak[] = [];
  const matches: TruthMatch[] = [];
  const stages = new Map<string, string>();

  // Stripe charges waiting for their payout, by available day; Braintree sales by account and disbursement day.
  const stripeByAvailable = new Map<string, StripeCharge[]>();
  const stripeExtraItems = new Map<string, P[]>(); // refunds, disputes, reversals netted in a day's payout
  const braintreeByPayout = new Map<string, P[]>();

  function donation(at: string, channel: string, amount: number, extra: P = {}): P {
    const d: P = {
      donation_id: id('don_'),
      occurred_at: at,
      channel,
      amount_minor: amount,
      currency: 'GBP',
      campaign: CAMPAIGN,
      cta: channel === 'sms' ? 'tv-sms' : channel === 'online' ? WEB_CTAS[Math.floor(rand() * WEB_CTAS.length)] : 'tv-phone',
      supporter_id: id('sup_'),
      ...extra,
    };
    if (channel === 'online' && !('click_id' in extra)) {
      const k = 1 + Math.floor(rand() * 3);
      for (let c = k; c >= 1; c--) {
        const click = { click_id: id('clk_'), occurred_at: plusSeconds(at, -c * 40), campaign: CAMPAIGN, cta: d.cta, channel: 'web' };
        clicks.push(click);
        d.click_id = click.click_id;
      }
    }
    // A quarter of the web's gifts are a monthly Direct Debit's instalment, named by its mandate (donation v3), so the
    // demo's journey splits regular from one-off giving. By the id sequence, not `rand()`: the world stays as it was.
    if (channel === 'online' && seq % 4 === 0) d.recurring_donation_id = `DD-${d.donation_id as string}`;
    donations.push(d);
    return d;
  }

  /** A Stripe charge for a donation, queued for its day's payout unless `payout` is false. */
  function stripeCharge(d: P, at: string, o: { status?: string; amount?: number; currency?: string; fee?: number; net?: number; payout?: boolean; byRef?: boolean; payoutKey?: boolean } = {}): P {
    const amount = o.amount ?? (d.amount_minor as number);
    const status = o.status ?? 'succeeded';
    const fee = stripeFee(amount);
    const p: P = {
      payment_id: id('ch_'),
      occurred_at: at,
      provider: 'stripe',
      status,
      amount_minor: amount,
      currency: o.currency ?? 'GBP',
      fee_minor: status === 'succeeded' ? (o.fee ?? fee) : null,
      net_minor: status === 'succeeded' ? (o.net ?? amount - fee) : null,
      donation_id: o.byRef ? null : d.donation_id,
      available_on: status === 'succeeded' ? midnight(addDays(at.slice(0, 10), 2)) : null,
      failure_code: status === 'failed' ? 'card_declined' : null,
    };
    if (o.byRef) d.payment_ref = p.payment_id;
    payments.push(p);
    if (status === 'succeeded' && o.payout !== false) {
      const day = addDays(at.slice(0, 10), 2);
      const list = stripeByAvailable.get(day) ?? [];
      // A charge taken in another currency settles in GBP: its item is in GBP (at 0.86).
      const itemAmount = p.currency === 'GBP' ? amount : Math.round(amount * 0.86);
      list.push({ payment: p, item: { amount: itemAmount, fee: stripeFee(itemAmount), net: itemAmount - stripeFee(itemAmount) } });
      stripeByAvailable.set(day, list);
      // Half of the charges learn their payout from the balance transaction (payment.payout_id), half only
      // from the payout's member list (payout_item.payment_id).
      if (o.payoutKey ?? rand() < 0.5) p.payout_id = `po_${compact(day)}`;
    }
    return p;
  }

  /** A Braintree sale, settled the next day and disbursed the day after to its merchant account. */
  function braintreeSale(d: P, at: string, account: string, o: { disburse?: boolean; byRef?: boolean } = {}): P {
    const settledDay = addDays(at.slice(0, 10), 1);
    const disbursed = addDays(settledDay, 1);
    const p: P = {
      payment_id: id('bt_'),
      occurred_at: at,
      updated_at: midnight(disbursed),
      provider: 'braintree',
      status: 'settled',
      amount_minor: d.amount_minor,
      currency: 'GBP',
      fee_minor: null,
      net_minor: null,
      donation_id: o.byRef ? null : d.donation_id,
      payout_id: o.disburse === false ? null : `${account}:${disbursed}`,
      settlement_batch_id: `${settledDay}_${account}`,
      settled_at: `${settledDay}T03:00:00.000Z`,
      card_type: SUMMARY_CARDS[Math.floor(rand() * SUMMARY_CARDS.length)],
    };
    if (o.byRef) d.payment_ref = p.payment_id;
    payments.push(p);
    if (o.disburse !== false) {
      const key = `${account}:${disbursed}`;
      braintreeByPayout.set(key, [...(braintreeByPayout.get(key) ?? []), p]);
    }
    return p;
  }

  // ---------------------------------------------------------------- ordinary donations
  const start = Date.parse('2026-11-23T08:00:00Z');
  const ordinary: P[] = [];
  for (let i = 0; i < n; i++) {
    // A two-week appeal with its TV night on Friday 27 November: half the gifts come that evening.
    const night = rand() < 0.5;
    const ms = night ? Date.parse('2026-11-27T19:00:00Z') + rand() * 3 * 3_600_000 : start + Math.floor(rand() * 14) * DAY + rand() * 14 * 3_600_000;
    const at = new Date(Math.floor(ms / 1000) * 1000).toISOString();
    const channel = pick(rand, [['online', 50], ['sms', 25], ['ivr', 8], ['call_centre', 12], ['other', 5]] as const);
    const d = donation(at, channel, pick(rand, channel === 'sms' ? SMS_AMOUNTS : AMOUNTS));
    ordinary.push(d);
  }
  // Payments after all donations exist, so amounts can still be made unique per Braintree payout (below).
  for (const d of ordinary) {
    const channel = d.channel as string;
    const at = plusSeconds(d.occurred_at as string, 8);
    if (channel === 'sms' || channel === 'other') {
      stages.set(d.donation_id as string, 'pledged');
      continue;
    }
    const viaPhone = channel !== 'online';
    if (rand() < 0.7) stripeCharge(d, at, { byRef: viaPhone });
    else braintreeSale(d, at, viaPhone ? BT_PHONE : BT_WEB, { byRef: viaPhone });
    stages.set(d.donation_id as string, 'banked');
  }

  // ---------------------------------------------------------------- controls that must not break
  // A £1 gift: 1.5% + 20p is 22p, 22% of the gift, and still no FEE_ANOMALY.
  const pound = donation('2026-11-27T20:01:00.000Z', 'online', 100);
  stripeCharge(pound, '2026-11-27T20:01:08.000Z');
  stages.set(pound.donation_id as string, 'banked');
  // A declined card, then a successful one: the successful payment's stage, no DONATION_NOT_PAID.
  const retry = donation('2026-11-27T20:05:00.000Z', 'online', 2000);
  stripeCharge(retry, '2026-11-27T20:05:05.000Z', { status: 'failed' });
  stripeCharge(retry, '2026-11-27T20:06:10.000Z');
  stages.set(retry.donation_id as string, 'banked');
  // The call centre keys £500 for £50 and corrects it: the payment matches the corrected amount.
  const keyed = donation('2026-11-27T21:10:00.000Z', 'call_centre', 5000, { updated_at: '2026-11-27T21:15:00.000Z' });
  corrections.push({ ...keyed, amount_minor: 50000, updated_at: '2026-11-27T21:10:00.000Z' });
  stripeCharge(keyed, '2026-11-27T21:14:00.000Z', { byRef: true });
  stages.set(keyed.donation_id as string, 'banked');
  // A cancelled online gift and cash gifts: not expected to be paid by card.
  const cancelled = donation('2026-11-27T21:20:00.000Z', 'online', 1000, { status: 'cancelled' });
  stages.set(cancelled.donation_id as string, 'cancelled');
  // Web forms started and left unfinished: clicked, never pledged, so no total counts them and no payment is due.
  const started = donation('2026-11-27T21:22:00.000Z', 'online', 2500, { status: 'started' });
  stages.set(started.donation_id as string, 'clicked');
  const abandoned = donation('2026-11-27T21:24:00.000Z', 'online', 5000, { status: 'abandoned' });
  stages.set(abandoned.donation_id as string, 'clicked');
  // Late-arriving data inside its grace period: a donation from yesterday not yet paid.
  const recent = donation('2027-01-19T18:00:00.000Z', 'online', 2500);
  stages.set(recent.donation_id as string, 'pledged');
  // A payment two days short of available_on + 3.
  const recentPaid = donation('2027-01-16T10:00:00.000Z', 'online', 3000);
  stripeCharge(recentPaid, '2027-01-16T10:00:07.000Z', { payout: false });
  stages.set(recentPaid.donation_id as string, 'paid');
  // A payout that arrived the day before yesterday, its bank line not booked yet.
  const inTransit = donation('2027-01-14T10:00:00.000Z', 'online', 4000);
  const inTransitPay = stripeCharge(inTransit, '2027-01-14T10:00:06.000Z', { payout: false });
  const inTransitPayout = `po_${compact('2027-01-16')}`;
  inTransitPay.payout_id = inTransitPayout;
  stages.set(inTransit.donation_id as string, 'paid_out');
  // Something dated after the as-of date: left out of every report.
  donation('2027-01-22T09:00:00.000Z', 'online', 7000);
  // A refund netted in the next payout, a dispute netted later, a refund still inside its grace period.
  const refundedLater = donation('2026-11-24T11:00:00.000Z', 'online', 2500);
  const refundedPay = stripeCharge(refundedLater, '2026-11-24T11:00:09.000Z');
  stages.set(refundedLater.donation_id as string, 'refunded');
  const refundNetted = { refund_id: id('re_'), occurred_at: '2026-11-27T09:00:00.000Z', provider: 'stripe', payment_id: refundedPay.payment_id, status: 'succeeded', amount_minor: 2500, currency: 'GBP' };
  refunds.push(refundNetted);
  extraItem('2026-11-28', { type: 'refund', payment_id: refundedPay.payment_id, amount_minor: -2500, fee_minor: 0, net_minor: -2500, occurred_at: refundNetted.occurred_at });
  const disputedLater = donation('2026-11-24T12:00:00.000Z', 'online', 5000);
  const disputedPay = stripeCharge(disputedLater, '2026-11-24T12:00:09.000Z');
  stages.set(disputedLater.donation_id as string, 'disputed');
  disputes.push({ dispute_id: id('dp_'), occurred_at: '2026-11-29T10:00:00.000Z', provider: 'stripe', payment_id: disputedPay.payment_id, status: 'lost', amount_minor: 5000, currency: 'GBP', reason: 'fraudulent' });
  // As Stripe lists it: the adjustment's source is the dispute, so the mapped item names no payment.
  extraItem('2026-11-30', { type: 'adjustment', payment_id: null, amount_minor: -5000, fee_minor: 1500, net_minor: -6500, occurred_at: '2026-11-29T10:00:00.000Z' });
  // A gift withdrawn and refunded in full, the refund netted: no CANCELLED_BUT_PAID.
  const withdrawnRefunded = donation('2026-11-24T13:00:00.000Z', 'online', 1500, { status: 'cancelled', updated_at: '2026-11-26T09:00:00.000Z' });
  const withdrawnPay = stripeCharge(withdrawnRefunded, '2026-11-24T13:00:09.000Z');
  stages.set(withdrawnRefunded.donation_id as string, 'refunded');
  const withdrawnRefund = { refund_id: id('re_'), occurred_at: '2026-11-26T09:30:00.000Z', provider: 'stripe', payment_id: withdrawnPay.payment_id, status: 'succeeded', amount_minor: 1500, currency: 'GBP' };
  refunds.push(withdrawnRefund);
  extraItem('2026-11-28', { type: 'refund', payment_id: withdrawnPay.payment_id, amount_minor: -1500, fee_minor: 0, net_minor: -1500, occurred_at: withdrawnRefund.occurred_at });
  // A gift withdrawn after a chargeback took its money: nothing is held, so no CANCELLED_BUT_PAID (refunding it too
  // would pay the donor twice).
  const withdrawnDisputed = donation('2026-11-24T14:00:00.000Z', 'online', 2000, { status: 'cancelled', updated_at: '2026-11-29T11:00:00.000Z' });
  const withdrawnDisputedPay = stripeCharge(withdrawnDisputed, '2026-11-24T14:00:09.000Z');
  stages.set(withdrawnDisputed.donation_id as string, 'disputed');
  disputes.push({ dispute_id: id('dp_'), occurred_at: '2026-11-29T10:30:00.000Z', provider: 'stripe', payment_id: withdrawnDisputedPay.payment_id, status: 'lost', amount_minor: 2000, currency: 'GBP', reason: 'fraudulent' });
  extraItem('2026-11-30', { type: 'adjustment', payment_id: null, amount_minor: -2000, fee_minor: 1500, net_minor: -3500, occurred_at: '2026-11-29T10:30:00.000Z' });
  const refundRecent = donation('2026-11-25T12:00:00.000Z', 'online', 1000);
  const refundRecentPay = stripeCharge(refundRecent, '2026-11-25T12:00:09.000Z');
  stages.set(refundRecent.donation_id as string, 'refunded');
  refunds.push({ refund_id: id('re_'), occurred_at: '2027-01-15T09:00:00.000Z', provider: 'stripe', payment_id: refundRecentPay.payment_id, status: 'succeeded', amount_minor: 1000, currency: 'GBP' });
  // A CRM gift recorded against a Stripe payment.
  const crmGift = ordinary.find((d) => d.channel === 'online' && payments.some((p) => p.donation_id === d.donation_id && p.provider === 'stripe'))!;
  const crmPay = payments.find((p) => p.donation_id === crmGift.donation_id)!;
  gifts.push({ gift_id: id('006'), occurred_at: plusSeconds(crmPay.occurred_at as string, 3600), amount_minor: crmPay.amount_minor, currency: 'GBP', payment_ref: crmPay.payment_id, stage: 'Closed Won' });
  matches.push({ left_kind: 'gift', left_id: gifts[0]!.gift_id as string, right_kind: 'payment', right_id: crmPay.payment_id as string, rule: 'gift.payment_ref' });
  // Braintree: both merchant accounts' disbursements of one day arrive as one bank credit (payout_day_sum).
  const mergedDay = '2026-12-03';
  for (const account of [BT_WEB, BT_PHONE]) {
    const d = donation('2026-12-01T15:00:00.000Z', account === BT_WEB ? 'online' : 'call_centre', account === BT_WEB ? 3300 : 4400);
    braintreeSale(d, '2026-12-01T15:00:08.000Z', account, { byRef: account === BT_PHONE });
    stages.set(d.donation_id as string, 'banked');
  }

  // ---------------------------------------------------------------- injected breaks
  const expectBreak = (break_type: string, object_kind: string, object_id: unknown, amount_minor: number) =>
    breaks.push({ break_type, object_kind, object_id: String(object_id), amount_minor });

  const unpaid = donation('2026-11-27T20:30:00.000Z', 'online', 2500);
  expectBreak('DONATION_NOT_PAID', 'donation', unpaid.donation_id, 2500);
  stages.set(unpaid.donation_id as string, 'pledged');
  const declined = donation('2026-11-27T20:31:00.000Z', 'ivr', 1000);
  stripeCharge(declined, '2026-11-27T20:31:30.000Z', { status: 'failed', byRef: true });
  expectBreak('DONATION_NOT_PAID', 'donation', declined.donation_id, 1000);
  stages.set(declined.donation_id as string, 'failed');

  // A pledge withdrawn on the phone after its card was charged, never refunded: money held for a gift the totals
  // leave out. (One refunded in full is no break: the controls above.)
  const withdrawn = donation('2026-11-27T20:40:00.000Z', 'call_centre', 3000, { status: 'cancelled', updated_at: '2026-11-28T10:00:00.000Z' });
  stripeCharge(withdrawn, '2026-11-27T20:40:30.000Z', { byRef: true });
  expectBreak('CANCELLED_BUT_PAID', 'donation', withdrawn.donation_id, 3000);
  stages.set(withdrawn.donation_id as string, 'banked');

  // Payments naming donations no producer sent (never in `donations`): one past its grace, one of yesterday.
  for (const [at, late] of [['2026-11-26T15:00:09.000Z', true], ['2027-01-19T15:00:09.000Z', false]] as const) {
    const p = stripeCharge({ donation_id: id('don_'), amount_minor: 1500 }, at, { payout: late });
    if (late) expectBreak('PAYMENT_WITHOUT_DONATION', 'payment', p.payment_id, 1500);
  }

  const neverPaidOut = donation('2026-11-25T10:00:00.000Z', 'online', 2000);
  const neverPaidOutPay = stripeCharge(neverPaidOut, '2026-11-25T10:00:05.000Z', { payout: false });
  expectBreak('PAID_NOT_PAID_OUT', 'payment', neverPaidOutPay.payment_id, 2000);
  stages.set(neverPaidOut.donation_id as string, 'paid');
  const btNeverPaidOut = donation('2026-11-26T10:00:00.000Z', 'online', 1500);
  const btNeverPaidOutPay = braintreeSale(btNeverPaidOut, '2026-11-26T10:00:05.000Z', BT_WEB, { disburse: false });
  expectBreak('PAID_NOT_PAID_OUT', 'payment', btNeverPaidOutPay.payment_id, 1500);
  stages.set(btNeverPaidOut.donation_id as string, 'paid');

  // Fee anomalies on the payment (its payout item has Stripe's real figures).
  for (const [amount, fee, net] of [
    [2000, -5, 2005],
    [2000, 50, 1900],
    [5000, 1000, 4000],
  ] as const) {
    const d = donation('2026-11-27T20:40:00.000Z', 'online', amount);
    const p = stripeCharge(d, '2026-11-27T20:40:09.000Z', { fee, net });
    expectBreak('FEE_ANOMALY', 'payment', p.payment_id, fee);
    stages.set(d.donation_id as string, 'banked');
  }

  const wrongAmount = donation('2026-11-27T20:45:00.000Z', 'call_centre', 2500);
  stripeCharge(wrongAmount, '2026-11-27T20:45:30.000Z', { amount: 2000, byRef: true });
  expectBreak('AMOUNT_MISMATCH', 'donation', wrongAmount.donation_id, -500);
  stages.set(wrongAmount.donation_id as string, 'banked');
  const wrongCurrency = donation('2026-11-27T20:46:00.000Z', 'online', 2500);
  stripeCharge(wrongCurrency, '2026-11-27T20:46:09.000Z', { currency: 'EUR', fee: undefined });
  // Stripe leaves fee and net off a charge settled in another currency.
  const eurPay = payments[payments.length - 1]!;
  eurPay.fee_minor = null;
  eurPay.net_minor = null;
  expectBreak('CURRENCY_MISMATCH', 'donation', wrongCurrency.donation_id, 2500);
  stages.set(wrongCurrency.donation_id as string, 'banked');

  const twice = donation('2026-11-27T20:50:00.000Z', 'online', 1000);
  stripeCharge(twice, '2026-11-27T20:50:09.000Z', { payoutKey: true });
  const second = stripeCharge(twice, '2026-11-27T20:51:40.000Z', { payoutKey: true });
  expectBreak('DUPLICATE_PAYMENT', 'payment', second.payment_id, 1000);
  stages.set(twice.donation_id as string, 'banked');
  // Double charges the charity refunded, netted in the next payout: in full (put right, no break), and in part
  // (still a DUPLICATE_PAYMENT, for what the refund left).
  for (const [minute, back] of [[52, 1000], [54, 400]] as const) {
    const d = donation(`2026-11-27T20:${minute}:00.000Z`, 'online', 1000);
    stripeCharge(d, `2026-11-27T20:${minute}:09.000Z`, { payoutKey: true });
    const dup = stripeCharge(d, `2026-11-27T20:${minute + 1}:10.000Z`, { payoutKey: true });
    const r = { refund_id: id('re_'), occurred_at: '2026-11-28T09:00:00.000Z', provider: 'stripe', payment_id: dup.payment_id, status: 'succeeded', amount_minor: back, currency: 'GBP' };
    refunds.push(r);
    extraItem('2026-11-30', { type: 'refund', payment_id: dup.payment_id, amount_minor: -back, fee_minor: 0, net_minor: -back, occurred_at: r.occurred_at });
    if (back < 1000) expectBreak('DUPLICATE_PAYMENT', 'payment', dup.payment_id, 1000 - back);
    stages.set(d.donation_id as string, 'banked');
  }

  const refundLost = donation('2026-11-24T13:00:00.000Z', 'online', 2000);
  const refundLostPay = stripeCharge(refundLost, '2026-11-24T13:00:09.000Z');
  const lostRefund = { refund_id: id('re_'), occurred_at: '2026-12-01T09:00:00.000Z', provider: 'stripe', payment_id: refundLostPay.payment_id, status: 'succeeded', amount_minor: 2000, currency: 'GBP' };
  refunds.push(lostRefund);
  expectBreak('REFUND_NOT_NETTED', 'refund', lostRefund.refund_id, -2000);
  stages.set(refundLost.donation_id as string, 'refunded');
  const disputeLost = donation('2026-11-24T13:30:00.000Z', 'online', 2500);
  const disputeLostPay = braintreeSale(disputeLost, '2026-11-24T13:30:09.000Z', BT_WEB);
  const openDispute = { dispute_id: id('dp_'), occurred_at: '2026-12-02T10:00:00.000Z', provider: 'braintree', payment_id: disputeLostPay.payment_id, status: 'open', amount_minor: 2500, currency: 'GBP', reason: 'fraud' };
  disputes.push(openDispute);
  expectBreak('REFUND_NOT_NETTED', 'dispute', openDispute.dispute_id, -2500);
  stages.set(disputeLost.donation_id as string, 'disputed');
  // Two refunds and a lost dispute on one payment, one payout item taking back the first refund: each is netted
  // on its own, so the second refund and the dispute are still owed back.
  const partly = donation('2026-11-24T14:00:00.000Z', 'online', 5000);
  const partlyPay = stripeCharge(partly, '2026-11-24T14:00:09.000Z');
  stages.set(partly.donation_id as string, 'disputed');
  const refundOf = (p: P, at: string, amount: number) => {
    const r = { refund_id: id('re_'), occurred_at: at, provider: 'stripe', payment_id: p.payment_id, status: 'succeeded', amount_minor: amount, currency: 'GBP' };
    refunds.push(r);
    return r;
  };
  const partlyNetted = refundOf(partlyPay, '2026-11-27T10:00:00.000Z', 1000);
  extraItem('2026-11-28', { type: 'refund', payment_id: partlyPay.payment_id, amount_minor: -1000, fee_minor: 0, net_minor: -1000, occurred_at: partlyNetted.occurred_at });
  expectBreak('REFUND_NOT_NETTED', 'refund', refundOf(partlyPay, '2026-11-28T10:00:00.000Z', 1500).refund_id, -1500);
  const partlyDispute = { dispute_id: id('dp_'), occurred_at: '2026-11-29T10:00:00.000Z', provider: 'stripe', payment_id: partlyPay.payment_id, status: 'lost', amount_minor: 2500, currency: 'GBP', reason: 'fraudulent' };
  disputes.push(partlyDispute);
  expectBreak('REFUND_NOT_NETTED', 'dispute', partlyDispute.dispute_id, -2500);
  // Two refunds of one amount on one payment, only one taken back: the later one is owed.
  const halves = donation('2026-11-24T14:10:00.000Z', 'online', 2000);
  const halvesPay = stripeCharge(halves, '2026-11-24T14:10:09.000Z');
  stages.set(halves.donation_id as string, 'refunded');
  const firstHalf = refundOf(halvesPay, '2026-11-27T11:00:00.000Z', 1000);
  extraItem('2026-11-28', { type: 'refund', payment_id: halvesPay.payment_id, amount_minor: -1000, fee_minor: 0, net_minor: -1000, occurred_at: firstHalf.occurred_at });
  expectBreak('REFUND_NOT_NETTED', 'refund', refundOf(halvesPay, '2026-11-28T11:00:00.000Z', 1000).refund_id, -1000);

  // Two Braintree payouts of one amount on one day, two bank credits of that amount: never guessed.
  const twins: string[] = [];
  for (const account of [BT_WEB, BT_PHONE]) {
    const d = donation('2026-12-08T15:00:00.000Z', account === BT_WEB ? 'online' : 'call_centre', 2537);
    braintreeSale(d, '2026-12-08T15:00:08.000Z', account, { byRef: account === BT_PHONE });
    stages.set(d.donation_id as string, 'paid_out');
    twins.push(`${account}:2026-12-10`);
  }

  // Every day a special payout needs has at least one charge (available two days after it is taken).
  for (const day of ['2026-11-27', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-04', '2026-12-05', '2026-12-06']) {
    const d = donation(`${addDays(day, -2)}T14:00:00.000Z`, 'online', 1000);
    stripeCharge(d, `${addDays(day, -2)}T14:00:09.000Z`);
    stages.set(d.donation_id as string, 'banked');
  }

  // CRM (Salesforce NPSP) cases; the CRM records every other paid payment (see "the CRM" below).
  const crmSkip = new Set<string>(); // paid payments the CRM never recorded
  const crmAmount = new Map<string, number>(); // payment -> the amount the CRM recorded instead
  const crmTwice = new Set<string>(); // payments keyed into the CRM twice (two gifts, one gateway id)
  const crmNoRefund = new Set<string>(); // provider refunds the CRM has not recorded
  const giftMissing = donation('2026-11-26T11:00:00.000Z', 'online', 3500);
  const giftMissingPay = stripeCharge(giftMissing, '2026-11-26T11:00:09.000Z');
  crmSkip.add(giftMissingPay.payment_id as string);
  expectBreak('GIFT_MISSING', 'payment', giftMissingPay.payment_id, 3500);
  stages.set(giftMissing.donation_id as string, 'banked');
  const giftWrong = donation('2026-11-26T11:10:00.000Z', 'online', 2000);
  const giftWrongPay = stripeCharge(giftWrong, '2026-11-26T11:10:09.000Z');
  crmAmount.set(giftWrongPay.payment_id as string, 2500);
  stages.set(giftWrong.donation_id as string, 'banked');
  const giftTwice = donation('2026-11-26T11:20:00.000Z', 'call_centre', 4000);
  crmTwice.add(stripeCharge(giftTwice, '2026-11-26T11:20:30.000Z', { byRef: true }).payment_id as string);
  stages.set(giftTwice.donation_id as string, 'banked');
  crmNoRefund.add(refundNetted.refund_id);
  expectBreak('CRM_REFUND_MISSING', 'refund', refundNetted.refund_id, -2500);
  // A payment two days old is not in the CRM yet: inside its grace.
  crmSkip.add(payments.find((p) => p.donation_id === recentPaid.donation_id)!.payment_id as string);

  // ---------------------------------------------------------------- Stripe payouts
  // One payout per available day, arriving the next day; the bank books it that day with the descriptor.
  const failedPayouts: { id: string; amount: number; reversedOn: string | null }[] = [];
  const stripeDays = [...new Set([...stripeByAvailable.keys(), ...stripeExtraItems.keys()])].sort();
  const special = {
    noLine: '2026-11-30',
    itemsMismatch: '2026-12-01',
    weekendLate: '2026-11-27', // arrives Saturday 28th, booked Monday 30th
    noReference: '2026-12-02',
    failedReversed: '2026-12-04',
    failedOpen: '2026-12-06',
    bankReversed: '2026-12-05',
  };
  for (const day of stripeDays) {
    const charges = stripeByAvailable.get(day) ?? [];
    const payoutId = `po_${compact(day)}`;
    const arrival = addDays(day, 1);
    let net = 0;
    for (const c of charges) {
      items.push({ payout_item_id: `${payoutId}:txn_${c.payment.payment_id as string}`, occurred_at: c.payment.occurred_at, provider: 'stripe', payout_id: payoutId, payment_id: c.payment.payment_id, type: 'charge', amount_minor: c.item.amount, fee_minor: c.item.fee, net_minor: c.item.net, currency: 'GBP' });
      net += c.item.net;
      matches.push({ left_kind: 'payment', left_id: c.payment.payment_id as string, right_kind: 'payout', right_id: payoutId, rule: c.payment.payout_id ? 'payment.payout_id' : 'payout_item.payment_id' });
    }
    for (const extra of stripeExtraItems.get(day) ?? []) {
      items.push({ ...extra, payout_item_id: `${payoutId}:${id('txn_')}`, provider: 'stripe', payout_id: payoutId, currency: 'GBP' });
      net += extra.net_minor as number;
    }
    // The day after a failed payout, its money comes back as a payout_failure item naming that payout (as Stripe's
    // balance transaction does through its source).
    const reversal = failedPayouts.find((f) => f.reversedOn === day);
    if (reversal) {
      items.push({ payout_item_id: `${payoutId}:${id('txn_')}`, occurred_at: midnight(day), provider: 'stripe', payout_id: payoutId, payment_id: reversal.id, type: 'payout_failure', amount_minor: reversal.amount, fee_minor: 0, net_minor: reversal.amount, currency: 'GBP' });
      net += reversal.amount;
    }
    const amount = day === special.itemsMismatch ? net + 100 : net;
    if (day === special.itemsMismatch) expectBreak('PAYOUT_ITEMS_MISMATCH', 'payout', payoutId, 100);
    const failed = day === special.failedOpen || day === special.failedReversed;
    const payout: P = { payout_id: payoutId, occurred_at: midnight(day), provider: 'stripe', status: failed ? 'failed' : 'paid', amount_minor: amount, currency: 'GBP', arrival_date: arrival, bank_reference: `CHARITY SC${compact(day)}`, merchant_account: null };
    payouts.push(payout);
    if (failed) {
      failedPayouts.push({ id: payoutId, amount, reversedOn: day === special.failedReversed ? addDays(day, 1) : null });
      if (day === special.failedOpen) {
        expectBreak('PAYOUT_FAILED', 'payout', payoutId, amount);
        // The bank credited it and returned it (the payment's end-to-end id on both): the pair nets to zero,
        // so the credit is no BANK_LINE_NO_PAYOUT; the failure is the break.
        const e2e = `E2E-${payoutId}`;
        bankLine(arrival, amount, payout.bank_reference as string, 'STRIPE PAYMENTS UK LTD', { end_to_end_id: e2e });
        bankLine(addDays(arrival, 1), -amount, 'RETURN', 'STRIPE PAYMENTS UK LTD', { end_to_end_id: e2e, reversal: true });
      }
      // Its money went back to the Stripe balance: paid, not paid out, until a later payout carries the reversal.
      notBanked(charges, day === special.failedOpen ? 'paid' : 'paid_out');
      continue;
    }
    if (day === special.bankReversed) {
      // Booked, then reversed by the bank two days later quoting the remittance: the payout is not in the bank.
      bankLine(arrival, amount, payout.bank_reference as string, 'STRIPE PAYMENTS UK LTD');
      bankLine(addDays(arrival, 2), -amount, `${payout.bank_reference as string} RETURNED`, 'STRIPE PAYMENTS UK LTD', { reversal: true });
      expectBreak('BANK_LINE_REVERSED', 'payout', payoutId, amount);
      notBanked(charges);
      continue;
    }
    if (day === special.noLine) {
      expectBreak('PAYOUT_NO_BANK_LINE', 'payout', payoutId, amount);
      notBanked(charges);
      continue;
    }
    const booking = day === special.weekendLate ? addDays(arrival, 2) : arrival;
    const line = bankLine(booking, amount, day === special.noReference ? '' : (payout.bank_reference as string), 'STRIPE PAYMENTS UK LTD');
    matches.push({ left_kind: 'payout', left_id: payoutId, right_kind: 'bank_line', right_id: line, rule: day === special.noReference ? 'amount_provider' : 'bank_reference' });
  }
  // The recent payout still in transit to the bank (inside its grace period).
  {
    const net = (inTransitPay.net_minor as number);
    items.push({ payout_item_id: `${inTransitPayout}:txn_${inTransitPay.payment_id as string}`, occurred_at: inTransitPay.occurred_at, provider: 'stripe', payout_id: inTransitPayout, payment_id: inTransitPay.payment_id, type: 'charge', amount_minor: 4000, fee_minor: inTransitPay.fee_minor, net_minor: net, currency: 'GBP' });
    payouts.push({ payout_id: inTransitPayout, occurred_at: midnight('2027-01-16'), provider: 'stripe', status: 'paid', amount_minor: net, currency: 'GBP', arrival_date: '2027-01-18', bank_reference: 'CHARITY SC20270116', merchant_account: null });
    matches.push({ left_kind: 'payment', left_id: inTransitPay.payment_id as string, right_kind: 'payout', right_id: inTransitPayout, rule: 'payment.payout_id' });
  }

  // ---------------------------------------------------------------- Braintree payouts
  // Keep every ordinary payout's amount unique among its neighbours, so amount_provider has one candidate:
  // bump one gift by a penny where two would collide (the world's own rule, not the matcher's).
  const btKeys = [...braintreeByPayout.keys()].sort();
  const sumOf = (key: string) => braintreeByPayout.get(key)!.reduce((s, p) => s + (p.amount_minor as number), 0);
  for (let changed = true; changed; ) {
    changed = false;
    for (const a of btKeys) {
      if (twins.includes(a)) continue;
      const clash = btKeys.some((b) => b !== a && sumOf(b) === sumOf(a) && Math.abs(Date.parse(b.split(':')[1]!) - Date.parse(a.split(':')[1]!)) <= 6 * DAY);
      if (!clash) continue;
      const p = braintreeByPayout.get(a)![0]!;
      p.amount_minor = (p.amount_minor as number) + 1;
      const d = donations.find((x) => x.donation_id === p.donation_id || x.payment_ref === p.payment_id)!;
      d.amount_minor = p.amount_minor;
      changed = true;
    }
  }
  const mergedLine: { amount: number; ids: string[] } = { amount: 0, ids: [] };
  for (const key of btKeys) {
    const [account, day] = key.split(':') as [string, string];
    const sales = braintreeByPayout.get(key)!;
    let amount = 0;
    for (const p of sales) {
      items.push({ payout_item_id: `${key}:${p.payment_id as string}`, occurred_at: midnight(day), provider: 'braintree', payout_id: key, payment_id: p.payment_id, type: 'sale', amount_minor: p.amount_minor, fee_minor: null, net_minor: null, currency: 'GBP' });
      amount += p.amount_minor as number;
      matches.push({ left_kind: 'payment', left_id: p.payment_id as string, right_kind: 'payout', right_id: key, rule: 'payment.payout_id' });
    }
    payouts.push({ payout_id: key, occurred_at: midnight(day), updated_at: `${day}T06:00:00.000Z`, provider: 'braintree', status: 'paid', amount_minor: amount, currency: 'GBP', arrival_date: day, bank_reference: null, merchant_account: account });
    if (twins.includes(key)) continue;
    if (day === mergedDay) {
      mergedLine.amount += amount;
      mergedLine.ids.push(key);
      continue;
    }
    const line = bankLine(addDays(day, 1), amount, `BRAINTREE ${day}`, `BRAINTREE PAYMENTS ${account.toUpperCase()}`);
    matches.push({ left_kind: 'payout', left_id: key, right_kind: 'bank_line', right_id: line, rule: 'amount_provider' });
  }
  const merged = bankLine(addDays(mergedDay, 1), mergedLine.amount, 'BRAINTREE FUNDING', 'BRAINTREE FUNDING');
  for (const key of mergedLine.ids) matches.push({ left_kind: 'payout', left_id: key, right_kind: 'bank_line', right_id: merged, rule: 'payout_day_sum' });
  for (let i = 0; i < 2; i++) {
    const line = bankLine('2026-12-11', 2537, 'BRAINTREE', 'BRAINTREE PAYMENTS');
    expectBreak('AMBIGUOUS_MATCH', 'bank_line', line, 2537);
  }

  // Braintree's settlement summaries per day, account, card type: one overstated.
  const summaryKeys = new Map<string, { count: number; amount: number; day: string; account: string; card: string }>();
  for (const p of payments) {
    if (p.provider !== 'braintree') continue;
    const [day, ...rest] = (p.settlement_batch_id as string).split('_');
    const account = rest.join('_');
    const key = `${day!}:${account}:${p.card_type as string}:sale`;
    const s = summaryKeys.get(key) ?? { count: 0, amount: 0, day: day!, account, card: p.card_type as string };
    s.count++;
    s.amount += p.amount_minor as number;
    summaryKeys.set(key, s);
  }
  const overstated = [...summaryKeys.keys()].sort()[2]!;
  for (const [key, s] of summaryKeys) {
    const over = key === overstated ? 1000 : 0;
    summaries.push({ settlement_summary_id: key, occurred_at: midnight(s.day), provider: 'braintree', settlement_date: s.day, merchant_account: s.account, card_type: s.card, kind: 'sale', count: s.count + (over ? 1 : 0), amount_minor: s.amount + over, currency: 'GBP' });
    if (over) expectBreak('CONTROL_TOTAL_MISMATCH', 'settlement_summary', `${s.day}:${s.account}:sale`, 1000);
  }

  // ---------------------------------------------------------------- other bank lines
  const unknown = bankLine('2026-12-02', 4321, 'CHARITY SC99999999', 'STRIPE PAYMENTS UK LTD');
  expectBreak('BANK_LINE_NO_PAYOUT', 'bank_line', unknown, 4321);
  bankLine('2027-01-19', 1234, 'CHARITY SC20270118', 'STRIPE PAYMENTS UK LTD'); // its payout not synced yet: inside grace
  bankLine('2026-12-10', 125000, 'GIFT AID REPAYMENT', 'HMRC CHARITIES');
  bankLine('2026-12-15', -1500, 'STRIPE BILLING', 'STRIPE PAYMENTS UK LTD'); // a debit: not a payout
  // A cheque paid in and returned unpaid, the reversal quoting its entry reference: together nothing, no break.
  const cheque = bankLine('2026-12-09', 5000, 'CHQ 100777', 'CHEQUE PAID IN');
  const chequeRef = lines.find((l) => l.bank_line_id === cheque)!.entry_reference as string;
  bankLine('2026-12-14', -5000, 'RETURNED UNPAID', `REVERSAL OF ${chequeRef}`, { reversal: true });
  // A reversal of nothing the statements hold: money left the account unexplained.
  const stray = bankLine('2026-12-16', -4999, 'RETURN', 'STRIPE PAYMENTS UK LTD', { reversal: true });
  expectBreak('BANK_REVERSAL_UNPAIRED', 'bank_line', stray, -4999);
  // SMS: October remitted in full (the period in the text), November short (period from the booking date),
  // December still inside its 45 days.
  const smsOf = (month: string) => donations.filter((d) => d.channel === 'sms' && (d.occurred_at as string).startsWith(month));
  for (let i = 0; i < 6; i++) {
    const d = donation(`2026-10-${String(10 + i).padStart(2, '0')}T19:00:00.000Z`, 'sms', 500);
    stages.set(d.donation_id as string, 'pledged');
  }
  const total = (ds: P[]) => ds.reduce((s, d) => s + (d.amount_minor as number), 0);
  bankLine('2026-12-14', total(smsOf('2026-10')), 'DONR SMS 2026-10', 'DONR LTD');
  const november = total(smsOf('2026-11'));
  bankLine('2027-01-14', november - 1500, 'SMS REMITTANCE', 'DONR LTD');
  expectBreak('SMS_PLEDGE_UNCOLLECTED', 'sms_month', '2026-11 GBP', 1500);

  // Statements: one per month, balanced, each opening where the last closed (else STATEMENT_GAP); and one file
  // that did not add up.
  let balance = 1_000_000;
  for (const month of ['2026-10', '2026-11', '2026-12', '2027-01']) {
    const mine = lines.filter((l) => (l.booking_date as string).startsWith(month));
    for (const l of mine) l.statement_id = `stmt-${month}`;
    const credits = mine.filter((l) => (l.amount_minor as number) > 0).reduce((s, l) => s + (l.amount_minor as number), 0);
    const debits = -mine.filter((l) => (l.amount_minor as number) < 0).reduce((s, l) => s + (l.amount_minor as number), 0);
    statements.push({ bank_statement_id: `stmt-${month}`, occurred_at: `${month}-28T18:00:00.000Z`, account: 'GB29NWBK60161331926819', currency: 'GBP', source_format: 'camt.053', opening_balance_minor: balance, closing_balance_minor: balance + credits - debits, entry_count: mine.length, credit_total_minor: credits, debit_total_minor: debits, balanced: true, file_sha256: `sha-${month}` });
    balance += credits - debits;
  }
  statements.push({ bank_statement_id: 'stmt-bad', occurred_at: '2026-12-20T18:00:00.000Z', account: 'GB29NWBK60161331926819', currency: 'GBP', source_format: 'camt.053', opening_balance_minor: 0, closing_balance_minor: 100, entry_count: 0, credit_total_minor: 0, debit_total_minor: 0, balanced: false, file_sha256: 'sha-bad', file_name: 'statement-2026-12-20.xml' });
  expectBreak('STATEMENT_UNBALANCED', 'bank_statement', 'stmt-bad', 100);

  // A pledge the call centre keyed twice, two minutes apart, each charged: no break (two donations, one charge each),
  // but `puddle report duplicates` lists the second. A day before the as-of date, so its payout is still to come.
  // Made after everything the bank and the payouts need, so their ids stay as they were; the CRM records both.
  const keyedOnce = donation('2027-01-19T10:00:00.000Z', 'call_centre', 3500);
  stripeCharge(keyedOnce, '2027-01-19T10:00:20.000Z', { payout: false });
  const keyedAgain = donation('2027-01-19T10:02:00.000Z', 'call_centre', 3500, { supporter_id: keyedOnce.supporter_id });
  stripeCharge(keyedAgain, '2027-01-19T10:02:20.000Z', { payout: false });
  for (const d of [keyedOnce, keyedAgain]) stages.set(d.donation_id as string, 'paid');
  const possibleDuplicates = [keyedAgain.donation_id as string];

  // ---------------------------------------------------------------- matches by key
  for (const p of payments) {
    if (p.status !== 'succeeded' && p.status !== 'settled') continue;
    const d = donations.find((x) => x.donation_id === p.donation_id || x.payment_ref === p.payment_id);
    if (!d) continue; // its donation was never sent: a PAYMENT_WITHOUT_DONATION, no match
    matches.push({ left_kind: 'donation', left_id: d.donation_id as string, right_kind: 'payment', right_id: p.payment_id as string, rule: p.donation_id ? 'payment.donation_id' : 'donation.payment_ref' });
  }

  function notBanked(charges: StripeCharge[], stage = 'paid_out'): void {
    for (const c of charges) if (stages.get(donationOf(c.payment)) === 'banked') stages.set(donationOf(c.payment), stage);
  }
  function extraItem(day: string, item: P): void {
    stripeExtraItems.set(day, [...(stripeExtraItems.get(day) ?? []), item]);
  }
  function donationOf(p: P): string {
    return (p.donation_id as string | null) ?? (donations.find((d) => d.payment_ref === p.payment_id)!.donation_id as string);
  }
  function bankLine(day: string, amount: number, reference: string, description: string, extra: P = {}): string {
    const lineId = id('bl_');
    lines.push({ bank_line_id: lineId, occurred_at: midnight(day), account: 'GB29NWBK60161331926819', amount_minor: amount, currency: 'GBP', reference, description, booking_date: day, value_date: day, entry_reference: `NWB${compact(day)}${lineId.slice(-4)}`, counterparty: description, status: 'booked', source_format: 'camt.053', ...extra });
    return lineId;
  }

  // ---------------------------------------------------------------- the CRM
  // NPSP records each paid payment as a Closed Won Opportunity with one paid payment, an hour later, naming
  // the processor's id: Braintree's transaction id; for Stripe every other charge by its payment intent (pi_),
  // as Stripe's Salesforce apps do, the rest by the charge id. Refunds are negative payments naming the original.
  const crmGifts: P[] = [];
  const crmPayments: P[] = [];
  let sfSeq = 0;
  const sfId = (prefix: string) => `${prefix}8dWLD${(++sfSeq).toString(36).padStart(10, '0')}`;
  const recordGift = (at: string, amount: number, currency: string, o: P = {}): P => {
    const g: P = { gift_id: sfId('006'), occurred_at: at, amount_minor: amount, currency, stage: 'Closed Won', close_date: at.slice(0, 10), deleted: false, is_won: true, ...o };
    crmGifts.push(g);
    return g;
  };
  const recordPayment = (g: P, amount: number, ref: string | null, o: P = {}): P => {
    const gp: P = {
      gift_payment_id: sfId('a01'), occurred_at: g.occurred_at, gift_id: g.gift_id, amount_minor: amount, currency: g.currency, paid: true, written_off: false,
      payment_date: g.close_date, method: ref?.startsWith('CHQ') ? 'Check' : 'Credit Card', payment_ref: ref, original_payment_id: null, deleted: false, ...o,
    };
    crmPayments.push(gp);
    return gp;
  };
  let stripeSeen = 0;
  for (const p of payments) {
    if ((p.status !== 'succeeded' && p.status !== 'settled') || crmSkip.has(p.payment_id as string)) continue;
    const donationId = donationOf(p);
    if (p.provider === 'stripe') p.payment_intent_id = `pi_${(p.payment_id as string).slice(3)}`;
    const ref = p.provider === 'stripe' && stripeSeen++ % 2 === 0 ? (p.payment_intent_id as string) : (p.payment_id as string);
    const at = plusSeconds(p.occurred_at as string, 3600);
    const amount = crmAmount.get(p.payment_id as string) ?? (p.amount_minor as number);
    const times = crmTwice.has(p.payment_id as string) ? 2 : 1;
    for (let t = 0; t < times; t++) {
      const g = recordGift(plusSeconds(at, t * 86_400), amount, p.currency as string, { donation_id: donationId });
      const gp = recordPayment(g, amount, ref);
      matches.push({ left_kind: 'gift_payment', left_id: gp.gift_payment_id as string, right_kind: 'payment', right_id: p.payment_id as string, rule: 'gift_payment.payment_ref' });
      if (amount !== p.amount_minor) expectBreak('GIFT_AMOUNT_DIFFERS', 'gift_payment', gp.gift_payment_id, (p.amount_minor as number) - amount);
      if (t > 0) expectBreak('GATEWAY_ID_REUSED', 'gift_payment', gp.gift_payment_id, amount);
      for (const r of refunds) {
        if (r.payment_id !== p.payment_id || crmNoRefund.has(r.refund_id as string)) continue;
        recordPayment(g, -(r.amount_minor as number), ref, { occurred_at: plusSeconds(r.occurred_at as string, 3600), payment_date: (r.occurred_at as string).slice(0, 10), original_payment_id: gp.gift_payment_id });
      }
    }
  }
  // A gift deleted in the CRM names the payment the CRM is missing: it does not count.
  recordPayment(recordGift('2026-11-26T12:00:00.000Z', 3500, 'GBP', { deleted: true }), 3500, giftMissingPay.payment_id as string, { deleted: true });
  // Won, its payment scheduled but never paid: GIFT_NOT_PAID. A recent one is inside its grace; a pledge is
  // not won; a cheque paid in the CRM names no provider payment and is not a break.
  const unpaidGift = recordGift('2026-12-10T09:00:00.000Z', 10000, 'GBP');
  recordPayment(unpaidGift, 10000, null, { paid: false, payment_date: null, scheduled_date: '2026-12-10', method: 'Bank Transfer' });
  expectBreak('GIFT_NOT_PAID', 'gift', unpaidGift.gift_id, 10000);
  recordPayment(recordGift('2027-01-16T09:00:00.000Z', 5000, 'GBP'), 5000, null, { paid: false, payment_date: null, scheduled_date: '2027-01-16', method: 'Bank Transfer' });
  recordGift('2026-12-01T09:00:00.000Z', 25000, 'GBP', { stage: 'Pledged', is_won: false });
  recordPayment(recordGift('2026-12-03T09:00:00.000Z', 5000, 'GBP'), 5000, 'CHQ-100234');

  // A Direct Debit of three monthly collections, each sent by the bureau as a paid donation naming the CRM's regular gift
  // (no charge: the bureau takes the money), which the CRM closed after the second: the third was taken after it
  // closed (RECURRING_PAID_AFTER_CLOSED). Made last, so the ids above stay as they were.
  const plan = sfId('a09');
  const closedPlan = { recurring_donation_id: plan, occurred_at: '2026-10-01T09:00:00.000Z', supporter_id: id('sup_'), amount_minor: 1000, currency: 'GBP', installment_period: 'Monthly', recurring_type: 'Open' };
  const planVersions: P[] = [
    { ...closedPlan, status: 'Active', updated_at: '2026-10-01T09:00:00.000Z' },
    { ...closedPlan, status: 'Closed', updated_at: '2026-12-01T09:00:00.000Z' },
  ];
  for (const day of ['2026-10-28', '2026-11-28', '2026-12-28']) {
    const d = donation(`${day}T06:00:00.000Z`, 'other', 1000, { status: 'paid', cta: 'direct-debit', payment_provider: 'bacs', recurring_donation_id: plan });
    stages.set(d.donation_id as string, 'pledged');
    if (day > '2026-12-01') expectBreak('RECURRING_PAID_AFTER_CLOSED', 'donation', d.donation_id, 1000);
  }

  // ---------------------------------------------------------------- truth for totals
  const pledges = new Map<string, { count: number; amount_minor: number }>();
  const boxes = new Map<string, { pledges: number; amount_minor: number }>();
  for (const d of donations) {
    const day = (d.occurred_at as string).slice(0, 10);
    if (day > AS_OF) {
      stages.delete(d.donation_id as string);
      continue;
    }
    if (!stages.has(d.donation_id as string)) throw new Error(`recon world: donation ${d.donation_id as string} has no stage`);
    if (d.status === 'failed' || d.status === 'cancelled' || d.status === 'started' || d.status === 'abandoned') continue;
    const c = pledges.get(d.currency as string) ?? { count: 0, amount_minor: 0 };
    c.count++;
    c.amount_minor += d.amount_minor as number;
    pledges.set(d.currency as string, c);
    const ms = Date.parse(d.occurred_at as string);
    const box = new Date(ms - (ms % (15 * 60_000))).toISOString();
    const key = [box, d.channel, d.campaign, d.cta, d.currency].join('|');
    const b = boxes.get(key) ?? { pledges: 0, amount_minor: 0 };
    b.pledges++;
    b.amount_minor += d.amount_minor as number;
    boxes.set(key, b);
  }

  // ---------------------------------------------------------------- envelopes
  const envelopes: Envelope[] = [];
  const add = (contract: string, version: number, payload: P) => {
    // A payment's card type only feeds the world's settlement summaries; the contract has no such field.
    const clean: P = { ...payload };
    if (contract === 'payment') delete clean.card_type;
    for (const k of Object.keys(clean)) if (clean[k] === undefined) delete clean[k];
    envelopes.push(makeEnvelope({ contract, version, source: 'world', stream: contract, payload: clean, received_at: receivedAt(clean), delivery_id: `world-${contract}` }));
  };
  for (const c of clicks) add('click', 1, c);
  for (const d of [...corrections, ...donations]) add('donation', d.recurring_donation_id ? 3 : 1, d);
  for (const p of payments) add('payment', 2, p);
  for (const r of refunds) add('refund', 1, r);
  for (const s of disputes) add('dispute', 1, s);
  for (const i of items) add('payout_item', 1, i);
  for (const o of payouts) add('payout', 1, o);
  for (const s of summaries) add('settlement_summary', 1, s);
  for (const g of gifts) add('gift', 1, g);
  for (const g of crmGifts) add('gift', 2, g);
  for (const g of crmPayments) add('gift_payment', 1, g);
  for (const r of planVersions) add('recurring_donation', 1, r);
  for (const l of lines) add('bank_line', 2, l);
  for (const s of statements) add('bank_statement', 1, s);

  return { asOf: AS_OF, envelopes, crm: { gifts: crmGifts, giftPayments: crmPayments }, truth: { breaks, matches, stages, pledges, boxes, possibleDuplicates } };
}

/** Puddle heard of each record a minute after it changed. */
function receivedAt(p: P): string {
  const at = (p.updated_at as string | undefined) ?? (p.occurred_at as string);
  return new Date(Date.parse(at) + 60_000).toISOString();
}
