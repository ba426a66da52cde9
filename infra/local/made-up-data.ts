// Which made-up donations a home has taken in: the sandboxes' (their providers and the pretend website) and the
// demo's. They land in the lake like real ones and count in the live totals, on the TV and in every report for
// good, so a hub started for the real thing on a home someone tried Puddle in would put them on air. A newcomer's
// user test (2026-12-07) did exactly that: a restart with PUDDLE_SANDBOXES=off showed £17,710 of pretend gifts with no
// word. `puddle start` says so when no sandbox runs now (when one does, its own warning says it).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SANDBOX_WORLD_FILE } from '../../connectors/sandbox-world.js';

/** In PUDDLE_HOME: when each kind of made-up data first came (`puddle backup` copies it). */
export const MADE_UP_DATA_FILE = 'made-up-data.json';

type MadeUpKind = 'sandboxes' | 'demo';

type Saved = Partial<Record<MadeUpKind, string>>;

function read(path: string): Saved {
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return saved !== null && typeof saved === 'object' ? (saved as Saved) : {};
  } catch {
    // Missing or unreadable: nothing noted (a note, not the data; the next run writes it again).
    return {};
  }
}

/** Notes that `kind` sends made-up donations into the home (the first time only). */
export function noteMadeUpData(home: string, kind: MadeUpKind, now: Date): void {
  const path = join(home, MADE_UP_DATA_FILE);
  const saved = read(path);
  if (saved[kind]) return;
  mkdirSync(home, { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ ...saved, [kind]: now.toISOString() })}\n`);
  renameSync(`${path}.tmp`, path);
}

/**
 * The made-up data the home holds, each with when it first came: the note, and for a home the sandboxes ran on
 * before the note existed, their world's file (its first start).
 */
function madeUpDataIn(home: string): { kind: MadeUpKind; since: string }[] {
  const saved = read(join(home, MADE_UP_DATA_FILE));
  if (!saved.sandboxes) {
    const world = read(join(home, SANDBOX_WORLD_FILE)) as { as_of?: string };
    if (typeof world.as_of === 'string') saved.sandboxes = world.as_of;
  }
  return (['sandboxes', 'demo'] as const).flatMap((kind) => (typeof saved[kind] === 'string' ? [{ kind, since: saved[kind] }] : []));
}

/** What `puddle start` prints on stderr when the home holds made-up donations and no sandbox runs now; null when none. */
export function madeUpDataWarning(home: string): string | null {
  const held = madeUpDataIn(home);
  if (!held.length) return null;
  const what = held.map((h) => `the ${h.kind === 'demo' ? "demo's" : "sandboxes'"} since ${h.since.slice(0, 10)}`).join(', ');
  return `warning: this home holds made-up donations (${what}): they count in the live totals, on the TV and in the lake for good. For the real thing start on a new, empty PUDDLE_HOME\n`;
}
