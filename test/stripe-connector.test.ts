import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBookmark, saveBookmark } from '../core/engine/bookmark.js';
import { classifyStripeError } from '../connectors/stripe/client.js';
import { stripeConnector } from '../connectors/stripe/connector.js';
import { syncConnector } from '../core/engine/sync.js';
import { CursorGoneError } from '../core/errors.js';
import { NOW, stripeHarness, type StripeHarness } from './support/stripe-harness.js';

const byStream = <T extends { stream: string }>(results: T[], name: string) => results.find((r) => r.stream === name)!;

describe('Stripe connector against the sandbox: backfill, then incremental', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await stripeHarness();
  });
  afterAll(() => h.close());

  it('backfills every stream and lands payments with fee, net and links', async () => {
    const results = await h.sync();
    expect(results.map((r) => [r.stream, r.outcome])).toEqual(results.map((r) => [r.stream, 'succeeded']));
    await h.land();
    const charges = h.sandbox.data.charges;
    const [p] = await h.q('SELECT count(*) AS n, sum(amount_minor) AS amount, count(fee_minor) AS with_fee FROM payment');
    expect(p!.n).toBe(charges.length);
    expect(p!.amount).toBe(charges.reduce((s, c) => s + c.amount, 0));
    expect(p!.with_fee).toBe(charges.filter((c) => c.status === 'succeeded').length);

    // fee and net from the expanded balance transaction, exactly
    const c = charges.find((x) => x.status === 'succeeded')!;
    const bt = h.sandbox.data.balanceTransactions.find((b) => b.id === c.balance_transaction)!;
    const [row] = await h.q(`SELECT fee_minor, net_minor, currency, donation_id FROM payment WHERE payment_id = '${c.id}'`);
    expect(row).toEqual({ fee_minor: bt.fee, net_minor: bt.net, currency: 'GBP', donation_id: c.metadata.donation_id });

    // the click travels from the checkout session to the payment
    const session = h.sandbox.data.checkoutSessions.find((s) => s.status === 'complete' && s.client_reference_id)!;
    const [linked] = await h.q(`SELECT click_id FROM payment WHERE donation_id = '${session.metadata.donation_id}'`);
    expect(linked!.click_id).toBe(session.client_reference_id);

    const counts = await h.q(
      `SELECT (SELECT count(*) FROM refund) AS refunds, (SELECT count(*) FROM dispute) AS disputes, (SELECT count(*) FROM payout) AS payouts,
              (SELECT count(*) FROM supporter WHERE source = 'stripe') AS supporters, (SELECT count(*) FROM payout_item) AS items`,
    );
    const members = h.sandbox.data.payouts.flatMap((po) => h.sandbox.data.payoutMembers(po.id).filter((b) => b.type !== 'payout'));
    expect(counts[0]).toEqual({
      refunds: h.sandbox.data.refunds.length,
      disputes: h.sandbox.data.disputes.length,
      payouts: h.sandbox.data.payouts.length,
      supporters: h.sandbox.data.customers.length,
      items: members.length,
    });
    const [runs] = await h.q(`SELECT count(*) AS n FROM sync_run WHERE connector = 'stripe' AND outcome = 'succeeded'`);
    expect(runs!.n).toBe(11);
  });

  it('picks up a late refund, a dispute and a new payout on the next incremental sync', async () => {
    const chargesBefore = await loadBookmark(h.rt.state, 'stripe', 'charges');
    const pendingAtLastRun = h.sandbox.data.balanceTransactions.filter((b) => b.type === 'charge' && b.status === 'pending').length;
    const target = h.sandbox.data.charges.find((c) => c.status === 'succeeded' && !c.refunded && !c.disputed)!;
    const other = h.sandbox.data.charges.find((c) => c.status === 'succeeded' && !c.refunded && !c.disputed && c.id !== target.id)!;
    h.clock.advance(3 * 86_400_000);
    const refund = h.sandbox.refundCharge(target.id, 500);
    const dispute = h.sandbox.openDispute(other.id);
    const before = h.sandbox.data.payouts.length;
    const newPayouts = h.sandbox.runPayouts(h.clock.now());
    expect(h.sandbox.data.payouts.length).toBeGreaterThan(before);
    h.clock.advance(5 * 60_000);

    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();
    expect(await h.q(`SELECT payment_id, amount_minor FROM refund WHERE refund_id = '${refund.id}'`)).toEqual([{ payment_id: target.id, amount_minor: 500 }]);
    expect(await h.q(`SELECT payment_id FROM dispute WHERE dispute_id = '${dispute.id}'`)).toEqual([{ payment_id: other.id }]);
    const ids = newPayouts.map((p) => `'${p.id}'`).join(',');
    const [po] = await h.q(`SELECT count(*) AS n FROM payout WHERE payout_id IN (${ids})`);
    expect(po!.n).toBe(newPayouts.length);
    const [items] = await h.q(`SELECT count(*) AS n FROM payout_item WHERE payout_id IN (${ids})`);
    expect(items!.n).toBeGreaterThan(0);
    // every payout's items add up to it (the sandbox paid out once the balances became available)
    const sums = await h.q('SELECT p.payout_id, p.amount_minor, sum(i.net_minor) AS items FROM payout p JOIN payout_item i USING (payout_id) GROUP BY ALL');
    for (const s of sums) expect(s.items).toBe(s.amount_minor);
    // each paid-out payment knows its payout, and keeps its fee and net
    const [paid] = await h.q(
      `SELECT count(*) AS n, count(*) FILTER (WHERE p.payout_id IS DISTINCT FROM i.payout_id OR p.fee_minor IS NULL) AS wrong
       FROM payment p JOIN payout_item i ON i.payment_id = p.payment_id`,
    );
    expect(paid!.n).toBeGreaterThan(0);
    expect(sums.length).toBeGreaterThan(0);
    expect(paid!.wrong).toBe(0);
    // No new charge was made: only the lookback behind the bookmark is listed again. The charges whose balance
    // transaction turned available meanwhile are not (that changes nothing a payment holds), though they were
    // pending at the last run; until 2026-12-05 each of them, and every charge since, was listed again.
    const relisted = h.sandbox.data.charges.filter((c) => c.created * 1000 >= Date.parse(chargesBefore.cursor!) - 5 * 60_000);
    expect(pendingAtLastRun).toBeGreaterThan(relisted.length);
    expect(byStream(results, 'charges').records).toBe(relisted.length);
    // incremental: a handful of requests, not a second backfill
    expect(byStream(results, 'charges').requests).toBeLessThan(10);
  });

  it('reads only the lookback behind its bookmark on an incremental run (STRIPE_LOOKBACK_SECONDS), not the last hour', async () => {
    /** The `created` range of each customers list call of one run, in seconds. */
    const listed = async (lookbackMs?: number) => {
      const inst = stripeConnector(h.config(lookbackMs === undefined ? {} : { lookbackMs }));
      const real = inst.client.customers.list.bind(inst.client.customers);
      const ranges: { gte: number; lt: number }[] = [];
      inst.client.customers.list = ((params: Stripe.CustomerListParams) => {
        ranges.push(params.created as { gte: number; lt: number });
        return real(params);
      }) as never;
      const [run] = await syncConnector(inst, h.engineRuntime, { streams: ['customers'] });
      expect(run!.outcome).toBe('succeeded');
      return ranges;
    };
    const sec = (iso: string) => Date.parse(iso) / 1000;
    h.clock.advance(60_000); // the hub's schedule
    let cursor = sec((await loadBookmark(h.rt.state, 'stripe', 'customers')).cursor!);
    expect(await listed()).toEqual([{ gte: cursor - 300, lt: h.clock.now().getTime() / 1000 - 5 }]);
    h.clock.advance(60_000);
    cursor = sec((await loadBookmark(h.rt.state, 'stripe', 'customers')).cursor!);
    expect(await listed(30_000)).toEqual([{ gte: cursor - 30, lt: h.clock.now().getTime() / 1000 - 5 }]);
  });

  it('lands a deleted customer as a deleted supporter, without its email hash, on the next incremental sync', async () => {
    const customer = h.sandbox.data.customers.find((c) => c.email)!;
    const [before] = await h.q(`SELECT deleted, email_sha256 FROM supporter WHERE supporter_id = '${customer.id}'`);
    expect(before!.email_sha256).toMatch(/^[0-9a-f]{64}$/);
    h.clock.advance(60_000);
    h.sandbox.deleteCustomer(customer.id);
    const deletedAt = h.clock.now().toISOString();
    h.clock.advance(5 * 60_000);

    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();
    expect(await h.q(`SELECT deleted, email_sha256, updated_at, _source, _stream FROM supporter WHERE supporter_id = '${customer.id}'`)).toEqual([
      { deleted: true, email_sha256: null, updated_at: deletedAt, _source: 'stripe', _stream: 'events' },
    ]);
  });

  it('falls back to a windowed re-read when the events bookmark is older than 30 days', async () => {
    const events = await loadBookmark(h.rt.state, 'stripe', 'events');
    h.clock.advance(10 * 86_400_000);
    const missed = h.sandbox.addCharges(3); // changes whose events will have expired by the next run
    h.clock.advance(30 * 86_400_000);
    // Someone synced charges alone in the meantime, so only the fallback can bring those three back.
    const charges = await loadBookmark(h.rt.state, 'stripe', 'charges');
    await saveBookmark(h.rt.state, 'stripe', 'charges', { ...charges, cursor: h.clock.now().toISOString(), revisitFrom: null });

    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(byStream(results, 'charges').records).toBeGreaterThanOrEqual(3);
    const after = await loadBookmark(h.rt.state, 'stripe', 'events');
    expect(Date.parse(after.cursor!)).toBeGreaterThan(Date.parse(events.cursor!) + 30 * 86_400_000);
    await h.land();
    const ids = missed.map((c) => `'${c.id}'`).join(',');
    expect(await h.q(`SELECT count(*) AS n FROM payment WHERE payment_id IN (${ids})`)).toEqual([{ n: 3 }]);
    // charges went back in that sync, before the events run asked it to: the request is for the gap it has
    // read already, so the next sync reads only its newest window.
    h.clock.advance(60_000);
    expect((await h.sync({ streams: ['charges'] }))[0]).toMatchObject({ outcome: 'succeeded', requests: 1 });
  });
});

