import { describe, expect, it } from 'vitest';
import { LiveTotals } from '../../puddles/live-totals.js';
import { seededRandom } from '../../core/scenario/random.js';

// Versions of 200 donations: corrections, late older versions, failures, redeliveries.
function versions(): Record<string, string | number | null>[] {
  const rand = seededRandom(9);
  const out: Record<string, string | number | null>[] = [];
  for (let d = 0; d < 200; d++) {
    const n = 1 + Math.floor(rand() * 4);
    for (let v = 0; v < n; v++) {
      const changed = new Date(Date.UTC(2026, 10, 27, 20, d % 60, v)).toISOString();
      out.push({
        donation_id: `d${d}`, occurred_at: new Date(Date.UTC(2026, 10, 27, 19 + (d % 3), d % 60)).toISOString(), channel: ['sms', 'online'][d % 2]!,
        amount_minor: 100 * (1 + Math.floor(rand() * 50)), currency: d % 7 === 0 ? 'EUR' : 'GBP', campaign: 'c', cta: `cta${d % 4}`,
        status: rand() < 0.15 ? 'failed' : rand() < 0.05 ? 'cancelled' : null, _id: `id-${d}-${v}`, _changed_at: changed,
        _received_at: new Date(Date.UTC(2026, 10, 27, 22, 0, Math.floor(rand() * 50))).toISOString(),
      });
    }
  }
  return out;
}

/** What the SQL would say: latest version per donation (changed, received, id), pledges only, per box. */
function expected(rows: Record<string, string | number | null>[]) {
  const latest = new Map<string, Record<string, string | number | null>>();
  for (const r of rows) {
    const p = latest.get(String(r.donation_id));
    const key = (x: typeof r) => `${x._changed_at}|${x._received_at}|${x._id}`;
    if (!p || key(r) > key(p)) latest.set(String(r.donation_id), r);
  }
  const cells = new Map<string, number[]>();
  for (const r of latest.values()) {
    if (r.status === 'failed' || r.status === 'cancelled') continue;
    const box = Math.floor(Date.parse(String(r.occurred_at)) / 900_000) * 900_000;
    const k = JSON.stringify([r.channel, r.campaign, r.cta, r.currency, box]);
    const c = cells.get(k) ?? [0, 0];
    c[0]! += Number(r.amount_minor);
    c[1]! += 1;
    cells.set(k, c);
  }
  return [...cells.entries()].sort();
}

const cellsOf = (t: LiveTotals) =>
  t.cells().map((c) => [JSON.stringify([c.channel, c.campaign, c.cta, c.currency, c.box]), [c.amount_minor, c.count]] as const).sort();

describe('LiveTotals', () => {
  it('gives the same totals whatever order versions arrive in, and when rows are applied twice', () => {
    const rows = versions();
    const want = expected(rows);
    const rand = seededRandom(4);
    for (let round = 0; round < 5; round++) {
      const shuffled = [...rows].sort(() => rand() - 0.5);
      const t = new LiveTotals();
      t.applyRows(shuffled.slice(0, 300));
      t.applyRows(shuffled);
      t.applyRows(shuffled.slice(100));
      expect(cellsOf(t)).toEqual(want);
    }
  });

  it('bumps its version only on a change and tells its listeners', () => {
    const t = new LiveTotals();
    let told = 0;
    t.onChange(() => told++);
    const rows = versions().slice(0, 10);
    t.apply({ contract: 'donation', version: 1, rows });
    const v = t.version;
    t.apply({ contract: 'donation', version: 1, rows });
    t.apply({ contract: 'payment', version: 1, rows });
    expect(t.version).toBe(v);
    expect(told).toBe(1);
  });
});
