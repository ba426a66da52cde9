import PQueue from 'p-queue';

/**
 * A connector's request budget: at most `requestsPerSecond`, evenly spaced (a provider's limiter
 * counts per second, and bursts at the top of each second are what earn 429s), and at most
 * `concurrency` in flight (p-queue). A 429's Retry-After pauses the whole budget, not one caller.
 *
 * Spacing is measured between actual starts, through one gate, rather than by p-queue's interval
 * counter: when the event loop is busy (parsing a large page), a late tick let p-queue start more
 * requests in a second than the rate allows.
 */
export class RequestBudget {
  private readonly queue: PQueue;
  private readonly gapMs: number;
  private lastStart = -Infinity;
  private resumeAt = 0;
  private gate: Promise<void> = Promise.resolve();

  constructor(readonly opts: { requestsPerSecond: number; concurrency?: number }) {
    this.queue = new PQueue({ concurrency: opts.concurrency ?? 4 });
    this.gapMs = opts.requestsPerSecond > 0 ? 1000 / opts.requestsPerSecond : 0;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      await this.turn();
      return fn();
    }) as Promise<T>;
  }

  /** Resolves when this caller may start: a gap after the previous start, and after any pause. */
  private turn(): Promise<void> {
    this.gate = this.gate.then(async () => {
      for (;;) {
        const wait = Math.max(this.lastStart + this.gapMs, this.resumeAt) - Date.now();
        if (wait <= 0) break;
        await sleep(wait);
      }
      this.lastStart = Date.now();
    });
    return this.gate;
  }

  /** Hold every request until `ms` from now. */
  pauseFor(ms: number): void {
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
