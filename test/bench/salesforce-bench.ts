// Salesforce connector benchmark (issue #12): a backfill of 200,000 Opportunities from the sandbox under a
// request budget, by REST keyset pages and by a Bulk API 2.0 job; elapsed next to the floor the budget sets
// (requests needed / budget) and the ratio (goal <= 1.10). The sandbox runs in a process of its own, as
// Salesforce runs elsewhere. Keyset pages are sequential, so the sandbox's answer time per page is in the
// figure: it scans the whole object for each page (1.37-1.41 on a slow host until its queries got cheaper;
// moving it out of this process alone changed nothing). SF_BENCH_ROWS overrides.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncConnector } from '../../core/engine/sync.js';
import { salesforceConnector } from '../../connectors/salesforce/connector.js';
import { DEFAULT_PAYMENT_REF_FIELDS } from '../../connectors/salesforce/config.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { sandboxProcess } from './sandbox-process.js';

const ROWS = Number(process.env.SF_BENCH_ROWS ?? 200_000);
const BUDGET = 5;

export async function benchSalesforce(): Promise<void> {
  const sandbox = await sandboxProcess<{ accessToken: string }>('salesforce', ROWS, 0);
  try {
    for (const path of ['rest', 'bulk'] as const) {
      const home = mkdtempSync(join(tmpdir(), `puddle-bench-salesforce-${path}-`));
      const rt = await createLocalRuntime({ home });
      try {
        const inst = salesforceConnector({
          auth: 'access_token', instanceUrl: sandbox.url, loginUrl: sandbox.url, apiVersion: '60.0', accessToken: sandbox.accessToken,
          clientId: null, clientSecret: null, refreshToken: null, username: null, privateKey: null,
          startDate: new Date(Date.now() - 15 * 86_400_000), requestsPerSecond: BUDGET, concurrency: 2, lookbackMs: 600_000, namespace: 'npsp',
          currency: 'GBP', paymentRefFields: DEFAULT_PAYMENT_REF_FIELDS, donationIdField: null, giftAidField: null, maxApiShare: 1,
          bulkThreshold: path === 'bulk' ? 1 : Number.MAX_SAFE_INTEGER, pageSize: 2000,
        });
        const started = performance.now();
        const results = await syncConnector(inst, rt, { streams: ['backfill', 'gifts'] });
        const secs = (performance.now() - started) / 1000;
        const requests = results.reduce((s, r) => s + r.requests, 0);
        const retries = results.reduce((s, r) => s + r.retries, 0);
        const records = results.reduce((s, r) => s + r.records, 0);
        const floor = (requests - retries) / BUDGET;
        console.log(`${path}: backfill of ${ROWS} Opportunities at ${BUDGET} req/s: ${records} records, ${requests} requests, ${secs.toFixed(1)} s (${results.map((r) => r.outcome).join(', ')})`);
        console.log(`  floor (${requests - retries} requests needed / ${BUDGET}): ${floor.toFixed(1)} s   ratio ${(secs / floor).toFixed(3)} (goal <= 1.10)`);
      } finally {
        await rt.close();
        rmSync(home, { recursive: true, force: true });
      }
    }
  } finally {
    await sandbox.close();
  }
}
