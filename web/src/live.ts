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

/** 'refused': the hub answered the query with a 400 (a mistyped `from=`, say); reconnecting would not help. */
export type LinkState = 'live' | 'reconnecting' | 'refused';

export function followTotals(query: string, onDoc: (doc: TotalsDocument) => void, onState: (s: LinkState, why?: string) => void): void {
  let source: EventSource | undefined;
  const open = () => {
    source = new EventSource(`/v1/totals/stream${query}`);
    source.addEventListener('totals', (e) => {
      onState('live');
      onDoc(JSON.parse((e as MessageEvent<string>).data) as TotalsDocument);
    });
    source.addEventListener('open', () => onState('live'));
    // The hub has no whole total yet (rebuilding, or its rebuild failing): it says so, ends the stream and
    // names the wait (retry:), after which EventSource opens it again by itself.
    source.addEventListener('unavailable', () => onState('reconnecting'));
    source.addEventListener('error', () => {
      onState('reconnecting');
      if (source?.readyState === EventSource.CLOSED) {
        source.close();
        // EventSource hides the status of a refused stream: ask the same question once as a plain GET, so a
        // bad parameter reads as what is wrong instead of a page reconnecting for ever.
        void refusal(query).then((why) => (why === undefined ? setTimeout(open, 2000) : onState('refused', why)));
      }
    });
  };
  open();
}

/** The hub's reason when it refuses this query (400), else undefined (down, warming up: worth retrying). */
async function refusal(query: string): Promise<string | undefined> {
  try {
    const res = await fetch(`/v1/totals${query}`, { headers: { accept: 'application/json' } });
    if (res.status !== 400) return undefined;
    const body = (await res.json()) as { error?: { message?: string } };
    return body.error?.message ?? 'the hub refused this page\'s query';
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
