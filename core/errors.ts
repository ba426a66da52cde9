// DESIGN.md rule 8: one base error with `cause`; three kinds that decide what happens next.
// Messages must never carry secrets, card data or personal data: say what failed, not the value.

export class PuddleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Worth trying again later: 429, 5xx, network. */
export class RetriableError extends PuddleError {
  /** The HTTP status when there was one (429 counts as rate limiting). */
  readonly status?: number;

  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options);
    this.status = options?.status;
  }
}

/**
 * The queue could not commit a publish (a full disk, a read-only file, an I/O error): nothing of it was kept.
 * Its own kind so that the hub can tell its health from it, apart from a publish refused for its content.
 */
export class QueueCommitError extends PuddleError {}

/** Will not get better by retrying: auth, config, other 4xx. Stops the stream, bookmark untouched. */
export class FatalError extends PuddleError {}

/** A setting (an environment variable, an option) is wrong: the process says which, in one line, and stops. */
export class ConfigError extends FatalError {}

/** The provider refused our credentials (401/403): every stream of the connector will fail the same way. */
export class AuthError extends FatalError {}

/** The provider says the object asked for by id does not exist (404): a re-read by id records it, a sync stops as on any 4xx. */
export class NotFoundError extends FatalError {}

/**
 * The page token a request carried is no longer valid at the provider (Stripe: the object `starting_after`
 * names was deleted since; Salesforce: a query locator expired or was released). Reading the window again
 * from its start, without the token, works, and records land idempotently: the engine does that, once per
 * window and run (run-stream.ts). Where no token was sent, or a stream pages itself (`read`), it is fatal.
 */
export class CursorGoneError extends FatalError {}

/** One record is bad (validation or mapping): it goes to quarantine and the run goes on. */
export class RecordError extends PuddleError {
  constructor(
    message: string,
    readonly reasons: { path: string; message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The provider will not answer for a window this large (Braintree refuses searches over its result
 * limit): the engine splits the window in two and reads both halves, so no window is ever skipped.
 */
export class WindowTooLargeError extends PuddleError {}

/**
 * The provider's API allowance for the day is used up to the share this connector may take (or the
 * provider refused: its daily cap). Not an error: the run stops at its last checkpoint with outcome
 * `quota`, and the next run resumes. Never retried (the allowance comes back over hours, not seconds).
 */
export class QuotaReachedError extends PuddleError {}

/**
 * A file the catalog lists is missing from the lake or cannot be read as Parquet (cut short, overwritten).
 * Its message names the file by its lake key (never a machine path or the SQL that read it) and says what
 * to do; HTTP answers it with 503 (core/http/errors.ts): the data is there to re-derive, the file is not.
 */
export class LakeFileError extends PuddleError {
  constructor(
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A port used after it was closed: the hub is stopping (a request that came in while it drains). HTTP answers it
 * with 503 and Retry-After (core/http/errors.ts), not a 500 logged as a failure.
 */
export class ClosedError extends PuddleError {}

/** SQL given to read (`puddle query`) that would write or change something, or holds several statements (infra/local/read-only-sql.ts). */
export class WriteRefusedError extends PuddleError {}
