// The gateway's XML conventions, as the SDK's parser (xml2js + Util.convertNodeToObject) reads them:
// integers and booleans carry a type attribute, null is `nil="true"`, arrays are `type="array"` with
// one child per item, and every other scalar (amounts, datetimes, dates) is plain text.

/** A scalar whose element carries a type attribute the SDK leaves as text (datetime, date). */
export class XmlTyped {
  constructor(
    readonly type: 'datetime' | 'date',
    readonly text: string | null,
  ) {}
}

/** `<name type="array"><item>..</item>...</name>`; the SDK turns it into an array whatever the child names. */
export class XmlArray {
  constructor(
    readonly itemName: string,
    readonly items: readonly XmlValue[],
  ) {}
}

export type XmlValue = string | number | boolean | null | XmlTyped | XmlArray | XmlObject;
export interface XmlObject {
  readonly [key: string]: XmlValue | undefined;
}

export const datetime = (iso: string | null): XmlTyped => new XmlTyped('datetime', iso);
export const date = (day: string | null): XmlTyped => new XmlTyped('date', day);
export const array = (itemName: string, items: readonly XmlValue[]): XmlArray => new XmlArray(itemName, items);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** snake_case keys become the gateway's dashed element names. */
function tagOf(key: string): string {
  return key.replace(/_/g, '-');
}

/** One element. `undefined` fields of objects are left out; `null` ones are sent as nil. */
export function toXml(name: string, value: XmlValue): string {
  const tag = tagOf(name);
  if (value === null) return `<${tag} nil="true"/>`;
  if (typeof value === 'string') return `<${tag}>${escapeXml(value)}</${tag}>`;
  if (typeof value === 'number') return `<${tag} type="integer">${Math.trunc(value)}</${tag}>`;
  if (typeof value === 'boolean') return `<${tag} type="boolean">${value}</${tag}>`;
  if (value instanceof XmlTyped) {
    return value.text === null ? `<${tag} type="${value.type}" nil="true"/>` : `<${tag} type="${value.type}">${escapeXml(value.text)}</${tag}>`;
  }
  if (value instanceof XmlArray) {
    if (value.items.length === 0) return `<${tag} type="array"/>`;
    return `<${tag} type="array">${value.items.map((item) => toXml(value.itemName, item)).join('')}</${tag}>`;
  }
  return `<${tag}>${children(value)}</${tag}>`;
}

export function children(obj: XmlObject): string {
  let out = '';
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v !== undefined) out += toXml(key, v);
  }
  return out;
}

/** A whole response body, with the declaration the gateway sends. */
export function document(rootName: string, value: XmlValue): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${toXml(rootName, value)}\n`;
}

/**
 * `<name type="collection">` with repeated same-named children (`<transaction>` after `<transaction>`),
 * which an object cannot hold: the paged search answers use it.
 */
export function collectionDocument(rootName: string, header: XmlObject, itemName: string, items: readonly XmlValue[]): string {
  const tag = tagOf(rootName);
  const body = children(header) + items.map((item) => toXml(itemName, item)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${tag} type="collection">${body}</${tag}>\n`;
}
