import type { ConnectorInstance } from '../core/engine/sync.js';
import type { SecretStore } from '../core/ports.js';
import { stripeFromSecrets } from './stripe/connector.js';

/** Every connector by name, built from its configuration (secrets and settings from the environment). */
export const CONNECTORS: Record<string, (secrets: SecretStore) => ConnectorInstance<never>> = {
  stripe: stripeFromSecrets as (secrets: SecretStore) => ConnectorInstance<never>,
};
