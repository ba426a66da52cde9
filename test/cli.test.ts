import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startStripeSandbox } from '../connectors/stripe/sandbox/index.js';
import { runPuddle } from './support/run-cli.js';
import { docSql } from './support/doc-sql.js';
import { demoGiftAid } from '../infra/cli/demo-recon.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { lastRunKey, type RunResult } from '../core/engine/sync-run.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));
const puddle = runPuddle;
const run = promisify(execFile);

/**
 * Every test here runs the CLI as child processes (a dozen at a time for --help, the demo's whole world): on a
 * loaded two-core machine (load 16) the refusals took 67 s and the demo 107 s, past the default 60 s. The bound is
 * for a test that hangs, not a speed.
 */
const CHILD_PROCESS_TEST_MS = 300_000;
/** A command that should refuse to start is stopped after this if it did start (and the test fails on its code). */
const REFUSES_WITHIN_MS = 120_000;

describe('the puddle CLI', { timeout: CHILD_PROCESS_TEST_MS }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-cli-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('has --help on every command', async () => {
    const top = await puddle(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([\w-]+) {2,}/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['start', 'land', 'sync', 'status', 'query', 'compact', 'replay', 'demo']));
    const helps = await Promise.all(commands.map((c) => puddle([c, '--help'])));
    helps.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toContain(`Usage: puddle ${commands[i]}`);
    });
  });

  it('says what is wrong with a bad command line, with exit code 2', async () => {
    expect((await puddle(['nope'])).code).toBe(2);
    expect((await puddle(['query', '--format', 'xml', 'SELECT 1'], { PUDDLE_HOME: home })).code).toBe(2);
    expect((await puddle(['replay', '--contract', 'nope'], { PUDDLE_HOME: home })).code).toBe(2);
    const misspelt = await puddle(['sync', 'strip'], { PUDDLE_HOME: home });
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toBe("puddle sync: no connector named 'strip'; name a connector: braintree, freshdesk, salesforce, stripe\n");
    const sync = await puddle(['sync', 'stripe'], { PUDDLE_HOME: home, STRIPE_API_KEY: '' });
    expect(sync.code).toBe(2);
    // ...and how to try one with no account (`puddle sandbox`), since the hub's sandboxes no other process can reach.
    expect(sync.stderr).toBe("puddle sync: stripe: STRIPE_API_KEY is not set; to try a sync with no account, run `puddle sandbox stripe` and set what it prints (the sandboxes `puddle start` runs are synced by that hub's own schedule)\n");
    // A wrong setting: one line naming it (never the key), not a stack trace.
    const feeds = await puddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', PUDDLE_FEED_KEYS: 'sekret-feed-key' });
    expect(feeds.code).toBe(2);
    expect(feeds.stderr).toBe('puddle start: PUDDLE_FEED_KEYS entry 1 must be key:feed1+feed2 (a key, a colon, one or more feed names joined by +)\n');
    // A feed that does not exist: refused at start, not a 403 the supplier meets. Named by position, so a key
    // written where the feed goes (entry 3) is not printed either.
    for (const [keys, which] of [
      ['k1-sekret:giro_requests,k2-sekret:nosuchfeed', 'entry 2: its feed does'],
      ['k1-sekret:giro_requests,k2-sekret:giro_requests+nosuchfeed', 'entry 2: its feed 2 does'],
      ['k1-sekret:giro_requests,k2-sekret:giro_requests,giro_requests:k3-sekret', 'entry 3: its feed does'],
    ] as const) {
      const unknown = await puddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', PUDDLE_FEED_KEYS: keys });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toBe(`puddle start: PUDDLE_FEED_KEYS ${which} not exist (the feeds are giro_requests)\n`);
      expect(unknown.stdout).toBe('');
    }
    // A key in two scopes acted with the first only: the broadcaster's read key, also a producer key, got 403 on
    // the totals. Refused at start, naming both places by position, never the key.
    for (const [env, first, second] of [
      [{ PUDDLE_API_KEYS: 'p1-sekret,shared-sekret', PUDDLE_READ_KEYS: 'shared-sekret' }, 'PUDDLE_API_KEYS key 2 (producer#2)', 'PUDDLE_READ_KEYS key 1 (read#1)'],
      [{ PUDDLE_READ_KEYS: 'r1-sekret', PUDDLE_TV_KEYS: 'tv1-sekret,r1-sekret' }, 'PUDDLE_READ_KEYS key 1 (read#1)', 'PUDDLE_TV_KEYS key 2 (tv#2)'],
      [{ PUDDLE_TV_KEYS: 'tv1-sekret', PUDDLE_FEED_KEYS: 'f1-sekret:giro_requests,tv1-sekret:giro_requests' }, 'PUDDLE_TV_KEYS key 1 (tv#1)', 'PUDDLE_FEED_KEYS entry 2 (feed#2)'],
    ] as const) {
      const twice = await puddle(['start', '--no-schedule'], { PUDDLE_HOME: home, PORT: '0', ...env }, { timeoutMs: REFUSES_WITHIN_MS });
      expect(twice.code).toBe(2);
      expect(twice.stderr).toBe(`puddle start: ${first} and ${second} are the same key: list each key once (a key has one scope), and give each use a key of its own\n`);
      expect(twice.stdout).toBe('');
    }
  });

  it('runs the demo, then answers SQL as JSON and CSV over what landed', async () => {
    const demo = await puddle(['demo', '--once', '--donations', '300', '--seed', '9'], { PUDDLE_HOME: home });
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('totals match');
    expect(demo.stdout).toContain('reconciliation matches the world');
    // The world's calendar runs to 2027-01-20: until then, the demo says which of its gifts are still ahead of today.
    if (Date.now() < Date.parse('2027-01-01T00:00:00Z')) expect(demo.stdout).toMatch(/\n\d+ of the world's donations are dated after today \(it runs to 2027-01-20\)/);
    // It says how many breaks `puddle report breaks` will list beside the world's, and what they are.
    const said = /lists all (\d+) open breaks: these (\d+), and (\d+) on the rest of the lake \(DONATION_NOT_PAID \d+/.exec(demo.stdout);
    expect(said, demo.stdout.slice(-600)).not.toBeNull();
    expect(Number(said![1])).toBe(Number(said![2]) + Number(said![3]));
    const report = await puddle(['report', 'breaks', '--as-of', '2027-01-20', '--format', 'json'], { PUDDLE_HOME: home });
    expect((JSON.parse(report.stdout) as unknown[]).length).toBe(Number(said![1]));
    // A date ahead of today is taken, with a word on stderr that the ages are as they would stand then.
    if (Date.now() < Date.parse('2027-01-20T00:00:00Z')) expect(report.stderr).toMatch(/--as-of 2027-01-20 is after today \(\d{4}-\d{2}-\d{2}\): ages and grace periods/);
    // the world's CRM came through a Salesforce sandbox and the connector, and its breaks are in the check
    expect(demo.stdout).toMatch(/its CRM: (\d+) of \1 Salesforce gifts and payments synced/);
    for (const t of ['GIFT_MISSING', 'GIFT_AMOUNT_DIFFERS', 'GIFT_NOT_PAID', 'GATEWAY_ID_REUSED', 'CRM_REFUND_MISSING']) expect(demo.stdout).toMatch(new RegExp(`${t} +\\| 1 +\\| 1 +\\| yes`));
    // Its world's gifts carry Gift Aid flags: the docs' claim, for November 2026 as of its last day, finds the declared
    // gifts whose money had arrived, each at most its amount (a Gift Aid officer's user test found none in the demo).
    const claimSql = docSql('reconciliation.md', '### The month\'s claim').replaceAll("'2026-11-01'", "'2026-12-01'").replaceAll("'2026-10-01'", "'2026-11-01'");
    writeFileSync(join(home, 'claim.sql'), claimSql);
    const claim = await puddle(['query', '--as-of', '2026-11-30', '--format', 'json', '--file', join(home, 'claim.sql')], { PUDDLE_HOME: home });
    const claimed = JSON.parse(claim.stdout) as { donation_id: string; received_on: string; amount_minor: number; claim_minor: number }[];
    expect(claimed.length, claim.stderr).toBeGreaterThan(20);
    for (const c of claimed) {
      expect(demoGiftAid(c.donation_id)).toBe(true);
      expect(c.received_on.slice(0, 7)).toBe('2026-11');
      expect(c.claim_minor).toBeGreaterThan(0);
      expect(c.claim_minor).toBeLessThanOrEqual(c.amount_minor);
    }
    const json = await puddle(['query', '--format', 'json', "SELECT count(*) AS n FROM donation WHERE campaign LIKE 'appeal-night%'"], { PUDDLE_HOME: home });
    expect(JSON.parse(json.stdout)).toEqual([{ n: 300 }]);
    const csv = await puddle(['query', '--format', 'csv', 'SELECT channel FROM donation GROUP BY 1 ORDER BY 1'], { PUDDLE_HOME: home });
    expect(csv.stdout.split('\n')[0]).toBe('channel');
    const bad = await puddle(['query', 'SELECT nope FROM donation'], { PUDDLE_HOME: home });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nope/);
  });

  it('shows a bar per stream in a real terminal, then the table', async () => {
    // `script` (bsdutils, in every Debian) runs the CLI on a pseudo-terminal, as a person at a shell would.
    const sandbox = await startStripeSandbox({ charges: 1500, rateLimit: 0 });
    try {
      const cmd = `'${process.execPath}' '${BIN}' sync stripe --streams charges,refunds`;
      const { stdout } = await run('script', ['-qec', cmd, '/dev/null'], {
        env: {
          ...process.env, PUDDLE_LOG_LEVEL: 'error', PUDDLE_HOME: join(home, 'tty'), STRIPE_API_KEY: sandbox.apiKey,
          STRIPE_API_BASE: sandbox.url, STRIPE_START_DATE: new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10),
        },
      });
      expect(stdout).toContain('\x1b[K'); // lines redrawn in place
      expect(stdout).toMatch(new RegExp(`charges +\\[#{24}\\] records ${sandbox.data.charges.length} `));
      expect(stdout).toMatch(/refunds +\[[#-]{24}\] records \d+/);
      expect(stdout).toMatch(/charges \| succeeded \| 1500 /);
    } finally {
      await sandbox.close();
    }
  });

  it('stops at Ctrl-C on a sync: prints the table, records the run as stopped, exits 130', async () => {
    const sandbox = await startStripeSandbox({ charges: 3000, rateLimit: 0 });
    const ctrlC = join(home, 'ctrl-c');
    try {
      const child = spawn(process.execPath, [BIN, 'sync', 'stripe', '--streams', 'charges,refunds,payouts'], {
        env: {
          ...process.env, PUDDLE_LOG_LEVEL: 'error', PUDDLE_HOME: ctrlC, STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url,
          STRIPE_START_DATE: new Date(Date.now() - 15 * 86_400_000).toISOString(), STRIPE_REQUESTS_PER_SECOND: '8',
        },
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
      const exited = new Promise((r) => child.on('exit', (code, signal) => r(signal ?? code)));
      // Mid-way: a few pages asked for (at 8 a second), the child still running.
      while (sandbox.requests.total < 4 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect(child.exitCode, stdout).toBeNull();
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stdout).toMatch(/charges \| partial +\| \d+ .*\| stopped; the next run continues from the checkpoint/);
      // The streams it never reached are named, not left out of the table without a word.
      expect(stdout).toContain('not run, the sync having stopped before their turn: refunds, payouts\n');
      const rt = await createLocalRuntime({ home: ctrlC });
      try {
        const last = await rt.state.get<RunResult>(lastRunKey('stripe', 'charges'));
        expect(last).toMatchObject({ outcome: 'partial', error: 'stopped; the next run continues from the checkpoint' });
      } finally {
        await rt.close();
      }
    } finally {
      await sandbox.close();
    }
  });
});
