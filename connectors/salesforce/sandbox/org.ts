import { SeededRandom } from '../../sandbox-kit/seeded-ids.js';
import { OBJECTS, sfDateTime, type FieldType } from './schema.js';
import { SoqlError, fieldsOf, compileCond, parseSoql, type RowValue } from './soql.js';

/** One stored record: datetimes as epoch ms, dates as YYYY-MM-DD, amounts as numbers (JSON numbers on the wire). */
export type Row = Record<string, RowValue>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Deleted rows stay visible to queryAll this long (the Recycle Bin), then are purged. */
const RECYCLE_MS = 15 * 86_400_000;

/**
 * The org's data: rows per object, each change stamping SystemModstamp with the clock's time (or a
 * given older one: a late-committed row). Queries run the parsed SOQL over it.
 */
export class Org {
  readonly rows = new Map<string, Map<string, Row>>();
  /** Fields hidden from this user (field-level security): absent from describe, INVALID_FIELD in a query. */
  readonly hidden = new Set<string>();
  /** Objects of a package that is not installed (e.g. NPSP): unknown to query and describe. */
  readonly absent = new Set<string>();
  readonly rand: SeededRandom;

  constructor(
    readonly now: () => number,
    seed = 1,
    multiCurrency = false,
  ) {
    this.rand = new SeededRandom(seed);
    for (const [name, spec] of Object.entries(OBJECTS)) {
      this.rows.set(name, new Map());
      // A single-currency org has no CurrencyIsoCode at all: describe leaves it out, a query naming it fails.
      if (!multiCurrency && 'CurrencyIsoCode' in spec.fields) this.hidden.add(`${name}.CurrencyIsoCode`);
    }
  }

  private table(object: string): Map<string, Row> {
    const t = this.absent.has(object) ? undefined : this.rows.get(object);
    if (!t) throw new SoqlError('INVALID_TYPE', `sObject type '${object}' is not supported`);
    return t;
  }

  newId(object: string): string {
    return `${OBJECTS[object]!.keyPrefix}8d${this.rand.chars(13, ALPHABET)}`;
  }

  insert(object: string, fields: Row, at = this.now()): string {
    const id = (fields.Id as string | undefined) ?? this.newId(object);
    this.table(object).set(id, { ...fields, Id: id, IsDeleted: false, CreatedDate: (fields.CreatedDate as number | undefined) ?? at, LastModifiedDate: at, SystemModstamp: at });
    return id;
  }

  update(object: string, id: string, fields: Row, at = this.now()): void {
    const row = this.get(object, id);
    Object.assign(row, fields, { LastModifiedDate: at, SystemModstamp: at });
  }

  delete(object: string, id: string, at = this.now()): void {
    Object.assign(this.get(object, id), { IsDeleted: true, SystemModstamp: at });
  }

  undelete(object: string, id: string, at = this.now()): void {
    Object.assign(this.get(object, id), { IsDeleted: false, SystemModstamp: at });
  }

  /**
   * A merge (Contact, Account): the loser is deleted and names the winner in MasterRecordId, and, as Salesforce's
   * merge does, every record that looked the loser up (a gift's primary contact, a donor role, a campaign membership,
   * a contact's household) is reparented to the winner, which counts as a change of that record (SystemModstamp).
   */
  merge(object: string, loserId: string, winnerId: string, at = this.now()): void {
    this.get(object, winnerId);
    Object.assign(this.get(object, loserId), { MasterRecordId: winnerId, IsDeleted: true, LastModifiedDate: at, SystemModstamp: at });
    for (const [name, table] of this.rows) {
      const lookups = Object.entries(OBJECTS[name]!.fields).filter(([f, spec]) => spec.type === 'reference' && f !== 'MasterRecordId').map(([f]) => f);
      for (const row of table.values()) {
        const hits = lookups.filter((f) => row[f] === loserId);
        if (!hits.length || row.IsDeleted) continue;
        for (const f of hits) row[f] = winnerId;
        Object.assign(row, { LastModifiedDate: at, SystemModstamp: at });
      }
    }
  }

