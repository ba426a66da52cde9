// Scheduled: the live totals' DynamoDB counters (what GET /v1/totals answers from) compared with the SQL view
// `totals_by_box` on Athena, the definition finance reports use; the embedded hub runs the same check in-process
// (puddles/totals-keeper.ts). A drift is logged and sent to the ops bus as `totals.drift` (the stack's alarm
// and alert rule watch it); it is never repaired here: the counters are someone's evidence of what went wrong,
// and `DynamoDbTotals.repair()` wants the consumers paused (see docs/aws.md, "Live totals on AWS").
//
// Its own function rather than a step of compaction: it needs only read rights (counters, lake through Athena)
// where compaction writes and deletes lake files; a slow or failing Athena query cannot hold up or fail a
// compaction run (nor the other way round); and it keeps its own schedule and timeout.
import { log } from '../../../core/log.js';
import { logOpsEvents } from '../../../core/ops-events.js';
import { checkDrift, driftEvent, type DriftReport } from '../../../puddles/totals-sql.js';
import type { DynamoDbTotals } from '../dynamodb-totals.js';
import { counterCell } from '../dynamodb-totals-counters.js';
import type { AwsRuntime } from '../runtime.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';
import { totalsTable } from './totals-table.js';

/** What an invocation returns (and logs): the report's figures; the differences go to the log and the event. */
export interface DriftSummary {
  ok: boolean;
  inconclusive: boolean;
  boxes: number;
  skipped: number;
  differing: number;
}

export function makeTotalsDriftHandler(runtime: RuntimeSource, opts: { totals?: (rt: AwsRuntime) => DynamoDbTotals; now?: () => Date } = {}) {
  return async (): Promise<DriftSummary> => {
    const rt = await runtime();
    const totals = (opts.totals ?? totalsTable)(rt);
    const now = opts.now?.() ?? new Date();
    // Strongly consistent reads: the check compares a read before the SQL with one after it. The boxes that count
    // at the check's time, as the view (as_of today) has them: a box dated after today is no drift.
    // A long campaign or cta is compared as the counters keep it (counterCell).
    const live = { cells: () => totals.cells({}, { consistent: true, now: now.getTime() }), sqlCell: counterCell };
    const report: DriftReport = await checkDrift(live, rt.query, now);
    const summary: DriftSummary = { ok: report.ok, inconclusive: report.inconclusive, boxes: report.boxes, skipped: report.skipped, differing: report.differences.length };
    if (report.ok) {
      log.info('totals drift check: counters agree with the SQL view', { against: report.against, ...summary });
      return summary;
    }
    // The log line carries every differing box (ids, amounts and counts only); the event the first one.
    log.warn('totals drift check: counters differ from the SQL view', { against: report.against, ...summary, differences: report.differences.slice(0, 50) });
    await (rt.events ?? logOpsEvents).emit([driftEvent(report)]);
    return summary;
  };
}

export const handler = makeTotalsDriftHandler(defaultRuntime);
