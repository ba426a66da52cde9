// `puddle query` and `puddle report` on a terminal narrower than their table: a block a row, each value whole
// (infra/cli/format.ts), instead of lines the terminal folds. `report breaks` is 600-700 characters wide; a finance
// lead's terminal, 80 to 200. Run in a real pseudo-terminal (util-linux's `script`), its width set with stty;
// the same command into a pipe still prints the table, a line a row.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

const BIN = fileURLToPath(new URL('../bin/puddle.mjs', import.meta.url));
const run = promisify(execFile);

/**
 * The command's standard output on a terminal `cols` wide, or of a size never set (0 columns, as under `script`
 * logging a job); its standard error goes elsewhere (a pseudo-terminal's lines end in \r\n).
 */
async function onTerminal(args: string[], cols: number | null, env: Record<string, string>): Promise<string> {
  const run1 = `${[process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')} 2>/dev/null`;
  const command = cols === null ? run1 : `stty cols ${cols}; ${run1}`;
  const { stdout } = await run('script', ['-qec', command, '/dev/null'], { env: { ...process.env, PUDDLE_LOG_LEVEL: 'error', ...env } });
  return stdout.replaceAll('\r\n', '\n');
}

describe('a table wider than the terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-terminal-width-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sql = "SELECT 'bl_0011w' AS bank_line_id, 'Find the provider''s payout for this credit and check that it has synced into Puddle' AS action";

  it('is a block a row on the terminal, every value whole', async () => {
    const out = await onTerminal(['query', sql], 60, { PUDDLE_HOME: home });
    expect(out).toBe(
      [
        '-[ row 1 of 1 ]---------------------------------------------',
        'bank_line_id | bl_0011w',
        "action       | Find the provider's payout for this credit",
        '             | and check that it has synced into Puddle',
        '(1 row, a block each: the table is wider than the terminal)',
        '',
      ].join('\n'),
    );
    // A terminal as wide as the table: the table.
    expect(await onTerminal(['query', sql], 98, { PUDDLE_HOME: home })).toMatch(/^bank_line_id \| action +\n-+-\+-+\nbl_0011w +\| Find/);
  });

  it('is the table on a terminal whose size is not known (0 columns)', async () => {
    expect(await onTerminal(['query', sql], null, { PUDDLE_HOME: home })).toMatch(/^bank_line_id \| action +\n/);
  });

  it('is still the table, a line a row, into a pipe', async () => {
    const r = await runPuddle(['query', sql], { PUDDLE_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[2]).toBe("bl_0011w     | Find the provider's payout for this credit and check that it has synced into Puddle");
  });

  it('is a block a row for a report too, and the table in its --out file', async () => {
    // A statement of four bank lines: `report bank` lists them, about 640 characters wide.
    const fixture = fileURLToPath(new URL('./fixtures/bank/camt053_v02_4entries_batch.xml', import.meta.url));
    expect((await runPuddle(['import', 'bank', fixture], { PUDDLE_HOME: home })).code).toBe(0);
    expect((await runPuddle(['land'], { PUDDLE_HOME: home })).code).toBe(0);
    const out = await onTerminal(['report', 'bank'], 80, { PUDDLE_HOME: home });
    expect(out).toMatch(/^-\[ row 1 of 4 \]-{65}\nbank_line_id +\| DE14740618130000033626\//);
    expect(out).toContain('(4 rows, a block each: the table is wider than the terminal)');
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    const file = join(dir, 'bank.txt');
    expect((await runPuddle(['report', 'bank', '--out', file], { PUDDLE_HOME: home })).code).toBe(0);
    const table = readFileSync(file, 'utf8').split('\n');
    expect(table[0]).toMatch(/^bank_line_id +\| account /);
    expect(table).toHaveLength(4 + 4);
  });
});
