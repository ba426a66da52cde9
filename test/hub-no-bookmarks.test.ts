// A home whose lake holds landed data but has no state.db (a restore that left it out): every connector then reads
// again from its start date, a full backfill against the provider's API. `puddle start` says so once; it was silent
// (a disaster-recovery drill, 2026-12-07). A home that has its bookmarks, or has landed nothing, hears nothing.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLake, donation, type Lake } from './puddles/lake-fixture.js';
import { startHubProcess } from './support/hub-process.js';

const KEY = 'no-bookmarks-producer-key';
const SAID = 'state.db is missing but the lake holds landed data';
let lake: Lake;

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([donation('nb-1', 500), donation('nb-2', 700)]);
  for (const name of ['transactions', 'raw']) await lake.consumer(name).drain();
  await lake.engine.close();
  lake.catalog.close();
  await lake.queue.close();
}, 60_000);

afterAll(() => {
  if (lake) rmSync(lake.dir, { recursive: true, force: true });
});

/** The hub's output from its start to a clean stop. */
async function started(): Promise<string> {
  const hub = await startHubProcess({ PUDDLE_HOME: lake.dir, PUDDLE_API_KEYS: KEY });
  hub.child.kill('SIGINT');
  expect(await hub.exited).toBe(0);
  return hub.output();
}

describe('a home without its bookmarks', () => {
  it('says at start that the connectors will read again from their start dates, once', async () => {
    expect(existsSync(path.join(lake.dir, 'state.db'))).toBe(false);
    expect(await started()).toContain(SAID);
    // The hub made its state.db: the next start has bookmarks to keep (none yet), and says nothing.
    expect(existsSync(path.join(lake.dir, 'state.db'))).toBe(true);
    expect(await started()).not.toContain(SAID);
  }, 120_000);
});
