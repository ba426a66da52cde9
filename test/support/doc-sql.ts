// The first SQL block of a docs page's section, as a reader copies it: tests run the queries the docs give.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The first ```sql block after `heading` (a whole heading line, `## Clicks and conversion`) in `docs/<page>`. */
export function docSql(page: string, heading: string): string {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', page), 'utf8');
  const at = doc.indexOf(`${heading}\n`);
  if (at < 0) throw new Error(`docs/${page} has no heading ${heading}`);
  const block = /```sql\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block) throw new Error(`docs/${page}: no sql block after ${heading}`);
  return block[1]!;
}
