import { describe, expect, it } from 'vitest';
import { createKeyRing } from './auth.js';
import { issuePass, passRenewalDue, readPass } from './dashboard-pass.js';

const READ = 'rk_0123456789abcdef0123';
const TV = 'tv_0123456789abcdef0123';
const NOW = Date.parse('2026-12-06T20:00:00Z');
const DAY = 86_400_000;

describe('dashboard passes', () => {
  const keys = createKeyRing({ read: [READ], tv: [TV] });

  it('name the key that signed them, and hold neither the key nor its digest', () => {
    const pass = issuePass(keys, TV, 7, NOW)!;
    expect(pass).toMatch(/^p1\.\d+\.[\w-]{43}$/);
    expect(pass).not.toContain(TV);
    expect(readPass(keys, pass, NOW + DAY)).toEqual({ who: { scope: 'tv', label: 'tv#1', feeds: [] }, expiresMs: NOW + 7 * DAY });
    // Signed by the identity the ring gave (a renewal), the same pass.
    const reading = readPass(keys, pass, NOW);
    if (!('who' in reading) || !reading.who) throw new Error('the pass was not read');
    expect(issuePass(keys, reading.who, 7, NOW)).toBe(pass);
    expect(issuePass(keys, { scope: 'tv', label: 'tv#1', feeds: [] }, 7, NOW)).toBeUndefined();
  });

  it('end at their expiry, and with their key', () => {
    const pass = issuePass(keys, READ, 7, NOW)!;
    expect(readPass(keys, pass, NOW + 7 * DAY)).toEqual({ stale: 'expired' });
    // The key taken out of the ring: no key signed it now (a guess, as an unknown key is).
    expect(readPass(createKeyRing({ tv: [TV] }), pass, NOW)).toMatchObject({ who: null });
  });

  it('cannot be stretched or forged', () => {
    const pass = issuePass(keys, READ, 1, NOW)!;
    const [, expires, signature] = pass.split('.');
    expect(readPass(keys, `p1.${Number(expires) + 365 * 86_400}.${signature}`, NOW)).toMatchObject({ who: null });
    // Signed with another key (one the hub does not hold) under the same expiry.
    const other = issuePass(createKeyRing({ read: ['rk_someone_else_0123456789'] }), 'rk_someone_else_0123456789', 1, NOW)!;
    expect(readPass(keys, other, NOW)).toMatchObject({ who: null });
    expect(readPass(keys, `p1.${expires}.${signature!.slice(0, 20)}`, NOW)).toMatchObject({ who: null });
  });

  it('read the old key cookie and other text as no pass, not as a guess', () => {
    for (const text of [READ, '', 'p1', 'p2.1.abc', `p1.soon.${'a'.repeat(43)}`, 'p1.1.2.3']) {
      expect(readPass(keys, text, NOW), text).toEqual({ stale: 'unreadable' });
    }
  });

  it('are renewed once past half their life', () => {
    expect(passRenewalDue(NOW + 4 * DAY, 7, NOW)).toBe(false);
    expect(passRenewalDue(NOW + 3 * DAY, 7, NOW)).toBe(true);
  });
});
