import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import braintree from 'braintree';
import { describe, expect, it } from 'vitest';
import { getContract } from '../../core/contracts/index.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { InvalidAmountError } from '../../core/money.js';
import {
  mapDisbursement,
  mapDispute,
  mapNotification,
  mapTransaction,
  payoutFromItems,
  toDate,
  toIsoTime,
} from './mappings.js';
import type { BraintreeDisbursement, BraintreeDispute, BraintreeNotification, BraintreeTransaction } from './raw.js';

// Real public samples: test/fixtures/braintree (see test/fixtures/SOURCES.md).
const FIXTURES = new URL('../../test/fixtures/braintree/', import.meta.url);
const SEARCH_XML = readFileSync(new URL('search_page_credit_card_transactions.xml', FIXTURES), 'utf8');
const SIGNED = (JSON.parse(readFileSync(new URL('webhooks/signed_samples.json', FIXTURES), 'utf8')) as {
  samples: Record<string, { bt_signature: string; bt_payload: string }>;
}).samples;

const gateway = new braintree.BraintreeGateway({
  environment: braintree.Environment.Sandbox,
  merchantId: 'test_merchant_id',
  publicKey: 'test_public_key',
  privateKey: 'test_private_key',
});

// The SDK's own response path (http.js parseResponse, then gateway.js pagingFunctionGenerator):
// xml2js with its options, Util.convertNodeToObject, then the Transaction class.
const require = createRequire(import.meta.url);
const xml2js = require('xml2js') as { parseStringPromise(xml: string, opts: object): Promise<unknown> };
const { Util } = require('braintree/lib/braintree/util') as { Util: { convertNodeToObject(node: unknown): unknown } };
const { Transaction } = require('braintree/lib/braintree/transaction') as {
  Transaction: new (attributes: unknown, gateway: unknown) => BraintreeTransaction;
};

async function parseSearchPage(xml: string): Promise<BraintreeTransaction[]> {
  const doc = await xml2js.parseStringPromise(xml, { attrkey: '@', charkey: '#', explicitArray: false });
  const page = (Util.convertNodeToObject(doc) as { creditCardTransactions: { transaction: unknown } }).creditCardTransactions;
  const items = Array.isArray(page.transaction) ? page.transaction : [page.transaction];
  return items.map((t) => new Transaction(t, gateway));
}

/** The fixture transaction, with XML edits applied before the SDK parses it. */
async function fixtureTx(edits: [string | RegExp, string][] = []): Promise<BraintreeTransaction> {
  let xml = SEARCH_XML;
  for (const [from, to] of edits) {
    const next = xml.replace(from, to);
    expect(next, `edit ${String(from)}`).not.toBe(xml);
    xml = next;
  }
  const [tx] = await parseSearchPage(xml);
  return tx!;
}

async function notification(kind: string): Promise<BraintreeNotification> {
  const s = SIGNED[kind]!;
  return (await gateway.webhookNotification.parse(s.bt_signature, s.bt_payload)) as unknown as BraintreeNotification;
}

function validate(m: Mapped) {
  return getContract(m.contract, m.version)!.validate(m.payload);
}

/** Asserts every payload validates unchanged (the mapping is already normalised) and returns them by contract. */
function valid(mapped: Mapped[], contracts: string[]): Record<string, unknown>[] {
  expect(mapped.map((m) => m.contract)).toEqual(contracts);
  return mapped.map((m) => {
    const r = validate(m);
    expect(r.errors).toBeNull();
    expect(r.value).toEqual(m.payload);
    return m.payload;
  });
}

// Compile-time: the SDK's typings fit the raw shapes, so the connector can pass SDK objects as they come.
export const sdkFits = (t: braintree.Transaction, d: braintree.Dispute, b: braintree.Disbursement, n: braintree.WebhookNotification): unknown[] => {
  const out: [BraintreeTransaction, BraintreeDispute, BraintreeDisbursement, BraintreeNotification] = [t, d, b, n];
  return out;
};

const SETTLED: [string | RegExp, string][] = [
  ['<status>authorized</status>', '<status>settled</status>'],
  ['<settlement-batch-id nil="true"/>', '<settlement-batch-id>2013-11-21_foo_abc</settlement-batch-id>'],
  [
    '</status-history>',
    `<status-event><timestamp type="datetime">2013-11-20T23:05:40Z</timestamp><status>submitted_for_settlement</status><amount>196.00</amount></status-event>
      <status-event><timestamp type="datetime">2013-11-21T02:10:00Z</timestamp><status>settled</status><amount>196.00</amount></status-event>
    </status-history>`,
  ],
];

