import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../core/envelope.js';
import { buildServer } from '../core/http/server.js';
import type { Queue } from '../core/ports.js';

// The producer examples of docs/producer-api.md, as an integrator copies them: if an edit breaks one, this fails.
const KEY = 'readme-example-key-0123456789';
const section = readFileSync(join(import.meta.dirname, '..', 'docs', 'producer-api.md'), 'utf8');
const block = (lang: string) => {
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!m) throw new Error(`no \`\`\`${lang} block in docs/producer-api.md`);
  return m[1]!;
};

describe('the producer examples of docs/producer-api.md, as written', () => {
  const published: Envelope[] = [];
  const queue = { subscribe: async () => {}, publish: async (envs: Envelope[]) => void published.push(...envs) } as unknown as Queue;
  const app = buildServer({ queue, apiKeys: [KEY] });
  let url: string;
  beforeAll(async () => {
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('the HTTP example: its headers and body are a 202', async () => {
    const [head, body] = block('http').split('\n\n') as [string, string];
    const [requestLine, ...headerLines] = head.split('\n');
    expect(requestLine).toBe('POST /v1/events');
    const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim().replace('<one of PUDDLE_API_KEYS>', KEY)]));
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers, body });
    expect(res.status, await res.clone().text()).toBe(202);
    expect(published.pop()).toMatchObject({ contract: 'donation', key: 'don_123' });
  });

  it('the curl example: its body with its headers is a 202, and without the Content-Type (curl -d alone) the 415 the docs warn of', async () => {
    const sh = block('sh');
    const body = /-d '([\s\S]*?)'\n/.exec(sh)?.[1];
    expect(body).toBeDefined();
    expect(sh).toContain(`-H "Authorization: Bearer $KEY" -H 'Content-Type: application/json'`);
    const authorization = `Bearer ${KEY}`;
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body });
    expect(res.status, await res.clone().text()).toBe(202);
    expect(published.pop()).toMatchObject({ contract: 'donation', version: 2, payload: { channel: 'sms', sms_network: 'EE', amount_minor: 500 } });
    const form = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(form.status).toBe(415);
  });
});
