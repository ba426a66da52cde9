/**
 * Items waiting for a moment (a settlement run, a disbursement date), popped as time passes it.
 * Pushes arrive almost in order, so a sorted array with a moving head is enough.
 */
export class DueQueue<T> {
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

  /** Remove and return every item due at or before `upTo`, earliest first, with its moment. */
  popDue(upTo: number): { at: number; item: T }[] {
    const out: { at: number; item: T }[] = [];
    while (this.head < this.keys.length && this.keys[this.head]! <= upTo) {
      out.push({ at: this.keys[this.head]!, item: this.items[this.head]! });
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}
