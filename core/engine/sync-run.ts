import { log } from '../log.js';
import { logOpsEvents, syncRunEvent } from '../ops-events.js';
import { mappedToEnvelopes } from './envelopes.js';
import type { EngineRuntime } from './define.js';

export interface RunMetrics {
  records: number;
  pages: number;
  requests: number;
  retries: number;
  /** 429 answers seen. */
  rateLimited: number;
  quarantined: number;
}

export interface RunResult extends RunMetrics {
  runId: string;
  connector: string;
  stream: string;
  startedAt: string;
  endedAt: string;
  /**
   * succeeded; partial (time box reached or stopped, checkpointed: `error` says which); quota (the provider's daily API share is used:
   * checkpointed, not an error); failed; refused (another run holds the lease).
   */
  outcome: 'succeeded' | 'partial' | 'quota' | 'failed' | 'refused';
  error: string | null;
  /** The provider refused the credentials: the connector's other streams would fail the same way. */
  authFailed?: boolean;
  /**
   * What the run read other than asked, said once (logged, and printed under `puddle sync`'s table): a backfill
   * of Stripe's events from before the 30 days Stripe keeps them starts at the 30 days.
   */
  note?: string | null;
}

export const lastRunKey = (connector: string, stream: string) => `lastrun:${connector}:${stream}`;

/** Every run is data: the `sync_run` contract on the queue (queryable) and the last one in state (status). */
export async function recordRun(runtime: EngineRuntime, r: RunResult): Promise<void> {
  await runtime.state.set(lastRunKey(r.connector, r.stream), r);
  const { envelopes } = mappedToEnvelopes(
    [
      {
        contract: 'sync_run',
        version: 1,
        payload: {
          sync_run_id: r.runId,
          occurred_at: r.startedAt,
          ended_at: r.endedAt,
          connector: r.connector,
          stream: r.stream,
          records: r.records,
          pages: r.pages,
          requests: r.requests,
          retries: r.retries,
          rate_limited: r.rateLimited,
          outcome: r.outcome,
          error: r.error,
        },
      },
    ],
    { source: 'engine', stream: r.stream, delivery_id: r.runId, received_at: r.endedAt, raw: null },
  );
  try {
    await runtime.queue.publish(envelopes);
  } catch (err) {
    log.warn('could not record the sync run', { runId: r.runId, error: err });
  }
  // A run the lease refused did nothing: not worth announcing.
  if (r.outcome !== 'refused') await (runtime.events ?? logOpsEvents).emit([syncRunEvent(r)]);
}
