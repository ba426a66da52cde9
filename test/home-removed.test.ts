// A hub whose home is removed while it runs (infra/local/home-watch.ts): SQLite goes on committing to files no path
// names any more, so until 2026-12-05 the producer kept answering 202 for events that were gone once the hub
// stopped. Now, within about a second, every request is refused (503, Retry-After) and /healthz says the hub does
// not accept; the hub still stops cleanly.
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub } from '../infra/local/hub.js';
import { postEvents, smsDonation as donation } from './support/hub-process.js';

const KEY = 'home-removed-key';

describe('a hub whose home is removed while it runs', () => {
  it('refuses events with 503 once its queue file is gone, says so on /healthz, and still stops', async () => {
    const home = mkdtempSync(join(tmpdir(), 'puddle-home-removed-'));
    const hub = await startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY] } });
    try {
      const first = await postEvents(hub.url, KEY, [donation('kept-1')]);
      expect(first.status).toBe(202);
      await first.arrayBuffer();

      rmSync(home, { recursive: true, force: true });
      let res = await postEvents(hub.url, KEY, [donation('after-1')]);
      for (let i = 0; i < 100 && res.status === 202; i++) {
        await res.arrayBuffer();
        await sleep(50);
        res = await postEvents(hub.url, KEY, [donation(`after-${i + 2}`)]);
      }
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ error: { code: 'queue_unavailable' } });

      const health = await fetch(`${hub.url}/healthz`);
      expect(health.status).toBe(503);
      const said = (await health.json()) as { accepting: boolean; queue: { committing: boolean; reason?: string } };
      expect(said).toMatchObject({ accepting: false, queue: { committing: false } });
      expect(said.queue).toMatchObject({ reason: 'home_gone', fix: expect.stringContaining('restart the hub on its home') });

      // Refused for good: the home does not come back by itself.
      await sleep(1_200);
      expect((await postEvents(hub.url, KEY, [donation('later')])).status).toBe(503);
    } finally {
      await hub.stop();
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
