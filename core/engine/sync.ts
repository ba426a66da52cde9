import { FatalError } from '../errors.js';
import { RequestBudget, type BudgetOptions } from './budget.js';
import type { ConnectorDef, EngineRuntime, SyncRange } from './define.js';
import { recentOf } from './recent.js';
import { runStream, type RunSettings } from './run-stream.js';
import type { RunMetrics, RunResult } from './sync-run.js';

/** A connector ready to run: its definition, its client and its budget, from the provider's config. */
export interface ConnectorInstance<C = unknown> {
  connector: ConnectorDef<C>;
  client: C;
  startDate: Date;
  requestsPerSecond: number;
  concurrency: number;
  /** Per-window allowances (credits per minute, endpoint caps) for providers that count that way. */
  windows?: Pick<BudgetOptions, 'perWindow' | 'endpoints' | 'lowWater'>;
  // No hook runs before the streams (a `beforeSync` did until 2026-12-02): it held no stream's lease, so what it
  // wrote to a stream's position (payout_items' range, Stripe's events horizon) a run of that stream under way
  // wrote back over. A stream's position moves in its own run: `ctx.range`, StreamDef.horizon.
}

export interface SyncOptions extends SyncRange {
  streams?: string[];
  deadline?: Date;
  leaseMs?: number;
  onProgress?: (stream: string, m: RunMetrics, done: number | null) => void;
  /** A stream's run ended: its final counts (progress updates come per page, and may be throttled). */
  onStreamEnd?: (r: RunResult) => void;
}

const budgets = new WeakMap<ConnectorInstance<unknown>, RequestBudget>();

/**
 * The instance's one request budget, made on first use: its syncs and its re-reads by id
 * (refetch.ts) share it, since the provider counts every request against one limit.
 */
export function budgetOf<C>(inst: ConnectorInstance<C>): RequestBudget {
  const key = inst as ConnectorInstance<unknown>;
  let budget = budgets.get(key);
  if (!budget) budgets.set(key, (budget = new RequestBudget({ requestsPerSecond: inst.requestsPerSecond, concurrency: inst.concurrency, ...inst.windows })));
  return budget;
}

/** Run the connector's streams in order, sharing the instance's request budget. Refused credentials, a time box reached (partial) or the API quota reached stop the rest; another stream's failure does not (each stream has its own bookmark, so the others still make progress). */
export async function syncConnector<C>(inst: ConnectorInstance<C>, runtime: EngineRuntime, opts: SyncOptions = {}): Promise<RunResult[]> {
  const names = new Set(inst.connector.streams.map((s) => s.name));
  for (const s of opts.streams ?? []) {
    if (!names.has(s)) throw new FatalError(`${inst.connector.name}: no stream named ${s} (streams: ${[...names].join(', ')})`);
  }
  const budget = budgetOf(inst);
  const settings: RunSettings = { startDate: inst.startDate, from: opts.from, to: opts.to, full: opts.full, deadline: opts.deadline, leaseMs: opts.leaseMs };
  const selected = inst.connector.streams.filter((s) => !opts.streams || opts.streams.includes(s.name));
  const results: RunResult[] = [];
  for (const stream of selected) {
    const r = await runStream({
      connector: inst.connector, stream, client: inst.client, runtime, budget, settings,
      recent: recentOf(inst, stream.name, runtime.clock, stream.windows?.lookbackMs),
      onProgress: (m, done) => opts.onProgress?.(stream.name, m, done),
    });
    results.push(r);
    opts.onStreamEnd?.(r);
    // Refused credentials will fail every stream the same way: say it once.
    if (r.authFailed) break;
    if (r.outcome === 'partial') break;
    // The API allowance is the connector's, not the stream's: the other streams would stop the same way.
    if (r.outcome === 'quota') break;
  }
  return results;
}

/**
 * The streams of `wanted` (all when unset or empty) that a sync did not reach: refused credentials, a time box
 * reached or the quota end it before their turn (syncConnector). `puddle sync` and the hub's log name them.
 */
export function streamsNotRun(inst: ConnectorInstance<unknown>, results: readonly RunResult[], wanted?: readonly string[]): string[] {
  const ran = new Set(results.map((r) => r.stream));
  return inst.connector.streams.map((s) => s.name).filter((n) => (!wanted?.length || wanted.includes(n)) && !ran.has(n));
}
