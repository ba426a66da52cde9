import type { Mapped } from '../../core/engine/mapped.js';
import { emailSha256 } from '../../core/pii.js';
import type { FreshdeskContact, FreshdeskTicket, FreshdeskTicketField } from './raw.js';

export interface FreshdeskMapOptions {
  donationIdField: string;
  paymentRefField: string | null;
  referencePattern: RegExp;
  crmIdField: string;
  keepSubject: boolean;
}

/** Status codes to labels; 6 and up are the account's own, read from ticket_fields. */
export type StatusLabels = Readonly<Record<string, string>>;
export const BUILT_IN_STATUSES: StatusLabels = { 2: 'open', 3: 'pending', 4: 'resolved', 5: 'closed' };
const PRIORITIES = ['', 'low', 'medium', 'high', 'urgent'];
const SOURCES: Record<number, string> = { 1: 'email', 2: 'portal', 3: 'phone', 5: 'twitter', 6: 'facebook', 7: 'chat', 8: 'mobihelp', 9: 'feedback_widget', 10: 'outbound_email', 11: 'ecommerce', 12: 'bot', 13: 'whatsapp' };

/** A Freshdesk contact's supporter id: Freshdesk's ids are bare numbers, so they carry the source. */
export const supporterIdOf = (contactId: number | string): string => `freshdesk:${contactId}`;

/** The custom statuses (6+) the status field's choices name (`{"6": ["Waiting on Finance", "..."]}`), lower-cased as the built-in ones. */
export function statusLabelsOf(fields: readonly FreshdeskTicketField[]): Record<string, string> {
  const status = fields.find((f) => f.name === 'status');
  const out: Record<string, string> = {};
  if (status?.choices && !Array.isArray(status.choices)) {
    for (const [code, labels] of Object.entries(status.choices)) {
      const agent = Array.isArray(labels) ? labels[0] : labels;
      if (typeof agent === 'string' && agent.trim() && !(code in BUILT_IN_STATUSES)) out[code] = agent.trim().toLowerCase();
    }
  }
  return out;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);
const time = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The payment a ticket names: its custom field, else the first match of the pattern in the subject or text (only the match is kept). */
export function paymentLink(t: FreshdeskTicket, opts: FreshdeskMapOptions): { payment_ref?: string; link_source?: string } {
  const field = opts.paymentRefField ? text(t.custom_fields?.[opts.paymentRefField]) : undefined;
  if (field) return { payment_ref: field, link_source: 'field' };
  for (const where of [t.subject, t.description_text]) {
    if (typeof where !== 'string') continue;
    const m = opts.referencePattern.exec(where);
    if (m) return { payment_ref: m[0], link_source: 'pattern' };
  }
  return {};
}

/**
 * A ticket as `ticket` v2. `pass` says which list it came from: tickets in the deleted and spam lists are
 * deleted or spam whatever their body says. The subject is kept only when asked (names live there);
 * the requester only as the hash of their email.
 */
export function mapTicket(t: FreshdeskTicket, opts: FreshdeskMapOptions, statuses: StatusLabels, pass: 'default' | 'deleted' | 'spam' = 'default'): Mapped[] {
  if (typeof t.id !== 'number' || typeof t.status !== 'number') throw new Error('ticket without a numeric id or status');
  const stats = t.stats ?? {};
  const payload: Record<string, unknown> = {
    ticket_id: String(t.id),
    occurred_at: t.created_at,
    updated_at: t.updated_at,
    status: BUILT_IN_STATUSES[t.status] ?? statuses[t.status] ?? `status_${t.status}`,
    priority: PRIORITIES[t.priority ?? 0] || undefined,
    subject: opts.keepSubject ? text(t.subject) : undefined,
    supporter_id: typeof t.requester_id === 'number' ? supporterIdOf(t.requester_id) : undefined,
    donation_id: text(t.custom_fields?.[opts.donationIdField]),
    type: text(t.type),
    requester_email_sha256: emailSha256(t.requester?.email) ?? undefined,
    ...paymentLink(t, opts),
    deleted: pass === 'deleted' || t.deleted === true,
    spam: pass === 'spam' || t.spam === true,
    source: typeof t.source === 'number' ? (SOURCES[t.source] ?? `source_${t.source}`) : undefined,
    resolved_at: time(stats.resolved_at),
    closed_at: time(stats.closed_at),
    first_responded_at: time(stats.first_responded_at),
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return [{ contract: 'ticket', version: 2, payload }];
}

/** A contact as `supporter` v2: email only hashed (and not at all once deleted), the CRM's id from the configured field. */
export function mapContact(c: FreshdeskContact, opts: Pick<FreshdeskMapOptions, 'crmIdField'>): Mapped[] {
  if (typeof c.id !== 'number') throw new Error('contact without a numeric id');
  const crm = opts.crmIdField === 'unique_external_id' ? c.unique_external_id : (c.custom_fields?.[opts.crmIdField] ?? c[opts.crmIdField]);
  const payload: Record<string, unknown> = {
    supporter_id: supporterIdOf(c.id),
    occurred_at: c.created_at,
    updated_at: c.updated_at,
    source: 'freshdesk',
    // A deleted contact keeps no personal field, not even the hash (as Stripe's and Salesforce's deletions).
    email_sha256: c.deleted === true ? undefined : (emailSha256(c.email) ?? undefined),
    crm_id: text(crm),
    deleted: c.deleted === true ? true : undefined,
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return [{ contract: 'supporter', version: 2, payload }];
}
