// What the producer function's GET /healthz says of the connectors: those whose streams' last runs failed, read
// from the streams' state in DynamoDB, as the embedded hub's /healthz says them (`connectors.failing`).
//
// Why on AWS too: an uptime checker pointed at /healthz is often the only watch a charity keeps, and on AWS a sync
// whose provider refuses its key does not fail the function (the run ends `failed` and is returned), so the
// function-error alarm stays quiet; the staleness alarm fires only after ten schedule intervals (50 minutes for
// Salesforce and Freshdesk), and any alarm only mails someone when the stack was deployed with an alarm email.
// As on the hub, a failing connector changes neither `ok` nor the 200: the producer takes and publishes events
// as before, and a balancer or checker that pulled it over a provider's rolled key would lose the night's donations.
import { readStreamStatus } from '../../../core/engine/stream-status.js';
import type { StateStore } from '../../../core/ports.js';
import { connectorHealth, failingConnectors } from '../../../puddles/http/connector-health.js';

/** The streams to read: every connector's, by name (connectors/registry.ts CONNECTORS' `streams`). */
export type ConnectorStreams = () => Promise<Readonly<Record<string, { readonly streams: readonly string[] }>>>;

/**
 * The registry, loaded on the first /healthz rather than with the function: it carries the providers' SDKs,
 * which a POST /v1/events never needs, so a cold start that only takes events does not run their code.
 */
export const registryStreams: ConnectorStreams = async () => (await import('../../../connectors/registry.js')).CONNECTORS;

/** At most one read of the state per this long, per warm function: anyone may call /healthz (the hub's rule). */
export const CONNECTORS_READ_EVERY_MS = 1000;

/**
 * `{failing: {<connector>: {streams, last_failed_at}}}`, without the errors' words (no key reads /healthz); read
 * at most once a second, the read shared by the calls meanwhile. A read that fails (DynamoDB throttled, no right
 * to the table) says `{unknown: true}` and never fails /healthz, which a checker would read as the producer down.
 */
export function connectorsHealth(opts: { state: StateStore; streams?: ConnectorStreams; now?: () => number }): () => Promise<Record<string, unknown>> {
  const streams = opts.streams ?? registryStreams;
  const now = opts.now ?? Date.now;
  let last: { at: number; value: Promise<Record<string, unknown>> } | null = null;
  const read = async (at: number): Promise<Record<string, unknown>> => {
    try {
      return { failing: failingConnectors(connectorHealth(await readStreamStatus(opts.state, await streams(), at))) };
    } catch {
      return { unknown: true };
    }
  };
  return () => {
    const at = now();
    if (last === null || at - last.at >= CONNECTORS_READ_EVERY_MS || at < last.at) last = { at, value: read(at) };
    return last.value;
  };
}
