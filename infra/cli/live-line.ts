import type { FailureState } from '../../core/repeated-failure.js';
import { fromMinorUnits } from '../../core/money.js';
import type { HubStats, LiveTotal } from '../local/hub.js';

const WHY: Record<FailureState['reason'], string> = { disk_full: 'disk full', not_writable: 'not writable', home_gone: 'home removed', failed: 'failing' };
const since = (f: FailureState) => `${WHY[f.reason]} since ${f.since.slice(11, 19)}Z`;

/** The running total the TV shows (all campaigns, all time), which a restart does not reset. */
function total(t: LiveTotal | null, failing: FailureState | null): string {
  // Until 2026-12-02 a failed rebuild read `rebuilding` for ever.
  if (!t && failing) return `LIVE TOTAL NOT REBUILT from the lake (${since(failing)}), retrying: the log says why; /v1/totals answers 503 and /tv shows no total`;
  if (!t) return 'live total rebuilding from the lake';
  if (!t.currency) return 'live total 0 (no donations yet)';
  const others = t.others.length ? `, + ${t.others.join(', ')}` : '';
  return `live total ${t.currency} ${fromMinorUnits(t.amount_minor, t.currency)} (${t.count} ${t.count === 1 ? 'donation' : 'donations'}${others})`;
}

/**
 * `puddle start`'s one line: what this start has accepted, the live total, what waits to land, and what is wrong,
 * loudly. Until 2026-12-02 it read `accepted 0` after a restart with no total, as if the night had started again.
 */
export function liveLine(s: HubStats): string {
  const oldest = s.oldestWaitingMs >= 1000 ? ` (oldest ${(s.oldestWaitingMs / 1000).toFixed(1)} s)` : '';
  const behind = s.behind ? ` | BEHIND: over ${s.bound} waiting (PUDDLE_MAX_QUEUE_DEPTH), still accepting` : '';
  const queue = s.queueFailing ? ` | QUEUE CANNOT COMMIT (${since(s.queueFailing)}): events refused with 503` : '';
  const puddles = Object.keys(s.landingFailing).sort();
  // The one failing longest says since when.
  const first = Object.values(s.landingFailing).sort((a, b) => a.since.localeCompare(b.since))[0];
  const landing = first ? ` | LANDING FAILING: ${puddles.join(', ')} (${since(first)}), events wait in the queue` : '';
  return `accepted since start ${s.accepted} | ${total(s.liveTotal, s.liveTotalFailing)} | waiting to land ${s.waiting}${oldest} | lake files ${s.files}${behind}${queue}${landing}`;
}
