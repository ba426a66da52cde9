import type { Fields } from './schema.js';

// What a free-text field (Field.isFreeText: a campaign, a call to action, a reason) must not hold when a producer
// sends it: a payment card number or an email address. Such text lands in the lake, the live totals, the TV's
// labels and the supplier feeds, none of which may hold card data or a person's address. The refusal names the
// field and the rule, never the value.

/**
 * Digits, each run allowed single spaces, dashes or dots between them (`4111 1111-1111.1111`). Only single ASCII
 * ones: a tab, two spaces or ` - ` join two numbers that ordinary text holds apart (`Helpline 020 4096 6583 - 07771
 * 311949`, a tab-separated bank description), and about one such pair in sixteen then holds a stretch that starts
 * as a card number and passes Luhn (measured by a user test, 2026-12-05, when they were taken for a day).
 */
const DIGIT_RUN = /\d(?:[ .-]?\d)*/g;
/** Anything but printable ASCII: the text is normalised first (see plainForCheck). */
const NON_ASCII = /[^\u0020-\u007e]/;
/** Characters that show nothing (zero-width space, word joiner, soft hyphen): a card number split by them looks whole. */
const INVISIBLE = /\p{Cf}/gu;

/**
 * The text as the card check reads it: NFKC makes full-width digits (`４１１１`) digits and a no-break space (as a
 * word processor or a web form's paste leaves it) a space, and what shows nothing is taken out. Until 2026-12-05
 * a card number with no-break spaces, full-width digits or zero-width spaces landed.
 */
function plainForCheck(text: string): string {
  const plain = NON_ASCII.test(text)
    ? text.normalize('NFKC').replace(INVISIBLE, '').replace(MARKS, '').replace(OTHER_DIGIT, asciiDigit).replace(ARABIC_SEPARATOR, (c) => (c === '\u066b' ? '.' : ','))
    : text;
  return plain.includes(',') ? plain.replace(COMMA_GROUPS, (run) => run.replaceAll(',', ' ')) : plain;
}
/**
 * What is drawn on a letter, not a letter (an accent, Arabic's shadda, a combining keycap) and the tatweel that only
 * stretches a word: a card number with one after each digit reads as the number. Until 2026-12-05 it landed.
 */
const MARKS = /[\p{M}\u0640]/gu;
/** Arabic's decimal separator (a dot), thousands separator and comma: read as `.` and `,`. */
const ARABIC_SEPARATOR = /[\u066b\u066c\u060c]/g;
/**
 * Groups of four digits joined by commas (`4111,1111,1111,1111`, in Arabic `٤١١١،١١١١،...`), read as joined by
 * spaces. Only groups of four, as cards are grouped: amounts group by three (`1,234,567,890,123`) and stay apart.
 * Until 2026-12-05 a card number so written landed (a user test).
 */
const COMMA_GROUPS = /(?<![\d,])\d{4}(?:,\d{4})+(?![\d])/g;
/** Right-to-left override: what follows is shown reversed, so a card number stored backwards reads forwards. */
const RIGHT_TO_LEFT_OVERRIDE = '\u202e';
/**
 * A decimal digit of another script, which NFKC leaves as it is: Arabic-Indic (`٤١١١`, what an Arabic keyboard
 * types), Persian, Devanagari, Bengali, Thai and the rest. Until 2026-12-05 a card number so written landed.
 */
const OTHER_DIGIT = /(?![0-9])\p{Nd}/gu;
const ND = /^\p{Nd}$/u;
/**
 * The ASCII digit a decimal digit of another script stands for. Unicode keeps each script's digits 0 to 9 together
 * in order, and runs of them start at a zero, so the digit is its distance from the run's start, modulo 10.
 */
function asciiDigit(d: string): string {
  const cp = d.codePointAt(0)!;
  let start = cp;
  while (start > 0 && cp - start < 50 && ND.test(String.fromCodePoint(start - 1))) start--;
  return String((cp - start) % 10);
}
const GROUP = /\d+/g;
/**
 * How a card number starts (its issuer): Visa 4, Mastercard 51-55 and 2221-2720, Amex 34 and 37, Discover 6011 and
 * 65, JCB 35, Diners 30, 36 and 38, UnionPay 62. Asked only of a card number inside a longer run, where the run's
 * other groups give many more candidates, each passing Luhn one time in ten.
 */
