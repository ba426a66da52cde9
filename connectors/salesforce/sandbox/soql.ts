// The subset of SOQL the Salesforce connector sends, parsed for real (a tokenizer and a recursive-descent
// parser), so a malformed or differently written query fails here as it would at Salesforce:
//   SELECT f1, f2 FROM Object [WHERE cond] [ORDER BY f [ASC|DESC], ...] [LIMIT n]
// cond: comparisons (= != < <= > >=) of a field with a literal, joined by AND / OR, in parentheses.
// Literals: 'quoted strings', numbers, true/false/null, and unquoted datetimes in the only forms
// Salesforce accepts (2026-11-30T10:00:00Z, with .000, or a +hh:mm offset; not the +0000 it answers with).

export class SoqlError extends Error {
  constructor(readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE', message: string) {
    super(message);
  }
}

export type Literal = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'boolean'; value: boolean } | { kind: 'null' } | { kind: 'datetime'; ms: number };
export type Cond =
  | { op: 'and' | 'or'; left: Cond; right: Cond }
  | { op: 'cmp'; field: string; cmp: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal };

export interface SoqlQuery {
  fields: string[];
  object: string;
  where: Cond | null;
  orderBy: { field: string; desc: boolean }[];
  limit: number | null;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const TOKEN = /\s*(?:('(?:[^'\\]|\\.)*')|(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-][\d:]+)?)|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w.]*)|(<=|>=|!=|<>|[=<>(),]))/y;

type Tok = { t: 'str' | 'dt' | 'num' | 'word' | 'sym'; v: string; at: number };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new SoqlError('MALFORMED_QUERY', `unexpected character at position ${at}`);
    const start = at + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) out.push({ t: 'str', v: m[1].slice(1, -1).replace(/\\(.)/g, '$1'), at: start });
    else if (m[2] !== undefined) out.push({ t: 'dt', v: m[2], at: start });
    else if (m[3] !== undefined) out.push({ t: 'num', v: m[3], at: start });
    else if (m[4] !== undefined) out.push({ t: 'word', v: m[4], at: start });
    else out.push({ t: 'sym', v: m[5]!, at: start });
    at = TOKEN.lastIndex;
  }
  return out;
}

