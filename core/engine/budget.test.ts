import { describe, expect, it } from 'vitest';
import { GaveUpWaiting, RequestBudget } from './budget.js';

describe('request budget', () => {
  it('never starts more requests in a second than the budget, even with the event loop busy', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 50, concurrency: 4 });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 60 }, () =>
        budget.run(async () => {
          starts.push(Date.now());
          const until = Date.now() + 15; // a busy event loop, like parsing a large page
          while (Date.now() < until);
        }),
      ),
    );
    starts.sort((a, b) => a - b);
    for (let i = 50; i < starts.length; i++) expect(starts[i]! - starts[i - 50]!).toBeGreaterThanOrEqual(999);
  });

  it('holds every caller through a Retry-After pause', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 0 });
    budget.pauseFor(300);
    const t = Date.now();
    await budget.run(async () => undefined);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
  });

  it('lets a caller stop waiting through a pause once it gives up (its run stopped), without making the call', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 0 });
    budget.pauseFor(60_000); // a Retry-After of a minute
    let stopped = false;
    let made = false;
    const call = budget.run(async () => (made = true), {}, () => stopped);
    setTimeout(() => (stopped = true), 100);
    await expect(call).rejects.toBeInstanceOf(GaveUpWaiting);
    expect(made).toBe(false);
  });

  // Until 2026-12-05 a caller waiting for a slot (all `concurrency` taken by slow calls of other callers: the hub's
  // webhook re-reads) did not ask giveUp until it had one, and held the hub's Ctrl-C for as long.
  it('lets a caller stop waiting for a slot among those in flight once it gives up, and hands the slot on', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 0, concurrency: 1 });
    let answer!: (v: string) => void;
    const slow = budget.run(() => new Promise<string>((r) => (answer = r)));
    let stopped = false;
    let made = false;
    const call = budget.run(async () => (made = true), {}, () => stopped);
    const behind = budget.run(async () => 'behind');
    setTimeout(() => (stopped = true), 100);
    await expect(call).rejects.toBeInstanceOf(GaveUpWaiting);
    // Given up while the slow call still holds the slot, which it never took.
    answer('slow');
    expect(await slow).toBe('slow');
    expect(await behind).toBe('behind');
    expect(made).toBe(false);
  });

  it('goes on with the callers behind one that gave up', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 2 });
    await budget.run(async () => 'first'); // the next may start 500 ms on
    const gaveUp = budget.run(async () => 'second', {}, () => true);
    const third = budget.run(async () => 'third');
    await expect(gaveUp).rejects.toBeInstanceOf(GaveUpWaiting);
    expect(await third).toBe('third');
  });
});

describe('per-window budgets', () => {
  const startsOf = async (budget: RequestBudget, calls: { cost?: number; endpoint?: string }[]) => {
    const starts: { at: number; i: number }[] = [];
    await Promise.all(calls.map((c, i) => budget.run(async () => void starts.push({ at: Date.now(), i }), c)));
    return starts.sort((a, b) => a.at - b.at);
  };

  it('spaces credits over the window by their cost', async () => {
    // 10 credits a 3000 ms window: a 3-credit call holds the next one back 900 ms, a 1-credit one 300 ms. The
    // gaps are wide so that a timer late on a loaded machine (the suite beside other work on 2 cores: 200 ms
    // late, once) cannot make a 1-credit gap look like a 3-credit one.
    const budget = new RequestBudget({ requestsPerSecond: 0, perWindow: { limit: 10, windowMs: 3000 } });
    const s = await startsOf(budget, [{ cost: 3 }, { cost: 1 }, { cost: 1 }]);
    expect(s[1]!.at - s[0]!.at).toBeGreaterThanOrEqual(899);
    expect(s[2]!.at - s[1]!.at).toBeGreaterThanOrEqual(299);
    expect(s[2]!.at - s[1]!.at).toBeLessThan(899);
  });

  it('never lets an endpoint take more calls in any window than its cap, while others use the account', async () => {
    const budget = new RequestBudget({
      requestsPerSecond: 0, concurrency: 4,
      perWindow: { limit: 200, windowMs: 300 },
      endpoints: { tickets_list: { limit: 4, windowMs: 300 } },
    });
    const calls = Array.from({ length: 12 }, (_, i) => (i % 2 ? { cost: 3, endpoint: 'tickets_list' } : { cost: 1 }));
    const s = await startsOf(budget, calls);
    const list = s.filter((x) => x.i % 2).map((x) => x.at);
    // 4 a 300 ms window: any five list calls span at least a whole window.
    for (let i = 4; i < list.length; i++) expect(list[i]! - list[i - 4]!).toBeGreaterThanOrEqual(299);
    // An endpoint without a bucket of its own counts only against the account.
    const other = await startsOf(budget, [{ endpoint: 'unknown' }, { endpoint: 'unknown' }]);
    expect(other[1]!.at - other[0]!.at).toBeLessThan(299);
  });

  it('slows down as the provider reports its allowance running low, and recovers', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 0, perWindow: { limit: 1000, windowMs: 1000 }, lowWater: 0.2 });
    budget.observe({ remaining: 5, total: 100 }); // 5 left: spread over a window, 200 ms apart
    const slow = await startsOf(budget, [{}, {}, {}]);
    expect(slow[1]!.at - slow[0]!.at).toBeGreaterThanOrEqual(195);
    expect(slow[2]!.at - slow[1]!.at).toBeGreaterThanOrEqual(195);
    budget.observe({ remaining: 90, total: 100 });
    await budget.run(async () => undefined); // the first after recovering still waits out the last slow gap
    const fast = await startsOf(budget, [{}, {}, {}]);
    expect(fast[2]!.at - fast[0]!.at).toBeLessThan(390); // still slow, the two gaps would take 400 ms
  });

  it('spreads a low allowance up to when the provider says its window starts over, not over a guessed minute', async () => {
    // GoCardless: RateLimit-Remaining 0, RateLimit-Reset a moment away. No per-window option is set, as for a
    // connector that paces per second and learns its allowance only from the headers.
    const budget = new RequestBudget({ requestsPerSecond: 0 });
    budget.observe({ remaining: 0, total: 1000, resetsAt: Date.now() + 300 });
    const starts = await startsOf(budget, [{}, {}]);
    expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(250);
    expect(starts[1]!.at - starts[0]!.at).toBeLessThan(2_000);
    // Once the reset has passed, the old report no longer slows anything.
    const after = await startsOf(budget, [{}, {}, {}]);
    expect(after[2]!.at - after[0]!.at).toBeLessThan(1_000); // still slowed, a whole guessed minute a call
  });

  it('a Retry-After pause holds calls whatever their bucket', async () => {
    const budget = new RequestBudget({ requestsPerSecond: 0, perWindow: { limit: 1000, windowMs: 1000 }, endpoints: { list: { limit: 1000, windowMs: 1000 } } });
    budget.pauseFor(250);
    const t = Date.now();
    await Promise.all([budget.run(async () => undefined, { endpoint: 'list' }), budget.run(async () => undefined, { cost: 5 })]);
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
  });

  it('refuses limits that cannot space anything', () => {
    expect(() => new RequestBudget({ requestsPerSecond: 0, perWindow: { limit: 0, windowMs: 60_000 } })).toThrow(/perWindow/);
    expect(() => new RequestBudget({ requestsPerSecond: 0, endpoints: { list: { limit: 20, windowMs: 0 } } })).toThrow(/endpoints.list/);
  });
});
