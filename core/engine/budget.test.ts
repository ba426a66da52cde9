import { describe, expect, it } from 'vitest';
import { RequestBudget } from './budget.js';

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
});
