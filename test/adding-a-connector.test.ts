// "Adding a connector" (docs/connectors.md), followed to the letter: a tiny provider on 127.0.0.1 speaking a
// GoCardless-style list (cursor `after`, `created_at[gte]`/`[lt]`, `RateLimit-*` headers, a 429, a 500, a 200 that
// is not JSON), a connector made of the engine's parts only (getJson, httpErrorClassifier, httpRate, defineStream,
// defineConnector, a ConnectorInstance, a registry entry), and a
// run through the same engine, queue, lake and SQL the shipped connectors use. If a step the docs name stops
// being enough, this fails.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONNECTORS, type ConnectorEntry } from '../connectors/registry.js';
import { closeServer, headerValue, listenOnLoopback } from '../connectors/sandbox-kit/local-server.js';
import { movableClock } from '../connectors/sandbox-kit/movable-clock.js';
import type { RateObservation } from '../core/engine/budget.js';
import { defineConnector, defineStream } from '../core/engine/define.js';
import { getJson, httpErrorClassifier, httpRate, type JsonAnswer } from '../core/engine/json-http.js';
import { readStreamStatus } from '../core/engine/stream-status.js';
import { budgetOf, syncConnector, type ConnectorInstance } from '../core/engine/sync.js';
import { FatalError } from '../core/errors.js';
import type { SecretStore } from '../core/ports.js';
import { checkSchedule } from '../schedules/check-schedule.js';
import { tempLake } from './support/temp-lake.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const HOUR = 3_600_000;

// --- the provider's sandbox: its wire format, nothing of Puddle's ---------------------------------------------
interface TinyPayment { id: string; created_at: string; amount: number; currency: string; status: string; links: { payout?: string } }

async function startTinySandbox(token: string, payments: TinyPayment[]) {
  const requests: string[] = [];
  const faults: ('429' | '500' | 'html')[] = [];
  /** The reset each 429 named (ms since the epoch). */
  const resets429: number[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const send = (status: number, body: unknown, remaining = 999) => {
      // RateLimit-Reset is an HTTP date (GoCardless); a second away here, so the test does not wait a minute.
      const reset = new Date(Date.now() + 1_000).toUTCString();
      if (status === 429) resets429.push(Date.parse(reset));
      res.writeHead(status, { 'content-type': 'application/json', 'ratelimit-limit': '1000', 'ratelimit-remaining': String(remaining), 'ratelimit-reset': reset });
      res.end(JSON.stringify(body));
    };
    if (headerValue(req, 'authorization') !== `Bearer ${token}`) return send(401, { error: { code: 401, errors: [{ reason: 'authentication_failed' }] } });
    const fault = faults.shift();
    if (fault === '429') return send(429, { error: { code: 429, errors: [{ reason: 'rate_limit_exceeded' }] } }, 0);
    if (fault === '500') return send(500, { error: { code: 500, errors: [{ reason: 'internal_server_error' }] } });
    // A gateway's page in place of the answer: a 200 that is not JSON.
    if (fault === 'html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance for tok_test</html>');
    const u = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const from = u.searchParams.get('created_at[gte]') ?? '';
    const to = u.searchParams.get('created_at[lt]') ?? '9999';
    const after = u.searchParams.get('after');
    const limit = Number(u.searchParams.get('limit') ?? 50);
    let rows = payments.filter((p) => p.created_at >= from && p.created_at < to).sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    if (after) rows = rows.slice(rows.findIndex((p) => p.id === after) + 1);
    const page = rows.slice(0, limit);
    send(200, { payments: page, meta: { cursors: { after: rows.length > limit ? page[page.length - 1]!.id : null } } });
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, requests, faults, resets429, close: () => closeServer(server) };
}

// --- the connector: client (the engine's getJson), classifier, rate observation, stream, instance, registry entry -
function rateOf(h: Headers): RateObservation | null {
  const remaining = Number(h.get('ratelimit-remaining'));
  const total = Number(h.get('ratelimit-limit'));
  const reset = Date.parse(h.get('ratelimit-reset') ?? '');
  if (!Number.isFinite(remaining) || !Number.isFinite(total)) return null;
  return { remaining, total, ...(Number.isNaN(reset) ? {} : { resetsAt: reset }) };
}

