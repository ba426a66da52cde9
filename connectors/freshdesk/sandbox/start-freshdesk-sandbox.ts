import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { SandboxFaults } from '../../sandbox-kit/faults.js';
import type { ControlRouteOption } from '../../sandbox-kit/fault-route.js';
import { closeServer, headerValue, listenOnLoopback } from '../../sandbox-kit/local-server.js';
import { RateLimiter } from '../../sandbox-kit/rate-limiter.js';
import { BoundedRequestLog, type RequestLog } from '../../sandbox-kit/request-log.js';
import { FRESHDESK_PLAN_LIMITS, type FreshdeskLimits } from '../config.js';
import type { FreshdeskErrorBody, FreshdeskTicket } from '../raw.js';
import { AutomationRules, type AutomationRule, type RuleDelivery } from './automation-rules.js';
import { Helpdesk } from './helpdesk.js';
import { seedHelpdesk, type FreshdeskSeed } from './seed.js';

export { FRESHDESK_PLAN_LIMITS as FRESHDESK_PLANS, type FreshdeskLimits } from '../config.js';

export const MAX_PAGES = 300;
const DAY = 86_400_000;
const INCLUDES = new Set(['requester', 'stats', 'description', 'company', 'conversations']);

export interface FreshdeskSandboxOptions extends FreshdeskSeed, ControlRouteOption {
  /** 0 (default) picks a free port. */
  port?: number;
  now?: () => Date;
  apiKey?: string;
  /** The plan's limits, or explicit ones; 0 turns a bucket off. Default Growth. */
  limits?: FreshdeskLimits;
  /** How long the sandbox's "minute" is (a benchmark shrinks it, and the connector's budget with it). */
  minuteMs?: number;
  /** Credits each `include=` adds to a call (Airbyte's tickets page with two includes costs 3). Default 1. */
  includeCredits?: number;
  /** Automation rules that post webhooks on ticket events. */
  rules?: AutomationRule[];
}

export interface FreshdeskFaults extends SandboxFaults {
  /** Answer the next N calls with 502 (a load balancer's HTML page). */
  html5xx: number;
}

export interface FreshdeskSandbox {
  url: string;
  apiKey: string;
  helpdesk: Helpdesk;
  requests: RequestLog;
  faults: FreshdeskFaults;
  /** Credits charged so far, by endpoint (`tickets_list`, `contacts_list`, `ticket`, `ticket_fields`). */
  credits: Record<string, number>;
  /** Called after each list page is answered, with its path and page number (tests change data between two pages). */
  onPage: ((path: string, page: number) => void) | null;
  /** Another integration spending the account's credits. */
  spendCredits(n: number): void;
  deliveries(): RuleDelivery[];
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}

class FdError extends Error {
  constructor(
    readonly status: number,
    readonly body: FreshdeskErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.description ?? body.message ?? String(status));
  }
}

const invalid = (field: string, message: string, code = 'invalid_value') => new FdError(400, { description: 'Validation failed', errors: [{ field, message, code }] });

/**
 * A local server speaking Freshdesk's API v2 as the connector uses it: the tickets list with
 * updated_since / order_by / order_type / per_page / page / include / filter, the 300-page cap, `Link`
 * next headers, single tickets, contacts, ticket fields; Basic auth with the API key; `X-Ratelimit-*`
 * on every answer and per-minute token buckets (account credits, ticket-list and contact-list calls)
 * answering 429 with Retry-After; automation rules posting webhooks. Faults: 5xx, 429, 401, latency.
 */
