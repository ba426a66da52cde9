// The embedded OpsEvents: each event one JSON log line (warn for what needs a person, info otherwise).
// The AWS shape sends the same events to EventBridge (infra/aws/eventbridge-events.ts).
import { log } from './log.js';
import type { OpsEvent, OpsEvents } from './ports.js';

/**
 * Each event's log message, and whether it needs a person (warn) or is for the record (info). A failed sync
 * run is not written here: the engine logs it where it fails (core/engine/run-stream.ts, with the run id), in
 * both shapes, and writing the event too gave every failure two lines.
 */
const LINES: Record<OpsEvent['type'], { msg: string; warn: boolean } | null> = {
  'sync_run.finished': { msg: 'sync run finished', warn: false },
  'sync_run.failed': null,
  'breaks.opened': { msg: 'reconciliation breaks are open, or records received went unaccounted', warn: true },
  'totals.drift': { msg: 'live totals drift from the SQL view', warn: true },
  dead_letter: { msg: 'messages moved to the dead-letter store', warn: true },
};

export const logOpsEvents: OpsEvents = {
  async emit(events) {
    for (const e of events) {
      const { type, ...fields } = e;
      const line = LINES[type];
      if (!line) continue;
      (line.warn ? log.warn : log.info)(line.msg, { event: type, ...fields });
    }
  },
};

/** The events of a finished sync run: one, finished or failed. */
export function syncRunEvent(r: {
  runId: string;
  connector: string;
  stream: string;
  outcome: string;
  records: number;
  quarantined: number;
  error: string | null;
  authFailed?: boolean;
}): OpsEvent {
  return r.outcome === 'failed'
    ? { type: 'sync_run.failed', connector: r.connector, stream: r.stream, run_id: r.runId, error: r.error ?? 'unknown', auth_failed: r.authFailed === true }
    : { type: 'sync_run.finished', connector: r.connector, stream: r.stream, run_id: r.runId, outcome: r.outcome, records: r.records, quarantined: r.quarantined };
}
