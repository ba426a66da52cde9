// The Queue port contract, one suite for every adapter (DESIGN.md rule 6): SQLite here, SQS later.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvelopeTextWriter, makeEnvelope, splitEnvelopeTexts, type Envelope } from '../../core/envelope.js';
import type { Queue } from '../../core/ports.js';

export interface QueueUnderTest {
  /** A fresh, empty queue. */
  queue: Queue;
  /** Open the same queue again after `queue.close()`; omit if the adapter has nothing to reopen. */
  reopen?: () => Promise<Queue>;
  /** Remove what the test created (files, cloud queues). */
  cleanup?: () => Promise<void>;
}

export interface QueueSuiteOptions {
  /** A visibility timeout short enough to wait out in a test; 250 ms unless the adapter needs more. */
  shortVisibilityMs?: number;
  /**
   * Claims hand messages out in publish order (default true). SQS standard queues do not keep order, and put
   * a message whose visibility ran out behind the others: such an adapter is held to "each exactly once".
   */
  ordered?: boolean;
}

let counter = 0;
export function testEnvelope(contract = 'donation', extra: Record<string, unknown> = {}): Envelope {
  counter++;
  return makeEnvelope({
    contract,
    version: 1,
    source: 'test',
    stream: 'suite',
    delivery_id: `run-${counter}`,
    payload: { [`${contract}_id`]: `${contract}-${counter}`, amount: 1000 + counter, currency: 'GBP', ...extra },
    raw: { original: true, n: counter },
  });
}

