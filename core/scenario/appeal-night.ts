import { CHANNELS } from '../contracts/index.js';
import { pick, randomId, seededRandom } from './random.js';

// A realistic appeal night, generated from a seed: the TV show runs calls to action, supporters click
// and give through every channel, some producers retry (duplicates), some send garbage, and the call
// centre corrects a few amounts afterwards. Reused by the demo, tests, benchmarks and the providers'
// sandboxes (which take the online donations routed to them and turn them into charges/transactions).

export type Channel = (typeof CHANNELS)[number];

export interface ProducerEvent {
  contract: string;
  version: number;
  id?: string;
  payload: Record<string, unknown>;
}

export interface ScenarioDonation {
  donation_id: string;
  occurred_at: string;
  channel: Channel;
  amount_minor: number;
  currency: string;
  campaign: string;
  cta: string;
  click_id: string | null;
  supporter_id: string;
  payment_provider: string;
}

export interface ChannelTotal {
  count: number;
  amount_minor: number;
}

export interface Scenario {
  campaign: string;
  clicks: ProducerEvent[];
  /** The final state of every donation (after corrections): what the lake should say. */
  donations: ScenarioDonation[];
  /** Everything to send, in order: valid events, duplicates, corrections and invalid events. */
  events: ProducerEvent[];
  /** Indexes into `events` that a correct producer must reject. */
  invalidIndexes: Set<number>;
  duplicates: number;
  corrections: number;
  expected: { byChannel: Record<string, ChannelTotal>; total: ChannelTotal };
}

export interface ScenarioOptions {
  seed?: number;
  donations?: number;
  /** Clicks per online donation (most clicks never convert). */
  clicksPerDonation?: number;
  start?: Date;
  durationMinutes?: number;
  duplicateRate?: number;
  invalidRate?: number;
  correctionRate?: number;
  currency?: string;
  /** Campaign name; defaults to one per seed so scenarios in one lake stay apart. */
  campaign?: string;
}

const CHANNEL_MIX: (readonly [Channel, number])[] = [
  ['online', 55],
  ['sms', 25],
  ['ivr', 8],
  ['call_centre', 10],
  ['other', 2],
];
const AMOUNTS: (readonly [number, number])[] = [
  [500, 20],
  [1000, 30],
  [2000, 20],
  [2500, 10],
  [5000, 10],
  [10000, 5],
  [1500, 3],
  [25000, 2],
];
const SMS_AMOUNTS: (readonly [number, number])[] = [
  [500, 50],
  [1000, 40],
  [2000, 10],
];
const CTAS = ['tv-qr', 'tv-phone', 'tv-sms', 'email', 'social', 'homepage'];
const PROVIDER_BY_CHANNEL: Record<Channel, (readonly [string, number])[]> = {
  online: [
    ['stripe', 70],
    ['braintree', 30],
  ],
  sms: [['sms_aggregator', 1]],
  ivr: [['ivr', 1]],
  call_centre: [
    ['stripe', 80],
    ['braintree', 20],
  ],
  crm: [['crm', 1]],
  other: [['cash', 1]],
};

