import Stripe from 'stripe';
import type { StripeSandbox } from './types.js';

export { movableClock } from '../../sandbox-kit/movable-clock.js';

/** The official SDK pointed at a sandbox, as the connector's tests and the benchmark use it. */
export function sandboxClient(sandbox: Pick<StripeSandbox, 'port' | 'apiKey'>, apiKey = sandbox.apiKey): Stripe {
  return new Stripe(apiKey, { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
}
