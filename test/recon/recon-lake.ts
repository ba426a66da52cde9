// The set-up the reconciliation tests share: a fresh lake with every puddle subscribed, the given envelopes
// published and bank files imported through the real importer, the named puddles drained to Parquet, and the
// recon parameters set, so each test starts from the lake DuckDB reads.
import { expect } from 'vitest';

import { importBankFile, type ImportOptions } from '../../connectors/bank/import-file.js';
import type { Envelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

/** A bank file to import: its bytes alone (named stmt-<i>.xml by its place in the list), or with a name and options. */
export type BankFile = Buffer | string | { name: string; bytes: Buffer | string; opts?: ImportOptions };

export interface ReconLanding {
  envelopes?: Envelope[];
  /** Imported in order; each must import (status 'imported'). */
  bankFiles?: BankFile[];
  /** The puddles to drain once everything is on the queue. */
  puddles?: string[];
  /** The recon as-of date (YYYY-MM-DD). */
  asOf: string;
}

export async function landReconLake(landing: ReconLanding): Promise<Lake> {
  const lake = await createLake();
  try {
    await lake.subscribeAll();
    if (landing.envelopes?.length) await lake.queue.publish(landing.envelopes);
    for (const [i, f] of (landing.bankFiles ?? []).entries()) {
      const file = typeof f === 'string' || Buffer.isBuffer(f) ? { name: `stmt-${i}.xml`, bytes: f } : f;
      expect(await importBankFile(lake.queue, { name: file.name, bytes: file.bytes }, 'opts' in file ? file.opts : {})).toMatchObject({ status: 'imported' });
    }
    for (const p of landing.puddles ?? ['transactions', 'quarantine']) await lake.consumer(p).drain();
    await setReconParams(lake.engine, { as_of: landing.asOf });
    return lake;
  } catch (err) {
    await lake.close();
    throw err;
  }
}
