import { ConfigError } from '../core/errors.js';
import type { ScheduleEntry } from './schedule.js';

/**
 * The shortest interval a schedule row may ask for. A run is time-boxed to its interval and pays for its lease,
 * its bookmarks and a first page before it reads anything: `everySeconds: 0` made back-to-back runs of a few
 * milliseconds (3193 partial Braintree runs in 40 s), each spending the provider's request budget on setup.
 */
export const MIN_EVERY_SECONDS = 10;

/**
 * Throws one ConfigError naming every mistake in the schedule, a line each, so `puddle start` stops on them
 * with exit code 2 instead of running something else than the schedule says: a connector name that is not
 * one (`Stripe`) was skipped without a word, a stream name that is not one failed only when its run started,
 * and an interval of 0 ran the connector in a loop. A connector named here whose credentials are not set is
 * not a mistake of the schedule: the hub runs its sandbox or goes without it, as before.
 */
export function checkSchedule(entries: readonly ScheduleEntry[], connectors: Readonly<Record<string, { streams: readonly string[] }>>): void {
  const problems: string[] = [];
  entries.forEach((e, i) => {
    const at = `schedules/schedule.ts entry ${i + 1} (connector ${JSON.stringify(e.connector)})`;
    const connector = Object.hasOwn(connectors, e.connector) ? connectors[e.connector] : undefined;
    if (!connector) problems.push(`${at}: there is no such connector; the connectors are ${Object.keys(connectors).join(', ')}`);
    if (e.streams !== undefined) {
      if (!Array.isArray(e.streams) || e.streams.length === 0) {
        problems.push(`${at}: streams names no stream; leave it out to sync all of them`);
      } else if (connector) {
        const unknown = e.streams.filter((s) => !connector.streams.includes(s));
        if (unknown.length) {
          problems.push(`${at}: ${e.connector} has no stream ${unknown.map((s) => JSON.stringify(s)).join(', ')}; its streams are ${connector.streams.join(', ')}`);
        }
      }
    }
    const every: unknown = e.everySeconds;
    if (typeof every !== 'number' || !Number.isFinite(every) || every < MIN_EVERY_SECONDS) {
      problems.push(`${at}: everySeconds must be a number of seconds, at least ${MIN_EVERY_SECONDS} (got ${typeof every === 'number' ? String(every) : JSON.stringify(every)})`);
    }
  });
  if (problems.length) throw new ConfigError(problems.join('\n'));
}
