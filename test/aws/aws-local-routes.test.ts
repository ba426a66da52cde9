import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../core/errors.js';
import { makeProducerHandler } from '../../infra/aws/handlers/producer.js';
import { invokeHttp, routeFor } from '../../infra/aws/local/lambda-bridge.js';
import { httpApiEvent } from '../support/lambda-events.js';

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

// A function that fails (here the producer, whose runtime cannot start) is answered as the stack's HTTP API answers
// it: 500 {"message":"Internal Server Error"} (REST APIs answer 502; until 2026-12-03 `puddle aws local` did too).
describe('invokeHttp: a failed function as the HTTP API answers it', () => {
  it('answers 500 with API Gateway\'s body, and hands the failure to the log, not the client', async () => {
    const handler = makeProducerHandler(async () => {
      throw new ConfigError('PUDDLE_TOPIC_ARN is not set');
    });
    const failures: unknown[] = [];
    const res = await invokeHttp(handler, httpApiEvent({ method: 'GET', path: '/healthz' }), (err) => failures.push(err));
    expect(res).toEqual({ statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"message":"Internal Server Error"}' });
    expect(failures).toEqual([expect.objectContaining({ message: 'PUDDLE_TOPIC_ARN is not set' })]);
  });
});
