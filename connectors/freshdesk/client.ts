import type { RateObservation } from '../../core/engine/budget.js';
import { getJson, httpErrorClassifier, httpRate } from '../../core/engine/json-http.js';
import type { FreshdeskErrorBody } from './raw.js';

/** One answer: the parsed body, the next page's path (from `Link: <...>; rel="next"`), what the account has left. */
export interface FreshdeskAnswer<T> {
  body: T;
  next: string | null;
  rate: RateObservation | null;
}

function rateOf(headers: Headers): RateObservation | null {
  const remaining = Number(headers.get('x-ratelimit-remaining'));
  const total = Number(headers.get('x-ratelimit-total'));
  return headers.has('x-ratelimit-remaining') && headers.has('x-ratelimit-total') && Number.isFinite(remaining) && Number.isFinite(total) ? { remaining, total } : null;
}

/** The path and query of `Link`'s rel="next" target: only those are followed, against the configured host. */
export function nextFromLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) {
      const u = new URL(m[1]!, 'http://base.invalid');
      return `${u.pathname}${u.search}`;
    }
  }
  return null;
}

/** Error codes and fields only: Freshdesk's messages can quote what was sent. */
function detailOf(body: unknown): string {
  const b = body as FreshdeskErrorBody | null;
  if (!b || typeof b !== 'object') return '';
  const errors = Array.isArray(b.errors) ? b.errors.map((e) => `${e.field ?? '?'}: ${e.code ?? 'invalid'}`).join(', ') : '';
  return [b.code, errors].filter(Boolean).join('; ');
}

/** Plain HTTP with Basic `apikey:X` (no SDK), through the engine's getJson: the engine owns retries and the budget. */
export class FreshdeskClient {
  private readonly auth: string;

  constructor(
    readonly apiBase: string,
    apiKey: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.auth = `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`;
  }

  async get<T>(pathAndQuery: string): Promise<FreshdeskAnswer<T>> {
    const answer = await getJson<T>(this.apiBase, pathAndQuery, {
      provider: 'freshdesk',
      headers: { authorization: this.auth },
      timeoutMs: this.timeoutMs,
      rateOf,
      detailOf,
    });
    return { body: answer.body, next: nextFromLink(answer.headers.get('link')), rate: answer.rate };
  }
}

/** Freshdesk's errors as the engine's kinds. Messages name status, path and error codes: never the key. */
export const classifyFreshdeskError = httpErrorClassifier({ provider: 'freshdesk', authHint: "check FRESHDESK_API_KEY and the agent's permissions" });

/** What the account has left, from an answer or an error (X-Ratelimit-Remaining / X-Ratelimit-Total). */
export const freshdeskRate = httpRate;
