// A small Server-Sent Events reader over node:http, for tests: every event and comment, in arrival order.
import { request, type ClientRequest } from 'node:http';

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export interface SseClient {
  status: number;
  messages: SseMessage[];
  /** Resolves with the first message from index `from` on that matches (waits up to `ms`). */
  next(match: (m: SseMessage) => boolean, from?: number, ms?: number): Promise<SseMessage>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const messages: SseMessage[] = [];
    const waiters = new Set<() => void>();
    let req: ClientRequest | undefined = undefined;
    req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const m: SseMessage = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) m.comment = line.slice(1).trim();
            else {
              const c = line.indexOf(':');
              const field = c < 0 ? line : line.slice(0, c);
              const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
              if (field === 'id' || field === 'event' || field === 'data') m[field] = value;
            }
          }
          messages.push(m);
        }
        for (const w of waiters) w();
      });
      resolve({
        status: res.statusCode ?? 0,
        messages,
        next(match, from = 0, ms = 10_000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const found = messages.slice(from).find(match);
              if (found) {
                waiters.delete(check);
                clearTimeout(timer);
                ok(found);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(messages.slice(from)).slice(0, 500)}`));
            }, ms);
            waiters.add(check);
            check();
          });
        },
        close: () => req?.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
