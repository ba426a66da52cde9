// What the producer function's GET /healthz says of the connectors: those whose streams' last runs failed, read
// from the streams' state in DynamoDB, as the embedded hub's /healthz says them (`connectors.failing`).
//
// Why on AWS too: an uptime checker pointed at /healthz is often the only watch a charity keeps, and on AWS a sync
// whose provider refuses its key does not fail the function (the run ends `failed` and is returned), so the
// function-error alarm stays quiet; the staleness alarm fires only after ten schedule intervals (50 minutes for
// Salesforce and Freshdesk), and any alarm only mails someone when the stack was deployed with an alarm email.
// As on the hub, a failing connector changes neither `ok` nor the 200: the producer takes and publishes events
// as before, and a balancer or checker that pulled it over a provider's rolled key would lose the night's donations.
import type { StateStore } from '../../../core/ports.js';
import { connectorsHealth as readConnectorsHealth, type ConnectorStreams } from '../../../puddles/http/connector-health.js';

/**
 * The registry, loaded on the first /healthz rather than with the function: it carries the providers' SDKs,
 * which a POST /v1/events never needs, so a cold start that only takes events does not run their code.
 */
export const registryStreams: ConnectorStreams = async () => (await import('../../../connectors/registry.js')).CONNECTORS;

/** The hub's reading (puddles/http/connector-health.ts), of every connector's streams, loaded on first use. */
export function connectorsHealth(opts: { state: StateStore; streams?: ConnectorStreams; now?: () => number }): () => Promise<Record<string, unknown>> {
  return readConnectorsHealth({ state: opts.state, streams: opts.streams ?? registryStreams, now: opts.now });
}
