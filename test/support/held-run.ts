import type { Queue } from '../../core/ports.js';

// Lease races in tests: a run is held at its first publish (its queue waits on a promise), so two runs of one
// stream interleave the same way every time.

/** The real queue, whose first publish calls `held` and waits for `until`: the run stops there, lease held. */
export function holdFirstPublish(queue: Queue, until: Promise<unknown>, held: () => void = () => undefined): Queue {
  let first = true;
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'publish') {
        return async (...args: Parameters<Queue['publish']>) => {
          if (first) {
            first = false;
            held();
            await until;
          }
          return target.publish(...args);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** A promise and the function that resolves it. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}
