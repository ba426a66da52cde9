import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../core/config.js';
import { appealNight, toRequests } from '../../../core/scenario/appeal-night.js';
import { DEMO_MAX_AHEAD_MS } from '../../../core/contracts/time-bounds.js';
import { startHub } from '../../local/hub.js';
import { noteMadeUpData } from '../../local/made-up-data.js';
import { defineCommand } from '../command.js';
import { demoRecon } from '../demo-recon.js';
import { formatRows } from '../format.js';
import { wholeNumberOption } from '../options.js';

export const demo = defineCommand({
  name: 'demo',
  summary: 'Push an appeal night and a reconciliation world through the producer over HTTP; compare SQL totals, the journey funnel and the breaks with the truth.',
  usage: 'puddle demo --once [--donations N] [--seed N] [--port N]',
  options: {
    once: { type: 'boolean', description: 'run the scenario once, print totals, exit (non-zero if they differ)' },
    donations: { type: 'string', default: '2000', description: 'donations in the scenario (default 2000)' },
    seed: { type: 'string', default: '42', description: 'scenario seed (same seed, same events)' },
    // Nothing outside the demo sends to its hub, so any free port does; a port of one's own is for a machine where
    // only some ports may be bound (a digital analyst's user test could not run the demo on one, 2026-12-07).
    port: { type: 'string', default: '0', description: "its hub's port on loopback (default 0: any free port; PORT is not read)" },
  },
  async run({ values }) {
    if (!values.once) {
      process.stderr.write('puddle demo: only --once is supported: it runs the scenario and exits\n');
      return 2;
    }
    const donations = wholeNumberOption(values, 'donations', { min: 1 })!;
    const seed = wholeNumberOption(values, 'seed', { min: 0 })!;
    const port = wholeNumberOption(values, 'port', { min: 0, max: 65535 })!;
    const config = loadConfig();
    const key = randomBytes(16).toString('hex');
    // The reconciliation world is a fixed calendar (to 2027-01-20), sent today: its later days are not typos here.
    const hub = await startHub({ config: { ...config, port, apiKeys: [...config.apiKeys, key] }, command: 'puddle demo', portSetting: '--port', maxAheadMs: DEMO_MAX_AHEAD_MS });
    try {
      noteMadeUpData(config.home, 'demo', new Date());
      const s = appealNight({ seed, donations });
      const sent = await sendAll(hub.url, key, toRequests(s, 50));
      process.stdout.write(
        `sent ${s.events.length} events in ${sent.requests} requests: ${sent.accepted} accepted, ` +
          `${sent.rejected} rejected as invalid (${s.invalidIndexes.size} expected), ${s.duplicates} duplicates, ${s.corrections} corrections\n`,
      );
      const sql = `SELECT channel, count(*) AS donations, sum(amount_minor) AS amount_minor FROM donation WHERE campaign = '${s.campaign}' GROUP BY channel ORDER BY channel`;
      const expected = Object.entries(s.expected.byChannel)
        .map(([channel, t]) => ({ channel, donations: t.count, amount_minor: t.amount_minor }))
        .sort((a, b) => a.channel.localeCompare(b.channel));
      const deadline = Date.now() + 60_000;
      let rows: Record<string, unknown>[] = [];
      while (Date.now() < deadline) {
        if ((await hub.stats()).waiting === 0) {
          rows = await hub.runtime.query.query(sql);
          if (JSON.stringify(rows) === JSON.stringify(expected)) break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const merged = expected.map((e) => {
        const got = rows.find((r) => r.channel === e.channel);
        return {
          channel: e.channel,
          sql_donations: got?.donations ?? 0,
          scenario_donations: e.donations,
          sql_amount_minor: got?.amount_minor ?? 0,
          scenario_amount_minor: e.amount_minor,
          match: got?.donations === e.donations && got?.amount_minor === e.amount_minor ? 'yes' : 'NO',
        };
      });
      process.stdout.write(formatRows(merged, 'table'));
      const ok = JSON.stringify(rows) === JSON.stringify(expected) && sent.rejected === s.invalidIndexes.size && sent.failed === 0;
      process.stdout.write(ok ? 'totals match\n' : 'totals DIFFER\n');
      const reconOk = await demoRecon(hub.url, key, hub.runtime, hub.runtime.query, async () => (await hub.stats()).waiting, (t) => process.stdout.write(t));
      return ok && reconOk ? 0 : 1;
    } finally {
      await hub.stop();
    }
  },
});

async function sendAll(url: string, key: string, requests: ReturnType<typeof toRequests>) {
  const result = { requests: requests.length, accepted: 0, rejected: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: req.events }),
      });
      await res.arrayBuffer();
      if (res.status === 202) result.accepted += req.events.length;
      else if (res.status === 400 && req.invalid) result.rejected++;
      else result.failed++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return result;
}
