// The free-text card check: card numbers as people write them (dots, dashes, spaces, beside other numbers) are
// found; the numbers free text ordinarily holds (dates, phone numbers, references) still pass.
import { describe, expect, it } from 'vitest';
import { CARD_TEXT_REMOVED, holdsCardNumber, maskCardsAndEmails, personRefProblem, webAddressProblem } from './free-text.js';

describe('holdsCardNumber', () => {
  it('finds a card number split by dots, dashes or spaces, alone or beside other numbers', () => {
    for (const text of [
      '4111.1111.1111.1111',
      'card 5555.5555.5555.4444 thanks',
      '3782.822463.10005',
      'ref 2026-11-29 4111 1111 1111 1111',
      'order 12345 4111111111111111',
      '4111111111111111 12 28 123',
      'paid 5555-5555-5555-4444-0001',
      '01234 5105.1051.0510.5100',
      // No-break spaces, as pasted text has them, full-width digits, and characters that show nothing.
      '4111\u00a01111\u00a01111\u00a01111',
      '4111\u202f1111\u202f1111\u202f1111',
      '\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11',
      '4111\u200b1111\u200b1111\u200b1111',
      '4111\u20601111\u00ad1111\u200b1111',
      // Digits of other scripts, as their keyboards type them: Arabic-Indic, Persian, Devanagari, Bengali.
      '\u0664\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661',
      '\u06f5\u06f5\u06f5\u06f5-\u06f5\u06f5\u06f5\u06f5-\u06f5\u06f5\u06f5\u06f5-\u06f4\u06f4\u06f4\u06f4',
      'card \u096a\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967\u0967',
      '\u09ea\u09e7\u09e7\u09e7 1111 1111 1111',
      // Groups of four joined by commas: ASCII, the Arabic comma, Arabic's thousands and decimal separators.
      '4111,1111,1111,1111',
      'card 5555,5555,5555,4444 thanks',
      '\u0664\u0661\u0661\u0661\u060c\u0661\u0661\u0661\u0661\u060c\u0661\u0661\u0661\u0661\u060c\u0661\u0661\u0661\u0661',
      '\u0664\u0661\u0661\u0661\u066c\u0661\u0661\u0661\u0661\u066c\u0661\u0661\u0661\u0661\u066c\u0661\u0661\u0661\u0661',
      '\u0664\u0661\u0661\u0661\u066b\u0661\u0661\u0661\u0661\u066b\u0661\u0661\u0661\u0661\u066b\u0661\u0661\u0661\u0661',
      // A mark after each digit (an acute, Arabic's shadda), the tatweel that stretches a word, and a number stored
      // backwards after a right-to-left override, which shows it forwards.
      [...'4111111111111111'].join('\u0301'),
      [...'\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661'].join('\u0651'),
      '\u0664\u0661\u0661\u0661\u0640\u0661\u0661\u0661\u0661\u0640\u0661\u0661\u0661\u0661\u0640\u0661\u0661\u0661\u0661',
      'ref \u202e1111 1111 1111 1114\u202c',
    ]) expect(holdsCardNumber(text), text).toBe(true);
  });

  it('lets through dates, times, phone numbers, versions and references', () => {
    for (const text of [
      '29.11.2026 020 7946 0958',
      '+44 20 7946 0958 ext 1234',
      '0044 20 7946 0958',
      '0800 123 4567 / 0800 765 4321',
      '2026.11.29 19:00 appeal',
      '2026-11-29-0001-0002-0003',
      'v1.2.3.4567.8901',
      '192.168.100.200.10.1',
      '1.000.000.000.000',
      'sms 70085 tv 2026 11 29 1900',
      '4111 1111 1111 1112',
      '4111\u00a01111\u00a01111\u00a01112',
      // Amounts grouped by thousands, with commas or Arabic's separator, and a short list of numbers.
      'raised 1,234,567,890,123 pence',
      '\u0661\u066c\u0662\u0663\u0664\u066c\u0665\u0666\u0667\u066c\u0668\u0669\u0660\u066c\u0661\u0662\u0663',
      'tables 12,14,16,18,20,22,24',
      // The same digits failing Luhn in Arabic-Indic, and an Arabic date and phone number.
      '\u0664\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0662',
      '\u0662\u0669/\u0661\u0661/\u0662\u0660\u0662\u0666 \u0660\u0662\u0660 \u0667\u0669\u0664\u0666 \u0660\u0669\u0665\u0668',
      'call 0800 123 4567 or 020 7946 0958',
      'appeal 29 - 11 - 2026 at 19:00',
      // Two numbers apart by more than one space or dash: joined, one pair in sixteen held a card-like stretch.
      'Helpline 020 4096 6583 \u2013 07771 311949',
      'Helpline 0161 247 1297 - 07999 735379',
      'BGC\t48-44-89\t33806164\t1664',
      // One unbroken reference of more than 19 digits (with a Visa test number in it) is not searched inside.
      'ref 00004111111111111111000',
    ]) expect(holdsCardNumber(text), text).toBe(false);
  });
});

