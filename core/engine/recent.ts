import type { Clock } from '../ports.js';

// What a stream published lately, remembered between its runs in one process, so that a record read again
// unchanged is not put on the queue again.
//
// A windowed stream reads its lookback again every run (Stripe's charges: the last 5 minutes, every minute), and
// a webhook's prompt reads the object it names once more: on the sandboxes the raw trail held about 7 rows per
// Stripe charge, 6 of them the same version. The contract tables land each version once (an envelope's id is
// its content's, core/envelope.ts), but every copy was queued, claimed, parsed, written to `raw` and acked. On an
// appeal night that is landing's time taken from the producer's events.
//
// An envelope id remembered here was confirmed by the queue (durable), so leaving the same id out later loses
// nothing: the queue or the lake holds it. A changed record has another id and is published. Memory only: a
// restarted hub publishes its first lookback again, which lands idempotently as before. `--full` and backfills
// (`--from`) do not ask it: a run asked for by hand publishes everything it reads, as it always did.

/** How many ids a generation holds before it is the older one: two generations, at most twice that a stream. */
export const RECENT_IDS_PER_GENERATION = 100_000;
/** Ids are remembered at least this long (and at least the stream's lookback), at most twice it. */
export const RECENT_MIN_MS = 10 * 60_000;

/**
 * Ids published lately, in two generations: the newer takes every id added; once it is older than the span or
 * holds RECENT_IDS_PER_GENERATION ids, the older is dropped and the newer becomes it. So an id is remembered
 * for one span at least (unless a generation fills first), and the memory stays bounded.
 */
export class RecentlyPublished {
  private newer = new Set<string>();
  private older = new Set<string>();
  private since: number;

  constructor(
    private readonly clock: Clock,
    private readonly spanMs: number,
    private readonly perGeneration = RECENT_IDS_PER_GENERATION,
  ) {
    this.since = clock.now().getTime();
  }

  has(id: string): boolean {
    return this.newer.has(id) || this.older.has(id);
  }

  add(ids: Iterable<string>): void {
    const now = this.clock.now().getTime();
    if (now - this.since >= this.spanMs) this.rotate(now);
    for (const id of ids) {
      if (this.newer.size >= this.perGeneration) this.rotate(now);
      this.newer.add(id);
    }
  }

  private rotate(now: number): void {
    this.older = this.newer;
    this.newer = new Set();
    this.since = now;
  }
}

const memories = new WeakMap<object, Map<string, RecentlyPublished>>();

/**
 * The memory of stream `stream` kept with `owner` (a connector instance: its syncs and its re-reads by id share
 * it, as they share its request budget), made on first use.
 */
export function recentOf(owner: object, stream: string, clock: Clock, lookbackMs = 0): RecentlyPublished {
  let streams = memories.get(owner);
  if (!streams) memories.set(owner, (streams = new Map()));
  let recent = streams.get(stream);
  if (!recent) streams.set(stream, (recent = new RecentlyPublished(clock, Math.max(lookbackMs, RECENT_MIN_MS))));
  return recent;
}
