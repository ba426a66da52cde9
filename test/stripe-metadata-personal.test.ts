import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeWebhookRoutes } from '../connectors/stripe/webhook.js';
import type { Envelope } from '../core/envelope.js';
import { buildServer } from '../core/http/server.js';
import { SqliteQueue } from '../infra/local/sqlite-queue.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

// A charity's donation form puts the donor into Stripe metadata under its own names. Until 2026-12-03 the keys
// whose names did not end like a provider's personal field (address_line1, surname, donor_note, ...) reached the
// raw trail whole, for good. Now every personal-looking metadata key is '[redacted]' in raw; the keys that link
// and attribute (the donation id the mapping reads, the campaign) stay.
const PERSON = {
  donor_email: 'jo.quxworthy@example.org',
  first_name: 'Jolyon',
  surname: 'Quxworthy',
  address_line1: '17 Larkspur Row',
  donor_phone_number: '07700 900461',
  donor_note: 'in memory of Ada Quxworthy',
};
const NAMES = /Quxworthy|Jolyon|Larkspur|900461/;
/** A charity's own attribution: until 2026-12-04 `publicity_consent` (for the `city` in it) and `appeal_title` were redacted. */
const ATTRIBUTION = { publicity_consent: 'yes', appeal_title: 'Winter 2026', utm_campaign: 'tv', fund: 'general', gift_aid_declaration: 'gad-1' };

describe('Stripe metadata that names a person, synced through the SDK from the sandbox', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await stripeHarness();
  });
  afterAll(() => h.close());

  it('lands the payment with its donation id, and the name is nowhere in raw or the lake; the campaign and appeal codes stay in raw, and the query in docs/connectors.md lists the redacted keys', async () => {
    const charge = h.sandbox.data.charges.find((c) => c.status === 'succeeded' && c.metadata.campaign)!;
    Object.assign(charge.metadata, PERSON, ATTRIBUTION);
    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();

    expect(await h.q(`SELECT donation_id FROM payment WHERE payment_id = '${charge.id}'`)).toEqual([{ donation_id: charge.metadata.donation_id }]);
    const [kept] = await h.q(
      `SELECT json_extract_string(envelope, '$.raw.metadata.campaign') AS campaign, json_extract_string(envelope, '$.raw.metadata.donation_id') AS donation_id,
              json_extract_string(envelope, '$.raw.metadata.surname') AS surname
       FROM raw WHERE contract = 'payment' AND json_extract_string(envelope, '$.key') = '${charge.id}' LIMIT 1`,
    );
    expect(kept).toEqual({ campaign: charge.metadata.campaign, donation_id: charge.metadata.donation_id, surname: '[redacted]' });
    const [metadata] = await h.q(`SELECT json_extract(envelope, '$.raw.metadata')::VARCHAR AS m FROM raw WHERE contract = 'payment' AND json_extract_string(envelope, '$.key') = '${charge.id}' LIMIT 1`);
    expect(JSON.parse((metadata as { m: string }).m)).toMatchObject(ATTRIBUTION);
    // The query in docs/connectors.md names the keys redacted, and the attribution is not among them.
    const doc = readFileSync(new URL('../docs/connectors.md', import.meta.url), 'utf8');
    const sql = /<!-- redacted-metadata-keys -->\n```sh\nnpx puddle query "([\s\S]*?)"\n```/.exec(doc)![1]!.replace(/\\"/g, '"');
    const keys = (await h.q(sql)) as { metadata_key: string; records: number }[];
    expect(keys).toEqual(expect.arrayContaining(Object.keys(PERSON).map((k) => ({ metadata_key: k, records: expect.any(Number) as number }))));
    expect(keys.map((k) => k.metadata_key)).not.toEqual(expect.arrayContaining([expect.stringMatching(/campaign|donation_id|publicity|appeal|fund|gift_aid/)]));
    // Nowhere: not in raw (any contract), not in any landed row, not in quarantine.
    const [raw] = await h.q(`SELECT count(*) AS n FROM raw WHERE regexp_matches(envelope, '${NAMES.source}')`);
    expect(raw).toEqual({ n: 0 });
    const [rows] = await h.q(`SELECT count(*) AS n FROM payment_history t WHERE regexp_matches(to_json(t)::VARCHAR, '${NAMES.source}')`);
    expect(rows).toEqual({ n: 0 });
    const [quarantined] = await h.q(`SELECT count(*) AS n FROM quarantine_history t WHERE regexp_matches(to_json(t)::VARCHAR, '${NAMES.source}')`);
    expect(quarantined).toEqual({ n: 0 });
  });
});

describe('Stripe metadata that names a person, in a signed webhook', () => {
  const secret = 'whsec_metadata_personal_0123456789';
  let dir: string;
  let queue: SqliteQueue;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'puddle-stripe-metadata-'));
    queue = new SqliteQueue(join(dir, 'queue.db'));
    await queue.subscribe({ name: 't', contracts: '*' });
    app = buildServer({ queue, apiKeys: ['producer-key-0123456789'], plugins: [stripeWebhookRoutes({ queue, secret })] });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the event and the mapped refund without the name, and the campaign in raw', async () => {
    const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/stripe/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
    const refund = { ...fixture('refund.json'), metadata: { ...PERSON, campaign: 'tv-2026' } };
    const body = JSON.stringify({ ...fixture('event.json'), id: 'evt_meta_1', type: 'charge.refund.updated', data: { object: refund, previous_attributes: { metadata: { surname: 'Quxworthy-Old' } } } });
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret }) },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    const got = await queue.claim('t', { max: 100, visibilityMs: 1000 });
    const envs: Envelope[] = got.map((m) => m.envelope);
    expect(envs.map((e) => e.contract).sort()).toEqual(['provider_event', 'refund']);
    expect(JSON.stringify(envs)).not.toMatch(NAMES);
    for (const e of envs) {
      const metadata = e.contract === 'refund' ? (e.raw as { metadata: Record<string, unknown> }).metadata : (e.raw as { data: { object: { metadata: Record<string, unknown> } } }).data.object.metadata;
      expect(metadata).toMatchObject({ campaign: 'tv-2026', surname: '[redacted]', address_line1: '[redacted]', donor_note: '[redacted]' });
    }
  });
});
