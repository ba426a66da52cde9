import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createKeyRing } from './auth.js';
import { producerKeyCheck } from './producer-routes.js';

// A producer key the hub makes for a producer of its own (the sandboxes' pretend website) writes events, but
// it is nobody's configuration: a 401 still tells the operator to set PUDDLE_API_KEYS.
describe('a key the hub makes for its own producer', () => {
  it('writes events without counting as a configured producer key', () => {
    const keys = createKeyRing({ hubProducer: ['hub-made-key'] });
    expect(keys.identify('hub-made-key')).toEqual({ scope: 'producer', label: 'hub-producer#1', feeds: [] });
    expect(keys.has('producer')).toBe(false);
    const check = producerKeyCheck(keys);
    expect(check('Bearer hub-made-key')).toBeNull();
    expect(JSON.parse(check('Bearer guess')!.body)).toMatchObject({ error: { message: 'no API keys configured (PUDDLE_API_KEYS)' } });
  });

  it('leaves the operator\'s keys as they were', () => {
    const keys = createKeyRing({ producer: ['operator-key'], hubProducer: ['hub-made-key'] });
    expect(keys.identify('operator-key')?.label).toBe('producer#1');
    expect(keys.has('producer')).toBe(true);
    expect(JSON.parse(producerKeyCheck(keys)('Bearer guess')!.body)).toMatchObject({ error: { message: 'missing or invalid API key (Authorization: Bearer <key>)' } });
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
  });
});
