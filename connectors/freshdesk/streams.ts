import { FatalError } from '../../core/errors.js';
import { defineStream, type ListedStream, type Page, type StreamContext, type StreamDef, type Window } from '../../core/engine/define.js';
import type { FreshdeskClient } from './client.js';
import { mapContact, mapTicket, statusLabelsOf, type FreshdeskMapOptions, type StatusLabels } from './mappings.js';
import type { FreshdeskContact, FreshdeskTicket, FreshdeskTicketField } from './raw.js';

/** Freshdesk serves at most 300 pages of a list; page 301 is a 400. */
export const MAX_PAGES = 300;
const PER_PAGE = 100;
const INCLUDE = 'requester,stats';
const STATUSES_KEY = 'freshdesk:ticket_statuses';
const DAY = 86_400_000;
/** Freshdesk's times are to the second, and a ticket saved this second may not list yet. */
const LAG_MS = 60_000;
const LOOKBACK_MS = 5 * 60_000;

export const FRESHDESK_STREAM_NAMES = ['ticket_fields', 'contacts', 'tickets', 'deleted_tickets', 'spam_tickets'] as const;

export interface FreshdeskStreamOptions extends FreshdeskMapOptions {
  /** Credits one `include=` adds: a tickets page with requester and stats costs 1 + 2 x this. */
  includeCredits: number;
}

type Ctx = StreamContext<FreshdeskClient>;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The page token of a ticket list: `<updated_since>|<page>`. Each page restarts from the last
 * `updated_at` it held, so the list is read by time, not by offset: a ticket updated while being paged
 * moves to the end without shifting another past us, and the 300-page cap is never reached, unless more
 * than 300 full pages share one second, which cannot advance and fails loudly. The rows of that last
 * second come again on the next page and land once (same envelope id).
 */
export async function ticketListPage(ctx: Ctx, opts: FreshdeskStreamOptions, filter: 'deleted' | 'spam' | null, window: Window, token: string | null): Promise<Page<FreshdeskTicket>> {
  const [since, pageText] = token ? token.split('|') : [iso(window.from), '1'];
  const page = Number(pageText);
  if (!since || !Number.isInteger(page) || page < 1) throw new FatalError(`freshdesk: bad page token ${token}`);
  const q = new URLSearchParams({ updated_since: since, order_by: 'updated_at', order_type: 'asc', per_page: String(PER_PAGE), page: String(page), include: INCLUDE });
  if (filter) q.set('filter', filter);
  const answer = await ctx.call(`tickets${filter ? `:${filter}` : ''} page ${page}`, () => ctx.client.get<FreshdeskTicket[]>(`/api/v2/tickets?${q}`), {
    cost: 1 + 2 * opts.includeCredits,
    endpoint: 'tickets_list',
  });
  if (!Array.isArray(answer.body)) throw new FatalError('freshdesk: the tickets list did not answer an array');
  const to = window.to.getTime();
  const rows = answer.body.filter((t) => Date.parse(t.updated_at) < to);
  // Past the window's end, or the last page: this window is done.
  if (rows.length < answer.body.length || answer.next === null || answer.body.length < PER_PAGE) return { records: rows, next: null };
  const last = rows[rows.length - 1]!.updated_at;
  if (Date.parse(last) > Date.parse(since)) return { records: rows, next: `${last}|1` };
  // A whole page inside one second: only the next page can move on, up to the cap.
  if (page >= MAX_PAGES) {
    throw new FatalError(`freshdesk: more than ${MAX_PAGES} pages of tickets share updated_at ${since}; the list cannot be restarted past them`);
  }
  return { records: rows, next: `${since}|${page + 1}` };
}

function ticketStream(name: string, filter: 'deleted' | 'spam' | null, opts: FreshdeskStreamOptions): ListedStream<FreshdeskClient, FreshdeskTicket> {
  const pass = filter ?? 'default';
  return defineStream<FreshdeskClient, FreshdeskTicket>({
    name,
    contract: 'ticket',
    primaryKey: (t) => String(t.id),
    cursor: (t) => new Date(t.updated_at),
    windows: { sizeMs: 30 * DAY, lookbackMs: LOOKBACK_MS, lagMs: LAG_MS },
    fetchPage: (ctx, { window, token }) => ticketListPage(ctx, opts, filter, window!, token),
    // A webhook's prompt: the ticket as it is now, whichever list it is in (a deleted ticket says so itself).
    fetchById: filter
      ? undefined
      : async (ctx, id) => {
          if (!/^\d+$/.test(id)) return null;
          const answer = await ctx.call(`ticket ${id}`, () => ctx.client.get<FreshdeskTicket>(`/api/v2/tickets/${id}?include=${INCLUDE}`), { cost: 1 + 2 * opts.includeCredits });
          return answer.body;
        },
    prepare: async (ctx) => (await ctx.state.get<StatusLabels>(STATUSES_KEY)) ?? {},
    toContract: (t, prepared) => mapTicket(t, opts, prepared as StatusLabels, pass),
  });
}

export function freshdeskStreams(opts: FreshdeskStreamOptions): StreamDef<FreshdeskClient, never>[] {
  const fields = defineStream<FreshdeskClient, FreshdeskTicketField>({
    name: 'ticket_fields',
    contract: 'ticket',
    primaryKey: (f) => String(f.id),
    // The account's custom statuses (6 and up), kept for the ticket mappings: no rows of its own.
    fetchPage: async (ctx) => {
      const answer = await ctx.call('ticket_fields', () => ctx.client.get<FreshdeskTicketField[]>('/api/v2/ticket_fields'));
      if (!Array.isArray(answer.body)) throw new FatalError('freshdesk: ticket_fields did not answer an array');
      await ctx.state.set(STATUSES_KEY, statusLabelsOf(answer.body));
      return { records: [], next: null };
    },
    toContract: () => [],
  });
  const contacts = defineStream<FreshdeskClient, FreshdeskContact>({
    name: 'contacts',
    contract: 'supporter',
    primaryKey: (c) => String(c.id),
    cursor: (c) => new Date(c.updated_at),
    windows: { sizeMs: 365 * DAY, lookbackMs: LOOKBACK_MS, lagMs: LAG_MS },
    // Contacts list in no documented order, so they are paged by number from the window's start.
    fetchPage: async (ctx, { window, token }) => {
      const page = token ? Number(token) : 1;
      if (page > MAX_PAGES) throw new FatalError(`freshdesk: more than ${MAX_PAGES} pages of contacts changed since ${iso(window!.from)}; set FRESHDESK_START_DATE later`);
      const q = new URLSearchParams({ _updated_since: iso(window!.from), per_page: String(PER_PAGE), page: String(page) });
      const answer = await ctx.call(`contacts page ${page}`, () => ctx.client.get<FreshdeskContact[]>(`/api/v2/contacts?${q}`), { endpoint: 'contacts_list' });
      if (!Array.isArray(answer.body)) throw new FatalError('freshdesk: the contacts list did not answer an array');
      const rows = answer.body.filter((c) => Date.parse(c.updated_at) < window!.to.getTime());
      return { records: rows, next: answer.next && answer.body.length === PER_PAGE ? String(page + 1) : null };
    },
    toContract: (c) => mapContact(c, opts),
  });
  return [fields, contacts, ticketStream('tickets', null, opts), ticketStream('deleted_tickets', 'deleted', opts), ticketStream('spam_tickets', 'spam', opts)];
}
