import type { FastifyPluginAsync } from 'fastify';
import type { Prompter } from '../engine/refetch.js';
import type { Clock, Queue, SecretStore } from '../ports.js';

/** What the hub (and the AWS webhooks function) gives a webhook receiver as it mounts it. */
export interface WebhookContext {
  queue: Queue;
  /** Only the names the receiver declares (WebhookDef.secrets): on the hub as on AWS, nothing else is there. */
  secrets: SecretStore;
  /** Re-reads what a webhook names (core/engine/refetch.ts); none on AWS, where the webhook alone lands. */
  refetch?: Prompter;
  /** Stamps what it receives; the system clock when none is given. */
  clock?: Clock;
}

/**
 * A provider's webhook receiver, the one definition connectors/webhooks.ts lists: the hub mounts its routes, the
 * startup banner names its path, and the AWS webhooks function can read its secrets.
 */
export interface WebhookDef {
  connector: string;
  /** The route its plugin mounts (POST). */
  path: string;
  /**
   * Every setting its routes read, and the only ones they are given: on AWS the webhooks function reads the
   * webhook-keys secret alone (infra/aws/shape.ts SECRET_GROUPS), so a name left out here would be missing
   * there; given only these on the hub too, it is missing on a laptop first.
   */
  secrets: readonly string[];
  routes(ctx: WebhookContext): FastifyPluginAsync;
}
