import { createHash, createHmac } from 'node:crypto';
import { WebhookDeliveryQueue } from '../../sandbox-kit/webhook-delivery.js';
import type { Notification } from './ledger.js';
import type { WebhookDelivery } from './types.js';
import { toXml } from './xml.js';

export interface SignedNotification {
  bt_signature: string;
  bt_payload: string;
}

/**
 * Sign a `<notification>` the way webhook_testing_gateway.js does: payload = base64(xml) + "\n",
 * signature = `publicKey|hex(HMAC-SHA1(key = SHA1(privateKey), payload))`, which
 * `gateway.webhookNotification.parse(bt_signature, bt_payload)` verifies.
 */
export function signNotification(xml: string, publicKey: string, privateKey: string): SignedNotification {
  const payload = `${Buffer.from(xml).toString('base64')}\n`;
  const key = createHash('sha1').update(privateKey, 'binary').digest();
  const hex = createHmac('sha1', key).update(payload, 'binary').digest('hex');
  return { bt_signature: `${publicKey}|${hex}`, bt_payload: payload };
}

/** The notification document, laid out like the SDK's sample notifications. */
export function notificationXml(n: Notification): string {
  const subject = n.subject();
  return `<notification>
    <timestamp type="datetime">${n.timestamp}</timestamp>
    <kind>${n.kind}</kind>
    <subject>${toXml(subject.name, subject.value)}</subject>
</notification>`;
}

/** Braintree's side of delivery: each notification signed and posted as the form fields bt_signature, bt_payload. */
export class WebhookSender {
  private readonly queue: WebhookDeliveryQueue<WebhookDelivery>;

  constructor(
    url: string,
    private readonly keys: { publicKey: string; privateKey: string },
    attempts?: number,
  ) {
    this.queue = new WebhookDeliveryQueue(url, attempts);
  }

  get deliveries(): readonly WebhookDelivery[] {
    return this.queue.deliveries;
  }

  enqueue(n: Notification): void {
    const signed = signNotification(notificationXml(n), this.keys.publicKey, this.keys.privateKey);
    const body = new URLSearchParams({ bt_signature: signed.bt_signature, bt_payload: signed.bt_payload }).toString();
    this.queue.enqueue(
      { kind: n.kind, subjectId: n.subjectId, attempts: 0, status: null, ok: false },
      { body, headers: () => ({ 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Braintree Webhooks (sandbox)' }) },
    );
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  close(): void {
    this.queue.close();
  }
}
