import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from './local-server.js';

export interface TestReceiver<R> {
  server: Server;
  url: string;
  received: R[];
  /** Answer the next `n` deliveries with 503, to exercise retries. */
  failNext: { n: number };
  close(): Promise<void>;
}

/**
 * A local webhook receiver for tests: it hands `read` the raw body (signatures are over bytes) and
 * keeps what it returns, or fails on purpose.
 */
export async function startTestReceiver<R>(opts: { path: string; read: (body: string, headers: IncomingHttpHeaders) => R; okBody?: string }): Promise<TestReceiver<R>> {
  const received: R[] = [];
  const failNext = { n: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failNext.n > 0) {
        failNext.n--;
        res.writeHead(503).end();
        return;
      }
      received.push(opts.read(Buffer.concat(chunks).toString('utf8'), req.headers));
      res.writeHead(200).end(opts.okBody);
    });
  });
  const port = await listenOnLoopback(server);
  return { server, url: `http://127.0.0.1:${port}${opts.path}`, received, failNext, close: () => closeServer(server) };
}
