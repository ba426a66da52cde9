import { readFileSync } from 'node:fs';
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { AthenaQueryEngine } from '../../infra/aws/athena-query-engine.js';
import { BANK_INBOX, createdObjects, isInboxFile, makeBankImportHandler } from '../../infra/aws/handlers/bank-import.js';
import type { AwsRuntime } from '../../infra/aws/runtime.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { landQueued, startShapeWithEmbeddedCatalog, type TestShape } from '../support/aws-shape.js';
import { s3PutEvent } from '../support/lambda-events.js';

// The function asks the lake what it holds of a file before publishing (importBankFile's `lake`): Glue and Athena
// have no emulator, so the embedded catalog and DuckDB stand in for them, over the lake in fauxqs's S3; what the
// function publishes is landed through the consumer handler, as the stack's queue would deliver it.
let shape: TestShape;
let rt: AwsRuntime;
let bucket: S3ObjectStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ shape, rt, stop } = await startShapeWithEmbeddedCatalog());
  bucket = new S3ObjectStore({ client: shape.clients.s3, bucket: rt.env.bucket });
});

afterAll(() => stop());

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bank/${name}`, import.meta.url));
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

/** Put a file in the inbox and hand the function its event, with these PUDDLE_BANK_* settings for the call. */
async function drop(name: string, bytes: Buffer, settings: Record<string, string> = {}, runtime: AwsRuntime = rt) {
  await bucket.put(`${BANK_INBOX}${name}`, bytes);
  for (const [k, v] of Object.entries(settings)) vi.stubEnv(k, v);
  try {
    return await makeBankImportHandler(async () => runtime)(s3PutEvent(rt.env.bucket, [{ key: `${BANK_INBOX}${name}`, size: bytes.length }]));
  } finally {
    for (const k of Object.keys(settings)) vi.stubEnv(k, '');
  }
}

const q = (sql: string) => rt.query.query(sql);

describe('bank import handler (S3 ObjectCreated under inbox/bank/)', () => {
  it('imports a statement put in the inbox, moves it to done/ with a log, and skips a second delivery of the event', async () => {
    const name = 'march statement.xml'; // a space: S3 sends it as `+`
    const bytes = fixture('camt053_v02_4entries_batch.xml');
    await bucket.put(`${BANK_INBOX}${name}`, bytes);
    const handler = makeBankImportHandler(async () => rt);
    const event = s3PutEvent(rt.env.bucket, [{ key: `${BANK_INBOX}${name}`, size: bytes.length }]);
    expect(event.Records[0]!.s3.object.key).toBe('inbox/bank/march+statement.xml');

    expect(await handler(event)).toEqual({ imported: [name], refused: [] });
    const published = await rt.queue.claim('transactions', { max: 100, visibilityMs: 60_000 });
    expect(published.filter((m) => m.envelope.contract === 'bank_line')).toHaveLength(4);
    expect(await bucket.get(`${BANK_INBOX}${name}`)).toBeNull();
    expect(Buffer.from((await bucket.get(`${BANK_INBOX}done/${name}`))!)).toEqual(bytes);
    expect(text(await bucket.get(`${BANK_INBOX}done/${name}.log`))).toMatch(/ imported\n/);

    expect(await handler(event)).toEqual({ imported: [], refused: [] });
  });

  it('says a BAI2 file without ledger balances was imported but not verified, in its .log and its log line', async () => {
    // The spec example has an opening (010) but no closing (015) ledger balance: imported (no break), and said to be
    // unchecked, as the embedded drop folder says it (infra/local/bank-inbox.ts). Its last group is a correction
    // (status 3), which without both ledger balances replaces nothing: said too, and counted (exit 1 on the CLI).
    const name = 'spec.bai2';
    const bytes = fixture('bai2_spec_example_usd.txt');
    await bucket.put(`${BANK_INBOX}${name}`, bytes);
    const lines: string[] = [];
    // Its currency is not in the file: the function's setting gives it, as the drop folder's does.
    vi.stubEnv('PUDDLE_BANK_CURRENCY', 'USD');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    let res;
    try {
      res = await makeBankImportHandler(async () => rt)(s3PutEvent(rt.env.bucket, [{ key: `${BANK_INBOX}${name}`, size: bytes.length }]));
    } finally {
      stderr.mockRestore();
      vi.stubEnv('PUDDLE_BANK_CURRENCY', '');
    }
    expect(res).toEqual({ imported: [name], refused: [] });
    const said = text(await bucket.get(`${BANK_INBOX}done/${name}.log`))!;
    expect(said).toContain(`${name}: imported, but not verified`);
    expect(said).toContain('no closing (015) ledger balance');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'bank file imported');
    // One statement per account in the file, five, none with a closing ledger balance.
    expect(logged).toMatchObject({ file: name, status: 'imported', unverified_statements: 0, unchecked_statements: 5, corrections_beside: 1 });
    expect(said).toContain(`${name}: imported, but a correction that replaces nothing`);
    expect(said.match(/: balances: no closing \(015\) ledger balance/g)).toHaveLength(5);
    await rt.queue.claim('transactions', { max: 100, visibilityMs: 60_000 });
  });

  it('imports a camt.053 without booked balances of an account listed in PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES as unchecked, as the CLI does', async () => {
    const bare = fixture('camt053_v02_4entries_batch.xml').toString('utf8').replace('<Cd>PRCD</Cd>', '<Cd>CLAV</Cd>').replace('<Cd>CLBD</Cd>', '<Prtry>BANK-CLOSE</Prtry>');
    const run = async (name: string) => {
      await bucket.put(`${BANK_INBOX}${name}`, Buffer.from(bare));
      expect(await makeBankImportHandler(async () => rt)(s3PutEvent(rt.env.bucket, [{ key: `${BANK_INBOX}${name}`, size: bare.length }]))).toEqual({ imported: [name], refused: [] });
      return text(await bucket.get(`${BANK_INBOX}done/${name}.log`))!;
    };
    // Not listed: unverified, a break until the bank sends its balances (the CLI's exit 1).
    expect(await run('unlisted.xml')).toContain('a STATEMENT_UNVERIFIABLE break until the bank');
    // Listed in the function's environment, where Athena's recon_breaks reads the same setting: no break, said unchecked.
    vi.stubEnv('PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES', 'DE14 7406 1813 0000 0336 26');
    let said: string;
    try {
      said = await run('listed.xml');
    } finally {
      // Only its own: the shape's variables (the totals table the consumer reads) are stubbed too.
      vi.stubEnv('PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES', '');
    }
    expect(said).toContain("listed.xml: imported, but not verified: it lacks the balances to check it against (its account's bank sends none, PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES");
    expect(said).not.toContain('STATEMENT_UNVERIFIABLE');
    await rt.queue.claim('transactions', { max: 100, visibilityMs: 60_000 });
  });

  it('refuses a CSV export saved again (CRLF, a byte order mark) in another currency once the first landed: failed/, saying why, nothing published', async () => {
    // Until 2026-12-05 this function did not read the lake: the re-saved export (another statement id, the same rows)
    // imported with PUDDLE_BANK_CURRENCY=EUR landed its four lines again in EUR beside the GBP ones.
    const csv = fixture('barclays_made_export.csv');
    expect(await drop('export.csv', csv, { PUDDLE_BANK_LAYOUT: 'barclays', PUDDLE_BANK_CURRENCY: 'GBP' })).toEqual({ imported: ['export.csv'], refused: [] });
    expect((await landQueued(shape, rt)).messages.length).toBeGreaterThan(0);
    const lines = "SELECT currency, count(*) AS n FROM bank_line WHERE source_format = 'csv' GROUP BY currency";
    expect(await q(lines)).toEqual([{ currency: 'GBP', n: 4 }]);

    const name = 'export (2).csv';
    const resaved = Buffer.from(`\uFEFF${csv.toString('utf8').replaceAll('\n', '\r\n')}`, 'utf8');
    expect(await drop(name, resaved, { PUDDLE_BANK_LAYOUT: 'barclays', PUDDLE_BANK_CURRENCY: 'EUR' })).toEqual({ imported: [], refused: [name] });
    expect(await bucket.get(`${BANK_INBOX}${name}`)).toBeNull();
    expect(Buffer.from((await bucket.get(`${BANK_INBOX}failed/${name}`))!)).toEqual(resaved);
    const said = text(await bucket.get(`${BANK_INBOX}failed/${name}.log`))!;
    expect(said).toMatch(/ refused\n/);
    expect(said).toMatch(/4 of its 4 lines \(the account ending 2170\) were imported on \S+Z as GBP, from another file .* and are read now as EUR: /);
    // The option named as this function takes it.
    expect(said).toContain('If GBP is right, import it with PUDDLE_BANK_CURRENCY GBP');
    // Nothing published: nothing waits on the queue, and the lake holds the GBP lines once.
    expect((await landQueued(shape, rt)).messages).toEqual([]);
    expect(await q(lines)).toEqual([{ currency: 'GBP', n: 4 }]);
    expect(await q("SELECT count(*) AS n FROM bank_statement_history WHERE source_format = 'csv'")).toEqual([{ n: 1 }]);
  });

  it('refuses an export that did not add up, saved again and read in another currency: failed/, saying why, nothing published', async () => {
    // Its first import landed no line, only its statement marked unbalanced: until 2026-12-05 the re-saved export
    // with PUDDLE_BANK_CURRENCY=EUR went in as a second STATEMENT_UNBALANCED statement, in EUR.
    const csv = fixture('lloyds_online_export.csv');
    expect(await drop('lloyds.csv', csv, { PUDDLE_BANK_LAYOUT: 'lloyds' })).toEqual({ imported: [], refused: ['lloyds.csv'] });
    expect((await landQueued(shape, rt)).messages.length).toBeGreaterThan(0);
    const statements = "SELECT currency, balanced FROM bank_statement_history WHERE account = '99-88-74 1515152252'";
    expect(await q(statements)).toEqual([{ currency: 'GBP', balanced: false }]);

    const name = 'lloyds (2).csv';
    const resaved = Buffer.from(`\uFEFF${csv.toString('utf8').replaceAll('\n', '\r\n')}`, 'utf8');
    expect(await drop(name, resaved, { PUDDLE_BANK_LAYOUT: 'lloyds', PUDDLE_BANK_CURRENCY: 'EUR' })).toEqual({ imported: [], refused: [name] });
    const said = text(await bucket.get(`${BANK_INBOX}failed/${name}.log`))!;
    expect(said).toMatch(/ refused\n/);
    expect(said).toMatch(/the account ending 2252 was imported on \S+Z as GBP from another file .* read now as EUR: it did not add up then/);
    expect(said).toContain('import that with PUDDLE_BANK_CURRENCY EUR');
    expect((await landQueued(shape, rt)).messages).toEqual([]);
    expect(await q(statements)).toEqual([{ currency: 'GBP', balanced: false }]);
  });

  it('says a statement conflicting with one another file landed, in the .log of the file it imports', async () => {
    const payout: CamtEntryInput = { amount_minor: 4_950, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT PO_NOV20' };
    const nov20 = (entries: CamtEntryInput[]) =>
      Buffer.from(
        writeCamt({
          message_id: 'M-1',
          created_at: '2026-11-20T22:00:00Z',
          statements: [{ id: 'GBP-2026-11-20', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-11-20T22:00:00Z', opening_balance_minor: 10_000, entries }],
        }),
      );
    expect(await drop('nov20.xml', nov20([payout, { amount_minor: 700, booking_date: '2026-11-20', remittance: 'STRIPE PAYMENTS' }]))).toEqual({ imported: ['nov20.xml'], refused: [] });
    await landQueued(shape, rt);
    expect(await drop('nov20-edited.xml', nov20([payout]))).toEqual({ imported: ['nov20-edited.xml'], refused: [] });
    const said = text(await bucket.get(`${BANK_INBOX}done/nov20-edited.xml.log`))!;
    // The creation time with its zone, as the lake's answer gives it.
    expect(said).toMatch(/statement GBP-2026-11-20 created at 2026-11-20T22:00:00Z conflicts with nov20\.xml imported on \S+Z, another file with the same statement id and creation time/);
    await landQueued(shape, rt);
  });

  it('publishes nothing and leaves the file in the inbox when Athena cannot be read, so that Lambda tries the event again', async () => {
    // The deployed engine over Athena's API (no emulator: its client mocked), failing as it does without the rights.
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'FAILED', StateChangeReason: 'Permission denied on S3 path: s3://lake/lake/transactions', AthenaError: { ErrorCategory: 2 } } },
    });
    const blind: AwsRuntime = { ...rt, query: new AthenaQueryEngine({ client: new AthenaClient({ region: 'us-east-1' }), sleep: async () => undefined }) };
    const name = 'blind.csv';
    const csv = fixture('hsbc_made_export.csv');
    const settings = { PUDDLE_BANK_LAYOUT: 'hsbc', PUDDLE_BANK_ACCOUNT: 'HSBC 40-11-22 12345678' };
    try {
      await expect(drop(name, csv, settings, blind)).rejects.toThrow(/^cannot read bank_statement to look for this file imported before: Athena query q-1 failed: Permission denied/);
    } finally {
      athena.restore();
    }
    expect(Buffer.from((await bucket.get(`${BANK_INBOX}${name}`))!)).toEqual(csv);
    for (const folder of ['done/', 'failed/']) expect(await bucket.get(`${BANK_INBOX}${folder}${name}.log`), folder).toBeNull();
    expect((await landQueued(shape, rt)).messages).toEqual([]);
    // Once the lake can be read, the event delivered again imports it.
    expect(await drop(name, csv, settings)).toEqual({ imported: [name], refused: [] });
    await landQueued(shape, rt);
  });

  it('moves a file that is not a statement to failed/, with the reason in its log', async () => {
    await bucket.put(`${BANK_INBOX}notes.csv`, 'hello,world\n1,2\n');
    const res = await makeBankImportHandler(async () => rt)(s3PutEvent(rt.env.bucket, [{ key: `${BANK_INBOX}notes.csv`, size: 16 }]));
    expect(res).toEqual({ imported: [], refused: ['notes.csv'] });
    expect(text(await bucket.get(`${BANK_INBOX}failed/notes.csv`))).toBe('hello,world\n1,2\n');
    expect(text(await bucket.get(`${BANK_INBOX}failed/notes.csv.log`))).toMatch(/ malformed\n/);
  });

  it('reads EventBridge "Object Created" events too, and only files directly in the inbox', () => {
    const ev = {
      version: '0',
      id: 'e1',
      'detail-type': 'Object Created' as const,
      source: 'aws.s3',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: { bucket: { name: 'lake' }, object: { key: 'inbox/bank/a b.xml' } },
    };
    expect(createdObjects(ev)).toEqual([{ bucket: 'lake', key: 'inbox/bank/a b.xml' }]);
    expect(['inbox/bank/a.xml', 'inbox/bank/done/a.xml', 'inbox/bank/.a.xml', 'inbox/bank/a.xml.part', 'inbox/bank/a.xml.log', 'lake/x'].map(isInboxFile)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
