import { describe, expect, it } from 'vitest';
import { checkEvent, PERSONAL_DATA_ADVICE } from './producer-routes.js';

const payload = { donation_id: 'd-1', occurred_at: '2026-11-27T20:15:03Z', channel: 'sms', amount_minor: 500, currency: 'GBP' };
const versionErrors = (ev: Record<string, unknown>) => {
  const r = checkEvent({ contract: 'donation', payload, ...ev });
  return 'errors' in r ? r.errors.filter((e) => e.path === 'version').map((e) => e.message) : [];
};

describe('checkEvent: the contract version', () => {
  it('says a missing version is required', () => {
    expect(versionErrors({})).toEqual(['is required: an integer contract version']);
    expect(versionErrors({ version: null })).toEqual(['is required: an integer contract version']);
  });

  it('says a version sent as a string or a fraction must be an integer, not that it is missing', () => {
    for (const version of ['1', 1.5, true]) expect(versionErrors({ version }), String(version)).toEqual(['must be an integer contract version, e.g. 1']);
  });

  it('still takes an integer version', () => {
    expect(checkEvent({ contract: 'donation', version: 1, payload })).not.toHaveProperty('errors');
  });
});

describe('checkEvent: donation v2, the SMS network', () => {
  const sms = { ...payload, status: 'paid', payment_provider: 'donr', payment_ref: 'DNR-1', cta: 'APPEAL5' };
  const errorsOf = (ev: Record<string, unknown>) => {
    const r = checkEvent(ev);
    return 'errors' in r ? r.errors : [];
  };

  it('takes the network on v2, and v1 senders go on as they were', () => {
    const r = checkEvent({ contract: 'donation', version: 2, payload: { ...sms, sms_network: 'EE' } });
    expect(r).toMatchObject({ contract: { name: 'donation', version: 2 }, value: { sms_network: 'EE', amount_minor: 500 } });
    expect(checkEvent({ contract: 'donation', version: 2, payload: sms })).toMatchObject({ value: { sms_network: null } });
    expect(checkEvent({ contract: 'donation', version: 1, payload: sms })).toMatchObject({ contract: { version: 1 } });
  });

  it('tells a v1 sender with the network which version has it, rather than that no such field exists', () => {
    expect(errorsOf({ contract: 'donation', version: 1, payload: { ...sms, sms_network: 'EE' } })).toEqual([
      { path: 'payload.sms_network', message: 'is not a field of donation version 1: version 2 has it, so send "version": 2' },
    ]);
  });

  it('refuses a field no version has (a mobile number) naming it alone, never its value, and says what to send instead of contact details', () => {
    const errors = errorsOf({ contract: 'donation', version: 2, payload: { ...sms, msisdn: '447700900123', constructor: 'x' } });
    // Until 2026-12-06 the mobile number got "is not a field of this contract" alone (a user test).
    expect(errors).toEqual([
      { path: 'payload.msisdn', message: `is not a field of this contract: ${PERSONAL_DATA_ADVICE}` },
      { path: 'payload.constructor', message: 'is not a field of this contract' },
    ]);
    expect(PERSONAL_DATA_ADVICE).toContain('SHA-256 (hex) of its E.164 form');
    expect(JSON.stringify(errors)).not.toContain('447700900123');
  });

  it('refuses an email address or a card number as the network (free text: it lands as sent)', () => {
    for (const bad of ['jane@example.com', '4111 1111 1111 1111']) {
      const errors = errorsOf({ contract: 'donation', version: 2, payload: { ...sms, sms_network: bad } });
      expect(errors.map((e) => e.path)).toEqual(['payload.sms_network']);
      expect(JSON.stringify(errors)).not.toContain(bad);
    }
  });
});

describe('checkEvent: a giro request, which the print house is served as it lands', () => {
  const giro = { school_giro_request_id: 'sgr-1', occurred_at: '2026-11-20T09:00:00Z', school_name: 'St Example Primary', address_line1: '1 School Lane', town: 'Exampleton', postcode: 'EX1 2MP', pack_size: 30, requested_at: '2026-11-20T09:00:00Z' };

  it("refuses an email address or a card number in the school's name or address, naming the field, never the value", () => {
    expect(checkEvent({ contract: 'school_giro_request', version: 1, payload: giro })).not.toHaveProperty('errors');
    for (const field of ['school_name', 'address_line1', 'address_line2', 'town']) {
      for (const bad of ['jo.q@example.org', 'card 4111 1111 1111 1111 exp 12/29']) {
        const r = checkEvent({ contract: 'school_giro_request', version: 1, payload: { ...giro, [field]: bad } });
        const errors = 'errors' in r ? r.errors : [];
        expect(errors.map((e) => e.path), `${field}: ${bad}`).toEqual([`payload.${field}`]);
        expect(JSON.stringify(errors)).not.toContain(bad);
      }
    }
  });
});

describe('checkEvent: a click', () => {
  const click = { click_id: 'clk-1', occurred_at: '2026-11-20T09:00:00Z', campaign: 'appeal', cta: 'tv-qr', channel: 'web' };

  it("refuses an email address in its url's query string, naming the field, never the value", () => {
    expect(checkEvent({ contract: 'click', version: 1, payload: { ...click, url: 'https://give.example.org/donate?utm_source=tv' } })).not.toHaveProperty('errors');
    const r = checkEvent({ contract: 'click', version: 1, payload: { ...click, url: 'https://give.example.org/donate?email=jo.q%40example.org' } });
    const errors = 'errors' in r ? r.errors : [];
    expect(errors.map((e) => e.path)).toEqual(['payload.url']);
    expect(JSON.stringify(errors)).not.toContain('jo.q');
  });
});