  /** Gone for good (emptied Recycle Bin): not even queryAll sees it. */
  purge(object: string, id: string): void {
    this.table(object).delete(id);
  }

  get(object: string, id: string): Row {
    const row = this.table(object).get(id);
    if (!row) throw new Error(`no ${object} ${id}`);
    return row;
  }

  typeOf(object: string, field: string): FieldType {
    const spec = OBJECTS[object]?.fields[field];
    if (!spec || this.hidden.has(`${object}.${field}`)) {
      throw new SoqlError('INVALID_FIELD', `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`);
    }
    return spec.type;
  }

  /** Run a query; `all` is queryAll (deleted rows too). Rows come back as the wire shows them. */
  query(soql: string, all: boolean): { object: string; matched: number; records: Record<string, unknown>[] } {
    const q = parseSoql(soql);
    const table = this.table(q.object);
    // Every field's type, checked once per query (not once per row and condition: a keyset page over
    // 200,000 rows spent most of its time there, and Salesforce answers such a page in well under a second).
    const types = new Map<string, FieldType>();
    for (const f of [...q.fields, ...fieldsOf(q.where), ...q.orderBy.map((o) => o.field)]) types.set(f, this.typeOf(q.object, f));
    const typeOf = (f: string) => types.get(f) ?? this.typeOf(q.object, f);
    const horizon = this.now() - RECYCLE_MS;
    const where = compileCond(q.where, typeOf);
    let row: Row = {};
    const get = (f: string) => row[f] ?? null;
    let rows = [...table.values()].filter((r) => {
      row = r;
      return (all ? !r.IsDeleted || (r.SystemModstamp as number) >= horizon : !r.IsDeleted) && where(get);
    });
    const matched = rows.length;
    if (q.orderBy.length) {
      const order = (a: Row, b: Row): number => {
        for (const o of q.orderBy) {
          const x = a[o.field] ?? null;
          const y = b[o.field] ?? null;
          if (x === y) continue;
          // Salesforce sorts nulls first ascending.
          const c = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
          return o.desc ? -c : c;
        }
        return 0;
      };
      rows = q.limit !== null && q.limit < rows.length / 4 ? firstInOrder(rows, q.limit, order) : rows.sort(order);
    }
    if (q.limit !== null) rows = rows.slice(0, q.limit);
    return {
      object: q.object,
      matched,
      records: rows.map((r) => {
        const out: Record<string, unknown> = { attributes: { type: q.object, url: `/sobjects/${q.object}/${String(r.Id)}` } };
        for (const f of q.fields) {
          const v = r[f] ?? null;
          out[f] = typeOf(f) === 'datetime' && typeof v === 'number' ? sfDateTime(v) : v;
        }
        return out;
      }),
    };
  }
}

/**
 * The first `k` rows in `order`, sorted (what sort + slice gives, stable ties aside), in O(n log k): a
 * keyset page of 2,000 out of 200,000 rows sorted them all for every page.
 */
function firstInOrder(rows: Row[], k: number, order: (a: Row, b: Row) => number): Row[] {
  // A max-heap of the best k so far: its top is the worst of them, the one a better row replaces.
  const heap: Row[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (order(heap[i]!, heap[p]!) <= 0) return;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && order(heap[l]!, heap[top]!) > 0) top = l;
      if (r < heap.length && order(heap[r]!, heap[top]!) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top]!, heap[i]!];
      i = top;
    }
  };
  for (const row of rows) {
    if (heap.length < k) {
      heap.push(row);
      up(heap.length - 1);
    } else if (k > 0 && order(row, heap[0]!) < 0) {
      heap[0] = row;
      down(0);
    }
  }
  return heap.sort(order);
}
