// `npm run bench [-- name...]`: runs the benchmarks one after another and prints their figures.
// Every bench talks only to 127.0.0.1, is bounded in time and cleans up its temp folders.
import { cpus, loadavg } from 'node:os';

import { benchBank } from './bank-bench.js';
import { benchBraintree } from './braintree-bench.js';
import { benchFreshdesk } from './freshdesk-bench.js';
import { benchFreshness, printFreshness } from './freshness-bench.js';
import { benchHub } from './hub-bench.js';
import { benchIngest } from './ingest-bench.js';
import { benchLanding } from './landing-bench.js';
import { benchQueue } from './queue-bench.js';
import { benchRecon } from './recon-bench.js';
import { benchSalesforce } from './salesforce-bench.js';
import { benchTotals } from './totals-bench.js';
import { benchStartup } from './startup-bench.js';
import { benchStripe } from './stripe-bench.js';

const BENCHES: Record<string, () => Promise<unknown>> = {
  queue: () => benchQueue(),
  ingest: () => benchIngest({ seconds: 5 }),
  hub: () => benchHub(),
  startup: () => benchStartup(),
  landing: () => benchLanding(),
  freshness: async () => printFreshness(await benchFreshness()),
  stripe: () => benchStripe(),
  braintree: () => benchBraintree(),
  salesforce: () => benchSalesforce(),
  freshdesk: () => benchFreshdesk(),
  recon: () => benchRecon(),
  bank: () => benchBank(),
  totals: () => benchTotals(),
};

/** A fixed piece of work, timed: the median of five rounds of parsing and serialising the same record. */
function cpuCheck(): number {
  const record = JSON.stringify({
    id: 'ch_3ab8JYkPo2VBUHrCH1wbEtOca', object: 'charge', amount: 500, currency: 'gbp', created: 1795925729, captured: true, paid: true,
    metadata: { donation_id: 'don_F2PZxWkGtwAfN4', channel: 'online' },
    balance_transaction: { id: 'txn_1', amount: 500, fee: 27, net: 473, status: 'pending', fee_details: [{ amount: 27, type: 'stripe_fee' }] },
    payment_method_details: { card: { brand: 'mastercard', country: 'GB', exp_month: 11, exp_year: 2030, funding: 'debit', last4: '4444' }, type: 'card' },
    outcome: { network_status: 'approved_by_network', risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' },
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null },
    description: 'Donation '.repeat(100),
  });
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < 5000; i++) JSON.stringify(JSON.parse(record));
    rounds.push(((performance.now() - t) * 1000) / 5000);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

export async function main(argv: readonly string[]): Promise<number> {
  const names = argv.length ? [...argv] : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    console.error(`unknown bench: ${unknown.join(', ')} (one of ${Object.keys(BENCHES).join(', ')})`);
    return 2;
  }
  // Figures mean little without the machine: other work on a shared 2-core box moves them a lot, and the
  // host's own speed drifts by a third from one period to the next; the CPU check shows which period this is.
  console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load ${load()}`);
  console.log(`cpu check: ${cpuCheck().toFixed(1)} µs per JSON round trip of a 1.7 kB record (about 7.5 when the host is quick; the figures below move with it)`);
  for (const name of names) {
    const started = performance.now();
    console.log(`\n== ${name}`);
    await BENCHES[name]!();
    console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s, load after ${load()})`);
  }
  return 0;
}
