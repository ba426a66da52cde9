import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { createBraintreeGateway } from '../connectors/braintree/client.js';
import { sandboxGateway } from '../connectors/braintree/sandbox/test-gateway.js';
import { braintreeHarness, BT_NOW } from './support/braintree-harness.js';

type H = Awaited<ReturnType<typeof braintreeHarness>>;
const byStream = <T extends { stream: string }>(results: T[], name: string) => results.find((r) => r.stream === name)!;
const DAY = 86_400_000;

describe('Braintree connector against the sandbox: backfill, sweeps and late changes', () => {
  let h: H;
  let chargeback = '';
  beforeAll(async () => {
    h = await braintreeHarness();
  });
  afterAll(() => h.close());

  it('backfills transactions across many pages of ids, with exact money and links', async () => {
    const results = await h.sync();
    expect(results.map((r) => [r.stream, r.outcome])).toEqual(results.map((r) => [r.stream, 'succeeded']));
    await h.land();
    const sales = h.sandbox.data.transactions.filter((t) => t.type === 'sale');
    const credits = h.sandbox.data.transactions.filter((t) => t.type === 'credit');
    expect(sales.length).toBeGreaterThan(100);
    // page size 10: many second-step requests, one ids search per day window
    expect(byStream(results, 'transactions').requests).toBeGreaterThan(sales.length / 10);
    const [p] = await h.q(`SELECT count(*) AS n, sum(amount_minor) AS amount FROM payment WHERE provider = 'braintree'`);
    expect(p).toEqual({ n: sales.length, amount: sales.reduce((s, t) => s + t.amount_minor, 0) });
    const [r] = await h.q(`SELECT count(*) AS n FROM refund WHERE provider = 'braintree'`);
    expect(r!.n).toBe(credits.length);
    const settled = sales.find((t) => t.settlement_batch_id)!;
    const [row] = await h.q(`SELECT donation_id, settlement_batch_id, currency, status FROM payment WHERE payment_id = '${settled.id}'`);
    expect(row).toEqual({ donation_id: settled.order_id, settlement_batch_id: settled.settlement_batch_id, currency: 'GBP', status: settled.status });
    // Each sale's card as the gateway's XML gave it (<card-type>, <last-4>), its type named as Stripe names brands.
    const brands: Record<string, string> = { Visa: 'visa', MasterCard: 'mastercard', 'American Express': 'amex' };
    const cards = await h.q(`SELECT payment_id, card_brand, card_last4 FROM payment WHERE provider = 'braintree' ORDER BY payment_id`);
    expect(cards).toEqual(sales.map((t) => ({ payment_id: t.id, card_brand: brands[t.card_type], card_last4: t.card_last_4 })).sort((a, b) => (a.payment_id < b.payment_id ? -1 : 1)));
    expect(new Set(cards.map((c) => c.card_brand))).toEqual(new Set(Object.values(brands)));

    // control totals: the settlement summaries equal what the payments say was settled that day
    const summaries = await h.q(`SELECT settlement_date, sum(amount_minor) AS amount FROM settlement_summary WHERE kind = 'sale' GROUP BY ALL`);
    expect(summaries.length).toBeGreaterThan(0);
    for (const s of summaries) {
      const [pay] = await h.q(
        `SELECT sum(amount_minor) AS amount FROM payment WHERE provider = 'braintree' AND settlement_batch_id LIKE '${s.settlement_date}_%'`,
      );
      expect(pay!.amount).toBe(s.amount);
    }
  });

  it('picks up disbursement, which does not change updated_at, through the disbursement-date sweep', async () => {
    // A chargeback now: the disbursement two days on withdraws it.
    const charged = h.sandbox.data.transactions.filter((t) => t.type === 'sale' && t.status === 'settled' && t.dispute_ids.length === 0 && t.refund_ids.length === 0).at(-1)!;
    chargeback = h.sandbox.openDispute(charged.id).id;
    h.clock.set(new Date(BT_NOW.getTime() + 3 * DAY));
    const disbursed = h.sandbox.data.transactions.filter((t) => t.disbursement_details);
    expect(disbursed.length).toBeGreaterThan(0);
    const results = await h.sync();
    expect(byStream(results, 'disbursements').outcome).toBe('succeeded');
    await h.land();
    // Some disbursements withdrew a chargeback: their payout is the gateway's own amount (the bank line's), its
    // items the day's transactions and disputes. Until 2026-12-03 the disputes were left out, and such a payout
    // summed to more than the money that reached the bank.
    expect(h.sandbox.data.disbursements.filter((d) => d.dispute_ids.length > 0).length).toBeGreaterThan(0);
    for (const d of h.sandbox.data.disbursements) {
      const id = `${d.merchant_account_id}:${d.disbursement_date}`;
      const [po] = await h.q(`SELECT amount_minor FROM payout WHERE payout_id = '${id}'`);
      const [items] = await h.q(`SELECT sum(amount_minor) AS total, count(*) AS n, count(*) FILTER (WHERE type = 'dispute') AS disputes FROM payout_item WHERE payout_id = '${id}'`);
      expect(po!.amount_minor).toBe(d.amount_minor);
      expect(items!.total).toBe(d.amount_minor);
      expect([items!.n, items!.disputes]).toEqual([d.transaction_ids.length + d.dispute_ids.length, d.dispute_ids.length]);
    }
    const withDispute = h.sandbox.data.disbursements.find((d) => d.dispute_ids.length > 0)!;
    const disputeId = withDispute.dispute_ids[0]!;
    const dispute = h.sandbox.data.disputes.find((x) => x.id === disputeId)!;
    expect(await h.q(`SELECT payout_item_id, payment_id, amount_minor FROM payout_item WHERE type = 'dispute' AND payout_item_id LIKE '%:${disputeId}'`)).toEqual([
      { payout_item_id: `${withDispute.merchant_account_id}:${withDispute.disbursement_date}:${disputeId}`, payment_id: dispute.transaction.id, amount_minor: -dispute.amount_minor },
    ]);
    const t = disbursed[0]!;
    const [pay] = await h.q(`SELECT payout_id FROM payment WHERE payment_id = '${t.id}'`);
    expect(pay!.payout_id).toBe(`${t.merchant_account_id}:${t.disbursement_details!.disbursement_date}`);
  });

  it('picks up a dispute opened later, by effective date', async () => {
    const target = h.sandbox.data.transactions.find((t) => t.type === 'sale' && t.status === 'settled')!;
    const dispute = h.sandbox.openDispute(target.id);
    h.clock.advance(60 * 60_000);
    const results = await h.sync({ streams: ['disputes'] });
    expect(results[0]!.outcome).toBe('succeeded');
    await h.land();
    expect(await h.q(`SELECT payment_id, status FROM dispute WHERE dispute_id = '${dispute.id}'`)).toEqual([{ payment_id: target.id, status: 'open' }]);
  });

  it("sweeps a won dispute's return into the payout of the day it came back, and leaves the withdrawal's day as it was", async () => {
    const withdrawn = h.sandbox.data.disbursements.find((d) => d.dispute_ids.includes(chargeback))!;
    const withdrawnId = `${withdrawn.merchant_account_id}:${withdrawn.disbursement_date}`;
    h.clock.set(new Date(BT_NOW.getTime() + 10 * DAY));
    const won = h.sandbox.winDispute(chargeback);
    h.clock.set(new Date(BT_NOW.getTime() + 13 * DAY));
    expect(byStream(await h.sync({ streams: ['disbursements', 'disputes'] }), 'disbursements').outcome).toBe('succeeded');
    await h.land();
    const returned = h.sandbox.data.disbursements.find((d) => d.disbursement_date > withdrawn.disbursement_date && d.dispute_ids.includes(chargeback))!;
    const returnedId = `${returned.merchant_account_id}:${returned.disbursement_date}`;
    expect(await h.q(`SELECT payout_item_id, payout_id, type, amount_minor FROM payout_item WHERE payout_item_id LIKE '%:${chargeback}%' ORDER BY payout_item_id`)).toEqual([
      { payout_item_id: `${withdrawnId}:${chargeback}`, payout_id: withdrawnId, type: 'dispute', amount_minor: -won.amount_minor },
      { payout_item_id: `${returnedId}:${chargeback}:won`, payout_id: returnedId, type: 'dispute_reversal', amount_minor: won.amount_minor },
    ]);
    expect(await h.q(`SELECT amount_minor FROM payout WHERE payout_id = '${returnedId}'`)).toEqual([{ amount_minor: returned.amount_minor }]);
    // The return's day found the dispute, which also names the withdrawal's day: that day's payout was not
    // summed again from the dispute alone (one amount ever landed for it, the gateway's).
    expect(await h.q(`SELECT DISTINCT amount_minor FROM payout_history WHERE payout_id = '${withdrawnId}'`)).toEqual([{ amount_minor: withdrawn.amount_minor }]);
    expect(await h.q(`SELECT status FROM dispute WHERE dispute_id = '${chargeback}'`)).toEqual([{ status: 'won' }]);
  });
});

