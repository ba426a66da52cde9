import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../core/config.js';
import { RECON_PROVIDERS } from '../core/recon-providers.js';
import { sandboxLine } from '../infra/cli/banner.js';
import { startHub, type Hub } from '../infra/local/hub.js';

// `npm start` with no Stripe key: the hub runs the Stripe sandbox live, syncs it on schedule and
// takes its signed webhooks, so payments, payouts and webhooks land with no account.
const OWN_STRIPE_SECRET = 'whsec_own_0123456789abcdef';

describe('the hub without provider credentials', () => {
  // (Stripe and Braintree both run as sandboxes.)
  const home = mkdtempSync(join(tmpdir(), 'puddle-hub-sandbox-'));
  let hub: Hub;
  beforeAll(async () => {
    // Webhook secrets set for the real providers, before their API keys are: the sandboxes must use them, not replace them.
    vi.stubEnv('STRIPE_WEBHOOK_SECRET', OWN_STRIPE_SECRET);
    vi.stubEnv('FRESHDESK_WEBHOOK_USER', 'fd-own-user');
    vi.stubEnv('FRESHDESK_WEBHOOK_SECRET', 'fd-own-secret');
    // A short raw linger: the webhooks and re-reads are read from raw within the test's minute.
    hub = await startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: ['k'], rawLingerMs: 1_000 }, schedule: true });
  });
  afterAll(async () => {
    await hub.stop();
    vi.unstubAllEnvs();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps the webhook secrets the environment sets: a webhook signed with them is taken', async () => {
    const body = JSON.stringify({ id: 'evt_own_secret', object: 'event', type: 'customer.created', created: 1764600000, data: { object: { id: 'cus_own', object: 'customer' } } });
    const signed = await fetch(`${hub.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: OWN_STRIPE_SECRET }) },
      body,
    });
    expect(signed.status).toBe(200);
    const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
    const ticket = JSON.stringify({ ticket_id: 1 });
    const freshdesk = (authorization: string) => fetch(`${hub.url}/webhooks/freshdesk`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: ticket });
    expect((await freshdesk(basic('fd-own-user', 'wrong'))).status).toBe(401);
    expect((await freshdesk(basic('fd-own-user', 'fd-own-secret'))).status).not.toBe(401);
  });

  it('starts the Stripe sandbox, syncs it, and lands payments, payouts and webhook events', async () => {
    expect(hub.sandboxes.map((s) => s.connector).sort()).toEqual(['braintree', 'freshdesk', 'salesforce', 'stripe']);
    // Each sandbox that sends webhooks names the route it posts to, so `npm start` says "its webhooks" of those only.
    expect(Object.fromEntries(hub.sandboxes.map((s) => [s.connector, s.webhookPath ?? null]))).toEqual({
      stripe: '/webhooks/stripe', braintree: '/webhooks/braintree', freshdesk: '/webhooks/freshdesk', salesforce: null,
    });
    expect(sandboxLine(hub.sandboxes.find((s) => s.connector === 'salesforce')!)).not.toContain('webhooks');
    let row: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) {
      [row = {}] = await hub.runtime.query.query(
        `SELECT (SELECT count(*) FROM payment WHERE provider = 'stripe') AS payments, (SELECT count(*) FROM payout) AS payouts,
                (SELECT count(*) FROM payment WHERE provider = 'braintree') AS braintree,
                (SELECT count(*) FROM payout_item) AS items, (SELECT count(*) FROM raw WHERE source = 'webhook:stripe') AS webhooks,
                (SELECT count(*) FROM raw WHERE source = 'webhook:stripe' AND stream = 'reread'
                   AND json_extract_string(envelope, '$.payload.type') = 'reread.succeeded') AS rereads`,
      );
      if ((row.payments as number) > 100 && (row.braintree as number) > 50 && (row.payouts as number) > 0 && (row.items as number) > 0 && (row.webhooks as number) > 0 && (row.rereads as number) > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(row.payments).toBeGreaterThan(100);
    expect(row.braintree).toBeGreaterThan(50);
    expect(row.payouts).toBeGreaterThan(0);
    expect(row.items).toBeGreaterThan(0);
    expect(row.webhooks).toBeGreaterThan(0);
    // The hub re-reads what the sandbox's webhooks name, with the connector it syncs with.
    expect(row.rereads).toBeGreaterThan(0);
  });

  it('sends the donations the sandboxes take payments for through the producer API, so every payment names a donation the lake has', async () => {
    // Live gifts keep coming: those of the last half minute may not have landed on both sides yet.
    const settled = new Date(Date.now() - 30_000).toISOString();
    let row: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) {
      [row = {}] = await hub.runtime.query.query(
        `SELECT (SELECT count(*) FROM donation) AS donations,
                (SELECT count(*) FROM payment WHERE donation_id IS NOT NULL AND occurred_at < TIMESTAMP '${settled.slice(0, 19)}') AS naming,
                (SELECT count(*) FROM payment p WHERE p.donation_id IS NOT NULL AND p.occurred_at < TIMESTAMP '${settled.slice(0, 19)}'
                   AND NOT EXISTS (SELECT 1 FROM donation d WHERE d.donation_id = p.donation_id)) AS unknown,
                (SELECT count(*) FROM recon_journey WHERE stage = 'banked') AS banked`,
      );
      if ((row.naming as number) > 150 && row.unknown === 0 && (row.banked as number) > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(row.naming).toBeGreaterThan(150);
    expect(row.unknown).toBe(0);
    // The journey (and so the dashboard's funnel) follows the sandboxes' donations to the bank.
    expect(row.banked).toBeGreaterThan(0);
    // The pretend website's donations say so: SQL tells them from a real producer's (until 2026-12-06 `producer`).
    const [src] = await hub.runtime.query.query(`SELECT count(*) AS n FROM raw WHERE contract = 'donation' AND source <> 'producer:sandbox-website'`);
    expect(src).toEqual({ n: 0 });
    // It sends the click each web gift names before the gift (until 2026-12-07 none: the funnel read no clicks).
    // The clicks land in their own puddle (engagement), so they may come a moment after the gifts.
    let clicks: Record<string, unknown> | undefined;
    for (let i = 0; i < 120; i++) {
      [clicks] = await hub.runtime.query.query(
        `SELECT (SELECT count(*) FROM recon_journey WHERE click_id IS NOT NULL) AS naming, (SELECT count(*) FROM recon_journey WHERE click_id IS NOT NULL AND clicked_at IS NULL) AS missing`,
      );
      if (clicks!.missing === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(clicks!.naming).toBeGreaterThan(0);
    expect(clicks!.missing).toBe(0);
  });

  it('syncs the Salesforce sandbox, whose gift payments name the Stripe sandbox charges', async () => {
    let row: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) {
      [row = {}] = await hub.runtime.query.query(
        `SELECT (SELECT count(*) FROM gift) AS gifts, (SELECT count(*) FROM gift_payment) AS payments,
                (SELECT count(*) FROM gift_payment g JOIN payment p ON p.payment_id = g.payment_ref AND p.amount_minor = g.amount_minor) AS tied`,
      );
      if ((row.gifts as number) > 100 && (row.tied as number) > 50) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(row.gifts).toBeGreaterThan(100);
    expect(row.payments).toBeGreaterThan(100);
    expect(row.tied).toBeGreaterThan(50);
  });

  it('syncs the Freshdesk sandbox, whose tickets name the donations Stripe took', async () => {
    let row: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) {
      [row = {}] = await hub.runtime.query.query(
        `SELECT (SELECT count(*) FROM ticket) AS tickets, (SELECT count(*) FROM supporter WHERE source = 'freshdesk') AS contacts,
                (SELECT count(*) FROM ticket t JOIN payment p ON p.donation_id = t.donation_id AND p.provider = 'stripe') AS linked`,
      );
      if ((row.tickets as number) > 10 && (row.linked as number) > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(row.tickets).toBeGreaterThan(10);
    expect(row.contacts).toBeGreaterThan(5);
    expect(row.linked).toBeGreaterThan(0);
  });

  it("writes the sandboxes' bank lines as daily camt.053 files into the drop folder, which imports them", async () => {
    let row: Record<string, unknown> = {};
    for (let i = 0; i < 120; i++) {
      [row = {}] = await hub.runtime.query.query(
        `SELECT (SELECT count(*) FROM bank_line WHERE source_format = 'camt.053') AS lines,
                (SELECT count(*) FROM bank_statement WHERE balanced) AS balanced, (SELECT count(*) FROM bank_statement WHERE NOT balanced) AS unbalanced,
                (SELECT count(*) FROM payout p JOIN bank_line b ON strpos(b.reference, p.bank_reference) > 0 AND b.amount_minor = p.amount_minor) AS referenced`,
      );
      if ((row.lines as number) > 0 && (row.referenced as number) > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(row.lines).toBeGreaterThan(0);
    expect(row.balanced).toBeGreaterThan(0);
    expect(row.unbalanced).toBe(0);
    // A Stripe payout's bank reference is in its line's text: what matching looks for.
    expect(row.referenced).toBeGreaterThan(0);
    const done = readdirSync(join(home, 'inbox', 'bank', 'done'));
    expect(done.some((n) => /^SBX-charity-current-[A-Z]{3}-\d{4}-\d{2}-\d{2}\.camt053\.xml$/.test(n))).toBe(true);
    expect(readdirSync(join(home, 'inbox', 'bank', 'failed'))).toEqual([]);
  });

  it('lands money only from providers reconciliation knows: each one its connectors write is a payout provider in core/recon-providers.ts', async () => {
    // Unlisted, a provider's payouts match a bank line only by reference, its name is dropped from bank lines'
    // counterparties, and a credit from it with no payout is no break: silently. A provider whose money never
    // reaches the bank as its own payout goes here instead, with why (none yet).
    const notPayoutProviders: Record<string, string> = {};
    const written = await hub.runtime.query.query(
      ['payment', 'payout'].map((t) => `SELECT DISTINCT provider FROM ${t}`).join(' UNION ') + ' ORDER BY provider',
    );
    const providers = written.map((r) => String(r.provider));
    expect(providers).toEqual(expect.arrayContaining(['braintree', 'stripe']));
    const payout = RECON_PROVIDERS.filter((p) => p.kind === 'payout').map((p) => p.provider);
    expect(providers.filter((p) => !payout.includes(p) && !(p in notPayoutProviders))).toEqual([]);
  });

  it("quarantines none of the sandboxes' records: their money has the sign its contract takes", async () => {
    // After the syncs above: refunds, disputes and gifts are positive, debits and refund items negative.
    // The first test's hand-made customer (no `created` in its object) is the only record that should be held.
    const rows = await hub.runtime.query.query(
      `SELECT contract, source, CAST(reasons AS VARCHAR) AS reasons FROM quarantine WHERE quarantine_id <> 'webhook:stripe:supporter:cus_own'`,
    );
    expect(rows).toEqual([]);
  });
});
