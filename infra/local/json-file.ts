import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes `value` as one line of JSON to `path`, renamed into place from a file of this process's own: a reader
 * never sees half of it (the hub lock's holder, the home's format).
 */
export function replaceJsonFile(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  renameSync(tmp, path);
}
