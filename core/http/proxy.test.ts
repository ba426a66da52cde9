import { describe, expect, it } from 'vitest';
import { proxyFor } from './proxy.js';

describe('proxyFor', () => {
  const env = { HTTPS_PROXY: 'http://proxy.charity.org:3128', HTTP_PROXY: 'http://plain-proxy:3128' };

  it('takes the proxy for the URL\'s scheme, lower-case variables first', () => {
    expect(proxyFor('https://example.my.salesforce.com/services', env)).toBe('http://proxy.charity.org:3128');
    expect(proxyFor('http://example.org/', env)).toBe('http://plain-proxy:3128');
    expect(proxyFor('https://example.org/', { ...env, https_proxy: 'http://lower:1' })).toBe('http://lower:1');
    expect(proxyFor('https://example.org/', {})).toBeUndefined();
    expect(proxyFor('http://example.org/', { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
  });

  it('never proxies loopback names: the hub\'s own sandboxes', () => {
    for (const url of ['http://127.0.0.1:8080/x', 'https://localhost/', 'http://[::1]:9000/']) expect(proxyFor(url, env)).toBeUndefined();
    // Not a loopback name: the proxy decides.
    expect(proxyFor('http://127.0.0.2:8080/', env)).toBe('http://plain-proxy:3128');
  });

  it('skips hosts NO_PROXY lists: names with their subdomains, ports, a star', () => {
    const no = (NO_PROXY: string, url: string) => proxyFor(url, { ...env, NO_PROXY }) === undefined;
    expect(no('salesforce.com', 'https://x.my.salesforce.com/')).toBe(true);
    expect(no('.salesforce.com', 'https://x.my.salesforce.com/')).toBe(true);
    expect(no('*.salesforce.com', 'https://salesforce.com/')).toBe(true);
    expect(no('salesforce.com', 'https://notsalesforce.com/')).toBe(false);
    expect(no('internal, example.org:8443', 'https://example.org:8443/')).toBe(true);
    expect(no('example.org:8443', 'https://example.org/')).toBe(false);
    expect(no('example.org:443', 'https://example.org/')).toBe(true);
    expect(no('10.0.0.5', 'http://10.0.0.5/')).toBe(true);
    expect(no('[2001:db8::1]', 'http://[2001:db8::1]:81/')).toBe(true);
    expect(no('*', 'https://anything.example/')).toBe(true);
    expect(proxyFor('https://x.example/', { ...env, no_proxy: 'x.example', NO_PROXY: '' })).toBeUndefined();
  });

  it('skips addresses in the IP ranges NO_PROXY lists, and only those', () => {
    const no = (NO_PROXY: string, url: string) => proxyFor(url, { ...env, NO_PROXY }) === undefined;
    expect(no('10.0.0.0/8', 'http://10.20.30.40:8080/')).toBe(true);
    expect(no('10.0.0.0/8', 'http://11.0.0.1/')).toBe(false);
    expect(no('example.org, 192.168.1.0/24', 'https://192.168.1.77/')).toBe(true);
    expect(no('192.168.1.0/24', 'https://192.168.2.1/')).toBe(false);
    expect(no('fd00::/8', 'http://[fd12:3456::1]/')).toBe(true);
    expect(no('fd00::/8', 'http://[fe80::1]/')).toBe(false);
    // A name is not resolved; a range of the other family, or a malformed one, matches nothing.
    expect(no('10.0.0.0/8', 'https://ten.example/')).toBe(false);
    expect(no('::/0', 'http://10.1.1.1/')).toBe(false);
    expect(no('10.0.0.0/33, 10.0.0.0/x, /8', 'http://10.1.1.1/')).toBe(false);
    expect(no('0.0.0.0/0', 'http://203.0.113.9/')).toBe(true);
  });
});
