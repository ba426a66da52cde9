import { describe, expect, it } from 'vitest';
import { freshdeskConfig } from './config.js';

const secrets = (values: Record<string, string>) => ({ get: (name: string) => values[name] });

describe('Freshdesk configuration', () => {
  it('takes a domain or a base URL, and the plan\'s per-minute limits unless given explicitly', () => {
    const c = freshdeskConfig(secrets({ FRESHDESK_API_KEY: 'k', FRESHDESK_DOMAIN: 'acme' }));
    expect(c.apiBase).toBe('https://acme.freshdesk.com');
    expect(c.limits).toEqual({ perMinute: 200, ticketsList: 20, contactsList: 20 });
    expect(c.donationIdField).toBe('cf_donation_id');
    expect(c.keepSubject).toBe(false);
    const pro = freshdeskConfig(secrets({ FRESHDESK_API_KEY: 'k', FRESHDESK_API_BASE: 'http://127.0.0.1:9/', FRESHDESK_PLAN: 'Pro', FRESHDESK_TICKET_LIST_PER_MINUTE: '60' }));
    expect(pro.apiBase).toBe('http://127.0.0.1:9');
    expect(pro.limits).toEqual({ perMinute: 400, ticketsList: 60, contactsList: 100 });
    expect(freshdeskConfig(secrets({ FRESHDESK_API_KEY: 'k', FRESHDESK_DOMAIN: 'help.acme.org' })).apiBase).toBe('https://help.acme.org');
  });

  it('names the setting that is wrong, never the key', () => {
    const base = { FRESHDESK_API_KEY: 'secret-key-1', FRESHDESK_DOMAIN: 'acme' };
    expect(() => freshdeskConfig(secrets({ FRESHDESK_DOMAIN: 'acme' }))).toThrow(/FRESHDESK_API_KEY is not set/);
    expect(() => freshdeskConfig(secrets({ FRESHDESK_API_KEY: 'k' }))).toThrow(/FRESHDESK_DOMAIN .* or FRESHDESK_API_BASE/);
    expect(() => freshdeskConfig(secrets({ FRESHDESK_API_KEY: 'k', FRESHDESK_API_BASE: 'https://acme.freshdesk.com/api/v2' }))).toThrow(/without \/api\/v2/);
    expect(() => freshdeskConfig(secrets({ ...base, FRESHDESK_PLAN: 'free' }))).toThrow(/FRESHDESK_PLAN must be one of growth, pro, enterprise/);
    expect(() => freshdeskConfig(secrets({ ...base, FRESHDESK_REQUESTS_PER_MINUTE: '-1' }))).toThrow(/FRESHDESK_REQUESTS_PER_MINUTE must be a positive number/);
    expect(() => freshdeskConfig(secrets({ ...base, FRESHDESK_REFERENCE_PATTERN: '(' }))).toThrow(/FRESHDESK_REFERENCE_PATTERN is not a valid regular expression/);
    expect(() => freshdeskConfig(secrets({ ...base, FRESHDESK_KEEP_SUBJECT: 'yes' }))).toThrow(/FRESHDESK_KEEP_SUBJECT must be true or false/);
    expect(() => freshdeskConfig(secrets({ ...base, FRESHDESK_START_DATE: 'soon' }))).toThrow(/FRESHDESK_START_DATE/);
    try {
      freshdeskConfig(secrets({ ...base, FRESHDESK_PLAN: 'free' }));
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-key-1');
    }
  });
});
