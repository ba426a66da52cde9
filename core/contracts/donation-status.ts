// What a donation's status means, in one place: whether it counts as pledged money (the live totals, their
// DynamoDB counters on AWS and the SQL view totals_by_box) and what stage it gives the journey (recon_journey)
// before any payment moves it on. The SQL reads it as the view `donation_statuses` (puddles/named-views.ts),
// the TypeScript through the sets below, so the TV, finance's reports and the journey cannot drift apart.

import { statusSpellings, statusValues } from './status-list.js';

export interface DonationStatus {
  status: string;
  /** Counts as money raised: in the live total and totals_by_box. */
  pledged: boolean;
  /**
   * recon_journey's stage for a donation with this status while no payment has moved it on. A withdrawn or failed
   * gift has its own (`cancelled`, `failed`): until 2026-12-06 both read `pledged`, so a board pack built on
   * `stage = 'pledged'` counted withdrawn gifts as money still to come (analyst user test).
   */
  stage: 'clicked' | 'pledged' | 'failed' | 'cancelled';
  doc: string;
}

export const DONATION_STATUSES = [
  { status: 'pledged', pledged: true, stage: 'pledged', doc: 'the supporter promised the gift; its payment is still to come' },
  { status: 'pending', pledged: true, stage: 'pledged', doc: 'promised, and its payment is under way (a card being authorised, a Direct Debit being set up)' },
  { status: 'paid', pledged: true, stage: 'pledged', doc: 'promised, and the producer took the money itself (an IVR line, the call centre)' },
  { status: 'started', pledged: false, stage: 'clicked', doc: 'the form was started and not completed yet' },
  { status: 'abandoned', pledged: false, stage: 'clicked', doc: 'the form was left before it was completed' },
  { status: 'failed', pledged: false, stage: 'failed', doc: 'the payment the form tried was refused: no gift' },
  { status: 'cancelled', pledged: false, stage: 'cancelled', doc: 'the supporter or the charity withdrew the gift' },
] as const satisfies readonly DonationStatus[];

export type DonationStatusValue = (typeof DONATION_STATUSES)[number]['status'];

/** The values the donation contract takes, in the order above. */
export const DONATION_STATUS_VALUES = statusValues(DONATION_STATUSES);

/**
 * Other spellings taken for a status: trimmed and lower-cased first, then looked up here. Rows landed before the
 * contract listed its statuses may still hold `canceled` (Stripe's spelling), so it means what `cancelled` does.
 */
export const DONATION_STATUS_ALIASES: Readonly<Record<string, DonationStatusValue>> = { canceled: 'cancelled' };

/**
 * Every spelling a landed donation's status may hold, with its meaning: the statuses, then their other spellings
 * (for rows landed before the contract normalised them). The view `donation_statuses` holds exactly these rows.
 */
export const DONATION_STATUS_SPELLINGS = statusSpellings<DonationStatus>(DONATION_STATUSES, DONATION_STATUS_ALIASES);

/** Statuses (every spelling) that are not pledged money: the live totals and totals_by_box leave these out. */
export const NOT_PLEDGED: ReadonlySet<string> = new Set(DONATION_STATUS_SPELLINGS.filter((s) => !s.pledged).map((s) => s.status));

/**
 * Whether a donation with this status counts as money raised. No status is a plain pledge; a status outside the
 * list (only a row landed before the contract listed them) counts, as the journey calls it pledged.
 */
export function isPledged(status: string | null): boolean {
  return status === null || !NOT_PLEDGED.has(status);
}
