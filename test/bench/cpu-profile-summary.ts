// Where a profiled process spent its time: reads the .cpuprofile files `node --cpu-prof` wrote (one per
// thread) and prints, per thread, the share of samples by file or package and the functions with the most
// self time. Run alone: `node --import tsx test/bench/cpu-profile-summary.ts <dir>`.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: a package, node's own modules, a project file, or V8's pseudo-frames. */
function place(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const project = /\/(core|connectors|puddles|infra|schedules|bin|test|dist)\/(.*)$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : basename(url);
}

export function summarise(profile: CpuProfile, top = 12): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    // The queue's writer thread asleep in Atomics.wait is sampled as running that function: it is idle.
    const where = functionName === 'wait' && url.endsWith('/sqlite-queue-ring.mjs') ? '(idle)' : place(url, functionName);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const fn = where === '(idle)' ? where : `${functionName || '(anonymous)'} ${url ? `${where}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const idle = byPlace.get('(idle)') ?? 0;
  const lines = [`  ${(total / 1e6).toFixed(1)} s sampled, busy ${(100 - (100 * idle) / total).toFixed(0)}%`];
  lines.push('  by file or package:');
  for (const [k, us] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${k}`);
  lines.push('  functions by self time:');
  for (const [k, us] of [...byFunction].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${k}`);
  return lines;
}

/** Every profile in `dir`, the main thread's (the largest) first. */
export function printProfiles(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const profiles = files.map((f) => ({ f, p: JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile }));
  profiles.sort((a, b) => b.p.samples.length - a.p.samples.length);
  for (const { f, p } of profiles) {
    console.log(`\ncpu profile ${f}:`);
    for (const l of summarise(p)) console.log(l);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printProfiles(process.argv[2] ?? '.');
}
