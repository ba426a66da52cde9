import dns from 'node:dns';
import { createServer, isIP, type Server } from 'node:net';

/**
 * The addresses a listen on `host` binds. Fastify binds every address `localhost` resolves to (127.0.0.1 and ::1
 * on most machines); any other name is one address, the first the resolver gives, and an address is itself.
 */
export async function listenAddresses(host: string): Promise<string[]> {
  if (isIP(host) || host !== 'localhost') return [host];
  const found = await dns.promises.lookup(host, { all: true });
  return [...new Set(found.map((a) => a.address))];
}

/**
 * Bind `host:port` exclusively, on every address the hub's listen binds (listenAddresses), and release it at once:
 * rejects with the bind's own error (EADDRINUSE, EACCES, with the address taken) when another process holds one.
 * `puddle start` asks this before it opens the queue, starts landing or rebuilds the live totals, so a taken port
 * is one line in a second, not after a rebuild that takes minutes on a big lake. Until 2026-12-02 `localhost` was
 * probed on its first address only, and a process on the other one went unnoticed. Another process may still take
 * the port between this and the real listen: the hub listens before it rebuilds anything, and says so as well.
 */
export async function probePort(host: string, port: number): Promise<void> {
  const held: Server[] = [];
  try {
    for (const address of await listenAddresses(host)) {
      await new Promise<void>((resolve, reject) => {
        const probe = createServer();
        probe.once('error', reject);
        probe.listen({ host: address, port, exclusive: true }, () => {
          held.push(probe);
          resolve();
        });
      });
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
