import { scrubPersonalData } from '../../core/pii.js';
import { hash } from 'node:crypto';
import type { BraintreeGateway } from 'braintree';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { mappedToEnvelopes, quarantineEnvelope, withoutRereadQuarantine, type Origin } from '../../core/engine/envelopes.js';
import type { Prompter, RefetchPrompt } from '../../core/engine/refetch.js';
import { RAW_ONLY_CONTRACT, makeEnvelope, type Envelope } from '../../core/envelope.js';
import { RecordError } from '../../core/errors.js';
import { queueUnavailable, sendError, type RouteErrorConfig, webhookNotConfigured } from '../../core/http/errors.js';
import { keepBodiesUnparsed } from '../../core/http/raw-body.js';
import type { WebhookDef } from '../../core/http/webhook-def.js';
import { systemClock, type Clock, type Queue } from '../../core/ports.js';
import { receivedAt } from '../../core/received-clock.js';
import { RepeatedFailure } from '../../core/repeated-failure.js';
import { createBraintreeGateway } from './client.js';
import { braintreeConfig } from './config.js';
import { mapNotification, notificationContract, toIsoTime, type BraintreeMapOptions } from './mappings.js';
import type { BraintreeNotification } from './raw.js';

export const BRAINTREE_WEBHOOK_PATH = '/webhooks/braintree';
const SOURCE = 'webhook:braintree';
const FORM = 'application/x-www-form-urlencoded';

/** The form type, with or without parameters (`; charset=utf-8`). */
const isForm = (contentType: string | undefined) => contentType?.split(';', 1)[0]!.trim().toLowerCase() === FORM;

export interface BraintreeWebhookOptions {
  queue: Queue;
  /**
   * Configured with the merchant's public and private key: the signature is checked against them.
   * null when Braintree is not configured: the route answers 503 and never accepts unverified posts.
   */
  gateway: Pick<BraintreeGateway, 'webhookNotification'> | null;
  map?: BraintreeMapOptions;
  /** For received_at (receivedAt in core/received-clock.ts). */
  clock?: Clock;
  /** Re-reads the object a notification names once `raw` has it (core/engine/refetch.ts); without it, none. */
  refetch?: Prompter;
}

const TRANSACTION_KINDS = new Set(['transaction_settled', 'transaction_settlement_declined', 'transaction_disbursed', 'refund_failed']);

/**
 * The objects a notification names, read again by id: a transaction, a dispute, or a subscription (every
 * `subscription_*` kind: canceled, expired, went_past_due, went_active, charged_*, whose snapshot holds only its id
 * and transactions, so its status comes from the read); a subscription charge names its newest transaction too. A
 * disbursement names a day of transactions, which the disbursements stream sweeps, so it prompts nothing.
 */
export function braintreeRereads(n: BraintreeNotification): RefetchPrompt[] {
  const txs = Array.isArray(n.subscription?.transactions) ? n.subscription.transactions : [];
  const tx = TRANSACTION_KINDS.has(n.kind) ? n.transaction : n.kind.startsWith('subscription_charged_') ? txs[0] : undefined;
  const out: RefetchPrompt[] = [];
  if (typeof tx?.id === 'string' && tx.id) out.push({ connector: 'braintree', stream: 'transactions', id: tx.id });
  if (n.kind.startsWith('subscription_') && typeof n.subscription?.id === 'string' && n.subscription.id) out.push({ connector: 'braintree', stream: 'subscriptions', id: n.subscription.id });
  if (n.kind.startsWith('dispute_') && typeof n.dispute?.id === 'string' && n.dispute.id) out.push({ connector: 'braintree', stream: 'disputes', id: n.dispute.id });
  return out;
}

type Verified = { notification: BraintreeNotification } | { status: number; code: string; message: string };

/**
 * A notification has no id of its own, so its identity is its payload: a redelivery posts the same
 * bt_payload. Whitespace is dropped first because base64 ignores it and the SDK's samples end in "\n".
 */
export function notificationId(btPayload: string): string {
  return `btn_${hash('sha256', btPayload.replace(/\s+/g, ''), 'hex').slice(0, 32)}`;
}

async function verify(gateway: NonNullable<BraintreeWebhookOptions['gateway']>, signature: string, payload: string): Promise<Verified> {
  let parsed: unknown;
  try {
    // parse() checks `publicKey|HMAC-SHA1(SHA1(privateKey), payload)` before it decodes anything.
    parsed = await gateway.webhookNotification.parse(signature, payload);
  } catch (err) {
    // The SDK's errors can quote the payload: only our own words leave this function.
    if (err instanceof Error && err.name === 'invalidSignatureError') {
      return { status: 400, code: 'bad_signature', message: 'signature does not match the payload and keys' };
    }
    return { status: 400, code: 'invalid_notification', message: 'signed payload is not a Braintree notification' };
  }
  const n = parsed as Partial<BraintreeNotification> | null;
  if (!n || typeof n.kind !== 'string' || n.kind === '') {
    return { status: 400, code: 'invalid_notification', message: 'signed payload is not a Braintree notification (kind required)' };
  }
  return { notification: n as BraintreeNotification };
}

function occurredAt(n: BraintreeNotification, fallback: string): string {
  const t = toIsoTime(n.timestamp);
  return t !== null && t.endsWith('Z') && !Number.isNaN(Date.parse(t)) ? t : fallback;
}

