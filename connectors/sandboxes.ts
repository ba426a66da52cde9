import { randomBytes } from 'node:crypto';
import type { SecretStore } from '../core/ports.js';
import type { SandboxBankLine } from './bank/sandbox-statements.js';
import type { SandboxDonation } from './sandbox-kit/donations.js';
import type { ControlRoute } from './sandbox-kit/fault-route.js';
import type { SandboxFaults } from './sandbox-kit/faults.js';
import { seedFromText } from './sandbox-kit/seeded-ids.js';
import type { SandboxWorld } from './sandbox-world.js';
import { startBraintreeSandbox } from './braintree/sandbox/index.js';
import { startFreshdeskSandbox } from './freshdesk/sandbox/index.js';
import { startSalesforceSandbox } from './salesforce/sandbox/index.js';
import { startStripeSandbox } from './stripe/sandbox/index.js';
import { BRAINTREE_WEBHOOK_PATH } from './braintree/webhook.js';
import { FRESHDESK_WEBHOOK_PATH } from './freshdesk/webhook.js';
import { STRIPE_WEBHOOK_PATH } from './stripe/webhook.js';

/**
 * When a provider has no credentials, `npm start` runs its sandbox instead, live, with its webhooks
 * pointed at the hub: a newcomer sees payments, refunds and payouts land with no account. `puddle sandbox`
 * runs one on its own, for a `puddle sync` in another process.
 */
export interface RunningSandbox {
  connector: string;
  url: string;
  /** The hub's route its webhooks post to; none for a sandbox that sends none (Salesforce has no webhook route). */
  webhookPath?: string;
  /** Settings that point the connector at the sandbox. */
  secrets: Record<string, string>;
  /** The bank lines its payouts or disbursements made so far (written as daily camt.053 files by the hub). */
  bankLines?(): readonly SandboxBankLine[];
  /**
   * The donations its charges or sales are for, as the charity's website and call centre recorded them, in the
   * order taken (only ever appended to): the hub posts them to its own producer API (sandbox-website.ts), so the
   * sandboxes' payments name donations the lake has.
   */
  donations?(): readonly SandboxDonation[];
  /** Faults from now on (PUDDLE_SANDBOX_FAULTS): counts are the next requests', latency and 401 last. */
  injectFaults(faults: SandboxFaults): void;
  close(): Promise<void>;
}

/** Makes up a key from its prefix: at random in the hub, fixed words for `puddle sandbox`. */
export type DrawKey = (prefix: string) => string;

/** How a sandbox is started: by the hub (`hubUrl` set) or alone by `puddle sandbox`. */
export interface SandboxStart {
  /** Where its webhooks go (the hub's URL, the route's path added); none: it sends none. */
  hubUrl?: string;
  presets: Record<string, string>;
  world: SandboxWorld;
  /** The clock once the history is built (default real time; tests move it). */
  now?: () => Date;
  /** The hub's fault switch (`POST /_sandbox/faults`, sandbox-kit/fault-route.ts), answered by the sandbox's server before its protocol. */
  control?: ControlRoute;
  /** Its loopback port; 0 (default): a free one. */
  port?: number;
  /** The history's seed (default the provider's own, which the other sandboxes' histories name). */
  seed?: number;
  /** Donations in the history (default 600). */
  donations?: number;
}

export interface SandboxEntry {
  /** True when the real provider is configured, so no sandbox is needed. */
  configured(secrets: SecretStore): boolean;
  /**
   * Secrets chosen before the hub mounts its webhook routes (signing secrets, keys), drawn with `draw` (default
   * at random).
   */
  presets(draw?: DrawKey): Record<string, string>;
  /**
   * `puddle sandbox`'s port when none is given: one per provider, the same at every start, so a firewall rule or
   * the settings it printed stay right across restarts.
   */
  port: number;
  /** The faults its sandbox can inject (PUDDLE_SANDBOX_FAULTS). */
  faults: readonly (keyof SandboxFaults)[];
  start(opts: SandboxStart): Promise<RunningSandbox>;
}

const DAY = 86_400_000;
const random = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
// Three days of an appeal that started six days ago: balances have settled and been paid out. A charge is
// available two days on, paid out at the next midnight and in the bank a day later, so the earliest payouts
// are booked the day before yesterday: in a daily statement at any hour (a day's statement is written ten
// minutes after it ends). Five days ago left them all on yesterday's, which does not exist from midnight to
// 00:10. Six days before the home's first start (sandbox-world.ts), the same at every start of the home, and
// one start for every sandbox, so the Salesforce sandbox seeded with Stripe's scenario names Stripe's charges.
const recentAppeal = (own: number, { seed, donations, world }: SandboxStart) => ({
  seed: seed ?? own, donations: donations ?? 600, start: new Date(world.asOf.getTime() - 6 * DAY), durationMinutes: 3 * 24 * 60,
});
/** Stripe's seed: Freshdesk's tickets and Salesforce's gift payments name its charges. */
const STRIPE_SEED = 2026;
/** Braintree's seed: Salesforce's gift payments name its transactions. */
const BRAINTREE_SEED = 2027;
/** Where the connectors start reading: a day before the appeal, so none of its records is on the edge. */
const connectorsStart = (world: SandboxWorld) => new Date(world.asOf.getTime() - 7 * DAY).toISOString();
/** The first start draws live ids on from the seed, as it always did; later starts from a stream of their own. */
const liveSeed = (own: number, { seed, world }: SandboxStart) => (world.start > 1 ? seedFromText(`live:${seed ?? own}:${world.start}`) : undefined);
/** A webhook's URL on the hub, or none when the sandbox runs without one (`puddle sandbox` without --hub-url). */
const hubRoute = (hubUrl: string | undefined, path: string) => (hubUrl ? `${hubUrl}${path}` : undefined);

