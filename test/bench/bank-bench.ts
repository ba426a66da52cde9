// Bank statement import: a camt.053 of 100,000 entries, read (parse-only figure) and imported through the CLI's
// import path (read, check, envelopes, published to the real SQLite queue). Prints figures; asserts nothing.
// Goal (issue #9): >= 50,000 entries/s imported.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { importBankFile, readBankFile } from '../../connectors/bank/import-file.js';
import { statementEnvelopes } from '../../connectors/bank/to-envelopes.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';

const ENTRIES = 100_000;
const BIN = fileURLToPath(new URL('../../bin/puddle.mjs', import.meta.url));

/** A day of a busy account: payouts, card settlements, fees, gifts by transfer, some with a batch. */
export function benchStatement(entries = ENTRIES): string {
  const list: CamtEntryInput[] = [];
  for (let i = 0; i < entries; i++) {
    const credit = i % 7 !== 0;
    list.push({
      amount_minor: (credit ? 1 : -1) * (100 + ((i * 7919) % 250_000)),
      booking_date: '2026-12-01',
      entry_reference: `2026120100${String(i).padStart(8, '0')}`,
      end_to_end_id: i % 3 === 0 ? `E2E-${i}` : null,
      remittance: credit ? `STRIPE PAYOUT PO${i}` : `DIRECT DEBIT ${i}`,
      description: credit ? 'STRIPE PAYMENTS UK LTD' : 'SUPPLIER',
      counterparty: credit ? 'Stripe Payments UK Ltd' : 'Acme Supplies Ltd',
      bank_transaction_code: credit ? 'PMNT/RCDT/DMCT' : 'PMNT/IDDT/ESDD',
      details: i % 1000 === 0 ? [{ amount_minor: 60, end_to_end_id: 'a' }, { amount_minor: 40 + ((i * 7919) % 250_000), end_to_end_id: 'b' }].map((d) => ({ ...d, amount_minor: credit ? d.amount_minor : -d.amount_minor })) : undefined,
    });
  }
  return writeCamt({
    version: 8,
    message_id: 'BENCH-1',
    created_at: '2026-12-01T23:00:00Z',
    statements: [{ id: 'BENCH-STMT-1', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-12-01T23:00:00Z', opening_balance_minor: 5_000_000, summary: true, entries: list }],
  });
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-GB');

export async function benchBank(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-bank-bench-'));
  try {
    const xml = benchStatement();
    const file = join(dir, 'statement.xml');
    writeFileSync(file, xml);
    console.log(`camt.053 001.08, ${ENTRIES.toLocaleString('en-GB')} entries, ${(xml.length / 1e6).toFixed(1)} MB`);
    const bytes = Buffer.from(xml);

    const parses: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      readBankFile(bytes, {});
      parses.push(performance.now() - t);
    }
    const parse = parses.sort((a, b) => a - b)[1]!;
    console.log(`parse only (readCamt, median of 3): ${parse.toFixed(0)} ms = ${rate(ENTRIES, parse)} entries/s`);

    const imports: number[] = [];
    for (let r = 0; r < 3; r++) {
      const rt = await createLocalRuntime({ home: join(dir, `home-${r}`) });
      try {
        const t = performance.now();
        const outcome = await importBankFile(rt.queue, { name: 'statement.xml', bytes });
        imports.push(performance.now() - t);
        if (outcome.status !== 'imported' || outcome.lines !== ENTRIES) throw new Error(`bench import: ${outcome.status}, ${outcome.lines} lines`);
      } finally {
        await rt.close();
      }
    }
    const imported = imports.sort((a, b) => a - b)[1]!;
    console.log(`import (read, check, envelopes, published to the SQLite queue; median of 3): ${imported.toFixed(0)} ms = ${rate(ENTRIES, imported)} entries/s (goal 50,000)`);

    // Where the time goes: the queue alone, publishing the same envelopes (already made) in the same chunks.
    const { result } = readBankFile(bytes, {});
    const envelopes = statementEnvelopes(result.statements[0]!, 0, { name: 'statement.xml', sha256: 'bench', received_at: new Date().toISOString(), delivery_id: 'bench' });
    const rt = await createLocalRuntime({ home: join(dir, 'queue-only') });
    try {
      const t0 = performance.now();
      for (let i = 0; i < envelopes.length; i += 5000) await rt.queue.publish(envelopes.slice(i, i + 5000));
      const q = performance.now() - t0;
      const bytesPerEnvelope = Math.round(JSON.stringify(envelopes[1]).length);
      console.log(`of which the queue alone (publish of the ${envelopes.length.toLocaleString('en-GB')} envelopes, ~${bytesPerEnvelope} bytes each): ${q.toFixed(0)} ms = ${rate(envelopes.length, q)} envelopes/s`);
    } finally {
      await rt.close();
    }

    // The same through `puddle import bank` as a process: adds Node start-up and loading the code.
    const t = performance.now();
    await promisify(execFile)(process.execPath, [BIN, 'import', 'bank', file], { env: { ...process.env, PUDDLE_HOME: join(dir, 'cli'), PUDDLE_LOG_LEVEL: 'error' }, maxBuffer: 1 << 20 });
    const cli = performance.now() - t;
    console.log(`puddle import bank (whole process): ${cli.toFixed(0)} ms = ${rate(ENTRIES, cli)} entries/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
