// The note under a dashboard panel whose poll failed or hangs (web/src/poll-freshness.ts): it says since when its
// figures are and why, so an operator never reads a failed panel's last figures as current.
import { describe, expect, it } from 'vitest';
import { asOf, failedWhy, figuresTime, HANGING_MS, pollNote } from '../web/src/poll-freshness.js';

const at = (iso: string) => Date.parse(iso);

describe('a polled panel\'s note', () => {
  it('is empty while the last poll answered and none hangs', () => {
    expect(pollNote({ answeredAt: at('2026-11-27T20:40:00Z') }, at('2026-11-27T20:40:02Z'))).toBeUndefined();
    expect(pollNote({ answeredAt: at('2026-11-27T20:40:00Z'), askedAt: at('2026-11-27T20:40:03Z') }, at('2026-11-27T20:40:04Z'))).toBeUndefined();
  });

  it('tells a pass that ran out from a key the hub refuses', () => {
    expect(failedWhy(401, { error: { code: 'pass_expired', message: 'x' } })).toBe("this page's pass has run out: open /?key=<read key> again");
    expect(failedWhy(401, { error: { code: 'unauthorized', message: 'x' } })).toBe("the hub refused this page's key (401): open /?key=<read key> again");
  });

  it('says the figures are not current, from when, and why, once a poll failed', () => {
    const why = failedWhy(503, { error: { code: 'lake_file_unavailable', message: 'lake file lake/x.parquet is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract donation' } });
    expect(pollNote({ answeredAt: at('2026-11-27T20:40:00Z'), failed: why }, at('2026-11-27T20:43:10Z'))).toEqual({
      kind: 'stale',
      text: 'NOT CURRENT: figures from 20:40:00 UTC, 3 min ago; the hub answered 503: lake file lake/x.parquet is listed in the catalog but is missing or damaged: re-derive it from raw with puddle replay --contract donation',
    });
  });

  it('dates reused figures by their computed_at, not by when the answer came', () => {
    const state = { answeredAt: at('2026-11-27T20:40:30Z'), figuresAt: figuresTime({ computed_at: '2026-11-27T20:40:00.000Z', stages: [] }), failed: failedWhy(503, undefined) };
    expect(pollNote(state, at('2026-11-27T20:40:40Z'))?.text).toBe('NOT CURRENT: figures from 20:40:00 UTC, 40 s ago; the hub answered 503');
    // An answer whose parts each have their own time (the status) is as old as it is.
    expect(figuresTime({ computed_at: { quarantine: '2026-11-27T20:40:00.000Z' } })).toBeUndefined();
    expect(figuresTime(undefined)).toBeUndefined();
  });

  it('says so once a poll hangs, before it fails', () => {
    const state = { answeredAt: at('2026-11-27T20:40:00Z'), askedAt: at('2026-11-27T20:40:03Z') };
    expect(pollNote(state, state.askedAt + HANGING_MS - 1)).toBeUndefined();
    expect(pollNote(state, state.askedAt + 20_000)).toEqual({ kind: 'stale', text: 'NOT CURRENT: figures from 20:40:00 UTC, 23 s ago; the hub has not answered for 20 s' });
  });

  it('says a request pending now rather than how the one before it failed (a hub restarting: refused, then slow)', () => {
    const state = { answeredAt: at('2026-11-27T20:40:00Z'), failed: failedWhy(undefined, undefined), askedAt: at('2026-11-27T20:41:00Z') };
    expect(pollNote(state, at('2026-11-27T20:41:05Z'))?.text).toBe('NOT CURRENT: figures from 20:40:00 UTC, 65 s ago; the hub did not answer (stopped, restarting or unreachable)');
    expect(pollNote(state, at('2026-11-27T20:41:30Z'))?.text).toBe('NOT CURRENT: figures from 20:40:00 UTC, 90 s ago; the hub has not answered for 30 s');
    expect(pollNote({ failed: failedWhy(503, { error: { message: 'the live totals are being rebuilt from the lake; try again shortly' } }), askedAt: at('2026-11-27T20:41:00Z') }, at('2026-11-27T20:41:30Z'))).toEqual({ kind: 'waiting', text: 'waiting for the hub\'s first answer (asked 30 s ago)' });
  });

  it('before any figures: waiting for a slow first answer is not trouble, a failure is', () => {
    const asked = at('2026-11-27T20:40:00Z');
    expect(pollNote({ askedAt: asked }, asked + 200_000)).toEqual({ kind: 'waiting', text: 'waiting for the hub\'s first answer (asked 3 min ago)' });
    expect(pollNote({ failed: failedWhy(undefined, undefined) }, asked)).toEqual({ kind: 'stale', text: 'no figures: the hub did not answer (stopped, restarting or unreachable)' });
  });

  it('words each failure for an operator', () => {
    expect(failedWhy(401, { error: { code: 'unauthorized', message: 'x' } })).toBe('the hub refused this page\'s key (401): open /?key=<read key> again');
    expect(failedWhy(502, '<html>bad gateway</html>')).toBe('the hub answered 502');
    expect(failedWhy(undefined, undefined, 120_000)).toBe('the hub did not answer within 2 min');
  });
});

describe("a reused answer's age", () => {
  it('says when its figures were worked out and how long ago, and nothing without a time', () => {
    expect(asOf('2026-11-27T20:40:00.123Z', at('2026-11-27T20:40:12Z'))).toBe('as of 20:40:00 UTC, 12 s ago');
    expect(asOf('2026-11-27T20:40:00Z', at('2026-11-27T20:43:10Z'))).toBe('as of 20:40:00 UTC, 3 min ago');
    expect(asOf(undefined, at('2026-11-27T20:40:00Z'))).toBe('');
    expect(asOf('not a time', at('2026-11-27T20:40:00Z'))).toBe('');
  });
});
