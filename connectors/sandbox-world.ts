import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which world the sandboxes serve on one PUDDLE_HOME. Their appeal is seeded: the same seed gives the same
 * ids, so if the appeal moved with the clock at every start, a restart would serve the lake's ids again with
 * other times, and reconciliation would see breaks no provider made. So a home keeps the clock of its first
 * start, and every later start builds the same history as of that moment.
 *
 * The appeal is never moved forward, however old it gets: moving it needs new ids (another seed), and the
 * lake, its bookmarks and its bank files would then hold two appeals, the old one no provider knows any more.
 * A new user starts with a new home, whose first start is now: a recent appeal night, as before.
 */
export interface SandboxWorld {
  /** The home's first start: the sandboxes' history is built as of this moment. */
  asOf: Date;
  /** Which start of the home this is, from 1: live activity after the history draws fresh ids at each. */
  start: number;
}

/** In PUDDLE_HOME: the sandboxes' world (their first start, and how many starts). `puddle backup` copies it. */
export const SANDBOX_WORLD_FILE = 'sandboxes.json';

/** Reads the home's world (or fixes it, at the first start) and counts this start. */
export function sandboxWorld(home: string, now: Date): SandboxWorld {
  const path = join(home, SANDBOX_WORLD_FILE);
  let saved: { as_of: string; starts: number } | null = null;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as { as_of: string; starts: number };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path} cannot be read (${(err as Error).message}); the sandboxes need it to serve the same appeal as before`);
  }
  const asOf = saved ? new Date(saved.as_of) : now;
  if (Number.isNaN(asOf.getTime()) || (saved && !Number.isInteger(saved.starts))) throw new Error(`${path} is not a sandbox world (as_of, starts)`);
  const world = { asOf, start: (saved?.starts ?? 0) + 1 };
  mkdirSync(home, { recursive: true });
  // Written whole then renamed: a crash mid-write must not leave a file that loses the anchor.
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ as_of: asOf.toISOString(), starts: world.start })}\n`);
  renameSync(`${path}.tmp`, path);
  return world;
}
