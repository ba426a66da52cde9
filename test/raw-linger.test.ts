// The hub's raw trail lingers for fuller files (PUDDLE_RAW_LINGER_SECONDS): raw's files are never merged, and
// landing a batch per 500 ms window made one a second with the sandboxes running. The other puddles (the live
// totals read `transactions`) land at once, what lingers is not counted as behind, and a stop lands it.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { liveLine } from '../infra/cli/live-line.js';
import { startHub } from '../infra/local/hub.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { postEvents, smsDonation as donation } from './support/hub-process.js';

const KEY = 'raw-linger-key';

describe("the hub's raw linger", () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-raw-linger-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('lands donations at once and raw a linger later, counts raw meanwhile as lingering (not waiting), and lands it on stop', async () => {
    const config = loadConfig({});
    expect(config.rawLingerMs).toBe(60_000);
    const hub = await startHub({ config: { ...config, home, port: 0, apiKeys: [KEY] }, landing: { backlogMs: 50 } });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await postEvents(hub.url, KEY, [donation(`linger-${i}`)]);
        expect(res.status).toBe(202);
        await res.arrayBuffer();
      }
      const count = async (view: string) => ((await hub.runtime.query.query(`SELECT count(*) AS n FROM ${view}`))[0]!.n as number);
      for (let i = 0; i < 400 && (await count('donation')) < 3; i++) await sleep(25);
      expect(await count('donation')).toBe(3);
      expect(hub.totals.totals.document({ by: 'channel' }).total).toMatchObject({ count: 3, amount_minor: 1500 });
      // Raw holds them back on purpose: not landed, not "waiting to land", not late.
      type Health = { landing: { waiting?: number; lingering?: number; oldest_waiting_s?: number } };
      let h: Health = { landing: {} };
      // Other puddles that take donations land them at their own pace (slowly on a loaded machine): wait for them too.
      for (let i = 0; i < 800 && !(h.landing.lingering === 3 && h.landing.waiting === 0); i++) {
        await sleep(25);
        h = (await (await fetch(`${hub.url}/healthz`)).json()) as Health;
      }
      expect(h.landing).toMatchObject({ waiting: 0, lingering: 3 });
      expect(h.landing.oldest_waiting_s).toBeLessThan(1);
      expect(await hub.runtime.queue.depth('raw')).toBe(3);
      expect(await count('raw')).toBe(0);
      expect((await hub.stats()).waiting).toBe(0);
      expect(liveLine(await hub.stats({ reported: true }))).toContain('| waiting to land 0 |');
    } finally {
      await hub.stop();
    }
    // Ctrl-C's drain lands what lingers: the trail misses nothing, in one file.
    const rt = await createLocalRuntime({ home });
    try {
      expect(await rt.queue.depth('raw')).toBe(0);
      expect(await rt.query.query(`SELECT count(*) AS n FROM raw WHERE contract = 'donation'`)).toEqual([{ n: 3 }]);
      expect((await rt.catalog.listFiles({ puddle: 'raw' })).map((f) => f.rows)).toEqual([3]);
    } finally {
      await rt.close();
    }
  }, 60_000);
});