function envelopesFor(n: BraintreeNotification, id: string, mapOpts: BraintreeMapOptions, receivedAt: string, occurred: string): Envelope[] {
  const origin: Origin = {
    source: SOURCE, stream: n.kind, delivery_id: id, received_at: receivedAt, raw: scrubPersonalData(n.subject ?? null),
    // The notification's id (a hash of the signed payload) names it: a redelivery is the same record.
    record_key: id, occurred_at: occurred,
  };
  let out: Envelope[];
  try {
    out = mappedToEnvelopes(mapNotification(n, mapOpts).mapped, origin).envelopes;
  } catch (err) {
    // A signed notification the mapping cannot read (e.g. an amount that is not exact money): keep
    // it with the reason. Record errors say what failed without personal data; others only by name.
    const contract = notificationContract(n.kind) ?? RAW_ONLY_CONTRACT;
    const reason = err instanceof RecordError ? err.message : `mapping failed: ${err instanceof Error ? err.name : 'error'}`;
    out = [quarantineEnvelope({ contract }, [{ path: 'subject', message: reason }], origin)];
  }
  // Every notification also goes to raw whole, known or not: unmapped kinds land there only.
  out.push(
    makeEnvelope({
      contract: RAW_ONLY_CONTRACT,
      version: 1,
      source: SOURCE,
      stream: n.kind,
      payload: { provider_event_id: id, occurred_at: occurred, type: n.kind },
      raw: scrubPersonalData({ kind: n.kind, timestamp: n.timestamp ?? null, subject: n.subject ?? null }),
      received_at: receivedAt,
      delivery_id: id,
    }),
  );
  return out;
}

/**
 * POST /webhooks/braintree, a form post of `bt_signature` and `bt_payload`. Braintree retries
 * non-2xx answers, so 200 is sent only once the queue holds the envelopes, and a queue failure is a
 * 503. A redelivery carries the same payload, so it gives the same envelope ids and lands once.
 */
export function braintreeWebhookRoutes(opts: BraintreeWebhookOptions): FastifyPluginAsync {
  const mapOpts = opts.map ?? {};
  const clock = opts.clock ?? systemClock;
  // A queue that cannot commit (a full disk) refuses every delivery: the first is logged, then a count every 10 s.
  const failing = new RepeatedFailure({ fields: { webhook: 'braintree' }, now: () => clock.now().getTime() });

  return async (app) => {
    // Scoped to this plugin: the rest of the server keeps answering 415 to form posts. No body here is parsed
    // before the route looks at it: a JSON body, garbage included, got 400 malformed_json from the server's
    // parser before any signature check; now it is refused by its content type, its bytes unread.
    keepBodiesUnparsed(app);

    const config: RouteErrorConfig = { contentType: FORM };
    app.post(BRAINTREE_WEBHOOK_PATH, { config }, async (req: FastifyRequest, reply: FastifyReply) => {
      if (!opts.gateway) {
        return webhookNotConfigured(reply, 'braintree', 'BRAINTREE_MERCHANT_ID, BRAINTREE_PUBLIC_KEY and BRAINTREE_PRIVATE_KEY');
      }
      if (!isForm(req.headers['content-type']) || !Buffer.isBuffer(req.body)) return sendError(reply, 415, 'unsupported_media_type', `content type must be ${FORM}`);
      // The signature travels inside the form, so the form is decoded first (a decoder that cannot fail);
      // the SDK then checks it before it decodes the payload's base64 and XML.
      // URLSearchParams decodes `+` as a space, as form encoding says; Braintree sends base64's `+` as %2B.
      const form = new URLSearchParams(req.body.toString('utf8'));
      const signature = form.get('bt_signature');
      const payload = form.get('bt_payload');
      if (!signature || !payload) return sendError(reply, 400, 'bad_signature', 'bt_signature and bt_payload are required');

      const v = await verify(opts.gateway, signature, payload);
      if ('status' in v) return sendError(reply, v.status, v.code, v.message);
      const { notification } = v;
      const id = notificationId(payload);

      const received = receivedAt(clock);
      const occurred = occurredAt(notification, received);
      const rereads = opts.refetch ? braintreeRereads(notification) : [];
      // A snapshot that cannot map is not quarantined when the object it names is read again (see withoutRereadQuarantine).
      const envelopes = withoutRereadQuarantine(envelopesFor(notification, id, mapOpts, received, occurred), rereads.length ? [id, ...rereads.map((r) => r.id)] : []);
      try {
        await opts.queue.publish(envelopes);
      } catch (err) {
        failing.fail('braintree webhook publish failed', err, { request_id: req.id, notification_id: id, kind: notification.kind }, 'warn');
        return queueUnavailable(reply, err, 'the queue did not accept the notification; Braintree will retry');
      }
      failing.succeeded('braintree webhooks are accepted again', 'warn');
      // `raw` has the notification: the re-read runs after the answer, and its outcome never changes it.
      opts.refetch?.prompt({ source: SOURCE, delivery_id: id, type: notification.kind, occurred_at: occurred }, rereads);
      return reply.code(200).send({ received: true });
    });
  };
}

/**
 * The Braintree receiver as the hub and the AWS webhooks function mount it (connectors/webhooks.ts). Braintree
 * signs with the API key pair, so checking a notification needs the keys (and nothing else of the gateway's).
 */
export const braintreeWebhook: WebhookDef = {
  connector: 'braintree',
  path: BRAINTREE_WEBHOOK_PATH,
  secrets: ['BRAINTREE_MERCHANT_ID', 'BRAINTREE_PUBLIC_KEY', 'BRAINTREE_PRIVATE_KEY', 'BRAINTREE_DONATION_ID_FIELD'],
  routes({ queue, secrets, refetch, clock }) {
    let gateway = null;
    try {
      gateway = createBraintreeGateway(braintreeConfig(secrets));
    } catch {
      // not configured: the route answers 503
    }
    return braintreeWebhookRoutes({ queue, gateway, map: { donationIdField: secrets.get('BRAINTREE_DONATION_ID_FIELD') || undefined }, refetch, clock });
  },
};
