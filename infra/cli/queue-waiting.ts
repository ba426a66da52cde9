import { PUDDLES } from '../../puddles/definitions.js';
import type { SqliteQueue } from '../local/sqlite-queue.js';

/** What waits in the queue to land: deliveries per puddle (those with any), and how long the oldest has waited. */
export interface Waiting {
  each: [puddle: string, deliveries: number][];
  total: number;
  /** Since the hub received the oldest of them, in ms; 0 when none waits. */
  oldestMs: number;
}

/**
 * Read from queue.db, so it is there when the hub is down too (its /healthz and live line are gone with it).
 * `withRaw: false` leaves out `raw`: a running hub keeps up to a batch of it queued on purpose
 * (PUDDLE_RAW_LINGER_SECONDS), and a record waiting only there has landed in its own puddle, where reports read it.
 */
export async function waitingToLand(queue: SqliteQueue, opts: { withRaw: boolean }): Promise<Waiting> {
  const names = PUDDLES.map((p) => p.name).filter((name) => opts.withRaw || name !== 'raw');
  const depths = await Promise.all(names.map(async (name) => [name, await queue.depth(name)] as [string, number]));
  const each = depths.filter(([, n]) => n > 0);
  const oldestMs = each.length ? await queue.oldestWaitingMs(each.map(([name]) => name)) : 0;
  return { each, total: each.reduce((t, [, n]) => t + n, 0), oldestMs };
}

/** `transactions 6, raw 6 (the oldest received 2m ago)`. */
export function waitingText(w: Waiting): string {
  return `${w.each.map(([name, n]) => `${name} ${n.toLocaleString('en-GB')}`).join(', ')} (the oldest received ${humanLag(w.oldestMs)} ago)`;
}

const LANDS_THEM = 'a running hub lands them; with none running, puddle start or puddle land';

export function humanLag(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/**
 * What a command that reads the lake (`puddle report`, `export`) says on stderr while records wait on the queue to
 * land: it leaves them out. Until 2026-12-05 a report after a bank import with no hub running printed "(no rows)"
 * and nothing else, and `--fail-on-breaks` passed (user test). Null when nothing waits.
 */
export async function leftOutNote(queue: SqliteQueue, command: string): Promise<{ note: string; waiting: Waiting } | null> {
  const waiting = await waitingToLand(queue, { withRaw: false });
  if (!waiting.total) return null;
  const n = waiting.total.toLocaleString('en-GB');
  return {
    waiting,
    note: `puddle ${command}: ${n} record${waiting.total === 1 ? '' : 's'} wait${waiting.total === 1 ? 's' : ''} on the queue to land: ${waitingText(waiting)}. This ${command} leaves them out until they land: ${LANDS_THEM}\n`,
  };
}
