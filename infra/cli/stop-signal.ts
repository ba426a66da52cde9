// How a long-running command (puddle start, puddle aws local) learns it should stop.

/**
 * Resolves on the first SIGINT or SIGTERM, both handled from this call on. Called before the command prints
 * "listening on": a supervisor (or a test) that stops it as soon as it reads that line could otherwise reach
 * it before the handlers, and the default action killed it without a drain.
 */
export function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
