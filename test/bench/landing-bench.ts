// Landing throughput: rows/s from the queue to Parquet in the lake (PuddleConsumer.drain: claim, validate,
// write, register, ack) next to DuckDB's own appender + COPY of the same rows, and their ratio (goal >= 0.5).
// Prints figures; asserts nothing. Run alone: `node --import tsx test/bench/landing-bench.ts [rows]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { benchDonations } from './donation-envelopes.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { SqliteQueue } from '../../infra/local/sqlite-queue.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { columnsFor, contractRow } from '../../puddles/landing-rows.js';
import { writeParquet, writeParquetWithAppender } from '../../puddles/parquet-writer.js';



export async function benchLanding(opts: { rows?: number; batchSize?: number } = {}): Promise<void> {
  const n = opts.rows ?? 100_000;
  const batchSize = opts.batchSize ?? 5_000;
  const dir = mkdtempSync(join(tmpdir(), 'puddle-landing-bench-'));
  try {
    const envs = benchDonations(n);
    const queue = new SqliteQueue(join(dir, 'queue.db'));
    const store = new FsObjectStore(join(dir, 'lake-root'));
    const catalog = new SqliteCatalog(join(dir, 'catalog.db'));
    const puddle = PUDDLES.find((p) => p.name === 'transactions')!;
    await queue.subscribe(puddle);
    for (let i = 0; i < n; i += 10_000) await queue.publish(envs.slice(i, i + 10_000));

    const consumer = new PuddleConsumer({ puddle, queue, store, catalog, batchSize });
    let t = performance.now();
    const landed = await consumer.drain();
    const consumerSecs = (performance.now() - t) / 1000;
    const files = await catalog.listFiles({ contract: 'donation' });
    await queue.close();
    catalog.close();

    // The queue alone (claim + ack, nothing landed): the ceiling any consumer on this queue can reach.
    const bare = new SqliteQueue(join(dir, 'queue-bare.db'));
    await bare.subscribe(puddle);
    for (let i = 0; i < n; i += 10_000) await bare.publish(envs.slice(i, i + 10_000));
    t = performance.now();
    for (let got = await bare.claim(puddle.name, { max: batchSize, visibilityMs: 60_000 }); got.length; got = await bare.claim(puddle.name, { max: batchSize, visibilityMs: 60_000 })) {
      await bare.ack(puddle.name, got.map((m) => m.receipt));
    }
    const queueSecs = (performance.now() - t) / 1000;
    await bare.close();

    // DuckDB alone on the same rows: appender into a temp table, COPY to zstd Parquet. Rows are built
    // beforehand so this measures only what DuckDB does.
    const rows = envs.map((e) => {
      const r = contractRow(e, 'transactions');
      if (!r.ok) throw new Error('bench rows must be valid');
      return r.row.row;
    });
    const columns = columnsFor({ puddle: 'transactions', contract: 'donation', version: 1 });
    t = performance.now();
    let bytes = 0;
    for (let i = 0; i < rows.length; i += batchSize) bytes += (await writeParquetWithAppender(columns, rows.slice(i, i + batchSize))).byteLength;
    const duckSecs = (performance.now() - t) / 1000;
    t = performance.now();
    const whole = await writeParquetWithAppender(columns, rows);
    const duckWholeSecs = (performance.now() - t) / 1000;
    t = performance.now();
    for (let i = 0; i < rows.length; i += batchSize) await writeParquet(columns, rows.slice(i, i + batchSize));
    const csvSecs = (performance.now() - t) / 1000;

    const consumerRate = landed / consumerSecs;
    const duckRate = n / duckSecs;
    console.log(`landing ${n} donation envelopes, batches of ${batchSize}`);
    console.log(`  queue -> Parquet (PuddleConsumer.drain): ${Math.round(consumerRate).toLocaleString('en')} rows/s (${consumerSecs.toFixed(2)} s, ${files.length} files)`);
    console.log(`  queue alone (claim + ack, no landing):   ${Math.round(n / queueSecs).toLocaleString('en')} rows/s`);
    console.log(`  DuckDB appender + COPY, same batches:    ${Math.round(duckRate).toLocaleString('en')} rows/s (${duckSecs.toFixed(2)} s, ${(bytes / 1e6).toFixed(1)} MB)`);
    console.log(`  DuckDB appender + COPY, one file:        ${Math.round(n / duckWholeSecs).toLocaleString('en')} rows/s (${(whole.byteLength / 1e6).toFixed(1)} MB)`);
    console.log(`  CSV text + DuckDB read_csv/COPY (landing's writer), same batches: ${Math.round(n / csvSecs).toLocaleString('en')} rows/s`);
    console.log(`  ratio consumer / DuckDB (same batches):  ${(consumerRate / duckRate).toFixed(2)} (goal >= 0.5)`);
    console.log(`  ratio consumer / DuckDB (one file):      ${(consumerRate / (n / duckWholeSecs)).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchLanding({ rows: process.argv[2] ? Number(process.argv[2]) : undefined });
}
