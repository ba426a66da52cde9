import { dateParse } from '../time.js';
import type { FieldError } from './validate.js';

/**
 * How far after the hub received a record its `occurred_at` or `updated_at` may be: a day. A sender's clock a few
 * minutes fast, or local time sent as UTC (at most 14 hours ahead, in Kiribati), stays inside it; a wrong year
 * (2099, 2062 for 2026), a date read month-first, or a due date sent as when it happened does not. Such a time
 * would put the record in a partition of its own, keep it out of every total of the night it belongs to, and,
 * as `updated_at`, win over every correction sent before that year comes.
 */
export const MAX_AHEAD_MS = 86_400_000;

/**
 * The bound, widened by `puddle demo` and tests alone, whose worlds are fixed calendars (the reconciliation world
 * runs to 2027-01-20) sent at today's time: a setting of the engine runtime (EngineRuntime.maxAheadMs) and the
 * producer (ServerOptions.maxAheadMs), never read from the environment. A hub that takes real data keeps the day.
 * (Until 2026-12-04 it was a process-wide switch, allowTimesAhead: whatever widened it widened it for every runtime
 * and server in the process.)
 */
export const DEMO_MAX_AHEAD_MS = 400 * 86_400_000;

/**
 * The earliest `occurred_at` or `updated_at` taken: 1900-01-01. Nothing a charity records happened before it (a
 * legacy gift from the 1950s does not reach it), and a year typed short (`0026` for 2026, `0202`, `1026`) does:
 * landed, it filed the record under a partition of that year and counted it in every all-time total, and, as
 * `updated_at`, it lost to every version before it for good. Until 2026-12-05 any year from 0001 was taken.
 */
export const MIN_TIME_MS = Date.UTC(1900, 0, 1);
const MIN_TIME_ISO = new Date(MIN_TIME_MS).toISOString();

/** The fields the bounds hold for: when it happened and when this version changed, which every contract has. */
const BOUNDED = ['occurred_at', 'updated_at'] as const;

/**
 * The errors for a validated payload (times already `...Z`) whose occurred_at or updated_at is more than a day after
 * `receivedAt` (the envelope's received_at), or before MIN_TIME_MS: a producer's 400, a connector's or webhook's
 * quarantine.
 */
export function timeBoundsErrors(value: Record<string, unknown>, receivedAtMs: number, maxAheadMs = MAX_AHEAD_MS, prefix = 'payload'): FieldError[] | null {
  let errors: FieldError[] | null = null;
  for (const name of BOUNDED) {
    const v = value[name];
    if (typeof v !== 'string') continue;
    const at = dateParse(v);
    if (at < MIN_TIME_MS) {
      (errors ??= []).push({
        path: `${prefix}.${name}`,
        message: `is before ${MIN_TIME_ISO.slice(0, 10)}: send when it happened, with its four-digit year (a year typed short, 0026 for 2026, is the usual cause)`,
      });
      continue;
    }
    if (!(at - receivedAtMs > maxAheadMs)) continue;
    (errors ??= []).push({
      path: `${prefix}.${name}`,
      message: `is more than a day after the hub received it (${new Date(receivedAtMs).toISOString()}): send when it happened, with its zone (a wrong year or a local time sent as UTC is the usual cause)`,
    });
  }
  return errors;
}
