// POST /v1/events and GET /healthz behind API Gateway (both routed here by the stack): the embedded producer's routes, unchanged.
import { httpHandler, type HttpHandler } from './http-event.js';
import { buildHttpApp } from './http-app.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';

export function makeProducerHandler(runtime: RuntimeSource): HttpHandler {
  return httpHandler(async () => buildHttpApp(await runtime()));
}

export const handler = makeProducerHandler(defaultRuntime);
