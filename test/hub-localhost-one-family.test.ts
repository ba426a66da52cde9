// HOST=localhost on a machine that has only one of the addresses `localhost` resolves to: Debian's /etc/hosts
// lists ::1 as well, and a container or host with IPv6 switched off cannot bind it (EADDRNOTAVAIL). Fastify's
// listen drops such an address without a word, and no other process can hold it either, so the hub starts on the
// address it has. Until this was fixed the port probe, and the check after the listen, took the missing address
// for a taken one: `puddle start` refused to start at all (a raw EADDRNOTAVAIL, or "already taken").
// 192.0.2.1 (TEST-NET-1, on no interface here) stands in for ::1 on such a machine.
import dns from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../core/config.js';
import { startHub } from '../infra/local/hub.js';
import { listenAddresses, probePort } from '../infra/local/port-probe.js';

const MISSING = '192.0.2.1';
const ADDRESSES = [
  { address: '127.0.0.1', family: 4 },
  { address: MISSING, family: 4 },
];

describe('HOST=localhost where one of its addresses is not on this machine', () => {
  const lookup = dns.lookup;
  const lookupPromise = dns.promises.lookup;
  const home = mkdtempSync(join(tmpdir(), 'puddle-localhost-one-family-'));
  beforeAll(() => {
    // Both the probe (dns.promises) and fastify's second binding (dns.lookup) see the two addresses.
    dns.promises.lookup = (async (host: string, options: unknown) => (host === 'localhost' ? ADDRESSES : lookupPromise(host, options as dns.LookupOptions))) as typeof dns.promises.lookup;
    dns.lookup = ((host: string, options: unknown, callback?: unknown) => {
      const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
      if (host !== 'localhost') return (lookup as (...args: unknown[]) => void)(host, options, callback);
      const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
      process.nextTick(() => (all ? cb(null, ADDRESSES) : cb(null, ADDRESSES[0]!.address, 4)));
    }) as typeof dns.lookup;
  });
  afterAll(() => {
    dns.lookup = lookup;
    dns.promises.lookup = lookupPromise;
    rmSync(home, { recursive: true, force: true });
  });

  it('probes only the addresses this machine has', async () => {
    expect(await listenAddresses('localhost')).toEqual(['127.0.0.1']);
    await expect(probePort('localhost', 0)).resolves.toBeUndefined();
  });

  it('starts the hub, listening on the address it has', async () => {
    const config = { ...loadConfig({ PUDDLE_API_KEYS: 'k' }), home, host: 'localhost', port: 0 };
    const hub = await startHub({ config, totalsInBackground: true, maintenanceMs: 3_600_000 });
    try {
      const res = await fetch(`${hub.url.replace('localhost', '127.0.0.1')}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await hub.stop(0);
    }
  }, 60_000);
});
