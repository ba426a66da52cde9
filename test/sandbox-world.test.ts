import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxWorld } from '../connectors/sandbox-world.js';
import { SANDBOXES, type RunningSandbox } from '../connectors/sandboxes.js';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';

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

/** Starts the sandboxes on `home` at `now` and reads what they serve of the seeded history. */
async function served(home: string, now: Date) {
  const world = sandboxWorld(home, now);
  const started: RunningSandbox[] = [];
  try {
    for (const name of ['stripe', 'braintree', 'salesforce', 'freshdesk']) {
      const entry = SANDBOXES[name]!;
      started.push(await entry.start({ hubUrl: 'http://127.0.0.1:9', presets: entry.presets(), world }));
    }
    const [stripe, braintree] = started as [RunningSandbox, RunningSandbox];
    // Live charges (one a second) are left out: they are made at the real clock, with ids of this start.
    const history = (rows: Record<string, unknown>[]) => rows.filter((r) => (r.created as number) * 1000 <= world.asOf.getTime());
    return {
      world,
      charges: history(await stripeList(stripe, 'charges')),
      payouts: history(await stripeList(stripe, 'payouts')),
      // Nothing adds refunds live: all of them are history, and none may be made up past the world's moment.
      refunds: await stripeList(stripe, 'refunds'),
      stripeBank: stripe.bankLines!(),
      braintreeBank: braintree.bankLines!(),
      starts: started.map((s) => Object.entries(s.secrets).filter(([k]) => k.endsWith('_START_DATE'))),
    };
  } finally {
    for (const s of started) await s.close();
  }
}

describe("the sandboxes' world on one home", () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-sandbox-world-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('serves the same appeal (ids, times, amounts) at a restart days later', async () => {
    const first = await served(home, FIRST);
    const again = await served(home, LATER);
    expect(first.world).toEqual({ asOf: FIRST, start: 1 });
    expect(again.world).toEqual({ asOf: FIRST, start: 2 });
    // The appeal sits six to three days before the home's first start, not before the restart.
    expect(first.charges.length).toBeGreaterThan(100);
    for (const c of first.charges) expect((c.created as number) * 1000).toBeGreaterThanOrEqual(FIRST.getTime() - 6 * DAY);
    expect(first.payouts.length).toBeGreaterThan(0);
    expect(first.braintreeBank.length).toBeGreaterThan(0);
    expect(again.charges).toEqual(first.charges);
    expect(again.payouts).toEqual(first.payouts);
    expect(again.refunds).toEqual(first.refunds);
    for (const r of again.refunds) expect((r.created as number) * 1000).toBeLessThanOrEqual(FIRST.getTime());
    expect(again.stripeBank).toEqual(first.stripeBank);
    expect(again.braintreeBank).toEqual(first.braintreeBank);
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
});
