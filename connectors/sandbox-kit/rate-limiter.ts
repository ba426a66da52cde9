/**
 * A token bucket holding one window of requests (a second by default; Freshdesk counts credits per
 * minute). It runs on real time, not the sandbox clock: tests freeze the clock, but the limit is about
 * how fast requests actually arrive. A request may cost more than one token (Freshdesk's `include=`).
 */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly perWindow: number,
    private readonly windowMs = 1000,
  ) {
    this.tokens = perWindow;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.perWindow, this.tokens + ((now - this.last) / this.windowMs) * this.perWindow);
    this.last = now;
  }

  /** 0 when the request may go ahead (its cost taken), else the whole seconds to wait (sent as Retry-After). */
  take(cost = 1): number {
    if (this.perWindow <= 0) return 0;
    this.refill();
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((((cost - this.tokens) / this.perWindow) * this.windowMs) / 1000));
  }

  /** Whether `cost` is there now, without taking it (to check several buckets before charging any). */
  has(cost = 1): boolean {
    if (this.perWindow <= 0) return true;
    this.refill();
    return this.tokens >= cost;
  }

  /** Whole tokens left now (for X-Ratelimit-Remaining). */
  remaining(): number {
    if (this.perWindow <= 0) return 0;
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }

  /** Take tokens without asking (someone else sharing the account). */
  spend(cost: number): void {
    this.refill();
    this.tokens = Math.max(-this.perWindow, this.tokens - cost);
  }
}
