// The dashboard's sign-in. `/?key=` or `/tv?key=` is swapped for a pass, an HttpOnly cookie that holds not the key
// but `p1.<expires>.<signature>`: the expiry (Unix seconds) signed with the key (KeyRing.sign). Until 2026-12-06
// the cookie was the key itself, for a year, with no way to sign out (a security review): a browser's cookie jar,
// a copied HAR file or a shared kiosk profile gave away a key that also opens /v1/ops/* by Bearer. A pass opens
// only what a cookie reaches, ends at its expiry, and ends with the key: retiring or removing the key ends every
// pass it signed. It needs nothing kept on the hub, so a restart signs no one out.
import type { KeyIdentity, KeyRing } from './auth.js';

export const PASS_COOKIE = 'puddle_pass';
/**
 * A TV key's pass has a cookie of its own, so that opening /tv with the broadcaster's key in a browser signed in with
 * a read key leaves the read key's pass, and the operations page open beside it, as they were: until 2026-12-06 the
 * one cookie was replaced, and every panel of that page turned 403 within seconds (an accessibility review). Where
 * both are held the read key's is used (it opens all the TV key does, and more).
 */
export const TV_PASS_COOKIE = 'puddle_pass_tv';

/** The cookie that holds a pass of a key of this scope. */
export const passCookieName = (scope: KeyIdentity['scope']): string => (scope === 'tv' ? TV_PASS_COOKIE : PASS_COOKIE);
/** Where a request's passes are looked for, in order. */
export const PASS_COOKIES: readonly string[] = [PASS_COOKIE, TV_PASS_COOKIE];
/** The cookie the dashboard set before passes (the key itself): never read, cleared at sign-out. */
export const OLD_KEY_COOKIE = 'puddle_key';

/**
 * How long a pass lasts when PUDDLE_DASHBOARD_PASS_DAYS is unset: a week covers a TV screen set up at the
 * rehearsal and left on through the night, and a finance lead opening the dashboard each working day signs in
 * once a week.
 */
export const DEFAULT_PASS_DAYS = 7;

const VERSION = 'p1';
const message = (expires: number) => `puddle-dashboard-pass.${VERSION}.${expires}`;

/** A pass for a key (as presented, or the identity the ring gave it), good for `days` from `nowMs`. */
export function issuePass(keys: KeyRing, by: string | KeyIdentity, days: number, nowMs = Date.now()): string | undefined {
  const expires = Math.floor(nowMs / 1000) + days * 86_400;
  const signature = keys.sign(by, message(expires));
  return signature && `${VERSION}.${expires}.${signature}`;
}

/**
 * Whether a pass good until `expires` is due for a new one when its page is opened: past half its life. A page in
 * use (the operations page opened each day, a TV reloaded) so keeps its pass; one not opened for `days` loses it.
 */
export const passRenewalDue = (expiresMs: number, days: number, nowMs = Date.now()): boolean => expiresMs - nowMs < (days * 86_400_000) / 2;

/**
 * What a pass says: the key that signed it (null for a signature no key made, which counts as a guess), or that it
 * ran out or is not a pass at all (neither counts as a guess: a browser sends them in good faith).
 */
export type PassReading = { who: KeyIdentity | null; expiresMs: number } | { stale: 'expired' | 'unreadable' };

export function readPass(keys: KeyRing, pass: string, nowMs = Date.now()): PassReading {
  const parts = pass.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !/^\d{1,12}$/.test(parts[1]!)) return { stale: 'unreadable' };
  const expires = Number(parts[1]);
  if (expires * 1000 <= nowMs) return { stale: 'expired' };
  return { who: keys.signer(message(expires), parts[2]!), expiresMs: expires * 1000 };
}

/**
 * The Set-Cookie value that hands a browser `pass` (Secure when the page came over TLS). The cookie outlives the pass by
 * a day, so a browser still sends a pass that ran out and its page can say so: dropped at the pass's end, the page
 * said "the hub does not know this page's key" (a user test).
 */
export function passCookie(pass: string, days: number, secure: boolean, scope: KeyIdentity['scope']): string {
  return `${passCookieName(scope)}=${pass}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${(days + 1) * 86_400}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie values that take the pass (and a key cookie from before passes) out of a browser. */
export const SIGN_OUT_COOKIES: readonly string[] = [...PASS_COOKIES, OLD_KEY_COOKIE].map((name) => `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
