import PQueue from 'p-queue';

/**
 * A connector's request budget: at most `requestsPerSecond`, evenly spaced (a provider's limiter
 * counts per second, and bursts at the top of each second are what earn 429s), and at most
 * `concurrency` in flight. A 429's Retry-After pauses the whole budget, not just one caller.
 */
export class RequestBudget {
  private readonly queue: PQueue;
  private resumeAt = 0;

  constructor(readonly opts: { requestsPerSecond: number; concurrency?: number }) {
    const rps = opts.requestsPerSecond;
    this.queue =
      rps > 0
        ? new PQueue({ concurrency: opts.concurrency ?? 4, intervalCap: 1, interval: Math.max(1, Math.floor(1000 / rps)) })
        : new PQueue({ concurrency: opts.concurrency ?? 4 });
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      const wait = this.resumeAt - Date.now();
      if (wait > 0) await sleep(wait);
      return fn();
    }) as Promise<T>;
  }

  /** Hold every request until `ms` from now. */
  pauseFor(ms: number): void {
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