/**
 * The sandbox clock: the world's moment while the sandbox builds its history, so every start builds the same
 * one (refunds and payouts that fall later are not made up at a restart), then real time for what it adds live.
 */
function worldClock(world: SandboxWorld, live: () => Date = () => new Date()): { now: () => Date; live(): void } {
  let seeding = true;
  return {
    now: () => (seeding ? new Date(world.asOf) : live()),
    live: () => {
      seeding = false;
    },
  };
}

/** Calls `fn` every `ms` until closed, without keeping the process alive. */
function every(ms: number, fn: () => void): () => void {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
}

const ALL_FAULTS: readonly (keyof SandboxFaults)[] = ['status5xx', 'status429', 'retryAfterSeconds', 'status401', 'latencyMs'];

export const SANDBOXES: Record<string, SandboxEntry> = {
  stripe: {
    faults: ALL_FAULTS,
    configured: (s) => Boolean(s.get('STRIPE_API_KEY')),
    presets: (draw = random) => ({ STRIPE_WEBHOOK_SECRET: draw('whsec_') }),
    // From 12121, one a provider: stripe-mock, which a data engineer may well run too, takes 12111 and 12112.
    port: 12121,
    async start(opts) {
      const clock = worldClock(opts.world, opts.now);
      const webhookUrl = hubRoute(opts.hubUrl, STRIPE_WEBHOOK_PATH);
      const sandbox = await startStripeSandbox({
        control: opts.control, port: opts.port,
        scenario: recentAppeal(STRIPE_SEED, opts), now: clock.now, liveSeed: liveSeed(STRIPE_SEED, opts),
        webhook: webhookUrl ? { url: webhookUrl, secret: opts.presets.STRIPE_WEBHOOK_SECRET! } : undefined,
      });
      clock.live();
      // One gift in 20 by Direct Debit: pending for three days, read again by id every run (core/engine/revisit.ts).
      sandbox.startLive({ chargesPerSecond: 1, bankDebitShare: 0.05 });
      // Stripe pays out daily; the sandbox only when asked, so ask it every minute.
      const stop = every(60_000, () => sandbox.runPayouts(clock.now()));
      return {
        connector: 'stripe',
        url: sandbox.url,
        webhookPath: STRIPE_WEBHOOK_PATH,
        bankLines: () => sandbox.data.bankLines,
        donations: () => sandbox.data.donations,
        injectFaults: (f) => sandbox.injectFaults(f),
        secrets: { STRIPE_API_KEY: sandbox.apiKey, STRIPE_API_BASE: sandbox.url, STRIPE_START_DATE: connectorsStart(opts.world) },
        async close() {
          stop();
          sandbox.stopLive();
          await sandbox.close();
        },
      };
    },
  },
  braintree: {
    faults: ALL_FAULTS,
    configured: (s) => Boolean(s.get('BRAINTREE_PUBLIC_KEY') && s.get('BRAINTREE_PRIVATE_KEY') && s.get('BRAINTREE_MERCHANT_ID')),
    // The webhook route verifies with the merchant's keys, so they exist before the routes mount.
    presets: (draw = random) => ({ BRAINTREE_MERCHANT_ID: 'puddle_sandbox', BRAINTREE_PUBLIC_KEY: draw('pub_'), BRAINTREE_PRIVATE_KEY: draw('priv_') }),
    port: 12122,
    async start(opts) {
      const { presets } = opts;
      const clock = worldClock(opts.world, opts.now);
      const webhookUrl = hubRoute(opts.hubUrl, BRAINTREE_WEBHOOK_PATH);
      const sandbox = await startBraintreeSandbox({
        control: opts.control,
        port: opts.port,
        merchantId: presets.BRAINTREE_MERCHANT_ID,
        publicKey: presets.BRAINTREE_PUBLIC_KEY,
        privateKey: presets.BRAINTREE_PRIVATE_KEY,
        scenario: recentAppeal(BRAINTREE_SEED, opts),
        now: clock.now,
        liveSeed: liveSeed(BRAINTREE_SEED, opts),
        webhook: webhookUrl ? { url: webhookUrl } : undefined,
      });
      clock.live();
      // A sale every few seconds, and settlement/disbursement as the clock passes them.
      const stopSales = every(3_000, () => sandbox.addTransactions(1));
      const stopDisburse = every(60_000, () => sandbox.disburse(clock.now()));
      return {
        connector: 'braintree',
        url: sandbox.url,
        webhookPath: BRAINTREE_WEBHOOK_PATH,
        bankLines: () => sandbox.bankLines,
        donations: () => sandbox.data.donations,
        injectFaults: (f) => sandbox.injectFaults(f),
        secrets: { BRAINTREE_API_BASE: sandbox.url, BRAINTREE_START_DATE: connectorsStart(opts.world) },
        async close() {
          stopSales();
          stopDisburse();
          await sandbox.close();
        },
      };
    },
  },
  freshdesk: {
    faults: ALL_FAULTS,
    configured: (s) => Boolean(s.get('FRESHDESK_API_KEY')),
    // The webhook route checks Basic auth, so its user and secret exist before the routes mount. The API key
    // is drawn here too, so `puddle sandbox` can give a fixed one.
    presets: (draw = random) => ({ FRESHDESK_API_KEY: draw('fdk_'), FRESHDESK_WEBHOOK_USER: 'puddle', FRESHDESK_WEBHOOK_SECRET: draw('fdwh_') }),
    port: 12124,
    async start(opts) {
      const { presets } = opts;
      const clock = worldClock(opts.world, opts.now);
      const webhookUrl = hubRoute(opts.hubUrl, FRESHDESK_WEBHOOK_PATH);
      // Supporters of Stripe's appeal write in: tickets name its donations, requesters share its supporters' emails.
      const sandbox = await startFreshdeskSandbox({
        control: opts.control,
        port: opts.port,
        apiKey: presets.FRESHDESK_API_KEY,
        scenario: recentAppeal(STRIPE_SEED, opts),
        now: clock.now,
        rules: webhookUrl ? [{ url: webhookUrl, body: 'template', basicAuth: { user: presets.FRESHDESK_WEBHOOK_USER!, password: presets.FRESHDESK_WEBHOOK_SECRET! } }] : [],
      });
      clock.live();
      // An agent works a ticket every 20 seconds: its automation rule posts, and the hub re-reads it.
      let next = 1;
      const stop = every(20_000, () => {
        const ids = [...sandbox.helpdesk.tickets.keys()];
        if (!ids.length) return;
        const id = ids[next++ % ids.length]!;
        const t = sandbox.helpdesk.ticket(id);
        sandbox.helpdesk.updateTicket(id, { status: t.status >= 5 ? 2 : t.status + 1, responded: true });
      });
      return {
        connector: 'freshdesk',
        url: sandbox.url,
        webhookPath: FRESHDESK_WEBHOOK_PATH,
        injectFaults: (f) => Object.assign(sandbox.faults, f),
        secrets: { FRESHDESK_API_KEY: sandbox.apiKey, FRESHDESK_API_BASE: sandbox.url, FRESHDESK_START_DATE: connectorsStart(opts.world) },
        async close() {
          stop();
          await sandbox.close();
        },
      };
    },
  },
  salesforce: {
    // Its API calls answer 503 (SalesforceFaults); 429s, 401s and latency it has no switch for.
    faults: ['status5xx'],
    configured: (s) => Boolean(s.get('SALESFORCE_INSTANCE_URL')),
    // Drawn here, not by the sandbox, so `puddle sandbox` can give a fixed one.
    presets: (draw = random) => ({ SALESFORCE_CLIENT_SECRET: draw('sfcs_') }),
    port: 12123,
    async start(opts) {
      const clock = worldClock(opts.world, opts.now);
      // Seeded from Stripe's and Braintree's scenarios: its gift payments carry those sandboxes' charge and transaction ids.
      const sandbox = await startSalesforceSandbox({
        control: opts.control, port: opts.port, clientSecret: opts.presets.SALESFORCE_CLIENT_SECRET,
        scenario: recentAppeal(STRIPE_SEED, opts), braintreeScenario: recentAppeal(BRAINTREE_SEED, opts), now: clock.now, liveSeed: liveSeed(STRIPE_SEED, opts),
      });
      clock.live();
      const stop = every(10_000, () => sandbox.addGifts(1));
      return {
        connector: 'salesforce',
        url: sandbox.url,
        injectFaults: (f) => Object.assign(sandbox.faults, f.status5xx !== undefined ? { status5xx: f.status5xx } : {}),
        secrets: {
          SALESFORCE_AUTH: 'client_credentials', SALESFORCE_INSTANCE_URL: sandbox.url, SALESFORCE_LOGIN_URL: sandbox.url,
          SALESFORCE_CLIENT_ID: sandbox.clientId, SALESFORCE_CLIENT_SECRET: sandbox.clientSecret,
          SALESFORCE_DONATION_ID_FIELD: 'Donation_ID__c', SALESFORCE_START_DATE: connectorsStart(opts.world),
          // The sandbox org's Gift Aid field: without it every supporter's gift_aid_declared was null (user test, 2026-12-05).
          SALESFORCE_GIFT_AID_FIELD: 'Gift_Aid_Declared__c',
        },
        async close() {
          stop();
          await sandbox.close();
        },
      };
    },
  },
};
