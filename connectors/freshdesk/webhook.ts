import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Prompter, RefetchPrompt } from '../../core/engine/refetch.js';
import { RAW_ONLY_CONTRACT, makeEnvelope } from '../../core/envelope.js';
import { sendTooManyFailures } from '../../core/http/auth-failures.js';
import { requestAddress } from '../../core/http/client-address.js';
import { queueUnavailable, sendError, webhookNotConfigured } from '../../core/http/errors.js';
import type { WebhookDef } from '../../core/http/webhook-def.js';
import { REDACTED_TEXT, scrubPersonalData } from '../../core/pii.js';
import { systemClock, type Clock, type Queue, type SecretStore } from '../../core/ports.js';
import { receivedAt } from '../../core/received-clock.js';
import { RepeatedFailure } from '../../core/repeated-failure.js';
import { isoInstantMs } from '../../core/time.js';
import type { FreshdeskWebhookBody } from './raw.js';

export const FRESHDESK_WEBHOOK_PATH = '/webhooks/freshdesk';
const SOURCE = 'webhook:freshdesk';

/**
 * Automation rules sign nothing and carry no event id or time, so the route takes only calls that
 * authenticate: "Requires Authentication" (Basic auth with `user` and `secret`), or a custom header named
 * `header` carrying `secret`.
 */
export interface FreshdeskWebhookAuth {
  user: string;
  secret: string;
  /** Lower-case header name for a token instead of Basic auth; empty: Basic only. */
  header: string;
}

export interface FreshdeskWebhookOptions {
  queue: Queue;
  auth: FreshdeskWebhookAuth;
  clock?: Clock;
  /** Re-reads the ticket a webhook names once `raw` has it (core/engine/refetch.ts); without it, none. */
  refetch?: Prompter;
}

export function freshdeskWebhookAuth(secrets: SecretStore): FreshdeskWebhookAuth {
  return {
    user: secrets.get('FRESHDESK_WEBHOOK_USER') ?? '',
    secret: secrets.get('FRESHDESK_WEBHOOK_SECRET') ?? '',
    header: (secrets.get('FRESHDESK_WEBHOOK_HEADER') ?? '').trim().toLowerCase(),
  };
}

/** Equal in constant time whatever the lengths (both sides hashed first). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}

function authenticated(req: FastifyRequest, auth: FreshdeskWebhookAuth): boolean {
  let ok = false;
  if (auth.header) {
    const v = req.headers[auth.header];
    if (typeof v === 'string') ok = same(v, auth.secret) || ok;
  }
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    // Both compared, always, so the answer's timing does not say which one was wrong.
    const userOk = same(i < 0 ? decoded : decoded.slice(0, i), auth.user);
    const secretOk = same(i < 0 ? '' : decoded.slice(i + 1), auth.secret);
    ok = (userOk && secretOk) || ok;
  }
  return ok;
}

/** The ticket id of Freshdesk's default body (`freshdesk_webhook.ticket_id`, a string) or of a custom template (`ticket_id`). */
export function webhookTicketId(body: unknown): string | null {
  const b = body as FreshdeskWebhookBody | null;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return null;
  const inner = b.freshdesk_webhook && typeof b.freshdesk_webhook === 'object' ? b.freshdesk_webhook : null;
  const v = inner?.ticket_id ?? b.ticket_id;
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  return /^[1-9]\d{0,18}$/.test(s) ? s : null;
}

/**
 * The fields of a webhook body the raw trail keeps as sent: what names the ticket and the change, in Freshdesk's
 * default body and the template in docs/connectors.md. Every other value is `[redacted]` (the key kept, for the shape): a rule's
 * body is whatever placeholders the charity put in it (`{{ticket.latest_public_comment}}`, `{{ticket.contact.address}}`
 * under a key of its choosing), the webhook is only a prompt, and the re-read brings the ticket itself.
 */
const PROMPT_FIELDS = new Set(['ticket_id', 'triggered_event', 'event', 'ticket_status', 'status', 'updated_at', 'ticket_type', 'type', 'ticket_priority', 'priority', 'ticket_url']);

function promptOnly(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      v === null || v === undefined ? v
      : k === 'freshdesk_webhook' && depth === 0 && typeof v === 'object' && !Array.isArray(v) ? promptOnly(v, 1)
      : PROMPT_FIELDS.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') ? v
      : REDACTED_TEXT;
  }
  return out;
}

function eventOf(body: FreshdeskWebhookBody): string {
  const e = body.freshdesk_webhook?.triggered_event ?? body.event ?? body.triggered_event;
  return typeof e === 'string' && e.length > 0 && e.length <= 200 ? e : 'freshdesk_webhook';
}

/**
 * POST /webhooks/freshdesk. The body is a prompt: it goes to `raw` with only the fields that name the ticket and
 * the change (`promptOnly`: the default body carries the requester's name and email, the subject and the
 * description, and a rule's template whatever the charity put in it), and the ticket it names
 * is read again by id through the engine, so what lands is the version a sync would give. Freshdesk
 * retries a failed call (5, 30, 60 minutes later): 200 only once the queue has the webhook, 503 if not.
 */
