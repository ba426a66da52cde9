import type { StateStore } from '../../core/ports.js';
import type { CheckoutLink } from './mappings.js';

// A charge does not carry the click that led to it: the checkout session does (client_reference_id),
// and the payment intent may carry the donation id in its metadata. The connector keeps those links
// by payment intent in the state store and joins them to charges when it maps them.

export interface PaymentIntentLink {
  click_id: string | null;
  donation_id: string | null;
}

const key = (paymentIntent: string) => `stripe:link:${paymentIntent}`;

export async function saveLinks(state: StateStore, links: readonly CheckoutLink[]): Promise<void> {
  const saved = await state.getMany<PaymentIntentLink>(links.map((l) => key(l.payment_intent)));
  for (const l of links) {
    const old = saved.get(key(l.payment_intent)) ?? { click_id: null, donation_id: null };
    const merged = { click_id: l.click_id ?? old.click_id, donation_id: l.donation_id ?? old.donation_id };
    if (merged.click_id === old.click_id && merged.donation_id === old.donation_id) continue;
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
