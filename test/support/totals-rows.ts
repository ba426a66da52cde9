// Landed donation rows for the live totals' tests, as the consumer hands them over: contract columns plus the
// envelope's, times in minutes after 2026-11-27T20:00Z.
import type { Cell } from '../../puddles/parquet-writer.js';

/** An instant `minutes` after 2026-11-27T20:00Z, as ISO text. */
export const T = (minutes: number) => new Date(Date.parse('2026-11-27T20:00:00Z') + minutes * 60_000).toISOString();

/** A landed donation row as the consumer hands it over: contract columns plus the envelope's. */
export function donationRow(
  id: string,
  amount: number,
  o: { envelope?: string; changed?: number; received?: number; occurred?: number; status?: string; campaign?: string | null; channel?: string; currency?: string } = {},
): Record<string, Cell> {
  return {
    donation_id: id,
    _id: o.envelope ?? `e-${id}-${amount}-${o.changed ?? 15}-${o.status ?? ''}`,
    amount_minor: amount,
    currency: o.currency ?? 'GBP',
    channel: o.channel ?? 'sms',
    campaign: o.campaign === undefined ? 'appeal' : o.campaign,
    cta: 'tv',
    status: o.status ?? null,
    occurred_at: T(o.occurred ?? 15),
    _changed_at: T(o.changed ?? 15),
    _received_at: T(60 + (o.received ?? 0)),
  };
}

