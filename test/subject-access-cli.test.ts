// `puddle subject-access` as a DPO meets it: one person's rows, every version, raw and the quarantine included, found
// as `puddle erase` finds them, written to a file only they can read; nothing of theirs on the screen, and nothing of
// the other supporter's in the file. Until 2026-12-06 the docs gave a page of SQL that missed a name typed in a bank
// line and a phone number in a CRM note kept in raw.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope } from '../core/envelope.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';
import { JO, JO_HASH, peopleEnvelopes, SAM, SAM_HASH } from './support/erasure-people.js';
import { runPuddle } from './support/run-cli.js';

let lake: Lake;
const outDir = mkdtempSync(path.join(tmpdir(), 'puddle-sar-out-'));
const sar = (args: string[]) => runPuddle(['subject-access', ...args], { PUDDLE_HOME: lake.dir });

interface Document {
  tables: { table: string; rows: Record<string, unknown>[] }[];
  queued_messages: number;
  email_hashes_found: number;
}

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish(peopleEnvelopes());
  for (const p of ['transactions', 'supporters', 'quarantine', 'raw']) await lake.consumer(p).drain();
  // One more of Jo's, still waiting to land.
  await lake.queue.publish([
    makeEnvelope({ contract: 'donation', version: 1, source: 'producer', stream: 'web', payload: { donation_id: 'don_jo_3', occurred_at: '2026-11-29T17:00:00Z', channel: 'online', amount_minor: 300, currency: 'GBP', supporter_id: JO.id }, received_at: '2026-11-29T17:00:00.500Z', delivery_id: 'req-17' }),
  ]);
}, 120_000);
afterAll(async () => {
  await lake.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('puddle subject-access', { timeout: 120_000 }, () => {
  it("writes every row holding the person, raw and the quarantine included, to a file only its owner reads, and none of anyone else's", async () => {
    const out = path.join(outDir, 'jo.json');
    const r = await sar(['--supporter-id', JO.id, '--supporter-id', JO.crm, '--text', JO.name, '--text', '+44 7700 900123', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Document;
    const text = JSON.stringify(doc);
    const ids = (table: string, key: string) => doc.tables.find((t) => t.table.includes(table))?.rows.map((row) => row[key]).sort();
    expect(ids('donation', 'donation_id')).toEqual(['don_jo_1', 'don_jo_2']);
    // Both versions of the CRM contact and the producer's supporter, found by the ids and the email hash on their rows.
    expect(ids('supporter', 'supporter_id')).toEqual([JO.crm, JO.crm, JO.id]);
    expect(doc.email_hashes_found).toBe(1);
    // The name typed in a bank line's text, the phone number in a CRM note that only raw keeps, the refused pledge.
    expect(ids('bank_line', 'bank_line_id')).toEqual(['bl_1']);
    expect(text).toContain(`Call ${JO.name} after 6 on ${JO.phone}`);
    expect(text).toContain('don_jo_bad');
    // Raw's envelope is given as the JSON it is, not as a string of it.
    const raw = doc.tables.find((t) => t.table.startsWith('raw'))!;
    expect(typeof raw.rows[0]!.envelope).toBe('object');
    // Nothing of Sam's (whose ids start with Jo's), and the pledge still queued is said, not missed.
    for (const of of [SAM.id, SAM.crm, SAM_HASH, 'don_sam_1', 'S SMITH']) expect(text).not.toContain(of);
    expect(doc.queued_messages).toBe(1);
    expect(r.stderr).toContain('run it again once they have landed');
    // The screen has counts only.
    for (const of of [JO.id, JO.crm, JO.name, JO.phone, JO_HASH]) expect(r.stdout + r.stderr).not.toContain(of);
    expect(JSON.parse(r.stdout)).toMatchObject({ out, queued_messages: 1 });
  });

  it('finds by the email address what erase finds: its hash on the supporters, and the ids on their rows through them', async () => {
    const out = path.join(outDir, 'by-email.json');
    const r = await sar(['--email', JO.email, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Document;
    expect(doc.tables.find((t) => t.table.includes('supporter'))!.rows.map((row) => row.email_sha256)).toEqual([JO_HASH, JO_HASH, JO_HASH]);
    expect(JSON.stringify(doc)).not.toContain(SAM_HASH);
  });

  it('refuses a request with no --out, an --out inside the home, or no one named, before it reads anything', async () => {
    const inside = path.join(lake.dir, 'jo.json');
    for (const [args, says] of [
      [['--supporter-id', JO.id], '--out FILE is required'],
      [['--supporter-id', JO.id, '--out', inside], 'inside PUDDLE_HOME'],
      [['--out', path.join(outDir, 'none.json')], 'name the person: --supporter-id, --email or --text'],
    ] as const) {
      const r = await sar([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toContain(JO.id);
    }
  });

  it('replaces a file already at --out, and leaves it readable by its owner only', async () => {
    const out = path.join(outDir, 'again.json');
    writeFileSync(out, 'old', { mode: 0o644 });
    const r = await sar(['--supporter-id', JO.id, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(it replaced the file that was there)');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
