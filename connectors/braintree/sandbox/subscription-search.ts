import type { Ledger } from './ledger.js';
import { compileSearch, type FieldSpec } from './search-criteria.js';
import type { SandboxSubscription } from './types.js';

type Sub = SandboxSubscription;

/** The subscription search fields (the SDK's SubscriptionSearch, snake_case) the sandbox answers. */
const SUBSCRIPTION_FIELDS: Readonly<Record<string, FieldSpec<Sub>>> = {
  created_at: { kind: 'datetime', values: (s) => [s.created_at] },
  next_billing_date: { kind: 'date', values: (s) => [s.next_billing_date] },
  price: { kind: 'amount', values: (s) => [s.price] },
  status: { kind: 'multiple', values: (s) => [s.status] },
  plan_id: { kind: 'multiple', values: (s) => [s.plan_id] },
  merchant_account_id: { kind: 'multiple', values: (s) => [s.merchant_account_id] },
  in_trial_period: { kind: 'multiple', values: () => ['false'] },
  id: { kind: 'text', value: (s) => s.id },
};

/** Matching subscriptions in (created_at, id) order. */
export function searchSubscriptions(ledger: Ledger, search: unknown): SandboxSubscription[] {
  const compiled = compileSearch(search, SUBSCRIPTION_FIELDS);
  return ledger.subscriptions.filter(compiled.matches).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}
