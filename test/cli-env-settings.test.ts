// The environment's mistakes at the command line: a number setting that is not one, and a connector's
// credentials set in part, stop the command with exit code 2 and a line naming each (never a value that is a
// secret), before anything opens: no home is made.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess } from './support/hub-process.js';
import { runPuddle } from './support/run-cli.js';

const parent = mkdtempSync(join(tmpdir(), 'puddle-cli-env-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** A home no command has made: one that stops before anything opens leaves it so. */
const freshHome = (name: string) => join(parent, name);

describe('number settings in the environment', () => {
  it('stops `puddle start` on PORT=abc with one line naming it and what it takes, and makes no home', async () => {
    const home = freshHome('port');
    // Until 2026-12-02 this ended in a stack trace from listen() (ERR_SOCKET_BAD_PORT), after the home was made.
    const r = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: 'abc', PUDDLE_API_KEYS: 'k' }, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('puddle start: PORT must be a whole number from 0 to 65535 (got "abc")\n');
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  it('names every wrong number setting at once, a line each, and refuses forms Number() would take', async () => {
    const home = freshHome('many');
    const env = { PUDDLE_HOME: home, PORT: '99999', PUDDLE_DRIFT_CHECK_SECONDS: '1e3', PUDDLE_LANDING_YIELD_ABOVE: 'half', PUDDLE_MAX_QUEUE_DEPTH: '0x10' };
    const r = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toBe(
      [
        'PORT must be a whole number from 0 to 65535 (got "99999")',
        'PUDDLE_DRIFT_CHECK_SECONDS must be a whole number of seconds, at least 1 (got "1e3")',
        'PUDDLE_MAX_QUEUE_DEPTH must be a whole number of 1 or more (got "0x10")',
        'PUDDLE_LANDING_YIELD_ABOVE must be a number from 0 to 1 (got "half")',
      ]
        .map((l) => `puddle start: ${l}\n`)
        .join(''),
    );
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  it('stops `puddle sync` on PUDDLE_LEASE_SECONDS=abc before it opens the home (it ran with a NaN lease)', async () => {
    const home = freshHome('lease');
    const r = await runPuddle(['sync', 'stripe'], { PUDDLE_HOME: home, PUDDLE_LEASE_SECONDS: 'abc' });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toBe('puddle sync: PUDDLE_LEASE_SECONDS must be a whole number of seconds, at least 1 (got "abc")\n');
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  it('stops `puddle start` on PUDDLE_LEASE_SECONDS=abc too: its scheduled syncs take the lease from it', async () => {
    const home = freshHome('lease-start');
    const r = await runPuddle(['start'], { PUDDLE_HOME: home, PUDDLE_API_KEYS: 'k', PUDDLE_LEASE_SECONDS: 'abc' }, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toBe('puddle start: PUDDLE_LEASE_SECONDS must be a whole number of seconds, at least 1 (got "abc")\n');
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  // Until 2026-12-05 the hub read them as it started: the empty-keys warning came first, and the home was made.
  it('stops `puddle start` on wrong PUDDLE_SANDBOX_FAULTS before any warning, and makes no home', async () => {
    const home = freshHome('faults');
    const r = await runPuddle(['start'], { PUDDLE_HOME: home, PUDDLE_SANDBOX_FAULTS: 'stripe:status429=abc' }, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^puddle start: PUDDLE_SANDBOX_FAULTS: .*\n$/);
    expect(r.stderr).not.toContain('warning');
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  it('stops any command on a PUDDLE_LOG_LEVEL that is no level, naming the levels (it fell back to info without a word)', async () => {
    for (const [args, env] of [
      [['start', '--no-schedule'], { PUDDLE_API_KEYS: 'k' }],
      [['sync', 'stripe'], {}],
    ] as const) {
      const home = freshHome(`log-level-${args[0]}`);
      const r = await runPuddle([...args], { ...env, PUDDLE_HOME: home, PUDDLE_LOG_LEVEL: 'verbose' }, { timeoutMs: 30_000 });
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toBe(`puddle ${args[0]}: PUDDLE_LOG_LEVEL must be one of debug, info, warn, error (got "verbose")\n`);
      expect(existsSync(home)).toBe(false);
    }
  }, 60_000);

  it('writes text log lines with PUDDLE_LOG_FORMAT=text, JSON when stderr is not a terminal, and stops on another word', async () => {
    const home = freshHome('log-format');
    const bad = await runPuddle(['sync', 'stripe'], { PUDDLE_HOME: home, PUDDLE_LOG_FORMAT: 'pretty' }, { timeoutMs: 30_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('puddle sync: PUDDLE_LOG_FORMAT must be one of json, text (got "pretty")\n');
    // A hub logs why its connectors do not sync (at warn when it has a producer key): as JSON by default here (a pipe), as text when asked.
    const lines = async (env: Record<string, string>) => {
      const hub = await startHubProcess({ PUDDLE_HOME: freshHome(`log-format-${Object.keys(env).length}`), PUDDLE_API_KEYS: 'k'.repeat(32), PUDDLE_SANDBOXES: 'off', ...env }, { schedule: true });
      try {
        for (let i = 0; i < 100 && !hub.output().includes('connectors not configured'); i++) await new Promise((r) => setTimeout(r, 100));
        return hub.output().split('\n').filter((l) => l.includes('connectors not configured'));
      } finally {
        hub.child.kill('SIGINT');
        await hub.exited;
      }
    };
    const [json] = await lines({});
    expect(JSON.parse(json!)).toMatchObject({ level: 'warn', msg: expect.stringContaining('connectors not configured') });
    const [text] = await lines({ PUDDLE_LOG_FORMAT: 'text' });
    expect(text).toMatch(/^\d{2}:\d{2}:\d{2} warn {2}connectors not configured, so no syncs and no webhook re-reads: .* {2}reasons=\{/);
  }, 120_000);

  it("stops `puddle start` on HTTP_TIMEOUT=abc (Salesforce's call limit, which fell back to 150 s without a word)", async () => {
    const home = freshHome('http-timeout');
    const r = await runPuddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PUDDLE_API_KEYS: 'k', HTTP_TIMEOUT: 'abc' }, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toBe('puddle start: HTTP_TIMEOUT must be a whole number of milliseconds, at least 1 (got "abc")\n');
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  it('stops `puddle aws local` on PORT=abc the same way, before the emulators start', async () => {
    const home = freshHome('aws');
    const r = await runPuddle(['aws', 'local', '--no-schedule'], { PUDDLE_HOME: home, PORT: 'abc', PUDDLE_API_KEYS: 'k' }, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toBe('puddle aws: PORT must be a whole number from 0 to 65535 (got "abc")\n');
    expect(existsSync(home)).toBe(false);
  }, 60_000);
});

describe("a connector's credentials set in part", () => {
  const FRESHDESK_KEY = 'fd-secret-key-0123456789';
  const BRAINTREE_PRIVATE = 'bt-private-key-0123456789';
  const SALESFORCE_SECRET = 'sf-client-secret-0123456789';

  it('stops `puddle start` with a line per connector naming what is missing, never a value', async () => {
    const home = freshHome('half-set');
    const env = {
      PUDDLE_HOME: home,
      PUDDLE_API_KEYS: 'k',
      FRESHDESK_API_KEY: FRESHDESK_KEY,
      BRAINTREE_MERCHANT_ID: 'merchant-1',
      BRAINTREE_PRIVATE_KEY: BRAINTREE_PRIVATE,
      SALESFORCE_CLIENT_ID: 'client-1',
      SALESFORCE_CLIENT_SECRET: SALESFORCE_SECRET,
    };
    // Until 2026-12-02 each was only "not configured": the hub started and ran the sandboxes in their place.
    const r = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'BRAINTREE_PUBLIC_KEY must be set too: BRAINTREE_MERCHANT_ID, BRAINTREE_PRIVATE_KEY are set, and braintree needs all of BRAINTREE_MERCHANT_ID, BRAINTREE_PUBLIC_KEY, BRAINTREE_PRIVATE_KEY (or none, to leave it unconfigured)',
        'FRESHDESK_DOMAIN or FRESHDESK_API_BASE must be set too: FRESHDESK_API_KEY is set, and freshdesk needs all of FRESHDESK_API_KEY, FRESHDESK_DOMAIN or FRESHDESK_API_BASE (or none, to leave it unconfigured)',
        'SALESFORCE_INSTANCE_URL must be set too: SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET are set, and salesforce (SALESFORCE_AUTH client_credentials) needs all of SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET (or none, to leave it unconfigured)',
      ]
        .map((l) => `puddle start: ${l}\n`)
        .join(''),
    );
    for (const secret of [FRESHDESK_KEY, BRAINTREE_PRIVATE, SALESFORCE_SECRET]) expect(r.stderr).not.toContain(secret);
    expect(existsSync(home)).toBe(false);
  }, 60_000);

  it('stops `puddle sync` on the connector it syncs in the same words', async () => {
    const r = await runPuddle(['sync', 'freshdesk'], { PUDDLE_HOME: freshHome('half-set-sync'), FRESHDESK_DOMAIN: 'acme' });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toBe(
      'puddle sync: FRESHDESK_API_KEY must be set too: FRESHDESK_DOMAIN is set, and freshdesk needs all of FRESHDESK_API_KEY, FRESHDESK_DOMAIN or FRESHDESK_API_BASE (or none, to leave it unconfigured)\n',
    );
  }, 60_000);
});
