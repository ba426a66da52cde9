import dns from 'node:dns';
import { createServer, isIP, type Server } from 'node:net';

/**
 * The addresses a listen on `host` binds. Fastify binds every address `localhost` resolves to (127.0.0.1 and ::1
 * on most machines); any other name is one address, the first the resolver gives, and an address is itself.
 * An address of `localhost` after the first that this machine does not have (::1 with IPv6 switched off:
 * EADDRNOTAVAIL) is left out: fastify drops it without a word, and no other process can hold it either. Until
 * 2026-12-02 it counted, and `puddle start` with HOST=localhost could not start at all on such a machine.
 */
export async function listenAddresses(host: string): Promise<string[]> {
  if (isIP(host) || host !== 'localhost') return [host];
  const found = await dns.promises.lookup(host, { all: true });
  const [first, ...others] = [...new Set(found.map((a) => a.address))];
  if (first === undefined) return [host];
  const kept = [first];
  for (const address of others) if (await onThisMachine(address)) kept.push(address);
  return kept;
}

/** Whether this machine has `address` to bind (a bind on a free port fails with EADDRNOTAVAIL or EAFNOSUPPORT if not). */
function onThisMachine(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRNOTAVAIL' && err.code !== 'EAFNOSUPPORT'));
    probe.listen({ host: address, port: 0, exclusive: true }, () => probe.close(() => resolve(true)));
  });
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
