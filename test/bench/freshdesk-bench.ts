// Freshdesk connector benchmark (issue #13): a backfill of 31,000 tickets from the sandbox on the Growth plan's
// limits (200 credits and 20 ticket-list calls a minute; a tickets page with include=requester,stats costs 3),
// elapsed next to the floor those limits allow, and the ratio (goal <= 1.10). The ticket-list cap binds: the
// floor is the list calls an ideal reader needs (ceil(tickets / 100) pages, plus one each for the deleted and
// spam passes) times a minute / 20. A real minute would make this a 16-minute run, so the sandbox's and the
// budget's "minute" are shrunk together (FRESHDESK_BENCH_MINUTE_MS, default 6,000 ms: ten times faster); the
// ratio is what the bench is about, and it does not depend on the scale as long as a page takes far less than
// a minute / 20 to serve and map. FRESHDESK_BENCH_TICKETS overrides the count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncConnector } from '../../core/engine/sync.js';
import { DEFAULT_REFERENCE_PATTERN, FRESHDESK_PLAN_LIMITS } from '../../connectors/freshdesk/config.js';
import { freshdeskConnector } from '../../connectors/freshdesk/connector.js';
import { startFreshdeskSandbox } from '../../connectors/freshdesk/sandbox/index.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';

const TICKETS = Number(process.env.FRESHDESK_BENCH_TICKETS ?? 31_000);
const MINUTE_MS = Number(process.env.FRESHDESK_BENCH_MINUTE_MS ?? 6_000);
const DAY = 86_400_000;

export async function benchFreshdesk(): Promise<void> {
  const limits = FRESHDESK_PLAN_LIMITS.growth;
  const now = Date.now();
  const sandbox = await startFreshdeskSandbox({ tickets: TICKETS, range: { from: new Date(now - 20 * DAY), to: new Date(now - DAY) }, limits, minuteMs: MINUTE_MS });
  const home = mkdtempSync(join(tmpdir(), 'puddle-bench-freshdesk-'));
  const rt = await createLocalRuntime({ home });
  try {
    const inst = freshdeskConnector({
      apiBase: sandbox.url, apiKey: sandbox.apiKey, startDate: new Date(now - 30 * DAY), limits, minuteMs: MINUTE_MS, includeCredits: 1,
      donationIdField: 'cf_donation_id', paymentRefField: null, referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN), crmIdField: 'unique_external_id',
      keepSubject: false, webhookUser: '', webhookSecret: '', webhookHeader: '', concurrency: 2,
    });
    console.log(`freshdesk: a "minute" is ${MINUTE_MS} ms here (${(60_000 / MINUTE_MS).toFixed(1)}x faster than Freshdesk's), for the sandbox and the budget alike`);
    const started = performance.now();
    const results = await syncConnector(inst, rt, { streams: ['tickets', 'deleted_tickets', 'spam_tickets'] });
    const secs = (performance.now() - started) / 1000;
    const listCalls = results.reduce((s, r) => s + r.requests - r.retries, 0);
    const records = results.reduce((s, r) => s + r.records, 0);
    const ideal = Math.ceil(TICKETS / 100) + 2;
    const gap = MINUTE_MS / limits.ticketsList / 1000;
    const floor = ideal * gap;
    console.log(`backfill of ${TICKETS} tickets on Growth limits (${limits.ticketsList} list calls, ${limits.perMinute} credits a minute): ${records} records, ${listCalls} list calls, ${results.map((r) => `${r.stream} ${r.outcome}`).join(', ')}`);
    console.log(`  429s from the sandbox: ${sandbox.requests.countByStatus(429)}; credits spent: ${Object.entries(sandbox.credits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`  elapsed ${secs.toFixed(1)} s; floor (${ideal} list calls an ideal reader needs x ${gap.toFixed(2)} s): ${floor.toFixed(1)} s   ratio ${(secs / floor).toFixed(3)} (goal <= 1.10)`);
    console.log(`  at Freshdesk's real minute: ${((secs * 60_000) / MINUTE_MS / 60).toFixed(1)} min against a floor of ${((floor * 60_000) / MINUTE_MS / 60).toFixed(1)} min`);
  } finally {
    await rt.close();
    rmSync(home, { recursive: true, force: true });
    await sandbox.close();
  }
}