describe('Braintree connector against the sandbox: a sale voided after it was synced', () => {
  let h: H;
  beforeAll(async () => {
    h = await braintreeHarness();
  });
  afterAll(() => h.close());

  it('picks up the void, which no created_at or settled_at search finds, through the status-change sweep', async () => {
    const backfill = await h.sync();
    expect(byStream(backfill, 'status_changes').outcome).toBe('succeeded');
    // The scenario's sales have all settled by now: sell a few more, and sync them as submitted_for_settlement.
    h.clock.advance(10 * 60_000);
    const sale = h.sandbox.addTransactions(3).find((t) => t.status === 'submitted_for_settlement')!;
    h.clock.advance(10 * 60_000);
    await h.sync();
    await h.land();
    const payment = (id: string) => h.q(`SELECT status, updated_at FROM payment WHERE payment_id = '${id}'`);
    const versions = (id: string) => h.q(`SELECT status, updated_at FROM payment_history WHERE payment_id = '${id}' ORDER BY updated_at`);
    const createdAt = new Date(sale.created_at).toISOString();
    expect(await payment(sale.id)).toEqual([{ status: 'submitted_for_settlement', updated_at: createdAt }]);

    // A run two hours on moves the created_at lookback past the sale, so only the new stream can see the void.
    h.clock.advance(2 * 60 * 60_000);
    await h.sync();
    h.clock.advance(5 * 60_000);
    const voided = h.sandbox.voidTransaction(sale.id);
    const voidedAt = new Date(voided.updated_at).toISOString();
    expect(voidedAt).toBe('2026-11-29T14:25:00.000Z');
    h.clock.advance(5 * 60_000);
    const results = await h.sync();
    expect(byStream(results, 'status_changes')).toMatchObject({ outcome: 'succeeded', records: 1 });
    await h.land();
    expect(await payment(sale.id)).toEqual([{ status: 'voided', updated_at: voidedAt }]);
    const history = [
      { status: 'submitted_for_settlement', updated_at: createdAt },
      { status: 'voided', updated_at: voidedAt },
    ];
    expect(await versions(sale.id)).toEqual(history);

    // The next run re-reads the void in its lookback: the same version, not a new one. It never settles.
    h.clock.advance(DAY);
    const again = await h.sync();
    expect(byStream(again, 'status_changes').outcome).toBe('succeeded');
    await h.land();
    expect(await versions(sale.id)).toEqual(history);
    // Each re-read is the same envelope (same id), which the lake keeps once.
    const [raw] = await h.q(`SELECT count(DISTINCT id) AS versions, count(*) AS deliveries FROM raw WHERE stream = 'status_changes' AND key = '${sale.id}'`);
    expect(raw).toEqual({ versions: 1, deliveries: 2 });
    const voidedFrom = await h.q(`SELECT DISTINCT stream FROM raw WHERE key = '${sale.id}' AND envelope LIKE '%"status":"voided"%'`);
    expect(voidedFrom).toEqual([{ stream: 'status_changes' }]);
    expect(h.sandbox.data.transaction(sale.id)).toMatchObject({ status: 'voided', settlement_batch_id: null });
  });
});

