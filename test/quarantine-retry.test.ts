// Recovering quarantined records after fixing their cause, end to end: the real Braintree SDK against the
// sandbox, a real lake, and `puddle quarantine retry` run as a user runs it (from a shell with no Braintree
// credentials, as beside a hub on the sandboxes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { quarantineEnvelope } from '../core/engine/envelopes.js';
import { auditEnvelope } from '../core/engine/refetch.js';
import { makeEnvelope, type Envelope } from '../core/envelope.js';
import { scrubPersonalData } from '../core/pii.js';
import type { QueryEngine, Queue } from '../core/ports.js';
import { CONNECTORS } from '../connectors/registry.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';
import { OPS_SQL } from '../puddles/http/ops-routes.js';
import { retryQuarantine } from '../puddles/quarantine-retry.js';
import { emptyRangeProblem } from '../core/empty-range.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { braintreeHarness, BT_NOW } from './support/braintree-harness.js';
import { NOW as STRIPE_NOW } from './support/stripe-harness.js';
import { startHubProcess } from './support/hub-process.js';
import { runPuddle } from './support/run-cli.js';

type H = Awaited<ReturnType<typeof braintreeHarness>>;
const DAY = 86_400_000;
// This shell's Braintree settings: none, so one currency (GBP) for every merchant account. No credentials.
const SHELL = { BRAINTREE_ACCOUNT_CURRENCIES: '', BRAINTREE_MERCHANT_ID: '', BRAINTREE_PUBLIC_KEY: '', BRAINTREE_PRIVATE_KEY: '' };
const n = async (h: H, sql: string) => Number((await h.q(sql))[0]!.n);

/** A lake whose settlement summaries all went to quarantine: the hub was told only of another account's currency. */
async function misconfigured(): Promise<{ h: H; quarantined: number }> {
  const h = await braintreeHarness({ scenario: { seed: 5, donations: 200 } });
  h.clock.set(new Date(BT_NOW.getTime() + DAY));
  const [run] = await h.sync({ streams: ['settlement_summaries'] }, { accountCurrencies: { other_acct: 'GBP' } });
  expect(run!.quarantined).toBeGreaterThan(1);
  expect(run!.quarantined).toBe(run!.records);
  await h.land();
  return { h, quarantined: run!.quarantined };
}

