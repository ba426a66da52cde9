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
// reader, which imports it). A level that is not one stops the CLI at its start, exit 2, through the one settings
// reader (infra/cli/main.ts): until 2026-12-02 PUDDLE_LOG_LEVEL=verbose fell back to info without a word.
const fromEnv = process.env.PUDDLE_LOG_LEVEL;
let threshold: number = ORDER[(LOG_LEVELS as readonly string[]).includes(fromEnv ?? '') ? (fromEnv as Level) : 'info'];

export function setLogLevel(level: Level): void {
  threshold = ORDER[level];
}

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (isSecretName(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = `${v.name}: ${v.message}`;
    else out[k] = v;
  }
  return out;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  const line = { t: new Date().toISOString(), level, msg, ...(fields ? redact(fields) : {}) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
