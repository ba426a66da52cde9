import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { getContract } from '../../core/contracts/index.js';
import type { Mapped } from '../../core/engine/mapped.js';
import type { StateStore } from '../../core/ports.js';
import { loadLinks, saveLinks } from './links.js';
import {
  linkFromCheckoutSession,
  linksFromInvoice,
  mapCharge,
  mapCustomer,
  mapDispute,
  mapEvent,
  stripeMinor,
  mapPayout,
  mapPayoutMember,
  mapRefund,
} from './mappings.js';
import type {
  StripeBalanceTransaction,
  StripeCharge,
  StripeCheckoutSession,
  StripeCustomer,
  StripeDispute,
  StripeEvent,
  StripeInvoice,
  StripePayout,
  StripeRefund,
} from './raw.js';

// Real public samples: test/fixtures/stripe (see test/fixtures/SOURCES.md).
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/stripe/${name}`, import.meta.url), 'utf8')) as T;
}
function resource<T>(name: string): T {
  return structuredClone(fixture<{ resources: Record<string, unknown> }>('fixtures3.json').resources[name]) as T;
}

const CHARGE_ID = 'ch_1PgafuB7WZ01zgkWXYmPNZs8';
const CREATED_ISO = '2009-02-13T23:31:30.000Z'; // every fixture's created: 1234567890

/** Asserts the payload validates and that validation changed nothing (the mapping is already normalised). */
function valid(mapped: Mapped[], contract: string): Record<string, unknown> {
  expect(mapped).toHaveLength(1);
  const m = mapped[0]!;
  expect(m.contract).toBe(contract);
  const r = getContract(m.contract, m.version)!.validate(m.payload);
  expect(r.errors).toBeNull();
  expect(r.value).toEqual(m.payload);
  return m.payload;
}

// Compile-time: the SDK's types fit the raw shapes, so the pulling connector can pass SDK objects.
export const sdkFits = (
  c: Stripe.Charge, r: Stripe.Refund, d: Stripe.Dispute, p: Stripe.Payout, b: Stripe.BalanceTransaction, cu: Stripe.Customer, s: Stripe.Checkout.Session, i: Stripe.Invoice,
): unknown[] => {
  const out: [StripeCharge, StripeRefund, StripeDispute, StripePayout, StripeBalanceTransaction, StripeCustomer, StripeCheckoutSession, StripeInvoice] = [c, r, d, p, b, cu, s, i];
  return out;
};

describe('mapCharge', () => {
  it('maps the fixture charge to a payment: money, upper-case currency, exact UTC time', () => {
    const p = valid(mapCharge(fixture<StripeCharge>('charge.json')), 'payment');
    expect(p).toMatchObject({
      payment_id: CHARGE_ID,
      provider: 'stripe',
      status: 'succeeded',
      amount_minor: 100,
      currency: 'USD',
      occurred_at: CREATED_ISO,
      updated_at: null,
      supporter_id: null,
      donation_id: null,
      click_id: null,
      failure_code: null,
    });
    // balance_transaction is only an id here (webhooks never expand it): no fee or net is invented.
    expect(p).toMatchObject({ fee_minor: null, net_minor: null, available_on: null, payout_id: null });
  });

  it('takes fee, net and available_on from an expanded balance transaction (the linked fixture)', () => {
    const charge = fixture<StripeCharge>('charge.json');
    const bt = { ...fixture<StripeBalanceTransaction>('balance_transaction.json'), fee: 59, net: 41, available_on: 1234654290 };
    expect(bt.id).toBe(charge.balance_transaction);
    const p = valid(mapCharge({ ...charge, balance_transaction: bt }), 'payment');
    expect(p).toMatchObject({ amount_minor: 100, fee_minor: 59, net_minor: 41, available_on: '2009-02-14T23:31:30.000Z', payout_id: null });
    expect((p.amount_minor as number) - (p.fee_minor as number)).toBe(p.net_minor);
  });

  it('links the payout from the argument, else from the balance transaction', () => {
    const charge = fixture<StripeCharge>('charge.json');
    const bt = fixture<StripeBalanceTransaction>('balance_transaction.json');
    const fromBt = valid(mapCharge({ ...charge, balance_transaction: { ...bt, payout: 'po_from_bt' } }), 'payment');
    expect(fromBt.payout_id).toBe('po_from_bt');
    const fromArg = valid(mapCharge({ ...charge, balance_transaction: { ...bt, payout: 'po_from_bt' } }, undefined, { payoutId: 'po_1Pgc79B7WZ01zgkWu1KToYf4' }), 'payment');
    expect(fromArg.payout_id).toBe('po_1Pgc79B7WZ01zgkWu1KToYf4');
  });

  it('reads donation_id from metadata under the configured key, and takes the click id passed in', () => {
    const charge = { ...fixture<StripeCharge>('charge.json'), metadata: { donation_id: 'don-42', gift_ref: 'G-7' } };
    expect(valid(mapCharge(charge), 'payment').donation_id).toBe('don-42');
    expect(valid(mapCharge(charge, { donationIdKey: 'gift_ref' }), 'payment').donation_id).toBe('G-7');
    expect(valid(mapCharge(charge, { donationIdKey: 'absent' }), 'payment').donation_id).toBeNull();
    expect(valid(mapCharge({ ...charge, metadata: { donation_id: '' } }), 'payment').donation_id).toBeNull();
    expect(valid(mapCharge(charge, undefined, { clickId: 'clk-9' }), 'payment').click_id).toBe('clk-9');
    // payment v2 names the intent, so a CRM that stored pi_... joins too; a charge without one says null.
    expect(valid(mapCharge({ ...charge, payment_intent: 'pi_3Pgafy' }), 'payment').payment_intent_id).toBe('pi_3Pgafy');
    expect(valid(mapCharge({ ...charge, payment_intent: { id: 'pi_3Pgafz' } as never }), 'payment').payment_intent_id).toBe('pi_3Pgafz');
    expect(valid(mapCharge({ ...charge, payment_intent: null }), 'payment').payment_intent_id).toBeNull();
    expect(mapCharge(charge)[0]!.version).toBe(4);
  });

  it("names the subscription a charge is an instalment of (payment v3), and null for a one-off", () => {
    const charge = fixture<StripeCharge>('charge.json');
    const instalment = mapCharge(charge, undefined, { recurringDonationId: 'sub_1QmonthlyGift' });
    expect(instalment[0]).toMatchObject({ contract: 'payment', version: 4 });
    expect(valid(instalment, 'payment').recurring_donation_id).toBe('sub_1QmonthlyGift');
    expect(valid(mapCharge(charge), 'payment').recurring_donation_id).toBeNull();
    expect(valid(mapCharge(charge, undefined, { clickId: 'clk-9' }), 'payment').recurring_donation_id).toBeNull();
  });

  it('takes the supporter from the customer id or the expanded customer', () => {
    const charge = fixture<StripeCharge>('charge.json');
    expect(valid(mapCharge({ ...charge, customer: 'cus_QXg1o8vcGmoR32' }), 'payment').supporter_id).toBe('cus_QXg1o8vcGmoR32');
    const customer = fixture<StripeCustomer>('customer.json');
    expect(valid(mapCharge({ ...charge, customer }), 'payment').supporter_id).toBe('cus_QXg1o8vcGmoR32');
  });

  it('keeps zero-decimal amounts as they are and copies the failure code', () => {
    const charge = { ...fixture<StripeCharge>('charge.json'), amount: 5000, currency: 'jpy', status: 'failed', failure_code: 'card_declined' };
    expect(valid(mapCharge(charge), 'payment')).toMatchObject({ amount_minor: 5000, currency: 'JPY', status: 'failed', failure_code: 'card_declined' });
  });

  it("carries the card's brand and last four (payment v4), and nothing else of the card or the billing details", () => {
    const charge = fixture<StripeCharge>('charge.json');
    const mapped = mapCharge(charge);
    expect(valid(mapped, 'payment')).toMatchObject({ card_brand: 'visa', card_last4: '4242' });
    const text = JSON.stringify(mapped);
    for (const s of ['Jenny Rosen', 'AOB934RVNwzk6xtn', '2030', 'exp_']) expect(text).not.toContain(s);
    // At a terminal the card is `card_present`; a Direct Debit or a bank transfer has no card: null, not a guess.
    const at = (details: object) => valid(mapCharge({ ...charge, payment_method_details: details as never }), 'payment');
    expect(at({ type: 'card_present', card_present: { brand: 'mastercard', last4: '4444' } })).toMatchObject({ card_brand: 'mastercard', card_last4: '4444' });
    expect(at({ type: 'bacs_debit', bacs_debit: { last4: '2345', sort_code: '108800' } })).toMatchObject({ card_brand: null, card_last4: null });
    expect(valid(mapCharge({ ...charge, payment_method_details: null }), 'payment')).toMatchObject({ card_brand: null, card_last4: null });
    // A value of another form is left out: the charge lands, and no more of a number than four digits ever does.
    expect(at({ type: 'card', card: { brand: 'unknown', last4: '4242424242424242' } })).toMatchObject({ card_brand: null, card_last4: null });
  });
});

describe('Stripe amounts in ISO 4217 minor units', () => {
  const charge = (currency: string, amount: number, bt?: { fee: number; net: number; currency: string }) => ({
    ...fixture<StripeCharge>('charge.json'), currency, amount,
    balance_transaction: bt ? { ...fixture<StripeBalanceTransaction>('balance_transaction.json'), amount, ...bt } : null,
  });

  it('copies two-, zero- and three-decimal amounts as they are', () => {
    expect(valid(mapCharge(charge('gbp', 2500)), 'payment')).toMatchObject({ amount_minor: 2500, currency: 'GBP' });
    expect(valid(mapCharge(charge('jpy', 500)), 'payment')).toMatchObject({ amount_minor: 500, currency: 'JPY' });
    expect(valid(mapCharge(charge('kwd', 1250)), 'payment')).toMatchObject({ amount_minor: 1250, currency: 'KWD' });
  });

  it('converts the two whose Stripe decimals are not ISO 4217: ISK (Stripe 2, ISO 0) and MGA (Stripe 0, ISO 2)', () => {
    // 500 krona is 50000 at Stripe and 500 in ISO units; 5000 ariary is 5000 at Stripe and 500000 in ISO units.
    expect(valid(mapCharge(charge('isk', 50_000, { fee: 1_500, net: 48_500, currency: 'isk' })), 'payment')).toMatchObject({
      amount_minor: 500, fee_minor: 15, net_minor: 485, currency: 'ISK',
    });
    expect(valid(mapCharge(charge('mga', 5_000)), 'payment')).toMatchObject({ amount_minor: 500_000, currency: 'MGA' });
    // Taken in EUR, settled in GBP: fee and net are GBP, so the EUR payment does not carry them.
    expect(valid(mapCharge(charge('eur', 1_000, { fee: 45, net: 820, currency: 'gbp' })), 'payment')).toMatchObject({
      amount_minor: 1_000, currency: 'EUR', fee_minor: null, net_minor: null,
    });
    expect(() => stripeMinor(12_345, 'isk')).toThrow(/not a whole number/);
  });
});

describe('refund, dispute, payout', () => {
  it('maps the fixture refund, linked to its charge', () => {
    const p = valid(mapRefund(fixture<StripeRefund>('refund.json')), 'refund');
    expect(p).toEqual({
      refund_id: 're_1Pgc72B7WZ01zgkWqPvrRrPE',
      occurred_at: CREATED_ISO,
      updated_at: null,
      provider: 'stripe',
      payment_id: CHARGE_ID,
      status: 'succeeded',
      amount_minor: 100,
      currency: 'USD',
      reason: null,
    });
  });

  it('quarantines (fails validation) a refund that has no charge rather than inventing a link', () => {
    const [m] = mapRefund({ ...fixture<StripeRefund>('refund.json'), charge: null });
    expect(getContract('refund', 1)!.validate(m!.payload).errors).toEqual([{ path: 'payload.payment_id', message: 'is required' }]);
  });

  it('maps the fixture dispute, linked to its charge', () => {
    const p = valid(mapDispute(fixture<StripeDispute>('dispute.json')), 'dispute');
    expect(p).toMatchObject({
      dispute_id: 'dp_1Pgc71B7WZ01zgkWMevJiAUx',
      payment_id: CHARGE_ID,
      status: 'warning_needs_response',
      reason: 'general',
      amount_minor: 1000,
      currency: 'USD',
      occurred_at: CREATED_ISO,
      effective_date: null,
    });
  });

  it('maps the fixture payout with its arrival day in UTC and the bank reference', () => {
    const p = valid(mapPayout(fixture<StripePayout>('payout.json')), 'payout');
    expect(p).toMatchObject({
      payout_id: 'po_1Pgc79B7WZ01zgkWu1KToYf4',
      status: 'in_transit',
      amount_minor: 1100,
      currency: 'USD',
      occurred_at: CREATED_ISO,
      arrival_date: '2009-02-13',
      bank_reference: null,
    });
    const named = valid(mapPayout({ ...fixture<StripePayout>('payout.json'), statement_descriptor: 'PUDDLE DONATIONS' }), 'payout');
    expect(named.bank_reference).toBe('PUDDLE DONATIONS');
  });
});

describe('mapPayoutMember', () => {
  const PO = 'po_1Pgc79B7WZ01zgkWu1KToYf4';

  it('maps the fixture balance transaction to a payout item linked to payout and charge', () => {
    const p = valid(mapPayoutMember(fixture<StripeBalanceTransaction>('balance_transaction.json'), PO), 'payout_item');
    expect(p).toEqual({
      payout_item_id: `${PO}:txn_1PgaxNB7WZ01zgkWEV3TLf40`,
      occurred_at: CREATED_ISO,
      updated_at: null,
      provider: 'stripe',
      payout_id: PO,
      payment_id: CHARGE_ID,
      type: 'charge',
      amount_minor: 100,
      fee_minor: 0,
      net_minor: 100,
      currency: 'USD',
    });
  });

  it("skips the payout's own balance transaction", () => {
    const own = { ...fixture<StripeBalanceTransaction>('balance_transaction.json'), id: 'txn_po', type: 'payout', amount: -1100, net: -1100, source: PO };
    expect(mapPayoutMember(own, PO)).toEqual([]);
  });

  it("links a refund's balance transaction to the refunded charge when the source is expanded", () => {
    const bt = fixture<StripeBalanceTransaction>('balance_transaction.json');
    const refund = fixture<StripeRefund>('refund.json');
    const expandedRefund = { ...bt, type: 'refund', amount: -100, net: -100, source: { id: refund.id, object: 'refund', charge: refund.charge } };
    expect(valid(mapPayoutMember(expandedRefund, PO), 'payout_item')).toMatchObject({ payment_id: CHARGE_ID, type: 'refund', amount_minor: -100 });
    const refundId = { ...bt, type: 'refund', amount: -100, net: -100, source: refund.id };
    expect(valid(mapPayoutMember(refundId, PO), 'payout_item').payment_id).toBeNull();
    const expandedCharge = { ...bt, source: { id: CHARGE_ID, object: 'charge' } };
    expect(valid(mapPayoutMember(expandedCharge, PO), 'payout_item').payment_id).toBe(CHARGE_ID);
  });

  it('names the failed payout on its reversal (a payout_failure or payout_cancel balance transaction whose source is that payout)', () => {
    const bt = fixture<StripeBalanceTransaction>('balance_transaction.json');
    // Shaped as Stripe lists one under the later payout: "REFUND FOR PAYOUT (STRIPE PAYOUT)", source the failed po_.
    const failure = { ...bt, id: 'txn_back', type: 'payout_failure', amount: 49108, fee: 0, net: 49108, source: 'po_failed' };
    expect(valid(mapPayoutMember(failure, PO), 'payout_item')).toMatchObject({ payout_item_id: `${PO}:txn_back`, payment_id: 'po_failed', type: 'payout_failure', amount_minor: 49108 });
    const cancel = { ...failure, type: 'payout_cancel', source: { id: 'po_cancelled', object: 'payout' } };
    expect(valid(mapPayoutMember(cancel, PO), 'payout_item').payment_id).toBe('po_cancelled');
    // A charge never names a payout, nor a reversal anything but one.
    expect(valid(mapPayoutMember({ ...bt, source: 'po_failed' }, PO), 'payout_item').payment_id).toBeNull();
    expect(valid(mapPayoutMember({ ...failure, source: CHARGE_ID }, PO), 'payout_item').payment_id).toBeNull();
  });
});

describe('mapCustomer', () => {
  it('maps the fixture customer to a supporter', () => {
    const p = valid(mapCustomer(fixture<StripeCustomer>('customer.json')), 'supporter');
    expect(p).toEqual({
      supporter_id: 'cus_QXg1o8vcGmoR32',
      occurred_at: CREATED_ISO,
      updated_at: null,
      source: 'stripe',
      email_sha256: null,
      postcode_district: null,
      crm_id: null,
      gift_aid_declared: null,
      deleted: false,
      merged_into: null,
    });
  });

  it('stores the email only as SHA-256 of the trimmed lower-cased address, and no personal data', () => {
    const customer = { ...fixture<StripeCustomer>('customer.json'), email: '  Jenny.Rosen@Example.COM ', name: 'Jenny Rosen', phone: '+44 20 7946 0000' };
    const p = valid(mapCustomer(customer), 'supporter');
    expect(p.email_sha256).toBe(createHash('sha256').update('jenny.rosen@example.com').digest('hex'));
    expect(p.email_sha256).toMatch(/^[0-9a-f]{64}$/);
    const text = JSON.stringify(mapCustomer(customer)).toLowerCase();
    for (const s of ['jenny', 'rosen', 'example.com', '@', '7946']) expect(text).not.toContain(s);
  });

  it('maps nothing for a deleted customer stub', () => {
    expect(mapCustomer({ id: 'cus_gone', object: 'customer', deleted: true })).toEqual([]);
  });
});

describe('linkFromCheckoutSession', () => {
  it('links the payment intent of the fixture session; no click or donation when the form set none', () => {
    const session = resource<StripeCheckoutSession>('checkout.session');
    expect(linkFromCheckoutSession(session)).toEqual({ payment_intent: 'pi_1PgafyB7WZ01zgkWSjxsAJo3', click_id: null, donation_id: null });
  });

  it('takes the click from client_reference_id (else metadata click_id) and the donation from metadata', () => {
    const session = resource<StripeCheckoutSession>('checkout.session');
    expect(linkFromCheckoutSession({ ...session, client_reference_id: 'clk-1', metadata: { donation_id: 'don-1', click_id: 'clk-2' } })).toEqual({
      payment_intent: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
      click_id: 'clk-1',
      donation_id: 'don-1',
    });
    expect(linkFromCheckoutSession({ ...session, metadata: { click_id: 'clk-2' } })?.click_id).toBe('clk-2');
    expect(linkFromCheckoutSession({ ...session, payment_intent: null })).toBeNull();
  });
});

describe('linksFromInvoice', () => {
  // The public sample (stripe-mock's) is a quote's invoice; a subscription's names it under parent.
  const invoice = fixture<StripeInvoice>('invoice.json');
  const paidBy = (...intents: (string | null)[]) => ({
    data: intents.map((pi, i) => ({ id: `inpay_${i}`, status: 'paid', payment: pi ? { type: 'payment_intent', payment_intent: pi } : { type: 'charge', charge: 'ch_old' } })),
    has_more: false,
  });
  const subscriptionParent = { type: 'subscription_details', subscription_details: { subscription: 'sub_1QmonthlyGift' } };

  it("links each payment intent of a subscription's invoice to the subscription", () => {
    const inv = { ...invoice, parent: subscriptionParent, payments: paidBy('pi_3first', null, 'pi_3retry') };
    expect(linksFromInvoice(inv)).toEqual([
      { payment_intent: 'pi_3first', recurring_donation_id: 'sub_1QmonthlyGift' },
      { payment_intent: 'pi_3retry', recurring_donation_id: 'sub_1QmonthlyGift' },
    ]);
    // An expanded subscription or payment intent says the same.
    const expanded = { ...inv, parent: { type: 'subscription_details', subscription_details: { subscription: { id: 'sub_1QmonthlyGift' } } }, payments: { data: [{ payment: { type: 'payment_intent', payment_intent: { id: 'pi_3x' } } }] } };
    expect(linksFromInvoice(expanded)).toEqual([{ payment_intent: 'pi_3x', recurring_donation_id: 'sub_1QmonthlyGift' }]);
  });

  it('links nothing for a quote or one-off invoice, or when payments were not expanded', () => {
    expect(linksFromInvoice({ ...invoice, payments: paidBy('pi_3quote') })).toEqual([]);
    expect(linksFromInvoice({ ...invoice, parent: null, payments: paidBy('pi_3oneoff') })).toEqual([]);
    expect(linksFromInvoice({ ...invoice, parent: subscriptionParent })).toEqual([]);
  });

  it('adds the subscription to a saved link without losing its click or donation, and older links read as none', async () => {
    const values = new Map<string, unknown>();
    const state = {
      getMany: async (keys: readonly string[]) => new Map(keys.flatMap((k) => (values.has(k) ? [[k, structuredClone(values.get(k))] as const] : []))),
      set: async (k: string, v: unknown) => void values.set(k, structuredClone(v)),
    } as unknown as StateStore;
    await saveLinks(state, [{ payment_intent: 'pi_3a', click_id: 'clk-1', donation_id: 'don-1' }]);
    await saveLinks(state, [{ payment_intent: 'pi_3a', recurring_donation_id: 'sub_1Q' }, { payment_intent: 'pi_3b', recurring_donation_id: 'sub_1Q' }]);
    await saveLinks(state, [{ payment_intent: 'pi_3a', click_id: null, donation_id: null }]);
    await state.set('stripe:link:pi_3old', { click_id: 'clk-2', donation_id: null }); // saved before payment v3
    const links = await loadLinks(state, ['pi_3a', 'pi_3b', 'pi_3old']);
    expect(Object.fromEntries(links)).toEqual({
      pi_3a: { click_id: 'clk-1', donation_id: 'don-1', recurring_donation_id: 'sub_1Q' },
      pi_3b: { click_id: null, donation_id: null, recurring_donation_id: 'sub_1Q' },
      pi_3old: { click_id: 'clk-2', donation_id: null },
    });
  });
});

describe('mapEvent', () => {
  const event = (object: unknown, type: string): StripeEvent => ({ ...fixture<StripeEvent>('event.json'), type, data: { object } });

  it('routes by the object type, not the event type', () => {
    // A charge snapshot has no fee, net or payout: known, kept in raw, but no payment (the charges stream's).
    const charge = mapEvent(event(fixture('charge.json'), 'charge.succeeded'));
    expect(charge).toEqual({ mapped: [], known: true, checkoutLink: null });
    expect(valid(mapEvent(event(fixture('dispute.json'), 'charge.dispute.created')).mapped, 'dispute').payment_id).toBe(CHARGE_ID);
    expect(valid(mapEvent(event(fixture('refund.json'), 'charge.refund.updated')).mapped, 'refund').payment_id).toBe(CHARGE_ID);
    expect(valid(mapEvent(event(fixture('payout.json'), 'payout.paid')).mapped, 'payout').payout_id).toBe('po_1Pgc79B7WZ01zgkWu1KToYf4');
    expect(valid(mapEvent(event(fixture('customer.json'), 'customer.created')).mapped, 'supporter').supporter_id).toBe('cus_QXg1o8vcGmoR32');
  });

  it('lands customer.deleted as a deleted supporter as of the event, without the email hash', () => {
    const customer = { ...fixture<StripeCustomer>('customer.json'), email: 'jenny.rosen@example.com' };
    const deleted = { ...event(customer, 'customer.deleted'), created: 1_796_000_000 };
    const p = valid(mapEvent(deleted).mapped, 'supporter');
    expect(mapEvent(deleted).mapped[0]!.version).toBe(2);
    expect(p).toMatchObject({ supporter_id: 'cus_QXg1o8vcGmoR32', deleted: true, email_sha256: null, updated_at: '2026-11-30T00:53:20.000Z' });
    expect(valid(mapEvent(event(customer, 'customer.updated')).mapped, 'supporter')).toMatchObject({ deleted: false, email_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('dates each snapshot by its event, so a late older event never replaces a newer state', () => {
    const dispute = fixture<Record<string, unknown>>('dispute.json');
    const at = (created: number, status: string) =>
      valid(mapEvent({ ...event({ ...dispute, status }, 'charge.dispute.updated'), created }).mapped, 'dispute');
    const older = at(1_796_000_000, 'under_review');
    const newer = at(1_796_000_600, 'won');
    expect(older.updated_at).toBe('2026-11-30T00:53:20.000Z');
    expect(String(newer.updated_at) > String(older.updated_at)).toBe(true);
    expect(valid(mapDispute(dispute as never), 'dispute').updated_at).toBeNull(); // a listed object: no event time
  });

  it('knows checkout sessions (a link, no record) and not plans (the fixture plan.created event)', () => {
    const checkout = mapEvent(event(resource('checkout.session'), 'checkout.session.completed'));
    expect(checkout).toEqual({ mapped: [], known: true, checkoutLink: { payment_intent: 'pi_1PgafyB7WZ01zgkWSjxsAJo3', click_id: null, donation_id: null } });
    expect(mapEvent(fixture<StripeEvent>('event.json'))).toEqual({ mapped: [], known: false, checkoutLink: null });
    expect(mapEvent({ id: 'evt_x', type: 'v2.thin', created: 1, data: null }).known).toBe(false);
  });

  it('knows invoices (no record: the invoices stream reads one with its payments)', () => {
    expect(mapEvent(event(fixture('invoice.json'), 'invoice.paid'))).toEqual({ mapped: [], known: true, checkoutLink: null });
  });
});
