import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { BANK_INBOX, createdObjects, isInboxFile, makeBankImportHandler } from '../../infra/aws/handlers/bank-import.js';
import { createAwsRuntime, type AwsRuntime } from '../../infra/aws/runtime.js';
import { S3ObjectStore } from '../../infra/aws/s3-object-store.js';
import { startTestShape, type TestShape } from '../support/aws-shape.js';
import { s3PutEvent } from '../support/lambda-events.js';

let shape: TestShape;
let rt: AwsRuntime;
let bucket: S3ObjectStore;

beforeAll(async () => {
  shape = await startTestShape();
  rt = await createAwsRuntime();
  bucket = new S3ObjectStore({ client: shape.clients.s3, bucket: rt.env.bucket });
});

afterAll(async () => {
  await rt.close();
  await shape.stop();
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bank/${name}`, import.meta.url));
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

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
      vi.unstubAllEnvs();
    }
    expect(said).toContain("listed.xml: imported, but not verified: it lacks the balances to check it against (its account's bank sends none, PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES");
    expect(said).not.toContain('STATEMENT_UNVERIFIABLE');
    await rt.queue.claim('transactions', { max: 100, visibilityMs: 60_000 });
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