interface TinyList { payments: TinyPayment[]; meta: { cursors: { after: string | null } } }

class TinyClient {
  constructor(readonly apiBase: string, private readonly token: string) {}
  list(q: URLSearchParams): Promise<JsonAnswer<TinyList>> {
    return getJson<TinyList>(this.apiBase, `/payments?${q}`, {
      provider: 'tiny',
      headers: { authorization: `Bearer ${this.token}` },
      timeoutMs: 10_000,
      rateOf,
      // No Retry-After on a 429: the window's reset says when to come back.
      retryAfter: (h) => h.get('retry-after') ?? h.get('ratelimit-reset'),
    });
  }
}

const classifyTinyError = httpErrorClassifier({ provider: 'tiny', authHint: 'check TINY_TOKEN' });

const STATUS: Record<string, string> = { pending_submission: 'pending', submitted: 'pending', confirmed: 'succeeded', paid_out: 'succeeded', failed: 'failed', cancelled: 'cancelled' };

const payments = defineStream<TinyClient, TinyPayment>({
  name: 'payments',
  contract: 'payment',
  primaryKey: (p) => p.id,
  cursor: (p) => new Date(p.created_at),
  windows: { sizeMs: 24 * HOUR, lookbackMs: 10 * 60_000, lagMs: 60_000 },
  async fetchPage(ctx, { window, token }) {
    const q = new URLSearchParams({ limit: '2', 'created_at[gte]': window!.from.toISOString(), 'created_at[lt]': window!.to.toISOString() });
    if (token) q.set('after', token);
    const answer = await ctx.call('payments list', () => ctx.client.list(q));
    return { records: answer.body.payments, next: answer.body.meta.cursors.after };
  },
  toContract: (p) => [{
    contract: 'payment',
    version: 1,
    payload: { payment_id: p.id, occurred_at: p.created_at, provider: 'tiny', status: STATUS[p.status] ?? p.status, amount_minor: p.amount, currency: p.currency, payout_id: p.links.payout },
  }],
});

const TINY_STREAMS = [payments];

function tinyFromSecrets(secrets: SecretStore): ConnectorInstance<TinyClient> {
  const base = secrets.get('TINY_API_BASE');
  const token = secrets.get('TINY_TOKEN');
  if (!base || !token) throw new FatalError('tiny: TINY_API_BASE and TINY_TOKEN are not set');
  return {
    connector: defineConnector<TinyClient>({ name: 'tiny', streams: TINY_STREAMS, classifyError: classifyTinyError, rateObservation: httpRate }),
    client: new TinyClient(base, token),
    startDate: new Date('2026-11-25T00:00:00Z'),
    requestsPerSecond: 10,
    concurrency: 2,
  };
}

// The registry's stream names are read off the streams, as the shipped connectors' are.
const tinyEntry: ConnectorEntry = { streams: TINY_STREAMS.map((s) => s.name), make: tinyFromSecrets as (s: SecretStore) => ConnectorInstance<never> };

