import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { clientAddress, proxyTrust } from './client-address.js';

describe('the client address behind trusted proxies', () => {
  const trust = proxyTrust(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it('is the peer without trusted proxies, whatever X-Forwarded-For says (anyone can write one)', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.9', null)).toBe('127.0.0.1');
    expect(clientAddress('198.51.100.7', '203.0.113.9', trust)).toBe('198.51.100.7');
  });

  it("is the first hop from the right that is not a trusted proxy's", () => {
    expect(clientAddress('127.0.0.1', '203.0.113.9', trust)).toBe('203.0.113.9');
    // What the client wrote itself, left of what the proxy added, is never read.
    expect(clientAddress('127.0.0.1', '1.2.3.4, 203.0.113.9', trust)).toBe('203.0.113.9');
    // A proxy in front of the proxy, trusted too, is walked through; headers given twice are one list.
    expect(clientAddress('::ffff:127.0.0.1', ['1.2.3.4, 203.0.113.9', '10.1.2.3'], trust)).toBe('203.0.113.9');
    expect(clientAddress('fd12::1', '2001:db8::5', trust)).toBe('2001:db8::5');
    // No header: the proxy itself (every client then counts as one, as before).
    expect(clientAddress('127.0.0.1', undefined, trust)).toBe('127.0.0.1');
    // A hop that is no address ends the walk, as the client.
    expect(clientAddress('127.0.0.1', 'unknown', trust)).toBe('unknown');
  });

  it('refuses at start an entry that is no address or range, naming its position', () => {
    expect(loadConfig({ PUDDLE_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' }).trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8']);
    for (const bad of ['proxy.example.org', '10.0.0.0/33', '10.0.0.0/8/1', '10.0.0.0/x']) {
      expect(() => loadConfig({ PUDDLE_TRUSTED_PROXIES: `127.0.0.1,${bad}` }), bad).toThrow('PUDDLE_TRUSTED_PROXIES entry 2 is not an address or a range');
    }
  });
});
