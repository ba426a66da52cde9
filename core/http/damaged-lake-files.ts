// The lake files that reads found missing or damaged, said in the log once each: when a read first meets one, and
// when a read that failed on it answers again. Until 2026-12-03 every failing read said it, and a damaged file
// put two `a lake file is missing or damaged` lines a dashboard into the log every 3 s (the status's lake part
// and the journey or breaks), the same words over and over, until someone ran the replay.
import type { LakeFileError } from '../errors.js';
import { log } from '../log.js';

interface Damaged {
  /** When a read first met it (ISO time). */
  since: string;
  /** The reads that failed on it since (a route, a status part): one of them answering means it reads again. */
  readers: Set<string>;
  /** How many reads failed on it, the first included. */
  failedReads: number;
}

export class DamagedLakeFiles {
  readonly #files = new Map<string, Damaged>();

  /** Whether any file is damaged as far as the reads know. */
  get any(): boolean {
    return this.#files.size > 0;
  }

  /**
   * `reader` (a route, say `GET /v1/ops/breaks`) failed on `err`'s file: logged at error the first time a read
   * meets it, with `fields` (the request id...), then only counted.
   */
  failed(reader: string, err: LakeFileError, fields: Record<string, unknown> = {}): void {
    const known = this.#files.get(err.key);
    if (known) {
      known.readers.add(reader);
      known.failedReads++;
      return;
    }
    this.#files.set(err.key, { since: new Date().toISOString(), readers: new Set([reader]), failedReads: 1 });
    log.error('a lake file is missing or damaged', { file: err.key, ...fields });
  }

  /**
   * `reader` answered: every file it had failed on reads again (re-derived by a replay, restored, or left out of
   * the catalog), and each is said once, at warn as its failure was at error, so a log read at warn shows both.
   */
  read(reader: string): void {
    if (this.#files.size === 0) return;
    for (const [file, d] of this.#files) {
      if (!d.readers.has(reader)) continue;
      this.#files.delete(file);
      log.warn('a lake file is mended: the reads that failed on it answer again', { file, failed_reads: d.failedReads, since: d.since });
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's damaged lake files, said once each (buildServer); absent on a bare Fastify app. */
    damagedLakeFiles?: DamagedLakeFiles;
  }
}