describe('Stripe connector against the sandbox: paging, faults and leases', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await stripeHarness({ scenario: { seed: 9, donations: 900, start: new Date('2026-11-20T19:00:00Z') } });
  });
  afterAll(() => h.close());

  /** A range holding exactly n charges, starting at the oldest. */
  const rangeOf = (n: number) => {
    const created = h.sandbox.data.charges.map((c) => c.created).sort((a, b) => a - b);
    const distinct = [...new Set(created)];
    const from = new Date(distinct[0]! * 1000);
    const upto = created[n]; // the first charge outside the range
    return { from, to: new Date(upto! * 1000), count: created.filter((t) => t < upto!).length };
  };

  it('pages correctly: an empty window, exactly one page, many pages', async () => {
    const empty = await h.sync({ streams: ['charges'], from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-02T00:00:00Z') });
    expect(empty[0]).toMatchObject({ outcome: 'succeeded', records: 0, requests: 1 });

    const one = rangeOf(100);
    expect(one.count).toBe(100);
    const single = await h.sync({ streams: ['charges'], from: one.from, to: one.to });
    expect(single[0]).toMatchObject({ outcome: 'succeeded', records: 100, requests: 1 });

    const many = rangeOf(250);
    const paged = await h.sync({ streams: ['charges'], from: many.from, to: many.to });
    expect(paged[0]).toMatchObject({ outcome: 'succeeded', records: many.count, requests: Math.ceil(many.count / 100) });
  });

  it('fails loudly when the provider hands back the same cursor', async () => {
    const inst = stripeConnector(h.config());
    // A provider bug: every page is the first page, so the next cursor never moves.
    const real = inst.client.charges.list.bind(inst.client.charges);
    inst.client.charges.list = ((params: Record<string, unknown>) => real({ ...params, starting_after: undefined })) as never;
    const many = rangeOf(250);
    const [r] = await syncConnector(inst, h.engineRuntime, { streams: ['charges'], from: many.from, to: many.to });
    expect(r!.outcome).toBe('failed');
    expect(r!.error).toMatch(/pagination loop/);
  });

  it('waits as long as Retry-After says on a 429, and retries 5xx', async () => {
    h.sandbox.injectFaults({ status429: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    const [limited] = await h.sync({ streams: ['customers'] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(limited).toMatchObject({ outcome: 'succeeded', rateLimited: 1, retries: 1 });

    h.sandbox.injectFaults({ status5xx: 2 });
    const [flaky] = await h.sync({ streams: ['refunds'] });
    expect(flaky).toMatchObject({ outcome: 'succeeded', retries: 2 });
  });

  it("gets through 2 server errors and 3 rate limits on one call (a 429 does not use up the attempts); 5 server errors still fail it", async () => {
    // No jitter: the 500s' backoffs take no time, the 429s wait their Retry-After (1 s) each.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      h.sandbox.injectFaults({ status5xx: 2, status429: 3, retryAfterSeconds: 1 });
      const [busy] = await h.sync({ streams: ['disputes'], full: true });
      expect(busy).toMatchObject({ outcome: 'succeeded', retries: 5, rateLimited: 3 });

      h.sandbox.injectFaults({ status5xx: 5 });
      const before = h.sandbox.requests.countByStatus(500);
      const [down] = await h.sync({ streams: ['disputes'], full: true });
      expect(down).toMatchObject({ outcome: 'failed', retries: 4 });
      expect(down!.error).toMatch(/500/);
      expect(h.sandbox.requests.countByStatus(500) - before).toBe(5);
    } finally {
      random.mockRestore();
      h.sandbox.clearFaults();
    }
  });

  it('stops on 401 without touching the bookmark, and says why in one line', async () => {
    await h.sync({ streams: ['disputes'] });
    const before = await loadBookmark(h.rt.state, 'stripe', 'disputes');
    h.clock.advance(60_000);
    const [r] = await h.sync({ streams: ['disputes'] }, { apiKey: 'sk_test_wrong' });
    expect(r!.outcome).toBe('failed');
    expect(r!.error).toMatch(/401/);
    expect(r!.error).not.toContain('sk_test_wrong');
    expect(r!.retries).toBe(0);
    expect((await loadBookmark(h.rt.state, 'stripe', 'disputes')).cursor).toBe(before.cursor);
    // a whole sync with a refused key says so once, instead of failing every stream the same way
    const all = await h.sync({}, { apiKey: 'sk_test_wrong' });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ outcome: 'failed', authFailed: true });
  });

  it('refuses a second run of a stream while the first holds its lease', async () => {
    h.sandbox.injectFaults({ latencyMs: 50 });
    const [a, b] = await Promise.all([h.sync({ streams: ['charges'], full: true }), h.sync({ streams: ['charges'], full: true })]);
    h.sandbox.injectFaults({ latencyMs: 0 });
    expect([a[0]!.outcome, b[0]!.outcome].sort()).toEqual(['refused', 'succeeded']);
    // The one refused says that its --full was not kept either (payout_items says the same: its own test).
    expect([a[0]!, b[0]!].find((r) => r.outcome === 'refused')!.error).toBe(
      'another run of stripe/charges holds the lease: nothing was read or kept (nor its --full); run it again once that run has ended',
    );
  });

  it('resumes a time-boxed run from its checkpoint with no gap and no duplicate', async () => {
    await saveBookmark(h.rt.state, 'stripe', 'charges', { cursor: null, window: null, revisitFrom: null, updatedAt: '' });
    const [first] = await h.sync({ streams: ['charges'], deadline: new Date(NOW.getTime() - 1) });
    expect(first!.outcome).toBe('partial');
    let rounds = 0;
    for (;;) {
      // each run gets one page before its time box closes
      const [r] = await h.sync({ streams: ['charges'], deadline: new Date(h.clock.now().getTime() + 1) });
      rounds++;
      if (r!.outcome === 'succeeded' || rounds > 50) break;
    }
    await h.land();
    const [p] = await h.q('SELECT count(*) AS n, count(DISTINCT payment_id) AS ids FROM payment');
    expect(p).toEqual({ n: h.sandbox.data.charges.length, ids: h.sandbox.data.charges.length });
  });

  it("stops payout items (its own read) at the run's time box, before the next payout; the next run reads them all once", async () => {
    const fresh = () => saveBookmark(h.rt.state, 'stripe', 'payout_items', { cursor: null, window: null, revisitFrom: null, updatedAt: '' });
    await fresh();
    const [whole] = await h.sync({ streams: ['payout_items'] });
    expect(whole!.records).toBeGreaterThan(0);
    await fresh();
    const [first] = await h.sync({ streams: ['payout_items'], deadline: new Date(NOW.getTime() - 1) });
    expect(first).toMatchObject({ outcome: 'partial', records: 0 });
    const [second] = await h.sync({ streams: ['payout_items'] });
    expect(second).toMatchObject({ outcome: 'succeeded', records: whole!.records });
  });
});

describe('Stripe connector against the sandbox: a page cursor whose object was deleted', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await stripeHarness({ scenario: { seed: 5, donations: 700 } }); // over 300 customers: pages of 100
  });
  afterAll(() => h.close());

  /** Runs `fn` and returns its result and the warnings it logged. */
  const warnings = async <T>(fn: () => Promise<T>): Promise<{ out: T; warned: string[] }> => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    try {
      return { out: await fn(), warned: lines.filter((l) => l.includes('"level":"warn"')) };
    } finally {
      spy.mockRestore();
    }
  };
  /** One window over every customer (a run's own windows are a week: fewer than a page each). */
  const allCustomers = () => {
    const customers = h.sandbox.data.customers; // oldest first
    return { from: new Date(customers[0]!.created * 1000).toISOString(), to: new Date((customers.at(-1)!.created + 1) * 1000).toISOString() };
  };

  it('reads the window again from its start, with a warning naming no id, instead of failing every run', async () => {
    const customers = h.sandbox.data.customers; // oldest first
    expect(customers.length).toBeGreaterThan(150); // more than one page of 100
    const window = allCustomers();
    // A run stopped after the first page (newest first) saved the last customer of that page as its token;
    // that customer is then erased.
    const gone = customers[customers.length - 100]!.id;
    await saveBookmark(h.rt.state, 'stripe', 'customers', { cursor: null, window: { ...window, token: gone }, revisitFrom: null, updatedAt: '' });
    h.sandbox.deleteCustomer(gone);
    const left = h.sandbox.data.customers.length;

    const { out: [run], warned } = await warnings(() => h.sync({ streams: ['customers'], to: new Date(window.to) }));
    expect(run).toMatchObject({ outcome: 'succeeded', error: null, records: left });
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ msg: expect.stringContaining('reading the window again from its start'), connector: 'stripe', stream: 'customers', window: `[${window.from}, ${window.to})` });
    expect(warned[0]).not.toContain('cus_');
    expect((await loadBookmark(h.rt.state, 'stripe', 'customers')).window).toBeNull();
    await h.land();
    expect(await h.q(`SELECT count(DISTINCT supporter_id) AS n FROM supporter WHERE source = 'stripe'`)).toEqual([{ n: left }]);
  });

  it('reads the window again from its start when a customer is erased between two pages of one run', async () => {
    const window = allCustomers();
    const before = h.sandbox.data.customers.length;
    expect(before).toBeGreaterThan(200);
    await saveBookmark(h.rt.state, 'stripe', 'customers', { cursor: null, window: { ...window, token: null }, revisitFrom: null, updatedAt: '' });
    // The real SDK against the sandbox; only the moment of the erasure is the test's: the customer the second
    // page ends with (the third page's `starting_after`) is deleted as that page is answered.
    const inst = stripeConnector(h.config());
    const real = inst.client.customers.list.bind(inst.client.customers);
    const cursors: (string | undefined)[] = [];
    let erased = '';
    inst.client.customers.list = (async (params: Stripe.CustomerListParams) => {
      cursors.push(params.starting_after);
      const page = await real(params);
      if (cursors.length === 2) h.sandbox.deleteCustomer((erased = page.data.at(-1)!.id));
      return page;
    }) as never;

    const { out: [run], warned } = await warnings(() => syncConnector(inst, h.engineRuntime, { streams: ['customers'], to: new Date(window.to) }));
    expect(run).toMatchObject({ outcome: 'succeeded', error: null });
    // pages 1 and 2, page 3 refused (400 resource_missing on starting_after), then the window from its start,
    // whose page 1 hands out the same cursor again: not a pagination loop
    expect(cursors.slice(0, 5)).toEqual([undefined, cursors[1], erased, undefined, cursors[1]]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).not.toContain('cus_');
    expect((await loadBookmark(h.rt.state, 'stripe', 'customers')).window).toBeNull();
    await h.land();
    // Every customer landed, the erased one too (its page was published before the erasure).
    expect(await h.q(`SELECT count(DISTINCT supporter_id) AS n FROM supporter WHERE source = 'stripe'`)).toEqual([{ n: before }]);
  });

  it('keeps every other 400 fatal, a missing object named by another parameter included', () => {
    const error = (param: string) =>
      classifyStripeError(new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', statusCode: 400, code: 'resource_missing', param, message: "No such customer: 'cus_x'" }));
    expect(error('starting_after')).toBeInstanceOf(CursorGoneError);
    expect(error('starting_after').message).not.toContain('cus_x');
    expect(error('customer')).not.toBeInstanceOf(CursorGoneError);
    expect(error('customer').constructor.name).toBe('FatalError');
  });
});

