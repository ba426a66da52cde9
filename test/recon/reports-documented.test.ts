// docs/reconciliation.md's "Reports and exports" names every `puddle report` with the view it reads and the column its
// --from/--to compare: until 2026-12-07 `regular` and `duplicates` were missing from it (a treasurer's user test).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { REPORTS } from '../../puddles/reports.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'reconciliation.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Reports and exports\n'), doc.indexOf('### Refunds and chargebacks in a month\n'));

describe("the docs' list of reports", () => {
  it.each(Object.entries(REPORTS))('names %s, its view and its date column', (name, def) => {
    expect(section).toContain(`| \`${name}\` | \`${def.view}\` | ${def.dateColumn === null ? 'none' : `\`${def.dateColumn}\``}`);
    expect(section).toMatch(new RegExp(`npx puddle report [a-z|-]*\\b${name}\\b`));
  });
});
