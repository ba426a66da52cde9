import { createServer } from 'node:net';

/**
 * Bind `host:port` exclusively and release it at once: rejects with the bind's own error (EADDRINUSE, EACCES)
 * when another process holds the address. `puddle start` asks this before it opens the queue, starts landing or
 * rebuilds the live totals, so a taken port is one line in a second, not after a rebuild that takes minutes on a
 * big lake. Another process may still take the port between this and the real listen: that path stays handled.
 */
export function probePort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
