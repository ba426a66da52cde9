import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';
import createHttpsProxyAgent from 'https-proxy-agent';

/**
 * The outbound proxy for a URL, read from the environment the way curl reads it: `HTTPS_PROXY` (or
 * `https_proxy`) for https URLs, `HTTP_PROXY` (`http_proxy`) for http ones, none for a host `NO_PROXY`
 * lists (an empty variable counts as unset, as Go reads them). A charity's network may reach the providers
 * only through its proxy, while the hub's own sandboxes listen on this machine: loopback names
 * (`localhost`, `127.0.0.1`, `::1`) never go through one.
 *
 * NO_PROXY: comma- or space-separated entries; `*` for every host; a name matches itself and its
 * subdomains (`example.org` and `.example.org` both match `api.example.org`); an entry may name a port
 * (`host:8443`); an IP range (`10.0.0.0/8`, `fd00::/8`) matches a URL whose host is an address in it, as
 * curl reads it (a name is not resolved to see whether its address is in a range).
 */
export function proxyFor(url: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '127.0.0.1' || host === '::1') return undefined;
  const proxy = u.protocol === 'https:' ? env.https_proxy || env.HTTPS_PROXY : env.http_proxy || env.HTTP_PROXY;
  if (!proxy) return undefined;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  for (const raw of (env.no_proxy || env.NO_PROXY || '').split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return undefined;
    if (entry.includes('/')) {
      if (inRange(host, entry)) return undefined;
      continue;
    }
    const m = /^\[(.+)\](?::(\d+))?$/.exec(entry) ?? /^([^:]+)(?::(\d+))?$/.exec(entry) ?? [entry, entry, undefined];
    const name = m[1]!.replace(/^\*?\./, '');
    if (m[2] !== undefined && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  return proxy;
}

/** Whether `host` is an IP address in the range `cidr` (`10.0.0.0/8`); false for a name or a malformed range. */
function inRange(host: string, cidr: string): boolean {
  const family = isIP(host);
  const [net, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (family === 0 || isIP(net!) !== family || !/^\d{1,3}$/.test(bits!) || prefix > (family === 4 ? 32 : 128)) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const range = new BlockList();
  range.addSubnet(net!, prefix, type);
  return range.check(host, type);
}

/** An agent for node:http/https (and the SDKs that take one) that goes through the URL's proxy; none if none applies. */
export function proxyAgent(url: string): Agent | undefined {
  const proxy = proxyFor(url);
  // agent-base's Agent predates @types/node's; it is what node:http and node:https take.
  return proxy === undefined ? undefined : (createHttpsProxyAgent(proxy) as unknown as Agent);
}

/**
 * `fetch` for a GET, through the proxy `proxyFor` names for the URL, if any: Node's own fetch reads no proxy
 * settings. The answer is a standard Response either way (its body streamed from the proxied request).
 */
export function fetchThroughProxy(url: string, init: { headers: Record<string, string>; signal?: AbortSignal }): Promise<Response> {
  const agent = proxyAgent(url);
  if (agent === undefined) return fetch(url, init);
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsRequest : httpRequest;
    const { signal } = init;
    const req = get(url, { headers: init.headers, agent, signal }, (res) => {
      // A timeout while the body streams fails the body's read with the signal's reason, as fetch's does.
      signal?.addEventListener('abort', () => res.destroy(signal.reason as Error), { once: true });
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) headers.append(name, v);
      const status = res.statusCode ?? 502;
      // A Response with one of these statuses must have no body.
      const bodiless = status === 204 || status === 205 || status === 304;
      if (bodiless) res.resume();
      resolve(new Response(bodiless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers }));
    });
    // fetch rejects with the signal's reason (a TimeoutError for AbortSignal.timeout), node:http with an AbortError.
    req.on('error', (err) => reject(signal?.aborted ? signal.reason : err));
    req.end();
  });
}