export async function startFreshdeskSandbox(opts: FreshdeskSandboxOptions = {}): Promise<FreshdeskSandbox> {
  const clock = opts.now ?? (() => new Date());
  const helpdesk = new Helpdesk(() => clock().getTime());
  seedHelpdesk(helpdesk, opts);
  const apiKey = opts.apiKey ?? randomBytes(10).toString('base64url');
  const limits = opts.limits ?? FRESHDESK_PLAN_LIMITS.growth;
  const minuteMs = opts.minuteMs ?? 60_000;
  const includeCredits = opts.includeCredits ?? 1;
  const account = new RateLimiter(limits.perMinute, minuteMs);
  const buckets: Record<string, RateLimiter> = {
    tickets_list: new RateLimiter(limits.ticketsList, minuteMs),
    contacts_list: new RateLimiter(limits.contactsList, minuteMs),
  };
  const requests = new BoundedRequestLog();
  const faults: FreshdeskFaults = { status5xx: 0, status429: 0, html5xx: 0 };
  const credits: Record<string, number> = {};
  const rules = new AutomationRules(helpdesk, opts.rules ?? []);
  const sorted = new Map<string, { version: number; rows: FreshdeskTicket[] }>();
  let url = '';
  let n = 0;

  const sandbox: FreshdeskSandbox = {
    url: '', apiKey, helpdesk, requests, faults, credits, onPage: null,
    spendCredits: (c) => account.spend(c),
    deliveries: () => rules.deliveries,
    webhooksIdle: () => rules.idle(),
    async close() {
      rules.close();
      await closeServer(server);
    },
  };

  const server = createServer((req, res) => {
    if (opts.control?.(req, res)) return;
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _ of req); // drain
    const u = new URL(req.url ?? '/', 'http://sandbox');
    const requestId = `fd_${++n}`;
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    let used = 0;
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    try {
      const route = routeOf(req.method ?? 'GET', u.pathname);
      authenticate(req);
      if (faults.status5xx && faults.status5xx-- > 0) throw new FdError(503, { code: 'service_unavailable', message: 'Service temporarily unavailable' });
      if (faults.html5xx && faults.html5xx-- > 0) throw new FdError(502, {});
      if (faults.status429 && faults.status429-- > 0) throw new FdError(429, { code: 'rate_limit_exceeded', message: 'You have exceeded the limit of requests per minute' }, { 'retry-after': String(faults.retryAfterSeconds ?? 1) });
      used = 1 + includesOf(u).length * includeCredits;
      charge(route.bucket, used);
      credits[route.name] = (credits[route.name] ?? 0) + used;
      const out = route.serve(u);
      body = out.body;
      headers = out.headers ?? {};
    } catch (err) {
      const e = err instanceof FdError ? err : new FdError(500, { code: 'internal_error', message: 'We are experiencing some technical difficulties' });
      if (!(err instanceof FdError)) console.error('freshdesk sandbox:', err);
      status = e.status;
      body = e.body;
      headers = e.headers;
      if (status !== 429) used = status === 401 ? 0 : used;
    }
    const text = status === 502 ? '<html><body><h1>502 Bad Gateway</h1></body></html>' : JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'content-type': status === 502 ? 'text/html' : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-request-id': requestId,
      'x-ratelimit-total': String(limits.perMinute),
      'x-ratelimit-remaining': String(account.remaining()),
      'x-ratelimit-used-currentrequest': String(status === 429 ? 0 : used),
    });
    res.end(text);
    requests.record({ method: req.method ?? 'GET', path: `${u.pathname}${u.search}`, status, requestId });
  }

  function authenticate(req: IncomingMessage): void {
    const header = headerValue(req, 'authorization') ?? '';
    const m = /^Basic (.+)$/.exec(header);
    const user = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':')[0] : '';
    if (faults.status401 || user !== apiKey) throw new FdError(401, { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' });
  }

  /** Both the account and the endpoint must have room; a 429 says how long until they would. */
  function charge(bucket: string | null, cost: number): void {
    const b = bucket ? buckets[bucket] : undefined;
    if (account.has(cost) && (!b || b.has(1))) {
      account.take(cost);
      b?.take(1);
      return;
    }
    const wait = Math.max(account.has(cost) ? 0 : account.take(cost), b && !b.has(1) ? b.take(1) : 0);
    throw new FdError(429, { code: 'rate_limit_exceeded', message: 'You have exceeded the limit of requests per minute' }, { 'retry-after': String(wait) });
  }

  type Served = { body: unknown; headers?: Record<string, string> };
  function routeOf(method: string, path: string): { name: string; bucket: string | null; serve: (u: URL) => Served } {
    if (method === 'GET' && path === '/api/v2/tickets') return { name: 'tickets_list', bucket: 'tickets_list', serve: listTickets };
    if (method === 'GET' && path === '/api/v2/contacts') return { name: 'contacts_list', bucket: 'contacts_list', serve: listContacts };
    if (method === 'GET' && path === '/api/v2/ticket_fields') return { name: 'ticket_fields', bucket: null, serve: () => ({ body: helpdesk.fields() }) };
    const one = /^\/api\/v2\/tickets\/(\d+)$/.exec(path);
    if (method === 'GET' && one) return { name: 'ticket', bucket: null, serve: (u) => ({ body: viewTicket(Number(one[1]), includesOf(u)) }) };
    throw new FdError(404, { code: 'not_found', message: 'The requested resource was not found' });
  }

  function includesOf(u: URL): string[] {
    const raw = u.searchParams.get('include');
    if (!raw) return [];
    const list = raw.split(',').map((s) => s.trim());
    for (const i of list) if (!INCLUDES.has(i)) throw invalid('include', `It should be one/many of: ${[...INCLUDES].join(',')}`, 'invalid_value');
    return list;
  }

  function paging(u: URL, defaultPerPage = 30): { page: number; perPage: number } {
    const page = u.searchParams.has('page') ? Number(u.searchParams.get('page')) : 1;
    const perPage = u.searchParams.has('per_page') ? Number(u.searchParams.get('per_page')) : defaultPerPage;
    if (!Number.isInteger(page) || page < 1) throw invalid('page', 'It should be a Positive Number', 'datatype_mismatch');
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) throw invalid('per_page', 'Has to be greater than 0 and less than 100', 'invalid_value');
    return { page, perPage };
  }

  function since(u: URL, ...names: string[]): number | null {
    for (const name of names) {
      const v = u.searchParams.get(name);
      if (v === null) continue;
      const t = Date.parse(v);
      if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) throw invalid(name, 'It should be in the \'YYYY-MM-DDTHH:MM:SSZ\' format', 'invalid_date');
      return t;
    }
    return null;
  }

  /** One page of `rows`, with a `Link` to the next when there is more (also past page 300: following it is a 400). */
  function pageOf<T>(u: URL, rows: T[], page: number, perPage: number): Served {
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < rows.length) {
      const next = new URL(`${url}${u.pathname}`);
      for (const [k, v] of u.searchParams) if (k !== 'page') next.searchParams.set(k, v);
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    queueMicrotask(() => sandbox.onPage?.(u.pathname, page));
    return { body: slice, headers };
  }

  function listTickets(u: URL): Served {
    const { page, perPage } = paging(u);
    if (page > MAX_PAGES) throw invalid('page', `You cannot access tickets beyond the ${MAX_PAGES}th page. Please provide a smaller page number.`);
    const includes = includesOf(u);
    const filter = u.searchParams.get('filter');
    if (filter !== null && !['deleted', 'spam', 'new_and_my_open', 'watching'].includes(filter)) throw invalid('filter', 'It should be one of these values: \'new_and_my_open,watching,spam,deleted\'', 'invalid_value');
    const orderBy = u.searchParams.get('order_by') ?? 'created_at';
    const orderType = u.searchParams.get('order_type') ?? 'desc';
    if (!['created_at', 'updated_at', 'due_by', 'status'].includes(orderBy)) throw invalid('order_by', 'It should be one of these values: \'created_at,due_by,updated_at,status\'');
    if (!['asc', 'desc'].includes(orderType)) throw invalid('order_type', 'It should be one of these values: \'asc,desc\'');
    const from = since(u, 'updated_since');
    // Without updated_since, Freshdesk lists only tickets created in the last 30 days.
    const createdFrom = from === null ? clock().getTime() - 30 * DAY : -Infinity;
    const key = `${filter}|${orderBy}|${orderType}`;
    let cached = sorted.get(key);
    if (!cached || cached.version !== helpdesk.version) {
      const rows = [...helpdesk.tickets.values()].filter((t) =>
        filter === 'deleted' ? t.deleted === true : filter === 'spam' ? t.spam === true && !t.deleted : !t.deleted && !t.spam,
      );
      const dir = orderType === 'asc' ? 1 : -1;
      const k = (t: FreshdeskTicket) => (orderBy === 'status' ? t.status : Date.parse(String(t[orderBy])));
      rows.sort((a, b) => dir * (k(a) - k(b) || a.id - b.id));
      sorted.set(key, (cached = { version: helpdesk.version, rows }));
    }
    const rows = cached.rows.filter((t) => Date.parse(t.updated_at) >= (from ?? -Infinity) && Date.parse(t.created_at) >= createdFrom);
    const out = pageOf(u, rows, page, perPage);
    out.body = (out.body as FreshdeskTicket[]).map((t) => ticketView(t, includes));
    return out;
  }

  function ticketView(t: FreshdeskTicket, includes: string[]): Record<string, unknown> {
    const { stats, description, ...rest } = t;
    const out: Record<string, unknown> = structuredClone(rest);
    if (includes.includes('stats')) out.stats = { ...stats };
    if (includes.includes('description')) out.description = description;
    if (includes.includes('requester')) {
      const c = helpdesk.contacts.get(t.requester_id ?? -1);
      out.requester = c ? { id: c.id, name: c.name, email: c.email, mobile: c.mobile, phone: c.phone } : null;
    }
    return out;
  }

  function viewTicket(id: number, includes: string[]): unknown {
    const t = helpdesk.tickets.get(id);
    if (!t) throw new FdError(404, { code: 'not_found', message: 'The requested resource was not found' });
    const out = ticketView(t, includes);
    out.description = t.description;
    return out;
  }

  function listContacts(u: URL): Served {
    const { page, perPage } = paging(u);
    const from = since(u, '_updated_since', 'updated_since') ?? -Infinity;
    const rows = [...helpdesk.contacts.values()].filter((c) => Date.parse(c.updated_at) >= from).sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || a.id - b.id);
    const out = pageOf(u, rows, page, perPage);
    out.body = structuredClone(out.body);
    return out;
  }

  const port = await listenOnLoopback(server, opts.port);
  url = `http://127.0.0.1:${port}`;
  sandbox.url = url;
  return sandbox;
}
