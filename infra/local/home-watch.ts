import { statSync } from 'node:fs';
import { QueueCommitError } from '../../core/errors.js';
import { HOME_GONE } from '../../core/repeated-failure.js';

/**
 * Whether the queue's file is still the one the hub opened: a home deleted while the hub runs (a clean-up script
 * on `/tmp`, an `rm -rf` of the wrong folder, a disk unmounted under it) leaves the hub writing to files no path
 * names any more. SQLite goes on committing to them without an error, so every 202 the producer answered from
 * then on was for events that would be gone when the hub stopped. Seen on 2026-12-05: a hub whose home had been
 * removed kept answering 202 and only logged, per bank file and per partition, that files were missing.
 *
 * Checked every `everyMs` (one stat, off the requests' path): once the path is missing or names another file
 * (another inode), `gone()` says why, for good: the hub's queue refuses every publish with it (503 and
 * Retry-After, /healthz `accepting: false`, as for a queue that cannot commit), so what is sent meanwhile stays
 * with its sender. Events accepted in the second before it was noticed are lost with the home.
 */
export interface HomeWatch {
  gone(): QueueCommitError | null;
  stop(): void;
}

export function watchQueueFile(file: string, everyMs = 1_000): HomeWatch {
  const opened = statSync(file);
  let gone: QueueCommitError | null = null;
  const timer = setInterval(() => {
    let what: string;
    try {
      const now = statSync(file, { throwIfNoEntry: false });
      if (now && now.ino === opened.ino && now.dev === opened.dev) return;
      what = now ? 'another file now' : 'gone';
    } catch (err) {
      // Not thrown from a timer (that would end the process): a path that cannot even be looked at (ENOTDIR: the
      // home is a file now; EACCES, EIO: a disk gone or its permissions taken) cannot be trusted to keep events.
      what = `not to be looked at (${(err as { code?: string }).code ?? 'error'})`;
    }
    gone = Object.assign(new QueueCommitError(`${file} is ${what}: the hub's home was removed or replaced while it ran, so nothing it accepts now would be kept; restart the hub on its home`), { code: HOME_GONE });
    clearInterval(timer);
  }, everyMs);
  timer.unref();
  return { gone: () => gone, stop: () => clearInterval(timer) };
}
