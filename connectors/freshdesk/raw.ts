// The Freshdesk API v2 fields the connector reads (wire facts: test/fixtures/freshdesk/), and the sandbox serves.

export interface FreshdeskRequester {
  id: number;
  name?: string | null;
  email?: string | null;
  mobile?: string | null;
  phone?: string | null;
}

export interface FreshdeskStats {
  agent_responded_at?: string | null;
  requester_responded_at?: string | null;
  first_responded_at?: string | null;
  status_updated_at?: string | null;
  reopened_at?: string | null;
  resolved_at?: string | null;
  closed_at?: string | null;
  pending_since?: string | null;
}

export interface FreshdeskTicket {
  id: number;
  subject?: string | null;
  description?: string | null;
  description_text?: string | null;
  /** 2 open, 3 pending, 4 resolved, 5 closed; 6 and up are the account's custom statuses (ticket_fields). */
  status: number;
  /** 1 low, 2 medium, 3 high, 4 urgent. */
  priority?: number | null;
  /** 1 email, 2 portal, 3 phone, 7 chat, 9 feedback widget, 10 outbound email, ... */
  source?: number | null;
  type?: string | null;
  requester_id?: number | null;
  spam?: boolean;
  /** Only on tickets read from `filter=deleted` or by id after deletion. */
  deleted?: boolean;
  custom_fields?: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  requester?: FreshdeskRequester | null;
  stats?: FreshdeskStats | null;
  [other: string]: unknown;
}

export interface FreshdeskContact {
  id: number;
  name?: string | null;
  email?: string | null;
  other_emails?: string[] | null;
  phone?: string | null;
  mobile?: string | null;
  unique_external_id?: string | null;
  custom_fields?: Record<string, unknown> | null;
  deleted?: boolean;
  created_at: string;
  updated_at: string;
  [other: string]: unknown;
}

/** One of `GET /api/v2/ticket_fields`; the status field's choices are `{ "6": ["Agent label", "Customer label"] }`. */
export interface FreshdeskTicketField {
  id: number;
  name: string;
  label?: string;
  type: string;
  default?: boolean;
  choices?: Record<string, unknown> | unknown[] | null;
}

/** Freshdesk's error body: `{"description": "...", "errors": [{"field", "message", "code"}]}`. */
export interface FreshdeskErrorBody {
  description?: string;
  errors?: { field?: string; message?: string; code?: string }[];
  code?: string;
  message?: string;
}

/** The default body of an automation rule's "Trigger Webhook" (every value a string, status and priority as labels). */
export interface FreshdeskWebhookBody {
  freshdesk_webhook?: { ticket_id?: unknown; triggered_event?: unknown; [k: string]: unknown } | null;
  ticket_id?: unknown;
  [k: string]: unknown;
}
