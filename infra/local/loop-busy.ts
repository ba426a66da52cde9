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
 * So the share counts ELU only as far as the thread's own CPU time backs it: the lower of ELU and twice the
 * thread's CPU share (Linux's per-thread `schedstat`). In a real burst the producer's thread is on a CPU for
 * 55-80% of the time (`/proc`, `npm run bench -- hub`), so the share is ELU as before; an idle loop under
 * the profiler reads 0.02-0.05. Where `schedstat` cannot be read (not Linux), the share is ELU alone.
 */
export function loopBusySampler(): () => number {
  let lastLoop = performance.eventLoopUtilization();
  let lastCpuNs = threadCpuNs();
  let lastAt = performance.now();
  return () => {
    const loop = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(loop, lastLoop).utilization;
    const cpuNs = threadCpuNs();
    const at = performance.now();
    let share = elu;
    if (cpuNs !== null && lastCpuNs !== null && at > lastAt) share = Math.min(elu, (2 * (cpuNs - lastCpuNs)) / ((at - lastAt) * 1e6));
    lastLoop = loop;
    lastCpuNs = cpuNs;
    lastAt = at;
    return Math.max(0, Math.min(1, share));
  };
}

/** Nanoseconds this thread has run on a CPU (the first field of /proc/thread-self/schedstat); null if unknown. */
function threadCpuNs(): number | null {
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}