function disbursed(date: string, amount: string, currency: string, extra = ''): [RegExp, string] {
  return [
    /<disbursement-details>[\s\S]*<\/disbursement-details>/,
    `<disbursement-details>
      <disbursement-date type="date">${date}</disbursement-date>
      <settlement-amount>${amount}</settlement-amount>
      <settlement-currency-iso-code>${currency}</settlement-currency-iso-code>
      <settlement-currency-exchange-rate>1</settlement-currency-exchange-rate>
      <funds-held type="boolean">false</funds-held>${extra}
    </disbursement-details>`,
  ];
}

describe('mapTransaction on the real search fixture (parsed by the SDK)', () => {
  it('maps the authorized sale to one payment: money, currency, times, no invented links', async () => {
    const tx = await fixtureTx();
    expect(tx.amount).toBe('196.00'); // the SDK leaves amounts as strings
    const [p] = valid(mapTransaction(tx), ['payment']);
    expect(p).toEqual({
      payment_id: '4wdkfr',
      occurred_at: '2013-11-20T23:05:38.000Z',
      updated_at: '2013-11-20T23:05:39.000Z',
      provider: 'braintree',
      status: 'authorized',
      amount_minor: 19600,
      currency: 'USD',
      fee_minor: null,
      net_minor: null,
      donation_id: null,
      click_id: null,
      supporter_id: null,
      payout_id: null,
      settlement_batch_id: null,
      settled_at: null,
      available_on: null,
      failure_code: null,
      payment_intent_id: null,
      recurring_donation_id: null,
      card_brand: 'visa',
      card_last4: '1111',
    });
  });

  it('gives payment v3: a sale a subscription made carries its id as recurring_donation_id, a one-off sale null', async () => {
    const oneOff = mapTransaction(await fixtureTx());
    expect(oneOff.map((m) => [m.contract, m.version])).toEqual([['payment', 4]]);
    expect(valid(oneOff, ['payment'])[0]!.recurring_donation_id).toBeNull();
    const tx = await fixtureTx([['<subscription-id nil="true"/>', '<subscription-id>monthly_gift_7</subscription-id>']]);
    expect(tx.subscriptionId).toBe('monthly_gift_7');
    const instalment = mapTransaction(tx);
    expect(instalment.map((m) => [m.contract, m.version])).toEqual([['payment', 4]]);
    expect(valid(instalment, ['payment'])[0]).toMatchObject({ payment_id: '4wdkfr', recurring_donation_id: 'monthly_gift_7', payment_intent_id: null });
    // The id as text without surrounding spaces; empty or blank is no subscription.
    expect(mapTransaction({ ...tx, subscriptionId: ' monthly_gift_7\n' })[0]!.payload.recurring_donation_id).toBe('monthly_gift_7');
    for (const blank of ['', '  ', null]) expect(mapTransaction({ ...tx, subscriptionId: blank })[0]!.payload.recurring_donation_id).toBeNull();
  });

  it("never carries the customer, or more of the card than its brand and last four, into the payload", async () => {
    const text = JSON.stringify(mapTransaction(await fixtureTx()));
    for (const s of ['Erik', '411111', 'R6CW4Y', '"05"', '2014']) expect(text).not.toContain(s);
  });

  it("names the card as Stripe does (payment v4): Braintree's card types, a wallet's card, and null for no card or a value of another form", async () => {
    const tx = await fixtureTx([['<card-type>Visa</card-type>', '<card-type>MasterCard</card-type>'], ['<last-4>1111</last-4>', '<last-4>4444</last-4>']]);
    expect(tx.creditCard?.cardType).toBe('MasterCard'); // as the SDK parses it
    const card = (t: object) => { const p = valid(mapTransaction(t as never), ['payment'])[0]!; return [p.card_brand, p.card_last4]; };
    expect(card(tx)).toEqual(['mastercard', '4444']);
    for (const [type, brand] of [['American Express', 'amex'], ['UK Maestro', 'maestro'], ['Diners Club', 'diners'], ['JCB', 'jcb'], ['China UnionPay', 'unionpay'], ['Unknown', null]] as const) {
      expect(card({ ...tx, creditCard: { cardType: type, last4: '0005' } })).toEqual([brand, '0005']);
    }
    // PayPal: an empty credit-card; Apple Pay and Google Pay name the card in their own elements.
    const paypal = { ...tx, creditCard: { cardType: null, last4: null } };
    expect(card(paypal)).toEqual([null, null]);
    expect(card({ ...paypal, applePayCard: { cardType: 'Apple Pay - American Express', last4: '1234' } })).toEqual(['amex', '1234']);
    expect(card({ ...paypal, androidPayCard: { sourceCardType: 'Visa', sourceCardLast4: '1881' } })).toEqual(['visa', '1881']);
    // Not four digits: left out, and the sale still lands.
    expect(card({ ...tx, creditCard: { cardType: 'Visa', last4: '41111111' } })).toEqual(['visa', null]);
  });

  it('reads donation_id from order_id, or from the configured custom field (camelCased by the SDK)', async () => {
    const tx = await fixtureTx([
      ['<order-id nil="true"/>', '<order-id>don-42</order-id>'],
      [/<custom-fields>\s*<\/custom-fields>/, '<custom-fields><donation-id>don-77</donation-id><gift_ref>G-9</gift_ref></custom-fields>'],
      ['<id nil="true"/>', '<id>cust-5</id>'],
    ]);
    expect(tx.customFields).toEqual({ donationId: 'don-77', giftRef: 'G-9' });
    expect(valid(mapTransaction(tx), ['payment'])[0]).toMatchObject({ donation_id: 'don-42', supporter_id: 'cust-5' });
    expect(valid(mapTransaction(tx, { donationIdField: 'donation_id' }), ['payment'])[0]!.donation_id).toBe('don-77');
    expect(valid(mapTransaction(tx, { donationIdField: 'gift_ref' }), ['payment'])[0]!.donation_id).toBe('G-9');
    // A configured field that this transaction lacks falls back to order_id.
    expect(valid(mapTransaction(tx, { donationIdField: 'absent' }), ['payment'])[0]!.donation_id).toBe('don-42');
  });

  it('a settled version carries the batch and settled_at, and moves updated_at to the last status change', async () => {
    const [p] = valid(mapTransaction(await fixtureTx(SETTLED)), ['payment']);
    expect(p).toMatchObject({
      status: 'settled',
      settlement_batch_id: '2013-11-21_foo_abc',
      settled_at: '2013-11-21T02:10:00.000Z',
      // updated-at still says 2013-11-20T23:05:39Z: the status history is later.
      updated_at: '2013-11-21T02:10:00.000Z',
      payout_id: null,
    });
  });

  it('a disbursed version gives the payment and its payout_item, and supersedes the settled version', async () => {
    const settled = valid(mapTransaction(await fixtureTx(SETTLED)), ['payment'])[0]!;
    const tx = await fixtureTx([...SETTLED, disbursed('2013-11-23', '196.00', 'USD')]);
    // Disbursement does not bump updated-at: the XML still says 2013-11-20T23:05:39Z.
    expect(toIsoTime(tx.updatedAt)).toBe('2013-11-20T23:05:39.000Z');
    const [payment, item] = valid(mapTransaction(tx), ['payment', 'payout_item']);
    expect(payment).toMatchObject({ payment_id: '4wdkfr', payout_id: 'foo:2013-11-23', updated_at: '2013-11-23T00:00:00.000Z' });
    expect(Date.parse(payment!.updated_at as string)).toBeGreaterThan(Date.parse(settled.updated_at as string));
    expect(item).toEqual({
      payout_item_id: 'foo:2013-11-23:4wdkfr',
      occurred_at: '2013-11-23T00:00:00.000Z',
      updated_at: null,
      provider: 'braintree',
      payout_id: 'foo:2013-11-23',
      payment_id: '4wdkfr',
      type: 'sale',
      amount_minor: 19600,
      fee_minor: null,
      net_minor: null,
      currency: 'USD',
    });
  });

  it('the payout_item is in the settlement currency when the merchant account converts', async () => {
    const tx = await fixtureTx([...SETTLED, disbursed('2013-11-23', '150.25', 'GBP')]);
    const [payment, item] = valid(mapTransaction(tx), ['payment', 'payout_item']);
    expect(payment).toMatchObject({ amount_minor: 19600, currency: 'USD' });
    expect(item).toMatchObject({ amount_minor: 15025, currency: 'GBP' });
  });

  it('held or failed disbursements give no payout_item and no payout link', async () => {
    const held = await fixtureTx([...SETTLED, [/<disbursement-details>[\s\S]*<\/disbursement-details>/, '<disbursement-details><disbursement-date type="date">2013-11-23</disbursement-date><funds-held type="boolean">true</funds-held></disbursement-details>']]);
    expect(valid(mapTransaction(held), ['payment'])[0]!.payout_id).toBeNull();
    const failed = await fixtureTx([...SETTLED, disbursed('2013-11-23', '196.00', 'USD', '<success type="boolean">false</success>')]);
    expect(valid(mapTransaction(failed), ['payment'])[0]).toMatchObject({ payout_id: null, updated_at: '2013-11-21T02:10:00.000Z' });
  });

  it('a credit is a refund of its sale; once disbursed its payout_item is negative', async () => {
    const tx = await fixtureTx([
      ['<id>4wdkfr</id>', '<id>rf7x</id>'],
      ['<type>sale</type>', '<type>credit</type>'],
      ['<amount>196.00</amount>', '<amount>50.00</amount>'],
      ['<refunded-transaction-id nil="true"/>', '<refunded-transaction-id>4wdkfr</refunded-transaction-id>'],
      ...SETTLED,
      disbursed('2013-11-25', '50.00', 'USD'),
    ]);
    const [refund, item] = valid(mapTransaction(tx), ['refund', 'payout_item']);
    expect(refund).toEqual({
      refund_id: 'rf7x',
      occurred_at: '2013-11-20T23:05:38.000Z',
      updated_at: '2013-11-25T00:00:00.000Z',
      provider: 'braintree',
      payment_id: '4wdkfr',
      status: 'settled',
      amount_minor: 5000,
      currency: 'USD',
      reason: null,
    });
    expect(item).toMatchObject({ payout_item_id: 'foo:2013-11-25:rf7x', payment_id: '4wdkfr', type: 'refund', amount_minor: -5000 });
    // A refund of a subscription's charge is still refund v1: the subscription is the sale's.
    expect(mapTransaction({ ...tx, subscriptionId: 'monthly_gift_7' })).toEqual(mapTransaction(tx));
    expect(mapTransaction(tx).map((m) => [m.contract, m.version])).toEqual([['refund', 1], ['payout_item', 1]]);
    // Reported negative already, it stays negative once.
    const neg = await fixtureTx([['<type>sale</type>', '<type>credit</type>'], disbursed('2013-11-25', '-50.00', 'USD')]);
    expect(mapTransaction(neg)[1]!.payload.amount_minor).toBe(-5000);
  });

  it('converts zero- and three-decimal currencies by their exponent, fee included', async () => {
    const jpy = await fixtureTx([
      ['<currency-iso-code>USD</currency-iso-code>', '<currency-iso-code>JPY</currency-iso-code>'],
      ['<amount>196.00</amount>', '<amount>2500</amount>'],
      ['<service-fee-amount nil="true"/>', '<service-fee-amount>75</service-fee-amount>'],
    ]);
    expect(valid(mapTransaction(jpy), ['payment'])[0]).toMatchObject({ amount_minor: 2500, currency: 'JPY', fee_minor: 75 });
    const kwd = await fixtureTx([
      ['<currency-iso-code>USD</currency-iso-code>', '<currency-iso-code>KWD</currency-iso-code>'],
      ['<amount>196.00</amount>', '<amount>2.500</amount>'],
    ]);
    expect(valid(mapTransaction(kwd), ['payment'])[0]).toMatchObject({ amount_minor: 2500, currency: 'KWD' });
  });

  it('throws a record error on an amount that is not exact money, rather than rounding it', async () => {
    const tx = await fixtureTx([['<amount>196.00</amount>', '<amount>196.005</amount>']]);
    expect(() => mapTransaction(tx)).toThrow(InvalidAmountError);
  });

  it('takes Date objects as well as strings for every time', () => {
    const tx: BraintreeTransaction = {
      id: 'd1',
      type: 'sale',
      status: 'settled',
      amount: '10.00',
      currencyIsoCode: 'EUR',
      merchantAccountId: 'eur_acct',
      createdAt: new Date('2024-03-01T10:00:00Z'),
      updatedAt: new Date('2024-03-01T11:00:00Z'),
      statusHistory: [{ status: 'settled', timestamp: new Date('2024-03-02T01:00:00Z') }],
      disbursementDetails: { disbursementDate: new Date('2024-03-04T00:00:00Z'), settlementAmount: '10.00', settlementCurrencyIsoCode: 'EUR', success: true },
    };
    const [p, item] = valid(mapTransaction(tx), ['payment', 'payout_item']);
    expect(p).toMatchObject({ occurred_at: '2024-03-01T10:00:00.000Z', settled_at: '2024-03-02T01:00:00.000Z', updated_at: '2024-03-04T00:00:00.000Z', payout_id: 'eur_acct:2024-03-04' });
    expect(item!.payout_id).toBe('eur_acct:2024-03-04');
    expect(toDate('2013-07-09T18:23:29Z')).toBe('2013-07-09');
    expect(toIsoTime('2013-11-20T23:05:38')).toBe('2013-11-20T23:05:38'); // no zone: left for validation to refuse
  });
});

