// When each source's last webhook arrived, for the dashboard: kept from what the raw consumer lands, so a
// dashboard that polls never scans `raw` (every envelope ever received). Seeded from `raw` once at start.
import { RAW_ONLY_CONTRACT } from '../core/envelope.js';
import type { QueryEngine } from '../core/ports.js';
import type { LandedRows } from './landed.js';
import { RAW_TABLE } from './layout.js';

/** Webhooks are the `provider_event` envelopes a receiver wrote; re-read audit rows (stream `reread`) are not. */
export const LAST_WEBHOOK_SQL = `SELECT source, max(received_at) AS last_received_at FROM raw
  WHERE contract = '${RAW_ONLY_CONTRACT}' AND stream <> 'reread' GROUP BY source`;

/** The columns of a landed raw row that onLanded reads. */
export const FRESHNESS_COLUMNS: readonly string[] = ['contract', 'stream', 'source', 'received_at'];

export class WebhookFreshness {
  readonly #last = new Map<string, number>();

  readonly onLanded = (landed: LandedRows): void => {
    if (landed.contract !== RAW_TABLE.contract) return;
    for (const r of landed.rows) {
      if (r.contract !== RAW_ONLY_CONTRACT || r.stream === 'reread' || typeof r.source !== 'string') continue;
      this.#note(r.source, Date.parse(String(r.received_at)));
    }
  };

  /** Take what `raw` already holds (landed before this process started). */
  async seed(query: QueryEngine): Promise<void> {
    for (const r of await query.query(LAST_WEBHOOK_SQL)) this.#note(String(r.source), Date.parse(String(r.last_received_at)));
  }

  /** Source -> ISO time of its newest webhook. */
  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.#last].map(([s, t]) => [s, new Date(t).toISOString()]));
  }

  #note(source: string, at: number): void {
    if (!Number.isNaN(at) && at > (this.#last.get(source) ?? Number.NEGATIVE_INFINITY)) this.#last.set(source, at);
  }
}
