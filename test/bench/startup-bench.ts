// Start-up: wall time of `puddle query "select 1"` (the compiled CLI, bin/puddle.mjs) over repeated runs,
// hyperfine-style (one warm-up, then mean ± sd, min, max), next to bare `node -e 0`, `puddle query --help`
// (the CLI and the query command loaded, nothing run) and the same query through tsx as bin/puddle.mjs ran
// it before the build step. Goal (issue 14): <= 300 ms.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/puddle.mjs', import.meta.url));
const MAIN_TS = pathToFileURL(fileURLToPath(new URL('../../infra/cli/main.ts', import.meta.url))).href;
// What bin/puddle.mjs did before: register tsx, import the TypeScript CLI.
const VIA_TSX = `import { register } from 'tsx/esm/api'; register(); const { main } = await import(${JSON.stringify(MAIN_TS)}); process.exitCode = await main(process.argv.slice(1));`;

function time(args: string[], env: NodeJS.ProcessEnv, runs: number): number[] {
  const once = () => {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 300)}`);
    return performance.now() - t;
  };
  once(); // warm-up: the build check, the OS file cache
  return Array.from({ length: runs }, once);
}

function stats(ms: number[]): string {
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ms.length - 1));
  return `${mean.toFixed(0).padStart(5)} ms ± ${sd.toFixed(0).padStart(3)}   min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}`;
}

export async function benchStartup(opts: { runs?: number } = {}): Promise<void> {
  const runs = opts.runs ?? 10;
  const home = mkdtempSync(join(tmpdir(), 'puddle-startup-bench-'));
  const env = { ...process.env, PUDDLE_HOME: home, PUDDLE_LOG_LEVEL: 'warn' };
  try {
    const cases: [string, string[]][] = [
      ['node -e 0 (the floor)', ['-e', '0']],
      ['puddle query --help', [BIN, 'query', '--help']],
      ['puddle query "select 1"', [BIN, 'query', 'select 1']],
      ['same through tsx (before the build step)', ['--input-type=module', '-e', VIA_TSX, 'query', 'select 1']],
    ];
    const results: Record<string, number[]> = {};
    for (const [name, args] of cases) {
      results[name] = time(args, env, name.includes('tsx') ? Math.min(runs, 5) : runs);
      console.log(`  ${name.padEnd(42)} ${stats(results[name]!)}`);
    }
    const q = results['puddle query "select 1"']!;
    const mean = q.reduce((a, b) => a + b, 0) / q.length;
    console.log(`goal (issue 14): puddle query "select 1" <= 300 ms: ${mean <= 300 ? 'met' : 'NOT met'} (${mean.toFixed(0)} ms; ${runs} runs after a warm-up; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}: on a shared machine the figures move with it)`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchStartup();
}
