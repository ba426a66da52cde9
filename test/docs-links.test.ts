// Every relative link in README.md and docs/*.md points to a file that exists and, when it names an #anchor, to a
// heading of that file, by GitHub's anchor rules (lowercase, punctuation dropped, spaces to hyphens, a repeated
// heading's anchor -1, -2, ...). The docs refer to each other's sections by these links, so a heading renamed or
// moved without its links fails here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/** The text with fenced code blocks and inline code spans blanked out (same length, newlines kept). */
function withoutCode(text: string): string {
  let inFence = false;
  const lines = text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return ' '.repeat(line.length);
    }
    return inFence ? ' '.repeat(line.length) : line;
  });
  // An inline span opens with a run of backticks and closes at the next run of the same length in its paragraph.
  const s = lines.join('\n');
  let out = '';
  let i = 0;
  while (i < s.length) {
    const open = /`+/y;
    open.lastIndex = i;
    const run = s[i] === '`' ? open.exec(s)![0] : '';
    if (!run) {
      out += s[i++];
      continue;
    }
    const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    close.lastIndex = i + run.length;
    const end = close.exec(s);
    const paragraphEnd = s.indexOf('\n\n', i);
    if (!end || (paragraphEnd >= 0 && end.index > paragraphEnd)) {
      out += run;
      i += run.length;
      continue;
    }
    const stop = end.index + run.length;
    out += s.slice(i, stop).replace(/[^\n]/g, ' ');
    i = stop;
  }
  return out;
}

/** GitHub's anchor for a heading's text (github-slugger). */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown text's headings, a repeated one numbered as GitHub numbers it. */
function anchors(text: string): Set<string> {
  const seen = new Set<string>();
  const code = withoutCode(text).split('\n');
  text.split('\n').forEach((line, i) => {
    const m = /^#{1,6} (.*?)\s*#*\s*$/.exec(line);
    if (!m || code[i]!.trim() === '') return;
    const base = slug(m[1]!);
    let a = base;
    for (let n = 1; seen.has(a); n++) a = `${base}-${n}`;
    seen.add(a);
  });
  return seen;
}

/** The relative links of a markdown file that do not resolve: `file: target (why)`. */
function brokenLinks(file: string, read: (path: string) => string | undefined = readIfFile): string[] {
  const text = read(file)!;
  const broken: string[] = [];
  for (const m of withoutCode(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const to = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const line = text.slice(0, m.index).split('\n').length;
    const where = `${relative(ROOT, file)}:${line}: ${target}`;
    const body = read(to);
    if (body === undefined && !(path !== '' && existsSync(to))) {
      broken.push(`${where} (no such file)`);
      continue;
    }
    if (anchor === undefined) continue;
    if (body === undefined || !/\.md$/i.test(to)) {
      broken.push(`${where} (an anchor into a file that is not markdown)`);
      continue;
    }
    if (!anchors(body).has(decodeURIComponent(anchor))) broken.push(`${where} (no heading with that anchor in ${relative(ROOT, to)})`);
  }
  return broken;
}

function readIfFile(path: string): string | undefined {
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
}

const docs = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => join(ROOT, 'docs', f))];
/** The changelog links each entry to the section that describes the behaviour now: those links must hold too. */
const CHANGELOG = join(ROOT, 'CHANGELOG.md');

describe('links in the README and docs/', () => {
  it.each([...docs, CHANGELOG].map((f) => [relative(ROOT, f), f]))('%s: every relative link resolves', (_, file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('the README links every docs file from its Documentation section', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const index = readme.slice(readme.indexOf('\n## Documentation\n'), readme.indexOf('\n## ', readme.indexOf('\n## Documentation\n') + 1));
    for (const f of docs.slice(1)) expect(index).toContain(`](${relative(ROOT, f)})`);
  });

  it('GitHub anchors: punctuation dropped, spaces to hyphens, a repeated heading numbered', () => {
    expect(slug('Payment, refund, dispute and payout statuses')).toBe('payment-refund-dispute-and-payout-statuses');
    expect(slug('`puddle aws local`')).toBe('puddle-aws-local');
    expect(slug('GET /v1/totals/stream')).toBe('get-v1totalsstream');
    expect(slug("The raw trail's file list")).toBe('the-raw-trails-file-list');
    expect(slug('Matching rules, in precedence order (`recon_matches.rule`)')).toBe('matching-rules-in-precedence-order-recon_matchesrule');
    expect([...anchors('# A\n\n## B\n\n```sh\n# not a heading\n```\n\n## B\n\n### B\n')]).toEqual(['a', 'b', 'b-1', 'b-2']);
  });

  it('finds a link to a missing file, a missing heading, and one inside code it leaves alone', () => {
    const files: Record<string, string> = {
      [join(ROOT, 'x', 'a.md')]: '# A\n\nSee [B](b.md#two), [gone](c.md), [here](#a), [nope](#b) and `[code](c.md)`.\n\n```\n[fenced](c.md)\n```\n',
      [join(ROOT, 'x', 'b.md')]: '# B\n\n## One\n',
    };
    expect(brokenLinks(join(ROOT, 'x', 'a.md'), (p) => files[p])).toEqual([
      'x/a.md:3: b.md#two (no heading with that anchor in x/b.md)',
      'x/a.md:3: c.md (no such file)',
      'x/a.md:3: #b (no heading with that anchor in x/a.md)',
    ]);
  });
});
