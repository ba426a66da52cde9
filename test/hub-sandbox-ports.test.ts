// PUDDLE_SANDBOX_PORTS: the loopback port of each sandbox `puddle start` runs that it names. Until 2026-12-07 every
// sandbox took a free port at each start, so a firewall could not let it through, and a tester arming faults
// (POST /_sandbox/faults) had to read its address again after every restart (user test).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub } from '../infra/local/hub.js';
import { holdPort } from './support/held-port.js';
import { runPuddle } from './support/run-cli.js';
import { tempDirs } from './support/temp-dirs.js';

const KEY = 'pk_ports_0123456789abcdef';

describe('PUDDLE_SANDBOX_PORTS', { timeout: 240_000 }, () => {
  const home = tempDirs('puddle-sandbox-ports-');

  it('is read as provider:port pairs; a malformed list, a port twice or the hub PORT is refused naming the setting', () => {
    expect(loadConfig({ PUDDLE_SANDBOX_PORTS: 'stripe:12121, Freshdesk : 0' }).sandboxPorts).toEqual({ stripe: 12121, freshdesk: 0 });
    expect(loadConfig({}).sandboxPorts).toBeUndefined();
    const accepts = 'PUDDLE_SANDBOX_PORTS must be a comma-separated list of provider:port, such as stripe:12121,braintree:12122 (each provider once, each port once, 0 to 65535, 0: a free one)';
    for (const bad of ['stripe', 'stripe:abc', 'stripe:70000', 'stripe:1,stripe:2', 'stripe:12121,braintree:12121']) {
      expect(() => loadConfig({ PUDDLE_SANDBOX_PORTS: bad }), bad).toThrow(`${accepts} (got ${JSON.stringify(bad)})`);
    }
    expect(() => loadConfig({ PORT: '12121', PUDDLE_SANDBOX_PORTS: 'stripe:12121' })).toThrow(`${accepts}, not the hub's PORT`);
  });

  it('a hub with its schedule runs its Stripe sandbox at the port given, the others at a free one', async () => {
    const free = await holdPort();
    await free.close();
    const hub = await startHub({ config: { ...loadConfig({ PUDDLE_SANDBOX_PORTS: `stripe:${free.port}` }), home: home(), port: 0, apiKeys: [KEY], sandboxes: 'stripe,freshdesk' }, schedule: true });
    try {
      const urls = Object.fromEntries(hub.sandboxes.map((s) => [s.connector, s.url]));
      expect(urls.stripe).toBe(`http://127.0.0.1:${free.port}`);
      expect(urls.freshdesk).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(urls.freshdesk).not.toBe(urls.stripe);
    } finally {
      await hub.stop();
    }
  });

  it('a taken port stops the start before the hub opens, naming the setting; a name with no sandbox too (exit 2)', async () => {
    const taken = await holdPort();
    const h = home();
    try {
      const config = { ...loadConfig({ PUDDLE_SANDBOX_PORTS: `stripe:${taken.port}` }), home: h, port: 0, apiKeys: [KEY], sandboxes: 'stripe' };
      await expect(startHub({ config, schedule: true })).rejects.toThrow(
        `the stripe sandbox's port (PUDDLE_SANDBOX_PORTS): 127.0.0.1:${taken.port} is already taken by another process: stop that process, or give stripe another port there (0: a free one)`,
      );
      // Checked before the queue opens, as a taken PORT is: not after landing started and the hub listened.
      expect(existsSync(join(h, 'queue.db'))).toBe(false);
      // Nothing held: the home opens for the next hub, and --no-schedule runs no sandbox, so the port is not its.
      const next = await startHub({ config, schedule: false });
      await next.stop();
    } finally {
      await taken.close();
    }
    const cli = await runPuddle(['start'], { PUDDLE_HOME: h, PORT: '0', PUDDLE_SANDBOX_PORTS: 'paypal:12125' }, { timeoutMs: 120_000 });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe('puddle start: PUDDLE_SANDBOX_PORTS names "paypal", which has no sandbox: the sandboxes are stripe, braintree, freshdesk, salesforce\n');
  });
});
