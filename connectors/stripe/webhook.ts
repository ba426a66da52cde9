import { scrubPersonalData } from '../../core/pii.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import Stripe from 'stripe';
import { mappedToEnvelopes, quarantineEnvelope, withoutRereadQuarantine, type Origin } from '../../core/engine/envelopes.js';
import type { Prompter, RefetchPrompt } from '../../core/engine/refetch.js';
import { RAW_ONLY_CONTRACT, makeEnvelope, type Envelope } from '../../core/envelope.js';
import { queueUnavailable, sendError, webhookNotConfigured } from '../../core/http/errors.js';
import { keepBodiesUnparsed } from '../../core/http/raw-body.js';
import type { WebhookDef } from '../../core/http/webhook-def.js';
import { systemClock, type Clock, type Queue } from '../../core/ports.js';
import { receivedAt } from '../../core/received-clock.js';
import { RepeatedFailure } from '../../core/repeated-failure.js';
import { DEFAULT_STRIPE_MAP_OPTIONS, STRIPE_OBJECT_CONTRACTS, eventObjectType, mapEvent, unixToIso, type StripeMapOptions } from './mappings.js';
import type { StripeEvent } from './raw.js';

export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';
const SOURCE = 'webhook:stripe';
/** The connector's stream that lists the events its webhooks deliver (streams.ts). */
const EVENTS_STREAM = 'events';

export interface StripeWebhookOptions {
  queue: Queue;
  /** The endpoint's signing secret (`whsec_...`); empty means the endpoint refuses everything. */
  secret: string;
  map?: StripeMapOptions;
  /** Oldest signature timestamp accepted, in seconds (Stripe's default 300). */
  toleranceSeconds?: number;
  /** For received_at (receivedAt) and the signature's age (now()); tests replay old signed samples with it. */
  clock?: Clock;
  /** Re-reads the object an event names once `raw` has the event (core/engine/refetch.ts); without it, none. */
  refetch?: Prompter;
}

/** The stream of the Stripe connector that reads each object type by id. */
const REREAD_STREAMS: Readonly<Record<string, string>> = Object.freeze({
  charge: 'charges',
  refund: 'refunds',
  dispute: 'disputes',
  payout: 'payouts',
  customer: 'customers',
  // A canceled subscription is still retrievable (API 2016-07-06 on), so customer.subscription.deleted re-reads too.
  subscription: 'subscriptions',
  // These save the click, donation and subscription links a charge's payment is mapped with (streams run in
  // order: in one batch of re-reads the invoice is read before the charge). An invoice's snapshot lacks its
  // payments (includable): `invoice.finalized` (which comes before the charge's events, and names the payment
  // intent already), `invoice.paid`, `invoice.payment_succeeded` and the rest have it read with them. A charge
  // re-read before its invoice's link was saved lacks the subscription until the next sync lists it again.
  'checkout.session': 'checkout_sessions',
  payment_intent: 'payment_intents',
  invoice: 'invoices',
});

/** An event is a notice (Stripe's own guidance): the object it names is read again, whole, by id. */
export function stripeRereads(event: StripeEvent): RefetchPrompt[] {
  // A deleted customer has nothing left to read (Stripe answers a stub, the sandbox 404): the event's own
  // snapshot lands the deleted version (mapEvent).
  if (event.type === 'customer.deleted') return [];
  const stream = REREAD_STREAMS[eventObjectType(event) ?? ''];
  const id = (event.data?.object as { id?: unknown } | null | undefined)?.id;
  return stream && typeof id === 'string' && id !== '' ? [{ connector: 'stripe', stream, id }] : [];
}

type Verified = { event: StripeEvent } | { status: number; code: string; message: string };

function verify(req: FastifyRequest, secret: string, tolerance: number, nowMs: number): Verified {
  const header = req.headers['stripe-signature'];
  if (typeof header !== 'string' || header === '') {
    return { status: 400, code: 'bad_signature', message: 'missing Stripe-Signature header' };
  }
  if (!req.rawBody || req.rawBody.length === 0) return { status: 400, code: 'bad_signature', message: 'empty body' };
  try {
    // The signature covers the exact bytes Stripe sent, so verify rawBody; nothing has parsed it yet.
    Stripe.webhooks.signature!.verifyHeader(req.rawBody, header, secret, tolerance, undefined, nowMs);
  } catch (err) {
    // The SDK's error carries the header and payload: only our own words leave this function.
    const stale = err instanceof Error && /tolerance/i.test(err.message);
    const message = stale ? `signature timestamp is older than ${tolerance} s` : 'signature does not match the body and secret';
    return { status: 400, code: 'bad_signature', message };
  }
  // The SDK only bounds a timestamp's age: a request signed for a time ahead (a signing clock set wrong, or a
  // signature made to be replayed later) would pass for as long as it stays ahead, and then for the
  // tolerance after. Stripe's clock and ours agree within seconds, so ahead by more than the tolerance is refused.
  // Every `t=` of the header, not only the first: the SDK verifies with the last, so `t=<now>,t=<tomorrow>,v1=...`
  // passed both checks (until 2026-12-06; a security review).
  const signedAt = Math.max(...[...header.matchAll(/(?:^|,)\s*t=(\d+)/g)].map((m) => Number(m[1])));
  if (Number.isFinite(signedAt) && signedAt * 1000 > nowMs + tolerance * 1000) {
    return { status: 400, code: 'bad_signature', message: `signature timestamp is more than ${tolerance} s in the future` };
  }
  let event: unknown;
  try {
    event = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    return { status: 400, code: 'invalid_event', message: 'signed body is not JSON' };
  }
  const e = event as Partial<StripeEvent> | null;
  if (!e || typeof e.id !== 'string' || typeof e.type !== 'string') {
    return { status: 400, code: 'invalid_event', message: 'signed body is not a Stripe event (id and type required)' };
  }
  return { event: e as StripeEvent };
}

