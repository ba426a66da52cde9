import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer API key check. Keys are compared as SHA-256 digests with timingSafeEqual, so neither
 * the content nor the length of a configured key leaks through response timing; every key is
 * compared on every call (no early exit) for the same reason.
 */
export interface ApiKeyCheck {
  /** True when the header is `Bearer <one of the keys>` (scheme case-insensitive). */
  check(authorization: string | undefined): boolean;
  /** False when no key is configured: every request is then refused. */
  readonly configured: boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function createApiKeyCheck(apiKeys: readonly string[]): ApiKeyCheck {
  const digests = apiKeys.filter((k) => k.length > 0).map(digest);
  return {
    configured: digests.length > 0,
    check(authorization) {
      if (digests.length === 0 || authorization === undefined) return false;
      // "Bearer" + one space, then the key; RFC 7235 schemes are case-insensitive.
      if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return false;
      const presented = digest(authorization.slice(7).trim());
      let ok = false;
      for (const d of digests) ok = timingSafeEqual(presented, d) || ok;
      return ok;
    },
  };
}
