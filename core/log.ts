// Structured one-line logs on stderr. Fields named like secrets are masked, whatever calls us.

/** The levels PUDDLE_LOG_LEVEL takes, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LOG_LEVELS)[number];
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET = /(key|secret|token|password|authorization|signature|card|email|phone|cvc|pan)/i;

/** Whether a field or setting is named like a secret (or personal data): its value is never shown. */
export function isSecretName(name: string): boolean {
  return SECRET.test(name);
}

// PUDDLE_LOG_LEVEL as set when it is a level (this module reads no other setting, so as not to import the settings
// reader, which imports it). A level that is not one stops the CLI at its start, exit 2, and fails an AWS function's
// invocation, through the one settings reader (core/log-settings.ts): until 2026-12-02 PUDDLE_LOG_LEVEL=verbose fell
// back to info without a word.
const fromEnv = process.env.PUDDLE_LOG_LEVEL;
let threshold: number = ORDER[(LOG_LEVELS as readonly string[]).includes(fromEnv ?? '') ? (fromEnv as Level) : 'info'];

export function setLogLevel(level: Level): void {
  threshold = ORDER[level];
}

// What a log call's fields become before they are written: every value under a name like a secret is masked, at
// any depth (`{ request: { authorization } }`, an HTTP client's error carrying `config.headers.Authorization`).
// Copy on write: a value with nothing to mask is the caller's own object, not a copy (a large payload is walked,
// as JSON.stringify walks it anyway, but not duplicated).

const REDACTED = '[redacted]';
/** How deep a field is walked; what lies deeper is not written at all (it could hold anything). */
export const LOG_MAX_DEPTH = 8;
const TOO_DEEP = '[too deep]';
const CYCLE = '[cycle]';

/** The fields with secret-named values masked at any depth; `fields` itself when there is nothing to mask. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  return scrubObject(fields, 0, new Set()) as Record<string, unknown>;
}

function scrub(v: unknown, depth: number, path: Set<object>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (path.has(v)) return CYCLE;
  if (depth >= LOG_MAX_DEPTH) return TOO_DEEP;
  if (v instanceof Error) return scrubError(v);
  // A Date, a URL, a Buffer writes itself (toJSON): no field names of ours inside.
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  return scrubObject(v, depth, path);
}

/** An array or object, copied only when something inside it changed. */
function scrubObject(v: object, depth: number, path: Set<object>): unknown {
  path.add(v);
  let out: Record<string, unknown> | unknown[] | null = null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const s = scrub(v[i], depth + 1, path);
      if (s !== v[i]) ((out ??= v.slice()) as unknown[])[i] = s;
    }
  } else {
    const entries = Object.entries(v);
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      const s = isSecretName(k) ? REDACTED : scrub(x, depth + 1, path);
      if (s !== x) ((out ??= Object.fromEntries(entries)) as Record<string, unknown>)[k] = s;
    }
  }
  path.delete(v);
  return out ?? v;
}

/**
 * An Error, at any depth, as `Name: message` (JSON.stringify would write its own fields, or `{}`), with its code
 * when it has one (`TypeError: fetch failed (ECONNRESET)`). Never its other fields: an SDK's error carries the
 * request it made and the answer it got (Stripe's `raw` can hold a payment method's billing details, an HTTP
 * client's `config` its headers), personal data that names like secrets would not all catch.
 */
function scrubError(e: Error): string {
  const code = (e as { code?: unknown }).code;
  const shown = typeof code === 'string' || typeof code === 'number' ? ` (${code})` : '';
  return `${e.name}: ${e.message}${shown}`;
}

/** How a line is written: `json` (one object a line, for a service's log and its tools), `text` (for a person at a terminal). */
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
// The CLI's choice (setLogFormat) also goes into the environment, so the worker threads it starts afterwards (the
// landing threads, which import this module afresh) write as the main thread does.
let format: LogFormat = process.env.PUDDLE_LOG_FORMAT === 'text' ? 'text' : 'json';

/** PUDDLE_LOG_FORMAT, read by the CLI (`text` by default when stderr is a terminal, `json` otherwise) and the AWS functions (`json`): core/log-settings.ts. */
export function setLogFormat(f: LogFormat): void {
  format = f;
  process.env.PUDDLE_LOG_FORMAT = f;
}

/**
 * A value in a text line: bare when it is one word of printable ASCII, else as JSON (quoted, control characters
 * escaped), so a line splits on spaces and a value cannot move the terminal's cursor, clear a line or forge one (a
 * bank file named with an escape sequence erased earlier lines: a security review, 2026-12-07).
 */
const textValue = (v: unknown) => (typeof v === 'string' && /^[!#-<>-~]+$/.test(v) ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : asJson(v));
/** JSON, with DEL and the C1 controls escaped too (JSON escapes only those below a space; some terminals act on \u009b). */
const asJson = (v: unknown) => String(JSON.stringify(v)).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** The message as it is, unless it holds a control character: then escaped as JSON escapes them. */
const PRINTABLE = /^[ -~\u00a0-\uffff]*$/;
const textMessage = (msg: string) => (PRINTABLE.test(msg) ? msg : asJson(msg).slice(1, -1));

/**
 * One line as a person reads it: the time of day, the level, the message, then `name=value` for each field, masked as
 * the JSON line is. A newcomer's user test (2026-12-07) found 41 JSON lines in a terminal's first 10 s, burying the
 * hub's addresses and warnings.
 */
function textLine(t: string, level: Level, msg: string, fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${textValue(v)}`);
  return `${t.slice(11, 19)} ${level.padEnd(5)} ${textMessage(msg)}${parts.length ? `  ${parts.join(' ')}` : ''}`;
}

/** The JSON line: its own `t`, `level` and `msg` first; a field of the same name is kept as `field.<name>`, never over them. */
function jsonLine(t: string, level: Level, msg: string, fields: Record<string, unknown>): Record<string, unknown> {
  const line: Record<string, unknown> = { t, level, msg };
  for (const [k, v] of Object.entries(fields)) line[k === 't' || k === 'level' || k === 'msg' ? `field.${k}` : k] = v;
  return line;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  const t = new Date().toISOString();
  const shown = fields ? redact(fields) : {};
  process.stderr.write(format === 'text' ? `${textLine(t, level, msg, shown)}\n` : `${JSON.stringify(jsonLine(t, level, msg, shown))}\n`);
}

export const log = {
  /** Whether lines at `level` are written (to skip work done only for them). */
  enabled: (level: Level) => ORDER[level] >= threshold,
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
