import { WebhookDeliveryQueue, type DeliveryProgress } from '../../sandbox-kit/webhook-delivery.js';
import type { FreshdeskTicket } from '../raw.js';
import type { Helpdesk, TicketEvent } from './helpdesk.js';

/**
 * An automation rule with a "Trigger Webhook" action, as data: which ticket events fire it, where it
 * posts, how it authenticates ("Requires Authentication" sends Basic auth; custom headers carry a token),
 * and the body: Freshdesk's default (`{"freshdesk_webhook": {...}}`, every value a string) or the
 * Advanced JSON template docs/connectors.md documents.
 */
export interface AutomationRule {
  url: string;
  events?: readonly TicketEvent[];
  basicAuth?: { user: string; password: string };
  headers?: Record<string, string>;
  body?: 'default' | 'template';
}

export interface RuleDelivery extends DeliveryProgress {
  ticketId: number;
  event: TicketEvent;
}

/** The Advanced template of docs/connectors.md, filled in the way Freshdesk fills placeholders (as text in the JSON). */
export function templateBody(h: Helpdesk, t: FreshdeskTicket, event: TicketEvent): string {
  return `{"ticket_id": ${t.id}, "event": "${event}", "status": "${h.statusLabel(t.status)}", "updated_at": "${t.updated_at}"}`;
}

/** The default body (fixture webhook_automation_ticket_created.json): requester's name and email included. */
export function defaultBody(h: Helpdesk, t: FreshdeskTicket, event: TicketEvent): string {
  const requester = h.contacts.get(t.requester_id ?? -1);
  return JSON.stringify({
    freshdesk_webhook: {
      triggered_event: event === 'created' ? '{ticket_action:created}' : `{ticket_action:${event}}`,
      ticket_id: String(t.id),
      ticket_url: `http://puddle-sandbox.freshdesk.com/helpdesk/tickets/${t.id}`,
      ticket_type: t.type ?? '',
      ticket_subject: t.subject ?? '',
      ticket_description: t.description ?? '',
      ticket_status: h.statusLabel(t.status),
      ticket_priority: h.priorityLabel(t.priority),
      requester_name: requester?.name ?? '',
      requester_email: requester?.email ?? '',
    },
  });
}

/** Posts each rule's webhook on the ticket events it watches, in order, retried on failure (compressed time). */
export class AutomationRules {
  private readonly queues: { rule: AutomationRule; queue: WebhookDeliveryQueue<RuleDelivery> }[];

  constructor(
    private readonly h: Helpdesk,
    rules: readonly AutomationRule[],
  ) {
    this.queues = rules.map((rule) => ({ rule, queue: new WebhookDeliveryQueue<RuleDelivery>(rule.url) }));
    h.listeners.push((t, event) => this.fire(t, event));
  }

  get deliveries(): RuleDelivery[] {
    return this.queues.flatMap((q) => q.queue.deliveries);
  }

  private fire(t: FreshdeskTicket, event: TicketEvent): void {
    for (const { rule, queue } of this.queues) {
      if (rule.events && !rule.events.includes(event)) continue;
      const body = rule.body === 'template' ? templateBody(this.h, t, event) : defaultBody(this.h, t, event);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Freshdesk', ...rule.headers };
      if (rule.basicAuth) headers.authorization = `Basic ${Buffer.from(`${rule.basicAuth.user}:${rule.basicAuth.password}`).toString('base64')}`;
      queue.enqueue({ ticketId: t.id, event, attempts: 0, status: null, ok: false }, { body, headers: () => headers });
    }
  }

  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.queue.idle()));
  }

  close(): void {
    for (const q of this.queues) q.queue.close();
  }
}
