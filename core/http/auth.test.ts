import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from '../config.js';
import { createKeyRing, shortKeys } from './auth.js';
import { producerKeyCheck, type ProducerAnswer } from './producer-routes.js';

// A producer key the hub makes for a producer of its own (the sandboxes' pretend website) writes events, but
// it is nobody's configuration: a 401 still tells the operator to set PUDDLE_API_KEYS.
describe('a key the hub makes for its own producer', () => {
  it('writes events without counting as a configured producer key', () => {
    const keys = createKeyRing({ hubProducer: ['hub-made-key'] });
    expect(keys.identify('hub-made-key')).toEqual({ scope: 'producer', label: 'hub-producer#1', feeds: [], source: 'producer:sandbox-website' });
    expect(keys.has('producer')).toBe(false);
    const check = producerKeyCheck(keys);
    expect(check('Bearer hub-made-key')).toBe('producer:sandbox-website');
    expect(JSON.parse((check('Bearer guess') as ProducerAnswer).body)).toMatchObject({ error: { message: 'no API keys configured (PUDDLE_API_KEYS)' } });
  });

  it('leaves the operator\'s keys as they were', () => {
    const keys = createKeyRing({ producer: ['operator-key'], hubProducer: ['hub-made-key'] });
    expect(keys.identify('operator-key')?.label).toBe('producer#1');
    expect(keys.has('producer')).toBe(true);
    expect(JSON.parse((producerKeyCheck(keys)('Bearer guess') as ProducerAnswer).body)).toMatchObject({ error: { message: 'missing or invalid API key (Authorization: Bearer <key>)' } });
  });
});

describe('the key ring', () => {
  it("labels a TV key tv#n, a scope of its own, so the broadcaster's key is told from a read key in logs", () => {
    const keys = createKeyRing({ read: ['read-key'], tv: ['tv-key-1', 'tv-key-2'] });
    expect(keys.identify('tv-key-2')).toEqual({ scope: 'tv', label: 'tv#2', feeds: [] });
    expect(keys.identify('read-key')?.scope).toBe('read');
    expect(keys.has('tv')).toBe(true);
  });

  it('refuses a key listed twice, naming both places and never the key, as the ring would act with the first only', () => {
    const twice = (config: Parameters<typeof createKeyRing>[0]) => {
      try {
        createKeyRing(config);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).not.toContain('sekret');
        return (err as Error).message;
      }
      throw new Error('no error');
    };
    expect(twice({ producer: ['shared-sekret'], read: ['shared-sekret'] })).toMatch(/^PUDDLE_API_KEYS key 1 \(producer#1\) and PUDDLE_READ_KEYS key 1 \(read#1\) are the same key/);
    // Two feed entries with one key: the second's feeds were never reachable.
    expect(twice({ feeds: [{ key: 'f-sekret', feeds: ['a'] }, { key: 'f-sekret', feeds: ['b'] }] })).toMatch(/^PUDDLE_FEED_KEYS entry 1 \(feed#1\) and PUDDLE_FEED_KEYS entry 2 \(feed#2\)/);
    // The hub's own producer key is nobody's setting: it is not checked against them.
    expect(() => createKeyRing({ producer: ['p-sekret'], read: ['r-sekret'], tv: ['t-sekret'], hubProducer: ['h-sekret'] })).not.toThrow();
    // A producer key is its entry's part before the name: the same key under two names is one key twice.
    expect(twice({ producer: ['p-sekret:sms', 'p-sekret:ivr'] })).toMatch(/^PUDDLE_API_KEYS key 1 \(producer#1\) and PUDDLE_API_KEYS key 2 \(producer#2\)/);
    expect(twice({ producer: ['p-sekret:sms'], retired: ['p-sekret'] })).toMatch(/PUDDLE_RETIRED_KEYS key 1/);
  });
});

describe('named producer keys (PUDDLE_API_KEYS key:name)', () => {
  it("gives a named key's events the source producer:<name>, the same for two keys of one supplier, and opens it by its key alone", () => {
    const keys = createKeyRing({ producer: ['sms-old-0123456789:sms-agency', 'web-0123456789', 'sms-new-0123456789:sms-agency', 'ivr-0123456789:ivr.co_2'] });
    expect(keys.identify('sms-old-0123456789')).toEqual({ scope: 'producer', label: 'producer#1', feeds: [], source: 'producer:sms-agency' });
    expect(keys.identify('web-0123456789')?.source).toBe('producer');
    expect(keys.identify('sms-new-0123456789')?.source).toBe('producer:sms-agency');
    expect(keys.identify('ivr-0123456789')?.source).toBe('producer:ivr.co_2');
    // The entry as written is not a key.
    expect(keys.identify('sms-old-0123456789:sms-agency')).toBeNull();
    expect(producerKeyCheck(keys)('Bearer sms-new-0123456789')).toBe('producer:sms-agency');
  });

  it('refuses at start an entry whose name is not one, or with no key, naming its position and never the key', () => {
    const refusal = (entries: string[]) => {
      try {
        loadConfig({ PUDDLE_API_KEYS: entries.join(',') });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).not.toContain('sekret');
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(refusal(['sekret-0123456789:SMS Agency'])).toMatch(/^PUDDLE_API_KEYS entry 1 must be key or key:name/);
    expect(refusal(['ok-0123456789', 'sekret-0123456789:'])).toMatch(/^PUDDLE_API_KEYS entry 2 /);
    expect(refusal([':sms'])).toMatch(/^PUDDLE_API_KEYS entry 1 /);
    expect(refusal([`sekret-0123456789:${'a'.repeat(41)}`])).toMatch(/^PUDDLE_API_KEYS entry 1 /);
    // A key holding a colon is refused, not cut short at it and its secret half taken for a name.
    expect(refusal(['sek:ret:0123456789+/='])).toMatch(/^PUDDLE_API_KEYS entry 1 .*read as a key and a name/);
    expect(refusal(['sms:0f3a9c0b7d1e2f4a5b6c7d8e9f00112233'])).toMatch(/^PUDDLE_API_KEYS entry 1 .*at least 16 characters when named/);
    expect(refusal(['0f3a9c0b7d1e2f4a5b6c7d8e9f00112233'])).toBe('no error');
    // A long public part and a hex secret after the colon: the secret is never taken for a name (user test).
    expect(refusal(['charity-website-prod:0f3a9b2c7d4e5f60'])).toMatch(/^PUDDLE_API_KEYS entry 1 .*not a run of hex digits/);
    for (const name of ['sms-agency', 'appeal-2026', 'ivr2', 'deadbeef', 'call-centre-01']) expect(refusal([`sekret-0123456789abcdef:${name}`]), name).toBe('no error');
    expect(refusal(['sekret-0123456789:sms-agency', 'other-0123456789'])).toBe('no error');
  });

  it('reads a name and key around spaces, and warns about a short key by its key, not its name', () => {
    expect(createKeyRing({ producer: ['sms-key-0123456789 : sms-agency'] }).identify('sms-key-0123456789')?.source).toBe('producer:sms-agency');
    expect(shortKeys({ producer: ['k:a-long-name-for-a-supplier'] })).toEqual(['PUDDLE_API_KEYS key 1 (producer#1)']);
    expect(shortKeys({ producer: ['long-enough-key-0123:s'] })).toEqual([]);
  });
});
