import { PORT_RANGE } from '../../../core/config.js';
import { listenProblem } from '../../../core/listen-problem.js';
import { SANDBOXES, type RunningSandbox } from '../../../connectors/sandboxes.js';
import { defineCommand, writeCommandError } from '../command.js';
import { wholeNumberOption } from '../options.js';
import { stopSignal } from '../stop-signal.js';

const NAMES = Object.keys(SANDBOXES).sort();
const DEFAULT_PORTS = NAMES.map((n) => `${n} ${SANDBOXES[n]!.port}`).join(', ');

/**
 * The keys `puddle sandbox` gives its sandbox: fixed words, so the settings it prints stay right across restarts
 * (the hub's sandboxes draw theirs at random). They are not secrets: they open only this loopback server's
 * made-up history, which is why they are printed.
 */
const madeUp = (prefix: string) => `${prefix}sandbox_not_a_secret`;

/** Settings a sync needs; the webhook ones only matter to a hub taking the sandbox's webhooks (--hub-url). */
const forWebhooks = (name: string) => name.includes('_WEBHOOK_');

export const sandbox = defineCommand({
  name: 'sandbox',
  summary: "Run one provider's sandbox on its own, on loopback, and print the settings that point `puddle sync` at it: a sync or a backfill with no account.",
  usage: `puddle sandbox <${NAMES.join('|')}> [--port N] [--seed N] [--donations N] [--hub-url URL]`,
  options: {
    port: { type: 'string', description: `port on 127.0.0.1 (default the provider's own: ${DEFAULT_PORTS}; 0: a free one)` },
    seed: { type: 'string', description: "the history's seed: the same seed, the same records (default the seed of the hub's sandboxes)" },
    donations: { type: 'string', description: 'donations in the history, an appeal over three days that ended three days ago (default 600)' },
    'hub-url': { type: 'string', description: "a running hub's URL (http://127.0.0.1:8787) to send the sandbox's webhooks to (default: none are sent)" },
  },
  async run({ values, positionals }) {
    const name = positionals[0];
    const entry = name !== undefined && Object.hasOwn(SANDBOXES, name) ? SANDBOXES[name] : undefined;
    if (!name || !entry) {
      const which = name ? `no sandbox named '${name}'; ` : '';
      process.stderr.write(`puddle sandbox: ${which}name a provider: ${NAMES.join(', ')}\n`);
      return 2;
    }
    if (positionals.length > 1) {
      process.stderr.write(`puddle sandbox: one provider a run, with only options after it: ${positionals.slice(1).map((p) => JSON.stringify(p)).join(', ')} is not one\n`);
      return 2;
    }
    const port = wholeNumberOption(values, 'port', PORT_RANGE) ?? entry.port;
    const seed = wholeNumberOption(values, 'seed', { min: 0 });
    // The history is built in memory before the sandbox answers: beyond this it takes minutes and gigabytes.
    const donations = wholeNumberOption(values, 'donations', { min: 1, max: 100_000 });
    const hubUrl = values['hub-url'] === undefined ? undefined : hubUrlOption(values['hub-url'] as string);
    if (hubUrl === null) {
      process.stderr.write(`puddle sandbox: --hub-url takes the http(s) URL of a running hub, such as http://127.0.0.1:8787\n`);
      return 2;
    }
    const presets = entry.presets(madeUp);
    let running: RunningSandbox;
    try {
      // A world of its own, as of now: no home holds it, so each start builds its history back from that moment.
      running = await entry.start({ hubUrl, presets, world: { asOf: new Date(), start: 1 }, port, seed, donations });
    } catch (err) {
      const problem = listenProblem(err, `127.0.0.1:${port}`, {
        taken: ': stop it (another puddle sandbox?), or give this one another --port (0: a free one)',
        denied: ': pick a --port above 1023 (0: a free one)',
      });
      if (!problem) throw err;
      writeCommandError('sandbox', problem);
      return 2;
    }
    // Before the lines a script waits for, as `puddle start` does (stop-signal.ts).
    const stopAsked = stopSignal();
    process.stdout.write(settingsText(name, running, presets, hubUrl));
    await stopAsked;
    await running.close();
    process.stdout.write('stopped\n');
    return 0;
  },
});

/** The URL without a trailing slash, or null when it is no http(s) URL with a host. */
function hubUrlOption(text: string): string | null {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url.href.replace(/\/+$/, '') : null;
  } catch {
    return null;
  }
}

function settingsText(name: string, running: RunningSandbox, presets: Record<string, string>, hubUrl: string | undefined): string {
  const settings = Object.entries({ ...presets, ...running.secrets }).filter(([k]) => hubUrl || !forWebhooks(k));
  const webhooks = !running.webhookPath
    ? `  (the ${name} sandbox sends no webhooks)\n`
    : hubUrl
      ? `  its webhooks go to ${hubUrl}${running.webhookPath}: that hub takes them when it runs with the same *_WEBHOOK_* settings\n`
      : `  no webhooks are sent (--hub-url URL sends them to a running hub)\n`;
  return [
    `${name} sandbox listening on ${running.url} (Ctrl-C stops it)\n`,
    webhooks,
    `Point puddle sync at it with these settings (the sandbox's own made-up keys, not secrets):\n`,
    ...settings.map(([k, v]) => `  export ${k}=${v}\n`),
    `then, in that shell:\n`,
    `  npx puddle sync ${name}\n`,
  ].join('');
}
