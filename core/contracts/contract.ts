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
  /** Primary key field: always `<name>_id`. */
  readonly key: string;
  readonly fields: F;
  readonly doc: string;
  /** Validate and normalise a payload. */
  validate(payload: unknown): { value: Infer<F>; errors: null } | { value: null; errors: FieldError[] };
  /** Columns in declaration order (payload fields only; landing adds envelope columns). */
  readonly columns: readonly Column[];
}

/**
 * Every contract has `occurred_at` (when the thing happened at the source; partitions by its date)
 * and an optional `updated_at` (when the source says this version changed; "latest" orders by it).
 */
export function defineContract<const N extends string, F extends Fields>(spec: {
  name: N;
  version: number;
  doc: string;
  fields: F;
}): Contract<F> {
  const key = `${spec.name}_id`;
  if (!(key in spec.fields)) throw new Error(`contract ${spec.name}: key field ${key} missing`);
  if (!('occurred_at' in spec.fields)) throw new Error(`contract ${spec.name}: occurred_at missing`);
  const columns = Object.entries(spec.fields).map(([name, f]) => ({
    name,
    duckdbType: DUCKDB_TYPE[f.kind],
    glueType: GLUE_TYPE[f.kind],
    nullable: f.isOptional,
  }));
  return {
    name: spec.name,
    version: spec.version,
    key,
    fields: spec.fields,
    doc: spec.doc,
    columns,
    validate: (payload) => validateFields(spec.fields, payload) as never,
  };
}

/**
 * A new version may only add optional fields (DESIGN.md rule 2), so readers of v1 keep working.
 */
export function extendContract<F extends Fields, G extends Fields>(
  base: Contract<F>,
  version: number,
  added: G,
): Contract<F & G> {
  for (const [name, f] of Object.entries(added)) {
    if (name in base.fields) throw new Error(`contract ${base.name} v${version}: ${name} already exists`);
    if (!f.isOptional) throw new Error(`contract ${base.name} v${version}: new field ${name} must be optional`);
  }
  return defineContract({ name: base.name, version, doc: base.doc, fields: { ...base.fields, ...added } });
}
