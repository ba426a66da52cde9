// A camt.053 with no booked opening or closing balance (only CLAV, or a bank's own Prtry types): until
// 2026-12-03 it imported as "adds up", exit 0, balanced = true, though there was nothing to check it against.
// Now its lines are imported (the money is real), the import says it could not be checked and exits 1, and
// recon_breaks shows a STATEMENT_UNVERIFIABLE break until the bank's statement with its balances is imported.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from '../support/run-cli.js';

const FIXTURE = readFileSync(new URL('../fixtures/bank/camt053_v02_4entries_batch.xml', import.meta.url), 'utf8');

describe('a camt.053 whose balances cannot be checked', { timeout: 240_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-unverifiable-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  const json = async (sql: string) => {
    const r = await puddle(['query', '--format', 'json', sql]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('imports its lines, says it was not verified (exit 1), and is a STATEMENT_UNVERIFIABLE break until the statement with balances comes', async () => {
    // The same statement with an available balance (CLAV) and a bank's own closing type instead of PRCD and CLBD.
    const bare = join(home, 'no-booked-balances.xml');
    writeFileSync(bare, FIXTURE.replace('<Cd>PRCD</Cd>', '<Cd>CLAV</Cd>').replace('<Cd>CLBD</Cd>', '<Prtry>BANK-CLOSE</Prtry>'));
    const r = await puddle(['import', 'bank', bare]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no-booked-balances.xml: camt.053, 1 statement, 4 entries (credits 1 = 1.00 EUR, debits 3 = 11.00 EUR), 4 bank lines sent');
    expect(r.stderr).toContain('no-booked-balances.xml: imported, but not verified');
    expect(r.stderr).toContain(
      "Stmt[1] (line 13): balances: no booked opening balance (Bal/Tp/CdOrPrtry/Cd OPBD or PRCD) and no booked closing balance (CLBD or ITBD) (it carries only CLAV, a bank's own type (Prtry))",
    );
    expect(r.stdout).toContain("published to the queue; a running hub or 'puddle land' lands it");
    expect((await puddle(['land'])).code).toBe(0);

    // The lines are not lost.
    expect(await json("SELECT count(*) AS n, sum(amount_minor) AS total FROM bank_line WHERE statement_id LIKE '%0352C5320131227220503%'")).toEqual([{ n: 4, total: -1000 }]);
    const breaks = () => json("SELECT break_type, object_id, amount_minor, reason, related_ids FROM recon_breaks WHERE break_type LIKE 'STATEMENT_%'");
    const [open, ...more] = await breaks();
    expect(more).toEqual([]);
    expect(open).toMatchObject({ break_type: 'STATEMENT_UNVERIFIABLE', amount_minor: null, related_ids: 'no-booked-balances.xml' });
    expect(open!.reason).toContain('a camt.053 with no booked opening balance (OPBD or PRCD) and no booked closing balance (CLBD or ITBD): its lines were imported but cannot be checked');

    // The bank re-issues the statement (its Stmt/Id, created later) with its booked balances: the break closes.
    const reissue = join(home, 'reissued.xml');
    writeFileSync(reissue, FIXTURE.replaceAll('2013-12-27T22:04:52.0+01:00', '2013-12-28T08:00:00.0+01:00'));
    const ok = await puddle(['import', 'bank', reissue]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe('');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await breaks()).toEqual([]);
  });
});

// A bank that sends no booked balance in any camt.053 sends none every day: no re-issue will come, and exit 1 with
// a break on every file teaches the user to ignore both. The charity names such an account once, in the recon
// parameter accounts_without_balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES): its statements import as a CSV
// without balances does, exit 0 with the net to check by hand, and are no break; every other account's still are.
describe('an account whose bank never sends booked balances', { timeout: 240_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-no-balances-account-'));
  // As on paper, in groups of four: compared without spaces or case.
  const LISTED = { PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES: 'GB33BUKB20201555555555, de14 7406 1813 0000 0336 26' };
  const puddle = (args: string[], env: Record<string, string> = {}) => runPuddle(args, { PUDDLE_HOME: home, ...env });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('imports its camt.053 with exit 0 and what to check by hand, and opens no STATEMENT_UNVERIFIABLE while it is listed', async () => {
    const bare = join(home, 'no-booked-balances.xml');
    writeFileSync(bare, FIXTURE.replace('<Cd>PRCD</Cd>', '<Cd>CLAV</Cd>').replace('<Cd>CLBD</Cd>', '<Prtry>BANK-CLOSE</Prtry>'));
    const r = await puddle(['import', 'bank', bare], LISTED);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "no-booked-balances.xml: imported, but not verified: it lacks the balances to check it against (its account's bank sends none, PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES: no break, exit 0; check it by hand):",
    );
    expect(r.stderr).toMatch(
      /Stmt\[1\] \(line 13\): balances: no booked opening balance \(Bal\/Tp\/CdOrPrtry\/Cd OPBD or PRCD\) and no booked closing balance \(CLBD or ITBD\) \(the account's bank never sends them\), so nothing shows it holds every entry of the account ending 3626 on 2013-12-27: check that its net, -10\.00 EUR, is what the account's balance moved by in online banking/,
    );
    expect((await puddle(['land'])).code).toBe(0);

    const unverifiable = async (env: Record<string, string>) => {
      const q = await puddle(['query', '--format', 'json', "SELECT object_id FROM recon_breaks WHERE break_type = 'STATEMENT_UNVERIFIABLE'"], env);
      expect(q.code, q.stderr).toBe(0);
      return (JSON.parse(q.stdout) as unknown[]).length;
    };
    expect(await unverifiable(LISTED)).toBe(0);
    // The setting is the one recon parameter: without it, the same statement is a break again.
    expect(await unverifiable({})).toBe(1);
    // Another account listed does not cover this one: exit 1, as before.
    const other = await puddle(['import', 'bank', bare], { PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES: 'GB33BUKB20201555555555' });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('a STATEMENT_UNVERIFIABLE break until the bank');
    // A list with no account in it is refused, naming the setting.
    const empty = await puddle(['import', 'bank', bare], { PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES: ' , ' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES must be bank accounts (IBAN or account id) separated by commas');
  });
});
