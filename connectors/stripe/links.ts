import type { StateStore } from '../../core/ports.js';

// A charge does not carry the click that led to it: the checkout session does (client_reference_id),
// and the payment intent may carry the donation id in its metadata. Nor does it name the subscription it is an
// instalment of: the subscription's invoice names the payment intent that pays it. The connector keeps those
// links by payment intent in the state store and joins them to charges when it maps them.

export interface PaymentIntentLink {
  click_id: string | null;
  donation_id: string | null;
  /** Absent in links saved before payment v3: read as null. */
  recurring_donation_id?: string | null;
}

/** What one source says of a payment intent: a field it does not say (absent or null) keeps the saved value. */
export type PaymentIntentLinkUpdate = { payment_intent: string } & { [F in keyof PaymentIntentLink]?: string | null };

const FIELDS = ['click_id', 'donation_id', 'recurring_donation_id'] as const;

const key = (paymentIntent: string) => `stripe:link:${paymentIntent}`;

export async function saveLinks(state: StateStore, links: readonly PaymentIntentLinkUpdate[]): Promise<void> {
  const saved = await state.getMany<PaymentIntentLink>(links.map((l) => key(l.payment_intent)));
  for (const l of links) {
    const old = saved.get(key(l.payment_intent));
    const merged = Object.fromEntries(FIELDS.map((f) => [f, l[f] ?? old?.[f] ?? null])) as Required<PaymentIntentLink>;
    // Nothing new (nothing at all, for an intent not seen before): no write.
    if (FIELDS.every((f) => merged[f] === (old?.[f] ?? null))) continue;
    await state.set(key(l.payment_intent), merged);
    saved.set(key(l.payment_intent), merged); // a page may name one intent twice
  }
}

export function loadLinks(state: StateStore, paymentIntents: readonly (string | null)[]): Promise<Map<string, PaymentIntentLink>> {
  return loadEach<PaymentIntentLink>(state, paymentIntents, key);
}

/** The saved values of `ids` (nulls and repeats skipped), by id, in one state look-up. */
async function loadEach<T>(state: StateStore, ids: readonly (string | null)[], keyOf: (id: string) => string): Promise<Map<string, T>> {
  const wanted = [...new Set(ids)].filter((id): id is string => Boolean(id));
  const found = await state.getMany<T>(wanted.map(keyOf));
  const out = new Map<string, T>();
  for (const id of wanted) {
    const v = found.get(keyOf(id));
    if (v) out.set(id, v);
  }
  return out;
}

// Which payout paid a charge out is known only from the payout's side (`balance_transactions?payout=`);
// the charge's balance transaction rarely says. Kept by charge id so every later version of the
// payment (a re-read, a full resync) carries it.
const payoutKey = (chargeId: string) => `stripe:payout-of:${chargeId}`;

export async function savePayoutOf(state: StateStore, pairs: readonly { chargeId: string; payoutId: string }[]): Promise<void> {
  for (const p of pairs) await state.set(payoutKey(p.chargeId), p.payoutId);
}

export function loadPayoutOf(state: StateStore, chargeIds: readonly string[]): Promise<Map<string, string>> {
  return loadEach<string>(state, chargeIds, payoutKey);
}
