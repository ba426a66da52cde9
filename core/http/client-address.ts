// The client's address behind a proxy the operator trusts (PUDDLE_TRUSTED_PROXIES). The limit on unknown keys counts
// per address (auth-failures.ts); behind the TLS proxy the deployment needs, every client came from the proxy's
// address, so 21 junk keys from anyone refused every key not yet used since the last start, producers', the TV's
// and the dashboard's, for 5 minutes at a time (a security review, 2026-12-06). With the proxy's addresses listed,
// the address is the one the proxy says it took the request from (`X-Forwarded-For`): walking from the peer
// leftwards through that header, the first hop that is not a trusted proxy. Without the setting the header is
// never read: anyone could write one.
import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

import { ConfigError } from '../errors.js';

/** Whether an address (as node gives it, or as a proxy wrote it) is one of the trusted proxies'. */
export type ProxyTrust = (address: string) => boolean;

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function plain(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * PUDDLE_TRUSTED_PROXIES's entries (addresses, or ranges as `10.0.0.0/8`, `fd00::/8`) as a test, or null when there
 * are none. An entry that is neither is a ConfigError naming its position (exit 2 at start).
 */
export function proxyTrust(entries: readonly string[]): ProxyTrust | null {
  if (!entries.length) return null;
  const list = new BlockList();
  entries.forEach((entry, i) => {
    const [address = '', bits, more] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    const max = family === 4 ? 32 : 128;
    if (!family || more !== undefined || (prefix !== undefined && !(prefix <= max))) {
      throw new ConfigError(`PUDDLE_TRUSTED_PROXIES entry ${i + 1} is not an address or a range (10.0.0.5, 10.0.0.0/8, fd00::/8): list the addresses the TLS proxy connects from`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  });
  return (address) => {
    const a = plain(address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client's address: the peer's, or, when the peer is a trusted proxy, the first address in `X-Forwarded-For`
 * from the right that is not one (a proxy in front of that proxy, trusted too, is walked through). What a hop wrote
 * that is no address ends the walk there, as the client's.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trust: ProxyTrust | null): string | undefined {
  if (peer === undefined || trust === null || !trust(peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
  let address = peer;
  for (let i = hops.length - 1; i >= 0 && trust(address); i--) address = plain(hops[i]!);
  return address;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The trusted proxies of PUDDLE_TRUSTED_PROXIES (buildServer); absent or null: the peer is the client. */
    proxyTrust?: ProxyTrust | null;
  }
}

/** A request's client address (clientAddress), what the limit on unknown keys counts by and logs name. */
export function requestAddress(req: FastifyRequest): string {
  return clientAddress(req.raw.socket.remoteAddress, req.headers['x-forwarded-for'], req.server.proxyTrust ?? null) ?? req.ip;
}
