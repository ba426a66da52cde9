import { WEBHOOK_PATHS } from '../../connectors/webhooks.js';

/**
 * The routes line `puddle start` and `puddle aws local` print under "listening on". The webhook paths come
 * from the list the server mounts, so a receiver added there is announced too (the Freshdesk one was not).
 */
export function routesLine(url: string): string {
  const webhooks = WEBHOOK_PATHS.map((p) => `POST ${url}${p}`).join('   ');
  return `  POST ${url}/v1/events   ${webhooks}   GET ${url}/healthz\n`;
}

/** What `puddle start` says of a sandbox it runs: its webhooks only where it sends some (Salesforce has none). */
export function sandboxLine(s: { connector: string; url: string; webhookPath?: string }): string {
  const webhooks = s.webhookPath ? `, its webhooks to this hub's ${s.webhookPath}` : '';
  return `  ${s.connector} sandbox at ${s.url} (no credentials set: syncing from it on schedule${webhooks})\n`;
}
