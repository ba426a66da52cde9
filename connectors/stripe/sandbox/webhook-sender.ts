import { createHmac } from 'node:crypto';
import type { SandboxEvent, WebhookDelivery } from './types.js';

const ATTEMPTS = 4;
const FIRST_BACKOFF_MS = 200;
/** Live mode runs for hours; keep only recent deliveries for inspection. */
const KEEP_DELIVERIES = 10_000;

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, what Stripe.webhooks.constructEvent verifies. */
export function signatureHeader(body: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * Posts events one at a time, in order, retrying failures with backoff. Delivery never blocks the
 * API: mutations return at once and tests await `idle()` instead of sleeping.
 */
export class WebhookSender {
  deliveries: WebhookDelivery[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly sleeping = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  enqueue(event: SandboxEvent): void {
    event.pending_webhooks = 1;
    // The body is fixed when the event happens; later changes to the object must not leak into it.
    const body = JSON.stringify(event);
    const delivery: WebhookDelivery = { eventId: event.id, type: event.type, attempts: 0, status: null, ok: false };
    this.deliveries.push(delivery);
    if (this.deliveries.length > KEEP_DELIVERIES * 1.5) this.deliveries = this.deliveries.slice(-KEEP_DELIVERIES);
    this.chain = this.chain.then(() => this.deliver(event, body, delivery));
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

  private async deliver(event: SandboxEvent, body: string, delivery: WebhookDelivery): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS && !this.closed; attempt++) {
      if (attempt > 0) await this.sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      if (this.closed) return;
      delivery.attempts++;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            // Real time, not the sandbox clock: receivers check the timestamp against their own clock (300 s tolerance).
            'stripe-signature': signatureHeader(body, this.secret, Math.floor(Date.now() / 1000)),
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          },
          body,
        });
        await res.arrayBuffer();
        delivery.status = res.status;
        if (res.ok) {
          delivery.ok = true;
          event.pending_webhooks = 0;
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
