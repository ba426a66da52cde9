// Writing a large output to standard output a piece at a time (`puddle query --format json|csv`, `puddle report`):
// waiting while a slow reader (a pipe) has not taken the last piece, and stopping quietly when the reader went
// away (`puddle query ... | head -1`: EPIPE), as main.ts's handler does for single writes.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Row } from '../../core/ports.js';
import { formatRows, type Format } from './format.js';

const readerGone = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE' || process.stdout.destroyed;

/** Writes `text`; resolves true once stdout took it, false when the reader closed stdout (stop writing then). */
export function writeOut(text: string): Promise<boolean> {
  const out = process.stdout;
  if (out.destroyed) return Promise.resolve(false);
  if (!text || out.write(text)) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const done = (ok: boolean, err?: Error) => {
      out.off('drain', drained).off('error', failed).off('close', closed);
      if (err && !readerGone(err)) reject(err);
      else resolve(ok);
    };
    const drained = () => done(true);
    const failed = (err: Error) => done(false, err);
    const closed = () => done(false);
    out.once('drain', drained).once('error', failed).once('close', closed);
  });
}

/** Pipes a file to stdout, never reading it whole; a reader that went away ends it quietly. */
export async function fileToStdout(file: string): Promise<void> {
  if (process.stdout.destroyed) return;
  try {
    await pipeline(createReadStream(file), process.stdout, { end: false });
  } catch (err) {
    if (!readerGone(err)) throw err;
  }
}

/**
 * formatRows for standard output, laid out for the terminal's width when it is one (a table wider than it, a block a
 * row); into a pipe, the table as formatRows gives it. A file (`--out`) takes formatRows itself.
 */
export function rowsForStdout(rows: Row[], format: Format, columns?: readonly string[]): string {
  return formatRows(rows, format, columns, { width: stdoutWidth() });
}

/**
 * The terminal's width when standard output is one, else undefined. A pseudo-terminal whose size was never set says 0
 * columns (`script` logging a job, an `expect` harness): unknown too.
 */
function stdoutWidth(): number | undefined {
  const columns = process.stdout.columns;
  return process.stdout.isTTY && columns > 0 ? columns : undefined;
}
