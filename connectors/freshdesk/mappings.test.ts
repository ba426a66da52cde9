import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getContract } from '../../core/contracts/index.js';
import { emailSha256, scrubPersonalData } from '../../core/pii.js';
import { DEFAULT_REFERENCE_PATTERN } from './config.js';
import { mapContact, mapTicket, statusLabelsOf } from './mappings.js';
import type { FreshdeskTicket } from './raw.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../test/fixtures/freshdesk/${name}`, import.meta.url), 'utf8')) as T;
const opts = { donationIdField: 'cf_donation_id', paymentRefField: 'cf_payment_reference', referencePattern: new RegExp(DEFAULT_REFERENCE_PATTERN), crmIdField: 'unique_external_id', keepSubject: false };

describe('Freshdesk mappings', () => {
  it('maps a recorded list row (include=requester,stats) to a valid ticket v2 with the email only hashed', () => {
    const [row] = fixture<FreshdeskTicket[]>('tickets_list_include_requester_stats.json');
    const [m] = mapTicket(row!, opts, {});
    expect(m).toEqual({
      contract: 'ticket', version: 2,
      payload: {
        ticket_id: '21', occurred_at: '2022-11-16T15:59:28Z', updated_at: '2022-11-16T15:59:28Z', status: 'closed', priority: 'low',
        supporter_id: 'freshdesk:67042965499', requester_email_sha256: emailSha256('iryna.grankova@airbyte.io'), deleted: false, spam: false,
        source: 'outbound_email', resolved_at: '2022-11-16T15:59:28Z', closed_at: '2022-11-16T15:59:28Z',
      },
    });
    expect(getContract('ticket', 2)!.validate(m!.payload).errors).toBeNull();
    // The raw trail keeps the shape, not the person: names, emails, phones, subject and text are replaced.
    const raw = JSON.stringify(scrubPersonalData(row));
    for (const personal of ['Iryna', 'airbyte.io', '+380', 'newaccount1603334233301', '"subject":"Test"']) expect(raw).not.toContain(personal);
  });

  it('takes the payment from the field, else only the pattern match; subject only when asked; custom statuses by label', () => {
    const t = fixture<FreshdeskTicket>('ticket_with_include_stats.json');
    const text = { ...t, status: 6, subject: 'Charged twice (Jo Bloggs)', description_text: 'My card was charged twice, ch_3Ab8JYkPo2VBUHrC1 and ch_3Ab8JYkPo2VBUHrC2' };
    const statuses = statusLabelsOf([{ id: 4, name: 'status', type: 'default_status', choices: { 2: ['Open', 'x'], 6: ['Waiting on Finance', 'y'] } }]);
    expect(mapTicket(text, opts, statuses)[0]!.payload).toMatchObject({ status: 'waiting on finance', payment_ref: 'ch_3Ab8JYkPo2VBUHrC1', link_source: 'pattern', type: 'Problem', source: 'email' });
    expect(mapTicket(text, opts, statuses)[0]!.payload).not.toHaveProperty('subject');
    expect(mapTicket({ ...text, custom_fields: { cf_payment_reference: 'pi_fromTheField01' } }, { ...opts, keepSubject: true }, {})[0]!.payload).toMatchObject({
      payment_ref: 'pi_fromTheField01', link_source: 'field', subject: 'Charged twice (Jo Bloggs)', status: 'status_6',
    });
    expect(mapTicket(t, opts, {}, 'deleted')[0]!.payload).toMatchObject({ deleted: true, spam: false });
    expect(() => mapTicket({ ...t, id: 'x' as unknown as number }, opts, {})).toThrow(/numeric id/);
  });

  it('maps a contact to supporter v2 with the CRM id from the configured field', () => {
    const c = { id: 5, name: 'Jo', email: ' Jo@Example.org ', other_emails: ['jo2@example.org'], custom_fields: { sf_id: '0038d000001' }, created_at: '2026-11-01T10:00:00Z', updated_at: '2026-11-02T10:00:00Z' };
    const [m] = mapContact(c, { crmIdField: 'sf_id' });
    expect(m!.payload).toEqual({ supporter_id: 'freshdesk:5', occurred_at: '2026-11-01T10:00:00Z', updated_at: '2026-11-02T10:00:00Z', source: 'freshdesk', email_sha256: emailSha256('jo@example.org'), crm_id: '0038d000001' });
    expect(getContract('supporter', 2)!.validate(m!.payload).errors).toBeNull();
    expect(JSON.stringify(scrubPersonalData(c))).not.toContain('example.org');
  });

  it('maps a deleted contact as a deleted supporter without its email hash (as Stripe and Salesforce)', () => {
    const c = { id: 5, email: 'jo@example.org', created_at: '2026-11-01T10:00:00Z', updated_at: '2026-11-02T10:00:00Z', deleted: true };
    const [m] = mapContact(c, { crmIdField: 'unique_external_id' });
    expect(m!.payload).toEqual({ supporter_id: 'freshdesk:5', occurred_at: '2026-11-01T10:00:00Z', updated_at: '2026-11-02T10:00:00Z', source: 'freshdesk', deleted: true });
    expect(getContract('supporter', 2)!.validate(m!.payload).errors).toBeNull();
  });
});