export function parseSoql(text: string): SoqlQuery {
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const isWord = (w: string) => peek()?.t === 'word' && peek()!.v.toUpperCase() === w;
  const expectWord = (w: string) => {
    if (!isWord(w)) throw new SoqlError('MALFORMED_QUERY', `expecting ${w} at position ${peek()?.at ?? text.length}`);
    i++;
  };
  const ident = (): string => {
    const t = peek();
    if (t?.t !== 'word') throw new SoqlError('MALFORMED_QUERY', `expecting a field name at position ${t?.at ?? text.length}`);
    i++;
    return t.v;
  };
  const sym = (s: string) => {
    if (peek()?.t === 'sym' && peek()!.v === s) {
      i++;
      return true;
    }
    return false;
  };

  expectWord('SELECT');
  const fields = [ident()];
  while (sym(',')) fields.push(ident());
  expectWord('FROM');
  const object = ident();
  let where: Cond | null = null;
  if (isWord('WHERE')) {
    i++;
    where = orExpr();
  }
  const orderBy: SoqlQuery['orderBy'] = [];
  if (isWord('ORDER')) {
    i++;
    expectWord('BY');
    do {
      const field = ident();
      let desc = false;
      if (isWord('ASC')) i++;
      else if (isWord('DESC')) {
        i++;
        desc = true;
      }
      orderBy.push({ field, desc });
    } while (sym(','));
  }
  let limit: number | null = null;
  if (isWord('LIMIT')) {
    i++;
    const t = peek();
    if (t?.t !== 'num' || !/^\d+$/.test(t.v)) throw new SoqlError('MALFORMED_QUERY', 'LIMIT needs a whole number');
    limit = Number(t.v);
    i++;
  }
  if (i < toks.length) throw new SoqlError('MALFORMED_QUERY', `unexpected token '${toks[i]!.v}' at position ${toks[i]!.at}`);
  return { fields, object, where, orderBy, limit };

  function orExpr(): Cond {
    let left = andExpr();
    while (isWord('OR')) {
      i++;
      left = { op: 'or', left, right: andExpr() };
    }
    return left;
  }
  function andExpr(): Cond {
    let left = term();
    while (isWord('AND')) {
      i++;
      left = { op: 'and', left, right: term() };
    }
    return left;
  }
  function term(): Cond {
    if (sym('(')) {
      const c = orExpr();
      if (!sym(')')) throw new SoqlError('MALFORMED_QUERY', `expecting ')' at position ${peek()?.at ?? text.length}`);
      return c;
    }
    const field = ident();
    const op = peek();
    if (op?.t !== 'sym' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(op.v)) {
      throw new SoqlError('MALFORMED_QUERY', `expecting a comparison after ${field} at position ${op?.at ?? text.length}`);
    }
    i++;
    return { op: 'cmp', field, cmp: (op.v === '<>' ? '!=' : op.v) as '=', value: literal() };
  }
  function literal(): Literal {
    const t = peek();
    i++;
    if (!t) throw new SoqlError('MALFORMED_QUERY', 'expecting a value at the end of the query');
    if (t.t === 'str') return { kind: 'string', value: t.v };
    if (t.t === 'num') return { kind: 'number', value: Number(t.v) };
    if (t.t === 'dt') {
      if (!DATETIME.test(t.v)) throw new SoqlError('MALFORMED_QUERY', `value of filter criterion is not a valid datetime: ${t.v} (use 2026-11-30T10:00:00Z or +00:00)`);
      return { kind: 'datetime', ms: Date.parse(t.v) };
    }
    if (t.t === 'word' && /^(true|false)$/i.test(t.v)) return { kind: 'boolean', value: t.v.toLowerCase() === 'true' };
    if (t.t === 'word' && /^null$/i.test(t.v)) return { kind: 'null' };
    throw new SoqlError('MALFORMED_QUERY', `expecting a value at position ${t.at}`);
  }
}

/** A row's value for comparison: datetimes are held as epoch milliseconds. */
export type RowValue = string | number | boolean | null;

/**
 * A condition as a function of a row, its literals checked and converted once: a query tests every row of
 * the object, and doing that per row was most of the sandbox's time on a 200,000-row keyset page.
 * Throws the errors Salesforce gives for a literal of the wrong type.
 */
export function compileCond(cond: Cond | null, typeOf: (field: string) => string): (get: (field: string) => RowValue) => boolean {
  if (!cond) return () => true;
  if (cond.op !== 'cmp') {
    const left = compileCond(cond.left, typeOf);
    const right = compileCond(cond.right, typeOf);
    return cond.op === 'and' ? (get) => left(get) && right(get) : (get) => left(get) || right(get);
  }
  const type = typeOf(cond.field);
  const lit = cond.value;
  let right: RowValue;
  if (lit.kind === 'null') right = null;
  else if (type === 'datetime') {
    if (lit.kind !== 'datetime') throw new SoqlError('INVALID_FIELD', `value of filter criterion for field '${cond.field}' must be of type dateTime and should not be enclosed in quotes`);
    right = lit.ms;
  } else if (lit.kind === 'datetime') throw new SoqlError('INVALID_FIELD', `field '${cond.field}' is not a dateTime`);
  else right = lit.value;
  const field = cond.field;
  const cmp = cond.cmp;
  if (cmp === '=') return (get) => get(field) === right;
  if (cmp === '!=') return (get) => get(field) !== right;
  if (right === null) return () => false;
  const want = (c: number) => (cmp === '<' ? c < 0 : cmp === '<=' ? c <= 0 : cmp === '>' ? c > 0 : c >= 0);
  return (get) => {
    const left = get(field);
    if (left === null) return false;
    return want(left < right ? -1 : left > right ? 1 : 0);
  };
}

/** Every field a condition names, to check them against the object's fields. */
export function fieldsOf(cond: Cond | null): string[] {
  if (!cond) return [];
  return cond.op === 'cmp' ? [cond.field] : [...fieldsOf(cond.left), ...fieldsOf(cond.right)];
}
