import { log } from '../core/log.js';
import type { SandboxDonation } from './sandbox-kit/donations.js';

/**
 * The sandbox world's donation producer: a pretend charity website and call centre that send the hub, over its
 * producer API (`POST /v1/events`), the donations the sandboxes take payments for. A provider never sends the
 * donation itself; without this, a hub running on sandboxes alone had thousands of payments naming donations
 * the lake did not have (each a PAYMENT_WITHOUT_DONATION) and an empty journey. History is sent at start, live
 * gifts every few seconds; sending one again after a restart changes nothing (landing is idempotent).
 */
export interface SandboxWebsite {
  /** Sends what the sandboxes have recorded and not yet sent; resolves when done (or when the hub refused). */
  flush(): Promise<void>;
  /** A last flush, then no more. */
  stop(): Promise<void>;
}

export interface SandboxWebsiteOptions {
  /** The hub's base URL. */
  url: string;
  /** A producer key the hub accepts. */
  apiKey: string;
  /** Each sandbox's donations, in the order taken: lists that only grow. */
  sources: (() => readonly SandboxDonation[])[];
  everyMs?: number;
  /** Donations per request, each with its click (the producer API takes up to 1,000 events by default). */
  batch?: number;
}

/** How long before its donation a gift's click came: fixed, so that an event sent again is the same event. */
const CLICK_BEFORE_MS = 60_000;

/**
 * A donation, after the click it names: the website records the click (the QR code scanned, the link opened) before
 * the form, and sends both. Until 2026-12-07 it sent the donations alone, so the dashboard's journey read no clicks
 * above thousands of pledges and every click on a trail was missing (a data engineer's user test). A click names a
 * campaign and a call to action: the donation's, else `website`.
 */
function eventsOf(d: SandboxDonation): { contract: string; version: number; payload: Record<string, unknown> }[] {
  const donation = { contract: 'donation', version: 1, payload: d };
  if (!d.click_id) return [donation];
  const at = new Date(Date.parse(d.occurred_at) - CLICK_BEFORE_MS).toISOString();
  const click = { click_id: d.click_id, occurred_at: at, campaign: d.campaign ?? 'website', cta: d.cta ?? 'website', channel: 'web' };
  return [{ contract: 'click', version: 1, payload: click }, donation];
}

export function startSandboxWebsite(opts: SandboxWebsiteOptions): SandboxWebsite {
  const batch = opts.batch ?? 200;
  const sent = opts.sources.map(() => 0);
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  async function post(chunk: readonly SandboxDonation[]): Promise<'sent' | 'refused' | 'later'> {
    const res = await fetch(`${opts.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: chunk.flatMap(eventsOf) }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    if (res.status === 202) return 'sent';
    // 400: the sandbox made a donation its contract refuses, which sending again would not change.
    if (res.status === 400) {
      log.error('sandbox website: the producer API refused donations; skipped', { status: res.status, donations: chunk.length });
      return 'refused';
    }
    log.warn('sandbox website: the producer API did not take donations; will send them again', { status: res.status });
    return 'later';
  }

  async function sendDue(): Promise<void> {
    for (const [i, source] of opts.sources.entries()) {
      const all = source();
      let from = sent[i] ?? 0;
      while (from < all.length) {
        const chunk = all.slice(from, from + batch);
        if ((await post(chunk)) === 'later') return;
        from += chunk.length;
        sent[i] = from;
      }
    }
  }

  const flush = () => {
    running = running.then(sendDue).catch((err: unknown) => log.warn('sandbox website: could not reach the hub; will send again', { error: err }));
    return running;
  };
  void flush();
  const timer = setInterval(() => {
    if (!stopped) void flush();
  }, opts.everyMs ?? 5_000);
  timer.unref();

  return {
    flush,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await flush();
    },
  };
}