const ISSUER = /^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01])|2720|3[0456785]|6011|6[25])/;
/** Something@something.tld, as an address is written in text. */
const EMAIL = /[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[a-z]{2,}/i;

/** The Luhn checksum a card number passes (and about one in ten other digit strings). */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Whether the text holds a card number: a run of 13 to 19 digits (spaces, dashes or dots between) that passes Luhn,
 * or, inside a longer run (`order 2026 4111 1111 1111 1111`), whole groups of it that do and start as a card does.
 * One unbroken string of more than 19 digits is a reference, not searched inside: one in eight 24-digit references
 * would hold a 16-digit stretch that starts as a Visa or Mastercard and passes Luhn.
 */
export function holdsCardNumber(text: string): boolean {
  if (text.length < 13) return false;
  const plain = plainForCheck(text);
  if (runsHoldCard(plain)) return true;
  // Shown reversed after an override (U+202E): what a reader sees is the text backwards. Until 2026-12-05 a card
  // number stored so landed.
  return text.includes(RIGHT_TO_LEFT_OVERRIDE) && runsHoldCard([...plain].reverse().join(''));
}

/** Whether a text already made plain (plainForCheck) holds a card number: see holdsCardNumber. */
function runsHoldCard(plain: string): boolean {
  for (const run of plain.match(DIGIT_RUN) ?? []) {
    if (run.length < 13) continue;
    const groups = run.match(GROUP)!;
    for (let first = 0; first < groups.length; first++) {
      let digits = '';
      for (let last = first; last < groups.length && digits.length < 19; last++) {
        digits += groups[last]!;
        if (digits.length < 13 || digits.length > 19 || !passesLuhn(digits)) continue;
        if ((first === 0 && last === groups.length - 1) || ISSUER.test(digits)) return true;
      }
    }
  }
  return false;
}

/** What a text that held a card number written in another script becomes (maskCardsAndEmails): it cannot be masked in place. */
export const CARD_TEXT_REMOVED = '[removed: it held a card number]';
const EMAILS = new RegExp(EMAIL.source, 'gi');

/**
 * The text with every card number's digits but the last four written `*` (`4111 1111 1111 1111` becomes
 * `**** **** **** 1111`, as a receipt shows it) and every email address written `[email]`: for text that must land
 * though it may hold them (a bank line's description, read from the bank's file: refusing the line would leave the
 * statement short). The card numbers are those holdsCardNumber finds. A text holding one in another script (full-width
 * or Arabic-Indic digits, split by invisible characters) is CARD_TEXT_REMOVED whole: its digits are not where a
 * plain reading puts them.
 */
export function maskCardsAndEmails(text: string): string {
  let out = text;
  if (text.length >= 13 && holdsCardNumber(text)) out = NON_ASCII.test(text) ? CARD_TEXT_REMOVED : maskCards(text);
  return out.includes('@') ? out.replace(EMAILS, '[email]') : out;
}

/** ASCII text with its card numbers masked (see maskCardsAndEmails); plainForCheck keeps an ASCII text's length. */
function maskCards(text: string): string {
  let out = text;
  for (const run of plainForCheck(text).matchAll(DIGIT_RUN)) {
    if (run[0].length < 13) continue;
    const groups = [...run[0].matchAll(GROUP)];
    for (let first = 0; first < groups.length; first++) {
      let digits = '';
      for (let last = first; last < groups.length && digits.length < 19; last++) {
        digits += groups[last]![0];
        if (digits.length < 13 || digits.length > 19 || !passesLuhn(digits)) continue;
        if (!((first === 0 && last === groups.length - 1) || ISSUER.test(digits))) continue;
        const start = run.index + groups[first]!.index;
        const end = run.index + groups[last]!.index + groups[last]![0].length;
        let left = digits.length - 4;
        out = out.slice(0, start) + out.slice(start, end).replace(/\d/g, (d) => (left-- > 0 ? '*' : d)) + out.slice(end);
        first = last;
        break;
      }
    }
  }
  return out;
}

/** Why a free-text value is refused (the message after the field's path), or null when it may land. */
export function freeTextProblem(text: string): string | null {
  if (holdsCardNumber(text)) return 'must not hold a payment card number (13 to 19 digits passing the Luhn check): free text lands in the lake, the totals, the TV and the feeds';
  if (text.includes('@') && EMAIL.test(text)) return 'must not hold an email address: free text lands in the lake, the totals, the TV and the feeds';
  return null;
}

/**
 * Why an id that stands for a person (Field.isPersonRef: a supporter_id) is refused, or null: an email address or a
 * mobile number. The lake keeps a supporter's email as its SHA-256 alone, and an address sent as the id would land,
 * and reach the feeds, as sent. Until 2026-12-03 ids were not checked at all (a call centre keying supporters by
 * email sent them), and until 2026-12-06 a text-giving aggregator's id, the donor's mobile number, was taken.
 */
export function personRefProblem(text: string): string | null {
  if (text.includes('@') && EMAIL.test(text)) {
    return "must not be an email address: an id that stands for a person lands in the lake and the feeds as sent; send the CRM's or the aggregator's id, or a hash of the address";
  }
  if (isMobileNumber(text)) {
    return "must not be a phone number: an id that stands for a person lands in the lake and the feeds as sent; send the CRM's or the aggregator's id for the supporter, or a hash of the number";
  }
  return null;
}

/**
 * A phone number as a person's id: international (`+` then 8 to 15 digits, E.164) or a UK mobile (`07...`, `447...`,
 * 11 or 12 digits), spaces, dashes, dots and brackets allowed between digits. A CRM's or an aggregator's own ids
 * start otherwise (letters, a prefix, no leading 0 or +).
 */
function isMobileNumber(text: string): boolean {
  // Nearly every id starts with a letter: one character read, nothing built (the producer's hot path).
  const first = text.charCodeAt(0);
  if (text.length > 24 || (first !== 0x2b && first !== 0x28 && (first < 0x30 || first > 0x39))) return false;
  const digits = text.replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{7,14}$/.test(digits) || /^(?:07\d{9}|447\d{9})$/.test(digits);
}

/**
 * Why a producer's own id for an event (the event's `id`, kept with it in `raw` for good, never landed elsewhere) is
 * refused, or null: an email address, as a call centre keying its rows by the caller's address would send; or, in an
 * id written as text (with a space: `note: card 4111 ...`), a card number (until 2026-12-06 taken, and kept in raw
 * for good; a security review). An id without a space is not looked into: one of 16 digits passes Luhn one time in ten.
 */
export function eventIdProblem(text: string): string | null {
  if (text.includes('@') && EMAIL.test(text)) {
    return "must not be an email address: the event's id is kept with it in the raw trail for good; send your own id for the event";
  }
  if (/\s/.test(text) && holdsCardNumber(text)) {
    return "must not hold a payment card number: the event's id is kept with it in the raw trail for good; send your own id for the event";
  }
  return null;
}

/**
 * Why a web address (Field.isWebAddress: a click's `url`) is refused, or null: an email address in its query string
 * or fragment, as a landing page's prefilled form puts one there (`?email=jo%40example.org`). Until 2026-12-06 it
 * landed as sent, in the lake and the raw trail (user test). The path is not looked into: a social profile's
 * `/@name/post.html` is no address.
 */
export function webAddressProblem(text: string): string | null {
  const from = text.search(/[?#]/);
  if (from < 0) return null;
  const query = text.slice(from);
  if (!query.includes('@') && !/%40/i.test(query)) return null;
  let plain = query;
  try {
    plain = decodeURIComponent(query.replaceAll('+', ' '));
  } catch {
    // A stray `%` is no escape: the text as it is.
  }
  if (!EMAIL.test(plain)) return null;
  return 'must not hold an email address (a prefilled form\'s query string is the usual cause): the address lands in the lake as sent; send the page\'s address without it';
}

/** What a producer's text field is checked by: a free-text field's rule, or a person's id's. */
export type TextRule = (text: string) => string | null;

const FIELDS = new WeakMap<Fields, readonly (readonly [string, TextRule])[]>();

/**
 * A contract's fields whose text the producer checks (free text, ids that stand for a person), each with its rule,
 * worked out once per contract: the producer checks every event.
 */
export function checkedTextFields(fields: Fields): readonly (readonly [string, TextRule])[] {
  let checked = FIELDS.get(fields);
  if (!checked) {
    checked = Object.keys(fields).flatMap((n) => {
      const f = fields[n]!;
      if (f.kind !== 'string') return [];
      if (f.isFreeText) return [[n, freeTextProblem] as const];
      if (f.isPersonRef) return [[n, personRefProblem] as const];
      if (f.isWebAddress) return [[n, webAddressProblem] as const];
      return [];
    });
    FIELDS.set(fields, checked);
  }
  return checked;
}
