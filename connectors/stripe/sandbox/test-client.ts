import Stripe from 'stripe';
import type { StripeSandbox } from './types.js';

/** The official SDK pointed at a sandbox, as the connector's tests and the benchmark use it. */
export function sandboxClient(sandbox: Pick<StripeSandbox, 'port' | 'apiKey'>, apiKey = sandbox.apiKey): Stripe {
  return new Stripe(apiKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
}

/** A clock tests can move; the sandbox reads it on every request. */
export function movableClock(start: Date): { now: () => Date; set(d: Date): void; advance(ms: number): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (d) => {
      t = d.getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