describe("Braintree connector against the sandbox: a subscription's instalments", () => {
  let h: H;
  beforeAll(async () => {
    h = await braintreeHarness({ scenario: { seed: 24, donations: 200 } });
  });
  afterAll(() => h.close());

  it('lands each charge a subscription made with the subscription id as recurring_donation_id, a one-off sale with none', async () => {
    h.clock.advance(5 * 60_000);
    const instalments = h.sandbox.addTransactions(2, { subscriptionId: 'monthly_gift_7' });
    const [oneOff] = h.sandbox.addTransactions(1);
    // The gateway's wire carries it as <subscription-id>, which the SDK reads as subscriptionId.
    expect(await sandboxGateway(h.sandbox).transaction.find(instalments[0]!.id)).toMatchObject({ subscriptionId: 'monthly_gift_7', recurring: true });
    h.clock.advance(10 * 60_000);
    const [r] = await h.sync({ streams: ['transactions'], from: BT_NOW, to: h.clock.now() });
    expect(r).toMatchObject({ outcome: 'succeeded', records: 3 });
    await h.land();
    const expected = [
      ...instalments.map((t) => ({ payment_id: t.id, recurring_donation_id: 'monthly_gift_7' })),
      { payment_id: oneOff!.id, recurring_donation_id: null },
    ].sort((a, b) => (a.payment_id < b.payment_id ? -1 : 1));
    const ids = expected.map((e) => `'${e.payment_id}'`).join(', ');
    expect(await h.q(`SELECT payment_id, recurring_donation_id FROM payment WHERE payment_id IN (${ids}) ORDER BY payment_id`)).toEqual(expected);
    // The lake counts the regular givers' plans: one subscription behind the two instalments.
    expect(await h.q(`SELECT count(DISTINCT recurring_donation_id) AS plans FROM payment WHERE provider = 'braintree'`)).toEqual([{ plans: 1 }]);
  });
});

