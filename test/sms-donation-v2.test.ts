import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { startHub, type Hub } from '../infra/local/hub.js';
import { postEvents } from './support/hub-process.js';

const KEY = 'sms-v2-key-0123456789';

/**
 * donation v2 (core/contracts/sms.ts) adds the mobile network of a text-to-donate gift. A web team on v1 and an
 * SMS aggregator on v2 send to one hub: both land in the one `donation` view (v1 rows with no network), and both
 * count in the live total.
 */
describe('donation v2: an SMS network beside v1 senders', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-sms-v2-'));
  let hub: Hub;

  beforeAll(async () => {
    hub = await startHub({ config: { ...loadConfig({}), home, port: 0, apiKeys: [KEY], rawLingerMs: 0 } });
  });
  afterAll(async () => {
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('lands v1 and v2 donations in one view, with the network where it was sent, and totals both', async () => {
    const base = { occurred_at: '2026-11-27T20:15:03Z', amount_minor: 500, currency: 'GBP', campaign: 'sms-v2-test' };
    const res = await postEvents(hub.url, KEY, [
      { contract: 'donation', version: 1, payload: { ...base, donation_id: 'web-1', channel: 'online' } },
      { contract: 'donation', version: 2, payload: { ...base, donation_id: 'sms-1', channel: 'sms', status: 'paid', payment_provider: 'donr', sms_network: 'EE' } },
      { contract: 'donation', version: 2, payload: { ...base, donation_id: 'sms-2', channel: 'sms', status: 'failed', payment_provider: 'donr', sms_network: 'Vodafone' } },
    ]);
    expect(res.status).toBe(202);
    for (let i = 0; i < 600 && ((await hub.stats()).waiting > 0 || (await hub.stats()).liveTotal?.count !== 2); i++) await new Promise((r) => setTimeout(r, 100));

    const rows = await hub.runtime.query.query(`SELECT donation_id, sms_network FROM donation WHERE campaign = 'sms-v2-test' ORDER BY donation_id`);
    expect(rows).toEqual([
      { donation_id: 'sms-1', sms_network: 'EE' },
      { donation_id: 'sms-2', sms_network: 'Vodafone' },
      { donation_id: 'web-1', sms_network: null },
    ]);
    // The failed text counts nothing; the paid text and the web pledge count.
    expect((await hub.stats()).liveTotal).toMatchObject({ currency: 'GBP', amount_minor: 1000, count: 2 });
  });
});
