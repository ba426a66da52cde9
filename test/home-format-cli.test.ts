// A home says which format it is in (infra/local/home-format.ts): every command refuses a home a newer Puddle
// wrote, with exit code 2 and one line, before it changes anything in it; a home from before the mark works and
// gets it. Until 2026-12-03 nothing in a home said which Puddle wrote it, and a rollback read a newer home wrongly.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACTS } from '../core/contracts/index.js';
import { CONTRACT_VERSIONS_BY_FORMAT, HOME_FORMAT, HOME_FORMAT_FILE } from '../infra/local/home-format.js';
import { runPuddle, type CliResult } from './support/run-cli.js';

const STATEMENT = fileURLToPath(new URL('./fixtures/bank/lloyds_online_export_fixed.csv', import.meta.url));

/** Every file under `dir` with its size, modification time and content hash: what "nothing changed" compares. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        files[`${relative(dir, path)}/`] = String(statSync(path).mode);
        walk(path);
      } else {
        const s = statSync(path);
        files[relative(dir, path)] = `${s.size} ${s.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return files;
}

/** At most `n` at a time: each is a node process, on a shared two-core machine. */
async function inTurns<T>(items: T[], n: number, fn: (item: T) => Promise<CliResult>): Promise<CliResult[]> {
  const out: CliResult[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map(fn))));
  return out;
}

describe('the home format', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-home-format-'));
  const home = join(dir, 'home');
  const env = { PUDDLE_HOME: home, PORT: '0', PUDDLE_API_KEYS: 'home-format-key-0001' };
  const mark = join(home, HOME_FORMAT_FILE);

  beforeAll(async () => {
    // A home with a queue, state, a catalog and lake files: a bank statement imported, then landed.
    const imported = await runPuddle(['import', 'bank', STATEMENT, '--layout', 'lloyds', '--account', 'home-format-acct', '--currency', 'GBP'], env);
    expect(imported.code, imported.stderr).toBe(0);
    const landed = await runPuddle(['land'], env);
    expect(landed.code, landed.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is recorded when a home is made', () => {
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toEqual({ format: HOME_FORMAT });
  });

  it('newer than this Puddle knows: every command refuses the home with exit code 2 and one line, and changes nothing in it', async () => {
    const newer = HOME_FORMAT + 1;
    writeFileSync(mark, `${JSON.stringify({ format: newer })}\n`);
    const before = snapshot(home);
    const backupTo = join(dir, 'backup-of-newer');
    const commands = [
      ['start', '--no-schedule'],
      ['demo', '--once', '--donations', '5'],
      ['aws', 'local', '--no-schedule'],
      ['land'],
      ['sync', 'stripe'],
      ['import', 'bank', STATEMENT, '--layout', 'lloyds', '--account', 'home-format-acct', '--currency', 'GBP'],
      ['status'],
      ['query', 'SELECT count(*) FROM bank_line'],
      ['report', 'breaks'],
      ['export', 'bank_line', '--out', join(dir, 'bank_line.parquet')],
      ['compact'],
      ['replay', '--contract', 'bank_line'],
      ['backup', '--to', backupTo],
      ['catalog', 'rebuild'],
      ['dead-letters'],
      ['dead-letters', 'redrive'],
      ['quarantine'],
      ['quarantine', 'retry'],
    ];
    // A command that did start (the test then fails on its code) is stopped rather than left running.
    const results = await inTurns(commands, 3, (args) => runPuddle(args, env, { timeoutMs: 120_000 }));
    results.forEach((r, i) => {
      const args = commands[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toBe(
        `puddle ${args[0]}: ${home} (PUDDLE_HOME) is in home format ${newer}, and this Puddle reads home format ${HOME_FORMAT} at most: a newer Puddle wrote it, ` +
          'and this one would misread it. Nothing was opened or changed. Run the newer Puddle on it, or, to go back to this version, ' +
          'restore the backup taken before the upgrade (see "Upgrading" in docs/configuration.md)\n',
      );
    });
    expect(snapshot(home)).toEqual(before);
    expect(existsSync(backupTo)).toBe(false);
    expect(existsSync(join(dir, 'bank_line.parquet'))).toBe(false);
  });

  it('a mark that holds no number is refused too, not guessed', async () => {
    writeFileSync(mark, 'format two\n');
    const before = snapshot(home);
    const r = await runPuddle(['status'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `puddle status: ${mark} does not say which home format ${home} (PUDDLE_HOME) is in (it should hold {"format":N}): nothing was opened. ` +
        'Restore the home from a backup, or write the number of the Puddle that made it back into that file\n',
    );
    expect(snapshot(home)).toEqual(before);
  });

  it('a home from before the mark is taken as format 1: it works, the first command that writes records the mark, a backup carries it', async () => {
    rmSync(mark);
    const backupTo = join(dir, 'backup-of-unmarked');
    // `backup` only reads the home: it leaves the home unmarked, and gives the copy the format it read (1).
    const backedUp = await runPuddle(['backup', '--to', backupTo], env);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    expect(existsSync(mark)).toBe(false);
    expect(JSON.parse(readFileSync(join(backupTo, HOME_FORMAT_FILE), 'utf8'))).toEqual({ format: 1 });

    const query = await runPuddle(['query', 'SELECT count(*) AS n FROM bank_line', '--format', 'json'], env);
    expect(query.code, query.stderr).toBe(0);
    expect((JSON.parse(query.stdout) as { n: number }[])[0]!.n).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toEqual({ format: HOME_FORMAT });

    // And the hub's way in (the lock, the runtime) records it as well.
    rmSync(mark);
    const land = await runPuddle(['land'], env);
    expect(land.code, land.stderr).toBe(0);
    expect(JSON.parse(readFileSync(mark, 'utf8'))).toEqual({ format: HOME_FORMAT });
  });
});

describe('the home format and the contracts', () => {
  it('was raised with the latest contract versions: a new version means a new format, which an older Puddle refuses', () => {
    // A Puddle of the format before reads only the versions it knows (a restore onto a two-day-old checkout read 140
    // of 806 payments, 2026-12-07): add the version here and raise HOME_FORMAT in infra/local/home-format.ts.
    const latest = Object.fromEntries([...CONTRACTS].map(([name, versions]) => [name, Math.max(...versions.keys())]));
    const formats = Object.keys(CONTRACT_VERSIONS_BY_FORMAT).map(Number);
    expect(Math.max(...formats)).toBe(HOME_FORMAT);
    expect(latest).toEqual(CONTRACT_VERSIONS_BY_FORMAT[HOME_FORMAT]);
    // Each format's list differs from the one before it: a format is raised for a new version, not the list edited.
    const sorted = formats.sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(CONTRACT_VERSIONS_BY_FORMAT[sorted[i]!]).not.toEqual(CONTRACT_VERSIONS_BY_FORMAT[sorted[i - 1]!]);
  });
});
