// `puddle dead-letters`: what could not land, listed without a payload, and sent back to land exactly once,
// beside a runtime that has queue.db open (as a running hub would).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setLogLevel } from '../core/log.js';
import type { ObjectStore } from '../core/ports.js';
import type { Runtime } from '../core/runtime.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';
import { withConnection } from '../puddles/duckdb.js';
import { sqlString } from '../puddles/sql-text.js';
import { donationEnvelope } from './support/donation-envelope.js';
import { runPuddle } from './support/run-cli.js';

const transactions = PUDDLES.find((p) => p.name === 'transactions')!;

/** The real store, except that the writer refuses every batch for a reason of the batch's own (not the disk). */
function refusingStore(store: ObjectStore): ObjectStore {
  return {
    ...store,
    put: async () => {
      throw new Error('the writer refused this batch');
    },
    putIfAbsent: async () => {
      throw new Error('the writer refused this batch');
    },
    get: (k) => store.get(k),
    list: (p) => store.list(p),
    delete: (k) => store.delete(k),
  };
}

/** The real store, except that writing fails as DuckDB does on a value it cannot convert: quoting the value. */
function quotingStore(store: ObjectStore, value: string): ObjectStore {
  const fail = () => withConnection((conn) => conn.run(`SELECT CAST(${sqlString(value)} AS INTEGER)`)).then(() => Promise.reject(new Error('DuckDB converted it')));
  return { ...refusingStore(store), put: fail, putIfAbsent: fail };
}

describe('puddle dead-letters', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-dead-letters-'));
  const env = { PUDDLE_HOME: home };
  let rt: Runtime;

  beforeAll(async () => {
    rt = await createLocalRuntime({ home });
  });
  afterAll(async () => {
    await rt?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('lists nothing on a queue with no dead letters', async () => {
    const res = await runPuddle(['dead-letters', '--format', 'json'], env);
    expect(res).toMatchObject({ code: 0, stdout: '[]\n' });
    // A sentence, as `puddle quarantine` answers "nothing open in quarantine": until 2026-12-03 `(no rows)`.
    expect(await runPuddle(['dead-letters'], env)).toMatchObject({ code: 0, stdout: 'no dead letters: nothing failed to land\n' });
    // And quarantine's, narrowed, says what it was narrowed to (it said only "nothing open in quarantine").
    expect(await runPuddle(['quarantine', '--contract', 'settlement_summary'], env)).toMatchObject({
      code: 0,
      stdout: 'nothing open in quarantine for --contract settlement_summary (puddle quarantine without it lists all)\n',
    });
  });

  it('dead-letters a batch that fails for its own reason, lists it without payloads, and redrives it to land once', async () => {
    await rt.queue.publish(['donor-jane-a', 'donor-jane-b', 'donor-jane-c'].map((id) => donationEnvelope(id, 1234)));
    const poisoned = new PuddleConsumer({ puddle: transactions, queue: rt.queue, store: refusingStore(rt.store), catalog: rt.catalog, retryDelayMs: 0 });
    // Five attempts (the default maxAttempts), then the dead letters: this failure is the batch's, not the disk's.
    expect(await poisoned.drain()).toBe(15);
    expect(await rt.queue.deadLetters('transactions')).toHaveLength(3);

    const list = await runPuddle(['dead-letters', '--format', 'json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      { puddle: 'transactions', dead_letters: 3, oldest: expect.any(String), newest: expect.any(String), reasons: '3 x Error: message left out (it can quote the record)' },
    ]);
    expect(list.stdout + list.stderr).not.toMatch(/donor-jane|1234/);
    const table = await runPuddle(['dead-letters'], env);
    expect(table.stdout).toMatch(/^transactions +\| 3 +\|/m);
    // What to do next, as `puddle quarantine` names its retry.
    expect(table.stdout).toContain('once the cause is fixed: puddle dead-letters redrive (or --puddle P for one puddle)\n');

    const bad = await runPuddle(['dead-letters', 'redrive', '--puddle', 'nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--puddle must be one of');

    const redrive = await runPuddle(['dead-letters', 'redrive', '--puddle', 'transactions'], env);
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain('transactions: 3 sent back to the queue');
    expect(await rt.queue.deadLetters('transactions')).toEqual([]);
    expect(await rt.queue.depth('transactions')).toBe(3);
    // Moved, not copied: a second redrive finds nothing.
    expect((await runPuddle(['dead-letters', 'redrive'], env)).stdout).toContain('sent back 0 dead letters');

    // Landed once each, with fresh attempts (a first delivery), by a separate process as the hub would.
    const land = await runPuddle(['land'], env);
    expect(land.code).toBe(0);
    expect(land.stdout).toContain('transactions: landed 3\n');
    expect(await rt.queue.depth('transactions')).toBe(0);
    expect(await rt.query.query('SELECT donation_id FROM donation ORDER BY donation_id')).toEqual([
      { donation_id: 'donor-jane-a' },
      { donation_id: 'donor-jane-b' },
      { donation_id: 'donor-jane-c' },
    ]);
    expect((await runPuddle(['dead-letters', '--format', 'json'], env)).stdout).toBe('[]\n');
  });

  it("keeps a value DuckDB's error quoted (a donor's email) out of the dead letter's reason, the listing and the log", async () => {
    const email = 'jane.donor@example.org';
    await rt.queue.publish([donationEnvelope('donor-email-a', 500, { supporter_id: email })]);
    const poisoned = new PuddleConsumer({ puddle: transactions, queue: rt.queue, store: quotingStore(rt.store, email), catalog: rt.catalog, retryDelayMs: 0 });
    let logged = '';
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((logged += String(chunk)), true));
    setLogLevel('debug');
    try {
      expect(await poisoned.drain()).toBe(5);
    } finally {
      stderr.mockRestore();
      setLogLevel('info');
    }
    const reason = 'Conversion Error: message left out (it can quote the record)';
    expect((await rt.queue.deadLetters('transactions')).map((d) => d.reason)).toEqual([reason]);
    // The failure and the dead_letter event were logged, by kind, without the value.
    expect(logged).toMatch(/"msg":"landing failed; batch will be retried".*"error":"Conversion Error: message left out/);
    expect(logged).toMatch(/"event":"dead_letter".*"reason":"Conversion Error: message left out/);
    expect(logged).not.toContain(email);
    const list = await runPuddle(['dead-letters', '--format', 'json'], env);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ puddle: 'transactions', reasons: `1 x ${reason}` })]);
    expect(list.stdout + list.stderr).not.toContain(email);
  });
});
