import type { StreamDef, Window } from './define.js';

/** A window to read, and the page to continue from (null: its start). */
export type PlannedWindow = Window & { token: string | null };

type WindowSpec = NonNullable<StreamDef['windows']>;

/**
 * The windows of one run, oldest first, made one at a time from `from` up to `to` after any `queued` (a window
 * a stopped run was in the middle of). Windows start at `sizeMs`; where the stream allows larger ones
 * (`maxSizeMs`), a window read in one page makes the next one twice as long, up to that. A backfill over a
 * quiet year was one list call per empty window (Stripe's events: 335 empty days of 365), and the pages of a
 * busy span cost the same in one window as in many. Nothing is kept of the size: a resumed run starts small.
 */
export class WindowPlan {
  private size: number;
  private from: number;
  private readonly to: number;

  constructor(
    private readonly queued: PlannedWindow[],
    from: Date,
    to: Date,
    private readonly spec: Pick<WindowSpec, 'sizeMs' | 'maxSizeMs' | 'alignMs'>,
  ) {
    this.size = spec.sizeMs;
    this.from = from.getTime();
    this.to = to.getTime();
  }

  /** The span this run reads (null: nothing to read), for progress. */
  get span(): { from: number; to: number } | null {
    const first = this.queued[0]?.from.getTime() ?? this.from;
    const last = Math.max(this.to, ...this.queued.map((w) => w.to.getTime()));
    return first < last ? { from: first, to: last } : null;
  }

  /** The next window to read, or null when the range is read. */
  next(): PlannedWindow | null {
    const queued = this.queued.shift();
    if (queued) return queued;
    if (this.from >= this.to) return null;
    let end = this.from + this.size;
    // Aligned: end at the last boundary within the size (the first window of a run ends at the next boundary).
    const align = this.spec.alignMs;
    if (align && end % align !== 0 && end - (end % align) > this.from) end -= end % align;
    const w = { from: new Date(this.from), to: new Date(Math.min(end, this.to)), token: null };
    this.from = w.to.getTime();
    return w;
  }

  /** Window `w` was read in `pages` pages: one (or none) lets the next one grow. */
  read(w: PlannedWindow, pages: number): void {
    const max = this.spec.maxSizeMs ?? this.spec.sizeMs;
    if (pages <= 1 && w.to.getTime() - w.from.getTime() >= this.size) this.size = Math.min(this.size * 2, max);
  }

  /** Read `w` as two halves instead (the provider found it too large), and the windows after it at the start size. */
  split(w: PlannedWindow, mid: Date): void {
    this.queued.unshift({ from: w.from, to: mid, token: null }, { from: mid, to: w.to, token: null });
    this.size = this.spec.sizeMs;
  }
}
