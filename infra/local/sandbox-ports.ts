import { ConfigError } from '../../core/errors.js';
import { listenProblem } from '../../core/listen-problem.js';
import { SANDBOXES } from '../../connectors/sandboxes.js';
import { probePort } from './port-probe.js';

/**
 * PUDDLE_SANDBOX_PORTS as core/config.ts read it, its names checked against the sandboxes (core does not know
 * them): a name that is none is a ConfigError (exit 2), as PUDDLE_SANDBOXES's is. Unset: none, every sandbox on a
 * free port.
 */
export function sandboxPorts(ports: Record<string, number> | undefined): Record<string, number> {
  const all = Object.keys(SANDBOXES);
  const bad = Object.keys(ports ?? {}).filter((name) => !all.includes(name));
  if (bad.length) throw new ConfigError(`PUDDLE_SANDBOX_PORTS names ${bad.map((n) => JSON.stringify(n)).join(', ')}, which has no sandbox: the sandboxes are ${all.join(', ')}`);
  return ports ?? {};
}

/** The line for a sandbox that cannot listen on the port PUDDLE_SANDBOX_PORTS gives it, or `err` itself for another failure. */
export function sandboxPortFailure(name: string, port: number, err: unknown): unknown {
  const problem = listenProblem(err, `the ${name} sandbox's port (PUDDLE_SANDBOX_PORTS): 127.0.0.1:${port}`, {
    taken: `: stop that process, or give ${name} another port there (0: a free one)`,
    denied: `: give ${name} a port above 1023 there (0: a free one)`,
  });
  return problem === null ? err : new ConfigError(problem);
}

/**
 * Binds each port the sandboxes about to start are given, and lets go at once: a taken one is a ConfigError
 * before the hub opens its queue or starts landing, as a taken PORT is (a sandbox starts only after the hub listens).
 */
export async function probeSandboxPorts(names: readonly string[], ports: Record<string, number>): Promise<void> {
  for (const name of names) {
    const port = ports[name];
    if (!port) continue;
    await probePort('127.0.0.1', port).catch((err: unknown) => {
      throw sandboxPortFailure(name, port, err);
    });
  }
}
