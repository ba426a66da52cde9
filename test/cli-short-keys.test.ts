// `puddle start` warns about a key shorter than 16 characters, naming where it is set, never the key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess, type HubProcess } from './support/hub-process.js';

describe('puddle start: short keys', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-short-keys-'));
  let hub: HubProcess | undefined;
  afterAll(async () => {
    if (hub) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('warns for each key shorter than 16 characters, by variable and position, and still starts', async () => {
    hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_API_KEYS: 'pk-short1,producer-key-long-0123456789', PUDDLE_READ_KEYS: 'read-key-long-0123456789', PUDDLE_TV_KEYS: 'tv-short-7', FRESHDESK_WEBHOOK_USER: 'puddle', FRESHDESK_WEBHOOK_SECRET: 'x' });
    const out = hub.output();
    const warned = out.split('\n').filter((l) => l.includes('is shorter than 16 characters'));
    expect(warned).toEqual([
      'warning: PUDDLE_API_KEYS key 1 (producer#1) is shorter than 16 characters, so it can be guessed; make a long random one (openssl rand -hex 24)',
      'warning: PUDDLE_TV_KEYS key 1 (tv#1) is shorter than 16 characters, so it can be guessed; make a long random one (openssl rand -hex 24)',
      // Until 2026-12-06 a 1-character webhook secret started with no word (a security review).
      'warning: FRESHDESK_WEBHOOK_SECRET is shorter than 16 characters, so it can be guessed; make a long random one (openssl rand -hex 24)',
    ]);
    expect(out).not.toMatch(/pk-short1|tv-short-7/);
    // Still served with it: a warning, not a refusal.
    expect((await fetch(`${hub.url}/v1/totals`, { headers: { authorization: 'Bearer tv-short-7' } })).status).not.toBe(401);
  });
});
