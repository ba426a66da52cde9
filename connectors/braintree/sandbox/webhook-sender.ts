import { createHash, createHmac } from 'node:crypto';
import type { Notification } from './ledger.js';
import type { WebhookDelivery } from './types.js';
import { toXml } from './xml.js';

const FIRST_BACKOFF_MS = 200;
/** Long runs make many notifications; keep only recent deliveries for inspection. */
const KEEP_DELIVERIES = 10_000;

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

/**
 * Posts notifications one at a time, in order, as form fields, retrying failures with backoff.
 * Delivery never blocks the API: mutations return at once and tests await `idle()`.
 */
export class WebhookSender {
  deliveries: WebhookDelivery[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly sleeping = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly url: string,
    private readonly keys: { publicKey: string; privateKey: string },
    private readonly attempts = 4,
  ) {}

  enqueue(n: Notification): void {
    // The body is fixed when the change happens; later changes to the object must not leak into it.
    const signed = signNotification(notificationXml(n), this.keys.publicKey, this.keys.privateKey);
    const body = new URLSearchParams({ bt_signature: signed.bt_signature, bt_payload: signed.bt_payload }).toString();
    const delivery: WebhookDelivery = { kind: n.kind, subjectId: n.subjectId, attempts: 0, status: null, ok: false };
    this.deliveries.push(delivery);
    if (this.deliveries.length > KEEP_DELIVERIES * 1.5) this.deliveries = this.deliveries.slice(-KEEP_DELIVERIES);
    this.chain = this.chain.then(() => this.deliver(body, delivery));
  }

  idle(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.closed = true;
    for (const [t, wake] of this.sleeping) {
      clearTimeout(t);
      wake();
    }
    this.sleeping.clear();
  }

  private async deliver(body: string, delivery: WebhookDelivery): Promise<void> {
    for (let attempt = 0; attempt < this.attempts && !this.closed; attempt++) {
      if (attempt > 0) await this.sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      if (this.closed) return;
      delivery.attempts++;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Braintree Webhooks (sandbox)' },
          body,
        });
        await res.arrayBuffer();
        delivery.status = res.status;
        if (res.ok) {
          delivery.ok = true;
          return;
        }
      } catch {
        delivery.status = null;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.sleeping.delete(t);
        resolve();
      }, ms);
      this.sleeping.set(t, resolve);
    });
  }
}
