// The live totals stream, kept open: EventSource reconnects by itself after a dropped connection (sending
// Last-Event-ID), and when the hub was down long enough that the browser gave up, this opens a new one.
export interface TotalsAmount {
  amount_minor: number;
  count: number;
}

export interface CurrencyTotals {
  currency: string;
  total: TotalsAmount;
  by: ({ key: string | null } & TotalsAmount)[];
  boxes: ({ start: string } & TotalsAmount)[];
}

export interface TotalsDocument extends CurrencyTotals {
  as_of: string | null;
  currency: string;
  currencies: CurrencyTotals[];
}

/**
 * 'refused': the hub answered the query with a 400 (a mistyped `from=`, say), which reconnecting would not help, or
 * refused the page's key (401, 403, or 429 for an address that sent too many unknown keys), which is asked again
 * now and then, so a hub restarted with the key put back is followed again by itself.
 */
export type LinkState = 'live' | 'behind' | 'polling' | 'reconnecting' | 'refused';
// 'behind': the link is live, but the hub says donations it accepted wait to be counted (its heartbeat's `behind`):
// the figure is behind what was given. Until 2026-12-06 a lake that could not be written left the TV's frozen total
// under a green "live" (a user test).
// 'polling': the page's key already holds every live stream it may (PUDDLE_MAX_STREAMS_PER_KEY), so the page reads
// GET /v1/totals every POLL_MS instead, and takes a stream again once one of the key's others ends. Until 2026-12-06
// such a page stayed blank under "reconnecting", though the hub would have given it the figure (a user test).

/** What a heartbeat's `behind` says (puddles/http/totals-routes.ts CountingBehind). */
interface Behind {
  waiting: number;
  oldest_waiting_s: number;
  landing_failing_since?: string;
}

/** The words of a heartbeat's or a document's `behind`, when it says donations wait to be counted; else undefined. */
function behindOf(b: Behind | undefined): string | undefined {
  return b && typeof b.waiting === 'number' ? behindWhy(b) : undefined;
}

/** The words for a figure that is behind, for the page's status line. */
export function behindWhy(b: Behind): string {
  const n = b.waiting.toLocaleString('en-GB');
  const cause = b.landing_failing_since ? `landing has failed since ${b.landing_failing_since.slice(11, 19)} UTC` : 'landing is behind';
  return `BEHIND: ${n} donation${b.waiting === 1 ? '' : 's'} accepted, not counted yet (the oldest for ${b.oldest_waiting_s} s): ${cause}`;
}

/**
 * The page's title for its link's state: plain while live, else the state first (`BEHIND · Live total`), so a page in a
 * background tab, the taskbar and a screen reader's window title say it too (an accessibility review, 2026-12-06).
 */
export function titleFor(base: string, state: LinkState): string {
  const word = { live: '', behind: 'BEHIND', polling: 'Polling', reconnecting: 'Reconnecting', refused: 'Refused' }[state];
  return word ? `${word} · ${base}` : base;
}

/**
 * Calls `changed` when the link's state changes, not at each call (a document, up to four a second, says 'live'
 * again), nor for the first 'live' as the page opens: what a screen reader is told (both pages' status regions).
 */
export function onLinkChange(changed: (state: LinkState, why?: string) => void): (state: LinkState, why?: string) => void {
  let was: LinkState | undefined;
  return (state, why) => {
    if (state !== was && (was !== undefined || state !== 'live')) changed(state, why);
    was = state;
  };
}

/** The hub's heartbeat interval until its first heartbeat says it (the hub's default, 15 s). */
const DEFAULT_BEAT_MS = 15_000;
/** Heartbeats that may go missing before the link counts as dead: a loaded hub or a slow network is late, not gone. */
const MISSED_BEATS = 2;
/** Slack on top, for a loaded machine. */
const SLACK_MS = 5_000;
/** How often a page whose key the hub refuses asks again: 4 unknown keys a minute, well under the hub's 20. */
const KEY_RETRY_MS = 30_000;
/** How often a page without a stream of its own (its key holds all of them) reads the figure. */
const POLL_MS = 2_000;

const utcTime = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