/** A fresh home whose lake holds `envelopes`, landed, for `test`; closed and removed after. */
async function inLandedHome(name: string, envelopes: Envelope[], test: (rt: Awaited<ReturnType<typeof createLocalRuntime>>) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), `puddle-quarantine-${name}-`));
  const rt = await createLocalRuntime({ home });
  try {
    for (const p of PUDDLES) await rt.queue.subscribe(p);
    await rt.queue.publish(envelopes);
    for (const p of PUDDLES) await new PuddleConsumer({ puddle: p, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
    await test(rt);
  } finally {
    await rt.close();
    rmSync(home, { recursive: true, force: true });
  }
}

describe('puddle quarantine retry', () => {
  let h: H | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const puddle = (args: string[]) => runPuddle(args, { ...SHELL, PUDDLE_HOME: h!.home });

  it('maps quarantined records again once the setting is fixed, lands them once, and clears them from the open quarantine', async () => {
    const bad = await misconfigured();
    h = bad.h;
    const listed = await puddle(['quarantine', '--contract', 'settlement_summary']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('is not in BRAINTREE_ACCOUNT_CURRENCIES');
    expect(listed.stdout).toMatch(new RegExp(`settlement_summary \\| braintree \\| settlement_summaries \\| ${bad.quarantined} `));

    // Until 2026-12-02 a dry run exited 0 whatever stayed open.
    const unfixed = await runPuddle(['quarantine', 'retry', '--contract', 'settlement_summary', '--dry-run'], { ...SHELL, BRAINTREE_ACCOUNT_CURRENCIES: 'other_acct:GBP', PUDDLE_HOME: h.home });
    expect(unfixed.code, unfixed.stderr).toBe(1);
    expect(unfixed.stdout).toContain(`still failing: ${bad.quarantined} (`);
    const dry = await puddle(['quarantine', 'retry', '--contract', 'settlement_summary', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    // A dry run never says it landed anything: it read "mapped again and landed 13" as the real run does.
    expect(dry.stdout).toContain(`would resolve: ${bad.quarantined} (would map again and land ${bad.quarantined},`);
    expect(dry.stdout).toContain('nothing was published or landed (--dry-run)');
    expect(dry.stdout).not.toMatch(/landed \d/);
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_open`)).toBe(bad.quarantined);

    const retried = await puddle(['quarantine', 'retry', '--contract', 'settlement_summary']);
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`open quarantine rows: ${bad.quarantined}\nresolved: ${bad.quarantined} (mapped again and landed ${bad.quarantined},`);
    expect(await n(h, `SELECT count(*) AS n FROM settlement_summary WHERE currency = 'GBP'`)).toBe(bad.quarantined);
    // The quarantine rows stay (the trail is immutable); none is open, so the dashboard counts none.
    expect(await n(h, `SELECT count(*) AS n FROM quarantine WHERE contract = 'settlement_summary'`)).toBe(bad.quarantined);
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_open`)).toBe(0);
    expect(await h.q(OPS_SQL.quarantine)).toEqual([{ n: 0 }]);
    expect(await h.q(`SELECT resolution, count(*) AS n FROM quarantine_resolution GROUP BY resolution`)).toEqual([{ resolution: 'remapped', n: bad.quarantined }]);
    // Every resolution names a quarantine row, and the envelope that landed for it.
    const unnamed = `SELECT count(*) AS n FROM quarantine_resolution r LEFT JOIN quarantine q ON q._id = r.quarantine_resolution_id
      LEFT JOIN settlement_summary s ON r.landed = '["' || s._id || '"]' WHERE q._id IS NULL OR s._id IS NULL`;
    expect(await n(h, unnamed)).toBe(0);

    // What the retry landed is what a sync with the fixed setting lands: the same envelopes, so nothing new.
    await h.sync({ streams: ['settlement_summaries'], full: true });
    await h.land();
    expect(await n(h, `SELECT count(*) AS n FROM settlement_summary_history`)).toBe(bad.quarantined);

    // Again: nothing open, nothing published, exit 0.
    const again = await puddle(['quarantine', 'retry']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('open quarantine rows: 0\n');
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_resolution_history`)).toBe(bad.quarantined);
    expect((await puddle(['quarantine'])).stdout).toBe('nothing open in quarantine\n');
  }, 180_000);

  it('beside a running hub, publishes what it maps again and leaves the landing to the hub', async () => {
    const bad = await misconfigured();
    h = bad.h;
    const hub = await startHubProcess({ ...SHELL, PUDDLE_HOME: h.home });
    try {
      // Until 2026-12-02 the retry drained the puddles itself beside the hub, taking whatever waited in them
      // (a night's donations among them) out of the hub's live totals and feeds.
      const retried = await puddle(['quarantine', 'retry', '--contract', 'settlement_summary']);
      expect(retried.code, retried.stdout + retried.stderr).toBe(0);
      expect(retried.stdout).toContain(`resolved: ${bad.quarantined} (`);
      expect(retried.stdout).toContain(`published to the queue: the hub running on this home, puddle start at ${hub.url} (pid ${hub.child.pid}, since `);
      let landed = 0;
      for (let i = 0; i < 300 && landed < bad.quarantined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        landed = await n(h, `SELECT count(*) AS n FROM settlement_summary WHERE currency = 'GBP'`);
      }
      expect(landed).toBe(bad.quarantined);
      expect(await n(h, `SELECT count(*) AS n FROM quarantine_open`)).toBe(0);
    } finally {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
  }, 180_000);

  it('lands each record once when a retry was killed halfway and run again', async () => {
    const bad = await misconfigured();
    h = bad.h;
    // The first retry dies at its second publish (a record and its resolution each): the first went whole.
    let publishes = 0;
    const dying: Queue = Object.create(h.rt.queue, {
      publish: {
        value: (envelopes: readonly Envelope[]) => {
          if (++publishes === 2) return Promise.reject(new Error('killed'));
          return h!.rt.queue.publish(envelopes);
        },
      },
    }) as Queue;
    const connector = (name: string) => (name === 'braintree' ? { mappings: CONNECTORS.braintree!.mappings!({ get: () => undefined }) } : null);
    await expect(retryQuarantine({ query: h.rt.query, queue: dying, clock: h.clock, connector, chunk: 1 })).rejects.toThrow('killed');
    await h.land();
    expect(await n(h, `SELECT count(*) AS n FROM settlement_summary`)).toBe(1);
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_open`)).toBe(bad.quarantined - 1);

    // Killed again after publishing everything, before anything landed; then the command, whole.
    await retryQuarantine({ query: h.rt.query, queue: h.rt.queue, clock: h.clock, connector });
    const retried = await puddle(['quarantine', 'retry']);
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(await n(h, `SELECT count(*) AS n FROM settlement_summary_history`)).toBe(bad.quarantined);
    expect(await n(h, `SELECT count(DISTINCT settlement_summary_id) AS n FROM settlement_summary`)).toBe(bad.quarantined);
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_resolution`)).toBe(bad.quarantined);
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_open`)).toBe(0);
  }, 180_000);

  it('names the sync to run for a record its kept raw cannot bring back, and resolves it once a sync has landed it', async () => {
    h = await braintreeHarness();
    h.clock.set(new Date(BT_NOW.getTime() + 3 * DAY));
    const broken = h.sandbox.data.disbursements[0]!;
    const tx = h.sandbox.data.transaction(broken.transaction_ids[0]!)!;
    const amount = tx.disbursement_details!.settlement_amount;
    tx.disbursement_details!.settlement_amount = '10.005'; // more decimals than GBP has
    await h.sync({ streams: ['disbursements'] });
    await h.land();
    const payout = `SELECT count(*) AS n FROM payout WHERE payout_id = '${broken.merchant_account_id}:${broken.disbursement_date}'`;
    expect(await n(h, payout)).toBe(0);

    // The transaction maps alone, but its day's payout is summed from the whole page: only a sync brings it back.
    const first = await puddle(['quarantine', 'retry', '--source', 'braintree']);
    expect(first.code).toBe(1);
    const advice = /puddle sync braintree --streams disbursements --from (\d{4}-\d{2}-\d{2}) --to (\d{4}-\d{2}-\d{2})/.exec(first.stdout);
    expect(advice, first.stdout).not.toBeNull();
    expect(first.stdout).toContain('resolved: 0');
    expect(advice![1]! <= broken.disbursement_date && broken.disbursement_date < advice![2]!).toBe(true);

    // The provider's record is fixed: the named sync reads it, and the retry sees it landed since.
    tx.disbursement_details!.settlement_amount = amount;
    h.clock.advance(60_000);
    await h.sync({ streams: ['disbursements'], from: new Date(`${advice![1]}T00:00:00Z`), to: new Date(`${advice![2]}T00:00:00Z`) });
    await h.land();
    expect(await n(h, payout)).toBe(1);
    const second = await puddle(['quarantine', 'retry', '--source', 'braintree']);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain('landed since by a later sync 1)');
    expect(await h.q(`SELECT resolution, landed FROM quarantine_resolution`)).toEqual([{ resolution: 'landed_since', landed: '[]' }]);
    expect(await n(h, `SELECT count(*) AS n FROM quarantine_open`)).toBe(0);
  }, 180_000);
});

describe('puddle quarantine retry of a webhook row whose object the provider does not have', () => {
  it('names no sync for it (none could resolve it), and says why', async () => {
    // Rows a webhook left before 2026-12-02 (a snapshot without created_at): one object the re-read did not
    // find, one it found (deferred, say), so a sync is still the way for that one.
    const webhook = (id: string) => ({ source: 'webhook:braintree', delivery_id: `btn_${id}`, type: 'transaction_settled', occurred_at: '2026-11-27T20:00:00.000Z' });
    const origin = (id: string) => ({ source: 'webhook:braintree', stream: 'transaction_settled', delivery_id: `btn_${id}`, received_at: '2026-11-27T20:00:01.000Z', raw: scrubPersonalData({}), record_key: `btn_${id}` });
    const quarantined = ['gone', 'later'].map((id) =>
      quarantineEnvelope({ contract: 'payment', version: 2, payload: { payment_id: id } }, [{ path: 'payload.occurred_at', message: 'is required' }], origin(id)),
    );
    const at = '2026-11-27T20:00:02.000Z';
    const audits = [
      auditEnvelope({ connector: 'braintree', stream: 'transactions', id: 'gone' }, webhook('gone'), { outcome: 'not_found' }, at),
      auditEnvelope({ connector: 'braintree', stream: 'transactions', id: 'later' }, webhook('later'), { outcome: 'deferred', reason: 'provider_unreachable' }, at),
    ];
    await inLandedHome('notfound', [...quarantined, ...audits], async (rt) => {
      const report = await retryQuarantine({ query: rt.query, queue: rt.queue, clock: { now: () => new Date('2026-11-29T00:00:00Z') }, connector: (name) => ({ mappings: CONNECTORS[name]!.mappings!(rt.secrets) }), dryRun: true });
      expect(report).toMatchObject({ open: 2, other: [{ source: 'webhook:braintree', records: 1, why: expect.stringContaining('the provider answered not found') }] });
      expect(report.resync).toMatchObject([{ connector: 'braintree', records: 1 }]);
    });
  }, 120_000);
});

describe('puddle quarantine retry over a large quarantine', () => {
  it('asks raw which records landed since in one short statement, however many rows are open', async () => {
    const open = 3_000;
    const origin = (received_at: string) => ({ source: 'stripe', stream: 'charges', delivery_id: `run-${received_at}`, received_at, raw: scrubPersonalData({}) });
    // A bad mapping quarantined every charge of a run; a later sync read every other one again, and it landed.
    const quarantined = Array.from({ length: open }, (_, i) =>
      quarantineEnvelope({ contract: 'payment', version: 1, payload: { payment_id: `ch_${i}` } }, [{ path: 'payload.amount_minor', message: 'is required' }], origin('2026-11-27T20:00:00.000Z')),
    );
    const later = origin('2026-11-28T09:00:00.000Z');
    const landed = Array.from({ length: open / 2 }, (_, i) =>
      makeEnvelope({
        contract: 'payment',
        version: 1,
        payload: { payment_id: `ch_${2 * i}`, occurred_at: '2026-11-27T19:00:00.000Z', provider: 'stripe', status: 'succeeded', amount_minor: 500, currency: 'GBP' },
        ...later,
      }),
    );
    await inLandedHome('many', [...quarantined, ...landed], async (rt) => {
      // The real engine, with every statement it is given written down.
      const sent: string[] = [];
      const query: QueryEngine = {
        query: (sql) => (sent.push(sql), rt.query.query(sql)),
        queryWithColumns: (sql) => (sent.push(sql), rt.query.queryWithColumns(sql)),
        close: async () => {},
      };
      const report = await retryQuarantine({ query, queue: rt.queue, clock: { now: () => new Date('2026-11-29T00:00:00Z') }, connector: () => null, dryRun: true });
      expect(report).toMatchObject({ open, landedSince: open / 2, waiting: 0, other: [{ source: 'stripe', records: open / 2 }] });
      // None grows with the open rows: one list of these 3,000 keys was some 30,000 characters.
      expect(sent.length).toBeGreaterThan(0);
      expect(Math.max(...sent.map((s) => s.length))).toBeLessThan(1_000);
    });
  }, 120_000);
});

describe('puddle quarantine retry of a record of today', () => {
  it("names a sync whose --to is now, not the stream's lookback past it", async () => {
    // A Braintree disbursement (read again three days back each run) quarantined this morning: its day's payout
    // is summed from the whole page, so only a sync brings it back. Until 2026-12-02 the sync named ran to the
    // day after, plus those three days: --to 2026-12-03, four days ahead.
    const origin = { source: 'braintree', stream: 'disbursements', delivery_id: 'run-1', received_at: '2026-11-29T09:00:01.000Z', raw: scrubPersonalData({}), record_key: 'tx_1', occurred_at: '2026-11-29T09:00:00.000Z' };
    const row = quarantineEnvelope({ contract: 'payout_item', version: 1, payload: { payout_id: 'acct:2026-11-29' } }, [{ path: 'payload.net_minor', message: 'is required' }], origin);
    await inLandedHome('today', [row], async (rt) => {
      const retry = (now: string) =>
        retryQuarantine({ query: rt.query, queue: rt.queue, clock: { now: () => new Date(now) }, connector: (name) => ({ mappings: CONNECTORS[name]!.mappings!(rt.secrets) }), dryRun: true });
      const today = await retry('2026-11-29T10:15:30.250Z');
      expect(today.resync).toMatchObject([{ connector: 'braintree', streams: ['disbursements'], from: '2026-11-29', to: '2026-11-29T10:15:31Z', records: 1 }]);
      // What `puddle sync` is given: a range it takes (not empty, not refused) that holds the record.
      expect(emptyRangeProblem(today.resync[0]!, 'instants')).toBeNull();
      // Once the lookback's days are past, the range ends at their last day, as before.
      expect((await retry('2026-12-10T00:00:00Z')).resync).toMatchObject([{ from: '2026-11-29', to: '2026-12-03' }]);
    });
  }, 120_000);
});

describe('puddle quarantine retry of a Stripe payout item', () => {
  it("names a payout_items range that holds the payout the charge went out in, not only the charge's own day", async () => {
    // payout_items' --from/--to select payouts by their creation, days after the charge's own time (the record's
    // day). Until 2026-12-02 the sync named ran from the charge's day to the next: it read none of its payouts,
    // and the row stayed open however often the advice was followed.
    const sandbox = await startStripeSandbox({ charges: 300, now: () => STRIPE_NOW });
    try {
      const paidOut = sandbox.data.charges.flatMap((c) => {
        const payout = c.balance_transaction ? sandbox.data.payoutOf(c.balance_transaction) : undefined;
        const p = payout && sandbox.data.payouts.find((x) => x.id === payout);
        return p ? [{ charge: c, payoutDay: new Date(p.created * 1000).toISOString().slice(0, 10) }] : [];
      });
      expect(paidOut.length).toBeGreaterThan(0);
      const day = (c: { created: number }) => new Date(c.created * 1000).toISOString().slice(0, 10);
      // The charge that waited longest for its payout.
      const { charge, payoutDay } = paidOut.reduce((a, b) => (b.payoutDay > a.payoutDay || (b.payoutDay === a.payoutDay && day(b.charge) < day(a.charge)) ? b : a));
      const at = new Date(charge.created * 1000).toISOString();
      const origin = { source: 'stripe', stream: 'payout_items', delivery_id: 'run-1', received_at: at, raw: scrubPersonalData({}), record_key: charge.id, occurred_at: at };
      const row = quarantineEnvelope({ contract: 'payment', version: 2, payload: { payment_id: charge.id } }, [{ path: 'payload.status', message: 'must be one of succeeded' }], origin);
      await inLandedHome('payout-items', [row], async (rt) => {
        const report = await retryQuarantine({
          query: rt.query, queue: rt.queue, clock: { now: () => new Date(STRIPE_NOW.getTime() + 90 * DAY) }, connector: (name) => ({ mappings: CONNECTORS[name]!.mappings!(rt.secrets) }), dryRun: true,
        });
        expect(report.resync).toMatchObject([{ connector: 'stripe', streams: ['payout_items'], records: 1 }]);
        const { from, to } = report.resync[0]!;
        expect(from <= day(charge) && payoutDay < to, `${from}..${to} should hold the payout of ${payoutDay}`).toBe(true);
      });
    } finally {
      await sandbox.close();
    }
  }, 120_000);
});
