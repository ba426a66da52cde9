/**
 * A token bucket holding one second of requests. It runs on real time, not the sandbox clock: tests
 * freeze the clock, but the limit is about how fast requests actually arrive.
 */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** 0 when the request may go ahead, else the whole seconds to wait (sent as Retry-After). */
  take(): number {
    if (this.perSecond <= 0) return 0;
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}
