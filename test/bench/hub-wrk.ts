// The hub bench's load generator when wrk (C; Debian's `wrk` package) is installed: the 1 and 100 events a request
// loads, the bare server's and the hub's alike (test/bench/hub-load.lua). The issue's own measure used wrk; the
// bench began with autocannon, which spends about 30 µs of CPU a request on the two cores the servers share (wrk
// about 10-15), so at 1 event a request the generator took a third of the machine. The paced load stays on autocannon:
// wrk sends as fast as it is answered, with no rate. PUDDLE_BENCH_GENERATOR=autocannon keeps autocannon throughout.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childOutput } from './child-output.js';

const SCRIPT = fileURLToPath(new URL('./hub-load.lua', import.meta.url));

/** wrk's version line when wrk is on the PATH and not ruled out by PUDDLE_BENCH_GENERATOR, else null. */
export function wrkVersion(): string | null {
  if ((process.env.PUDDLE_BENCH_GENERATOR ?? '').toLowerCase() === 'autocannon') return null;
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error) return null;
  return (`${r.stdout}${r.stderr}`.split('\n')[0] ?? 'wrk').replace(/ Copyright.*/, '').trim();
}

export interface WrkResult {
  ok: number;
  failed: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** wrk's own CPU (user + system), µs, from the shell's `times`. */
  cpuUs: number;
}

/** One wrk run of `seconds` against `url` (one thread, `connections` connections); unique donation ids under `prefix`. */
export async function runWrk(url: string, key: string, eventsPerRequest: number, connections: number, seconds: number, prefix: string): Promise<WrkResult> {
  // `times` after wrk prints the children's CPU; wrk's own summary goes to stdout before its JSON line.
  const command = `wrk -t1 -c${connections} -d${seconds}s -s "$0" "$1" -- "$2" "$3" "$4"; code=$?; times; exit $code`;
  const { code, out, err } = await childOutput('bash', ['-c', command, SCRIPT, url, key, String(eventsPerRequest), prefix]);
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (code !== 0 || !line) throw new Error(`wrk exited ${code}: ${(err || out).slice(0, 500)}`);
  const r = JSON.parse(line) as Record<string, number>;
  // `times`: the shell's user and system time, then its children's (wrk's), as 0m1.234s.
  const children = out.trim().split('\n').at(-1)!.split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  });
  return {
    ok: r.requests! - r.status!,
    failed: r.status! + r.connect! + r.read! + r.write! + r.timeout!,
    seconds: r.durationUs! / 1e6,
    p50Ms: Math.round(r.p50Us! / 100) / 10,
    p99Ms: Math.round(r.p99Us! / 100) / 10,
    cpuUs: (children[0]! + children[1]!) * 1e6,
  };
}
