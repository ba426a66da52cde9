// The CLI's edges that need no lake: options refused before anything runs, help text, a closed stdout.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPORTS } from '../puddles/reports.js';
import { runPuddle } from './support/run-cli.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));

describe('the puddle CLI, without a lake', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-cli-options-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  const outDir = mkdtempSync(join(tmpdir(), 'puddle-cli-options-out-'));
  mkdirSync(join(home, 'a-folder.json'));
  afterAll(() => {
    for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a date that is not on the calendar with exit code 2, naming the option', async () => {
    const cases: [string[], string][] = [
      [['report', 'breaks', '--as-of', '2027-02-30'], '--as-of'],
      [['report', 'payouts', '--from', '2026-11-31'], '--from'],
      [['report', 'payouts', '--to', '2026-04-31'], '--to'],
      [['export', 'recon_journey', '--as-of', '2026-02-30', '--out', join(outDir, 'x.csv'), '--format', 'csv'], '--as-of'],
      [['replay', '--contract', 'donation', '--from', '2026-02-30'], '--from'],
      [['sync', 'stripe', '--to', '2026-02-30T10:00:00Z'], '--to'],
      // Date.parse takes hour 24 as the next day's midnight.
      [['sync', 'stripe', '--from', '2026-11-30T24:00'], '--from'],
    ];
    const results = await Promise.all(cases.map(([args]) => puddle(args)));
    results.forEach((r, i) => {
      const [args, option] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(option);
      expect(r.stderr, args.join(' ')).not.toMatch(/Conversion Error|\n\s+at /);
    });
  });

  it('refuses a sync whose --streams names none, or with a word after its connector, with exit code 2 before anything runs', async () => {
    const fresh = join(home, 'never-made');
    const sync = (args: string[]) => runPuddle(['sync', 'stripe', ...args], { PUDDLE_HOME: fresh, STRIPE_API_KEY: 'sk_test_unused', STRIPE_API_BASE: 'http://127.0.0.1:9' });
    const [blank, commas, word] = await Promise.all([sync(['--streams', '']), sync(['--streams', ' , ']), sync(['charges'])]);
    // Until 2026-12-03 these exited 0: the first two ran nothing and said the sync had stopped before every
    // stream's turn, the third synced every stream (a stream meant, not given with --streams).
    for (const r of [blank, commas]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`puddle sync: --streams names no stream: give one or more, comma separated, or leave --streams out for all of stripe's\n`);
    }
    expect(word.code).toBe(2);
    expect(word.stderr).toBe('puddle sync: one connector a run, with only options after it: "charges" is not one (to choose streams: puddle sync stripe --streams a,b)\n');
    expect(word.stdout).toBe('');
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses an --out in a folder that does not exist, or naming a folder, with exit code 2 before opening anything', async () => {
    const cases: [string[], string][] = [
      [['report', 'payouts', '--format', 'csv', '--out', join(home, 'no-such-folder', 'p.csv')], `--out ${join(home, 'no-such-folder', 'p.csv')}: the folder ${join(home, 'no-such-folder')} does not exist`],
      [['report', 'breaks', '--format', 'json', '--out', home], `--out ${home} is a folder: give a file name in it`],
      [['export', 'recon_journey', '--out', join(home, 'no-such-folder', 'j.parquet')], `the folder ${join(home, 'no-such-folder')} does not exist`],
    ];
    for (const [args, said] of cases) {
      const r = await puddle(args);
      expect(r.code, args.join(' ')).toBe(2);
      // Until 2026-12-03: DuckDB's "IO Error: Cannot open file ...", exit 1, after the report's snapshot of the lake.
      expect(r.stderr, args.join(' ')).toContain(said);
      expect(r.stderr, args.join(' ')).not.toContain('IO Error');
    }
  });

  it('refuses an --out inside PUDDLE_HOME, however it is named, with exit code 2, and writes nothing there', async () => {
    // Until 2026-12-06 `puddle export ... --out $PUDDLE_HOME/catalog.db` replaced the hub's catalog with the export.
    const link = join(outDir, 'home-link');
    symlinkSync(home, link);
    const real = realpathSync(home);
    const outs = [join(home, 'catalog.db'), join(home, 'a-folder.json', 'j.csv'), join(outDir, '..', basename(home), 'j.csv'), join(link, 'j.csv')];
    for (const out of outs) {
      for (const args of [['export', 'recon_journey', '--format', 'csv', '--out', out], ['report', 'breaks', '--format', 'csv', '--out', out]]) {
        const r = await puddle(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toContain(`--out ${out} is inside PUDDLE_HOME (${real}), which holds the hub's catalog, queue and lake: write it elsewhere`);
        expect(r.stdout).toBe('');
      }
      expect(existsSync(out), out).toBe(false);
    }
    // Beside the home is fine.
    const beside = await puddle(['report', 'breaks', '--format', 'csv', '--out', join(outDir, 'breaks.csv')]);
    expect(beside.code, beside.stderr).toBe(0);
    expect(existsSync(join(outDir, 'breaks.csv'))).toBe(true);
  });

  it('says which report name is wrong, or which word after it, with exit code 2', async () => {
    const names = [...Object.keys(REPORTS), 'break-history'].join(', ');
    const [typo, two, none] = await Promise.all([puddle(['report', 'breakz']), puddle(['report', 'breaks', 'payouts']), puddle(['report'])]);
    // Until 2026-12-03 all three printed only the list of reports.
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(`puddle report: "breakz" is not a report; name one of: ${names}\n`);
    expect(two.code).toBe(2);
    expect(two.stderr).toBe('puddle report: one report a run, with only options after it: "payouts" is not one\n');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`puddle report: name one report: ${names}\n`);
  });

  it('says in words what is wrong with a --layout file: missing, a folder, or not JSON', async () => {
    const bad = join(home, 'bad-layout.json');
    writeFileSync(bad, '{ "date": ');
    const run = (layout: string) => puddle(['import', 'bank', join(home, 'statement.csv'), '--layout', layout]);
    const [missing, folder, notJson] = await Promise.all([run(join(home, 'no-such.json')), run(join(home, 'a-folder.json')), run(bad)]);
    for (const r of [missing, folder, notJson]) expect(r.code).toBe(2);
    // Until 2026-12-03: "--layout: ENOENT: no such file or directory, open ..." and "--layout: Unexpected end of JSON input".
    expect(missing.stderr).toContain(`--layout ${join(home, 'no-such.json')}: no such file; give a layout (lloyds, natwest, barclays, hsbc) or a JSON column map file`);
    expect(folder.stderr).toContain(`--layout ${join(home, 'a-folder.json')}: a folder, not a file`);
    expect(notJson.stderr).toContain(`--layout ${bad}: not a JSON column map (`);
    for (const r of [missing, folder, notJson]) expect(r.stderr).not.toContain('ENOENT');
  });

  it('refuses a report whose --as-of is before its --from (a range that can hold nothing), with exit code 2', async () => {
    const r = await puddle(['report', 'totals', '--from', '2026-11-20', '--as-of', '2026-11-19', '--fail-on-breaks']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--as-of is before --from (2026-11-19, from 2026-11-20)');
    expect(r.stdout).toBe('');
  });

  it('refuses --as-of for a view it does not change, naming the views it does, and writes nothing', async () => {
    const out = join(outDir, 'd.csv');
    // raw holds what arrived, as it arrived: no date rewinds it.
    const r = await puddle(['export', 'raw', '--as-of', '2026-11-27', '--format', 'csv', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--as-of applies only to the views it rewinds');
    for (const view of ['donation_history', 'recon_journey', 'recon_breaks', 'totals_by_box']) expect(r.stderr).toContain(view);
    expect(r.stderr).toContain('not to raw, which holds what arrived as it is');
    expect(existsSync(out)).toBe(false);
  });

  it('stops a command that works on a home with exit code 2 when PUDDLE_HOME does not exist, and makes no home', async () => {
    const typo = join(home, 'typo');
    const commands = [
      ['query', 'SELECT 1 AS one'],
      ['query', 'SELECT count(*) FROM donation'],
      ['status'],
      ['report', 'breaks'],
      ['export', 'donation', '--out', join(home, 'donation.parquet')],
      ['quarantine'],
      ['quarantine', 'retry'],
      ['dead-letters'],
      ['dead-letters', 'redrive'],
      ['compact'],
      ['replay', '--contract', 'donation'],
      ['catalog', 'rebuild'],
      ['land'],
    ];
    const results = await Promise.all(commands.map((args) => runPuddle(args, { PUDDLE_HOME: typo })));
    results.forEach((r, i) => {
      const name = commands[i]![0]!;
      expect(r.code, commands[i]!.join(' ')).toBe(2);
      expect(r.stdout, commands[i]!.join(' ')).toBe('');
      expect(r.stderr, commands[i]!.join(' ')).toBe(
        `puddle ${name}: ${typo} (PUDDLE_HOME) does not exist: no hub has run there and nothing was synced or imported into it. ` +
          'Check PUDDLE_HOME (by default ./.puddle, in the folder the command runs from); `puddle start` makes a home and runs its hub\n',
      );
    });
    // Until 2026-12-02 the first made the folder and its catalog.db, and the second answered 0 without a word.
    expect(existsSync(typo)).toBe(false);
  });

  it('refuses a whole-number option that is not one, or out of its range, with exit code 2 naming it, before it opens anything', async () => {
    const cases: [string[], string][] = [
      // Until 2026-12-02 compact took these (NaN, and 0 as 2), merged nothing and exited 0.
      [['compact', '--min-files', 'abc'], '--min-files takes a whole number of 2 or more, not "abc"'],
      [['compact', '--min-files', '0'], '--min-files takes a whole number of 2 or more, not "0"'],
      [['compact', '--min-files', '2.5'], '--min-files takes a whole number of 2 or more, not "2.5"'],
      [['start', '--no-schedule', '--port', 'abc'], '--port takes a whole number from 0 to 65535, not "abc"'],
      [['start', '--no-schedule', '--port', '70000'], '--port takes a whole number from 0 to 65535, not "70000"'],
      [['demo', '--once', '--donations', 'many'], '--donations takes a whole number of 1 or more, not "many"'],
      [['demo', '--once', '--seed', '1e3'], '--seed takes a whole number of 0 or more, not "1e3"'],
      [['demo', '--once', '--port', '65536'], '--port takes a whole number from 0 to 65535, not "65536"'],
    ];
    const results = await Promise.all(cases.map(([args]) => puddle(args)));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe(`puddle ${args[0]}: ${message}\n`);
      expect(r.stdout, args.join(' ')).toBe('');
    });
  });

  it('refuses a reversed date range, quarantine and an unknown contract for replay with exit code 2, as sync refuses its range', async () => {
    const [replayed, reported, oneDay, quarantine, unknown, none] = await Promise.all([
      puddle(['replay', '--contract', 'donation', '--from', '2026-11-29', '--to', '2026-11-27']),
      puddle(['report', 'payouts', '--from', '2026-11-29', '--to', '2026-11-27']),
      // Both days are in a replay's range: one day is --from and --to the same.
      puddle(['replay', '--contract', 'donation', '--from', '2026-11-29', '--to', '2026-11-29']),
      puddle(['replay', '--contract', 'quarantine']),
      puddle(['replay', '--contract', 'donations']),
      puddle(['replay']),
    ]);
    // Until 2026-12-02 the first two ran, found nothing and exited 0, and quarantine said "read: 0".
    const reversed = '--to is before --from (2026-11-29 to 2026-11-27): a range holds the days from --from to --to, both included; give a later --to, or the same day for one day\n';
    expect(replayed.stderr).toBe(`puddle replay: ${reversed}`);
    expect(reported.stderr).toBe(`puddle report: ${reversed}`);
    expect(oneDay.code, oneDay.stderr).toBe(0);
    expect(JSON.parse(oneDay.stdout)).toMatchObject({ contract: 'donation', read: 0 });
    expect(quarantine.stderr).toBe(
      'puddle replay: quarantine is not replayed: it holds what did not land, and a replay re-derives what landed. Once the cause is fixed, puddle quarantine retry [--contract C] [--source S] lands its records\n',
    );
    expect(unknown.stderr).toMatch(/^puddle replay: --contract: no contract "donations"; the contracts are bank_line, bank_line_detail, .*, donation, .*, quarantine_resolution, .*, ticket\n$/);
    expect(unknown.stderr).not.toMatch(/\bquarantine,/);
    expect(none.stderr).toMatch(/^puddle replay: --contract names the contract to re-derive: bank_line, bank_line_detail, /);
    for (const r of [replayed, reported, quarantine, unknown, none]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    }
  });

  it('prints the header of a CSV with no rows, in the columns\' order', async () => {
    const [empty, view, ordered] = await Promise.all([
      puddle(['query', '--format', 'csv', `SELECT 2 AS b, 'x' AS "1" WHERE false`]),
      // An empty lake's view still has its contract's columns.
      puddle(['query', '--format', 'csv', 'SELECT donation_id, amount_minor FROM donation']),
      puddle(['query', '--format', 'csv', `SELECT 2 AS b, 'x' AS "1"`]),
    ]);
    expect(empty.stdout).toBe('b,1\n');
    expect(view.stdout).toBe('donation_id,amount_minor\n');
    // A row object lists the key "1" before "b": the header follows the SQL, not the object.
    expect(ordered.stdout).toBe('b,1\n2,x\n');
    for (const r of [empty, view, ordered]) expect(r.code, r.stderr).toBe(0);
  });

  it('lists every report in `puddle report --help`, from the reports themselves', async () => {
    const help = await puddle(['report', '--help']);
    expect(help.code).toBe(0);
    const summary = help.stdout.split('\n')[0]!;
    for (const name of Object.keys(REPORTS)) expect(summary).toMatch(new RegExp(`\\b${name}\\b`));
    expect(summary).toContain('tickets');
  });

  it.each(['csv', 'json'])('ends quietly when the reader closes its stdout, with no stack trace (--format %s, streamed)', async (format) => {
    // Far more than a pipe's buffer, so the CLI is still writing when the reader goes.
    const child = spawn(process.execPath, [BIN, 'query', '--format', format, 'SELECT * FROM range(300000)'], {
      env: { ...process.env, PUDDLE_HOME: home, PUDDLE_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let chunks = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => {
      chunks++;
      child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(chunks, stderr).toBe(1);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(code).toBe(0);
  });
});
