// A tiny schema language: one field list per contract gives the TypeScript type, the runtime
// validation, the Parquet/DuckDB columns and the Glue/Athena columns (DESIGN.md rule 2).
// Hand-written rather than zod because validation sits on the ingest hot path (100k events/s goal).

export type FieldKind = 'string' | 'int' | 'boolean' | 'timestamp' | 'date' | 'currency' | 'enum' | 'json';

export interface Field<T = unknown, O extends boolean = boolean> {
  readonly kind: FieldKind;
  readonly isOptional: O;
  readonly values?: readonly string[];
  /**
   * An `enum` taken in any case and with spaces around it: trimmed and lower-cased, then other spellings mapped by
   * `aliases`, before it is checked against `values`. What lands is always one of `values`.
   */
  readonly normalised?: boolean;
  readonly aliases?: Readonly<Record<string, string>>;
  readonly description?: string;
  /**
   * The contract's key (`<name>_id`, marked by defineContract): the record's name, by which versions supersede each
   * other, so it must hold more than spaces. Blank keys would all be one record, and one pledge would replace another.
   */
  readonly isKey?: boolean;
  /** The least value an `int` field takes (0 for money that is never negative); absent: any safe integer. */
  readonly min?: number;
  /** The most an `int` field takes, and why (said in the refusal); absent: any safe integer. */
  readonly max?: number;
  readonly maxWhy?: string;
  /**
   * A `string` a person writes freely (a campaign, a call to action, a reason, a description): the producer API
   * refuses one that holds a payment card number or an email address (core/contracts/free-text.ts), since it lands
   * in the lake, the totals, the TV and the feeds. Never an id: an id is the source's, whatever its digits.
   */
  readonly isFreeText?: boolean;
  /**
   * An id that stands for a person (a `supporter_id`): the producer API refuses an email address there
   * (core/contracts/free-text.ts), as the lake keeps a supporter's email only as its SHA-256. Its digits are not
   * looked into: an id is the source's, and a long numeric one passes the Luhn check one time in ten.
   */
  readonly isPersonRef?: boolean;
  /**
   * A web address (a click's `url`): the producer API refuses one whose text, once its %-escapes are read, holds an
   * email address (a prefilled form's query string). Its digits are not looked into: a path or a tracking id may be
   * a long number.
   */
  readonly isWebAddress?: boolean;
  /**
   * The form a `string` must have, and how a refusal says it (`a SHA-256 as 64 lower-case hex digits ...`): for a
   * value the lake must hold only in that form, and for one a supplier is handed (a postcode), where a form leaves no
   * room for a person's email address or card number. Until 2026-12-06 such fields took any text (a security review).
   */
  readonly shape?: { readonly pattern: RegExp; readonly says: string };
  /** Phantom: carries the TypeScript type of the field's value. */
  readonly __type?: T;
}

export type Builder<T, O extends boolean = false> = Field<T, O> & {
  optional(): Builder<T, true>;
  doc(text: string): Builder<T, O>;
  /** A ceiling for an `int`: a value above it is refused with `why` (a producer's 400, a connector's quarantine). */
  atMost(max: number, why: string): Builder<T, O>;
  /** Marks a `string` as free text (Field.isFreeText). */
  freeText(): Builder<T, O>;
  /** Marks a `string` as an id that stands for a person (Field.isPersonRef). */
  personRef(): Builder<T, O>;
  /** Marks a `string` as a web address (Field.isWebAddress). */
  webAddress(): Builder<T, O>;
  /** Marks a `string` as a SHA-256 of an email address in hex (Field.shape). */
  sha256(): Builder<T, O>;
  /** The form a `string` must have (Field.shape): `says` completes "must be ...". */
  shaped(pattern: RegExp, says: string): Builder<T, O>;
};

type Spec = Pick<Field, 'kind' | 'values' | 'description' | 'min' | 'max' | 'maxWhy' | 'normalised' | 'aliases' | 'isKey' | 'isFreeText' | 'isPersonRef' | 'isWebAddress' | 'shape'>;

/** The likeliest mistake is the address itself, which the lake must never hold. */
const SHA256 = { pattern: /^[0-9a-f]{64}$/, says: 'a SHA-256 as 64 lower-case hex digits (of the trimmed, lower-cased email address: never the address itself)' };

