// The subject access request of docs/configuration.md ("Personal data: where it lives, how long, and what a request needs"), run as
// written against a hub's lake: from an email address to every row and every raw arrival naming the person, and
// nobody else's.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvents, startHubProcess, type HubProcess } from './support/hub-process.js';
import { runPuddle } from './support/run-cli.js';

const KEY = 'sar-producer-key-00000001';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const at = '2026-11-27T20:05:00Z';

/** The section's `puddle query` SQL, in order. */
function readmeQueries(): string[] {
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  const start = doc.indexOf('\n## Personal data: where it lives, how long, and what a request needs');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```sh\nnpx puddle query "([\s\S]*?)"(?: \\\n[^\n]*)?\n```/g)].map((m) => m[1]!);
}

describe('the subject access request of docs/configuration.md', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-sar-'));
  const home = join(dir, 'home');
  let hub: HubProcess | undefined;

  beforeAll(async () => {
    hub = await startHubProcess({ PUDDLE_HOME: home, PUDDLE_API_KEYS: KEY, PUDDLE_RAW_LINGER_SECONDS: '0' });
    const jo = sha('jo@example.org');
    const events = [
      { contract: 'supporter', version: 1, payload: { supporter_id: 'crm-jo', occurred_at: at, source: 'crm', email_sha256: jo } },
      { contract: 'supporter', version: 1, payload: { supporter_id: 'cus_jo', occurred_at: at, source: 'stripe', email_sha256: jo } },
      { contract: 'donation', version: 1, payload: { donation_id: 'don-jo', occurred_at: at, channel: 'online', amount_minor: 500, currency: 'GBP', supporter_id: 'sup_from_the_producer' } },
      { contract: 'payment', version: 1, payload: { payment_id: 'pay-jo', donation_id: 'don-jo', provider: 'stripe', occurred_at: at, amount_minor: 500, currency: 'GBP', status: 'succeeded' } },
      // A charge no producer's donation names, found by its customer (the Stripe connector's supporter_id).
      { contract: 'payment', version: 1, payload: { payment_id: 'ch-jo', provider: 'stripe', occurred_at: at, amount_minor: 900, currency: 'GBP', status: 'succeeded', supporter_id: 'cus_jo' } },
      { contract: 'ticket', version: 2, payload: { ticket_id: 'tic-jo', occurred_at: at, requester_email_sha256: jo, status: 'open' } },
      { contract: 'supporter', version: 1, payload: { supporter_id: 'crm-al', occurred_at: at, source: 'crm', email_sha256: sha('al@example.org') } },
      { contract: 'donation', version: 1, payload: { donation_id: 'don-al', occurred_at: at, channel: 'online', amount_minor: 700, currency: 'GBP', supporter_id: 'crm-al' } },
    ];
    const res = await postEvents(hub.url, KEY, events);
    expect(res.status, await res.text()).toBe(202);
    for (;;) {
      const r = await runPuddle(['query', 'SELECT count(*) AS n FROM raw', '--format', 'json'], { PUDDLE_HOME: home });
      if (r.code === 0 && (JSON.parse(r.stdout) as { n: number }[])[0]!.n === events.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  });
  afterAll(async () => {
    if (hub) {
      hub.child.kill('SIGINT');
      await hub.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the person by email, then every row and raw arrival naming them, and no one else', async () => {
    const [ids, all] = readmeQueries();
    expect(ids).toContain("sha256(lower(trim('Jo@Example.org')))");
    const first = await runPuddle(['query', ids!, '--format', 'json'], { PUDDLE_HOME: home });
    expect(first.stderr).toBe('');
    expect((JSON.parse(first.stdout) as { source: string; supporter_id: string }[]).map((r) => r.supporter_id).sort()).toEqual(['crm-jo', 'cus_jo']);
    const second = await runPuddle(['query', all!, '--format', 'json'], { PUDDLE_HOME: home });
    expect(second.stderr).toBe('');
    const rows = JSON.parse(second.stdout) as { tbl: string; row: string }[];
    const found = rows.map((r) => `${r.tbl} ${String(r.row).match(/"(?:supporter_id|donation_id|payment_id|ticket_id|key)":"([^"]+)"/)?.[1]}`).sort();
    expect(found).toEqual([
      'donation don-jo', 'payment ch-jo', 'payment pay-jo', 'raw ch-jo', 'raw crm-jo', 'raw cus_jo', 'raw don-jo', 'raw tic-jo',
      'supporter crm-jo', 'supporter cus_jo', 'ticket tic-jo',
    ]);
    expect(second.stdout).not.toContain('-al');
  });
});
