import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../core/errors.js';
import { catalogOpenError } from './catalog-file.js';

// The one line a catalog SQLite cannot open becomes: the real causes (missing, damaged, a directory in its place)
// run through the CLI in test/catalog-lost.test.ts; a lock held past busy_timeout takes seconds to cause for real,
// so its error is given here as better-sqlite3 raises it (a SqliteError with code SQLITE_BUSY).
describe('catalogOpenError', () => {
  const path = '/home/puddle/catalog.db';

  it('says a busy catalog is busy and to try again, not to check permissions', () => {
    const err = catalogOpenError(path, Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `${path} is busy (SQLITE_BUSY): another process (a hub or a puddle command on this home) held it longer than SQLite waits; try again once it has finished; nothing was changed`,
    );
  });

  it('names the code and what to check for any other cause, and passes an error without a code on as it is', () => {
    expect((catalogOpenError(path, Object.assign(new Error('unable to open'), { code: 'SQLITE_CANTOPEN' })) as Error).message).toMatch(/cannot be opened \(SQLITE_CANTOPEN\): check that it is a file/);
    const plain = new Error('something else');
    expect(catalogOpenError(path, plain)).toBe(plain);
  });
});
