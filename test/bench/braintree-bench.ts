// Braintree connector benchmark (issue #4): a backfill of 20,000 transactions from the sandbox under a
// request budget; elapsed next to the floor the budget sets (requests needed / budget) and the ratio
// (goal <= 1.10). Requests needed: per day window, one ids search and one call per 50 ids.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncConnector } from '../../core/engine/sync.js';
import { braintreeConnector } from '../../connectors/braintree/connector.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { sandboxProcess } from './sandbox-process.js';

const TRANSACTIONS = 20_000;
const BUDGET = 20;

export async function benchBraintree(): Promise<void> {
  const sandbox = await sandboxProcess<{ merchantId: string; publicKey: string; privateKey: string }>('braintree', TRANSACTIONS, 0);
  const home = mkdtempSync(join(tmpdir(), 'puddle-bench-braintree-'));
  const rt = await createLocalRuntime({ home });
  try {
    const inst = braintreeConnector({
      merchantId: sandbox.merchantId, publicKey: sandbox.publicKey, privateKey: sandbox.privateKey, environment: 'sandbox',
      apiBase: sandbox.url, startDate: new Date(Date.now() - 15 * 86_400_000), requestsPerSecond: BUDGET, concurrency: 2,
      donationIdField: null, accountCurrencies: {}, defaultCurrency: 'GBP',
    });
    const started = performance.now();
    const [r] = await syncConnector(inst, rt, { streams: ['transactions'] });
    const secs = (performance.now() - started) / 1000;
    const needed = r!.requests - r!.retries;
    const floor = needed / BUDGET;
    console.log(`backfill of ${sandbox.records} transactions at ${BUDGET} req/s: ${r!.records} records, ${r!.requests} requests, ${secs.toFixed(1)} s (${r!.outcome})`);
    console.log(`  floor (${needed} requests needed / ${BUDGET}): ${floor.toFixed(1)} s   ratio ${(secs / floor).toFixed(3)} (goal <= 1.10)   429s: ${r!.rateLimited}`);
  } finally {
    await rt.close();
    await sandbox.close();
    rmSync(home, { recursive: true, force: true });
  }
}