describe('personRefProblem', () => {
  it("refuses a donor's mobile number as their id, as a text-giving aggregator would send it, and takes the ids sources use", () => {
    for (const phone of ['447700900123', '07700 900123', '+44 7700 900123', '+1 (415) 555-0132', '0770-090-0123']) {
      expect(personRefProblem(phone), phone).toMatch(/^must not be a phone number/);
    }
    for (const id of ['sup_1', '0035g00000JoQxA', 'cus_Nf3xYz', '123456789012', 'sf:0035g00000AbCdE@1', '7700900123', 'ivr-447700900123']) {
      expect(personRefProblem(id), id).toBeNull();
    }
    expect(personRefProblem('Jo.Bloggs@example.org')).toMatch(/^must not be an email address/);
  });
});

describe('webAddressProblem', () => {
  it("refuses a click's address whose query string holds an email address, escaped or not, and takes the rest", () => {
    for (const url of ['https://give.example.org/donate?email=jo.q@example.org&name=Jo', 'https://give.example.org/?e=jo.q%40example.org', 'https://x.org/p#contact=jo.q%40Example.ORG']) {
      expect(webAddressProblem(url), url).toMatch(/^must not hold an email address/);
    }
    for (const url of ['https://give.example.org/donate?utm_source=tv&amount=5', 'https://medium.com/@charity/appeal-2026.html', 'https://x.org/?q=100%', 'https://twitter.com/c/status/1234567890123456789?s=20']) {
      expect(webAddressProblem(url), url).toBeNull();
    }
  });
});


describe('maskCardsAndEmails', () => {
  it('writes every card number but its last four digits as *, and every email address as [email], leaving the rest', () => {
    expect(maskCardsAndEmails('J SMITH CARD 4111 1111 1111 1111 GIFT')).toBe('J SMITH CARD **** **** **** 1111 GIFT');
    expect(maskCardsAndEmails('4111111111111111')).toBe('************1111');
    expect(maskCardsAndEmails('order 2026 5555-5555-5555-4444 and 4111,1111,1111,1111')).toBe('order 2026 ****-****-****-4444 and ****,****,****,1111');
    expect(maskCardsAndEmails('JANE DOE jane.doe@example.com DONATION, cc J.Roe@Example.org')).toBe('JANE DOE [email] DONATION, cc [email]');
    // What is not a card number stays: a reference of 24 digits, a sort code and account, an amount.
    for (const text of ['REF 123456789012345678901234', '99-88-74 1515152252 GIFT 25.00', 'Helpline 020 4096 6583 - 07771 311949']) {
      expect(maskCardsAndEmails(text)).toBe(text);
    }
    // Written so that no plain reading finds where its digits are: the whole text goes.
    expect(maskCardsAndEmails('CARD ４１１１ １１１１ １１１１ １１１１')).toBe(CARD_TEXT_REMOVED);
    for (const text of ['J SMITH CARD 4111 1111 1111 1111 GIFT', 'x 4111111111111111 y 5555555555554444']) expect(holdsCardNumber(maskCardsAndEmails(text))).toBe(false);
  });
});
