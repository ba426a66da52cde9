import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../core/engine/sync-run.js';
import { progressPrinter } from './progress.js';

const ESC = '\x1b';
const metrics = (records: number, requests: number): RunMetrics => ({ records, pages: requests, requests, retries: 0, rateLimited: 0, quarantined: 0 });

function terminal(isTTY: boolean, columns = 200) {
  const written: string[] = [];
  return { isTTY, columns, write: (t: string) => written.push(t), written };
}

describe('sync progress', () => {
  it('redraws one bar per stream in place on a terminal, each line cleared to its end', () => {
    const out = terminal(true);
    let t = 0;
    const p = progressPrinter(out, () => t);
    p.update('charges', metrics(100, 1), 0.1);
    t = 2000;
    p.update('refunds', metrics(5, 1), 0.5);
    t = 4000;
    p.update('charges', metrics(1000, 10), 1);
    p.done();
    expect(out.written[0]).toBe(`\r${'charges'.padEnd(18)} [##----------------------] records 100  pages 1  0.0 req/s  retries 0  429s 0\x1b[K`);
    // The second stream adds a line; the next update goes back up one line and draws both again.
    const [, second, third] = out.written.map((w) => w.replaceAll(ESC, '<esc>'));
    expect(second).toMatch(/^\rcharges .*<esc>\[K\nrefunds +\[#{12}-{12}\] records 5 /);
    expect(third).toMatch(/^<esc>\[1A\rcharges +\[#{24}\] records 1000 {2}pages 10 {2}2\.5 req\/s .*<esc>\[K\nrefunds .*<esc>\[K$/);
    expect(out.written[3]).toBe('\n');
  });

  it('cuts a line to the terminal width, so a wrap never breaks the redraw', () => {
    const out = terminal(true, 40);
    progressPrinter(out).update('a_stream_with_a_long_name', metrics(1, 1), null);
    expect(out.written[0]!.replace('\r', '').replace('\x1b[K', '')).toHaveLength(39);
  });

  it('writes plain lines, a few seconds apart per stream, when not on a terminal', () => {
    const out = terminal(false);
    let t = 0;
    const p = progressPrinter(out, () => t);
    p.update('charges', metrics(100, 1), 0.1);
    t = 1000;
    p.update('charges', metrics(200, 2), 0.2);
    p.update('refunds', metrics(1, 1), null);
    t = 6000;
    p.update('charges', metrics(900, 9), 0.9);
    p.done();
    expect(out.written).toEqual([
      'charges: records 100  pages 1  0.0 req/s  retries 0  429s 0\n',
      'refunds: records 1  pages 1  1.0 req/s  retries 0  429s 0\n',
      'charges: records 900  pages 9  1.5 req/s  retries 0  429s 0\n',
    ]);
  });

  it('writes each stream\'s final counts when it ends, when not on a terminal (updates are a few seconds apart)', () => {
    const out = terminal(false);
    let t = 0;
    const p = progressPrinter(out, () => t);
    p.update('charges', metrics(0, 1), 0);
    t = 2000;
    p.update('charges', metrics(193, 54), 1);
    p.end('charges', { ...metrics(193, 54), outcome: 'succeeded' });
    p.done();
    expect(out.written).toEqual([
      'charges: records 0  pages 1  0.0 req/s  retries 0  429s 0\n',
      'charges: succeeded  records 193  pages 54  27.0 req/s  retries 0  429s 0\n',
    ]);
  });

  it('redraws a stream\'s bar with its final counts when it ends, on a terminal', () => {
    const out = terminal(true);
    let t = 0;
    const p = progressPrinter(out, () => t);
    p.update('charges', metrics(0, 1), 0);
    t = 1000;
    p.end('charges', { ...metrics(193, 54), outcome: 'succeeded' });
    expect(out.written.at(-1)).toBe(`\r${'charges'.padEnd(18)} [${'#'.repeat(24)}] records 193  pages 54  54.0 req/s  retries 0  429s 0\x1b[K`);
  });
});
