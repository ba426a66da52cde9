import { afterEach, describe, expect, it, vi } from 'vitest';

import { logOpsEvents, syncRunEvent } from './ops-events.js';

describe('logOpsEvents (the embedded OpsEvents)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one JSON line per event, warn for what needs a person, but none for a failed run (the engine wrote it)', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    await logOpsEvents.emit([
      syncRunEvent({ runId: 'r1', connector: 'stripe', stream: 'charges', outcome: 'succeeded', records: 12, quarantined: 0, error: null }),
      syncRunEvent({ runId: 'r2', connector: 'stripe', stream: 'charges', outcome: 'failed', records: 0, quarantined: 0, error: 'HTTP 401', authFailed: true }),
      { type: 'totals.drift', against: 'totals_by_box', boxes_differing: 2, first: null },
    ]);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p.level, p.msg, p.event])).toEqual([
      ['info', 'sync run finished', 'sync_run.finished'],
      ['warn', 'live totals drift from the SQL view', 'totals.drift'],
    ]);
  });
});
