// How a long-running command (puddle start, puddle aws local, puddle sandbox) learns it should stop.

/**
 * A signal this soon after the first is the same stop said twice, not a second one. A terminal's Ctrl-C and a
 * service manager's stop (systemd's KillMode=control-group) signal the whole process group, and under `npm start`
 * npm then passes the signal it got on to the hub as well: the hub hears it twice within milliseconds.
 */
const SAME_STOP_MS = 1000;

/**
 * Resolves on the first SIGINT or SIGTERM, both handled from this call on. Called before the command prints
 * "listening on": a supervisor (or a test) that stops it as soon as it reads that line could otherwise reach
 * it before the handlers, and the default action killed it without a drain.
 *
 * The handlers stay: until 2026-12-07 they were `once`, so the second copy of a group's signal took the default
 * action and killed the hub in the middle of landing what was queued, without `stopped cleanly` (a sysadmin's user
 * test, in three stops of four). A copy within SAME_STOP_MS is ignored; a signal after that is someone asking again,
 * and the process exits at once: what is queued stays durable in queue.db and lands at the next start, as after a
 * crash.
 */
export function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    let first: number | undefined;
    const heard = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (first === undefined) {
        first = now;
        resolve();
      } else if (now - first >= SAME_STOP_MS) {
        process.stderr.write(`${signal} again: stopping now, without waiting; what is still queued stays in queue.db and lands at the next start\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
    };
    process.on('SIGINT', heard);
    process.on('SIGTERM', heard);
  });
}
