import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

import type { OpsEvent } from '../../core/ports.js';
import { EventBridgeOpsEvents } from '../../infra/aws/eventbridge-events.js';

// EventBridge has no emulator: its client is mocked; what is checked is batching, retries and reporting.
const eb = mockClient(EventBridgeClient);
afterAll(() => eb.restore());
beforeEach(() => eb.reset());

const drift = (i: number): OpsEvent => ({ type: 'totals.drift', against: 'totals_by_box', boxes_differing: i, first: null });
const events = () => new EventBridgeOpsEvents({ client: new EventBridgeClient({ region: 'eu-west-2' }), sleep: async () => {} });

describe('EventBridgeOpsEvents', () => {
  it('sends 23 events in PutEvents calls of at most 10, each typed with its fields as detail', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
    const out = await events().send(Array.from({ length: 23 }, (_, i) => drift(i)));
    expect(out).toEqual({ sent: 23, failed: [] });
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls[0]![3]).toEqual({ EventBusName: 'puddle-ops', Source: 'puddle', DetailType: 'totals.drift', Detail: JSON.stringify({ against: 'totals_by_box', boxes_differing: 3, first: null }) });
  });

  it('sends only the failed entries again, and reports those that never get through', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      let call = 0;
      eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
        call++;
        // The sync failure is throttled every time; the drift goes through on the second try.
        return {
          FailedEntryCount: input.Entries.filter((e) => e.DetailType !== 'dead_letter').length,
          Entries: input.Entries.map((e) =>
            e.DetailType === 'dead_letter' || (call > 1 && e.DetailType === 'totals.drift') ? { EventId: 'ok' } : { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          ),
        };
      });
      const failed: OpsEvent = { type: 'sync_run.failed', connector: 'stripe', stream: 'charges', run_id: 'r1', error: 'HTTP 500', auth_failed: false };
      const out = await events().send([drift(1), { type: 'dead_letter', puddle: 'transactions', messages: 2, reason: 'boom' }, failed]);
      expect(out.sent).toBe(2);
      expect(out.failed).toEqual([{ type: 'sync_run.failed', code: 'ThrottlingException' }]);
      const sizes = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.map((e) => e.DetailType));
      expect(sizes).toEqual([['totals.drift', 'dead_letter', 'sync_run.failed'], ['totals.drift', 'sync_run.failed'], ['sync_run.failed'], ['sync_run.failed']]);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/operational events not delivered.*ThrottlingException/);
    } finally {
      stderr.mockRestore();
    }
  });

  it('never rejects, even when every call fails', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      eb.on(PutEventsCommand).rejects(new Error('network down'));
      await expect(events().emit([drift(1)])).resolves.toBeUndefined();
      expect(eb.commandCalls(PutEventsCommand).length).toBe(4);
    } finally {
      stderr.mockRestore();
    }
  });
});
