// One hub per PUDDLE_HOME, through the real CLI: a second `puddle start` on a home a hub holds is refused,
// the commands that only read or are safe beside a hub still run, and a hub killed with SIGKILL leaves
// nothing behind that would refuse the next start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../infra/aws/local/emulators.js';
import { runPuddle } from './support/run-cli.js';
import { HUB_START_MS, postEvents, startHubProcess, type HubProcess, smsDonation as donation } from './support/hub-process.js';

const KEY = 'home-lock-key';
/**
 * Each test starts hubs and runs a dozen CLI commands as child processes, one after another where the test is
 * about order: on a loaded two-core machine that took longer than 120 s. A bound for a test that hangs.
 */
const CHILD_PROCESS_TEST_MS = 300_000;
/** A command that should refuse to start is stopped after this if it did start (and the test fails on its code). */
const REFUSES_WITHIN_MS = 120_000;
const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));

describe('puddle start on a home a hub holds', () => {
  const parent = mkdtempSync(join(tmpdir(), 'puddle-home-lock-'));
  // Not made yet: `puddle start` makes its home.
  const home = join(parent, 'home');
  const env = { PUDDLE_HOME: home, PUDDLE_API_KEYS: KEY };
  let hubs: HubProcess[] = [];
  afterAll(async () => {
    for (const h of hubs) {
      h.child.kill('SIGKILL');
      await h.exited;
    }
    rmSync(parent, { recursive: true, force: true });
  });

  it('is refused with exit code 2 naming the home and the hub; reads run beside it; after kill -9 the home starts again', async () => {
    const first = await startHubProcess(env);
    hubs.push(first);
    expect((await postEvents(first.url, KEY, [donation('lock-1')])).status).toBe(202);

    // Until 2026-12-02 this one started too, on another port, and took every other delivery.
    const second = await runPuddle(['start', '--no-schedule'], { ...env, PORT: '0' }, { timeoutMs: REFUSES_WITHIN_MS });
    expect(second.code, second.stdout + second.stderr).toBe(2);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(
      new RegExp(`^puddle start: ${home} \\(PUDDLE_HOME\\) is in use by puddle start at ${first.url.replace(/\./g, '\\.')} \\(pid ${first.child.pid}, since \\S+\\): one hub per home \\(two would each land part of the events`),
    );
    expect(second.stderr).toContain('Stop it first, or give this one another PUDDLE_HOME\n');

    // Without producer keys the same: the refusal is all it says. Until 2026-12-02 the empty-keys warning came
    // first, so its user read about keys before learning the home was taken.
    const keyless = await runPuddle(['start', '--no-schedule'], { ...env, PUDDLE_API_KEYS: '', PORT: '0' }, { timeoutMs: REFUSES_WITHIN_MS });
    expect(keyless.code, keyless.stdout + keyless.stderr).toBe(2);
    expect(keyless.stdout).toBe('');
    expect(keyless.stderr).toMatch(new RegExp(`^puddle start: ${home} \\(PUDDLE_HOME\\) is in use by puddle start at `));
    expect(keyless.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    // The AWS shape on this machine lands into the same home's catalog and lake copy: refused the same way,
    // before its emulators start (it took no lock until 2026-12-02, and started beside the hub).
    const awsLocal = await runPuddle(['aws', 'local', '--no-schedule'], { ...env, PUDDLE_API_KEYS: '', PORT: '0' }, { timeoutMs: REFUSES_WITHIN_MS });
    expect(awsLocal.code, awsLocal.stdout + awsLocal.stderr).toBe(2);
    expect(awsLocal.stdout).toBe('');
    expect(awsLocal.stderr).toMatch(new RegExp(`^puddle aws: ${home} \\(PUDDLE_HOME\\) is in use by puddle start at ${first.url.replace(/\./g, '\\.')} \\(pid ${first.child.pid}`));
    expect(awsLocal.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    // Landing beside the hub would take part of its deliveries out of its live totals: refused the same way.
    const land = await runPuddle(['land'], env);
    expect(land.code).toBe(2);
    expect(land.stderr).toContain(`puddle land: ${home} (PUDDLE_HOME) is in use by puddle start at ${first.url} (pid ${first.child.pid}`);
    expect(land.stderr).toContain('which lands what is queued');

    // What reads, and what docs/cli.md says is safe beside a running hub, still runs.
    const [query, status, compact, replay, deadLetters] = await Promise.all([
      runPuddle(['query', 'SELECT 1 AS one', '--format', 'json'], env),
      runPuddle(['status'], env),
      runPuddle(['compact'], env),
      runPuddle(['replay', '--contract', 'donation'], env),
      runPuddle(['dead-letters'], env),
    ]);
    for (const r of [query, status, compact, replay, deadLetters]) expect(r.code, r.stderr).toBe(0);

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    // The lock went with the process: the next start takes the home, and what the first accepted is there.
    const again = await startHubProcess(env);
    hubs.push(again);
    // Answering means its event loop has run, so its signal handlers are in place for the SIGTERM below.
    expect((await fetch(`${again.url}/healthz`)).status).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    hubs = [];
    const landed = await runPuddle(['query', "SELECT count(*) AS n FROM donation WHERE donation_id = 'lock-1'", '--format', 'json'], env);
    expect(JSON.parse(landed.stdout)).toEqual([{ n: 1 }]);
  }, CHILD_PROCESS_TEST_MS);
});

describe('puddle aws local on a home', () => {
  const parent = mkdtempSync(join(tmpdir(), 'puddle-home-lock-aws-'));
  const home = join(parent, 'home');
  const env = { PUDDLE_HOME: home, PUDDLE_API_KEYS: KEY };
  let local: ChildProcess | null = null;
  afterAll(async () => {
    if (local && local.exitCode === null) {
      const exited = new Promise((resolve) => local!.once('exit', resolve));
      local.kill('SIGKILL');
      await exited;
    }
    rmSync(parent, { recursive: true, force: true });
  });

  it('holds it: a hub, or a second puddle aws local, on that home is refused naming it; after it stops the home starts again', async () => {
    local = spawn(process.execPath, [BIN, 'aws', 'local', '--no-schedule'], { env: { ...process.env, ...env, PORT: '0', PUDDLE_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    local.stdout!.on('data', (d) => (out += d));
    local.stderr!.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`puddle aws local did not start within ${HUB_START_MS / 1000} s:\n${out}`)), HUB_START_MS);
      local!.stdout!.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        // The whole banner: its last line is printed once the emulators' lines are.
        if (m && out.includes('answer over what it lands')) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      local!.once('exit', (code) => reject(new Error(`puddle aws local exited (${code}):\n${out}`)));
    });

    // The banner's aws CLI line works as printed on a machine with no AWS profile: the emulators' keys and region
    // are in it (without them the CLI says "Unable to locate credentials" and sends nothing).
    const bank = /bank statements: (.*)/.exec(out)?.[1] ?? '';
    expect(bank).toMatch(/^AWS_ACCESS_KEY_ID=\S+ AWS_SECRET_ACCESS_KEY=\S+ AWS_REGION=[a-z0-9-]+ AWS_DEFAULT_REGION=[a-z0-9-]+ aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ s3 cp FILE s3:\/\/\S+\/inbox\/bank\/$/);
    const assigned = Object.fromEntries(bank.split(' aws ')[0]!.split(' ').map((kv) => kv.split('=') as [string, string]));
    // The region for the CLI's v2 (AWS_REGION) and v1 (AWS_DEFAULT_REGION only: without it `aws sqs ...` says
    // "You must specify a region").
    expect(assigned).toEqual({ AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey, AWS_REGION: EMULATOR_REGION, AWS_DEFAULT_REGION: EMULATOR_REGION });

    const [hub, twin] = await Promise.all([
      runPuddle(['start', '--no-schedule'], { ...env, PORT: '0' }, { timeoutMs: REFUSES_WITHIN_MS }),
      runPuddle(['aws', 'local', '--no-schedule'], { ...env, PORT: '0' }, { timeoutMs: REFUSES_WITHIN_MS }),
    ]);
    expect(hub.code, hub.stdout + hub.stderr).toBe(2);
    expect(hub.stderr).toContain(`puddle start: ${home} (PUDDLE_HOME) is in use by puddle aws local at ${url} (pid ${local.pid}`);
    expect(twin.code, twin.stdout + twin.stderr).toBe(2);
    expect(twin.stderr).toContain(`puddle aws: ${home} (PUDDLE_HOME) is in use by puddle aws local at ${url} (pid ${local.pid}`);

    const exited = new Promise<number | null>((resolve) => local!.once('exit', resolve));
    local.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Its stop released the lock: a hub takes the home.
    const after = await startHubProcess(env);
    after.child.kill('SIGTERM');
    expect(await after.exited).toBe(0);
  }, CHILD_PROCESS_TEST_MS);
});
