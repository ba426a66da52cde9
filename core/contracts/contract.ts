import { DUCKDB_TYPE, GLUE_TYPE, type Fields, type Infer } from './schema.js';
import { validateFields, type FieldError } from './validate.js';

export interface Column {
  name: string;
  duckdbType: string;
  glueType: string;
  nullable: boolean;
}

export interface Contract<F extends Fields = Fields> {
  readonly name: string;
  readonly version: number;
  /** Primary key field: always `<name>_id`, a string that must not be empty or only spaces. */
  readonly key: string;
  readonly fields: F;
  readonly doc: string;
  /** Validate and normalise a payload; a personal value (see `personal`) comes back null. */
  validate(payload: unknown): { value: Infer<F>; errors: null } | { value: null; errors: FieldError[] };
  /** Columns in declaration order (payload fields only; landing adds envelope columns). */
  readonly columns: readonly Column[];
  /** Fields whose values may be personal data, and the test that tells which (see PersonalFields). */
  readonly personal?: PersonalFields;
}

/**
 * Per field, the test that says a valid value is personal data the contract does not hold (a donor's name in a
 * bank line's counterparty). validate leaves such a value out (null), so every path that checks a payload (an
 * import, the producer API, landing) keeps the same, and the producer API leaves it out of the raw trail too:
 * whatever reaches `raw` is rewritten only by `puddle erase`, one person at a time (and not on AWS, under Object Lock).
 */
export type PersonalFields = Readonly<Record<string, (value: unknown) => boolean>>;

/**
 * Every contract has `occurred_at` (when the thing happened at the source; partitions by its date)
 * and an optional `updated_at` (when the source says this version changed; "latest" orders by it).
 */
export function defineContract<const N extends string, F extends Fields>(spec: {
  name: N;
  version: number;
  doc: string;
  fields: F;
  personal?: PersonalFields;
}): Contract<F> {
  const key = `${spec.name}_id`;
  const keyField = spec.fields[key];
  if (!keyField) throw new Error(`contract ${spec.name}: key field ${key} missing`);
  if (keyField.kind !== 'string' || keyField.isOptional) throw new Error(`contract ${spec.name}: key field ${key} must be a required string`);
  if (!('occurred_at' in spec.fields)) throw new Error(`contract ${spec.name}: occurred_at missing`);
  // The key is marked here, for every contract alike, so validation refuses a blank one (see Field.isKey).
  const fields = Object.fromEntries(Object.entries(spec.fields).map(([name, f]) => [name, name === key ? { ...f, isKey: true } : f])) as F;
  const columns = Object.entries(fields).map(([name, f]) => ({
    name,
    duckdbType: DUCKDB_TYPE[f.kind],
    glueType: GLUE_TYPE[f.kind],
    nullable: f.isOptional,
  }));
  const personal = spec.personal;
  for (const name in personal) if (!(name in spec.fields)) throw new Error(`contract ${spec.name}: personal field ${name} missing`);
  const tests = personal ? Object.entries(personal) : [];
  return {
    name: spec.name,
    version: spec.version,
    key,
    fields,
    doc: spec.doc,
    columns,
    personal,
    validate: tests.length
      ? (payload) => {
          const r = validateFields(fields, payload);
          // The value is the validator's own copy: left out here, the caller's payload is untouched.
          if (r.value) for (const [name, isPersonal] of tests) if (r.value[name] !== null && isPersonal(r.value[name])) r.value[name] = null;
          return r as never;
        }
      : (payload) => validateFields(fields, payload) as never,
  };
}

/**
 * A new version may only add optional fields (DESIGN.md rule 2), so readers of v1 keep working. It keeps the base's
 * personal fields, and `personal` adds the new fields' tests.
 */
export function extendContract<F extends Fields, G extends Fields>(
  base: Contract<F>,
  version: number,
  added: G,
  personal?: PersonalFields,
): Contract<F & G> {
  for (const [name, f] of Object.entries(added)) {
    if (name in base.fields) throw new Error(`contract ${base.name} v${version}: ${name} already exists`);
    if (!f.isOptional) throw new Error(`contract ${base.name} v${version}: new field ${name} must be optional`);
  }
  const all = base.personal || personal ? { ...base.personal, ...personal } : undefined;
  return defineContract({ name: base.name, version, doc: base.doc, fields: { ...base.fields, ...added }, personal: all });
}
