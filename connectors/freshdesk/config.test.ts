import { describe, expect, it } from 'vitest';
import { ConfigError, FatalError } from '../../core/errors.js';
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
    const thrown = (values: Record<string, string>): Error => {
      try {
        freshdeskConfig(secrets(values));
      } catch (err) {
        return err as Error;
      }
      throw new Error('no error');
    };
    // Neither: not configured (the hub runs the sandbox), not a wrong setting.
    expect(thrown({})).toBeInstanceOf(FatalError);
    expect(thrown({})).not.toBeInstanceOf(ConfigError);
    // One without the other: a mistake, naming what is missing and what is set, never the key. Until 2026-12-02
    // both were only "not configured", and the hub ran the sandbox in the charity's helpdesk's place.
    expect(thrown({ FRESHDESK_DOMAIN: 'acme' })).toBeInstanceOf(ConfigError);
    expect(thrown({ FRESHDESK_DOMAIN: 'acme' }).message).toBe(
      'FRESHDESK_API_KEY must be set too: FRESHDESK_DOMAIN is set, and freshdesk needs all of FRESHDESK_API_KEY, FRESHDESK_DOMAIN or FRESHDESK_API_BASE (or none, to leave it unconfigured)',
    );
    const keyOnly = thrown({ FRESHDESK_API_KEY: 'secret-key-1' });
    expect(keyOnly).toBeInstanceOf(ConfigError);
    expect(keyOnly.message).toMatch(/^FRESHDESK_DOMAIN or FRESHDESK_API_BASE must be set too: FRESHDESK_API_KEY is set/);
    expect(keyOnly.message).not.toContain('secret-key-1');
    // Set but wrong: a ConfigError, key or no key.
    const wrong: [Record<string, string>, string][] = [
      [{ FRESHDESK_API_BASE: 'https://acme.freshdesk.com/api/v2' }, "FRESHDESK_API_BASE must be the host's URL such as https://acme.freshdesk.com, without /api/v2"],
      [{ FRESHDESK_PLAN: 'free' }, 'FRESHDESK_PLAN must be one of growth, pro, enterprise (got "free")'],
      [{ FRESHDESK_REQUESTS_PER_MINUTE: '-1' }, 'FRESHDESK_REQUESTS_PER_MINUTE must be a number above 0 (got "-1")'],
      [{ FRESHDESK_REFERENCE_PATTERN: '(' }, 'FRESHDESK_REFERENCE_PATTERN must be a valid regular expression (got "(")'],
      [{ FRESHDESK_KEEP_SUBJECT: 'yes' }, 'FRESHDESK_KEEP_SUBJECT must be one of true, false (got "yes")'],
      [{ FRESHDESK_CONCURRENCY: '1.5' }, 'FRESHDESK_CONCURRENCY must be a whole number of 1 or more (got "1.5")'],
      [{ FRESHDESK_WEBHOOK_HEADER: 'X Puddle Token' }, 'FRESHDESK_WEBHOOK_HEADER must be a header name such as X-Puddle-Token (got "X Puddle Token")'],
    ];
    for (const [values, message] of wrong) {
      expect(thrown({ ...base, ...values }).message).toBe(message);
      // Without the key too (a base URL without a key is also credentials set in part: a line of its own).
      expect(thrown(values), message).toBeInstanceOf(ConfigError);
      expect(thrown(values).message.split('\n')[0]).toBe(message);
    }
    expect(thrown({ ...base, FRESHDESK_START_DATE: 'soon' }).message).toMatch(/^FRESHDESK_START_DATE must be a date/);
    // Every wrong setting at once, a line each.
    expect(thrown({ FRESHDESK_PLAN: 'enterprize', FRESHDESK_KEEP_SUBJECT: 'yes' }).message).toBe(
      'FRESHDESK_PLAN must be one of growth, pro, enterprise (got "enterprize")\nFRESHDESK_KEEP_SUBJECT must be one of true, false (got "yes")',
    );
    expect(thrown({ ...base, FRESHDESK_PLAN: 'free' }).message).not.toContain('secret-key-1');
  });
});
