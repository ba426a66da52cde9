// Why something failed, in words safe to keep and show anywhere: a dead letter's reason (queue.db, an SQS
// attribute), the dead_letter ops event, a log line. An error's own message is not: DuckDB's quotes the value it
// could not convert ("Could not convert string 'jane@example.org' to INT32"), and a mapping's names the record's
// amount or id. So a reason is made only of parts that cannot hold a record's value, as the quarantine's are:
//  - the error's kind, and its causes' kinds: a class name (RecordError, TypeError), DuckDB's error type
//    (Conversion Error), a system or SQLite code (ENOSPC, SQLITE_FULL);
//  - a record error's reasons, as the quarantine keeps them: a field's path and the rule it broke, never the
//    value (core/contracts/validate.ts);
//  - where things are written failing (failureReason: disk_full, not_writable).
// The rest of the message is left out, and the reason says so.
import { fieldReason, type FieldError } from './contracts/validate.js';
import { failureReason, type FailureReason } from './repeated-failure.js';

/** What a reason says in place of a message it cannot keep. */
const MESSAGE_LEFT_OUT = 'message left out (it can quote the record)';

/** A class name as JavaScript writes one: a name set to anything else is not shown. */
const CLASS_NAME_TEXT = String.raw`[A-Za-z_$][\w$]{0,63}`;
const CLASS_NAME = new RegExp(`^${CLASS_NAME_TEXT}$`);
/** A system or SQLite error code (ENOSPC, SQLITE_FULL). */
const CODE_TEXT = String.raw`[A-Z][A-Z0-9_]{1,63}`;
const CODE = new RegExp(`^${CODE_TEXT}$`);
/** DuckDB names its error's type first: "Conversion Error: ...", "Invalid Input Error: ...", "Out of Memory Error: ...". */
const DUCKDB_TYPE_TEXT = String.raw`[A-Z][A-Za-z]*(?: [A-Za-z]+){0,3} Error`;
const DUCKDB_TYPE = new RegExp(`^(${DUCKDB_TYPE_TEXT}): `);
/** How far down the `cause` chain a reason looks (as failureReason does). */
const DEPTH = 5;

/** `err`'s kind and what failed, never a value from the record it was working on. */
export function errorReason(err: unknown): string {
  const kinds: string[] = [];
  let fields: string | undefined;
  let e = err;
  for (let depth = 0; e !== null && e !== undefined && depth < DEPTH; depth++) {
    const kind = kindOf(e);
    if (!kinds.includes(kind)) kinds.push(kind);
    fields ??= fieldReasons(e);
    e = (e as { cause?: unknown }).cause;
  }
  const failure = failureReason(err);
  const what = fields ?? (failure === 'failed' ? MESSAGE_LEFT_OUT : failure);
  const [kind = 'unknown', ...causes] = kinds;
  return `${kind}${causes.length ? ` (caused by ${causes.join(', ')})` : ''}: ${what}`;
}

function kindOf(e: unknown): string {
  if (!(e instanceof Error)) return `thrown ${typeof e}`;
  const name = CLASS_NAME.test(e.name) ? e.name : 'Error';
  // DuckDB throws a plain Error whose message starts with its type.
  const type = name === 'Error' ? DUCKDB_TYPE.exec(e.message)?.[1] : undefined;
  const code = (e as { code?: unknown }).code;
  return `${type ?? name}${typeof code === 'string' && CODE.test(code) ? ` ${code}` : ''}`;
}

/** A record error's reasons (RecordError.reasons: a field's path and the rule it broke), as the quarantine shows them. */
function fieldReasons(e: unknown): string | undefined {
  const reasons = (e as { reasons?: unknown }).reasons;
  if (!Array.isArray(reasons) || reasons.length === 0) return undefined;
  const ok = reasons.every((r: Partial<FieldError> | null) => typeof r?.path === 'string' && typeof r.message === 'string');
  return ok ? (reasons as FieldError[]).map(fieldReason).join('; ') : undefined;
}

/** failureReason's words for where things are written failing, as a reason ends with them. */
const FAILURE_WORDS: readonly Exclude<FailureReason, 'failed'>[] = ['disk_full', 'not_writable'];
/** One kind as kindOf writes it: a class name or DuckDB's type (or a thrown non-Error), then perhaps a code. */
const KIND_TEXT = String.raw`(?:${DUCKDB_TYPE_TEXT}|${CLASS_NAME_TEXT}|thrown [a-z]+)(?: ${CODE_TEXT})?`;
/** A field's path and the rule it broke, as validate.ts and the mappings word them ("is ...", "must ..."), quoting nothing. */
const FIELD_RULES = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*: (?:is|must) [^'"`\n]*$/;
/** A reason's kinds as errorReason writes them, and the rest (what failed). */
const KINDS = new RegExp(`^${KIND_TEXT}(?: \\(caused by ${KIND_TEXT}(?:, ${KIND_TEXT})*\\))?: `);

/**
 * Whether `reason` has errorReason's form (a hub since 2026-12-02 wrote it), rather than an older hub's error name
 * and whole message. Its parts are all of a shape that holds no record's value beyond what errorReason itself lets
 * through: kinds as kindOf writes them, then the left-out note, a failure word, or field rules ("is ..."/"must ...",
 * no quotes). A message an older hub kept verbatim in exactly that shape would pass too: that is the one residue.
 */
export function isErrorReason(reason: string): boolean {
  const kinds = KINDS.exec(reason);
  if (!kinds) return false;
  const what = reason.slice(kinds[0].length);
  return what === MESSAGE_LEFT_OUT || (FAILURE_WORDS as readonly string[]).includes(what) || FIELD_RULES.test(what);
}
