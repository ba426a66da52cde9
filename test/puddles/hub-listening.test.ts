import { describe, expect, it } from 'vitest';
import { makeEnvelope, RAW_ONLY_CONTRACT, type Envelope } from '../../core/envelope.js';
import { FEEDS, FeedWriter, type FeedEntry, type FeedLog } from '../../puddles/feeds.js';
import { hubLandedColumns } from '../../puddles/hub-listening.js';
import { landedMessages, type LandedRows } from '../../puddles/landed.js';
import { contractRow, rawRow, type LandingRow } from '../../puddles/landing-rows.js';
import { DONATION_COLUMNS, LiveTotals } from '../../puddles/live-totals.js';
import { WebhookFreshness } from '../../puddles/webhook-freshness.js';

// The landing threads send the hub only the columns its listeners read (puddles/hub-listening.ts). Each
// listener, given the projected messages, must end exactly as it does given the whole rows.

const env = (contract: string, version: number, source: string, stream: string | null, payload: Record<string, unknown>, received_at: string): Envelope =>
  makeEnvelope({ contract, version, source, stream, payload, received_at, delivery_id: `d-${received_at}` });

const donation = (id: string, over: Record<string, unknown>, received: string) =>
  env('donation', 1, 'producer', 'sms', { donation_id: id, occurred_at: '2026-11-29T20:15:00.000Z', channel: 'sms', amount_minor: 500, currency: 'GBP', campaign: 'night', cta: 'tv', ...over }, received);

const envelopes: Envelope[] = [
  donation('d-1', {}, '2026-11-29T20:15:01.000Z'),
  donation('d-2', { amount_minor: 1250, channel: 'online', cta: 'web' }, '2026-11-29T20:16:01.000Z'),
  donation('d-1', { amount_minor: 700, updated_at: '2026-11-29T20:20:00.000Z' }, '2026-11-29T20:21:01.000Z'), // a newer version
  donation('d-3', { status: 'failed' }, '2026-11-29T20:17:01.000Z'),
  donation('d-4', { occurred_at: '2026-11-29T21:05:00.000Z', campaign: 'other', cta: null }, '2026-11-29T21:05:01.000Z'),
  env('payment', 1, 'stripe', 'charges', { payment_id: 'ch_1', occurred_at: '2026-11-29T20:15:00.000Z', provider: 'stripe', amount_minor: 500, currency: 'GBP', status: 'succeeded' }, '2026-11-29T20:15:02.000Z'),
  env('school_giro_request', 1, 'producer', 'web', {
    school_giro_request_id: 'sgr-1', occurred_at: '2026-11-29T10:00:00.000Z', school_name: 'St Example', address_line1: '1 Lane', town: 'Town', postcode: 'AB1 2CD', pack_size: 30, requested_at: '2026-11-29T10:00:00+01:00', campaign: 'night',
  }, '2026-11-29T10:00:01.000Z'),
  env('school_giro_request', 1, 'producer', 'web', {
    school_giro_request_id: 'sgr-2', occurred_at: '2026-11-29T11:00:00.000Z', school_name: 'St Zero', address_line1: '2 Lane', town: 'Town', postcode: 'AB1 2CE', pack_size: 0, requested_at: '2026-11-29T11:00:00.000Z',
  }, '2026-11-29T11:00:01.000Z'),
];
const webhooks: Envelope[] = [
  env(RAW_ONLY_CONTRACT, 1, 'webhook:stripe', 'charge.succeeded', { provider_event_id: 'evt_1', occurred_at: '2026-11-29T20:00:00.000Z', type: 'charge.succeeded' }, '2026-11-29T20:00:05.000Z'),
  env(RAW_ONLY_CONTRACT, 1, 'webhook:stripe', 'reread', { provider_event_id: 'evt_2', occurred_at: '2026-11-29T20:30:00.000Z', type: 'reread' }, '2026-11-29T20:30:05.000Z'),
];

function rows(): LandingRow[] {
  const out: LandingRow[] = [];
  for (const e of envelopes) {
    const r = contractRow(e, 'transactions');
    if (!r.ok) throw new Error(`${e.contract}: ${JSON.stringify(r.reasons)}`);
    out.push(r.row);
  }
  for (const e of [...envelopes, ...webhooks]) out.push(rawRow(e, JSON.stringify(e)));
  return out;
}

class MemoryFeedLog implements FeedLog {
  readonly entries: [string, FeedEntry][] = [];
  append(feed: string, entries: readonly FeedEntry[]): void {
    for (const e of entries) this.entries.push([feed, e]);
  }
  read(): { position: number; row: Record<string, never> }[] {
    return [];
  }
  last(): number {
    return 0;
  }
  close(): void {}
}

function listenersAfter(messages: readonly LandedRows[]) {
  const totals = new LiveTotals();
  const log = new MemoryFeedLog();
  const feeds = new FeedWriter(log, FEEDS);
  const freshness = new WebhookFreshness();
  for (const m of messages) {
    totals.apply(m);
    feeds.onLanded(m);
    freshness.onLanded(m);
  }
  return { cells: totals.cells(), document: totals.document({ by: 'cta' }), feed: log.entries, fresh: freshness.snapshot() };
}

describe("the hub's listeners on projected landed rows", () => {
  it('end as they do on whole rows', () => {
    const whole = listenersAfter(landedMessages(rows()));
    const projected = listenersAfter(landedMessages(rows(), hubLandedColumns));
    // Something to compare: three pledged donations in two cells, two feed rows (one passing), one webhook source.
    expect(whole.document.total).toEqual({ amount_minor: 700 + 1250 + 500, count: 3 });
    expect(whole.feed.map(([, e]) => [e.key, e.passes])).toEqual([['sgr-1', true], ['sgr-2', false]]);
    expect(whole.fresh).toEqual({ 'webhook:stripe': '2026-11-29T20:00:05.000Z' });
    expect(projected).toEqual(whole);
  });

  it('sends nothing of a contract no listener reads, and only the read columns of the others', () => {
    const messages = landedMessages(rows(), hubLandedColumns);
    expect(messages.map((m) => m.contract).sort()).toEqual(['donation', 'envelope', 'school_giro_request']);
    const donations = messages.find((m) => m.contract === 'donation')!;
    expect(Object.keys(donations.rows[0]!).sort()).toEqual([...DONATION_COLUMNS].sort());
    const raw = messages.find((m) => m.contract === 'envelope')!;
    expect(Object.keys(raw.rows[0]!).sort()).toEqual(['contract', 'received_at', 'source', 'stream']);
  });
});
