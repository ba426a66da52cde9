// Provider webhooks (POST /webhooks/stripe, /webhooks/braintree, /webhooks/freshdesk) behind API Gateway,
// through the embedded hub's routes: signatures are checked there, on the bytes the provider sent (http-event.ts
// keeps them).
//
// No re-read prompter: a Lambda is frozen once it has answered, so a re-read started after the answer
// might never run. What a webhook names is landed from the webhook itself, and the next scheduled sync
// reads the object again.
import { webhookPlugins } from '../../../connectors/webhooks.js';
import { httpHandler, type HttpHandler } from './http-event.js';
import { buildHttpApp, runtimeWithFreshSecrets } from './http-app.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';

export function makeWebhooksHandler(runtime: RuntimeSource): HttpHandler {
  return httpHandler(async () => {
    const rt = await runtimeWithFreshSecrets(runtime);
    return buildHttpApp(rt, webhookPlugins(rt.queue, rt.secrets));
  });
}

export const handler = makeWebhooksHandler(defaultRuntime);
