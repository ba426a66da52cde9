import type { EngineRuntime } from '../../core/engine/define.js';
import { stopRuns } from '../../core/engine/run-stream.js';
import { streamsNotRun, syncConnector, type ConnectorInstance } from '../../core/engine/sync.js';
import { log } from '../../core/log.js';
import type { ScheduleEntry } from '../../schedules/schedule.js';

export interface Scheduler {
  stop(): Promise<void>;
}

/**
 * The in-process scheduler of the embedded hub: one timer per schedule row. A run that is still going
 * when its next turn comes is not started twice (and the stream lease would refuse it anyway).
 */
export function startScheduler(opts: {
  runtime: EngineRuntime;
  entries: readonly ScheduleEntry[];
  instances: Record<string, ConnectorInstance<never>>;
  /** First run this soon after start (default 1 s). */
  firstRunMs?: number;
  /** Each run's lease on its stream (PUDDLE_LEASE_SECONDS, as `puddle sync` takes it); unset: the engine's 2 minutes. */
  leaseMs?: number;
}): Scheduler {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const deadlines = new Set<Date>();
  let stopping = false;
  for (const entry of opts.entries) {
    const inst = opts.instances[entry.connector];
    // Not configured (no credentials and no sandbox): the hub has said so. The schedule's names and intervals
    // were checked before the hub started (schedules/check-schedule.ts).
    if (!inst) continue;
    let busy = false;
    const tick = () => {
      if (busy || stopping) return;
      busy = true;
      const deadline = new Date(Date.now() + entry.everySeconds * 1000 * 0.9);
      deadlines.add(deadline);
      const p = syncConnector(inst, opts.runtime, { streams: entry.streams, deadline, leaseMs: opts.leaseMs })
        .then((results) => {
          const records = results.reduce((s, r) => s + r.records, 0);
          const bad = results.filter((r) => r.outcome === 'failed' || r.outcome === 'refused');
          // Refused credentials end the sync there: the streams after it are named, or the line reads as if one
          // stream of nine failed (until 2026-12-05, user test).
          const notRun = results.at(-1)?.authFailed ? { not_run: streamsNotRun(inst, results, entry.streams) } : {};
          if (bad.length) log.warn('scheduled sync had problems', { connector: entry.connector, problems: bad.map((r) => `${r.stream}: ${r.error}`), ...notRun });
          else log.info('scheduled sync done', { connector: entry.connector, records });
        })
        .catch((err: unknown) => log.error('scheduled sync failed', { connector: entry.connector, error: err }))
        .finally(() => {
          busy = false;
          running.delete(p);
          deadlines.delete(deadline);
        });
      running.add(p);
    };
    timers.push(setTimeout(tick, opts.firstRunMs ?? 1000));
    timers.push(setInterval(tick, entry.everySeconds * 1000));
  }
  return {
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      // Bring running syncs' time boxes forward: they stop at the next page, checkpointed.
      for (const d of deadlines) stopRuns(d);
      await Promise.all(running);
    },
  };
}
