import { describe, expect, it } from 'vitest';
import { movableClock } from '../connectors/sandbox-kit/movable-clock.js';
import { ForwardClock, receivedAt } from './received-clock.js';

const at = (iso: string) => new Date(iso);
const ms = (iso: string) => Date.parse(iso);

describe('ForwardClock', () => {
  it("stamps the clock's time while it moves on, and stamps in one millisecond alike (as ever)", () => {
    const base = movableClock(at('2026-12-02T10:00:00.000Z'));
    const clock = new ForwardClock(base);
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.000Z');
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.000Z');
    base.advance(5);
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.005Z');
    expect(clock.now()).toEqual(at('2026-12-02T10:00:00.005Z'));
  });

  it('never goes back when the clock does: a millisecond on per millisecond of the clock, until it catches up', () => {
    const base = movableClock(at('2026-12-02T10:00:00.000Z'));
    const clock = new ForwardClock(base);
    clock.receivedAt();
    base.set(at('2026-12-02T08:00:00.000Z'));
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.001Z');
    // The same millisecond of the clock again: the same stamp, so a busy hub never runs ahead of its clock.
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.001Z');
    base.advance(1);
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.002Z');
    base.advance(1000);
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.003Z');
    // Its now() is the clock's own (signature ages and deadlines are measured with it).
    expect(clock.now()).toEqual(at('2026-12-02T08:00:01.001Z'));
    base.set(at('2026-12-02T10:00:00.500Z'));
    expect(clock.receivedAt()).toBe('2026-12-02T10:00:00.500Z');
  });

  it('starts after the last received time kept before a restart, even in that millisecond', () => {
    const kept = ms('2026-12-02T10:00:00.000Z');
    expect(new ForwardClock(movableClock(at('2026-12-02T08:00:00.000Z')), kept).receivedAt()).toBe('2026-12-02T10:00:00.001Z');
    expect(new ForwardClock(movableClock(at('2026-12-02T10:00:00.000Z')), kept).receivedAt()).toBe('2026-12-02T10:00:00.001Z');
    const ahead = new ForwardClock(movableClock(at('2026-12-02T11:00:00.000Z')), kept);
    expect(ahead.receivedAt()).toBe('2026-12-02T11:00:00.000Z');
    expect(ahead.lastReceived).toBe(ms('2026-12-02T11:00:00.000Z'));
  });

  it('is what receivedAt() asks; a clock without received times gives its now()', () => {
    const base = movableClock(at('2026-12-02T10:00:00.000Z'));
    expect(receivedAt(new ForwardClock(base, ms('2026-12-02T12:00:00.000Z')))).toBe('2026-12-02T12:00:00.001Z');
    expect(receivedAt(base)).toBe('2026-12-02T10:00:00.000Z');
  });
});