describe('Braintree connector against the sandbox: edges and faults', () => {
  let h: H;
  beforeAll(async () => {
    h = await braintreeHarness({ scenario: { seed: 22, donations: 800 } });
  });
  afterAll(() => h.close());

  it('answers an empty window with one ids search and nothing else', async () => {
    const [r] = await h.sync({ streams: ['transactions'], from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z') });
    expect(r).toMatchObject({ outcome: 'succeeded', records: 0, requests: 1 });
  });

  it('retries a 429 and a 5xx, then succeeds', async () => {
    h.sandbox.injectFaults({ status429: 1 });
    const [a] = await h.sync({ streams: ['settlement_summaries'] });
    expect(a).toMatchObject({ outcome: 'succeeded', rateLimited: 1, retries: 1 });
    h.sandbox.injectFaults({ status5xx: 2 });
    const [b] = await h.sync({ streams: ['disputes'] });
    expect(b).toMatchObject({ outcome: 'succeeded', retries: 2 });
  });

  it('gives up on an answer that does not come within the request timeout, and retries it as a Braintree timeout', async () => {
    // The SDK's own default waited 60 s: on appeal night a hung connection held the stream's lease a minute an attempt.
    expect(createBraintreeGateway(h.config()).config.timeout).toBe(20_000);
    const empty = { streams: ['transactions'], from: new Date('2026-11-04T00:00:00Z'), to: new Date('2026-11-05T00:00:00Z') };
    h.sandbox.injectFaults({ latencyMs: 1_500 }); // every answer comes 1.5 s late: past the 0.2 s below
    const [slow] = await h.sync(empty, { requestTimeoutMs: 200 });
    h.sandbox.injectFaults({ latencyMs: 0 });
    expect(slow).toMatchObject({ outcome: 'failed', requests: 5, retries: 4 });
    expect(slow!.error).toBe('braintree: no answer within 0.2 s (the request timeout)');
    // An answer inside the timeout is read as ever.
    const [ok] = await h.sync(empty, { requestTimeoutMs: 200 });
    expect(ok).toMatchObject({ outcome: 'succeeded', requests: 1, retries: 0 });
  });

  it('stops on 401 without touching the bookmark', async () => {
    await h.sync({ streams: ['settlements'] });
    const before = await loadBookmark(h.rt.state, 'braintree', 'settlements');
    h.clock.advance(60_000);
    const [r] = await h.sync({ streams: ['settlements'] }, { privateKey: 'wrong' });
    expect(r!.outcome).toBe('failed');
    expect(r!.error).toMatch(/401/);
    expect(r!.error).not.toContain('wrong');
    expect((await loadBookmark(h.rt.state, 'braintree', 'settlements')).cursor).toBe(before.cursor);
  });

  it('resumes a run stopped mid-window, from its page of ids, with no gap and no duplicate', async () => {
    const [first] = await h.sync({ streams: ['transactions'], deadline: new Date(0) });
    expect(first!.outcome).toBe('partial');
    let rounds = 0;
    let done = false;
    while (!done && rounds++ < 400) {
      // each run gets one page before its time box closes
      const [r] = await h.sync({ streams: ['transactions'], deadline: new Date(h.clock.now().getTime() + 1) });
      done = r!.outcome === 'succeeded';
    }
    expect(done).toBe(true);
    await h.land();
    const all = h.sandbox.data.transactions;
    const [p] = await h.q(`SELECT count(*) AS n, count(DISTINCT payment_id) AS ids FROM payment WHERE provider = 'braintree'`);
    const sales = all.filter((t) => t.type === 'sale').length;
    expect(p).toEqual({ n: sales, ids: sales });
  });
});

describe('Braintree connector: a search larger than the gateway allows', () => {
  let h: H;
  beforeAll(async () => {
    h = await braintreeHarness({ scenario: { seed: 23, donations: 1500 }, maxSearchResults: 40 });
  });
  afterAll(() => h.close());

  it('splits the window and never skips one', async () => {
    const [r] = await h.sync({ streams: ['transactions'] });
    expect(r!.outcome).toBe('succeeded');
    expect(h.sandbox.requests.countByStatus(422)).toBeGreaterThan(0); // it really was refused, then split
    await h.land();
    const sales = h.sandbox.data.transactions.filter((t) => t.type === 'sale').length;
    expect(await h.q(`SELECT count(*) AS n FROM payment WHERE provider = 'braintree'`)).toEqual([{ n: sales }]);
  });
});

describe('Braintree connector: the streams swept by date read each date once a run', () => {
  it('counts each settlement summary and each disbursement once when the run starts between two midnights', async () => {
    const h = await braintreeHarness({ scenario: { seed: 5, donations: 300 } });
    try {
      const streams = ['settlement_summaries', 'disbursements'];
      // The first run ends at noon: the next reads from noon, its lookback before that, to 17:00 the day after.
      await h.sync({ streams });
      h.clock.set(new Date(BT_NOW.getTime() + DAY + 5 * 3_600_000));
      const run = await h.sync({ streams });
      const [summaries, disbursements] = streams.map((name) => byStream(run, name));
      await h.land();
      // Until 2026-12-02 day windows ran noon to noon, each read both its dates, and every date but the first
      // was read (and counted, and quarantined) twice.
      const dates = (from: string) => `settlement_date >= '${from}'`;
      const [s] = await h.q(`SELECT count(*) AS n FROM settlement_summary WHERE ${dates('2026-11-27')}`);
      expect(summaries!.records).toBeGreaterThan(0);
      expect(summaries!.records).toBe(Number(s!.n));
      const swept = h.sandbox.data.disbursements.filter((d) => d.disbursement_date >= '2026-11-26');
      expect(swept.length).toBeGreaterThan(0);
      expect(disbursements!.records).toBe(swept.reduce((n, d) => n + d.transaction_ids.length + d.dispute_ids.length + 1, 0));
    } finally {
      await h.close();
    }
  }, 120_000);
});
