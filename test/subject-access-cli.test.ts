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
/** An --out path with no file at it (a test run again, as a retry, finds its own file otherwise: refused without --replace). */
const fresh = (name: string) => {
  const out = path.join(outDir, name);
  rmSync(out, { force: true });
  return out;
};

interface Document {
  tables: { table: string; rows: Record<string, unknown>[] }[];
  linked_tables: { table: string; rows: Record<string, unknown>[] }[];
  queued_messages: number;
  ids_found_by_email: number;
  email_hashes_found_by_id: number;
}

/** Jo as Stripe knows her: a customer with her email's hash, charged for don_jo_1, and a refund holding only the charge's id. */
const STRIPE_JO = 'cus_JoStripe01';
const stripe = (contract: string, payload: Record<string, unknown>, n: number) =>
  makeEnvelope({ contract, version: 1, source: 'stripe', stream: `${contract}s`, payload: { occurred_at: '2026-11-29T18:00:00Z', ...payload }, received_at: '2026-11-29T18:00:00.500Z', delivery_id: `run-stripe-${n}` });

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    ...peopleEnvelopes(),
    stripe('supporter', { supporter_id: STRIPE_JO, source: 'stripe', email_sha256: JO_HASH }, 1),
    stripe('payment', { payment_id: 'ch_jo_1', provider: 'stripe', status: 'succeeded', amount_minor: 2500, currency: 'GBP', supporter_id: STRIPE_JO, donation_id: 'don_jo_1' }, 2),
    stripe('refund', { refund_id: 're_jo_1', provider: 'stripe', payment_id: 'ch_jo_1', status: 'succeeded', amount_minor: 500, currency: 'GBP' }, 3),
    // Paid without a customer (a Braintree guest checkout): only the donation's id ties the payment to Jo.
    stripe('payment', { payment_id: 'bt_jo_2', provider: 'braintree', status: 'succeeded', amount_minor: 1000, currency: 'GBP', donation_id: 'don_jo_2' }, 4),
    stripe('refund', { refund_id: 're_jo_2', provider: 'braintree', payment_id: 'bt_jo_2', status: 'succeeded', amount_minor: 1000, currency: 'GBP' }, 5),
    // A CRM gift of Jo's, soft-credited to her partner: the partner's contact role names someone else.
    stripe('gift', { gift_id: 'g_jo_1', amount_minor: 5000, currency: 'GBP', supporter_id: JO.crm, stage: 'Closed Won' }, 6),
    stripe('gift_contact_role', { gift_contact_role_id: 'gcr_jo', gift_id: 'g_jo_1', supporter_id: JO.crm, role: 'Donor' }, 7),
    stripe('gift_contact_role', { gift_contact_role_id: 'gcr_partner', gift_id: 'g_jo_1', supporter_id: '0035g00000PartnR', role: 'Household Member' }, 8),
  ]);
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
    const out = fresh('jo.json');
    const r = await sar(['--supporter-id', JO.id, '--supporter-id', JO.crm, '--text', JO.name, '--text', '+44 7700 900123', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Document;
    const text = JSON.stringify(doc);
    const ids = (table: string, key: string) => doc.tables.find((t) => t.table.includes(table))?.rows.map((row) => row[key]).sort();
    expect(ids('donation', 'donation_id')).toEqual(['don_jo_1', 'don_jo_2']);
    // Both versions of the CRM contact and the producer's supporter, found by the ids and the email hash on their rows.
    // Stripe's customer too, by the email hash on Jo's rows.
    expect(ids('/supporter/', 'supporter_id')).toEqual([JO.crm, JO.crm, STRIPE_JO, JO.id]);
    expect(doc.email_hashes_found_by_id).toBe(1);
    // The name typed in a bank line's text, the phone number in a CRM note that only raw keeps, the refused pledge.
    expect(ids('bank_line', 'bank_line_id')).toEqual(['bl_1']);
    expect(text).toContain(`Call ${JO.name} after 6 on ${JO.phone}`);
    expect(text).toContain('don_jo_bad');
    // Times are UTC, said so (until 2026-12-06 "2026-11-29 10:00:00", which reads as local time).
    expect(doc.tables.find((t) => t.table.includes('donation'))!.rows.map((row) => row.occurred_at).sort()).toEqual(['2026-11-29T10:00:00.000Z', '2026-11-29T11:00:00.000Z']);
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

  it('finds by the email address what erase finds: its hash on the supporters, the ids on those rows, and the rows of those ids', async () => {
    const out = fresh('by-email.json');
    const r = await sar(['--email', JO.email, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Document;
    expect(doc.tables.find((t) => t.table.includes('/supporter/'))!.rows.map((row) => row.email_sha256)).toEqual([JO_HASH, JO_HASH, JO_HASH, JO_HASH]);
    // The producer's, the CRM's and Stripe's ids on those rows: until 2026-12-06 an email alone stopped at the supporter
    // rows, and Jo's donations and Stripe payment were not given.
    expect(doc.ids_found_by_email).toBe(3);
    const ids = (table: string, key: string) => doc.tables.find((t) => t.table.includes(table))?.rows.map((row) => row[key]).sort();
    expect(ids('donation', 'donation_id')).toEqual(['don_jo_1', 'don_jo_2']);
    expect(ids('payment', 'payment_id')).toEqual(['ch_jo_1']);
    // The refunds hold only their charges' ids: they are linked, not found by a value of Jo's.
    const linked = doc.linked_tables.find((t) => t.table.includes('refund'))?.rows.map((row) => row.refund_id).sort();
    expect(linked).toEqual(['re_jo_1', 're_jo_2']);
    expect(JSON.stringify(doc)).not.toContain(SAM_HASH);
    expect(JSON.stringify(doc)).not.toContain('don_sam_1');
    expect(JSON.parse(r.stdout)).toMatchObject({ ids_found_by_email: 3, linked_rows: expect.any(Number) });
  });

  it("gives the records linked to the person's own rows, which hold none of their values: a guest payment for their donation, and its refund", async () => {
    const out = fresh('linked.json');
    const r = await sar(['--supporter-id', JO.id, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Document;
    // Jo's id leads to her email's hash, and that to her Stripe customer: its charge is hers.
    expect(doc.ids_found_by_email).toBe(2);
    expect(doc.tables.find((t) => t.table.includes('payment'))?.rows.map((row) => row.payment_id)).toEqual(['ch_jo_1']);
    // Two steps: the guest payment names Jo's donation, its refund names the payment.
    const linked = (table: string, key: string) => doc.linked_tables.find((t) => t.table.includes(table))?.rows.map((row) => row[key]).sort();
    expect(linked('payment', 'payment_id')).toEqual(['bt_jo_2']);
    expect(linked('refund', 'refund_id')).toEqual(['re_jo_1', 're_jo_2']);
    // Her own contact role on her gift, not her partner's, which a link from the gift would have reached.
    expect(doc.tables.find((t) => t.table.includes('gift_contact_role'))?.rows.map((row) => row.gift_contact_role_id)).toEqual(['gcr_jo']);
    expect(JSON.stringify(doc)).not.toContain('0035g00000PartnR');
    // Each row once: what holds Jo's own values is in `tables`, not again in `linked_tables`.
    const own = new Set(doc.tables.flatMap((t) => t.rows.map((row) => JSON.stringify(row))));
    for (const t of doc.linked_tables) for (const row of t.rows) expect(own.has(JSON.stringify(row))).toBe(false);
  });

  it('says when no lake row holds the values (a mistyped id: ids are matched exactly, case included)', async () => {
    const out = fresh('nobody.json');
    const r = await sar(['--supporter-id', 'SUP_1_MISTYPED', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no lake row holds these values: check them (ids are matched exactly, case included)');
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

  it('refuses a file already at --out, which may be another person\'s, and replaces it with --replace, readable by its owner only', async () => {
    const out = fresh('again.json');
    writeFileSync(out, 'old', { mode: 0o644 });
    const refused = await sar(['--supporter-id', JO.id, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("exists, and may hold another person's data: give another --out, or --replace to replace it");
    expect(readFileSync(out, 'utf8')).toBe('old');
    const r = await sar(['--supporter-id', JO.id, '--out', out, '--replace']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(it replaced the file that was there)');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
