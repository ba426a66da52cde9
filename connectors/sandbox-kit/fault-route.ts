import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSandboxFaults, type SandboxFaults } from './faults.js';

/**
 * A request its host answers before the provider's protocol sees it: true when it took the request. No request
 * log, no rate limit, no fault and no key apply to it, so arming a fault spends none of the counts it arms.
 */
export type ControlRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface ControlRouteOption {
  /** Only the hub passes one (its fault switch): a sandbox started otherwise has no such route. */
  control?: ControlRoute;
}

/** Where a sandbox the hub runs takes faults while it runs; no provider has this path. */
export const FAULT_ROUTE = '/_sandbox/faults';

const MAX_BODY = 1024;

/**
 * `POST /_sandbox/faults` on a sandbox the hub runs, with one PUDDLE_SANDBOX_FAULTS entry's faults as the body
 * (`status429=5,retryAfterSeconds=2`): armed from that moment, so "the next 5 requests" are the next ones, not
 * the first scheduled syncs' after `puddle start`. 200 with what was armed; 400 saying what is wrong; 405 for
 * another method. `inject` returns false while the sandbox is still starting (503).
 */
export function faultRoute(connector: string, accepts: readonly (keyof SandboxFaults)[], inject: (faults: SandboxFaults) => boolean): ControlRoute {
  return (req, res) => {
    if (new URL(req.url ?? '/', 'http://sandbox').pathname !== FAULT_ROUTE) return false;
    void (async () => {
      const send = (status: number, body: object, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method !== 'POST') return send(405, { error: `${FAULT_ROUTE} takes POST with faults such as status429=5,retryAfterSeconds=2` }, { allow: 'POST' });
      let body = '';
      for await (const chunk of req) {
        body += String(chunk);
        if (body.length > MAX_BODY) return send(400, { error: `the body is at most ${MAX_BODY} characters` });
      }
      const text = body.trim();
      let faults: SandboxFaults;
      try {
        if (!text) throw new Error(`name the faults to arm, such as status5xx=3 (${connector}'s sandbox takes ${accepts.join(', ')})`);
        if (text.includes(';') || text.includes(':')) throw new Error(`the body is this sandbox's faults only, such as status5xx=3, without "${connector}:" or ";"`);
        faults = parseSandboxFaults(`${connector}:${text}`, { [connector]: accepts })[connector] ?? {};
      } catch (err) {
        return send(400, { error: (err as Error).message });
      }
      if (!inject(faults)) return send(503, { error: `${connector}'s sandbox is still starting: try again in a moment` });
      send(200, { connector, armed: faults });
    })().catch(() => res.destroy());
    return true;
  };
}
