// A PUDDLE_HOME a test imports bank files into and reads with the CLI, as a finance lead does: the files are
// written into a folder beside the home (an `--out` inside the home is refused), `puddle` runs on it, and `query`
// gives `puddle query --format json`'s rows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runPuddle, type CliResult } from './run-cli.js';

export interface BankHome {
  home: string;
  puddle(args: string[]): Promise<CliResult>;
  /** `puddle query --format json`, which must succeed. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Writes `text` to `name` in the folder beside the home; its path. */
  file(name: string, text: string): string;
  remove(): void;
}

export function bankHome(prefix: string): BankHome {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const files = mkdtempSync(join(tmpdir(), `${prefix}files-`));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  return {
    home,
    puddle,
    async query(sql) {
      const q = await puddle(['query', '--format', 'json', sql]);
      expect(q.code, q.stderr).toBe(0);
      return JSON.parse(q.stdout) as Record<string, unknown>[];
    },
    file(name, text) {
      const path = join(files, name);
      writeFileSync(path, text);
      return path;
    },
    remove() {
      for (const dir of [home, files]) rmSync(dir, { recursive: true, force: true });
    },
  };
}
