// A tiny schema language: one field list per contract gives the TypeScript type, the runtime
// validation, the Parquet/DuckDB columns and the Glue/Athena columns (DESIGN.md rule 2).
// Hand-written rather than zod because validation sits on the ingest hot path (100k events/s goal).

export type FieldKind = 'string' | 'int' | 'boolean' | 'timestamp' | 'date' | 'currency' | 'enum' | 'json';

export interface Field<T = unknown, O extends boolean = boolean> {
  readonly kind: FieldKind;
  readonly isOptional: O;
  readonly values?: readonly string[];
  readonly description?: string;
  /** Phantom: carries the TypeScript type of the field's value. */
  readonly __type?: T;
}

export type Builder<T, O extends boolean = false> = Field<T, O> & {
  optional(): Builder<T, true>;
  doc(text: string): Builder<T, O>;
};

function field<T, O extends boolean = false>(
  kind: FieldKind,
  values?: readonly string[],
  description?: string,
  isOptional = false,
): Builder<T, O> {
  return {
    kind,
    isOptional: isOptional as O,
    values,
    description,
    optional: () => field<T, true>(kind, values, description, true),
    doc: (text: string) => field<T, O>(kind, values, text, isOptional),
  };
}

export const string = () => field<string>('string');
/** Integer (minor units for money). Stored as BIGINT. */
export const int = () => field<number>('int');
export const boolean = () => field<boolean>('boolean');
/** UTC instant, ISO-8601 on the wire and in payloads (normalised to `...Z`), TIMESTAMP in Parquet. */
export const timestamp = () => field<string>('timestamp');
/** Calendar date `YYYY-MM-DD`. */
export const date = () => field<string>('date');
/** ISO 4217 alpha code, upper case. */
export const currency = () => field<string>('currency');
export const oneOf = <const V extends readonly string[]>(values: V) => field<V[number]>('enum', values);
/** Arbitrary JSON, stored as a JSON string column. */
export const json = () => field<unknown>('json');

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
