import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../connectors/registry.js';
import { ConfigError } from '../core/errors.js';
import { checkSchedule } from './check-schedule.js';
import { SCHEDULE, type ScheduleEntry } from './schedule.js';

const entry = (e: Partial<ScheduleEntry>): ScheduleEntry => ({ connector: 'stripe', everySeconds: 60, why: 'test', ...e });
const problems = (entries: ScheduleEntry[]): string[] => {
  try {
    checkSchedule(entries, CONNECTORS);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  return [];
};

describe('checkSchedule', () => {
  it('takes the schedule the project ships', () => {
    expect(problems([...SCHEDULE])).toEqual([]);
  });

  it('names every wrong entry, with what is wrong and what it may be, a line each', () => {
    expect(
      problems([
        entry({ connector: 'Stripe' }),
        entry({ connector: 'braintree', everySeconds: 0 }),
        entry({ connector: 'freshdesk', streams: ['tickets', 'tickts'], everySeconds: 300 }),
        entry({ connector: 'salesforce', streams: [] }),
        entry({ everySeconds: 5 }),
        entry({ everySeconds: Number.NaN }),
        entry({ everySeconds: '60' as unknown as number }),
        entry({ connector: 'stripe', streams: ['charges'], everySeconds: 10 }),
      ]),
    ).toEqual([
      `schedules/schedule.ts entry 1 (connector "Stripe"): there is no such connector; the connectors are ${Object.keys(CONNECTORS).join(', ')}`,
      'schedules/schedule.ts entry 2 (connector "braintree"): everySeconds must be a number of seconds, at least 10 (got 0)',
      `schedules/schedule.ts entry 3 (connector "freshdesk"): freshdesk has no stream "tickts"; its streams are ${CONNECTORS.freshdesk!.streams.join(', ')}`,
      'schedules/schedule.ts entry 4 (connector "salesforce"): streams names no stream; leave it out to sync all of them',
      'schedules/schedule.ts entry 5 (connector "stripe"): everySeconds must be a number of seconds, at least 10 (got 5)',
      'schedules/schedule.ts entry 6 (connector "stripe"): everySeconds must be a number of seconds, at least 10 (got NaN)',
      'schedules/schedule.ts entry 7 (connector "stripe"): everySeconds must be a number of seconds, at least 10 (got "60")',
    ]);
  });
});
