// A fresh clone must test and run on its own (issue #8): no source, test, script or config file may reach
// for a path outside the repository, such as the team's wire reference that sits beside it on our machines.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP_DIRS = new Set(['node_modules', '.git', '.puddle', 'dist', 'cdk.out', 'fixtures']);
const CHECKED = /\.(ts|mts|mjs|js|cjs|json|sh)$|^run$/;

function projectFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...projectFiles(join(dir, e.name)));
    } else if (CHECKED.test(e.name) && e.name !== 'package-lock.json') {
      out.push(join(dir, e.name));
    }
  }
  return out;
}

/** Every quoted relative path in `text` that, resolved from `file`'s folder, lands outside the repository. */
function pathsOutside(file: string, text: string, root = ROOT): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/['"`]((?:\.\.\/)+[^'"`$\s]*)/g)) {
    const target = resolve(dirname(file), m[1]!);
    // `new URL('../x', import.meta.url)` and imports resolve from the file's folder; so does this check.
    if (target !== root && !target.startsWith(root + sep)) found.push(m[1]!);
  }
  for (const m of text.matchAll(/(?:\/work\/shared|\bshared\/wire\/fixtures)[^'"`\s]*/g)) found.push(m[0]);
  return found;
}

describe('the repository stands alone', () => {
  it('finds a path that leaves the repository, and none in the project', () => {
    // The check itself must catch what broke fresh clones before.
    const probe = join(ROOT, 'test', 'x.test.ts');
    // Built from parts, so this file itself holds no such path.
    const outside = ['..', '..', 'shared', 'wire', 'fixtures', 'stripe', ''].join('/');
    expect(pathsOutside(probe, `new URL('${outside}', import.meta.url)`)).toHaveLength(2);
    expect(pathsOutside(probe, "import { a } from '../core/a.js'")).toEqual([]);

    const offenders = projectFiles()
      .filter((f) => f !== fileURLToPath(import.meta.url))
      .flatMap((f) => pathsOutside(f, readFileSync(f, 'utf8')).map((p) => `${relative(ROOT, f)}: ${p}`));
    expect(offenders).toEqual([]);
  });
});
