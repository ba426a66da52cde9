// Current state (puddles/current-state.ts) against the full de-duplication it replaces: the current views read
// the folded state plus recent files, and must give exactly the rows the history-wide form gives, through
// superseding updates, deletions, versions that arrive late, re-sent events, queue redeliveries, ties on
// _changed_at, several compactions and folds, and a replay.
import { rename } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { latestVersion } from '../../core/contracts/index.js';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { compactAll } from '../../puddles/compact.js';
import { defaultFoldRows, FOLD_FILES, foldCurrentState, foldDue, TINY_FOLD_FILES, TINY_STATE_ROWS } from '../../puddles/current-state.js';
import { sqlIdent, sqlString } from '../../puddles/sql-text.js';
import { landEnvelopes } from '../../puddles/land.js';
import { replay } from '../../puddles/replay.js';
import { currentView, fileViews } from '../../puddles/views.js';
import { donation, useLake } from './lake-fixture.js';

const lake = useLake();

/** The view as the engine serves it, and the history-wide de-duplication (the views before current state). */
async function bothForms(contract: string): Promise<{ served: unknown[]; reference: unknown[] }> {
  const c = latestVersion(contract)!;
  const order = `${sqlIdent(c.key)}, _id`;
  const served = await lake.engine.query(`SELECT * FROM ${sqlIdent(contract)} ORDER BY ${order}`);
  const reference = await lake.engine.query(`SELECT * FROM (${currentView(c).sql}) AS reference ORDER BY ${order}`);
  return { served, reference };
}

async function expectSameAsFullHistory(contract = 'donation'): Promise<unknown[]> {
  const { served, reference } = await bothForms(contract);
  expect(served).toEqual(reference);
  return served;
}

async function land(envelopes: Envelope[], puddle = 'transactions'): Promise<void> {
  await landEnvelopes({ puddle: lake.puddle(puddle), store: lake.store, catalog: lake.catalog, envelopes });
}

async function stateFiles(contract = 'donation') {
  return (await lake.catalog.listFiles({ contract })).filter((f) => f.current);
}

