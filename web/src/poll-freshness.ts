// How current a polled panel's figures are. A panel keeps its last answer when a poll fails (an error status, no
// answer at all) or hangs (a frozen hub), so it must say since when its figures are and why, or an operator reads
// them as current: until 2026-12-03 only the stream's dot showed trouble, and the queue, quarantine, sources,
// journey and breaks kept their last figures without a word. Pure: the page (ops.ts) puts the note under a panel.

/** What a panel knows of its polls. Times in ms since the epoch. */
export interface PollState {
  /** When its last answer came; undefined before the first. */
  answeredAt?: number;
  /**
   * When the last answer's figures were worked out, where it says (`computed_at`): the hub serves the journey and
   * the breaks for up to a minute after, so they are older than the answer. Undefined: as old as the answer.
   */
  figuresAt?: number;
  /** When the request in flight was sent; undefined while none is. */
  askedAt?: number;
  /** Why its last request failed; cleared by an answer. */
  failed?: string;
}

/** A request unanswered for this long counts as hanging (a poll answers in milliseconds once a first answer is made). */
export const HANGING_MS = 15_000;

/** `19:40:12 UTC`: a time today, to the second, as the page's notes say it. */
export const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

const age = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
};

/**
 * The note under a panel, and whether it is trouble (`stale`) or only a first answer being worked out (`waiting`,
 * which on a big lake takes minutes): `undefined` while its figures are its latest answer's.
 */
export function pollNote(s: PollState, now: number): { text: string; kind: 'stale' | 'waiting' } | undefined {
  const hanging = s.askedAt !== undefined && now - s.askedAt >= HANGING_MS;
  if (!s.failed && !hanging) return undefined;
  if (s.answeredAt === undefined) {
    return hanging ? { text: `waiting for the hub's first answer (asked ${age(now - s.askedAt!)} ago)`, kind: 'waiting' } : { text: `no figures: ${s.failed}`, kind: 'stale' };
  }
  // A request pending now says more than how the one before it failed (a hub restarting: refused, then slow).
  const why = hanging ? `the hub has not answered for ${age(now - s.askedAt!)}` : s.failed;
  // From the figures' own time where the answer gave one: until 2026-12-05 the arrival's, so a panel read "as of
  // 11:49:37 UTC, 30 s ago" beside "NOT CURRENT: figures from 11:50:07 UTC, 12 s ago".
  const from = s.figuresAt ?? s.answeredAt;
  return { text: `NOT CURRENT: figures from ${clock(from)}, ${age(now - from)} ago; ${why}`, kind: 'stale' };
}

/** An answer's `computed_at` in ms, when it has one for all its figures (the journey's, the breaks'). */
export function figuresTime(body: unknown): number | undefined {
  const at = (body as { computed_at?: unknown } | null | undefined)?.computed_at;
  const ms = typeof at === 'string' ? Date.parse(at) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Why a request failed, in an operator's words: the hub's own message when it sent one (a damaged lake file names
 * the file and the `puddle replay` to run; none names a path on the machine, SQL or a record), else its status.
 */
export function failedWhy(status: number | undefined, body: unknown, gaveUpAfterMs?: number): string {
  if (status === undefined) {
    return gaveUpAfterMs ? `the hub did not answer within ${age(gaveUpAfterMs)}` : 'the hub did not answer (stopped, restarting or unreachable)';
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error?.code === 'pass_expired') return "this page's pass has run out: open /?key=<read key> again";
  if (status === 401 || status === 403) return `the hub refused this page's key (${status}): open /?key=<read key> again`;
  const message = error?.message;
  return typeof message === 'string' && message ? `the hub answered ${status}: ${message}` : `the hub answered ${status}`;
}

/**
 * How old a reused answer's figures are, from its `computed_at`: `as of 19:42:05 UTC, 12 s ago`, or '' without
 * one (a part that could not be read). The hub reuses the journey, the breaks and the status's lake counts (the
 * sync runs, the open quarantine) for up to a minute and serves them while the next is made: a panel says when
 * its figures are from rather than passing them off as live.
 */
export function asOf(computedAt: unknown, now: number): string {
  const at = typeof computedAt === 'string' ? Date.parse(computedAt) : NaN;
  return Number.isNaN(at) ? '' : `as of ${clock(at)}, ${age(now - at)} ago`;
}
