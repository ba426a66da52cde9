/**
 * Items waiting for a moment (a balance becoming available, a payout arriving, a settlement run, a
 * disbursement date), popped as the sandbox clock passes it. Pushes arrive almost in order, so a
 * sorted array with a moving head is enough.
 */
export class TimeQueue<T> {
  private keys: number[] = [];
  private items: T[] = [];
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

  /** Remove and return every item due at or before `upTo`, earliest first. */
  popDue(upTo: number): T[] {
    const out: T[] = [];
    this.drain(upTo, (_at, item) => out.push(item));
    return out;
  }

  /** As popDue, with the moment each item was due (a settlement is stamped with it, not with `upTo`). */
  popDueWithTimes(upTo: number): { at: number; item: T }[] {
    const out: { at: number; item: T }[] = [];
    this.drain(upTo, (at, item) => out.push({ at, item }));
    return out;
  }

  private drain(upTo: number, take: (at: number, item: T) => void): void {
    while (this.head < this.keys.length && this.keys[this.head]! <= upTo) {
      take(this.keys[this.head]!, this.items[this.head]!);
      this.head++;
    }
    // Drop the popped prefix only once it is most of the array, so popping stays O(1) on average.
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
