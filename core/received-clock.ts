// When Puddle received something: the received_at the producer, the webhooks and the connectors stamp on
// envelopes, from one definition. Arrival decides between versions changed at the same time (a correction
// sent without updated_at: puddles/version-order.ts), so a clock that steps back (a bad NTP step, a VM restored,
// a machine whose clock was ahead set right) must not make a later event look earlier: a home's received times
// never go back (ForwardClock, kept durably by the embedded queue; infra/local/runtime.ts).
import type { Clock } from './ports.js';

/** The received_at to stamp on what arrives now: the clock's own when it keeps one, else its now(). */
export function receivedAt(clock: Clock): string {
  return clock.receivedAt ? clock.receivedAt() : clock.now().toISOString();
}

/**
 * A clock whose received times never go back: each is the clock's time, unless that is not after the last one
 * issued (`last`, carried over a restart by whoever keeps it). Then a stamp in the same millisecond of the clock
 * as the one before shares its time, as stamps in one millisecond always have; any other is one millisecond
 * after the last. So after the clock steps back, received times move on a millisecond per stamp, never faster
 * than the clock (a busy hub does not run ahead of it), and a quiet one lets the clock catch up. `now()` stays
 * the clock's own: signatures' ages and deadlines are measured with it.
 */
export class ForwardClock implements Clock {
  readonly #base: Clock;
  #last: number;
  /** The clock's time at the last stamp: another stamp in that millisecond shares the last one's time. */
  #lastNow = Number.NaN;
  /** The last stamp as text: a busy producer stamps several requests a millisecond, and they share it. */
  #lastText = '';

  constructor(base: Clock, last: number | null = null) {
    this.#base = base;
    this.#last = last ?? Number.NEGATIVE_INFINITY;
  }

  now(): Date {
    return this.#base.now();
  }

  receivedAt(): string {
    const now = this.#base.now().getTime();
    // In the same millisecond of the clock as the last stamp (never after #last): the same stamp.
    if (now === this.#lastNow) return this.#lastText;
    const t = now > this.#last ? now : this.#last + 1;
    this.#last = t;
    this.#lastNow = now;
    this.#lastText = new Date(t).toISOString();
    return this.#lastText;
  }

  /** The latest received time issued (epoch ms), or the one it started from; -Infinity before either. */
  get lastReceived(): number {
    return this.#last;
  }
}