describe('Stripe connector against the sandbox: payout items, which keep their own position', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    // Bare charges over the last 14 days: a payout a day.
    h = await stripeHarness({ charges: 300 });
    expect((await h.sync({ streams: ['payout_items'] }))[0]!.records).toBeGreaterThan(0);
  });
  afterAll(() => h.close());

  it('reads payout items again with --full, and those of the payouts a --from window holds; its lag closes when a run succeeds', async () => {
    const start = h.config().startDate.getTime() / 1000;
    /** Members (the payout's own row included) of the payouts created in [from, to) that a read lists. */
    const membersOf = (from: number, to = Infinity) =>
      h.sandbox.data.payouts
        .filter((p) => p.created >= Math.max(from, start) && p.created < to) // the sandbox's are paid or in transit
        .reduce((n, p) => n + h.sandbox.data.payoutMembers(p.id).length, 0);
    const [again] = await h.sync({ streams: ['payout_items'] });
    expect(again).toMatchObject({ outcome: 'succeeded', records: 0 }); // each payout is read once
    expect(Date.parse((await loadBookmark(h.rt.state, 'stripe', 'payout_items')).cursor!)).toBe(h.clock.now().getTime());

    const [full] = await h.sync({ streams: ['payout_items'], full: true });
    expect(full).toMatchObject({ outcome: 'succeeded', records: membersOf(start) });
    expect(full!.records).toBeGreaterThan(0);

    const created = h.sandbox.data.payouts.map((p) => p.created).sort((a, b) => a - b);
    expect(created.length).toBeGreaterThan(3);
    const [from, to] = [created[1]!, created[created.length - 2]!];
    const [window] = await h.sync({ streams: ['payout_items'], from: new Date(from * 1000), to: new Date(to * 1000) });
    expect(window).toMatchObject({ outcome: 'succeeded', records: membersOf(from, to) });
    expect(window!.records).toBeGreaterThan(0);
    expect(window!.records).toBeLessThan(full!.records);
    // Back to incremental: nothing again, and the window of a payout long done is still read on --from.
    h.clock.advance(20 * 86_400_000);
    expect((await h.sync({ streams: ['payout_items'] }))[0]).toMatchObject({ records: 0 });
    expect((await h.sync({ streams: ['payout_items'], from: new Date(from * 1000), to: new Date(to * 1000) }))[0]).toMatchObject({ records: membersOf(from, to) });
    const bookmark = await loadBookmark(h.rt.state, 'stripe', 'payout_items');
    expect(Date.parse(bookmark.cursor!)).toBe(h.clock.now().getTime());
  });

  it('reads only the payouts of its range on a first --from, leaving the rest, and its cursor, to the next plain run', async () => {
    const fresh = await stripeHarness({ charges: 300 });
    try {
      const start = fresh.config().startDate.getTime() / 1000;
      const created = fresh.sandbox.data.payouts.map((p) => p.created).sort((a, b) => a - b);
      const [from, to] = [created[1]!, created[3]!];
      const membersOf = (lo: number, hi: number) =>
        fresh.sandbox.data.payouts.filter((p) => p.created >= Math.max(lo, start) && p.created < hi).reduce((n, p) => n + fresh.sandbox.data.payoutMembers(p.id).length, 0);
      const [ranged] = await fresh.sync({ streams: ['payout_items'], from: new Date(from * 1000), to: new Date(to * 1000) });
      expect(ranged).toMatchObject({ outcome: 'succeeded', records: membersOf(from, to) });
      expect(ranged!.records).toBeGreaterThan(0);
      // No complete listing yet: `puddle status` says none, not a lag of seconds.
      expect((await loadBookmark(fresh.rt.state, 'stripe', 'payout_items')).cursor).toBeNull();
      // The plain run reads every other payout since the start date, and not the range's again.
      const [plain] = await fresh.sync({ streams: ['payout_items'] });
      expect(plain!.records).toBe(membersOf(start, Infinity) - membersOf(from, to));
    } finally {
      await fresh.close();
    }
  });
});
