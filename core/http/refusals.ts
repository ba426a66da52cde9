import { log } from '../log.js';

/** Distinct sources or reasons a line names before it counts the rest as `others`. */
const MAX_NAMED = 10;
/** What a refusal from no known key is counted under. */
export const NO_KNOWN_KEY = 'unidentified';
// A field's path (`events[3].payload.occurred_at`) or an error code (`malformed_json`): what a reason may be.
const REASON = /^(?:[A-Za-z_][\w]*(?:\[\d+\])?)(?:\.[A-Za-z_][\w]*(?:\[\d+\])?)*$/;

/**
 * Why an answer refused: the paths of the fields its `rejected` events broke (their index left out, so one supplier's
 * mistake counts as one reason), else its error's code. Read from the answer's JSON, which names no value.
 */
export function refusalReasons(body: string): string[] {
  let doc: { error?: { code?: unknown }; rejected?: { errors?: { path?: unknown }[] }[] };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    return [];
  }
  const paths = new Set<string>();
  for (const r of Array.isArray(doc.rejected) ? doc.rejected : []) {
    for (const e of Array.isArray(r?.errors) ? r.errors : []) {
      const path = typeof e?.path === 'string' ? e.path.replace(/^events\[\d+\]\./, '') : '';
      if (REASON.test(path)) paths.add(path);
    }
  }
  if (paths.size) return [...paths];
  const code = doc.error?.code;
  return typeof code === 'string' && REASON.test(code) ? [code] : [];
}

/**
 * The producer's refused requests (any 4xx answer to POST /v1/events), said in the log: the first at once, then what
 * came since at most once a minute, counted by status, by the source the key writes as (`producer:sms-agency`, the
 * name of a named key, or `unidentified`: no known key) and by reason (a field's path, or the error's code). A batch is all or
 * nothing, so a supplier whose every batch is refused (a field its system fills wrongly, a key rotated out) drops off
 * the totals without a word: until 2026-12-05 no refusal reached the log at any level, nor any page, and until
 * 2026-12-06 the line did not say whose requests or why (user tests). Never a key, a body or a value.
 */
export class Refusals {
  readonly #everyMs: number;
  readonly #now: () => number;
  #counts = new Map<number, number>();
  #sources = new Map<string, number>();
  #reasons = new Map<string, number>();
  #since = 0;
  #loggedAt = -Infinity;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: { everyMs?: number; now?: () => number } = {}) {
    this.#everyMs = opts.everyMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** One refusal: its status, the source of the key that sent it (none: no known key) and the answer's JSON. */
  note(status: number, source?: string, body?: string): void {
    if (this.#counts.size === 0) this.#since = this.#now();
    this.#counts.set(status, (this.#counts.get(status) ?? 0) + 1);
    count(this.#sources, source ?? NO_KNOWN_KEY);
    for (const reason of body === undefined ? [] : refusalReasons(body)) count(this.#reasons, reason);
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
      by_source: Object.fromEntries(this.#sources),
      by_reason: Object.fromEntries(this.#reasons),
      since: new Date(this.#since).toISOString(),
    });
    this.#counts = new Map();
    this.#sources = new Map();
    this.#reasons = new Map();
  }
}

/** One more of `key`, or of `others` once MAX_NAMED are named. */
function count(counts: Map<string, number>, key: string): void {
  const k = counts.has(key) || counts.size < MAX_NAMED ? key : 'others';
  counts.set(k, (counts.get(k) ?? 0) + 1);
}
