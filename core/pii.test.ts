import { describe, expect, it } from 'vitest';
import { emailSha256, redactPersonalData, scrubPersonalData } from './pii.js';

describe('personal data', () => {
  it('hashes emails the same way whatever their case and spaces', () => {
    expect(emailSha256(' Jo@Example.org ')).toBe(emailSha256('jo@example.org'));
    expect(emailSha256('')).toBeNull();
  });

  it('scrubs names, emails and card details at any depth, keeping the shape and the money', () => {
    const charge = {
      id: 'ch_1', amount: 500, billing_details: { name: 'Jo Bloggs', email: 'jo@example.org' },
      payment_method_details: { card: { brand: 'visa', last4: '4242', exp_month: 12, fingerprint: 'abc' } },
      refunds: { data: [{ id: 're_1', receipt_email: 'jo@example.org' }] }, description: null,
    };
    const s = scrubPersonalData(charge) as unknown as typeof charge;
    const text = JSON.stringify(s);
    expect(text).not.toMatch(/Jo Bloggs|jo@example|abc/);
    expect(s.amount).toBe(500);
    // What a receipt shows stays (payment v4 holds it too); the expiry and the fingerprint go.
    expect(s.payment_method_details.card).toEqual({ brand: 'visa', last4: '4242', exp_month: '[redacted]', fingerprint: '[redacted]' });
    expect(s.billing_details).toBe('[redacted]');
    expect(charge.billing_details.name).toBe('Jo Bloggs'); // the input is untouched
  });

  it('leaves no personal field unredacted however deep it sits, and keeps a very deep body serialisable', () => {
    // A webhook body (or a producer's raw) nested past the walk's depth: until 2026-12-02 everything below 33
    // levels came back as it was, email included, and 100,000 levels made the envelope unserialisable (a 503).
    let nested: unknown = { email: 'deep@example.org', card: { number: '4242424242424242' } };
    for (let i = 0; i < 40; i++) nested = { level: nested };
    const text = JSON.stringify(scrubPersonalData({ ticket_id: 5, body: nested }));
    expect(text).not.toMatch(/deep@example|4242/);
    expect(text).toContain('[too deep]');
    const inPlace = JSON.stringify(redactPersonalData({ body: JSON.parse(JSON.stringify(nested)) as unknown }));
    expect(inPlace).not.toMatch(/deep@example|4242/);
    const huge = JSON.parse(`{"ticket_id":5,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`) as unknown;
    const scrubbed = JSON.stringify(scrubPersonalData(huge));
    expect(scrubbed.length).toBeLessThan(200);
    // A record of ordinary depth keeps its shape.
    const charge = { id: 'ch_1', outcome: { rule: { id: 'r', predicate: { any: [{ all: [{ v: 1 }] }] } } } };
    expect(scrubPersonalData(charge)).toEqual(charge);
  });

  it("scrubs a dispute's evidence and IP addresses under any name, not words that end in 'ip'", () => {
    const dispute = {
      id: 'dp_1', amount: 500, reason: 'fraudulent', evidence_details: { due_by: 1764600000, has_evidence: true },
      evidence: { customer_name: 'Jo Bloggs', customer_purchase_ip: '10.1.2.3', uncategorized_text: 'Jo lives at 1 High St' },
      metadata: { customer_purchase_ip: '10.1.2.3', customerIp: '10.9.9.9', ip: '10.8.8.8', relationship: 'friend', membership: 'gold' },
    };
    const s = scrubPersonalData(dispute) as unknown as typeof dispute;
    expect(JSON.stringify(s)).not.toMatch(/Jo|10\.\d/);
    expect(s.evidence).toBe('[redacted]');
    expect(s.evidence_details).toEqual({ due_by: 1764600000, has_evidence: true });
    expect(s.metadata).toEqual({ customer_purchase_ip: '[redacted]', customerIp: '[redacted]', ip: '[redacted]', relationship: 'friend', membership: 'gold' });
  });

  it("scrubs a charge's receipt link, which opens a page with the card's last four and the donor's email", () => {
    const charge = { id: 'ch_1', amount: 500, receipt_number: null, receipt_url: 'https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8x' };
    expect(scrubPersonalData(charge)).toEqual({ id: 'ch_1', amount: 500, receipt_number: null, receipt_url: '[redacted]' });
  });

  it("scrubs a Checkout session's custom fields and a charity's own metadata keys for names, postcodes and zips", () => {
    const session = {
      id: 'cs_1', amount_total: 2500,
      custom_fields: [{ key: 'tribute', label: { type: 'custom', custom: 'In memory of' }, type: 'text', text: { value: 'Ada Lovelace' } }],
      metadata: { donor_postcode: 'SW1A 1AA', billing_zip: '90210', campaign: 'tv-2026', giftaid_housename: 'Rose Cottage' },
    };
    const s = scrubPersonalData(session) as unknown as typeof session;
    expect(JSON.stringify(s)).not.toMatch(/Ada|SW1A|90210|Rose/);
    expect(s.custom_fields).toBe('[redacted]');
    expect(s.metadata.campaign).toBe('tv-2026');
    expect(s.amount_total).toBe(2500);
  });

  it("redacts a charity's own metadata keys that name, reach or describe a person, under any spelling, and keeps the ones that link and attribute", () => {
    // Until 2026-12-03 only names ending like a provider's personal field were caught: these reached raw whole.
    const metadata = {
      address_line1: '1 High St', addressLine2: 'Flat 2', house_number: '12', 'Donor-Mobile': '07700 900123', donor_phone_number: '07700 900124',
      surname: 'Quxworthy', Forename: 'Jo', dob: '1970-01-01', date_of_birth: '1970-01-01', donor_note: 'Jo says hi', gift_aid_house: 'Rose Cottage',
      town: 'Leeds', in_memory_of: 'Ada', donor: 'Jo Q', donor_email: 'jo@example.org', first_name: 'Jo', title: 'Dr',
      donation_id: 'don-1', click_id: 'clk-1', campaign: 'tv-2026', channel: 'online', utm_source: 'tv', gift_aid: 'true', supporter_id: 'sup_1', tribute_id: 't-1',
    };
    const event = { id: 'evt_1', data: { object: { id: 'ch_1', amount: 500, metadata }, previous_attributes: { metadata: { surname: 'Old' } } } };
    const s = scrubPersonalData(event) as unknown as typeof event;
    const kept = { donation_id: 'don-1', click_id: 'clk-1', campaign: 'tv-2026', channel: 'online', utm_source: 'tv', gift_aid: 'true', supporter_id: 'sup_1', tribute_id: 't-1' };
    const redacted = Object.fromEntries(Object.keys(metadata).filter((k) => !(k in kept)).map((k) => [k, '[redacted]']));
    expect(s.data.object.metadata).toEqual({ ...redacted, ...kept });
    expect(s.data.previous_attributes.metadata).toEqual({ surname: '[redacted]' });
    expect(JSON.stringify(s)).not.toMatch(/High St|Flat 2|07700|Quxworthy|1970|Jo|Rose|Leeds|Ada|Dr|\b12\b/);
    // In place, as a sync's pages are redacted, the same; and the words outside metadata keep their own rule.
    expect(redactPersonalData(JSON.parse(JSON.stringify(event)))).toEqual(s);
    expect(scrubPersonalData({ title: 'Appeal', town: 'Leeds', metadata: { title: 'Dr' } })).toEqual({ title: 'Appeal', town: 'Leeds', metadata: { title: '[redacted]' } });
  });

  it('redacts in place exactly as the copy does, Dates as times, and copies what cannot change', () => {
    const record = () => ({
      id: 'ch_1', amount: 500, created: new Date('2026-11-01T10:00:00Z'), billing_details: { name: 'Jo Bloggs' },
      payment_method_details: { card: { brand: 'visa', last4: '4242' } }, refunds: [{ id: 're_1', receipt_email: 'jo@example.org' }],
    });
    const original = record();
    const same = redactPersonalData(original);
    expect(same).toBe(original);
    expect(same).toEqual(scrubPersonalData(record()));
    expect(JSON.stringify(same)).not.toMatch(/Jo Bloggs|jo@example/);
    expect(original.created).toBe('2026-11-01T10:00:00.000Z');
    const frozen = Object.freeze({ id: 'x', email: 'jo@example.org' });
    expect(redactPersonalData(frozen)).toEqual({ id: 'x', email: '[redacted]' });
    expect(frozen.email).toBe('jo@example.org');
    expect(redactPersonalData(null)).toBeNull();
    // Deeper parts that cannot change: a copy, still fully redacted.
    const nested = { id: 'y', card: Object.freeze({ last4: '4242', brand: 'visa', exp_year: 2030 }) };
    expect(redactPersonalData(nested)).toEqual({ id: 'y', card: { last4: '4242', brand: 'visa', exp_year: '[redacted]' } });
    // A last four that is not four digits may be the whole number (a form's metadata, a provider's garbage): redacted.
    // So are the BIN (Stripe's `iin`) and a card source's street address (a security review, 2026-12-07).
    expect(scrubPersonalData({ card: { last4: '4242424242424242', iin: '424242', address_line1: '1 High St', address_city: 'Leeds', address_zip_check: 'pass' }, metadata: { last4: '4111 1111 1111 1111', last_four: '1111' } })).toEqual({
      card: { last4: '[redacted]', iin: '[redacted]', address_line1: '[redacted]', address_city: '[redacted]', address_zip_check: 'pass' },
      metadata: { last4: '[redacted]', last_four: '1111' },
    });
    const readOnly = Object.defineProperty({ id: 'z' }, 'email', { value: 'jo@example.org', enumerable: true, writable: false });
    expect(JSON.stringify(redactPersonalData(readOnly))).not.toContain('jo@example.org');
  });
});
