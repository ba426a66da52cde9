// The salt of a confirmed erasure that has not completed (`puddle erase`, puddles/erasure-match.ts): an erasure's
// tokens are HMACs of the person's ids under it. A run killed between rewriting the queue and swapping the lake's
// files in left the queue's bodies under its tokens and the lake's files as they were; the next run, with a new
// salt, gave the lake other tokens, and the person's waiting gifts then landed under a second anonymous supporter.
// So the salt is written here before the run's first write and removed only once it has completed: a run again
// after a crash takes the same salt, and so the same tokens. Never printed or logged. While it exists the salt
// links each token back to the id it stands for, for whoever can read the home (as the lake itself did until the
// erasure): which is why it is removed, overwritten first, the moment the run completes.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';

import { ConfigError } from '../../core/errors.js';
import { emailSha256 } from '../../core/pii.js';
import { newErasureSalt, type ErasureRequest } from '../../puddles/erasure-match.js';
import { replaceJsonFile } from './json-file.js';

export const ERASURE_PENDING_FILE = 'erasure-pending.json';

interface PendingFile {
  started_at: string;
  ref: string;
  /** base64 */
  salt: string;
  /** HMAC of the request's values under the salt: a run again must be for the same person, and this holds nothing of them once the salt is gone. */
  request: string;
}

/** When and under which reference an unfinished erasure started; null when none is pending. */
export interface PendingErasure {
  started_at: string;
  ref: string;
}

function read(home: string): PendingFile | null {
  const file = join(home, ERASURE_PENDING_FILE);
  if (!existsSync(file)) return null;
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as PendingFile;
    if (typeof p.salt === 'string' && typeof p.request === 'string') return p;
  } catch {
    // Cut short by a crash while it was written: the rename below makes that impossible, but say so rather than guess.
  }
  throw new ConfigError(`${file} is not an erasure's pending file as this Puddle writes it: look at it, and remove it by hand if it is not one`);
}

/** The request as the same person's values, whatever their order, case of text and addresses, or repeats. */
function requestMac(salt: Buffer, req: ErasureRequest): string {
  const norm = (xs: readonly string[], f: (s: string) => string) => [...new Set(xs.map((x) => f(x.trim())).filter(Boolean))].sort();
  const canonical = JSON.stringify([norm(req.supporterIds, (s) => s), norm(req.emails, (e) => emailSha256(e) ?? e), norm(req.texts, (t) => t.toLowerCase())]);
  return createHmac('sha256', salt).update(canonical).digest('hex');
}

export function pendingErasure(home: string): PendingErasure | null {
  const p = read(home);
  return p && { started_at: p.started_at, ref: p.ref };
}

export interface ErasureSalt {
  salt: Buffer;
  /** An earlier run of this request did not complete: this one takes its salt. */
  resumed: PendingErasure | null;
  /** The run completed (or was refused before it wrote anything): the salt goes. */
  done(): void;
}

/**
 * The salt for a confirmed run of `req`: the pending one when an earlier run of the same request did not complete,
 * else a new one, written (this user only, synced) before this returns. A different request while one is pending
 * is refused: it would leave the earlier person under two tokens (or the lake holding them).
 */
export function erasureSalt(home: string, req: ErasureRequest, ref: string, at: Date): ErasureSalt {
  const file = join(home, ERASURE_PENDING_FILE);
  const pending = read(home);
  if (pending) {
    const salt = Buffer.from(pending.salt, 'base64');
    if (requestMac(salt, req) !== pending.request) {
      throw new ConfigError(
        `an erasure started at ${pending.started_at} (--ref ${pending.ref}) did not complete, and this one names someone else. Run that one again first, with the same values, so its person ends up under one token; nothing was changed. (If it is being given up, remove ${file}: a run of it later then gives the lake other tokens than its queued messages got)`,
      );
    }
    return { salt, resumed: { started_at: pending.started_at, ref: pending.ref }, done: () => remove(file) };
  }
  const salt = newErasureSalt();
  const body: PendingFile = { started_at: at.toISOString(), ref, salt: salt.toString('base64'), request: requestMac(salt, req) };
  replaceJsonFile(file, body, { durable: true, mode: 0o600 });
  return { salt, resumed: null, done: () => remove(file) };
}

function remove(file: string): void {
  if (!existsSync(file)) return;
  // Overwritten first, so the salt is not left in the freed blocks for an undelete to find.
  const size = readFileSync(file).byteLength;
  writeFileSync(file, Buffer.alloc(size));
  rmSync(file, { force: true });
}
