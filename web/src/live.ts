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

export type LinkState = 'live' | 'reconnecting';

export function followTotals(query: string, onDoc: (doc: TotalsDocument) => void, onState: (s: LinkState) => void): void {
  let source: EventSource | undefined;
  const open = () => {
    source = new EventSource(`/v1/totals/stream${query}`);
    source.addEventListener('totals', (e) => {
      onState('live');
      onDoc(JSON.parse((e as MessageEvent<string>).data) as TotalsDocument);
    });
    source.addEventListener('open', () => onState('live'));
    source.addEventListener('error', () => {
      onState('reconnecting');
      if (source?.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(open, 2000);
      }
    });
  };
  open();
}

/** The page's own query string, without anything the stream does not take. */
export function totalsQuery(params: URLSearchParams, by: string): string {
  const q = new URLSearchParams();
  const campaign = params.get('campaign');
  if (campaign) q.set('campaign', campaign);
  q.set('by', by);
  return `?${q.toString()}`;
}
