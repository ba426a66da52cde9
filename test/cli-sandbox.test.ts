// `puddle sandbox <provider>`: one provider's sandbox on its own, for trying `puddle sync` and a backfill with no
// account. Until 2026-12-07 the sandboxes ran only inside `puddle start`'s hub, with keys that never left it, and a
// new data engineer had to write a script to start one (user test).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { holdPort } from './support/held-port.js';
import { runPuddle } from './support/run-cli.js';
import { tempDirs } from './support/temp-dirs.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));

interface SandboxProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
  url: string;
  /** The `export NAME=value` lines it printed. */
  settings: Record<string, string>;
}

/** `puddle sandbox ...` as a child process, once it has printed its settings. */
async function startSandbox(args: string[]): Promise<SandboxProcess> {
  const child = spawn(process.execPath, [BIN, 'sandbox', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no settings printed within 120 s:\n${out}`)), 120_000);
    child.stdout!.on('data', () => {
      // The example sync is the last line printed.
      if (/npx puddle sync \w+\n/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`puddle sandbox exited (${code}):\n${out}`)));
  });
  const url = /sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  const settings = Object.fromEntries([...out.matchAll(/^ {2}export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { child, output: () => out, exited, url, settings };
}

describe('puddle sandbox', { timeout: 300_000 }, () => {
  const home = tempDirs('puddle-cli-sandbox-');

  it('prints the settings that point puddle sync at it; a sync with them reads its charges into the lake; SIGTERM stops it', async () => {
    const sandbox = await startSandbox(['stripe', '--port', '0', '--seed', '7', '--donations', '300']);
    try {
      expect(sandbox.settings).toEqual({
        STRIPE_API_KEY: 'sk_test_sandbox',
        STRIPE_API_BASE: sandbox.url,
        STRIPE_START_DATE: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      // No hub to post to: no webhooks, and no webhook setting to set.
      expect(sandbox.output()).toContain('no webhooks are sent');
      const env = { ...sandbox.settings, PUDDLE_HOME: home() };
      const sync = await runPuddle(['sync', 'stripe', '--streams', 'charges'], env, { timeoutMs: 120_000 });
      expect(sync.code, sync.stdout + sync.stderr).toBe(0);
      const charges = Number(/^charges +\| succeeded +\| (\d+)/m.exec(sync.stdout)?.[1]);
      expect(charges).toBeGreaterThan(0);
      expect((await runPuddle(['land'], env, { timeoutMs: 120_000 })).code).toBe(0);
      const query = await runPuddle(['query', "SELECT count(*) AS n FROM payment WHERE provider = 'stripe'", '--format', 'json'], env, { timeoutMs: 120_000 });
      expect(query.code, query.stderr).toBe(0);
      expect(JSON.parse(query.stdout)).toEqual([{ n: charges }]);
    } finally {
      sandbox.child.kill('SIGTERM');
    }
    expect(await sandbox.exited).toBe(0);
    expect(sandbox.output()).toMatch(/stopped\n$/);
  });

  it('with --hub-url, sends its webhooks there, signed with the webhook secret it prints', async () => {
    const received: { path: string; signature: string; body: string }[] = [];
    const receiver = createHttpServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', signature: String(req.headers['stripe-signature']), body });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hubUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    const sandbox = await startSandbox(['stripe', '--port', '0', '--hub-url', hubUrl]);
    try {
      const secret = sandbox.settings.STRIPE_WEBHOOK_SECRET!;
      expect(secret).toMatch(/^whsec_/);
      // It takes a gift a second, as under the hub: its events are posted as they happen.
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(received.length, sandbox.output()).toBeGreaterThan(0);
      expect(received[0]!.path).toBe('/webhooks/stripe');
      expect(() => Stripe.webhooks.constructEvent(received[0]!.body, received[0]!.signature, secret)).not.toThrow();
    } finally {
      sandbox.child.kill('SIGINT');
      await sandbox.exited;
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('refuses a provider that has no sandbox, a bad option and a taken port with exit code 2 and one line', async () => {
    const unknown = await runPuddle(['sandbox', 'paypal'], {}, { timeoutMs: 60_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("puddle sandbox: no sandbox named 'paypal'; name a provider: braintree, freshdesk, salesforce, stripe\n");
    const none = await runPuddle(['sandbox'], {}, { timeoutMs: 60_000 });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('puddle sandbox: name a provider: braintree, freshdesk, salesforce, stripe\n');
    const port = await runPuddle(['sandbox', 'stripe', '--port', 'abc'], {}, { timeoutMs: 60_000 });
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('puddle sandbox: --port takes a whole number from 0 to 65535, not "abc"\n');
    const flag = await runPuddle(['sandbox', 'stripe', '--prot', '1'], {}, { timeoutMs: 60_000 });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^puddle sandbox: Unknown option '--prot'/);
    const taker = await holdPort();
    const held = taker.port;
    try {
      const taken = await runPuddle(['sandbox', 'freshdesk', '--port', String(held)], {}, { timeoutMs: 60_000 });
      expect(taken.code).toBe(2);
      expect(taken.stdout).toBe('');
      expect(taken.stderr).toBe(`puddle sandbox: 127.0.0.1:${held} is already taken by another process: stop it (another puddle sandbox?), or give this one another --port (0: a free one)\n`);
    } finally {
      await taker.close();
    }
  });
});
