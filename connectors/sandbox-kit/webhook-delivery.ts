const FIRST_BACKOFF_MS = 200;
/** Live mode runs for hours; keep only recent deliveries for inspection. */
const KEEP_DELIVERIES = 10_000;

/** What the sandbox records of one webhook; each provider adds what names the event. */
export interface DeliveryProgress {
  attempts: number;
  /** The last answer's HTTP status; null while none came (or the last attempt failed to connect). */
  status: number | null;
  ok: boolean;
}

export interface OutgoingWebhook {
  /** Fixed when the change happens; later changes to the object must not leak into it. */
  body: string;
  /** Called for every attempt: a signature may be stamped with the time it is sent. */
  headers: () => Record<string, string>;
  onDelivered?: () => void;
}

/**
 * Posts webhooks one at a time, in order, retrying failures with backoff. Delivery never blocks the
 * API: mutations return at once and tests await `idle()` instead of sleeping.
 */
export class WebhookDeliveryQueue<D extends DeliveryProgress> {
  private list: D[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly sleeping = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly url: string,
    private readonly attempts = 4,
  ) {}

  get deliveries(): readonly D[] {
    return this.list;
  }

  enqueue(delivery: D, webhook: OutgoingWebhook): void {
    this.list.push(delivery);
    if (this.list.length > KEEP_DELIVERIES * 1.5) this.list = this.list.slice(-KEEP_DELIVERIES);
    this.chain = this.chain.then(() => this.deliver(webhook, delivery));
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

  private async deliver(webhook: OutgoingWebhook, delivery: D): Promise<void> {
    for (let attempt = 0; attempt < this.attempts && !this.closed; attempt++) {
      if (attempt > 0) await this.sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      if (this.closed) return;
      delivery.attempts++;
      try {
        const res = await fetch(this.url, { method: 'POST', headers: webhook.headers(), body: webhook.body });
        await res.arrayBuffer();
        delivery.status = res.status;
        if (res.ok) {
          delivery.ok = true;
          webhook.onDelivered?.();
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
