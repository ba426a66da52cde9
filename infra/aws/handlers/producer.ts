// POST /v1/events and GET /healthz behind API Gateway (both routed here by the stack): the embedded producer's routes, unchanged.
import { httpHandler, type HttpHandler, type HttpHandlerOptions } from './http-event.js';
import { buildHttpApp, runtimeWithFreshSecrets } from './http-app.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';

export function makeProducerHandler(runtime: RuntimeSource, opts: HttpHandlerOptions = {}): HttpHandler {
  return httpHandler(async () => buildHttpApp(await runtimeWithFreshSecrets(runtime)), opts);
}

export const handler = makeProducerHandler(defaultRuntime);