function field<T, O extends boolean = false>(spec: Spec, isOptional = false): Builder<T, O> {
  return {
    ...spec,
    isOptional: isOptional as O,
    optional: () => field<T, true>(spec, true),
    doc: (text: string) => field<T, O>({ ...spec, description: text }, isOptional),
    atMost: (max: number, why: string) => field<T, O>({ ...spec, max, maxWhy: why }, isOptional),
    freeText: () => field<T, O>({ ...spec, isFreeText: true }, isOptional),
    personRef: () => field<T, O>({ ...spec, isPersonRef: true }, isOptional),
    webAddress: () => field<T, O>({ ...spec, isWebAddress: true }, isOptional),
    sha256: () => field<T, O>({ ...spec, shape: SHA256 }, isOptional),
    shaped: (pattern: RegExp, says: string) => field<T, O>({ ...spec, shape: { pattern, says } }, isOptional),
  };
}

export const string = () => field<string>({ kind: 'string' });
/** Integer (minor units for money, signed: a bank line, a payout, a fee may be below zero). Stored as BIGINT. */
export const int = () => field<number>({ kind: 'int' });
/**
 * Integer that is never below zero: money that only flows one way (a donation, a payment, a refund's own
 * amount), whose opposite has its own contract or field, and every count or size (a statement's entries, a
 * pack of forms, a feed page's rows): minus three forms is no request, only a typo that would be printed or
 * summed. Validation refuses a negative value, so a producer gets a 400 naming the field and a connector's
 * record goes to quarantine. Stored as BIGINT, as `int`.
 */
export const nonNegativeInt = () => field<number>({ kind: 'int', min: 0 });
export const boolean = () => field<boolean>({ kind: 'boolean' });
/** UTC instant, ISO-8601 on the wire and in payloads (normalised to `...Z`), TIMESTAMP in Parquet. */
export const timestamp = () => field<string>({ kind: 'timestamp' });
/** Calendar date `YYYY-MM-DD`. */
export const date = () => field<string>({ kind: 'date' });
/** ISO 4217 alpha code, upper case. */
export const currency = () => field<string>({ kind: 'currency' });
export const oneOf = <const V extends readonly string[]>(values: V) => field<V[number]>({ kind: 'enum', values });
/**
 * One of a documented set of lower-case values, where people and forms spell them freely ("Cancelled ",
 * "CANCELLED", Stripe's "canceled"): trimmed and lower-cased, then `aliases` (keyed by that form) name the value
 * another spelling means. Anything else is refused, naming the values. What lands is always one of `values`, so a
 * total or a view never meets two spellings of one thing.
 */
export function oneOfNormalised<const V extends readonly string[]>(values: V, aliases: Readonly<Record<string, V[number]>> = {}) {
  for (const v of [...values, ...Object.keys(aliases)]) {
    if (v !== v.trim().toLowerCase()) throw new Error(`oneOfNormalised: ${JSON.stringify(v)} must be trimmed and lower case`);
  }
  return field<V[number]>({ kind: 'enum', values, normalised: true, aliases });
}
/** Arbitrary JSON, stored as a JSON string column. */
export const json = () => field<unknown>({ kind: 'json' });

export type Fields = Record<string, Field>;

type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K]['isOptional'] extends true ? never : K }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K]['isOptional'] extends true ? K : never }[keyof F];
type ValueOf<X> = X extends Field<infer T> ? T : never;

/** The TypeScript type of a payload with these fields. */
export type Infer<F extends Fields> = { [K in RequiredKeys<F>]: ValueOf<F[K]> } & {
  [K in OptionalKeys<F>]?: ValueOf<F[K]> | null;
};

export const DUCKDB_TYPE: Record<FieldKind, string> = {
  string: 'VARCHAR',
  int: 'BIGINT',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
  currency: 'VARCHAR',
  enum: 'VARCHAR',
  json: 'VARCHAR',
};

export const GLUE_TYPE: Record<FieldKind, string> = {
  string: 'string',
  int: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
  currency: 'string',
  enum: 'string',
  json: 'string',
};