describe('mapDispute, mapDisbursement, payoutFromItems', () => {
  it('maps the fixture disputes: disputed amount, lower-case status, received date as midnight UTC', async () => {
    for (const [kind, status] of [['dispute_opened', 'open'], ['dispute_won', 'won'], ['dispute_lost', 'lost']] as const) {
      const n = await notification(kind);
      const [d] = valid(mapDispute(n.dispute!), ['dispute']);
      expect(d).toEqual({
        dispute_id: `sample_id_${kind}`,
        occurred_at: '2014-03-01T00:00:00.000Z',
        updated_at: null,
        provider: 'braintree',
        payment_id: `sample_id_${kind}`,
        status,
        amount_minor: 25000, // amount-disputed "250.0": one decimal, still exact
        currency: 'USD',
        reason: 'fraud',
        effective_date: null,
      });
    }
  });

  it("gives a payout item for each day a disbursement moved the disputed amount: the chargeback's withdrawal, a win's return", () => {
    const d: BraintreeDispute = {
      id: 'dp2',
      amountDisputed: '12.50',
      currencyIsoCode: 'GBP',
      status: 'won',
      receivedDate: '2024-05-01',
      merchantAccountId: 'charity_gbp',
      transaction: { id: 'tx9' },
      statusHistory: [
        { status: 'open', timestamp: '2024-05-01T09:00:00Z', effectiveDate: '2024-05-01', disbursementDate: '2024-05-03' },
        { status: 'won', timestamp: '2024-05-20T09:00:00Z', effectiveDate: '2024-05-20', disbursementDate: '2024-05-22' },
        // An event that moved nothing (evidence sent, say) gives no item.
        { status: 'under_review', timestamp: '2024-05-10T09:00:00Z', effectiveDate: '2024-05-10' },
      ],
    };
    const [, out, back] = valid(mapDispute(d), ['dispute', 'payout_item', 'payout_item']);
    expect(out).toEqual({
      payout_item_id: 'charity_gbp:2024-05-03:dp2', occurred_at: '2024-05-03T00:00:00.000Z', updated_at: null, provider: 'braintree',
      payout_id: 'charity_gbp:2024-05-03', payment_id: 'tx9', type: 'dispute', amount_minor: -1250, fee_minor: null, net_minor: null, currency: 'GBP',
    });
    expect(back).toMatchObject({ payout_item_id: 'charity_gbp:2024-05-22:dp2:won', payout_id: 'charity_gbp:2024-05-22', type: 'dispute_reversal', amount_minor: 1250 });
    // Without a merchant account no payout can be named: the dispute alone.
    valid(mapDispute({ ...d, merchantAccountId: undefined }), ['dispute']);
  });

  it('takes the effective date and last change from the status history, and lower-cases typings-style statuses', () => {
    const d: BraintreeDispute = {
      id: 'dp1',
      amountDisputed: '12.50',
      currencyIsoCode: 'GBP',
      status: 'Won',
      receivedDate: '2024-05-01',
      statusHistory: [
        { status: 'open', timestamp: '2024-05-01T09:00:00Z', effectiveDate: '2024-05-01' },
        { status: 'won', timestamp: '2024-06-10T12:00:00Z', effectiveDate: '2024-06-10' },
      ],
      transaction: { id: 'tx9', amount: '12.50' },
    };
    expect(valid(mapDispute(d), ['dispute'])[0]).toMatchObject({ status: 'won', amount_minor: 1250, effective_date: '2024-06-10', updated_at: '2024-06-10T12:00:00.000Z' });
  });

  it('maps the fixture disbursement to a payout keyed by merchant account and day', async () => {
    const n = await notification('disbursement');
    const [p] = valid(mapDisbursement(n.disbursement!), ['payout']);
    expect(p).toEqual({
      payout_id: 'merchant_account_token:2014-02-10',
      occurred_at: '2014-02-10T00:00:00.000Z',
      updated_at: null,
      provider: 'braintree',
      status: 'paid',
      amount_minor: 10000,
      currency: 'USD',
      arrival_date: '2014-02-10',
      bank_reference: null,
      merchant_account: 'merchant_account_token',
    });
    const failed = mapDisbursement({ ...n.disbursement!, success: false })[0]!.payload;
    expect(failed.status).toBe('failed');
    const debit = mapDisbursement({ ...n.disbursement!, disbursementType: 'debit' })[0]!.payload;
    expect(debit.amount_minor).toBe(-10000);
  });

  it("dates the notification's disbursement by the notification, so Braintree's total outranks a swept sum", async () => {
    const n = await notification('disbursement');
    const [fromWebhook] = mapNotification(n).mapped;
    expect(fromWebhook!.payload.updated_at).toBe(toIsoTime(n.timestamp));
    const swept = payoutFromItems('merchant_account_token', '2014-02-10', [
      { contract: 'payout_item', version: 1, payload: { payout_id: 'merchant_account_token:2014-02-10', amount_minor: 9_000, currency: 'USD' } },
    ])[0]!.payload;
    // The views order versions by updated_at, else occurred_at: the gateway's own total is the later one.
    expect(String(fromWebhook!.payload.updated_at) > String(swept.updated_at ?? swept.occurred_at)).toBe(true);
  });

  it('sums payout items into their payout, ignoring other payouts, and refuses mixed currencies', async () => {
    const sale = mapTransaction(await fixtureTx([...SETTLED, disbursed('2013-11-23', '196.00', 'USD')]));
    const refund = mapTransaction(
      await fixtureTx([['<id>4wdkfr</id>', '<id>rf7x</id>'], ['<type>sale</type>', '<type>credit</type>'], ['<refunded-transaction-id nil="true"/>', '<refunded-transaction-id>4wdkfr</refunded-transaction-id>'], disbursed('2013-11-23', '20.00', 'USD')]),
    );
    const otherDay = mapTransaction(await fixtureTx([['<id>4wdkfr</id>', '<id>zz1</id>'], disbursed('2013-11-24', '5.00', 'USD')]));
    const all = [...sale, ...refund, ...otherDay];
    const [p] = valid(payoutFromItems('foo', '2013-11-23', all), ['payout']);
    expect(p).toMatchObject({ payout_id: 'foo:2013-11-23', amount_minor: 19600 - 2000, currency: 'USD', status: 'paid', arrival_date: '2013-11-23', merchant_account: 'foo' });
    expect(payoutFromItems('foo', '2013-11-30', all)).toEqual([]);
    const gbp = mapTransaction(await fixtureTx([['<id>4wdkfr</id>', '<id>gb1</id>'], disbursed('2013-11-23', '5.00', 'GBP')]));
    expect(() => payoutFromItems('foo', '2013-11-23', [...all, ...gbp])).toThrow(/2 currencies/);
  });
});

