import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, redact, setLogFormat } from './log.js';

/** Every line written to stderr from now until the spy is restored. */
function stderrLines(): { lines: string[]; spy: ReturnType<typeof vi.spyOn> } {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, spy };
}

/** What one log call writes to stderr, parsed. */
function written(call: () => void): Record<string, unknown> {
  const { lines, spy } = stderrLines();
  try {
    call();
  } finally {
    spy.mockRestore();
  }
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('log fields are scrubbed at any depth', () => {
  afterEach(() => vi.restoreAllMocks());

  it('masks a secret-named field inside a nested object and inside arrays', () => {
    const line = written(() =>
      log.warn('x', { request: { method: 'POST', authorization: 'Bearer sk_live_abc' }, hops: [{ headers: { 'X-Api-Key': 'k123' } }] }),
    );
    const text = JSON.stringify(line);
    expect(text).not.toContain('sk_live_abc');
    expect(text).not.toContain('k123');
    expect(line.request).toEqual({ method: 'POST', authorization: '[redacted]' });
    expect(line.hops).toEqual([{ headers: { 'X-Api-Key': '[redacted]' } }]);
  });

  it("writes an error at any depth as its name, message and code, never the fields it carries (an HTTP client's config)", () => {
    const err = Object.assign(new TypeError('request failed'), {
      code: 'ECONNRESET',
      config: { url: 'https://api.example/v1', headers: { Authorization: 'Basic dXNlcjpwYXNz' } },
      raw: { payment_method: { billing_details: { name: 'Jo Bloggs', address: { line1: '1 High St' } } } },
    });
    const line = written(() => log.error('sync failed', { err, nested: { errors: [err] } }));
    expect(JSON.stringify(line)).not.toMatch(/dXNlcjpwYXNz|Jo Bloggs|High St/);
    expect(line.err).toBe('TypeError: request failed (ECONNRESET)');
    expect(line.nested).toEqual({ errors: ['TypeError: request failed (ECONNRESET)'] });
  });

  it('writes a plain error as its name and message, as before', () => {
    expect(written(() => log.info('x', { err: new RangeError('out') })).err).toBe('RangeError: out');
  });

  it('survives a cycle and bounds the depth instead of throwing or writing everything', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    let deep: Record<string, unknown> = { token: 'deepest-secret' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const line = written(() => log.warn('x', { a, deep }));
    expect(line.a).toEqual({ name: 'a', self: '[cycle]' });
    expect(JSON.stringify(line)).not.toContain('deepest-secret');
    expect(JSON.stringify(line)).toContain('[too deep]');
  });

  it('does not copy fields that hold nothing to mask', () => {
    const payload = { rows: [{ id: 1 }, { id: 2 }], meta: { at: new Date(0) } };
    const fields = { payload };
    expect(redact(fields)).toBe(fields);
    const withSecret = { payload, auth: { password: 'p' } };
    const out = redact(withSecret);
    expect(out.payload).toBe(payload);
    expect(out.auth).toEqual({ password: '[redacted]' });
    expect(withSecret.auth.password).toBe('p');
  });
});

describe('PUDDLE_LOG_FORMAT=text: a line a person reads', () => {
  afterEach(() => {
    setLogFormat('json');
    vi.restoreAllMocks();
  });

  it('writes the time of day, the level, the message and name=value fields, masked as the JSON line is', () => {
    const { lines } = stderrLines();
    setLogFormat('text');
    log.info('sync run finished', { connector: 'stripe', records: 253, ok: true, note: 'two words', request: { authorization: 'Bearer sk_live_abc' }, error: new TypeError('fetch failed') });
    log.debug('not at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{2}:\d{2}:\d{2} info {2}sync run finished {2}connector=stripe records=253 ok=true note="two words" request=\{"authorization":"\[redacted\]"\} error="TypeError: fetch failed"\n$/);
    expect(lines[0]).not.toContain('sk_live_abc');
  });

  it('escapes control characters (a terminal escape in a file name) in values and messages; JSON lines keep their own t, level and msg', () => {
    const { lines } = stderrLines();
    setLogFormat('text');
    log.warn('bank file not imported', { file: 'x\u001b[2K\u001b[1A.csv', other: 'a\nb' });
    log.warn('odd\u001b[31m message', { c1: 'x\u009b2J' });
    expect(lines.join('')).not.toContain('\u001b');
    expect(lines[0]).toContain('file="x\\u001b[2K\\u001b[1A.csv" other="a\\nb"');
    expect(lines[1]).toContain('odd\\u001b[31m message  c1="x\\u009b2J"');
    expect(lines.join('')).not.toContain('\u009b');
    setLogFormat('json');
    log.warn('real', { level: 'error', msg: 'forged', t: 'then' });
    expect(JSON.parse(lines[2]!)).toMatchObject({ level: 'warn', msg: 'real', 'field.level': 'error', 'field.msg': 'forged', 'field.t': 'then' });
  });
});
