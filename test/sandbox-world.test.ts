import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxWorld } from '../connectors/sandbox-world.js';
import { SANDBOXES, type RunningSandbox } from '../connectors/sandboxes.js';
import { movableClock } from '../connectors/sandbox-kit/movable-clock.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { startBraintreeSandbox } from '../connectors/braintree/sandbox/index.js';

const DAY = 86_400_000;
// Far from the real clock, so a sandbox that reads Date.now() instead of the home's world shows.
const FIRST = new Date('2026-03-10T21:00:00Z');
const LATER = new Date(FIRST.getTime() + 3 * DAY + 5 * 3_600_000);

/** What the Stripe sandbox serves, page by page, as the connector reads it. */
async function stripeList(s: RunningSandbox, resource: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let after = ''; ; ) {
    const res = await fetch(`${s.url}/v1/${resource}?limit=100${after && `&starting_after=${after}`}`, { headers: { authorization: `Bearer ${s.secrets.STRIPE_API_KEY}` } });
    const page = (await res.json()) as { data: Record<string, unknown>[]; has_more: boolean };
    out.push(...page.data);
    if (!page.has_more) return out;
    after = page.data.at(-1)!.id as string;
  }
}

/** Asks the Braintree sandbox anything, so it settles and disburses up to its clock, as on every request. */
async function braintreeCatchUp(s: RunningSandbox, presets: Record<string, string>): Promise<void> {
  const auth = Buffer.from(`${presets.BRAINTREE_PUBLIC_KEY}:${presets.BRAINTREE_PRIVATE_KEY}`).toString('base64');
  await fetch(`${s.url}/merchants/${presets.BRAINTREE_MERCHANT_ID}/transactions/none`, { headers: { authorization: `Basic ${auth}`, 'x-apiversion': '6' } });
}

/**
 * Starts the sandboxes on `home` at `start`, moves their clock to `read` (as a running hub's clock moves)
 * and reads what they serve.
 */
async function served(home: string, start: Date, read: Date) {
  const world = sandboxWorld(home, start);
  const clock = movableClock(start);
  const started: RunningSandbox[] = [];
  const presets: Record<string, string>[] = [];
  try {
    for (const name of ['stripe', 'braintree', 'salesforce', 'freshdesk']) {
      const entry = SANDBOXES[name]!;
      presets.push(entry.presets());
      started.push(await entry.start({ hubUrl: 'http://127.0.0.1:9', presets: presets.at(-1)!, world, now: clock.now }));
    }
    const [stripe, braintree] = started as [RunningSandbox, RunningSandbox];
    clock.set(read);
    await braintreeCatchUp(braintree, presets[1]!);
    return {
      world,
      charges: await stripeList(stripe, 'charges'),
      payouts: await stripeList(stripe, 'payouts'),
      refunds: await stripeList(stripe, 'refunds'),
      disputes: await stripeList(stripe, 'disputes'),
      stripeBank: stripe.bankLines!(),
      braintreeBank: braintree.bankLines!(),
      starts: started.map((s) => Object.entries(s.secrets).filter(([k]) => k.endsWith('_START_DATE'))),
    };
  } finally {
    for (const s of started) await s.close();
  }
}

type Row = { [k: string]: unknown };
const key = (r: object) => String((r as Row).id ?? (r as Row).bank_line_id);

/** Every record both starts served is the same record: an id never comes back with other times or amounts. */
function expectNoIdChanged<T extends object>(a: readonly T[], b: readonly T[]): number {
  const later = new Map(b.map((r) => [key(r), r]));
  let shared = 0;
  for (const r of a) {
    if (!later.has(key(r))) continue;
    shared++;
    expect(later.get(key(r))).toEqual(r);
  }
  return shared;
}

describe("the sandboxes' world on one home", () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-sandbox-world-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('serves the same appeal (ids, times, amounts) at a restart days later', async () => {
    const first = await served(home, FIRST, new Date(FIRST.getTime() + 1.5 * DAY));
    const again = await served(home, LATER, LATER);
    expect(first.world).toEqual({ asOf: FIRST, start: 1 });
    expect(again.world).toEqual({ asOf: FIRST, start: 2 });
    // The appeal sits six to three days before the home's first start, not before the restart.
    const history = (rows: Row[]) => rows.filter((r) => (r.created as number) * 1000 < FIRST.getTime());
    expect(history(first.charges).length).toBeGreaterThan(100);
    for (const c of first.charges) expect((c.created as number) * 1000).toBeGreaterThanOrEqual(FIRST.getTime() - 6 * DAY);
    expect(history(again.charges)).toEqual(history(first.charges));
    expect(again.payouts).toEqual(first.payouts);
    expect(again.stripeBank).toEqual(first.stripeBank);
    // Refunds and disputes are history only: none is made up past the world's moment at a restart.
    expect(again.refunds).toEqual(first.refunds);
    expect(again.disputes).toEqual(first.disputes);
    // Live charges (one a second) have ids of their own start; any id served twice is the same charge.
    expectNoIdChanged(first.charges, again.charges);
    // Braintree disburses the appeal's last days after the world's moment, as the clock passes them: the
    // restart's disbursements are the first start's, ids included, whatever each start drew meanwhile.
    expect(first.braintreeBank.some((l) => Date.parse(l.occurred_at) > FIRST.getTime())).toBe(true);
    expect(expectNoIdChanged(first.braintreeBank, again.braintreeBank)).toBe(first.braintreeBank.length);
    expect(again.starts).toEqual(first.starts);
  });

  it('a fresh home starts its world at its own first start', () => {
    const other = mkdtempSync(join(tmpdir(), 'puddle-sandbox-world-'));
    try {
      expect(sandboxWorld(other, LATER)).toEqual({ asOf: LATER, start: 1 });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('a live seed', () => {
  it('gives what a sandbox adds after its history ids of its own start', async () => {
    const now = () => FIRST;
    const opts = { scenario: { seed: 4, donations: 40 }, now };
    const live = async (liveSeed?: number) => {
      const s = await startStripeSandbox({ ...opts, liveSeed });
      try {
        return s.addCharges(3).map((c) => c.id);
      } finally {
        await s.close();
      }
    };
    const [plain, again, seeded, other] = [await live(), await live(), await live(11), await live(12)];
    expect(again).toEqual(plain);
    expect(seeded).not.toEqual(plain);
    expect(other).not.toEqual(seeded);
    expect(await live(11)).toEqual(seeded);
  });

  it("gives live gifts the seeded scenario's campaign, as the website and the dashboard show them", async () => {
    const opts = { scenario: { seed: 4, donations: 40 }, now: () => FIRST };
    const stripe = await startStripeSandbox(opts);
    const braintree = await startBraintreeSandbox(opts);
    try {
      const charges = stripe.addCharges(2);
      expect(charges.map((c) => c.metadata.campaign)).toEqual(['appeal-night-2026-s4', 'appeal-night-2026-s4']);
      expect(stripe.data.donations.slice(-2).map((d) => d.campaign)).toEqual(['appeal-night-2026-s4', 'appeal-night-2026-s4']);
      const sales = braintree.addTransactions(2);
      expect(sales.map((t) => t.custom_fields.campaign)).toEqual(['appeal-night-2026-s4', 'appeal-night-2026-s4']);
      expect(braintree.data.donations.slice(-2).map((d) => d.campaign)).toEqual(['appeal-night-2026-s4', 'appeal-night-2026-s4']);
    } finally {
      await stripe.close();
      await braintree.close();
    }
  });
});
