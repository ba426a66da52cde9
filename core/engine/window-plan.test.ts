import { describe, expect, it } from 'vitest';
import { WindowPlan, type PlannedWindow } from './window-plan.js';

const DAY = 86_400_000;
const at = (days: number) => new Date(Date.UTC(2026, 0, 1) + days * DAY);
const days = (w: PlannedWindow) => [(w.from.getTime() - at(0).getTime()) / DAY, (w.to.getTime() - at(0).getTime()) / DAY];

/** Read the whole plan, each window in `pages(w)` pages; the windows as [from, to) in days. */
function readAll(plan: WindowPlan, pages: (w: PlannedWindow) => number): number[][] {
  const out: number[][] = [];
  for (let w = plan.next(); w; w = plan.next()) {
    out.push(days(w));
    plan.read(w, pages(w));
  }
  return out;
}

describe('WindowPlan', () => {
  it('doubles a window after one read in a page, up to maxSizeMs, and ends at `to`', () => {
    const plan = new WindowPlan([], at(0), at(100), { sizeMs: DAY, maxSizeMs: 16 * DAY });
    expect(readAll(plan, () => 1)).toEqual([[0, 1], [1, 3], [3, 7], [7, 15], [15, 31], [31, 47], [47, 63], [63, 79], [79, 95], [95, 100]]);
  });

  it('ends aligned windows on the boundary: the first at the next one, then whole ones, the last at `to`', () => {
    const noon = new Date(at(0).getTime() + DAY / 2);
    const plan = new WindowPlan([], noon, new Date(at(3).getTime() + DAY / 4), { sizeMs: DAY, alignMs: DAY });
    expect(readAll(plan, () => 1)).toEqual([[0.5, 1], [1, 2], [2, 3], [3, 3.25]]);
    // Whole weeks still end at a midnight, and a window already on the boundary is left as it is.
    expect(readAll(new WindowPlan([], noon, at(20), { sizeMs: 7 * DAY, alignMs: DAY }), () => 1)).toEqual([[0.5, 7], [7, 14], [14, 20]]);
    expect(readAll(new WindowPlan([], at(0), at(2), { sizeMs: DAY, alignMs: DAY }), () => 1)).toEqual([[0, 1], [1, 2]]);
  });

  it('keeps the size after a window of several pages, and never grows without maxSizeMs', () => {
    const busy = new WindowPlan([], at(0), at(10), { sizeMs: DAY, maxSizeMs: 8 * DAY });
    expect(readAll(busy, (w) => (days(w)[0] === 1 ? 3 : 0))).toEqual([[0, 1], [1, 3], [3, 5], [5, 9], [9, 10]]);
    expect(readAll(new WindowPlan([], at(0), at(3), { sizeMs: DAY }), () => 0)).toEqual([[0, 1], [1, 2], [2, 3]]);
  });

  it('reads a queued window first, and after a split its halves, then goes on at the start size', () => {
    const plan = new WindowPlan([{ from: at(2), to: at(4), token: 'tok' }], at(4), at(20), { sizeMs: DAY, maxSizeMs: 8 * DAY });
    expect(plan.span).toEqual({ from: at(2).getTime(), to: at(20).getTime() });
    expect(plan.next()).toEqual({ from: at(2), to: at(4), token: 'tok' });
    const first = plan.next()!;
    plan.read(first, 0);
    const big = plan.next()!;
    expect(days(big)).toEqual([5, 7]);
    plan.split(big, at(6));
    expect([plan.next()!, plan.next()!, plan.next()!].map(days)).toEqual([[5, 6], [6, 7], [7, 8]]);
    expect(new WindowPlan([], at(5), at(5), { sizeMs: DAY }).span).toBeNull();
  });
});
