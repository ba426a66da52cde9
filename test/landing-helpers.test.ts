import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub } from '../infra/local/hub.js';
import { postEvents } from './support/hub-process.js';

const KEY = 'helpers-key';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const donation = (id: string) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor: 100, currency: 'GBP' },
});

describe('landing threads helping each other', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-helpers-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('land a puddle far behind from the other threads, and stand by once it is within two batches', async () => {
    // No thread owns transactions here, so only helpers land it: both threads help, each while more than two
    // batches (of 2) are visible.
    const hub = await startHub({
      config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY] },
      landing: { groups: [['raw'], ['quarantine']], consumer: { batchSize: 2, windowMs: 20, pollMs: 10 } },
    });
    try {
      const events = Array.from({ length: 12 }, (_, i) => donation(`help-${i}`));
      expect((await postEvents(hub.url, KEY, events)).status).toBe(202);
      const depth = () => hub.runtime.queue.depth('transactions');
      for (let i = 0; i < 400 && (await depth()) > 4; i++) await sleep(10);
      // Helpers stop once at most two batches wait (two of them may each take one more on the way down).
      await sleep(800);
      const left = await depth();
      expect(left).toBeGreaterThanOrEqual(1);
      expect(left).toBeLessThanOrEqual(4);
      const landed = await hub.runtime.query.query('SELECT count(*) AS n FROM donation');
      expect(landed).toEqual([{ n: 12 - left }]);
    } finally {
      await hub.stop();
    }
  });
});
