// POST /v1/events and GET /healthz behind API Gateway (both routed here by the stack): the embedded producer's
// routes, with /healthz naming the connectors whose last runs failed, as the embedded hub's does (connectors-health.ts).
import { connectorsHealth } from './connectors-health.js';
import { httpHandler, type HttpHandler, type HttpHandlerOptions } from './http-event.js';
import { buildHttpApp, runtimeWithFreshSecrets } from './http-app.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';

export function makeProducerHandler(runtime: RuntimeSource, opts: HttpHandlerOptions = {}): HttpHandler {
  // One per warm function, not per app (an app is made again every few minutes for its keys), so the once-a-second
  // read holds across them.
  let connectors: ReturnType<typeof connectorsHealth> | undefined;
  return httpHandler(async () => {
    const rt = await runtimeWithFreshSecrets(runtime);
    connectors ??= connectorsHealth({ state: rt.state, ...(opts.now ? { now: opts.now } : {}) });
    const read = connectors;
    return buildHttpApp(rt, [], async () => ({ connectors: await read() }));
  }, opts);
}

export const handler = makeProducerHandler(defaultRuntime);
