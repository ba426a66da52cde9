import type { StateStore } from '../ports.js';

/**
 * Where a stream stands. `cursor`: everything before it has been published. `window`/`token`: a
 * window in progress and the page to continue from, so a time-boxed or killed run resumes with no
 * gap. `revisitFrom`: the oldest record that must be read again (still pending at the provider).
 */
export interface Bookmark {
  cursor: string | null;
  window: { from: string; to: string; token: string | null } | null;
  revisitFrom: string | null;
  /** Stream-specific extras (escape-hatch streams keep their own position here). */
  extra?: Record<string, unknown>;
  updatedAt: string;
}

export const EMPTY_BOOKMARK: Bookmark = { cursor: null, window: null, revisitFrom: null, updatedAt: '' };

export const bookmarkKey = (connector: string, stream: string) => `bookmark:${connector}:${stream}`;

export async function loadBookmark(state: StateStore, connector: string, stream: string): Promise<Bookmark> {
  return (await state.get<Bookmark>(bookmarkKey(connector, stream))) ?? { ...EMPTY_BOOKMARK };
}

export async function saveBookmark(state: StateStore, connector: string, stream: string, b: Bookmark): Promise<void> {
  await state.set(bookmarkKey(connector, stream), { ...b, updatedAt: new Date().toISOString() });
}

/** Split [from, to) into windows of at most `sizeMs`, oldest first. */
export function sliceWindows(from: Date, to: Date, sizeMs: number): { from: Date; to: Date }[] {
  const out: { from: Date; to: Date }[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += sizeMs) {
    out.push({ from: new Date(t), to: new Date(Math.min(t + sizeMs, to.getTime())) });
  }
  return out;
}
