/**
 * Items waiting for a moment (a balance transaction becoming available, a payout arriving), popped
 * as the sandbox clock passes them; almost every push lands at the end, so an array is enough.
 */
export class TimeQueue<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];
  private head = 0;

  push(at: number, item: T): void {
    let lo = this.head;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    this.keys.splice(lo, 0, at);
    this.items.splice(lo, 0, item);
  }

  /** Remove and return every item due at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const out: T[] = [];
    while (this.head < this.keys.length && this.keys[this.head]! <= now) out.push(this.items[this.head++]!);
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys.splice(0, this.head);
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }
}
