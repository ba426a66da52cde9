import type { Fields } from './schema.js';

// What a free-text field (Field.isFreeText: a campaign, a call to action, a reason) must not hold when a producer
// sends it: a payment card number or an email address. Such text lands in the lake, the live totals, the TV's
// labels and the supplier feeds, none of which may hold card data or a person's address. The refusal names the
// field and the rule, never the value.

/** Digits, each run allowed single spaces or dashes between them (`4111 1111-1111 1111`). */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;
const NOT_DIGIT = /\D/g;
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

/** Whether the text holds a card number: a run of 13 to 19 digits (spaces or dashes between) that passes Luhn. */
export function holdsCardNumber(text: string): boolean {
  if (text.length < 13) return false;
  for (const run of text.match(DIGIT_RUN) ?? []) {
    if (run.length < 13) continue;
    const digits = run.replace(NOT_DIGIT, '');
    if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) return true;
  }
  return false;
}

/** Why a free-text value is refused (the message after the field's path), or null when it may land. */
export function freeTextProblem(text: string): string | null {
  if (holdsCardNumber(text)) return 'must not hold a payment card number (13 to 19 digits passing the Luhn check): free text lands in the lake, the totals, the TV and the feeds';
  if (text.includes('@') && EMAIL.test(text)) return 'must not hold an email address: free text lands in the lake, the totals, the TV and the feeds';
  return null;
}

const FIELDS = new WeakMap<Fields, readonly string[]>();

/** The names of a contract's free-text fields, worked out once per contract: the producer checks every event. */
export function freeTextFields(fields: Fields): readonly string[] {
  let names = FIELDS.get(fields);
  if (!names) FIELDS.set(fields, (names = Object.keys(fields).filter((n) => fields[n]!.kind === 'string' && fields[n]!.isFreeText)));
  return names;
}