export function queuePortSuite(label: string, create: () => Promise<QueueUnderTest>, opts: QueueSuiteOptions = {}): void {
  // Long enough that a claim's own commit cannot outlast it: with synchronous=FULL each claim syncs the WAL, and on a
  // machine busy with other I/O one sync took over 50 ms (CI, 2026-12-04), so the message claimed "for 50 ms" was
  // visible again before the next line could see it hidden.
  const shortMs = opts.shortVisibilityMs ?? 250;
  const ordered = opts.ordered ?? true;
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  describe(`Queue port: ${label}`, () => {
    const opened: QueueUnderTest[] = [];
    const extraQueues: Queue[] = [];
    async function fresh(): Promise<QueueUnderTest> {
      const q = await create();
      opened.push(q);
      return q;
    }
    afterEach(async () => {
      for (const q of extraQueues.splice(0)) await q.close().catch(() => undefined);
      for (const q of opened.splice(0)) {
        await q.queue.close().catch(() => undefined);
        await q.cleanup?.();
      }
    });

    it('queues the texts it is given (makeQueuedEnvelope) and refuses texts that do not pair with the envelopes', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 'texts', contracts: ['donation'] });
      const writer = new EnvelopeTextWriter();
      const envelopes = [1, 2].map((n) =>
        writer.add({ contract: 'donation', version: 1, source: 'test', delivery_id: `texts-${n}`, payload: { note: 'q " \u2028 \ud800', donation_id: `t-${n}` }, raw: { n } }),
      );
      const texts = writer.finish();
      await expect(queue.publish([envelopes[0]!], texts)).rejects.toThrow(/2 texts for 1 envelopes/);
      await queue.publish(envelopes, texts);
      const claimed = await queue.claim('texts', { max: 10, visibilityMs: 30_000, withBody: true });
      await queue.ack('texts', claimed.map((m) => m.receipt));
      const byKey = (a: { envelope: Envelope }, b: { envelope: Envelope }) => (a.envelope.key < b.envelope.key ? -1 : 1);
      claimed.sort(byKey);
      expect(claimed.map((m) => m.envelope)).toEqual(envelopes);
      // The given text, not a re-serialisation (its payload keys are sorted; JSON.stringify's are not).
      if (claimed[0]!.body !== undefined) expect(claimed.map((m) => m.body)).toEqual(splitEnvelopeTexts(texts));
    });

    it('round-trips an envelope intact: publish, claim, ack', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 'transactions', contracts: ['donation'] });
      const env = testEnvelope('donation', { nested: { a: [1, 'two', null] }, text: 'caf\u00e9 \u2603' });
      await queue.publish([env]);
      expect(await queue.depth('transactions')).toBe(1);

      const claimed = await queue.claim('transactions', { max: 10, visibilityMs: 30_000 });
      expect(claimed).toHaveLength(1);
      expect(claimed[0]!.envelope).toEqual(env);
      expect(claimed[0]!.attempts).toBe(1);
      expect(typeof claimed[0]!.receipt).toBe('string');
      // In flight still counts.
      expect(await queue.depth('transactions')).toBe(1);
      expect(await queue.claim('transactions', { max: 10, visibilityMs: 30_000 })).toEqual([]);

      await queue.ack('transactions', [claimed[0]!.receipt]);
      expect(await queue.depth('transactions')).toBe(0);
    });

    it('claims in publish order and respects max', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      const envs = Array.from({ length: 7 }, () => testEnvelope());
      await queue.publish(envs.slice(0, 3));
      await queue.publish(envs.slice(3));
      const first = await queue.claim('s', { max: 4, visibilityMs: 30_000 });
      const second = await queue.claim('s', { max: 4, visibilityMs: 30_000 });
      expect(first).toHaveLength(4);
      expect(second).toHaveLength(3);
      if (ordered) {
        expect(first.map((m) => m.envelope.id)).toEqual(envs.slice(0, 4).map((e) => e.id));
        expect(second.map((m) => m.envelope.id)).toEqual(envs.slice(4).map((e) => e.id));
      } else {
        expect([...first, ...second].map((m) => m.envelope.id).sort()).toEqual(envs.map((e) => e.id).sort());
      }
    });

    it('fans out by contract and to "*" subscribers', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 'transactions', contracts: ['donation', 'payment'] });
      await queue.subscribe({ name: 'support', contracts: ['ticket'] });
      await queue.subscribe({ name: 'raw', contracts: '*' });
      const donation = testEnvelope('donation');
      const payment = testEnvelope('payment');
      const ticket = testEnvelope('ticket');
      const click = testEnvelope('click');
      await queue.publish([donation, payment, ticket, click]);

      const ids = async (sub: string) =>
        (await queue.claim(sub, { max: 100, visibilityMs: 30_000 })).map((m) => m.envelope.id).sort();
      expect(await ids('transactions')).toEqual([donation.id, payment.id].sort());
      expect(await ids('support')).toEqual([ticket.id]);
      expect(await ids('raw')).toEqual([donation, payment, ticket, click].map((e) => e.id).sort());
    });

    it('acks on one subscription leave the others untouched', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 'a', contracts: ['donation'] });
      await queue.subscribe({ name: 'b', contracts: '*' });
      const env = testEnvelope('donation');
      await queue.publish([env]);
      const [a] = await queue.claim('a', { max: 1, visibilityMs: 30_000 });
      await queue.ack('a', [a!.receipt]);
      expect(await queue.depth('a')).toBe(0);
      const [b] = await queue.claim('b', { max: 1, visibilityMs: 30_000 });
      expect(b!.envelope).toEqual(env);
    });

    it('does not deliver messages published before the subscription existed; updating contracts applies to later publishes', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 'early', contracts: '*' });
      await queue.publish([testEnvelope('ticket')]);
      await queue.subscribe({ name: 'late', contracts: ['ticket'] });
      expect(await queue.depth('late')).toBe(0);
      await queue.subscribe({ name: 'late', contracts: ['ticket', 'click'] });
      const click = testEnvelope('click');
      await queue.publish([click]);
      const got = await queue.claim('late', { max: 10, visibilityMs: 30_000 });
      expect(got.map((m) => m.envelope.id)).toEqual([click.id]);
    });

    it('makes an unacked message visible again after the visibility timeout', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      const env = testEnvelope();
      await queue.publish([env]);
      const [first] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      expect(first!.attempts).toBe(1);
      expect(await queue.claim('s', { max: 1, visibilityMs: shortMs })).toEqual([]);
      await sleep(shortMs * 3);
      const [again] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      expect(again!.envelope).toEqual(env);
      expect(again!.attempts).toBe(2);
      expect(again!.receipt).not.toBe(first!.receipt);
    });

    it('extends a claimed message visibility from now without counting an attempt, and skips a stale receipt', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      const env = testEnvelope();
      await queue.publish([env]);
      const [held] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      // A heartbeat: still hidden well after the visibility the claim asked for.
      await queue.extend('s', [held!.receipt], 30_000);
      await sleep(shortMs * 3);
      expect(await queue.claim('s', { max: 1, visibilityMs: 30_000 })).toEqual([]);
      // Extending to now gives it back at once; the extensions were no attempts.
      await queue.extend('s', [held!.receipt], 0);
      const [again] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      expect(again!.envelope).toEqual(env);
      expect(again!.attempts).toBe(2);
      // The first consumer's receipt is stale now: its heartbeat must not hide the message from the next claim.
      await queue.extend('s', [held!.receipt, 'not-a-receipt', ''], 30_000);
      await sleep(shortMs * 3);
      const [third] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      expect(third!.attempts).toBe(3);
      await queue.ack('s', [third!.receipt]);
      expect(await queue.depth('s')).toBe(0);
    });

    it('extends only the receipts given, never a message another consumer holds between them', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      const envs = [testEnvelope(), testEnvelope(), testEnvelope()];
      await queue.publish(envs);
      // Consumer A holds the 1st and 3rd message, consumer B the 2nd, all on their first attempt; B dies.
      const [a1] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      const [b2] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      const [a3] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      await queue.extend('s', [a1!.receipt, a3!.receipt], 30_000);
      await sleep(shortMs * 3);
      const back = await queue.claim('s', { max: 10, visibilityMs: 30_000 });
      expect(back.map((m) => m.envelope.id)).toEqual([b2!.envelope.id]);
      expect(back[0]!.attempts).toBe(2);
    });

    it('ignores an ack with a stale receipt once someone else re-claimed the message', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      await queue.publish([testEnvelope()]);
      const [dead] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      await sleep(shortMs * 3);
      const [alive] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      await queue.ack('s', [dead!.receipt]); // the dead consumer wakes up late
      expect(await queue.depth('s')).toBe(1);
      await queue.retry('s', [dead!.receipt], { reason: 'late' }); // also a no-op
      expect(await queue.claim('s', { max: 1, visibilityMs: 30_000 })).toEqual([]);
      await queue.ack('s', [alive!.receipt]);
      expect(await queue.depth('s')).toBe(0);
      // Garbage receipts are no-ops too, not errors.
      await queue.ack('s', ['not-a-receipt', '']);
    });

    it('acks only the receipts given, never a message another consumer holds between them', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      const envs = [testEnvelope(), testEnvelope(), testEnvelope(), testEnvelope()];
      await queue.publish(envs);
      // Consumer A holds the 1st and 3rd message, consumer B the 2nd, all on their first attempt.
      const [a1] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      const [b2] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      const [a3] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      await queue.ack('s', [a3!.receipt, a1!.receipt]);
      expect(await queue.depth('s')).toBe(2);
      await queue.ack('s', [b2!.receipt]);
      const rest = await queue.claim('s', { max: 10, visibilityMs: 30_000 }).then((m) => m.map((x) => x.envelope.id));
      const held = new Set([a1, b2, a3].map((m) => m!.envelope.id));
      expect(rest).toEqual(envs.filter((e) => !held.has(e.id)).map((e) => e.id));
      if (ordered) expect(rest).toEqual([envs[3]!.id]);
      expect(await queue.depth('s')).toBe(1);
    });

    it('retries after delayMs, then dead-letters with the reason after maxAttempts', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*', maxAttempts: 3 });
      const env = testEnvelope();
      await queue.publish([env]);

      const [m1] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      await queue.retry('s', [m1!.receipt], { reason: 'boom 1', delayMs: 0 });
      const [m2] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      expect(m2!.attempts).toBe(2);
      // A delayed retry stays hidden until the delay passes.
      await queue.retry('s', [m2!.receipt], { reason: 'boom 2', delayMs: shortMs });
      expect(await queue.claim('s', { max: 1, visibilityMs: 30_000 })).toEqual([]);
      expect(await queue.depth('s')).toBe(1);
      await sleep(shortMs * 3);
      const [m3] = await queue.claim('s', { max: 1, visibilityMs: 30_000 });
      expect(m3!.attempts).toBe(3);
      await queue.retry('s', [m3!.receipt], { reason: 'boom 3: mapping failed', delayMs: 0 });

      expect(await queue.claim('s', { max: 1, visibilityMs: 30_000 })).toEqual([]);
      expect(await queue.depth('s')).toBe(0);
      const dead = await queue.deadLetters('s');
      expect(dead).toHaveLength(1);
      expect(dead[0]!.envelope).toEqual(env);
      expect(dead[0]!.attempts).toBe(3);
      expect(dead[0]!.reason).toBe('boom 3: mapping failed');
      expect(Number.isNaN(Date.parse(dead[0]!.failed_at))).toBe(false);
    });

    it('dead-letters a message whose consumer crashed on every attempt', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*', maxAttempts: 2 });
      const poison = testEnvelope();
      const fine = testEnvelope();
      await queue.publish([poison]);
      await queue.claim('s', { max: 1, visibilityMs: shortMs });
      await sleep(shortMs * 3);
      const [second] = await queue.claim('s', { max: 1, visibilityMs: shortMs });
      expect(second!.attempts).toBe(2);
      await queue.publish([fine]);
      await sleep(shortMs * 3);
      // The poison one is out of attempts: it is dead-lettered, and the claim moves on to the next. (Unordered,
      // the poison one may wait behind the fine one: the claim takes both places.)
      const got = await queue.claim('s', { max: ordered ? 1 : 10, visibilityMs: 30_000 });
      expect(got.map((m) => m.envelope.id)).toEqual([fine.id]);
      const dead = await queue.deadLetters('s');
      expect(dead.map((d) => d.envelope.id)).toEqual([poison.id]);
      expect(dead[0]!.attempts).toBe(2);
      expect(dead[0]!.reason.length).toBeGreaterThan(0);
    });

    it('counts waiting and in-flight messages per subscription in depth', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 'a', contracts: ['donation'] });
      await queue.subscribe({ name: 'b', contracts: ['ticket'] });
      await queue.publish([testEnvelope('donation'), testEnvelope('donation'), testEnvelope('donation'), testEnvelope('ticket')]);
      expect(await queue.depth('a')).toBe(3);
      expect(await queue.depth('b')).toBe(1);
      const claimed = await queue.claim('a', { max: 2, visibilityMs: 30_000 });
      expect(await queue.depth('a')).toBe(3);
      await queue.ack('a', claimed.map((m) => m.receipt));
      expect(await queue.depth('a')).toBe(1);
    });

    it('keeps every one of many concurrent publishes', async () => {
      const { queue } = await fresh();
      await queue.subscribe({ name: 's', contracts: '*' });
      const batches = Array.from({ length: 50 }, (_, i) => Array.from({ length: (i % 5) + 1 }, () => testEnvelope()));
      await Promise.all(batches.map((b) => queue.publish(b)));
      const expected = batches.flat().map((e) => e.id).sort();
      expect(await queue.depth('s')).toBe(expected.length);
      const got: string[] = [];
      for (;;) {
        const claimed = await queue.claim('s', { max: 40, visibilityMs: 30_000 });
        if (claimed.length === 0) break;
        got.push(...claimed.map((m) => m.envelope.id));
        await queue.ack('s', claimed.map((m) => m.receipt));
      }
      expect(got.sort()).toEqual(expected);
      expect(await queue.depth('s')).toBe(0);
    });

    it('keeps published messages across a close and reopen', async (ctx) => {
      const under = await fresh();
      if (!under.reopen) return ctx.skip();
      await under.queue.subscribe({ name: 's', contracts: '*', maxAttempts: 4 });
      const envs = [testEnvelope(), testEnvelope(), testEnvelope()];
      await under.queue.publish(envs);
      const [inFlight] = await under.queue.claim('s', { max: 1, visibilityMs: shortMs });
      await under.queue.close();

      const again = await under.reopen();
      extraQueues.push(again);
      await sleep(shortMs * 3);
      const got = await again.claim('s', { max: 10, visibilityMs: 30_000 });
      if (ordered) expect(got.map((m) => m.envelope)).toEqual(envs);
      else expect(got.map((m) => m.envelope).sort(byId)).toEqual([...envs].sort(byId));
      const attempts = new Map(got.map((m) => [m.envelope.id, m.attempts]));
      expect(envs.map((e) => attempts.get(e.id))).toEqual(envs.map((e) => (e.id === inFlight!.envelope.id ? 2 : 1)));
      // A receipt from before the restart cannot ack the re-claimed message.
      await again.ack('s', [inFlight!.receipt]);
      expect(await again.depth('s')).toBe(3);
    });
  });
}