/** Generate an appeal night. Same options, same scenario. */
export function appealNight(opts: ScenarioOptions = {}): Scenario {
  const rand = seededRandom(opts.seed ?? 42);
  const n = opts.donations ?? 500;
  const start = (opts.start ?? new Date('2026-11-27T19:00:00Z')).getTime();
  const spanMs = (opts.durationMinutes ?? 180) * 60_000;
  const currency = opts.currency ?? 'GBP';
  const campaign = opts.campaign ?? `appeal-night-2026-s${opts.seed ?? 42}`;
  const clicksPerDonation = opts.clicksPerDonation ?? 3;
  const at = (ms: number) => new Date(Math.floor(ms)).toISOString();

  const clicks: ProducerEvent[] = [];
  const donations: ScenarioDonation[] = [];
  const events: ProducerEvent[] = [];
  const invalidIndexes = new Set<number>();
  let duplicates = 0;
  let corrections = 0;

  for (let i = 0; i < n; i++) {
    // Donations bunch up after each on-air call to action (every 20 minutes).
    const base = start + rand() * spanMs;
    const t = base - (base % (20 * 60_000)) + rand() ** 3 * 20 * 60_000;
    const channel = pick(rand, CHANNEL_MIX);
    const cta = channel === 'sms' ? 'tv-sms' : channel === 'ivr' || channel === 'call_centre' ? 'tv-phone' : CTAS[Math.floor(rand() * CTAS.length)]!;
    let click_id: string | null = null;
    if (channel === 'online') {
      const k = 1 + Math.floor(rand() * clicksPerDonation * 2);
      for (let c = 0; c < k; c++) {
        const click = {
          click_id: randomId(rand, 'clk_'),
          occurred_at: at(t - (k - c) * 15_000 * rand()),
          campaign,
          cta,
          channel: 'web',
        };
        clicks.push({ contract: 'click', version: 1, payload: click });
        events.push({ contract: 'click', version: 1, payload: click });
      }
      click_id = (clicks[clicks.length - 1]!.payload.click_id as string) ?? null;
    }
    const donation: ScenarioDonation = {
      donation_id: randomId(rand, 'don_'),
      occurred_at: at(t),
      channel,
      amount_minor: pick(rand, channel === 'sms' ? SMS_AMOUNTS : AMOUNTS),
      currency,
      campaign,
      cta,
      click_id,
      supporter_id: randomId(rand, 'sup_'),
      payment_provider: pick(rand, PROVIDER_BY_CHANNEL[channel]),
    };
    // The call centre keys £50 as £500 now and then, and sends the fix a few minutes later.
    const mistaken = channel === 'call_centre' && rand() < (opts.correctionRate ?? 0.2);
    const first = mistaken ? { ...donation, amount_minor: donation.amount_minor * 10 } : { ...donation };
    const event = { contract: 'donation', version: 1, id: donation.donation_id, payload: first };
    events.push(event);
    if (rand() < (opts.duplicateRate ?? 0.03)) {
      events.push(structuredClone(event)); // a producer retry: identical
      duplicates++;
    }
    if (mistaken) {
      events.push({ ...event, payload: { ...donation, updated_at: at(t + 300_000) } });
      corrections++;
    }
    donations.push(donation);
    if (rand() < (opts.invalidRate ?? 0.02)) {
      invalidIndexes.add(events.length);
      events.push(invalidEvent(rand, donation));
    }
  }

  const byChannel: Record<string, ChannelTotal> = {};
  const total = { count: 0, amount_minor: 0 };
  for (const d of donations) {
    const c = (byChannel[d.channel] ??= { count: 0, amount_minor: 0 });
    c.count++;
    c.amount_minor += d.amount_minor;
    total.count++;
    total.amount_minor += d.amount_minor;
  }
  return { campaign, clicks, donations, events, invalidIndexes, duplicates, corrections, expected: { byChannel, total } };
}

/** The kinds of garbage real producers send. */
function invalidEvent(rand: () => number, d: ScenarioDonation): ProducerEvent {
  const kind = Math.floor(rand() * 5);
  const p: Record<string, unknown> = { ...d, donation_id: `${d.donation_id}_bad` };
  if (kind === 0) p.amount_minor = '10.00'; // a decimal string instead of minor units
  if (kind === 1) delete p.currency;
  if (kind === 2) p.channel = 'fax';
  if (kind === 3) p.occurred_at = '29/11/2026 20:15';
  if (kind === 4) return { contract: 'donation', version: 9, payload: p };
  return { contract: 'donation', version: 1, payload: p };
}

/**
 * Split events into producer requests: valid events in batches of `batchSize`, each invalid one
 * alone (a batch is atomic, so one bad event would reject its neighbours).
 */
export function toRequests(s: Scenario, batchSize = 50): { events: ProducerEvent[]; invalid: boolean }[] {
  const out: { events: ProducerEvent[]; invalid: boolean }[] = [];
  let cur: ProducerEvent[] = [];
  s.events.forEach((e, i) => {
    if (s.invalidIndexes.has(i)) {
      out.push({ events: [e], invalid: true });
      return;
    }
    cur.push(e);
    if (cur.length >= batchSize) {
      out.push({ events: cur, invalid: false });
      cur = [];
    }
  });
  if (cur.length) out.push({ events: cur, invalid: false });
  return out;
}
