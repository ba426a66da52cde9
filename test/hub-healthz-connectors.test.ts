// /healthz on a hub whose connector fails: an uptime checker reads it there, not only on the dashboard and
// /v1/ops/status (behind a read key). A real hub with its sandboxes and scheduled syncs, Freshdesk's sandbox
// refusing its key as if it had been rolled (PUDDLE_SANDBOX_FAULTS). Until 2026-12-03 /healthz said nothing of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub, type Hub } from '../infra/local/hub.js';

interface Health {
  ok: boolean;
  accepting: boolean;
  connectors: { failing: Record<string, { streams: string[]; last_failed_at: string | null }> };
}

interface OpsStatus {
  health: Health;
  sources: { source: string; streams: { stream: string; error: string | null }[] }[];
}

describe('/healthz and a failing connector', { timeout: 240_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-healthz-connectors-'));
  let hub: Hub | undefined;
  afterAll(async () => {
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('names it and its failing streams in the body, and keeps the 200 and `ok` a balancer reads', async () => {
    const config = { ...loadConfig({ PUDDLE_SANDBOX_FAULTS: 'freshdesk:status401', PUDDLE_API_KEYS: 'k', PUDDLE_READ_KEYS: 'r' }), home, port: 0 };
    hub = await startHub({ config, schedule: true });
    let res: Response;
    let health: Health;
    const until = Date.now() + 180_000;
    for (;;) {
      res = await fetch(`${hub.url}/healthz`);
      health = (await res.json()) as Health;
      if (health.connectors.failing.freshdesk || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // Its first stream was refused and the sync stopped there: the streams after it have not run since, and
    // are named too (until 2026-12-05 only ticket_fields was, as if one stream of five failed).
    expect(health.connectors.failing.freshdesk?.streams).toEqual(['ticket_fields', 'contacts', 'tickets', 'deleted_tickets', 'spam_tickets']);
    expect(Date.parse(health.connectors.failing.freshdesk!.last_failed_at!)).not.toBeNaN();
    expect(res.status).toBe(200);
    expect(health).toMatchObject({ ok: true, accepting: true });
    // The other sandboxes answer: their connectors are not named.
    expect(Object.keys(health.connectors.failing)).toEqual(['freshdesk']);
    // The operations status carries the same object, and the error's words, behind a key.
    const ops = (await (await fetch(`${hub.url}/v1/ops/status`, { headers: { authorization: 'Bearer r' } })).json()) as OpsStatus;
    expect(ops.health.connectors.failing.freshdesk?.streams).toContain('ticket_fields');
    const error = ops.sources.find((s) => s.source === 'freshdesk')?.streams.find((s) => s.stream === 'ticket_fields')?.error;
    expect(error).toContain('401');
    // Never the error's words on /healthz (anyone may read it). Not a bare '401': a count or a time's milliseconds
    // may be 401 (a CI run failed on one, 2026-12-08).
    const body = JSON.stringify(health);
    for (const words of [error!, '401 on', 'invalid_credentials', 'FRESHDESK_API_KEY', 'refused']) expect(body).not.toContain(words);
    expect(Object.keys(health.connectors.failing.freshdesk!).sort()).toEqual(['last_failed_at', 'streams']);
  });
});
