import { describe, expect, it } from 'vitest';
import { emailSha256 } from '../pii.js';
import { CONTRACTS, contractsV1, DISPUTE_STATUSES, DONATION_STATUSES, extendContract, getContract, PAYMENT_STATUSES, PAYOUT_STATUSES, string, type Infer } from './index.js';

describe('contracts', () => {
  it('validates and normalises a donation', () => {
    const r = contractsV1.donation.validate({
      donation_id: 'd1',
      occurred_at: '2026-11-29T21:15:00+01:00',
      channel: 'sms',
      amount_minor: 1000,
      currency: 'gbp',
    });
    expect(r.errors).toBeNull();
    expect(r.value?.occurred_at).toBe('2026-11-29T20:15:00.000Z');
    expect(r.value?.currency).toBe('GBP');
    expect(r.value?.click_id).toBeNull();
  });

  it('refuses a currency that is not an ISO 4217 code in use (a typo such as GPB), saying so', () => {
    const errors = (currency: unknown) =>
      contractsV1.donation.validate({ donation_id: 'd1', occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor: 1000, currency }).errors;
    expect(errors('GPB')).toEqual([{ path: 'payload.currency', message: 'is not an ISO 4217 currency code in use (e.g. GBP, EUR, USD)' }]);
    expect(errors('zzz')).toHaveLength(1);
    expect(errors('pounds')).toEqual([{ path: 'payload.currency', message: 'must be an ISO 4217 currency code' }]);
    expect(errors('eur')).toBeNull();
  });

  it('refuses times and dates that are not on the calendar, instead of rolling them over', () => {
    const at = (occurred_at: string) =>
      contractsV1.donation.validate({ donation_id: 'd1', occurred_at, channel: 'sms', amount_minor: 1000, currency: 'GBP' });
    for (const bad of ['2026-02-30T10:00:00Z', '2026-02-29T10:00:00.000Z', '2026-04-31T10:00:00+01:00', '2026-01-01T24:00:00Z', '2026-13-01T10:00:00Z']) {
      expect(at(bad).errors?.map((e) => e.message), bad).toEqual(['is not a valid time']);
    }
    expect(at('2024-02-29T10:00:00.000Z').value?.occurred_at).toBe('2024-02-29T10:00:00.000Z');
    expect(at('2026-12-31T23:59:59.999Z').value?.occurred_at).toBe('2026-12-31T23:59:59.999Z');
    expect(at('2027-01-01T00:30:00+01:00').value?.occurred_at).toBe('2026-12-31T23:30:00.000Z');
    const line = (booking_date: string) =>
      contractsV1.bank_line.validate({ bank_line_id: 'b1', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: 1, currency: 'GBP', reference: 'r', booking_date });
    expect(line('2026-02-30').errors?.map((e) => e.path)).toEqual(['payload.booking_date']);
    expect(line('2028-02-29').errors).toBeNull();
  });

  it('gives the same answer for a time or date seen just before (each field remembers its last good value)', () => {
    const at = (occurred_at: string) =>
      contractsV1.donation.validate({ donation_id: 'd1', occurred_at, channel: 'sms', amount_minor: 1000, currency: 'GBP' });
    for (let i = 0; i < 3; i++) {
      expect(at('2026-11-29T21:15:00+01:00').value?.occurred_at).toBe('2026-11-29T20:15:00.000Z');
      expect(at('2026-02-30T10:00:00Z').errors?.map((e) => e.message)).toEqual(['is not a valid time']);
      expect(at('2026-11-29T20:15:00.000Z').value?.occurred_at).toBe('2026-11-29T20:15:00.000Z');
    }
    const line = (booking_date: string) =>
      contractsV1.bank_line.validate({ bank_line_id: 'b1', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: 1, currency: 'GBP', reference: 'r', booking_date });
    for (const d of ['2028-02-29', '2028-02-29', '2026-02-30', '2026-02-30', '2028-02-29']) {
      expect(line(d).errors?.map((e) => e.path) ?? null).toEqual(d === '2026-02-30' ? ['payload.booking_date'] : null);
    }
  });

  it("refuses an email hash that is not a SHA-256 in lower-case hex, the address itself above all, in every contract that has one", () => {
    // Until 2026-12-06 any text was taken: a producer sending the address in email_sha256 put it in the lake (a security review).
    const hash = emailSha256('Jo@Example.org')!;
    const supporter = (email_sha256: unknown) => getContract('supporter', 1)!.validate({ supporter_id: 's1', occurred_at: '2026-12-06T20:00:00Z', source: 'web', email_sha256 });
    expect(supporter(hash).value).toMatchObject({ email_sha256: hash });
    expect(supporter(null).errors).toBeNull();
    for (const bad of ['jo@example.org', hash.toUpperCase(), hash.slice(1), `${hash} `, '']) {
      expect(supporter(bad).errors, bad).toEqual([{ path: 'payload.email_sha256', message: 'must be a SHA-256 as 64 lower-case hex digits (of the trimmed, lower-cased email address: never the address itself)' }]);
    }
    const ticket = getContract('ticket', 2)!.validate({ ticket_id: 't1', occurred_at: '2026-12-06T20:00:00Z', status: 'open', requester_email_sha256: 'jo@example.org' });
    expect(ticket.errors?.map((e) => e.path)).toEqual(['payload.requester_email_sha256']);
  });

  it("takes a giro request's postcode and school reference only in their forms, which hold no email address or card number", () => {
    // The supplier feed hands both to a print house; until 2026-12-06 they took any text (a security review).
    const giro = (fields: Record<string, unknown>) =>
      getContract('school_giro_request', 1)!.validate({ school_giro_request_id: 'sgr-1', occurred_at: '2026-12-06T09:00:00Z', school_name: 'St Example', address_line1: '1 Lane', town: 'Town', postcode: 'EX1 2MP', pack_size: 30, requested_at: '2026-12-06T09:00:00Z', ...fields });
    for (const postcode of ['SW1A 1AA', 'sw1a1aa', 'D02 X285', '12345-6789', '00-950', 'K1A 0B1', '1234 AB', '100-0001']) {
      expect(giro({ postcode }).errors, postcode).toBeNull();
    }
    for (const postcode of ['jo@example.org', '4111111111111111', '4111 1111 1111 1111', ' SW1A 1AA', 'SW1A 1AA ', 'SW1A\n1AA', '', '-', 'EX1 2MP, Flat 3']) {
      expect(giro({ postcode }).errors, postcode).toEqual([{ path: 'payload.postcode', message: 'must be a postcode: letters and digits, with spaces or hyphens between, up to 10 characters' }]);
    }
    for (const school_urn of ['100001', '5244426', '661/4023', 'NI-123456']) expect(giro({ school_urn }).errors, school_urn).toBeNull();
    expect(giro({ school_urn: null }).errors).toBeNull();
    for (const school_urn of ['jo@example.org', '4111111111111111', '100001 (head: Jo Bloggs)', '']) {
      expect(giro({ school_urn }).errors?.map((e) => e.path), school_urn).toEqual(['payload.school_urn']);
    }
  });

  it("takes a card's brand from a list and its last four as four digits on payment v4, never more of a number", () => {
    const payment = (card: Record<string, unknown>) =>
      getContract('payment', 4)!.validate({ payment_id: 'p1', occurred_at: '2026-12-07T09:00:00Z', provider: 'call_centre', status: 'succeeded', amount_minor: 1000, currency: 'GBP', ...card });
    expect(payment({ card_brand: 'Visa', card_last4: '4242' })).toMatchObject({ errors: null, value: { card_brand: 'visa', card_last4: '4242' } });
    expect(payment({ card_brand: 'American Express' })).toMatchObject({ errors: null, value: { card_brand: 'amex' } });
    for (const card_brand of ['visa4111111111111111', 'jo_bloggs', 'mastercard_exp_12_30', '']) {
      const r = payment({ card_brand });
      expect(r.errors?.map((e) => e.path), card_brand).toEqual(['payload.card_brand']);
      expect(JSON.stringify(r.errors)).not.toContain('4111');
    }
    for (const card_last4 of ['4242424242424242', '424', '4242 ', '٤٢٤٢', '****4242']) {
      const r = payment({ card_last4 });
      expect(r.errors?.map((e) => e.path), card_last4).toEqual(['payload.card_last4']);
      expect(JSON.stringify(r.errors)).not.toContain('42424242');
    }
  });

  it("takes a regular gift's reference on donation v3 and payment v3, not a blank one or an email address", () => {
    const donation = (recurring_donation_id: unknown) =>
      getContract('donation', 3)!.validate({ donation_id: 'd1', occurred_at: '2026-12-06T09:00:00Z', channel: 'online', amount_minor: 1000, currency: 'GBP', recurring_donation_id });
    const payment = (recurring_donation_id: unknown) =>
      getContract('payment', 3)!.validate({ payment_id: 'p1', occurred_at: '2026-12-06T09:00:00Z', provider: 'stripe', status: 'succeeded', amount_minor: 1000, currency: 'GBP', recurring_donation_id });
    for (const id of ['DD-0042', 'sub_1QxYz', 'a09RD00000abcD', 'MANDATE 7781 A', null, undefined]) {
      expect(donation(id).errors, String(id)).toBeNull();
      expect(payment(id).errors, String(id)).toBeNull();
    }
    for (const id of ['', '   ', ' DD-0042', 'DD-0042 ', 'jo@example.org', 'DD-1\n']) {
      const says = "must be a regular gift's reference (its mandate, plan or subscription id): not blank, no spaces around it, and not an email address; leave it out for a one-off gift";
      expect(donation(id).errors, JSON.stringify(id)).toEqual([{ path: 'payload.recurring_donation_id', message: says }]);
      expect(payment(id).errors?.map((e) => e.path), JSON.stringify(id)).toEqual(['payload.recurring_donation_id']);
    }
  });

  it('reports every bad field with its path', () => {
    const r = contractsV1.donation.validate({ donation_id: 'd1', channel: 'fax', amount_minor: 10.5, currency: 'pounds', extra: 1 });
    expect(r.value).toBeNull();
    const paths = r.errors!.map((e) => e.path).sort();
    expect(paths).toEqual([
      'payload.amount_minor',
      'payload.channel',
      'payload.currency',
      'payload.extra',
      'payload.occurred_at',
    ]);
  });

  it('refuses a negative amount where money flows one way, naming the field; keeps the sign where it moves both ways', () => {
    const donation = (amount_minor: number) =>
      contractsV1.donation.validate({ donation_id: 'd1', occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor, currency: 'GBP' });
    expect(donation(-500).errors).toEqual([{ path: 'payload.amount_minor', message: 'must not be negative' }]);
    expect(donation(0).errors).toBeNull();
    // A fraction is still "not an integer", below zero or not.
    expect(donation(-4.5).errors?.map((e) => e.message)).toEqual(['must be an integer (money is in minor units)']);
    const line = { bank_line_id: 'b1', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: -500, currency: 'GBP', reference: 'r' };
    expect(contractsV1.bank_line.validate(line).errors).toBeNull();

    // Every money field, decided once in its contract: which refuse a value below zero (the rest are signed).
    const oneWay = new Set<string>();
    const signed = new Set<string>();
    for (const [name, versions] of CONTRACTS) {
      for (const c of versions.values()) {
        for (const [f, field] of Object.entries(c.fields)) if (f.endsWith('_minor')) (field.min === 0 ? oneWay : signed).add(`${name}.${f}`);
      }
    }
    expect([...oneWay].sort()).toEqual([
      'bank_statement.credit_total_minor',
      'bank_statement.debit_total_minor',
      'campaign.target_minor',
      'dispute.amount_minor',
      'donation.amount_minor',
      'gift.amount_minor',
      'payment.amount_minor',
      'recurring_donation.amount_minor',
      'refund.amount_minor',
    ]);
    expect([...signed].sort()).toEqual([
      'bank_line.amount_minor',
      'bank_line_detail.amount_minor',
      'bank_statement.closing_balance_minor',
      'bank_statement.opening_balance_minor',
      'gift_allocation.amount_minor',
      'gift_payment.amount_minor',
      'payment.fee_minor',
      'payment.net_minor',
      'payout.amount_minor',
      'payout_item.amount_minor',
      'payout_item.fee_minor',
      'payout_item.net_minor',
      'settlement_summary.amount_minor',
    ]);
    // Both versions of a contract agree (v2 grows from v1's own fields).
    expect(getContract('gift', 2)!.validate({ gift_id: 'g', occurred_at: '2026-11-29T10:00:00Z', amount_minor: -1, currency: 'GBP' }).errors).toEqual([
      { path: 'payload.amount_minor', message: 'must not be negative' },
    ]);
  });

  it('refuses a negative count or size, naming the field: every integer that is not money is never below zero', () => {
    const giro = (pack_size: number) =>
      getContract('school_giro_request', 1)!.validate({
        school_giro_request_id: 'sgr-1', occurred_at: '2026-11-20T09:00:00Z', school_name: 'St Example', address_line1: '1 Lane',
        town: 'Town', postcode: 'EX1 2MP', pack_size, requested_at: '2026-11-20T09:00:00Z',
      });
    expect(giro(-3).errors).toEqual([{ path: 'payload.pack_size', message: 'must not be negative' }]);
    // A pack of none lands (the feed leaves it out); a fraction is still no integer.
    expect(giro(0).errors).toBeNull();
    expect(giro(2.5).errors?.map((e) => e.path)).toEqual(['payload.pack_size']);

    // Every integer field that is not money, decided once in its contract. The one signed field is the version a
    // quarantined record claimed: it is kept as sent (whatever it was), or the failure itself could not land.
    const counts = new Set<string>();
    const signed = new Set<string>();
    for (const [name, versions] of CONTRACTS) {
      for (const c of versions.values()) {
        for (const [f, field] of Object.entries(c.fields)) if (field.kind === 'int' && !f.endsWith('_minor')) (field.min === 0 ? counts : signed).add(`${name}.${f}`);
      }
    }
    expect([...counts].sort()).toEqual([
      'bank_line.batch_count',
      'bank_statement.entry_count',
      'feed_fetch.rows',
      'recurring_donation.installment_frequency',
      'school_giro_request.pack_size',
      'settlement_summary.count',
      'sync_run.pages',
      'sync_run.rate_limited',
      'sync_run.records',
      'sync_run.requests',
      'sync_run.retries',
    ]);
    expect([...signed]).toEqual(['quarantine.version']);
    // Both versions agree: bank_statement v2 grows from v1's own entry_count.
    const statement = { bank_statement_id: 's', occurred_at: '2026-11-29T18:00:00Z', account: 'a', currency: 'GBP', source_format: 'csv', entry_count: -1, balanced: true, file_sha256: 'x' };
    for (const v of [1, 2]) expect(getContract('bank_statement', v)!.validate(statement).errors).toEqual([{ path: 'payload.entry_count', message: 'must not be negative' }]);
  });

  it("takes a donation's status in any spelling of a listed one, lands the listed one, and refuses any other naming the values", () => {
    const status = (v: unknown) =>
      contractsV1.donation.validate({ donation_id: 'd1', occurred_at: '2026-11-29T20:15:00Z', channel: 'online', amount_minor: 2500, currency: 'GBP', status: v });
    // The tester's spellings of a cancellation or a failure: each lands as the status that counts nothing.
    for (const [sent, lands] of [['Cancelled', 'cancelled'], ['CANCELLED', 'cancelled'], ['cancelled ', 'cancelled'], [' canceled', 'cancelled'], ['Canceled', 'cancelled'], ['Failed', 'failed'], ['\tStarted\n', 'started'], ['pledged', 'pledged']]) {
      expect(status(sent).value?.status, JSON.stringify(sent)).toBe(lands);
    }
    expect(contractsV1.donation.validate({ donation_id: 'd1', occurred_at: '2026-11-29T20:15:00Z', channel: 'online', amount_minor: 2500, currency: 'GBP' }).value?.status).toBeNull();
    const message = 'must be one of pledged, pending, paid, started, abandoned, failed, cancelled (in any case; canceled means cancelled)';
    for (const bad of ['done', 'cancel led', '', '   ', 'refunded', 42]) expect(status(bad).errors, JSON.stringify(bad)).toEqual([{ path: 'payload.status', message }]);
    // The list is the one the totals and the journey read.
    expect(contractsV1.donation.fields.status.values).toEqual(DONATION_STATUSES.map((s) => s.status));
  });

  it("takes a payment's, a refund's and a dispute's status in any case of a listed one, and refuses any other naming the values", () => {
    const payment = (status: unknown) =>
      contractsV1.payment.validate({ payment_id: 'p1', occurred_at: '2026-11-29T20:15:00Z', provider: 'ivr', status, amount_minor: 2500, currency: 'GBP' });
    const refund = (status: unknown) =>
      contractsV1.refund.validate({ refund_id: 'r1', occurred_at: '2026-11-29T20:15:00Z', provider: 'ivr', payment_id: 'p1', status, amount_minor: 2500, currency: 'GBP' });
    const dispute = (status: unknown) =>
      contractsV1.dispute.validate({ dispute_id: 'x1', occurred_at: '2026-11-29T20:15:00Z', provider: 'stripe', payment_id: 'p1', status, amount_minor: 2500, currency: 'GBP' });
    // Spelt otherwise, each landed as sent and counted as pending: never matched, never netted.
    for (const [sent, lands] of [['Succeeded', 'succeeded'], ['settled ', 'settled'], ['PAID', 'paid'], [' Canceled', 'cancelled'], ['Submitted_For_Settlement', 'submitted_for_settlement']]) {
      expect(payment(sent).value?.status, JSON.stringify(sent)).toBe(lands);
      expect(refund(sent).value?.status, JSON.stringify(sent)).toBe(lands);
    }
    expect(dispute('Won').value?.status).toBe('won');
    const values = PAYMENT_STATUSES.map((s) => s.status);
    const message = `must be one of ${values.join(', ')} (in any case; canceled means cancelled)`;
    for (const bad of ['success', 'captured', 'refunded', '', 42, null]) {
      expect(payment(bad).errors, JSON.stringify(bad)).toEqual([{ path: 'payload.status', message: bad === null ? 'is required' : message }]);
      expect(refund(bad).errors?.map((e) => e.path), JSON.stringify(bad)).toEqual(['payload.status']);
    }
    expect(dispute('closed').errors).toEqual([{ path: 'payload.status', message: `must be one of ${DISPUTE_STATUSES.map((s) => s.status).join(', ')} (in any case)` }]);
    // The lists are the ones the reconciliation reads (recon_statuses, dispute_statuses).
    expect(contractsV1.payment.fields.status.values).toEqual(values);
    expect(contractsV1.refund.fields.status.values).toEqual(values);
    expect(contractsV1.dispute.fields.status.values).toEqual(DISPUTE_STATUSES.map((s) => s.status));
  });

  it("takes a payout's status in any case of a listed one (cancelled means canceled), and refuses any other naming the values", () => {
    const payout = (status: unknown) =>
      contractsV1.payout.validate({ payout_id: 'po1', occurred_at: '2026-11-29T00:00:00Z', provider: 'stripe', status, amount_minor: 2500, currency: 'GBP' });
    // Spelt otherwise, each landed as sent and was never expected in the bank.
    for (const [sent, lands] of [['Paid', 'paid'], [' in_transit', 'in_transit'], ['PENDING', 'pending'], ['Failed ', 'failed'], ['Cancelled', 'canceled'], ['canceled', 'canceled']]) {
      expect(payout(sent).value?.status, JSON.stringify(sent)).toBe(lands);
    }
    const values = PAYOUT_STATUSES.map((s) => s.status);
    expect(values).toEqual(['paid', 'in_transit', 'pending', 'failed', 'canceled']);
    for (const bad of ['in-transit', 'paid_out', 'succeeded', '', 7]) {
      expect(payout(bad).errors, JSON.stringify(bad)).toEqual([{ path: 'payload.status', message: `must be one of ${values.join(', ')} (in any case; cancelled means canceled)` }]);
    }
    // The list is the one the reconciliation reads (payout_statuses).
    expect(contractsV1.payout.fields.status.values).toEqual(values);
  });

  it('says a whole number too large to hold exactly is too large, not that it is no integer', () => {
    const donation = (amount: string) =>
      contractsV1.donation.validate(JSON.parse(`{"donation_id":"d1","occurred_at":"2026-11-29T20:15:00Z","channel":"sms","currency":"GBP","amount_minor":${amount}}`));
    const tooLarge = 'must be a whole number no larger than 9007199254740991: a larger one cannot be held exactly';
    expect(donation('9007199254740993').errors).toEqual([{ path: 'payload.amount_minor', message: tooLarge }]);
    expect(donation('1e300').errors?.map((e) => e.message)).toEqual([tooLarge]);
    // A safe integer all the same, but above one donation's ceiling (MAX_DONATION_MINOR): refused for that.
    expect(donation('9007199254740991').errors?.map((e) => e.message)).toEqual([expect.stringMatching(/^must be at most 1000000000000: one donation is at most 10\^12 minor units/)]);
    expect(donation('1000000000000').errors).toBeNull();
    // Signed money has a floor too; a one-way amount below zero is refused for its sign first.
    const line = (amount: string) =>
      contractsV1.bank_line.validate(JSON.parse(`{"bank_line_id":"b1","occurred_at":"2026-11-29T10:00:00Z","account":"a","currency":"GBP","reference":"r","amount_minor":${amount}}`));
    expect(line('-9007199254740993').errors?.map((e) => e.message)).toEqual(['must be a whole number no smaller than -9007199254740991: a smaller one cannot be held exactly']);
    expect(donation('-9007199254740993').errors?.map((e) => e.message)).toEqual(['must not be negative']);
    expect(donation('"500"').errors?.map((e) => e.message)).toEqual(['must be an integer (money is in minor units)']);
  });

  it('keys every contract by <name>_id and carries money as minor units + currency', () => {
    for (const versions of CONTRACTS.values()) {
      for (const c of versions.values()) {
        expect(c.key).toBe(`${c.name}_id`);
        if ('amount_minor' in c.fields) expect(c.fields).toHaveProperty('currency');
      }
    }
    expect(getContract('payment', 1)?.columns.find((c) => c.name === 'amount_minor')?.duckdbType).toBe('BIGINT');
  });

  it("refuses a key that is empty or only spaces, in every contract and version, naming the key: blank keys would be one record", () => {
    for (const versions of CONTRACTS.values()) {
      for (const c of versions.values()) {
        for (const blank of ['', ' ', '\t \n', '\u00a0']) {
          const errors = c.validate({ [c.key]: blank }).errors ?? [];
          expect(errors.find((e) => e.path === `payload.${c.key}`), `${c.name} v${c.version} ${JSON.stringify(blank)}`).toEqual({
            path: `payload.${c.key}`,
            message: 'must not be empty or only spaces: it names the record',
          });
        }
        expect(c.fields[c.key]!.isKey).toBe(true);
      }
    }
    // A key is the source's own id: one with spaces around it is taken as sent, never trimmed into another's.
    const donation = (donation_id: string) => contractsV1.donation.validate({ donation_id, occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' });
    expect(donation(' d1 ').value?.donation_id).toBe(' d1 ');
    expect(donation('0').errors).toBeNull();
    // Other strings may still be empty: a blank reference is the bank's, not a name.
    expect(contractsV1.bank_line.validate({ bank_line_id: 'b1', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: 1, currency: 'GBP', reference: '' }).errors).toBeNull();
  });

  it('grows a version only by optional fields', () => {
    const base = contractsV1.click;
    expect(() => extendContract(base, 2, { referrer: string() })).toThrow(/must be optional/);
    const v2 = extendContract(base, 2, { referrer: string().optional() });
    expect(v2.version).toBe(2);
    const typed: Infer<typeof v2.fields> = {
      click_id: 'c', occurred_at: '2026-11-29T20:00:00Z', campaign: 'x', cta: 'y', channel: 'web', referrer: null,
    };
    expect(v2.validate(typed).errors).toBeNull();
  });

  it('keeps every version of a contract: bank_line v2 adds optional fields and still takes a v1 payload', () => {
    expect([...CONTRACTS.get('bank_line')!.keys()].sort()).toEqual([1, 2]);
    const v1 = { bank_line_id: 'b1', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: 1, currency: 'GBP', reference: 'r' };
    expect(getContract('bank_line', 2)!.validate(v1).errors).toBeNull();
    expect(getContract('bank_line', 2)!.validate({ ...v1, status: 'sideways' }).errors?.map((e) => e.path)).toEqual(['payload.status']);
    expect(getContract('bank_line', 1)!.validate({ ...v1, status: 'booked' }).errors?.map((e) => e.path)).toEqual(['payload.status']);
  });

  it('keeps a bank line\'s counterparty only when it names a payment provider, whoever validates it, leaving the payload sent as it was', () => {
    const line = (counterparty: string) => ({ bank_line_id: 'b1', occurred_at: '2026-11-29T10:00:00Z', account: 'a', amount_minor: 1, currency: 'GBP', reference: 'r', counterparty });
    const kept = (counterparty: string) => getContract('bank_line', 2)!.validate(line(counterparty)).value?.counterparty;
    expect(kept('STRIPE PAYMENTS UK LTD')).toBe('STRIPE PAYMENTS UK LTD');
    expect(kept('Paypal Europe')).toBe('Paypal Europe');
    expect(kept('Jane Donor')).toBeNull();
    // A whole word: a donor called Stripeman is a person.
    expect(kept('J STRIPEMAN')).toBeNull();
    const sent = line('Jane Donor');
    getContract('bank_line', 2)!.validate(sent);
    expect(sent.counterparty).toBe('Jane Donor');
    const detail = { bank_line_detail_id: 'b1/1', occurred_at: '2026-11-29T10:00:00Z', bank_line_id: 'b1', counterparty: 'Jane Donor' };
    expect(getContract('bank_line_detail', 1)!.validate(detail).value?.counterparty).toBeNull();
    expect(getContract('bank_line', 2)!.personal).toHaveProperty('counterparty');
  });
});
