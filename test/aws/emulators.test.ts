import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDynaliteEmulator, startFauxqsEmulator, type RunningEmulator } from '../../infra/aws/local/emulators.js';

// The emulators take any keys: reachable from another machine, they would hand out the lake and take forged
// envelopes past the producer's key check. They must answer on 127.0.0.1 and nowhere else.

/** This machine's addresses other machines can reach (non-internal IPv4). */
const outward = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && a.family === 'IPv4' && !a.internal)
  .map((a) => a!.address);

/** 'open' if a TCP connection to host:port is accepted, else the error's code (ECONNREFUSED...). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

const emulators: Record<string, RunningEmulator> = {};

beforeAll(async () => {
  emulators.fauxqs = await startFauxqsEmulator();
  emulators.dynalite = await startDynaliteEmulator();
});

afterAll(async () => {
  for (const e of Object.values(emulators)) await e.stop();
});

describe.each(['fauxqs', 'dynalite'])('%s', (name) => {
  it('says its endpoint is on 127.0.0.1, and answers there', async () => {
    const endpoint = new URL(emulators[name]!.endpoint);
    expect(endpoint.hostname).toBe('127.0.0.1');
    const res = await fetch(`${emulators[name]!.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
    await res.arrayBuffer();
    expect(res.status).toBeGreaterThanOrEqual(200);
  });

  it.skipIf(outward.length === 0)("refuses connections on this machine's other addresses (skipped on a machine with no non-internal IPv4 address)", async () => {
    const port = Number(new URL(emulators[name]!.endpoint).port);
    for (const address of outward) expect(`${address}: ${await tryConnect(address, port)}`).toBe(`${address}: ECONNREFUSED`);
  });
});
