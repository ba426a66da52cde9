import type { Ledger } from './ledger.js';
import { SandboxStateError } from './late-changes.js';
import { parseParams, rejectUnknown } from './query-params.js';
import { StripeApiError, noSuch } from './stripe-errors.js';
import { cancelSubscription } from './subscription-flow.js';
import type { SandboxSubscriptionObject } from './types.js';

const CANCEL_PARAMS = new Set(['cancellation_details', 'invoice_now', 'prorate', 'expand']);

/**
 * `DELETE /v1/subscriptions/:id`, the one write the sandbox answers: Stripe's SDK sends a DELETE's parameters in
 * the query string, as a GET's (`cancellation_details[comment]`, `[feedback]`). Null for any other DELETE.
 */
export function deleteSubscription(ledger: Ledger, url: URL, now: number): SandboxSubscriptionObject | null {
  const m = /^\/v1\/subscriptions\/([^/]+)$/.exec(url.pathname);
  if (!m) return null;
  const params = parseParams(url.search);
  rejectUnknown(params, CANCEL_PARAMS);
  const id = decodeURIComponent(m[1]!);
  const sub = ledger.subscriptions.get(id);
  if (!sub) throw noSuch('subscription', id);
  const details = params.get('cancellation_details')?.keyed ?? {};
  try {
    return cancelSubscription(ledger, sub, now, { reason: 'cancellation_requested', comment: details.comment ?? null, feedback: details.feedback ?? null });
  } catch (err) {
    if (err instanceof SandboxStateError) throw new StripeApiError(400, 'invalid_request_error', err.message, undefined, 'id');
    throw err;
  }
}
