// A limit on failed key attempts per client address: after too many unknown keys an address gets 429 with
// Retry-After on every API and page, while keys that already worked from it (the producer's, the TV's) go on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fastPathRequests } from '../../core/http/server.js';
import { log } from '../../core/log.js';
import type { Hub } from '../../infra/local/hub.js';
import { postEvents } from '../support/hub-process.js';
import { PRODUCER_KEY, READ_KEY, startLiveHub, TV_KEY } from './live-hub.js';

const MAX = 5;
const guess = (i: number) => `guessed-key-${String(i).padStart(10, '0')}`;
const donation = (id: string) => ({ contract: 'donation', version: 1, payload: { donation_id: id, occurred_at: '2026-11-27T20:00:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' } });

describe('failed key attempts per client address', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-failed-keys-'));
  let hub: Hub;
  const warned: unknown[][] = [];

  beforeAll(async () => {
    hub = await startLiveHub(home, { authFailures: { maxFailures: MAX, windowMs: 600_000, blockMs: 600_000 } });
    vi.spyOn(log, 'warn').mockImplementation((...args: unknown[]) => void warned.push(args));
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it(`answers 401 to ${MAX} unknown keys, then 429 with Retry-After to the address; keys used before go on, new ones do not`, async () => {
    // The producer used its key from this address before its first failure, the TV since.
    expect((await postEvents(hub.url, PRODUCER_KEY, [donation('k-1')])).status).toBe(202);
    expect((await fetch(`${hub.url}/v1/totals`, { headers: { authorization: `Bearer ${guess(0)}` } })).status).toBe(401);
    expect((await fetch(`${hub.url}/v1/totals`, { headers: { authorization: `Bearer ${TV_KEY}` } })).status).toBe(200);
    // Guesses on every door: the producer API, the read API, a dashboard page's ?key=.
    for (let i = 1; i < MAX; i++) {
      const res = i % 2 ? await postEvents(hub.url, guess(i), [donation('k-x')]) : await fetch(`${hub.url}/tv?key=${guess(i)}`, { redirect: 'manual' });
      expect(res.status).toBe(401);
    }
    const limited = await fetch(`${hub.url}/v1/ops/status`, { headers: { authorization: `Bearer ${guess(MAX)}` } });
    expect([limited.status, Number(limited.headers.get('retry-after'))]).toEqual([429, 600]);
    expect(await limited.json()).toMatchObject({ error: { code: 'too_many_failed_keys' } });
    for (const res of [
      await postEvents(hub.url, guess(MAX + 1), [donation('k-x')]),
      await fetch(`${hub.url}/tv?key=${guess(MAX + 2)}`, { redirect: 'manual' }),
      // A real key this address had not used: let through, it would tell a guesser which guess was right; nor
      // does its 429 make it one the address used, so it is refused again.
      await fetch(`${hub.url}/v1/totals`, { headers: { authorization: `Bearer ${READ_KEY}` } }),
      await fetch(`${hub.url}/v1/totals`, { headers: { authorization: `Bearer ${READ_KEY}` } }),
    ]) {
      expect([res.status, Number(res.headers.get('retry-after')) > 0]).toEqual([429, true]);
    }
    // The producer's good traffic goes on, on its fast path, and so does the TV.
    const before = fastPathRequests(hub.server);
    expect((await postEvents(hub.url, PRODUCER_KEY, [donation('k-2')])).status).toBe(202);
    expect(fastPathRequests(hub.server)).toBe(before + 1);
    expect((await fetch(`${hub.url}/v1/totals`, { headers: { authorization: `Bearer ${TV_KEY}` } })).status).toBe(200);
    // One warning, naming the address and never a key.
    const said = warned.filter(([msg]) => String(msg).includes('too many unknown keys'));
    expect(said).toHaveLength(1);
    expect(JSON.stringify(said)).toContain('127.0.0.1');
    expect(JSON.stringify(said)).not.toMatch(/guessed-key|key-live/);
  });
});