describe('mapNotification on the fixture webhooks (verified and parsed by the SDK)', () => {
  it('knows the money kinds and leaves the rest to raw', async () => {
    const known = Object.fromEntries(await Promise.all(Object.keys(SIGNED).map(async (k) => [k, mapNotification(await notification(k)).known])));
    expect(known).toEqual({
      disbursement: true,
      transaction_settled: true,
      transaction_disbursed: true,
      transaction_settlement_declined: true,
      subscription_charged_successfully: true,
      subscription_charged_unsuccessfully: true,
      subscription_canceled: false,
      subscription_went_past_due: false,
      dispute_opened: true,
      dispute_won: true,
      dispute_lost: true,
      refund_failed: true,
      check: false,
    });
  });

  it('maps complete subjects cleanly and shows exactly what the stub samples lack', async () => {
    const errors = async (kind: string) =>
      mapNotification(await notification(kind)).mapped.map((m) => ({ contract: m.contract, errors: validate(m).errors?.map((e) => e.path) ?? null }));
    expect(await errors('disbursement')).toEqual([{ contract: 'payout', errors: null }]);
    expect(await errors('dispute_opened')).toEqual([{ contract: 'dispute', errors: null }]);
    // The SDK's samples are stubs: a real notification carries the whole transaction (created-at, currency, ...).
    expect(await errors('transaction_settled')).toEqual([{ contract: 'payment', errors: ['payload.occurred_at'] }]);
    expect(await errors('subscription_charged_successfully')).toEqual([
      { contract: 'payment', errors: ['payload.occurred_at', 'payload.amount_minor', 'payload.currency'] },
    ]);
    expect(await errors('refund_failed')).toEqual([
      { contract: 'refund', errors: ['payload.occurred_at', 'payload.payment_id', 'payload.amount_minor', 'payload.currency'] },
    ]);
    // Disbursed (a datetime here, a date in the API), but without the account or settlement amount.
    expect(await errors('transaction_disbursed')).toEqual([
      { contract: 'payment', errors: ['payload.occurred_at', 'payload.status', 'payload.amount_minor', 'payload.currency'] },
      { contract: 'payout_item', errors: ['payload.payout_item_id', 'payload.payout_id', 'payload.amount_minor', 'payload.currency'] },
    ]);
  });

  it("gives a subscription charge's transactions the subscription's id when they do not carry their own", async () => {
    const n = await notification('subscription_charged_successfully');
    // The sample's transaction has no subscription-id; the subscription around it has its id.
    expect(n.subscription!.id).toBe('sample_id_subscription_charged_successfully');
    expect(n.subscription!.transactions![0]!.subscriptionId).toBeUndefined();
    const mapped = mapNotification(n).mapped;
    expect(mapped.map((m) => [m.contract, m.version])).toEqual([['payment', 4]]);
    expect(mapped[0]!.payload).toMatchObject({ payment_id: 'sample_id_subscription_charged_successfully', recurring_donation_id: 'sample_id_subscription_charged_successfully' });
    // A transaction that names its subscription keeps it; the notification's object is left as it was.
    const own = { ...n.subscription!.transactions![0]!, subscriptionId: 'sub_own' };
    const withOwn = mapNotification({ ...n, subscription: { ...n.subscription!, transactions: [own, n.subscription!.transactions![0]!] } }).mapped;
    expect(withOwn.map((m) => m.payload.recurring_donation_id)).toEqual(['sub_own', 'sample_id_subscription_charged_successfully']);
    expect(n.subscription!.transactions![0]!.subscriptionId).toBeUndefined();
    // Other transaction notifications have no subscription to fall back on.
    expect(mapNotification(await notification('transaction_settled')).mapped[0]!.payload.recurring_donation_id).toBeNull();
  });

  it('keeps the sample values it has: ids, status, money where the currency is known', async () => {
    const settled = mapNotification(await notification('transaction_settled')).mapped[0]!.payload;
    expect(settled).toMatchObject({ payment_id: 'sample_id_transaction_settled', status: 'settled', amount_minor: 10000, currency: 'USD' });
    const declined = mapNotification(await notification('transaction_settlement_declined')).mapped[0]!.payload;
    expect(declined).toMatchObject({ payment_id: 'sample_id_transaction_settlement_declined', status: 'settlement_declined' });
    const failed = mapNotification(await notification('subscription_charged_unsuccessfully')).mapped[0]!.payload;
    expect(failed).toMatchObject({ payment_id: 'sample_id_subscription_charged_unsuccessfully', status: 'failed', recurring_donation_id: 'sample_id_subscription_charged_unsuccessfully' });
    const refund = mapNotification(await notification('refund_failed')).mapped[0]!.payload;
    expect(refund).toMatchObject({ refund_id: 'sample_id_refund_failed', status: 'processor_declined' });
    const payment = mapNotification(await notification('transaction_disbursed')).mapped[0]!.payload;
    expect(payment).toMatchObject({ payment_id: 'sample_id_transaction_disbursed', updated_at: '2013-07-09T00:00:00.000Z' });
    // The sample's card number and account holder never reach a payload.
    const all = JSON.stringify(await Promise.all(Object.keys(SIGNED).map(async (k) => mapNotification(await notification(k)).mapped)));
    for (const s of ['1234560000001234', 'Dan Schulman', '123456789']) expect(all).not.toContain(s);
  });
});
