// A producer request is one pack in the SQLite queue (infra/local/sqlite-queue-pack.mjs). A consumer that dies
// after landing a batch and before its ack commits leaves whole packs to come back: they land again, and the lake
// counts each donation once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EnvelopeTextWriter, type Envelope, type EnvelopeTexts } from '../../core/envelope.js';
import { log } from '../../core/log.js';
import type { Queue } from '../../core/ports.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { useLake } from './lake-fixture.js';

const lake = useLake();
afterEach(() => vi.restoreAllMocks());

/** A request of `n` donations as the producer queues it: envelopes and their texts. */
function request(name: string, n: number): { envelopes: Envelope[]; texts: EnvelopeTexts } {
  const writer = new EnvelopeTextWriter();
  const envelopes = Array.from({ length: n }, (_, i) =>
    writer.add({
      contract: 'donation',
      version: 1,
      source: 'producer',
      stream: 'web',
      payload: { donation_id: `${name}-${i}`, occurred_at: '2026-11-29T20:15:00Z', channel: 'online', amount_minor: 500 + i, currency: 'GBP' },
      raw: { n: i },
      received_at: '2026-11-29T20:15:01.000Z',
      received_seq: i,
      delivery_id: name,
    }),
  );
  return { envelopes, texts: writer.finish() };
}

describe('a consumer that dies between landing and its ack', () => {
  it('gets whole packs back, and the lake counts each donation once', async () => {
    vi.spyOn(log, 'warn').mockImplementation(() => undefined);
    const sent = [request('req-a', 5), request('req-b', 5), request('req-c', 5)];
    for (const r of sent) await lake.queue.publish(r.envelopes, r.texts);
    const ids = sent.flatMap((r) => r.envelopes.map((e) => e.payload.donation_id as string));

    // Its ack never commits: the process died after the lake had the batch (the real queue, but for that).
    const q = lake.queue;
    const dying: Queue = {
      subscribe: (s) => q.subscribe(s),
      publish: (e, t) => q.publish(e, t),
      claim: (s, o) => q.claim(s, o),
      ack: () => Promise.reject(new Error('killed before the ack committed')),
      extend: (s, r, v) => q.extend(s, r, v),
      retry: (s, r, o) => q.retry(s, r, o),
      deadLetters: (s, l) => q.deadLetters(s, l),
      depth: (s) => q.depth(s),
      close: () => q.close(),
    };
    const visibilityMs = 200;
    const first = new PuddleConsumer({ puddle: lake.puddle('transactions'), queue: dying, store: lake.store, catalog: lake.catalog, visibilityMs, windowMs: 5 });
    expect(await first.landOnce()).toBe(15);
    expect(await lake.queue.depth('transactions')).toBe(15);

    // After the timeout every pack comes back whole, on its second attempt.
    await new Promise((r) => setTimeout(r, visibilityMs * 3));
    const back = await lake.queue.claim('transactions', { max: 100, visibilityMs: 0 });
    expect(back.map((m) => m.envelope.payload.donation_id)).toEqual(ids);
    expect(back.every((m) => m.attempts === 2)).toBe(true);

    expect(await lake.consumer('transactions', { windowMs: 5 }).drain()).toBe(15);
    expect(await lake.queue.depth('transactions')).toBe(0);
    expect(await lake.queue.deadLetters('transactions')).toEqual([]);
    const history = await lake.engine.query('SELECT donation_id, count(*) AS n FROM donation_history GROUP BY donation_id ORDER BY donation_id');
    expect(history).toEqual([...ids].sort().map((donation_id) => ({ donation_id, n: 1 })));
    expect(await lake.engine.query('SELECT count(*) AS n, count(DISTINCT donation_id) AS ids FROM donation')).toEqual([{ n: 15, ids: 15 }]);
  });
});
