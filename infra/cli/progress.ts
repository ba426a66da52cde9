import type { RunMetrics } from '../../core/engine/sync-run.js';

interface Out {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const BAR = 24;

/**
 * `puddle sync`'s progress. On a terminal, a bar per stream, redrawn in place (streams of a connector run
 * side by side); otherwise a plain line per stream every few seconds, for logs.
 */
export function progressPrinter(out: Out, now: () => number = Date.now) {
  const started = now();
  const lines = new Map<string, string>();
  const lastLogged = new Map<string, number>();
  let drawn = 0;
  const countersOf = (m: RunMetrics, t: number) => {
    const secs = (t - started) / 1000;
    const rate = secs > 0 ? (m.requests / secs).toFixed(1) : '0.0';
    return `records ${m.records}  pages ${m.pages}  ${rate} req/s  retries ${m.retries}  429s ${m.rateLimited}`;
  };
  const printer = {
    update(stream: string, m: RunMetrics, done: number | null): void {
      const t = now();
      const counters = countersOf(m, t);
      if (!out.isTTY) {
        if (t - (lastLogged.get(stream) ?? -Infinity) < 5000) return;
        lastLogged.set(stream, t);
        out.write(`${stream}: ${counters}\n`);
        return;
      }
      const filled = done === null ? 0 : Math.round(Math.min(1, Math.max(0, done)) * BAR);
      const bar = done === null ? ' '.repeat(BAR) : '#'.repeat(filled) + '-'.repeat(BAR - filled);
      lines.set(stream, `${stream.padEnd(18)} [${bar}] ${counters}`);
      // Back to the first line drawn, then every line again, each cleared to its end (a shorter line
      // must not leave the tail of a longer one) and cut to the terminal's width (a wrapped line would
      // throw the count of lines to go back up).
      const width = Math.max(20, (out.columns || 120) - 1); // a pty with no size says 0
      let text = drawn > 1 ? `\x1b[${drawn - 1}A\r` : '\r';
      text += [...lines.values()].map((l) => `${l.slice(0, width)}\x1b[K`).join('\n');
      drawn = lines.size;
      out.write(text);
    },
    /**
     * A stream's run ended: its final counts. In a log the updates are a few seconds apart, so the last one
     * written can be from the stream's first page (records 0 where the table then says 193).
     */
    end(stream: string, m: RunMetrics & { outcome: string }): void {
      if (!out.isTTY) {
        out.write(`${stream}: ${m.outcome}  ${countersOf(m, now())}\n`);
        return;
      }
      if (lines.has(stream)) printer.update(stream, m, m.outcome === 'succeeded' ? 1 : null);
    },
    /** After the last update: leave the bars and start a fresh line. */
    done(): void {
      if (out.isTTY && drawn > 0) out.write('\n');
    },
  };
  return printer;
}
