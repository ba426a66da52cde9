import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `value` as one line of JSON to `path`, renamed into place from a file of this process's own: a reader
 * never sees half of it (the hub lock's holder, the home's format, an erasure's pending salt). `durable`: the file
 * and its directory are fsynced before this returns, so a crash after it cannot lose the file (erasure-pending.ts).
 * `mode`: the new file's permissions (0o600 for a secret).
 */
export function replaceJsonFile(path: string, value: unknown, opts: { durable?: boolean; mode?: number } = {}): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', opts.mode ?? 0o666);
  try {
    writeSync(fd, `${JSON.stringify(value)}\n`);
    if (opts.durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (opts.durable) syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