// --- the run ---------------------------------------------------------------------------------------------------
describe('adding a connector, as docs/connectors.md says', () => {
  const rows: TinyPayment[] = Array.from({ length: 7 }, (_, i) => ({
    id: `PM${String(i).padStart(6, '0')}`, created_at: new Date(NOW.getTime() - (i + 2) * 5 * HOUR).toISOString(),
    amount: 500 + i, currency: 'GBP', status: ['paid_out', 'confirmed', 'submitted', 'failed'][i % 4]!, links: i % 4 === 0 ? { payout: 'PO000001' } : {},
  }));
  let sandbox: Awaited<ReturnType<typeof startTinySandbox>>;
  let lake: Awaited<ReturnType<typeof tempLake>>;
  const registry: Record<string, ConnectorEntry> = { ...CONNECTORS, tiny: tinyEntry };
  beforeAll(async () => {
    sandbox = await startTinySandbox('tok_test', rows);
    lake = await tempLake(movableClock(NOW));
  });
  afterAll(async () => {
    await sandbox?.close();
    await lake?.close();
  });

  it('is known to the schedule check once it has a registry entry, and its streams with it', () => {
    expect(() => checkSchedule([{ connector: 'tiny', everySeconds: 60, why: 'test' }], registry)).not.toThrow();
    expect(() => checkSchedule([{ connector: 'tiny', streams: ['payment'], everySeconds: 60, why: 'test' }], registry)).toThrow(/tiny has no stream "payment"; its streams are payments/);
    expect(() => checkSchedule([{ connector: 'tiny', everySeconds: 60, why: 'test' }], CONNECTORS)).toThrow(/there is no such connector/);
  });

  it('syncs through the engine (paging, a 429 waited out to the provider\'s reset, a 500 and a page that is not JSON retried), lands and answers SQL', async () => {
    const secrets: SecretStore = { get: (n) => ({ TINY_API_BASE: sandbox.url, TINY_TOKEN: 'tok_test' })[n] };
    sandbox.faults.push('429', '500', 'html');
    const inst = registry.tiny!.make(secrets);
    const observed = vi.spyOn(budgetOf(inst), 'observe');
    const paused = vi.spyOn(budgetOf(inst), 'pauseFor');
    const [result] = await syncConnector(inst, lake.engineRuntime);
    // The 429 said nothing was left until its reset, a second away. The engine was told that reset with the
    // allowance, so it spreads what is left up to it, not over a guessed minute (budget.test.ts), and any pause for
    // the 429 (no Retry-After: the reset stands in; none once the reset has passed) ends by then. What the engine
    // was told and chose, not how long the run took: until 2026-12-03 this asserted the run took under 15 s.
    expect(sandbox.resets429).toHaveLength(1);
    expect(observed.mock.calls.map(([o]) => o)).toContainEqual({ remaining: 0, total: 1000, resetsAt: sandbox.resets429[0] });
    for (const [ms] of paused.mock.calls) expect(ms).toBeLessThanOrEqual(1_000);
    expect(result).toMatchObject({ connector: 'tiny', stream: 'payments', outcome: 'succeeded', records: 7 });
    expect(sandbox.faults).toEqual([]);
    expect(sandbox.requests.some((r) => r.includes('after=PM'))).toBe(true);
    await lake.land();
    expect(await lake.q("SELECT status, count(*) AS n, sum(amount_minor) AS minor FROM payment WHERE provider = 'tiny' GROUP BY status ORDER BY status")).toEqual([
      { status: 'failed', n: 1, minor: 503 },
      { status: 'pending', n: 2, minor: 502 + 506 },
      { status: 'succeeded', n: 4, minor: 500 + 501 + 504 + 505 },
    ]);
    const [status] = await readStreamStatus(lake.engineRuntime.state, { tiny: tinyEntry }, NOW.getTime());
    expect(status).toMatchObject({ connector: 'tiny', stream: 'payments', lastRun: { outcome: 'succeeded' } });
    expect(status!.bookmark?.cursor).toBe(new Date(NOW.getTime() - 60_000).toISOString());
  });

  it('stops on refused credentials without moving the bookmark, and says which setting to check', async () => {
    const secrets: SecretStore = { get: (n) => ({ TINY_API_BASE: sandbox.url, TINY_TOKEN: 'tok_wrong' })[n] };
    const before = (await readStreamStatus(lake.engineRuntime.state, { tiny: tinyEntry }, NOW.getTime()))[0]!.bookmark;
    const [result] = await syncConnector(tinyFromSecrets(secrets), lake.engineRuntime, { full: true });
    expect(result).toMatchObject({ outcome: 'failed', authFailed: true });
    expect(result!.error).toMatch(/401.*check TINY_TOKEN/);
    expect(result!.error).not.toContain('tok_wrong');
    expect((await readStreamStatus(lake.engineRuntime.state, { tiny: tinyEntry }, NOW.getTime()))[0]!.bookmark).toEqual(before);
  });
});
