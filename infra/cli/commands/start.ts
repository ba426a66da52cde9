import { loadConfig, PORT_RANGE } from '../../../core/config.js';
import { log } from '../../../core/log.js';
import { MIN_KEY_LENGTH, SANDBOX_WEBSITE_SOURCE, shortKeys } from '../../../core/http/auth.js';
import { checkConnectorSettings, CONNECTORS } from '../../../connectors/registry.js';
import { SANDBOXES } from '../../../connectors/sandboxes.js';
import { checkFeedKeys } from '../../../puddles/feeds.js';
import { configuredReconParams } from '../../../puddles/recon-params.js';
import { checkSchedule } from '../../../schedules/check-schedule.js';
import { SCHEDULE } from '../../../schedules/schedule.js';
import { lockHome } from '../../local/home-lock.js';
import { madeUpDataWarning } from '../../local/made-up-data.js';
import { sandboxChoice, sandboxFaults, startHub } from '../../local/hub.js';
import { sandboxPorts } from '../../local/sandbox-ports.js';
import { routesLine, sandboxLine } from '../banner.js';
import { defineCommand } from '../command.js';
import { liveLine } from '../live-line.js';
import { wholeNumberOption } from '../options.js';
import { stopSignal } from '../stop-signal.js';

export const start = defineCommand({
  name: 'start',
  summary: 'Run the hub: producer API, puddle consumers and (unless --no-schedule) the scheduled syncs.',
  usage: 'puddle start [--no-schedule] [--port N]',
  options: {
    'no-schedule': { type: 'boolean', description: 'producer, webhooks and consumers only: no scheduled syncs, no sandboxes (webhooks still prompt re-reads where credentials are set)' },
    port: { type: 'string', description: 'listen port (default $PORT or 8787)' },
  },
  async run({ values }) {
    const config = loadConfig();
    checkFeedKeys(config.feedKeys ?? []);
    // Before anything opens: the hub's connectors read their settings from the environment (the local runtime's secrets).
    checkConnectorSettings({ get: (name) => process.env[name] });
    // And the reconciliation's (PUDDLE_RECON_*), which the dashboard's views read.
    configuredReconParams();
    // The schedule too, when it runs: a mistake in it was skipped, looped or failed only once its run came.
    if (!values['no-schedule']) checkSchedule(SCHEDULE, CONNECTORS);
    // And the sandboxes' faults: read by the hub as it starts, they were refused after the warnings below.
    sandboxFaults(config.sandboxFaults);
    sandboxChoice(config.sandboxes);
    sandboxPorts(config.sandboxPorts);
    config.port = wholeNumberOption(values, 'port', PORT_RANGE) ?? config.port;
    // The home's lock before any warning: a second start on a home in use printed the empty-keys warning, then
    // refused, so its user read about keys first. Settings mistakes are still named before it (they need no home).
    const lock = lockHome(config.home, 'puddle start');
    // Said so the incident's log shows it (until 2026-12-06 nothing did; a user test): what it accepted is durable in the
    // queue and lands now.
    if (lock.uncleanBefore) {
      const u = lock.uncleanBefore;
      process.stderr.write(`note: the last ${u.command} on this home (pid ${u.pid}, since ${u.since}) did not stop cleanly (killed, crashed, or the machine stopped): what it accepted is in the queue and lands now\n`);
    }
    if (config.apiKeys.length === 0) {
      process.stderr.write('warning: PUDDLE_API_KEYS is empty, so POST /v1/events answers 401 to everyone\n');
    }
    const webhookSecret = process.env.FRESHDESK_WEBHOOK_SECRET;
    // Empty is unset: the route then answers 503, and there is nothing to guess.
    const short = webhookSecret && webhookSecret.length < MIN_KEY_LENGTH ? ['FRESHDESK_WEBHOOK_SECRET'] : [];
    for (const where of [...shortKeys({ producer: config.apiKeys, read: config.readKeys, tv: config.tvKeys, feeds: config.feedKeys }), ...short]) {
      process.stderr.write(`warning: ${where} is shorter than ${MIN_KEY_LENGTH} characters, so it can be guessed; make a long random one (openssl rand -hex 24)\n`);
    }
    const hub = await startHub({ config, schedule: !values['no-schedule'], totalsInBackground: true, lock });
    // Ctrl-C and SIGTERM are taken before "listening on" is printed (stop-signal.ts): a hub stopped right after
    // that line, under load, exited by SIGTERM without a drain.
    const stopAsked = stopSignal();
    process.stdout.write(`puddle listening on ${hub.url} (home ${config.home})\n`);
    process.stdout.write(routesLine(hub.url));
    process.stdout.write(`  dashboard ${hub.url}/?key=<read key>   TV ${hub.url}/tv?key=<read or TV key>   GET ${hub.url}/v1/totals   GET ${hub.url}/v1/feeds/<name>\n`);
    if ((config.readKeys ?? []).length === 0) {
      const alsoTotals = (config.tvKeys ?? []).length === 0 ? ', and so do the totals and /tv (no PUDDLE_TV_KEYS either)' : '';
      process.stderr.write(`note: PUDDLE_READ_KEYS is empty, so the dashboard and /v1/ops/* answer 401 to everyone${alsoTotals}\n`);
    }
    for (const s of hub.sandboxes) process.stdout.write(sandboxLine(s));
    // Beside a producer key, left to the default: their made-up donations would go on air with the real ones. (With a
    // provider's credentials set, the default starts none: below.)
    if (hub.sandboxes.length && config.sandboxes === undefined && config.apiKeys.length > 0) {
      process.stderr.write(
        `warning: ${hub.sandboxes.length} sandbox(es) run beside a real setup (PUDDLE_API_KEYS is set): their made-up donations count in the live totals, on the TV and in the lake (source ${SANDBOX_WEBSITE_SOURCE}, and the sandboxed providers'). For a live hub set PUDDLE_SANDBOXES=off\n`,
      );
    }
    // Left to auto beside a provider's real credentials, no sandbox started (hub.ts realProviders): say why.
    const configured = hub.realProviders;
    const others = Object.keys(SANDBOXES).filter((name) => !configured.includes(name));
    if (configured.length && others.length) {
      process.stderr.write(
        `note: no sandbox started: ${configured.join(', ')} ${configured.length > 1 ? 'have' : 'has'} real credentials, and PUDDLE_SANDBOXES is auto (a sandbox's made-up donations would go into the real lake for good). To run some anyway, name them (PUDDLE_SANDBOXES=${others.join(',')})\n`,
      );
    }
    // No sandbox now, but made-up donations from an earlier try (the sandboxes, the demo) are in the lake for good.
    const madeUp = hub.sandboxes.length ? null : madeUpDataWarning(config.home);
    if (madeUp) process.stderr.write(madeUp);
    const tty = process.stdout.isTTY;
    let last = '';
    const ticker = setInterval(async () => {
      const line = liveLine(await hub.stats({ reported: true }));
      if (tty) process.stdout.write(`\r${line}   `);
      else if (line !== last) process.stdout.write(`${line}\n`);
      last = line;
    }, tty ? 1000 : 10_000);
    await stopAsked;
    clearInterval(ticker);
    process.stdout.write('\nstopping: landing what is queued...\n');
    await hub.stop();
    process.stdout.write('stopped cleanly\n');
    exitOnceIdle();
    return 0;
  },
});

/** How long a stopped hub waits for what still holds the process before it exits anyway. */
const EXIT_GRACE_MS = 2_000;

/**
 * Everything durable is closed once the hub has stopped. What can still hold the process open is a provider
 * call the stop stopped waiting for: an SDK's call cannot be cancelled from outside, and it keeps its socket
 * and its timer until its own timeout (jsforce: 2.5 minutes, Braintree: 60 s). The process exits then
 * instead of waiting it out, saying what was still open. The timer is unref'd: a process with nothing
 * left exits at once, as before.
 */
function exitOnceIdle(): void {
  setTimeout(() => {
    // Counted by kind, leaving out the terminal or pipes of stdio and timers (this one among them).
    const open: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) if (!['TTYWrap', 'PipeWrap', 'Timeout'].includes(r)) open[r] = (open[r] ?? 0) + 1;
    log.warn('stopped: exiting although calls the stop no longer waited for are still open', { open });
    process.exit();
  }, EXIT_GRACE_MS).unref();
}
