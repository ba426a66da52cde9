import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess, type HubProcess } from './support/hub-process.js';

// PUDDLE_HOME holds the queue (every event as sent), the lake and the bank files: other users of the machine
// must not read it. Until 2026-12-02 `puddle start` made it 0755 and its files 0644.
const mode = (path: string) => statSync(path).mode & 0o777;

describe.skipIf(process.platform === 'win32')('the permissions of PUDDLE_HOME', () => {
  const parent = mkdtempSync(join(tmpdir(), 'puddle-home-perms-'));
  const home = join(parent, 'home');
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  async function startAndStop(): Promise<string> {
    const hub: HubProcess = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_API_KEYS: 'perms-key' });
    hub.child.kill('SIGINT');
    expect(await hub.exited).toBe(0);
    return hub.output();
  }

  it('makes a new home readable by its owner only, and does not warn about it', async () => {
    const said = await startAndStop();
    expect(mode(home)).toBe(0o700);
    expect(said).not.toMatch(/other users/);
  }, 90_000);

  it('leaves an existing home open to others as it is, and warns at start with the command that closes it', async () => {
    chmodSync(home, 0o755);
    const said = await startAndStop();
    expect(mode(home)).toBe(0o755);
    expect(said).toMatch(/PUDDLE_HOME can be read by other users/);
    expect(said).toContain(`chmod 700 ${home}`);
  }, 90_000);
});
