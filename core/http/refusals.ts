import { log } from '../log.js';

/**
 * The producer's refused requests (any 4xx answer to POST /v1/events), said in the log: the first at once, then what
 * came since at most once a minute, counted by status. A batch is all or nothing, so a supplier whose every batch is
 * refused (a field its system fills wrongly, a key rotated out) drops off the totals without a word: until 2026-12-05
 * no refusal reached the log at any level, nor any page (user test). Only the counts: never a key, a body or a value.
 */
export class Refusals {
  readonly #everyMs: number;
  readonly #now: () => number;
  #counts = new Map<number, number>();
  #since = 0;
  #loggedAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: { everyMs?: number; now?: () => number } = {}) {
    this.#everyMs = opts.everyMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  note(status: number): void {
    if (this.#counts.size === 0) this.#since = this.#now();
    this.#counts.set(status, (this.#counts.get(status) ?? 0) + 1);
    const wait = this.#loggedAt + this.#everyMs - this.#now();
    if (wait <= 0) return this.flush();
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), wait);
      // A count waiting to be said does not keep the process alive.
      this.#timer.unref();
    }
  }

  /** Says what was counted (nothing when nothing was). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#counts.size === 0) return;
    const byStatus = Object.fromEntries([...this.#counts].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n]));
    const total = [...this.#counts.values()].reduce((a, b) => a + b, 0);
    this.#loggedAt = this.#now();
    log.warn('producer requests refused: nothing of them was accepted (the answers say why)', {
      refused: total,
      by_status: byStatus,
      since: new Date(this.#since).toISOString(),
    });
    this.#counts = new Map();
  }
}
