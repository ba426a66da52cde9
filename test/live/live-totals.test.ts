import { describe, expect, it, vi } from 'vitest';
import { LiveTotals } from '../../puddles/live-totals.js';
import type { QueryEngine } from '../../core/ports.js';
import { TotalsKeeper } from '../../puddles/totals-keeper.js';
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

// apply(), as consumers call it: applyRows alone does not bump the version the documents are cached by.
const put = (t: LiveTotals, rows: Record<string, string | number | null>[]) => t.apply({ contract: 'donation', version: 1, rows });

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

  // A producer retry: A, then a correction B with the same _changed_at (no updated_at), then A sent again. The
  // views keep A's first arrival, so B stays current; every order of arrival must say so.
  it('keeps a re-sent envelope at its first arrival, so a resent older event never beats a correction', () => {
    const row = (id: string, amount: number, received: string) => ({
      donation_id: 'rs1', occurred_at: '2026-12-01T20:15:03Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'rs', cta: null,
      status: null, _id: id, _changed_at: '2026-12-01T20:15:03Z', _received_at: received,
    });
    const a = row('id-a', 500, '2026-12-01T21:00:00Z');
    const b = row('id-b', 1500, '2026-12-01T21:00:02Z');
    const again = row('id-a', 500, '2026-12-01T21:00:04Z');
    const total = (t: LiveTotals) => t.document({ by: 'channel', campaign: 'rs' }).total;
    for (const order of [[a, b, again], [again, b, a], [b, again, a], [again, a, b], [a, again, b], [b, a, again]]) {
      const t = new LiveTotals();
      put(t, order);
      expect(total(t)).toEqual({ amount_minor: 1500, count: 1 });
    }
    // After a restart the rebuild gives the current version and the tying ones at their first arrival
    // (totals-sql.ts); a later re-send of A still loses.
    const t = new LiveTotals();
    put(t, [b]);
    put(t, [a]);
    put(t, [row('id-a', 500, '2026-12-01T22:00:00Z')]);
    expect(total(t)).toEqual({ amount_minor: 1500, count: 1 });
    // A newer version still wins, and the ties it supersedes are forgotten.
    put(t, [{ ...row('id-c', 700, '2026-12-01T22:00:01Z'), _changed_at: '2026-12-01T20:16:00Z' }]);
    put(t, [row('id-a', 500, '2026-12-01T22:00:02Z')]);
    expect(total(t)).toEqual({ amount_minor: 700, count: 1 });
  });

  // Ids as the hub has them (envelopeId's 32 hex digits, which the totals keep packed: puddles/slot-ids.ts) and
  // of any other form, the two mixed too: read back, they must order as the strings do.
  it.each([
    ['hand-written', 'id-a', 'id-b'],
    ["envelopeId's form", '0f'.repeat(16), 'f0'.repeat(16)],
    ['mixed', 'f0'.repeat(16), 'id-b'],
  ])('takes the greatest _id among versions changed and first arriving at the same instant (%s ids)', (_, low, high) => {
    const row = (id: string, amount: number, received = '2026-12-01T21:00:00Z') => ({
      donation_id: 'tie1', occurred_at: '2026-12-01T20:15:03Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'tie', cta: null,
      status: null, _id: id, _changed_at: '2026-12-01T20:15:03Z', _received_at: received,
    });
    const total = (t: LiveTotals) => t.document({ by: 'channel', campaign: 'tie' }).total;
    for (const order of [[row(low, 500), row(high, 1500)], [row(high, 1500), row(low, 500)]]) {
      const t = new LiveTotals();
      put(t, order);
      put(t, order);
      expect(total(t)).toEqual({ amount_minor: 1500, count: 1 });
      // A later first arrival of the lower id wins over the id order.
      put(t, [row(`${low}`, 500, '2026-12-01T21:00:00Z'), row('id-later', 700, '2026-12-01T21:00:01Z')]);
      expect(total(t)).toEqual({ amount_minor: 700, count: 1 });
    }
  });

  it('counts a donation dated after today only from its day on, as totals_by_box does', () => {
    const t = new LiveTotals();
    const at = '2099-01-01T00:00:00Z';
    put(t, [
      { donation_id: 'fut', occurred_at: at, channel: 'sms', amount_minor: 1_000_000, currency: 'GBP', campaign: 'fut', cta: null, status: null, _id: 'f', _changed_at: at, _received_at: '2026-12-01T21:00:00Z' },
    ]);
    const before = Date.parse('2098-12-31T23:59:59Z');
    expect(t.document({ by: 'channel', campaign: 'fut' }, before).total).toEqual({ amount_minor: 0, count: 0 });
    expect(t.document({ by: 'channel', campaign: 'fut', to: Date.parse('2100-01-01') }, before).total).toEqual({ amount_minor: 0, count: 0 });
    expect(t.cells(before)).toEqual([]);
    // Its day has come: it counts, in the document and in the cells the drift check compares.
    const on = Date.parse('2099-01-01T00:00:00Z');
    expect(t.document({ by: 'channel', campaign: 'fut' }, on).total).toEqual({ amount_minor: 1_000_000, count: 1 });
    expect(t.cells(on)).toHaveLength(1);
  });

  it('moves as_of by a donation dated ahead only when its day comes, to that day\'s start, and tells listeners then', () => {
    const t = new LiveTotals();
    const now = Date.parse('2026-12-02T18:00:00Z');
    const donation = (id: string, occurred: string, received: string) => ({
      donation_id: id, occurred_at: occurred, channel: 'sms', amount_minor: 500, currency: 'GBP', campaign: 'c', cta: null, status: null,
      _id: `env-${id}`, _changed_at: occurred, _received_at: received,
    });
    t.applyRows([donation('now', '2026-12-02T17:00:00Z', '2026-12-02T17:00:01Z')], now);
    // A mistyped year, arriving after the other: held out of the total, and out of as_of.
    t.applyRows([donation('typo', '2126-12-02T17:00:00Z', '2026-12-02T17:30:00Z')], now);
    const doc = t.document({ by: 'channel' }, now);
    expect(doc.total).toEqual({ amount_minor: 500, count: 1 });
    expect(doc.as_of).toBe('2026-12-02T17:00:01.000Z');
    expect(t.asOf(now)).toBe('2026-12-02T17:00:01.000Z');
    // Its day: counted, and as_of says when it entered the total; a listener hears it without anything landing.
    let heard = 0;
    t.onChange(() => heard++);
    const day = Date.parse('2126-12-02T00:00:00Z');
    expect(t.release(day - 1)).toBe(false);
    expect(t.release(day)).toBe(true);
    expect(heard).toBe(1);
    expect(t.document({ by: 'channel' }, day)).toMatchObject({ as_of: '2126-12-02T00:00:00.000Z', total: { amount_minor: 1000, count: 2 } });
    // A version dated today but arriving before its day began (applied late) enters at its day's start too.
    const late = new LiveTotals();
    late.applyRows([donation('edge', '2026-12-03T00:10:00Z', '2026-12-02T23:59:59Z')], Date.parse('2026-12-03T00:00:01Z'));
    expect(late.asOf(Date.parse('2026-12-03T00:00:01Z'))).toBe('2026-12-03T00:00:00.000Z');
  });

  it('keeps a timer that lets held donations in at UTC midnight, so open streams push them then', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-02T23:59:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      // Nothing in the lake: every rebuild query answers no rows.
      const empty: QueryEngine = { query: async () => [] } as unknown as QueryEngine;
      const keeper = new TotalsKeeper(empty);
      await keeper.start(3_600_000);
      keeper.totals.apply({
        contract: 'donation', version: 1,
        rows: [{ donation_id: 'tomorrow', occurred_at: '2026-12-03T09:00:00Z', channel: 'sms', amount_minor: 700, currency: 'GBP', campaign: 'c', cta: null, status: null, _id: 'e', _changed_at: '2026-12-03T09:00:00Z', _received_at: '2026-12-02T23:58:00Z' }],
      });
      let heard = 0;
      keeper.totals.onChange(() => heard++);
      await vi.advanceTimersByTimeAsync(59_000);
      expect(heard).toBe(0);
      await vi.advanceTimersByTimeAsync(1_100);
      expect(heard).toBe(1);
      expect(keeper.totals.document({ by: 'channel' })).toMatchObject({ as_of: '2026-12-03T00:00:00.000Z', total: { amount_minor: 700, count: 1 } });
      await keeper.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