/** A small deterministic generator (mulberry32), so a failure replays the same way. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('current state', () => {
  it('is registered as such, read by the views, and equals the full de-duplication through every kind of version', async () => {
    const rnd = random(20261130);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const base = Date.parse('2026-11-28T18:00:00Z');
    let clock = Date.parse('2026-11-29T18:00:00Z');
    let delivery = 0;
    /** Per key: the envelopes sent, and the newest updated_at used. */
    const sent = new Map<string, { envelopes: Envelope[]; occurred: number; latest: number }>();
    const send = (id: string, occurred: number, updated: number | null, amount: number, status?: string): Envelope => {
      clock += 1000;
      const env = donation(id, amount, {
        occurred_at: iso(occurred),
        ...(updated === null ? {} : { updated_at: iso(updated) }),
        ...(status ? { status } : {}),
        received_at: iso(clock),
        delivery: `req-${delivery++}`,
      });
      const entry = sent.get(id) ?? { envelopes: [], occurred, latest: updated ?? occurred };
      entry.envelopes.push(env);
      entry.latest = Math.max(entry.latest, updated ?? occurred);
      sent.set(id, entry);
      return env;
    };
    const resend = (env: Envelope): Envelope => {
      clock += 1000;
      // The same event sent again: same payload and id, a new arrival.
      return makeEnvelope({ contract: 'donation', version: 1, source: 'producer', stream: 'web', payload: env.payload, received_at: iso(clock), delivery_id: `req-${delivery++}` });
    };
    let keys = 0;
    const redeliverable: Envelope[] = [];
    let folds = 0;
    let withRecent = 0;
    for (let round = 0; round < 14; round++) {
      const batch: Envelope[] = [];
      for (let n = 0; n < 30; n++) {
        const r = rnd();
        const known = [...sent.keys()];
        if (r < 0.3 || known.length < 5) {
          // A new donation, on one of two days (two partitions).
          const occurred = base + Math.floor(rnd() * 2) * 86_400_000 + Math.floor(rnd() * 3_600_000);
          batch.push(send(`d${keys++}`, occurred, null, 100 + Math.floor(rnd() * 900)));
          continue;
        }
        const id = pick(known);
        const entry = sent.get(id)!;
        if (r < 0.45) {
          // A newer version: paid, or cancelled (the record's deletion as the donation contract has it).
          batch.push(send(id, entry.occurred, entry.latest + 60_000, 100 + Math.floor(rnd() * 900), pick(['paid', 'cancelled', 'failed', 'pledged'])));
        } else if (r < 0.58) {
          // An older version arriving late: its updated_at is before the newest one's, so it must never win.
          batch.push(send(id, entry.occurred, entry.occurred + Math.floor(rnd() * Math.max(1, entry.latest - entry.occurred)), 1 + Math.floor(rnd() * 99), 'pledged'));
        } else if (r < 0.72) {
          // A change that kept updated_at: ties with the newest on _changed_at, wins by arriving later.
          batch.push(send(id, entry.occurred, entry.latest === entry.occurred ? null : entry.latest, 100 + Math.floor(rnd() * 900), pick(['paid', 'pledged'])));
        } else if (r < 0.9) {
          // Any earlier event sent again (a later arrival of the same id must not count as new).
          batch.push(resend(pick(entry.envelopes)));
        } else {
          // A queue redelivery: the very same envelope, in another batch.
          const again = redeliverable.length ? pick(redeliverable) : entry.envelopes[0]!;
          batch.push(again);
        }
      }
      redeliverable.push(...batch.slice(0, 5));
      // One to three landed files per partition this round.
      const cut1 = Math.floor(rnd() * batch.length);
      const cut2 = cut1 + Math.floor(rnd() * (batch.length - cut1));
      for (const part of [batch.slice(0, cut1), batch.slice(cut1, cut2), batch.slice(cut2)]) if (part.length) await land(part);
      await expectSameAsFullHistory();
      if (round % 3 === 2) {
        // Compact; fold only now and then, so the views read state plus recent files most rounds.
        const fold = round % 2 === 0 ? 0 : 1_000_000;
        const result = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2, foldMinRows: fold });
        folds += result.folded.filter((f) => f.folded > 0).length;
        await expectSameAsFullHistory();
      }
      const files = await lake.catalog.listFiles({ contract: 'donation' });
      if (files.some((f) => f.current) && files.some((f) => !f.current && !f.folded)) withRecent++;
    }
    expect(folds).toBeGreaterThanOrEqual(2);
    expect(withRecent).toBeGreaterThanOrEqual(3);

    // The state is one file, flagged as current state, outside the dt partitions; the view reads it.
    const state = await stateFiles();
    expect(state).toHaveLength(1);
    expect(state[0]!.key).toMatch(new RegExp(`^lake/transactions/donation/v${latestVersion('donation')!.version}/current/s-[0-9a-f]{32}\\.parquet$`));
    const all = await lake.catalog.listFiles();
    const view = fileViews(all, (k) => k).find((v) => v.name === 'donation')!;
    expect(view.sql).toContain(state[0]!.key);
    const [{ n: history }] = (await lake.engine.query('SELECT count(*) AS n FROM donation_history')) as [{ n: number }];
    const [{ n: current }] = (await lake.engine.query('SELECT count(*) AS n FROM donation')) as [{ n: number }];
    expect(current).toBe(keys);
    expect(history).toBeGreaterThan(current);
    // Fold what is left: the view is then the state alone, still the same rows.
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation', minRows: 0 });
    expect((await lake.catalog.listFiles({ contract: 'donation' })).filter((f) => !f.current && !f.folded)).toEqual([]);
    await expectSameAsFullHistory();
  });

  it('never lets an older version, or a losing version sent again, win after a fold', async () => {
    const at = (m: number) => `2026-11-29T20:${String(m).padStart(2, '0')}:00.000Z`;
    // x and y tie on _changed_at (no updated_at, same occurred_at); y arrived later, so y is current.
    const x = donation('k', 100, { received_at: at(1), delivery: 'a' });
    const y = donation('k', 200, { received_at: at(2), delivery: 'b', status: 'paid' });
    const newer = donation('n', 300, { updated_at: '2026-11-29T22:00:00Z', received_at: at(3), delivery: 'c' });
    await land([x, y, newer]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(await stateFiles()).toHaveLength(1);
    // x sent again after the fold: its first arrival still counts, so y stays current. An older version
    // of n lands late: n's newer version stays current.
    const xAgain = makeEnvelope({ contract: 'donation', version: 1, source: 'producer', stream: 'web', payload: x.payload, received_at: at(9), delivery_id: 'again' });
    expect(xAgain.id).toBe(x.id);
    await land([xAgain, donation('n', 1, { updated_at: '2026-11-29T21:00:00Z', received_at: at(10), delivery: 'late' })]);
    const rows = (await expectSameAsFullHistory()) as { donation_id: string; amount_minor: number }[];
    expect(rows.map((r) => [r.donation_id, r.amount_minor])).toEqual([['k', 200], ['n', 300]]);
    // Folded in too, the same.
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation', minRows: 0 });
    expect(((await expectSameAsFullHistory()) as { amount_minor: number }[]).map((r) => r.amount_minor)).toEqual([200, 300]);
  });

  it('lets a tying state row that was not current win when a copy of the current one turns out to have arrived first', async () => {
    const at = (m: number) => `2026-11-29T20:${String(m).padStart(2, '0')}:00.000Z`;
    // x and y tie on _changed_at; y arrived later, so y is current and x is kept beside it as a tie.
    const x = donation('k', 100, { received_at: at(10), delivery: 'a' });
    const y = donation('k', 200, { received_at: at(20), delivery: 'b', status: 'paid' });
    await land([x, y, donation('m', 50, { received_at: at(11), delivery: 'c' })]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    // A copy of y that had been received before x (a delivery held up in a queue) lands after the fold: y's
    // first arrival is now earlier than x's, so x wins. m gets a tie whose recent row is new and later: it wins.
    const yEarly = makeEnvelope({ contract: 'donation', version: 1, source: 'producer', stream: 'web', payload: y.payload, received_at: at(5), delivery_id: 'held' });
    expect(yEarly.id).toBe(y.id);
    await land([yEarly, donation('m', 75, { received_at: at(30), delivery: 'd' })]);
    const rows = (await expectSameAsFullHistory()) as { donation_id: string; amount_minor: number }[];
    expect(rows.map((r) => [r.donation_id, r.amount_minor])).toEqual([['k', 100], ['m', 75]]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation', minRows: 0 });
    expect(((await expectSameAsFullHistory()) as { amount_minor: number }[]).map((r) => r.amount_minor)).toEqual([100, 75]);
  });

  it('folds a state left in an older version (the contract gained one since) into the latest, from the whole history, as soon as a row lands', async () => {
    await land([donation('a', 1), donation('b', 2), donation('c', 3)]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    // The state as a hub before the contract's latest version left it: registered under an older version, whose
    // current-state table no Athena view reads (only the latest version's is).
    const [state] = await stateFiles();
    const version = latestVersion('donation')!.version - 1;
    const older = { ...state!, key: state!.key.replace(/\/v\d+\/current\//, `/v${version}/current/`), version };
    await lake.store.put(older.key, (await lake.store.get(state!.key))!);
    expect(await lake.catalog.replaceFiles([state!.key], [older])).toBe(true);
    // One row lands: far fewer than defaultFoldRows, but the state is in the wrong table, so it is folded now, and
    // from the whole history (both landed files, 4 rows), not from the older state, which an older Puddle may have
    // folded after a rollback without what a newer state held (test/upgrade-rollback-state.test.ts).
    await land([donation('d', 4)]);
    const r = await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(r).toMatchObject({ folded: 2, rowsIn: 4, rowsOut: 4 });
    expect((await stateFiles()).map((f) => f.version)).toEqual([latestVersion('donation')!.version]);
    // A state already in the latest version still waits for defaultFoldRows.
    await land([donation('e', 5)]);
    expect(await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' })).toMatchObject({ folded: 0 });
    expect((await expectSameAsFullHistory()).length).toBe(5);
  });

  it('folds a tiny state once TINY_FOLD_FILES files landed since, however few their rows', async () => {
    await land([donation('a', 1)]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    // A file a batch, as landing at a trickle makes them: one short of the count waits, as it did for 20,000 rows.
    for (let i = 0; i < TINY_FOLD_FILES - 1; i++) await land([donation(`t${i}`, 10 + i)]);
    expect(await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' })).toMatchObject({ folded: 0 });
    await land([donation('last', 99)]);
    expect(await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' })).toMatchObject({ folded: TINY_FOLD_FILES, rowsIn: TINY_FOLD_FILES });
    expect((await expectSameAsFullHistory()).length).toBe(TINY_FOLD_FILES + 1);
  });

  it('folds a large state for its files only once the oldest has waited, and for rows at once (foldDue)', () => {
    const now = Date.parse('2026-12-05T20:00:00Z');
    const files = (n: number, minutesAgo: number) =>
      Array.from({ length: n }, (_, i) => ({ puddle: 'transactions', contract: 'donation', version: 1, key: `k${i}`, dt: '2026-12-05', rows: 10, bytes: 1, added_at: new Date(now - (minutesAgo - i / 100) * 60_000).toISOString() }));
    const big = 5_000_000;
    const minRows = defaultFoldRows(big);
    expect(foldDue(big, files(FOLD_FILES, 9), minRows, now)).toBe(false);
    expect(foldDue(big, files(FOLD_FILES, 10), minRows, now)).toBe(true);
    expect(foldDue(big, files(FOLD_FILES - 1, 60), minRows, now)).toBe(false);
    expect(foldDue(big, [{ ...files(1, 0)[0]!, rows: minRows }], minRows, now)).toBe(true);
    // A small state needs no wait; fewer files and rows than the bounds, none.
    expect(foldDue(50_000, files(FOLD_FILES, 0), defaultFoldRows(50_000), now)).toBe(true);
    expect(foldDue(50_000, files(FOLD_FILES - 1, 0), defaultFoldRows(50_000), now)).toBe(false);
    // A tiny one, from TINY_FOLD_FILES files.
    expect(foldDue(TINY_STATE_ROWS, files(TINY_FOLD_FILES, 0), defaultFoldRows(TINY_STATE_ROWS), now)).toBe(true);
    expect(foldDue(TINY_STATE_ROWS, files(TINY_FOLD_FILES - 1, 0), defaultFoldRows(TINY_STATE_ROWS), now)).toBe(false);
    expect(foldDue(TINY_STATE_ROWS + 1, files(TINY_FOLD_FILES, 0), defaultFoldRows(TINY_STATE_ROWS + 1), now)).toBe(false);
  });

  it('writes a first fold in _changed_at order, so views can skip the state by its row groups', async () => {
    const at = (h: number) => `2026-11-29T${String(h).padStart(2, '0')}:00:00Z`;
    // Keys whose order is not their time order.
    await land([donation('c', 1, { occurred_at: at(9) }), donation('a', 2, { occurred_at: at(7) }), donation('b', 3, { occurred_at: at(8) })]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    const [state] = await stateFiles();
    const rows = await lake.engine.query(`SELECT donation_id FROM read_parquet(${sqlString(path.join(lake.dir, state!.key))})`);
    expect(rows.map((r) => r.donation_id)).toEqual(['a', 'b', 'c']);
  });

  it('decides a NULL _changed_at, in the state or in the rows landed since, as the history form does', async () => {
    // Envelopes always carry _changed_at; a file written by something else (or an older writer) may not.
    // NULLs are set in the landed files themselves, so the state is folded from them and both forms read them.
    const nullChangedAt = async (keys: string[]) => {
      for (const f of (await lake.catalog.listFiles({ contract: 'donation' })).filter((x) => !x.current && !x.folded)) {
        const file = path.join(lake.dir, f.key);
        const list = keys.map(sqlString).join(', ');
        await lake.engine.query(
          `COPY (SELECT * REPLACE (CASE WHEN donation_id IN (${list}) THEN NULL ELSE _changed_at END AS _changed_at) FROM read_parquet(${sqlString(file)})) ` +
            `TO ${sqlString(`${file}.tmp`)} (FORMAT parquet)`,
        );
        await rename(`${file}.tmp`, file);
      }
    };
    const at = (m: number) => `2026-11-29T20:${String(m).padStart(2, '0')}:00.000Z`;
    // Folded: a and c with no _changed_at, b and d with one.
    await land(['a', 'b', 'c', 'd'].map((k, i) => donation(k, 100 + i, { received_at: at(1), delivery: 'first' })));
    await nullChangedAt(['a', 'c']);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(await stateFiles()).toHaveLength(1);
    // Since: later versions of a, b, c and d; b's and c's without _changed_at.
    await land(['a', 'b', 'c', 'd'].map((k, i) => donation(k, 200 + i, { updated_at: '2026-11-29T21:00:00Z', received_at: at(2), delivery: 'second' })));
    await nullChangedAt(['b', 'c']);
    const rows = (await expectSameAsFullHistory()) as { donation_id: string; amount_minor: number }[];
    // NULLs sort last in "latest first": a known _changed_at beats none, and between two NULLs the later arrival wins.
    expect(rows.map((r) => [r.donation_id, r.amount_minor])).toEqual([['a', 200], ['b', 101], ['c', 202], ['d', 203]]);
  });

  it('keeps a deleted record as its current version, as the history form does', async () => {
    const gift = (id: string, updated: string, deleted: boolean | undefined, received: string) =>
      makeEnvelope({
        contract: 'gift',
        version: 1,
        source: 'salesforce',
        stream: 'opportunities',
        payload: { gift_id: id, occurred_at: '2026-11-29T10:00:00Z', updated_at: updated, amount_minor: 1000, currency: 'GBP', ...(deleted === undefined ? {} : { deleted }) },
        received_at: received,
        delivery_id: `run-${received}`,
      });
    const puddle = 'supporters';
    await land([gift('g1', '2026-11-29T11:00:00Z', undefined, '2026-11-29T11:00:01Z'), gift('g2', '2026-11-29T11:00:00Z', undefined, '2026-11-29T11:00:01Z')], puddle);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'gift' });
    await land([gift('g1', '2026-11-29T12:00:00Z', true, '2026-11-29T12:00:01Z')], puddle);
    const rows = (await expectSameAsFullHistory('gift')) as { gift_id: string; deleted: boolean | null }[];
    expect(rows.map((r) => [r.gift_id, r.deleted])).toEqual([['g1', true], ['g2', null]]);
    await foldCurrentState({ store: lake.store, catalog: lake.catalog, contract: 'gift', minRows: 0 });
    await expectSameAsFullHistory('gift');
  });

  it('is dropped by a replay (whose rows it may no longer match) and folded again from the whole history', async () => {
    await lake.queue.publish(Array.from({ length: 20 }, (_, i) => donation(`r${i}`, i + 1, { delivery: `p${i}` })));
    await lake.consumer('transactions', { batchSize: 5 }).drain();
    await lake.consumer('raw', { batchSize: 50 }).drain();
    await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2 });
    expect(await stateFiles()).toHaveLength(1);
    const result = await replay({ store: lake.store, catalog: lake.catalog, contract: 'donation' });
    expect(result.rows).toBe(20);
    expect(await stateFiles()).toEqual([]);
    await expectSameAsFullHistory();
    // What is left carries folded marks from the dropped state; the next fold reads it all again.
    const again = await compactAll({ store: lake.store, catalog: lake.catalog, minFiles: 2 });
    expect(again.folded).toMatchObject([{ contract: 'donation', rowsOut: 20 }]);
    expect(await lake.engine.query('SELECT count(*) AS n, sum(amount_minor) AS s FROM donation')).toEqual([{ n: 20, s: 210 }]);
    await expectSameAsFullHistory();
  });
});