/** How the limit on guesses knows the webhook's credential once it worked from an address (never the credential). */
const WEBHOOK_CREDENTIAL = { label: 'freshdesk-webhook' };

export function freshdeskWebhookRoutes(opts: FreshdeskWebhookOptions): FastifyPluginAsync {
  const clock = opts.clock ?? systemClock;
  const configured = Boolean(opts.auth.secret && (opts.auth.user || opts.auth.header));
  // A queue that cannot commit (a full disk) refuses every delivery: the first is logged, then a count every 10 s.
  const failing = new RepeatedFailure({ fields: { webhook: 'freshdesk' }, now: () => clock.now().getTime() });
  return async (app) => {
    app.post(
      FRESHDESK_WEBHOOK_PATH,
      {
        // Before the body is read: an unauthenticated caller learns nothing about it, and nothing is kept.
        onRequest: async (req, reply) => {
          if (!configured) return webhookNotConfigured(reply, 'freshdesk', 'FRESHDESK_WEBHOOK_USER and FRESHDESK_WEBHOOK_SECRET, or FRESHDESK_WEBHOOK_HEADER and FRESHDESK_WEBHOOK_SECRET');
          // Counted with the keys' guesses (auth-failures.ts): until 2026-12-06 its password could be tried without
          // limit, and nothing was logged (a security review). A caller that sent no credential is not counted.
          const ok = authenticated(req, opts.auth);
          const presented = req.headers.authorization !== undefined || (opts.auth.header !== '' && req.headers[opts.auth.header] !== undefined);
          const wait = req.server.authFailures?.refusal(requestAddress(req), ok ? WEBHOOK_CREDENTIAL : null, presented) ?? 0;
          if (wait > 0) return sendTooManyFailures(reply, wait);
          if (!ok) return sendError(reply.header('www-authenticate', 'Basic realm="puddle"'), 401, 'unauthorized', 'Basic auth or the webhook token header is missing or wrong');
          return undefined;
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const body = req.body as FreshdeskWebhookBody;
        const ticketId = webhookTicketId(body);
        if (!ticketId) return sendError(reply, 400, 'invalid_webhook', 'body must carry a ticket id: {"freshdesk_webhook":{"ticket_id":...}} or {"ticket_id":...}');
        const now = receivedAt(clock);
        // No event id and no time from Freshdesk: the body's bytes name the call, and a template's updated_at,
        // when it has one, dates it. The time received is not in the payload (the envelope's occurred_at falls
        // back to it), so its envelope id is the body's alone, as Stripe's and Braintree's are the provider's:
        // a retry (the same body 5, 30, 60 minutes later) is the same record in raw. Two updates of one ticket
        // differ in their bodies (Freshdesk's default names the change in triggered_event; a template with
        // {{triggered_event}} or updated_at does), so they stay two.
        const id = `fdw_${hash('sha256', req.rawBody ?? JSON.stringify(body), 'hex').slice(0, 32)}`;
        const stamped = typeof body.updated_at === 'string' && !Number.isNaN(isoInstantMs(body.updated_at)) ? new Date(isoInstantMs(body.updated_at)).toISOString() : null;
        const type = eventOf(body);
        const envelope = makeEnvelope({
          contract: RAW_ONLY_CONTRACT,
          version: 1,
          source: SOURCE,
          stream: 'automation_rule',
          payload: { provider_event_id: id, ...(stamped ? { occurred_at: stamped } : {}), type },
          raw: scrubPersonalData(promptOnly(body)),
          received_at: now,
          delivery_id: id,
        });
        try {
          await opts.queue.publish([envelope]);
        } catch (err) {
          failing.fail('freshdesk webhook publish failed', err, { request_id: req.id, webhook_id: id }, 'warn');
          return queueUnavailable(reply, err, 'the queue did not accept the webhook; Freshdesk will retry');
        }
        failing.succeeded('freshdesk webhooks are accepted again', 'warn');
        const prompts: RefetchPrompt[] = [{ connector: 'freshdesk', stream: 'tickets', id: ticketId }];
        opts.refetch?.prompt({ source: SOURCE, delivery_id: id, type, occurred_at: stamped }, prompts);
        return reply.code(200).send({ received: true });
      },
    );
  };
}

/** The Freshdesk receiver as the hub and the AWS webhooks function mount it (connectors/webhooks.ts). */
export const freshdeskWebhook: WebhookDef = {
  connector: 'freshdesk',
  path: FRESHDESK_WEBHOOK_PATH,
  secrets: ['FRESHDESK_WEBHOOK_USER', 'FRESHDESK_WEBHOOK_SECRET', 'FRESHDESK_WEBHOOK_HEADER'],
  routes: ({ queue, secrets, refetch, clock }) => freshdeskWebhookRoutes({ queue, auth: freshdeskWebhookAuth(secrets), refetch, clock }),
};
