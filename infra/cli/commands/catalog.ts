import { join } from 'node:path';

import { ConfigError } from '../../../core/errors.js';
import { defineCommand } from '../command.js';
import { existingHome } from '../local-runtime.js';

export const catalog = defineCommand({
  name: 'catalog',
  summary:
    "Check that no lake file changed after it landed (verify), or rebuild a lost or damaged catalog.db from the lake's raw files, with the hub stopped (rebuild: only when there is no backup to restore).",
  usage: 'puddle catalog verify|rebuild',
  options: {},
  async run({ positionals }) {
    if (positionals.length !== 1 || !['rebuild', 'verify'].includes(positionals[0]!)) {
      process.stderr.write(`puddle catalog: the subcommands are verify and rebuild: puddle catalog verify, puddle catalog rebuild\n`);
      return 2;
    }
    if (positionals[0] === 'verify') return verify();
    const home = existingHome();
    // Loaded here, not at the top: `puddle catalog --help` loads nothing that runs.
    const [{ lockHome }, { catalogProblem, moveCatalogAside }, { SqliteCatalog }, { FsObjectStore }, { findRawFiles, rebuildFromRaw }] = await Promise.all([
      import('../../local/home-lock.js'),
      import('../../local/catalog-file.js'),
      import('../../local/sqlite-catalog.js'),
      import('../../local/fs-object-store.js'),
      import('../../../puddles/catalog-rebuild.js'),
    ]);
    // The hub's lock: a hub landing meanwhile would register files in the catalog being moved aside.
    const lock = lockHome(home, 'puddle catalog rebuild');
    try {
      const path = join(home, 'catalog.db');
      const problem = catalogProblem(path);
      if (problem === null) {
        throw new ConfigError(
          `${path} is whole: SQLite reads it and its quick check passes. A rebuild is only for a catalog that is missing or damaged; nothing was changed ` +
            '(to re-derive one contract from raw, use puddle replay --contract C)',
        );
      }
      const store = new FsObjectStore(home);
      // Read every raw file before touching anything: a damaged one stops the rebuild with nothing changed.
      const raw = await findRawFiles(store);
      // A lake whose other files have no raw trail would rebuild as an empty lake (a total of 0): the very thing
      // the catalog refusal guards against.
      if (!raw.files.length) {
        throw new ConfigError(
          `${path} is ${problem}, and ${join(home, 'lake', 'raw')} holds no raw file to rebuild it from: restore catalog.db from a backup; nothing was changed`,
        );
      }
      const aside = moveCatalogAside(path);
      if (aside) process.stderr.write(`puddle catalog: the ${problem} catalog was moved aside to ${aside} (not deleted)\n`);
      const rebuilt = new SqliteCatalog(path, { rebuilding: true });
      try {
        const result = await rebuildFromRaw(store, rebuilt, raw);
        process.stdout.write(`${JSON.stringify({ catalog: problem, movedAside: aside, ...result })}\n`);
        return 0;
      } finally {
        rebuilt.close();
      }
    } finally {
      lock.release();
    }
  },
});

/**
 * `puddle catalog verify`: read only, safe beside a running hub. Exit 0 when every check holds, 1 naming each file
 * that fails one: the lake's files against the catalog, and (since 2026-12-07) the home's databases read whole by
 * SQLite, which a damaged catalog.db page or a cut-short queue.db passed before (a disaster-recovery drill).
 */
async function verify(): Promise<number> {
  // It writes nothing, home-format.json included: run on a backup, it must leave it as it was.
  const home = existingHome({ writes: false });
  const { checkHome, writeHomeProblems } = await import('../home-check.js');
  const check = await checkHome(home);
  writeHomeProblems('catalog', check);
  process.stdout.write(`${JSON.stringify({ ...check.lake, databases: check.databases })}\n`);
  return check.lake.problems.length || check.databases.length ? 1 : 0;
}
