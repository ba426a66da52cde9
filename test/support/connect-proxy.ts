import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { vi } from 'vitest';

export interface ConnectProxy {
  /** http://127.0.0.1:<port>: what HTTP_PROXY / HTTPS_PROXY would say. */
  url: string;
  /** Every CONNECT target asked for, in order (`host:port`). */
  tunnels: string[];
  close(): void;
}

/**
 * An outbound proxy as a charity's network may have one: it tunnels CONNECT requests and notes each target.
 * Like a real proxy it resolves names itself: `hosts` maps a name only it knows (`stripe.sandbox.test`) to
 * where it really is, so a client that reaches such a name reached it through the proxy.
 */
export async function startConnectProxy(hosts: Record<string, string> = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer().on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url!);
    const at = req.url!.lastIndexOf(':');
    const host = req.url!.slice(0, at);
    const up = connect(Number(req.url!.slice(at + 1)), hosts[host] ?? host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client).pipe(up);
    });
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => client.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    tunnels,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Points this process's proxy variables (for http URLs) at `url`, whatever the machine's own say: lower case first, as curl reads them. */
export function stubProxyEnv(url: string): void {
  for (const [name, value] of Object.entries({ HTTP_PROXY: url, http_proxy: url, NO_PROXY: '', no_proxy: '' })) vi.stubEnv(name, value);
}
