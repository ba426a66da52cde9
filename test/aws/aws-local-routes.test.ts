import { describe, expect, it } from 'vitest';

import { routeFor } from '../../infra/aws/local/lambda-bridge.js';

// `puddle aws local` sends a request where the stack's HTTP API would (shape.ts HANDLERS routes), or nowhere.
describe('routeFor: the function API Gateway sends a request to', () => {
  it.each([
    ['POST', '/v1/events', 'producer'],
    ['GET', '/healthz', 'producer'],
    ['POST', '/webhooks/stripe', 'webhooks'],
    ['POST', '/webhooks/freshdesk', 'webhooks'],
    ['GET', '/v1/totals', 'totals'],
  ])('%s %s -> %s', (method, path, fn) => {
    expect(routeFor(method, path)).toBe(fn);
  });

  it.each([
    ['GET', '/v1/events'],
    ['POST', '/v1/totals'],
    ['GET', '/v1/totals/stream'],
    ['POST', '/webhooks/'],
    ['POST', '/webhooks/stripe/extra'],
    ['GET', '/'],
  ])('%s %s -> no route (404 from API Gateway itself)', (method, path) => {
    expect(routeFor(method, path)).toBeUndefined();
  });
});
