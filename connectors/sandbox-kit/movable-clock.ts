export interface MovableClock {
  now: () => Date;
  set(d: Date): void;
  advance(ms: number): void;
}

/** A clock tests can move; the sandbox reads it on every request. */
export function movableClock(start: Date): MovableClock {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (d) => {
      t = d.getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
