import type { FailureState } from '../../core/repeated-failure.js';
import type { HubStats } from '../local/hub.js';

const WHY: Record<FailureState['reason'], string> = { disk_full: 'disk full', not_writable: 'not writable', failed: 'failing' };
const since = (f: FailureState) => `${WHY[f.reason]} since ${f.since.slice(11, 19)}Z`;

/** `puddle start`'s one line: what was accepted, what waits to land, and what is wrong, loudly. */
export function liveLine(s: HubStats): string {
  const oldest = s.oldestWaitingMs >= 1000 ? ` (oldest ${(s.oldestWaitingMs / 1000).toFixed(1)} s)` : '';
  const behind = s.behind ? ` | BEHIND: over ${s.bound} waiting (PUDDLE_MAX_QUEUE_DEPTH), still accepting` : '';
  const queue = s.queueFailing ? ` | QUEUE CANNOT COMMIT (${since(s.queueFailing)}): events refused with 503` : '';
  const puddles = Object.keys(s.landingFailing).sort();
  // The one failing longest says since when.
  const first = Object.values(s.landingFailing).sort((a, b) => a.since.localeCompare(b.since))[0];
  const landing = first ? ` | LANDING FAILING: ${puddles.join(', ')} (${since(first)}), events wait in the queue` : '';
  return `accepted ${s.accepted} | waiting to land ${s.waiting}${oldest} | lake files ${s.files}${behind}${queue}${landing}`;
}
