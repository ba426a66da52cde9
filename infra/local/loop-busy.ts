import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * How busy this thread's event loop has been since the last call (0 to 1): what the landing threads read to
 * give way to the producer during a burst (landing-thread.ts).
 *
 * The event loop's utilisation (ELU) says how much of the time the loop was not waiting in epoll, which is
 * what a burst looks like: requests one after another, and waiting for a CPU counts as busy, as it should
 * (the producer wants the cores). But a loop can also be "in use" without using a CPU, and then ELU alone
 * paused landing for nothing:
 * - under `node --cpu-prof` an idle loop reads 0.90 (measured here: the profiler's signals keep interrupting
 *   epoll), so in `npm run bench -- hub` with `PUDDLE_BENCH_CPU_PROF` landing paused after every batch for the
 *   whole drain, 5,000 deliveries a second a puddle instead of 20,000-25,000;
 * - a loop blocked in a synchronous call (a disk stall, a lock) is in use and idle on the CPU.
 * So the share counts ELU only as far as the thread's own demand for a CPU backs it: the lower of ELU and
 * twice the share of the time the thread was on a CPU or waiting in the run queue for one (Linux's
 * per-thread `schedstat`, its first two fields). In a real burst the producer's thread is on a CPU for
 * 55-80% of the time (`/proc`, `npm run bench -- hub`) and waits for one much of the rest, so the share is ELU
 * as before; an idle loop under the profiler reads 0.02-0.05. Where `schedstat` cannot be read (not Linux),
 * the share is ELU alone.
 *
 * The wait counts since 2026-12-03. Before, on a machine loaded by other work (eight runnable threads on its two
 * cores), the producer's thread got a fifth of a CPU in a burst, read as not busy, and landing kept its full
 * pace beside it: in the hub bench under a loaded machine, 100 events a request fell from 60,000 to 10,000
 * events/s, with the hub's threads spending 75-95 µs of CPU an event against 22-25 on a quiet one.
 */
export function loopBusySampler(): () => number {
  let lastLoop = performance.eventLoopUtilization();
  let lastDemandNs = threadDemandNs();
  let lastAt = performance.now();
  return () => {
    const loop = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(loop, lastLoop).utilization;
    const demandNs = threadDemandNs();
    const at = performance.now();
    let share = elu;
    if (demandNs !== null && lastDemandNs !== null && at > lastAt) share = Math.min(elu, (2 * (demandNs - lastDemandNs)) / ((at - lastAt) * 1e6));
    lastLoop = loop;
    lastDemandNs = demandNs;
    lastAt = at;
    return Math.max(0, Math.min(1, share));
  };
}

/**
 * Nanoseconds this thread has run on a CPU or waited in the run queue for one (the first two fields of
 * /proc/thread-self/schedstat); null if unknown.
 */
function threadDemandNs(): number | null {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 2).map(Number);
    const ns = run! + wait!;
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}