export function followTotals(query: string, onDoc: (doc: TotalsDocument) => void, onState: (s: LinkState, why?: string) => void): void {
  let source: EventSource | undefined;
  let beatMs = DEFAULT_BEAT_MS;
  // The last word from the hub (a document, a heartbeat, an answer), and when the stream in hand was opened.
  let heardAt = Date.now();
  let openedAt = Date.now();
  const heard = () => (heardAt = Date.now());
  // What the last heartbeat said of donations waiting to be counted: the link's state stays 'behind' until one says none.
  let behind: string | undefined;
  const live = () => (behind ? onState('behind', behind) : onState('live'));
  const open = () => {
    openedAt = Date.now();
    const es = new EventSource(`/v1/totals/stream${query}`);
    source = es;
    es.addEventListener('totals', (e) => {
      heard();
      live();
      onDoc(JSON.parse((e as MessageEvent<string>).data) as TotalsDocument);
    });
    // The stream is live once the hub speaks on it: its first heartbeat comes at once (an `open` alone also
    // comes before a stream that only says the totals are not whole yet, and would flash "live").
    es.addEventListener('heartbeat', (e) => {
      heard();
      try {
        const beat = JSON.parse((e as MessageEvent<string>).data) as { every_ms?: unknown; behind?: Behind };
        if (typeof beat.every_ms === 'number' && beat.every_ms > 0) beatMs = beat.every_ms;
        behind = behindOf(beat.behind);
      } catch {
        // A heartbeat is a heartbeat whatever it carries.
        behind = undefined;
      }
      live();
    });
    es.addEventListener('open', heard);
    // The hub has no whole total yet (rebuilding, or its rebuild failing): it says so, ends the stream and
    // names the wait (retry:), after which EventSource opens it again by itself.
    es.addEventListener('unavailable', () => {
      heard();
      onState('reconnecting');
    });
    es.addEventListener('error', () => {
      if (source !== es) return;
      onState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        source = undefined;
        // EventSource hides the status of a refused stream: ask the same question once as a plain GET, so a
        // bad parameter or a refused key reads as what is wrong instead of a page reconnecting for ever.
        void refusal(query).then((r) => {
          if (r === undefined) return void setTimeout(open, 2000);
          if (r.polled) {
            heard();
            onDoc(r.polled);
            const late = behindOf(r.polled.behind);
            if (late) onState('behind', late);
            else onState('polling', r.why);
          } else onState('refused', r.why);
          if (r.againMs !== undefined) setTimeout(open, r.againMs);
        });
      }
    });
  };
  // A hub that hangs, or a link that goes silent without closing (a network dropping packets, a proxy that lost
  // the connection), sends no error: EventSource waits on the socket for good. The hub sends a heartbeat every
  // beatMs, so silence well past that means the figure on screen may be stale: say so, and open a new stream.
  // Until 2026-12-03 the page read "live" under a frozen total for as long as the socket stayed open.
  setInterval(() => {
    if (!source || Date.now() - Math.max(heardAt, openedAt) <= MISSED_BEATS * beatMs + SLACK_MS) return;
    source.close();
    source = undefined;
    onState('reconnecting', `no word from the hub since ${utcTime(heardAt)}: reconnecting`);
    open();
  }, 1000);
  open();
}

interface Refusal {
  why: string;
  /** When to ask again; undefined: never (the query itself is wrong). */
  againMs?: number;
  /** No stream for this key, but the figure, read with GET /v1/totals. */
  polled?: TotalsDocument & { behind?: Behind };
}

/**
 * Why the hub refuses this page's stream, else undefined (down, warming up, or a place free again: worth retrying
 * soon). The stream's own address is asked, so that its answer is the stream's (a plain GET of /v1/totals is never
 * refused for the key's streams); if it opens after all, it is closed at once and the page opens its EventSource again.
 */
async function refusal(query: string): Promise<Refusal | undefined> {
  try {
    const asked = new AbortController();
    const res = await fetch(`/v1/totals/stream${query}`, { headers: { accept: 'application/json' }, signal: asked.signal });
    if (![400, 401, 403, 429].includes(res.status)) {
      asked.abort();
      return undefined;
    }
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    const message = body.error?.message;
    if (res.status === 400) return { why: message ?? 'the hub refused this page\'s query' };
    // Its own key's streams are all open (other pages, or a page reloading in a loop): the figure is read instead.
    if (res.status === 429 && body.error?.code === 'too_many_streams_for_key') {
      const doc = await fetch(`/v1/totals${query}`, { headers: { accept: 'application/json' } });
      if (!doc.ok) return undefined;
      const why = `read every ${POLL_MS / 1000} s (this page's key holds all the live streams it may): close other pages on it, or give this screen a key of its own`;
      return { why, againMs: POLL_MS, polled: (await doc.json()) as TotalsDocument & { behind?: Behind } };
    }
    if (res.status === 429) {
      const wait = Number(res.headers.get('retry-after'));
      return { why: message ?? 'too many unknown keys from this address', againMs: (Number.isFinite(wait) && wait > 0 ? wait : 300) * 1000 };
    }
    // The page's pass: run out, signed by a key unknown to the hub (rolled, or a hub started without it), or not one for this.
    const code = body.error?.code;
    const which =
      code === 'pass_expired' ? 'this page\'s pass has run out'
        : code === 'key_retired' ? 'this page\'s key was retired'
          : res.status === 401 ? 'the hub does not know this page\'s key' : 'the hub does not take this page\'s key here';
    return { why: `${which}: open ${location.pathname}?key=<key> again (asking again every ${KEY_RETRY_MS / 1000} s)`, againMs: KEY_RETRY_MS };
  } catch {
    return undefined;
  }
}

/** The page's own filter, as /v1/totals and /v1/ops/ctas take it: the campaign and the time window. */
export function filterQuery(params: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams();
  for (const name of ['campaign', 'from', 'to']) {
    const v = params.get(name);
    if (v) q.set(name, v);
  }
  return q;
}

/** The page's own query string, without anything the stream does not take. */
export function totalsQuery(params: URLSearchParams, by: string): string {
  const q = filterQuery(params);
  q.set('by', by);
  return `?${q.toString()}`;
}
