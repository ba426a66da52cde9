import type { FreshdeskContact, FreshdeskTicket, FreshdeskTicketField } from '../raw.js';

/** Freshdesk writes times to the second: `2024-10-28T20:58:29Z`. */
export const fdTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export type TicketEvent = 'created' | 'updated' | 'deleted' | 'spam' | 'unspam';

/** The account's statuses: 2..5 built in, 6 a custom one ("Waiting on Finance"), as ticket_fields serves them. */
export const STATUS_CHOICES: Record<string, [string, string]> = {
  2: ['Open', 'Being Processed'],
  3: ['Pending', 'Awaiting your Reply'],
  4: ['Resolved', 'This ticket has been Resolved'],
  5: ['Closed', 'This ticket has been Closed'],
  6: ['Waiting on Finance', 'Being Processed'],
};
export const TICKET_TYPES = ['Refund request', 'Cancel regular gift', 'Receipt request', 'Gift Aid query', 'Question'];
const PRIORITY_LABELS = ['', 'Low', 'Medium', 'High', 'Urgent'];

/**
 * The account's data: tickets, contacts, ticket fields. Every change stamps `updated_at` with the sandbox
 * clock (to the second, as Freshdesk) and tells the listeners (the automation rules).
 */
export class Helpdesk {
  readonly tickets = new Map<number, FreshdeskTicket>();
  readonly contacts = new Map<number, FreshdeskContact>();
  readonly listeners: ((ticket: FreshdeskTicket, event: TicketEvent) => void)[] = [];
  /** Bumped by every change: list answers cache their sorted order per version. */
  version = 0;
  private nextTicket = 1;
  private nextContact = 67_000_000_001;

  constructor(readonly now: () => number) {}

  fields(): FreshdeskTicketField[] {
    return [
      { id: 1, name: 'requester', label: 'Search a requester', type: 'default_requester', default: true },
      { id: 2, name: 'subject', label: 'Subject', type: 'default_subject', default: true },
      { id: 3, name: 'ticket_type', label: 'Type', type: 'default_ticket_type', default: true, choices: TICKET_TYPES },
      { id: 4, name: 'status', label: 'Status', type: 'default_status', default: true, choices: STATUS_CHOICES },
      { id: 5, name: 'priority', label: 'Priority', type: 'default_priority', default: true, choices: { Low: 1, Medium: 2, High: 3, Urgent: 4 } },
      { id: 6, name: 'cf_donation_id', label: 'Donation ID', type: 'custom_text', default: false },
      { id: 7, name: 'cf_payment_reference', label: 'Payment reference', type: 'custom_text', default: false },
    ];
  }

  addContact(c: { name: string; email: string; phone?: string; other_emails?: string[]; unique_external_id?: string }, at = this.now()): FreshdeskContact {
    const t = fdTime(at);
    const contact: FreshdeskContact = {
      id: this.nextContact++, name: c.name, email: c.email, other_emails: c.other_emails ?? [], phone: c.phone ?? null, mobile: null,
      unique_external_id: c.unique_external_id ?? null, active: true, address: null, job_title: null, language: 'en', time_zone: 'London',
      twitter_id: null, custom_fields: {}, created_at: t, updated_at: t,
    };
    this.contacts.set(contact.id, contact);
    this.version++;
    return contact;
  }

  updateContact(id: number, changes: Partial<FreshdeskContact>, at = this.now()): FreshdeskContact {
    const c = this.contacts.get(id);
    if (!c) throw new Error(`no contact ${id}`);
    Object.assign(c, changes, { updated_at: fdTime(at) });
    this.version++;
    return c;
  }

  addTicket(t: { requester_id: number; subject: string; description: string; type?: string | null; status?: number; priority?: number; source?: number; custom_fields?: Record<string, unknown> }, at = this.now()): FreshdeskTicket {
    const time = fdTime(at);
    const ticket: FreshdeskTicket = {
      cc_emails: [], fwd_emails: [], reply_cc_emails: [], ticket_cc_emails: [], fr_escalated: false, spam: false, email_config_id: null, group_id: null,
      priority: t.priority ?? 1, requester_id: t.requester_id, responder_id: null, source: t.source ?? 1, company_id: null, status: t.status ?? 2,
      subject: t.subject, association_type: null, support_email: 'support@puddle-sandbox.freshdesk.com', to_emails: ['support@puddle-sandbox.freshdesk.com'],
      product_id: null, id: this.nextTicket++, type: t.type ?? null, due_by: fdTime(at + 3 * 86_400_000), fr_due_by: fdTime(at + 86_400_000),
      is_escalated: false, description: `<div>${t.description}</div>`, description_text: t.description,
      custom_fields: { cf_donation_id: null, cf_payment_reference: null, ...t.custom_fields }, created_at: time, updated_at: time, tags: [], attachments: [],
      stats: { agent_responded_at: null, requester_responded_at: null, first_responded_at: null, status_updated_at: time, reopened_at: null, resolved_at: null, closed_at: null, pending_since: null },
    };
    this.tickets.set(ticket.id, ticket);
    this.changed(ticket, 'created');
    return ticket;
  }

  /** Change a ticket as an agent would: status times follow the status, and `updated_at` moves. */
  updateTicket(id: number, changes: Partial<Pick<FreshdeskTicket, 'status' | 'priority' | 'type' | 'subject'>> & { custom_fields?: Record<string, unknown>; responded?: boolean }, at = this.now()): FreshdeskTicket {
    const t = this.ticket(id);
    const time = fdTime(at);
    const stats = (t.stats ??= {});
    if (changes.status !== undefined && changes.status !== t.status) {
      stats.status_updated_at = time;
      if (changes.status === 3) stats.pending_since = time;
      if (changes.status === 4) stats.resolved_at = time;
      if (changes.status === 5) stats.closed_at = time;
      t.status = changes.status;
    }
    if (changes.responded && !stats.first_responded_at) stats.first_responded_at = stats.agent_responded_at = time;
    if (changes.priority !== undefined) t.priority = changes.priority;
    if (changes.type !== undefined) t.type = changes.type;
    if (changes.subject !== undefined) t.subject = changes.subject;
    if (changes.custom_fields) t.custom_fields = { ...t.custom_fields, ...changes.custom_fields };
    t.updated_at = time;
    this.changed(t, 'updated');
    return t;
  }

  deleteTicket(id: number, at = this.now()): void {
    const t = this.ticket(id);
    t.deleted = true;
    t.updated_at = fdTime(at);
    this.changed(t, 'deleted');
  }

  markSpam(id: number, spam: boolean, at = this.now()): void {
    const t = this.ticket(id);
    t.spam = spam;
    t.updated_at = fdTime(at);
    this.changed(t, spam ? 'spam' : 'unspam');
  }

  ticket(id: number): FreshdeskTicket {
    const t = this.tickets.get(id);
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }

  statusLabel(status: number): string {
    return STATUS_CHOICES[status]?.[0] ?? String(status);
  }

  priorityLabel(priority: number | null | undefined): string {
    return PRIORITY_LABELS[priority ?? 0] || '';
  }

  private changed(t: FreshdeskTicket, event: TicketEvent): void {
    this.version++;
    for (const l of this.listeners) l(t, event);
  }
}
