import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineConnector, defineStream, Refetcher, type ConnectorInstance, type PromptingWebhook } from '../core/engine/index.js';
import type { Envelope } from '../core/envelope.js';
import { FatalError, NotFoundError, RetriableError } from '../core/errors.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { SqliteStateStore } from '../infra/local/sqlite-state-store.js';

// The Refetcher's own logic (follow-up reads, outcomes, shutdown) over a provider in memory whose reads
// the test can hold open. Real SDKs against their sandboxes: test/stripe-reread.test.ts, braintree-reread.
interface Thing { id: string; amount: number }

function provider() {
  const things = new Map<string, Thing>([['t1', { id: 't1', amount: 100 }]]);
  const reads: string[] = [];
  const faults: Error[] = [];
  let hold: Promise<void> | null = null;
  return {
    things, reads, faults,
    /** Hold every read open until the returned function is called. */
    holdReads() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    async get(id: string): Promise<Thing | null> {
      reads.push(id);
      if (hold) await hold;
      const f = faults.shift();
      if (f) throw f;
      const t = things.get(id);
      return t ? { ...t } : null;
    },
  };
}

type P = ReturnType<typeof provider>;

function setup(opts: { coalesceMs?: number } = {}) {
  const queue = new SqliteQueue(':memory:');
  const state = new SqliteStateStore(':memory:');
  const p = provider();
  const things = defineStream<P, Thing>({
    name: 'things', contract: 'donation', primaryKey: (r) => r.id,
    fetchPage: async () => ({ records: [], next: null }),
    fetchById: (ctx, id) => ctx.call('get', () => ctx.client.get(id)),
    toContract: (r) => [
      { contract: 'donation', version: 1, payload: { donation_id: r.id, occurred_at: '2026-11-29T12:00:00.000Z', channel: 'online', amount_minor: r.amount, currency: 'GBP' } },
    ],
  });
  const listed = defineStream<P, Thing>({ name: 'listed', contract: 'donation', primaryKey: (r) => r.id, fetchPage: async () => ({ records: [], next: null }), toContract: () => [] });
  const inst: ConnectorInstance<P> = {
    connector: defineConnector<P>({
      name: 'fake', streams: [things, listed] as never,
      classifyError: (err) => (err instanceof Error && /flaky/.test(err.message) ? new RetriableError('flaky') : new FatalError('refused')),
    }),
    client: p, startDate: new Date(0), requestsPerSecond: 0, concurrency: 4,
  };
  const clock = { now: () => new Date('2026-11-30T10:00:00Z') };
  const refetcher = new Refetcher({
    runtime: { queue, state, clock }, instances: { fake: inst as unknown as ConnectorInstance<never> },
    coalesceMs: opts.coalesceMs ?? 20, retry: { maxAttempts: 2, baseMs: 1, maxMs: 5 },
  });
  const published = async (): Promise<Envelope[]> => {
    const batch = await queue.claim('all', { max: 1000, visibilityMs: 60_000 });
    await queue.ack('all', batch.map((m) => m.receipt));
    return batch.map((m) => m.envelope);
  };
  const hook = (n: number, type = 'thing.updated'): PromptingWebhook => ({ source: 'webhook:fake', delivery_id: `evt_${n}`, type, occurred_at: '2026-11-30T09:59:00.000Z' });
  const outcomes = (envs: Envelope[]) =>
    envs.filter((e) => e.stream === 'reread').map((e) => [e.key, e.payload.type, e.payload.reason]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const close = async () => {
    await refetcher.stop();
    await queue.close();
  };
  return { queue, p, refetcher, published, hook, outcomes, close, ready: queue.subscribe({ name: 'all', contracts: '*' }) };
}

describe('Refetcher', () => {
  let s: ReturnType<typeof setup>;
  afterEach(() => s.close());

  it('reads an object once more when it is prompted again during its read, since it may have changed after the read began', async () => {
    s = setup();
    await s.ready;
    const release = s.p.holdReads();
    s.refetcher.prompt(s.hook(1), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    while (s.p.reads.length === 0) await new Promise((r) => setTimeout(r, 5));
    // The object changes, and its webhook comes while the first read is still under way.
    s.p.things.set('t1', { id: 't1', amount: 250 });
    s.refetcher.prompt(s.hook(2), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    s.refetcher.prompt(s.hook(3), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    release();
    await s.refetcher.idle();
    expect(s.p.reads).toEqual(['t1', 't1']);
    const envs = await s.published();
    // Both reads found 250: the second read's version, the same, is not queued again (core/engine/recent.ts).
    expect(envs.filter((e) => e.contract === 'donation').map((e) => e.payload.amount_minor)).toEqual([250]);
    expect(s.outcomes(envs)).toEqual([
      ['evt_1:reread:t1', 'reread.succeeded', null],
      ['evt_2:reread:t1', 'reread.succeeded', null],
      ['evt_3:reread:t1', 'reread.succeeded', null],
    ]);
    // The re-read versions come from the connector's stream, as a sync's would.
    expect(envs.find((e) => e.contract === 'donation')).toMatchObject({ source: 'fake', stream: 'things', key: 't1' });
  });

  it('queues a version it published lately only once, and a changed one again; every read is audited', async () => {
    s = setup();
    await s.ready;
    const reread = async (n: number) => {
      s.refetcher.prompt(s.hook(n), [{ connector: 'fake', stream: 'things', id: 't1' }]);
      await s.refetcher.idle();
      const envs = await s.published();
      return { amounts: envs.filter((e) => e.contract === 'donation').map((e) => e.payload.amount_minor), audits: s.outcomes(envs).length };
    };
    expect(await reread(1)).toEqual({ amounts: [100], audits: 1 });
    expect(await reread(2)).toEqual({ amounts: [], audits: 1 });
    s.p.things.set('t1', { id: 't1', amount: 250 });
    expect(await reread(3)).toEqual({ amounts: [250], audits: 1 });
  });

  it('records not_found, provider_refused without retrying, provider_unreachable after retries, and not_supported', async () => {
    s = setup();
    await s.ready;
    s.refetcher.prompt(s.hook(1), [{ connector: 'fake', stream: 'things', id: 'gone' }]);
    await s.refetcher.idle();
    s.p.faults.push(new NotFoundError('fake: 404'));
    s.refetcher.prompt(s.hook(2), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    await s.refetcher.idle();
    s.p.faults.push(new Error('no'));
    s.refetcher.prompt(s.hook(3), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    await s.refetcher.idle();
    s.p.faults.push(new Error('flaky'), new Error('flaky'));
    s.refetcher.prompt(s.hook(4), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    s.refetcher.prompt(s.hook(5), [{ connector: 'fake', stream: 'listed', id: 't1' }]);
    await s.refetcher.idle();
    expect(s.p.reads).toEqual(['gone', 't1', 't1', 't1', 't1']);
    const envs = await s.published();
    expect(envs.filter((e) => e.contract === 'donation')).toEqual([]);
    expect(s.outcomes(envs)).toEqual([
      ['evt_1:reread:gone', 'reread.not_found', null],
      ['evt_2:reread:t1', 'reread.not_found', null],
      ['evt_3:reread:t1', 'reread.deferred', 'provider_refused'],
      ['evt_4:reread:t1', 'reread.deferred', 'provider_unreachable'],
      ['evt_5:reread:t1', 'reread.deferred', 'not_supported'],
    ]);
    expect(s.refetcher.stats()).toMatchObject({ pending: 0, succeeded: 0, notFound: 2, deferred: { provider_refused: 1, provider_unreachable: 1, not_supported: 1 } });
  });

  it('says why re-reads were left to the next sync, once for a run of them, not a line a batch', async () => {
    s = setup();
    await s.ready;
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      // The provider refuses every read (keys rolled): a webhook every batch, as on an appeal night.
      for (let n = 1; n <= 4; n++) {
        s.p.faults.push(new Error('no'));
        s.refetcher.prompt(s.hook(n), [{ connector: 'fake', stream: 'things', id: `t${n}` }]);
        await s.refetcher.idle();
      }
      s.p.faults.push(new Error('flaky'), new Error('flaky'));
      s.refetcher.prompt(s.hook(5), [{ connector: 'fake', stream: 'things', id: 't5' }]);
      await s.refetcher.idle();
      const warnings = stderr.mock.calls.map(([line]) => String(line)).filter((l) => l.includes('re-reads left to the next sync')).map((l) => JSON.parse(l) as unknown);
      // Until 2026-12-03: five lines, `{"connector":"fake","stream":"things","objects":1}` each, none saying why.
      expect(warnings).toEqual([
        expect.objectContaining({ level: 'warn', connector: 'fake', stream: 'things', objects: 1, reason: 'provider_refused', error: 'refused' }),
        expect.objectContaining({ level: 'warn', connector: 'fake', stream: 'things', objects: 1, reason: 'provider_unreachable', error: 'flaky' }),
      ]);
      expect(s.refetcher.stats()).toMatchObject({ deferred: { provider_refused: 4, provider_unreachable: 1 } });
    } finally {
      stderr.mockRestore();
    }
  });

  it('gives a redelivered webhook with the same outcome the same audit record', async () => {
    s = setup();
    await s.ready;
    s.refetcher.prompt(s.hook(1), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    await s.refetcher.idle();
    const first = (await s.published()).filter((e) => e.stream === 'reread');
    s.refetcher.prompt(s.hook(1), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    await s.refetcher.idle();
    const second = (await s.published()).filter((e) => e.stream === 'reread');
    expect(second.map((e) => e.id)).toEqual(first.map((e) => e.id));
    expect(first).toHaveLength(1);
  });

  it('on stop, records what was waiting as deferred (stopping) and takes no more', async () => {
    s = setup({ coalesceMs: 60_000 });
    await s.ready;
    s.refetcher.prompt(s.hook(1), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    await s.refetcher.stop();
    s.refetcher.prompt(s.hook(2), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    await s.refetcher.idle();
    expect(s.p.reads).toEqual([]);
    expect(s.outcomes(await s.published())).toEqual([
      ['evt_1:reread:t1', 'reread.deferred', 'stopping'],
      ['evt_2:reread:t1', 'reread.deferred', 'stopping'],
    ]);
  });

  it("on stop, a read waiting out the provider's Retry-After stops waiting, and is deferred (stopping)", async () => {
    s = setup();
    await s.ready;
    s.p.faults.push(new RetriableError('rate limited', 60_000, { status: 429 })); // wait a minute
    s.refetcher.prompt(s.hook(1), [{ connector: 'fake', stream: 'things', id: 't1' }]);
    while (s.p.reads.length === 0) await new Promise((r) => setTimeout(r, 5));
    await s.refetcher.stop();
    expect(s.p.reads).toEqual(['t1']);
    expect(s.outcomes(await s.published())).toEqual([['evt_1:reread:t1', 'reread.deferred', 'stopping']]);
  }, 10_000);
});
