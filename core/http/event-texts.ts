/**
 * The text of each element of a request body's top-level `events` array, exactly as the producer sent it:
 * what the producer's envelopes keep as `raw` (the record as sent, for audit), cut from the body instead of
 * serialised again (JSON.stringify of every parsed event was about a tenth of the producer's event loop at
 * 100 events a request).
 *
 * Only called on a body that JSON.parse has already accepted, so this only has to find boundaries, not
 * check grammar. Like JSON.parse, the last `events` key wins. Returns null when the body is not the
 * expected shape (no object, no events array, a key spelt with escapes); the caller then serialises.
 */
export function eventTexts(body: string): string[] | null {
  let at = skipSpace(body, 0);
  if (body.charCodeAt(at) !== OPEN_BRACE) return null;
  at = skipSpace(body, at + 1);
  let found: string[] | null = null;
  while (body.charCodeAt(at) === QUOTE) {
    const keyEnd = stringEnd(body, at);
    if (keyEnd < 0) return null;
    const key = body.slice(at + 1, keyEnd - 1);
    if (key.includes('\\')) return null; // `"ev\u0065nts"`: rare enough to leave to the serialiser
    at = skipSpace(body, keyEnd);
    if (body.charCodeAt(at) !== COLON) return null;
    at = skipSpace(body, at + 1);
    if (key === 'events') {
      if (body.charCodeAt(at) !== OPEN_BRACKET) return null;
      const texts: string[] = [];
      at = skipSpace(body, at + 1);
      if (body.charCodeAt(at) === CLOSE_BRACKET) at++;
      else {
        for (;;) {
          const end = valueEnd(body, at);
          if (end < 0) return null;
          texts.push(body.slice(at, end));
          at = skipSpace(body, end);
          const c = body.charCodeAt(at);
          at = skipSpace(body, at + 1);
          if (c === CLOSE_BRACKET) break;
          if (c !== COMMA) return null;
        }
      }
      found = texts;
    } else {
      at = valueEnd(body, at);
      if (at < 0) return null;
    }
    at = skipSpace(body, at);
    if (body.charCodeAt(at) === COMMA) at = skipSpace(body, at + 1);
  }
  return found;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const MINOR_KEY = '_minor"';
/** A whole number written with two zero decimals: how an amount in major units is written (`5.00` for £5). */
const TWO_ZERO_DECIMALS = /^-?\d+\.00$/;

/**
 * The members named `..._minor` (money, in minor units) that an event's text gives a whole number written with two
 * zero decimals (`"amount_minor": 5.00`): JSON reads it as 5, but it is how an amount in pounds or euros is written,
 * and as minor units it counts a hundred times too little. A float of minor units (`500.0`, as Python or Java writes
 * one) has one decimal and is not named. In valid JSON `_minor"` followed by a colon is always a key (a quote inside
 * a string is escaped), so one `indexOf` an event is all it costs when none is there.
 */
export function minorWrittenAsMajor(text: string): string[] {
  let out: string[] | null = null;
  for (let at = text.indexOf(MINOR_KEY); at >= 0; at = text.indexOf(MINOR_KEY, at + MINOR_KEY.length)) {
    let i = skipSpace(text, at + MINOR_KEY.length);
    if (text.charCodeAt(i) !== COLON) continue;
    i = skipSpace(text, i + 1);
    const end = valueEnd(text, i);
    if (end < 0 || !TWO_ZERO_DECIMALS.test(text.slice(i, end))) continue;
    (out ??= []).push(text.slice(text.lastIndexOf('"', at) + 1, at + MINOR_KEY.length - 1));
  }
  return out ?? [];
}

function skipSpace(s: string, at: number): number {
  for (;;) {
    const c = s.charCodeAt(at);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
    at++;
  }
}

/** Where the string starting at `at` (its opening quote) ends: just past its closing quote; -1 if never. */
function stringEnd(s: string, at: number): number {
  let i = at + 1;
  for (;;) {
    const q = s.indexOf('"', i);
    if (q < 0) return -1;
    // The quote is escaped when an odd number of backslashes stands before it.
    let slashes = 0;
    while (s.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** Where the value starting at `at` ends (just past it); -1 if the text ends first. */
function valueEnd(s: string, at: number): number {
  const first = s.charCodeAt(at);
  if (first === QUOTE) return stringEnd(s, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next delimiter.
    let i = at;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        return i === at ? -1 : i;
      }
      i++;
    }
  }
  let depth = 0;
  for (let i = at; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(s, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}