function envelopesFor(event: StripeEvent, mapOpts: StripeMapOptions, receivedAt: string): Envelope[] {
  const object = event.data?.object as { id?: unknown } | null | undefined;
  const origin: Origin = {
    source: SOURCE, stream: event.type, delivery_id: event.id, received_at: receivedAt, raw: scrubPersonalData(object ?? null),
    record_key: typeof object?.id === 'string' ? object.id : null, occurred_at: unixToIso(event.created),
  };
  let out: Envelope[];
  try {
    out = mappedToEnvelopes(mapEvent(event, mapOpts).mapped, origin).envelopes;
  } catch (err) {
    // A signed event whose object the mapping cannot read: keep it, with the reason, not the values.
    const contract = STRIPE_OBJECT_CONTRACTS[eventObjectType(event) ?? ''] ?? RAW_ONLY_CONTRACT;
    const reason = `mapping failed: ${err instanceof Error ? err.name : 'error'}`;
    out = [quarantineEnvelope({ contract }, [{ path: 'data.object', message: reason }], origin)];
  }
  // Every event also goes to raw whole, known or not: unknown types land there only, for audit and replay.
  const rawOnly = makeEnvelope({
    contract: RAW_ONLY_CONTRACT,
    version: 1,
    source: SOURCE,
    stream: event.type,
    payload: { provider_event_id: event.id, occurred_at: unixToIso(event.created) ?? receivedAt, type: event.type },
    raw: scrubPersonalData(event),
    received_at: receivedAt,
    delivery_id: event.id,
  });
  out.push(rawOnly);
  return out;
}

/**
 * POST /webhooks/stripe. Stripe retries any non-2xx for up to three days, so 200 is sent only once
 * the queue holds the envelopes, and a queue failure is a 503. Redeliveries carry the same event
 * (id and object), so they give the same envelope ids and land once.
 */
export function stripeWebhookRoutes(opts: StripeWebhookOptions): FastifyPluginAsync {
  const tolerance = opts.toleranceSeconds ?? 300;
  // The SDK skips the timestamp check when tolerance is 0, which would let a captured request be replayed forever.
  if (!Number.isFinite(tolerance) || tolerance <= 0) throw new RangeError('toleranceSeconds must be a positive number');
  const mapOpts = opts.map ?? DEFAULT_STRIPE_MAP_OPTIONS;
  const clock = opts.clock ?? systemClock;
  // A queue that cannot commit (a full disk) refuses every delivery, hundreds a second on an appeal night: the
  // first is logged, then a count every 10 s (of the route's clock), as the producer does, not a line a delivery.
  const failing = new RepeatedFailure({ fields: { webhook: 'stripe' }, now: () => clock.now().getTime() });

  return async (app) => {
    // Verified before parsed: verify() parses the bytes only once the signature matched them.
    keepBodiesUnparsed(app);

    app.post(STRIPE_WEBHOOK_PATH, async (req: FastifyRequest, reply: FastifyReply) => {
      if (!opts.secret) return webhookNotConfigured(reply, 'stripe', 'STRIPE_WEBHOOK_SECRET');
      const now = clock.now();
      const v = verify(req, opts.secret, tolerance, now.getTime());
      if ('status' in v) return sendError(reply, v.status, v.code, v.message);
      const { event } = v;

      const received = receivedAt(clock);
      const rereads = opts.refetch ? stripeRereads(event) : [];
      // A snapshot that cannot map is not quarantined when the object it names is read again (see withoutRereadQuarantine).
      const envelopes = withoutRereadQuarantine(envelopesFor(event, mapOpts, received), rereads.map((r) => r.id));
      try {
        await opts.queue.publish(envelopes);
      } catch (err) {
        failing.fail('stripe webhook publish failed', err, { request_id: req.id, event_id: event.id, event_type: event.type }, 'warn');
        return queueUnavailable(reply, err, 'the queue did not accept the event; Stripe will retry');
      }
      failing.succeeded('stripe webhooks are accepted again', 'warn');
      // The `events` stream lists this event again a minute later and maps it to the same versions (the same
      // ids): it leaves these out (recent.ts). Until 2026-12-05 both copies were queued and landed in raw.
      opts.refetch?.published?.('stripe', EVENTS_STREAM, envelopes.filter((e) => e.contract !== RAW_ONLY_CONTRACT).map((e) => e.id));
      // `raw` has the event: the re-read runs after the answer, and its outcome never changes it.
      opts.refetch?.prompt(
        { source: SOURCE, delivery_id: event.id, type: event.type, occurred_at: unixToIso(event.created) ?? received },
        rereads,
      );
      return reply.code(200).send({ received: true });
    });
  };
}

/** The Stripe receiver as the hub and the AWS webhooks function mount it (connectors/webhooks.ts). */
export const stripeWebhook: WebhookDef = {
  connector: 'stripe',
  path: STRIPE_WEBHOOK_PATH,
  secrets: ['STRIPE_WEBHOOK_SECRET', 'STRIPE_DONATION_ID_KEY'],
  routes: ({ queue, secrets, refetch, clock }) =>
    stripeWebhookRoutes({
      queue,
      clock,
      secret: secrets.get('STRIPE_WEBHOOK_SECRET') ?? '',
      map: { donationIdKey: secrets.get('STRIPE_DONATION_ID_KEY') || 'donation_id' },
      refetch,
    }),
};
