// `puddle catalog rebuild`'s re-derivation on a generated raw trail (docs/query-views.md, "A missing or damaged lake file"):
// the one read of raw that serves every contract (rederiveFromRaw), against a replay per contract as the rebuild
// did until 2026-12-02. Run: npx tsx test/bench/rebuild-bench.ts [events] (default 200,000).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { findRawFiles, rederiveFromRaw } from '../../puddles/catalog-rebuild.js';
import { writeRowFiles } from '../../puddles/land.js';
import { rawRow } from '../../puddles/landing-rows.js';
import { replay, replayableContracts } from '../../puddles/replay.js';
import { benchDonations } from './donation-envelopes.js';

const n = Number(process.argv[2] ?? 200_000);
const dir = await mkdtemp(path.join(tmpdir(), 'puddle-rebuild-bench-'));
try {
  const store = new FsObjectStore(dir, { fsync: false });
  // Donations with a payment each in every tenth, and a click in every fifth; 1 in 1,000 fails its contract.
  const envelopes: Envelope[] = [];
  for (const [i, d] of benchDonations(Math.round(n / 1.3)).entries()) {
    envelopes.push(d);
    const p = d.payload as { donation_id: string; occurred_at: string; amount_minor: number };
    const base = { source: 'stripe', stream: 'charges', delivery_id: d.delivery_id, received_at: d.received_at };
    if (i % 10 < 3) envelopes.push(makeEnvelope({ ...base, contract: 'payment', version: 1, payload: { payment_id: `ch_${i}`, occurred_at: p.occurred_at, provider: 'stripe', status: 'succeeded', amount_minor: p.amount_minor, currency: i % 1000 === 0 ? 'POUNDS' : 'GBP' } }));
  }
  const raws = envelopes.map((e) => rawRow(e, JSON.stringify(e)));
  // Landed 5,000 to a batch, as the hub's raw puddle writes them.
  for (let i = 0; i < raws.length; i += 5_000) await writeRowFiles(store, raws.slice(i, i + 5_000), 'b');
  const raw = await findRawFiles(store);
  console.log(`raw trail: ${raw.files.reduce((s, f) => s + f.rows, 0)} envelopes in ${raw.files.length} files`);

  const timed = async (name: string, work: (catalog: SqliteCatalog) => Promise<unknown>) => {
    const catalog = new SqliteCatalog(path.join(dir, `${name}.db`), { rebuilding: true });
    await catalog.addFiles(raw.files);
    const started = performance.now();
    await work(catalog);
    const ms = performance.now() - started;
    catalog.close();
    console.log(`${name}: ${(ms / 1000).toFixed(1)} s`);
  };
  await timed('one-pass', (catalog) => rederiveFromRaw(store, catalog, raw.files));
  await timed('per-contract', async (catalog) => {
    for (const contract of replayableContracts()) await replay({ store, catalog, contract });
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
