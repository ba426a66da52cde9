// Contracts for what suppliers fulfil and the feeds they read (issue #10). A giro request is a school's
// (an organisation's) request for a pack of giro forms: its name and postal address, never a person's.
import { defineContract } from './contract.js';
import { nonNegativeInt, string, timestamp } from './schema.js';

// A postcode and a school's reference have forms that leave no room for an email address or a card number (13 to
// 19 digits), and the feed hands both to a print house: until 2026-12-06 they took any text (a security review).
// The postcode's form fits every country's (`SW1A 1AA`, `D02 X285`, `12345-6789`, `00-950`, `K1A 0B1`).
const POSTCODE = /^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,8}[A-Za-z0-9])?$/;
// A DfE URN is 6 digits, a Scottish SEED code 7, a Welsh or Northern Irish reference 7 (`661/4023` written with its slash).
const SCHOOL_REFERENCE = /^[A-Za-z0-9](?:[A-Za-z0-9/-]{0,10}[A-Za-z0-9])?$/;

const common = {
  occurred_at: timestamp().doc('When it happened at the source (UTC); partitions by its date'),
  updated_at: timestamp().optional().doc('When the source says this version changed; latest wins'),
};

export const school_giro_request = defineContract({
  name: 'school_giro_request',
  version: 1,
  doc: 'A school asked for a pack of giro (paying-in) forms for its fundraising; a print house sends them',
  fields: {
    school_giro_request_id: string(),
    ...common,
    // Free text (a producer's email address or card number in it is refused): the supplier feed serves these as
    // they land, and until 2026-12-06 a person's email and card number typed into them reached the print house.
    school_name: string().freeText().doc("The school's name (an organisation, not a person)"),
    school_urn: string()
      .optional()
      .shaped(SCHOOL_REFERENCE, "a school's reference: letters and digits, with / or - between, up to 12 characters")
      .doc("The school's official reference (e.g. the DfE URN in England)"),
    address_line1: string().freeText().doc("The school's postal address"),
    address_line2: string().optional().freeText(),
    town: string().freeText(),
    postcode: string().shaped(POSTCODE, 'a postcode: letters and digits, with spaces or hyphens between, up to 10 characters'),
    country: string().optional().doc('ISO 3166-1 alpha-2; absent means the campaign country'),
    pack_size: nonNegativeInt().doc('How many giro forms to print and send'),
    requested_at: timestamp(),
    campaign: string().optional().freeText(),
  },
});

/** One fetch of a supplier feed, recorded for audit: who (the key's label, never the key), what, how much. */
export const feed_fetch = defineContract({
  name: 'feed_fetch',
  version: 1,
  doc: 'A supplier fetched a page of a feed',
  fields: {
    feed_fetch_id: string(),
    ...common,
    feed: string(),
    key_label: string().doc('Which configured key, by position (feed#2), never the key itself'),
    after: string().optional().doc('The cursor asked for (absent: from the start)'),
    next: string().optional().doc('The cursor answered'),
    rows: nonNegativeInt().doc('How many rows the page served'),
  },
});
