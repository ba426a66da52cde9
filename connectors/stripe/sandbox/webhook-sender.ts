import { createHmac } from 'node:crypto';
import { WebhookDeliveryQueue } from '../../sandbox-kit/webhook-delivery.js';
import type { SandboxEvent, WebhookDelivery } from './types.js';

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, what Stripe.webhooks.constructEvent verifies. */
export function signatureHeader(body: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** Stripe's side of delivery: JSON events signed with the endpoint secret, `pending_webhooks` kept up to date. */
export class WebhookSender {
  private readonly queue: WebhookDeliveryQueue<WebhookDelivery>;

  constructor(
    url: string,
    private readonly secret: string,
  ) {
    this.queue = new WebhookDeliveryQueue(url);
  }

  get deliveries(): readonly WebhookDelivery[] {
    return this.queue.deliveries;
  }

  enqueue(event: SandboxEvent): void {
    event.pending_webhooks = 1;
    const body = JSON.stringify(event);
    this.queue.enqueue(
      { eventId: event.id, type: event.type, attempts: 0, status: null, ok: false },
      {
        body,
        headers: () => ({
          'content-type': 'application/json; charset=utf-8',
          // Real time, not the sandbox clock: receivers check the timestamp against their own clock (300 s tolerance).
          'stripe-signature': signatureHeader(body, this.secret, Math.floor(Date.now() / 1000)),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        }),
        onDelivered: () => {
          event.pending_webhooks = 0;
        },
      },
    );
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  close(): void {
    this.queue.close();
  }
}
