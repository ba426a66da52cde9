// Stripe connector benchmarks (issue #3):
//  backfill: 50,000 charges from the sandbox under Stripe's test-mode limit of 25 req/s; elapsed next
//            to the floor the limit sets (pages needed / 25) and the ratio (goal <= 1.10), and the 429s.
//  engine overhead: the same backfill unthrottled: records/s mapped, validated and published (goal >= 20,000/s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncConnector } from '../../core/engine/sync.js';
import { stripeConnector } from '../../connectors/stripe/connector.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { sandboxProcess } from './sandbox-process.js';

const CHARGES = 50_000;

async function backfill(rps: number) {
  const sandbox = await sandboxProcess<{ apiKey: string }>('stripe', CHARGES, rps);
  const home = mkdtempSync(join(tmpdir(), 'puddle-bench-stripe-'));
  const rt = await createLocalRuntime({ home });
  try {
    const inst = stripeConnector({
      apiKey: sandbox.apiKey, apiBase: sandbox.url, webhookSecret: '', startDate: new Date(Date.now() - 15 * 86_400_000),
      requestsPerSecond: rps, concurrency: 4, donationIdKey: 'donation_id',
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    const [r] = await syncConnector(inst, rt, { streams: ['charges'] });
    const secs = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSecs = (used.user + used.system) / 1e6;
    return { secs, cpuSecs, r: r!, charges: sandbox.records };
  } finally {
    await rt.close();
    await sandbox.close();
    rmSync(home, { recursive: true, force: true });
  }
}

export async function benchStripe(): Promise<void> {
  const limited = await backfill(25);
  const floor = Math.ceil(limited.charges / 100) / 25;
  console.log(`backfill of ${limited.charges} charges at 25 req/s: ${limited.r.records} records, ${limited.r.requests} requests, ${limited.secs.toFixed(1)} s`);
  console.log(`  floor (pages needed / 25): ${floor.toFixed(1)} s   ratio ${(limited.secs / floor).toFixed(3)} (goal <= 1.10)   429s: ${limited.r.rateLimited}`);
  const free = await backfill(0);
  console.log(`engine overhead, unthrottled (sandbox in its own process): ${free.r.records} records in ${free.secs.toFixed(2)} s = ${Math.round(free.r.records / free.secs)} records/s wall (goal >= 20,000/s)`);
  // Stripe pages by cursor (each page starts after the previous page's last id), so wall time also holds
  // the provider's time per page; the engine's own cost is the CPU this process spent on the records.
  console.log(`  engine CPU: ${free.cpuSecs.toFixed(2)} s = ${Math.round(free.r.records / free.cpuSecs)} records per CPU-second (${((free.cpuSecs / free.r.records) * 1e6).toFixed(0)} µs a record), the rest waiting on the provider`);
}
