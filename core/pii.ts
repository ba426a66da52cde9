import { createHash } from 'node:crypto';
import { metadataKeyLooksPersonal } from './metadata-key-words.js';

/**
 * Supporters are matched across sources by email without storing it: SHA-256 hex of the trimmed,
 * lower-cased address. Every connector must hash the same way, or the same person never joins up.
 */
export function emailSha256(email: string | null | undefined): string | null {
  if (typeof email !== 'string') return null;
  const normalised = email.trim().toLowerCase();
  if (normalised === '') return null;
  return createHash('sha256').update(normalised, 'utf8').digest('hex');
}

// Fields that hold a person's details or card data in provider records (Stripe billing_details,
// customer_details, card; Braintree customer, billing, credit-card; Salesforce contact fields).
// The raw trail keeps the record's shape for audit, with these values replaced. A card's (or a bank account's) last
// four digits and its brand are kept: they are what a receipt shows, what PCI DSS lets a merchant keep, and what
// payment v4 holds for care to find "the charge on my card ending 4444" (core/contracts/payment-card.ts). Until
// 2026-12-07 `last4` was redacted here.
const PERSONAL = new Set([
  'email', 'receipt_email', 'phone', 'name', 'first_name', 'last_name', 'firstname', 'lastname', 'address',
  'line1', 'line2', 'address_line1', 'address_line2', 'address_city', 'address_state', 'postal_code', 'postcode', 'billing_details', 'shipping', 'shipping_details', 'customer_details',
  'billing', 'fingerprint', 'iin', 'pan', 'cc_number', 'exp_month', 'exp_year', 'expiration_month', 'expiration_year', 'bin',
  'cardholder_name', 'card_number', 'number', 'cvc', 'cvv', 'iban', 'account_number', 'sort_code', 'ip_address',
  'customeremail', 'customer_email', 'mobilephone', 'homephone', 'mailingstreet', 'mailingpostalcode',
  // Braintree, whose SDK camelCases every XML element (`account-holder-name` -> `accountHolderName`)
  'cardholdername', 'accountholdername', 'maskednumber', 'expirationdate', 'uniquenumberidentifier', 'routingnumber',
  'streetaddress', 'extendedaddress', 'locality', 'region', 'countryname', 'company', 'website', 'fax',
  'billingaddress', 'shippingaddress', 'payerinfo', 'payeremail', 'payerfirstname', 'payerlastname', 'payerid',
  'customerip', 'devicedata', 'username', 'venmouserid', 'bic', 'ibanlastchars',
  // Freshdesk: contacts' and tickets' other addresses, mobiles, social handles, and the free text a
  // supporter writes (their name, address and order numbers end up there)
  'mobile', 'twitter_id', 'facebook_id', 'description', 'description_text', 'ticket_description', 'ticket_subject',
  // Braintree's status history names who made each change (`user`: a Control Panel login, a member of staff):
  // kept until 2026-12-07 (a security review)
  'user',
  // Stripe's dispute evidence: the donor's name, email, addresses, purchase IP and free-text explanations
  'evidence',
  // Stripe's charge receipt: a link anyone holding it can open, to a page with the card's brand and last four and the
  // donor's email (kept in raw until 2026-12-06: a user test, an auditor)
  'receipt_url',
  // Stripe Checkout's custom fields: what the donor typed into the page's own boxes (a name for the tribute, a
  // Gift Aid house name, a phone), under generic keys (`text.value`, `dropdown.value`) nothing else here would catch
  'custom_fields',
  // Stripe's subscription `cancellation_details.comment`: what the supporter typed when cancelling in the customer
  // portal (why they stopped: an illness, a bereavement, their new address). Its `reason` and `feedback` are codes.
  'comment',
]);
/** Free text that holds personal data when it is text: Freshdesk's ticket `subject` (Braintree's `subject` is an object, walked as usual). */
const PERSONAL_TEXT = new Set(['subject']);
/** And any name, email, phone, address or postcode field, whoever it belongs to (`payerName`, `reviewerEmail`, a charity's own metadata `donor_postcode`). */
const PERSONAL_SUFFIX = /(name|email|emails|phone|address|postalcode|postcode|zipcode|zip)$/;
/** An IP address under any name (`customer_purchase_ip`, `customerIp`, `ip`), read before case and underscores go (`relationship` is not one). */
const IP_KEY = /(?:^|_)ip$|[a-z]Ip$|^IP$/;

/**
 * Whether a key names personal data, in any case and with or without underscores (Stripe's
 * `billing_details`, Braintree's `firstName`, Salesforce's `MailingStreet`). Memoised: provider
 * records repeat the same few hundred keys, and this runs on every pulled record.
 */
const NORMALISED = new Set([...PERSONAL].map((k) => k.replace(/_/g, '')));
const verdicts = new Map<string, boolean>();
function isPersonal(key: string): boolean {
  let v = verdicts.get(key);
  if (v === undefined) {
    const k = key.toLowerCase().replace(/_/g, '');
    v = NORMALISED.has(k) || PERSONAL_SUFFIX.test(k) || IP_KEY.test(key);
    if (verdicts.size < 10_000) verdicts.set(key, v);
  }
  return v;
}

/**
 * Maps of keys a charity chooses itself: Stripe's `metadata` (on charges, payment intents, checkout sessions,
 * customers, refunds, payouts, and in webhook events' `previous_attributes`). Donation forms and staff put a
 * supporter's details there under names of their own (`donor_email`, `first_name`, `address_line1`, `donor_note`,
 * `gift_aid_house`), which the rules above, made for the providers' own field names, partly miss. (Braintree's
 * custom fields, `customFields`, and Freshdesk's `custom_fields` are `[redacted]` whole, by `custom_fields` above.)
 */
const CHOSEN_KEYS = new Set(['metadata']);
/**
 * Inside such a map a key is read word by word (core/metadata-key-words.ts): split on `_`, `-`, `.`, spaces and
 * camelCase, it looks personal when one of its words (or two adjacent ones joined: `post_code`, `first_name`,
 * `e_mail`) names a person, a contact detail, an address part, a birth date or a note. Whole words, not
 * substrings: until 2026-12-04 `publicity_consent` was redacted for the `city` in it and `appeal_title` for its
 * `title`, and finance lost a charity's campaign and appeal codes from `raw`.
 */
const chosenVerdicts = new Map<string, boolean>();
/** Whether a key inside `metadata` looks personal (memoised as isPersonal is). */
function isChosenPersonal(key: string): boolean {
  let v = chosenVerdicts.get(key);
  if (v === undefined) {
    v = NORMALISED.has(key.toLowerCase().replace(/[_\-\s.]/g, '')) || IP_KEY.test(key) || metadataKeyLooksPersonal(key);
    if (chosenVerdicts.size < 10_000) chosenVerdicts.set(key, v);
  }
  return v;
}

/** What a personal or card field's value becomes in the raw trail and quarantine. */
export const REDACTED_TEXT = '[redacted]';

declare const REDACTED: unique symbol;
/**
 * A record whose personal and card fields were replaced by '[redacted]': the only kind of provider
 * record the raw trail and quarantine take (Origin.raw), so a path that forgets to redact does not compile.
 */
export type Redacted = { readonly [REDACTED]: true };

/** A deep copy with personal and card fields replaced by '[redacted]' (nulls stay null). */
export function scrubPersonalData(value: unknown): Redacted {
  return redact(value, 0, false) as Redacted;
}

/**
 * The same, in place: for a record its reader owns and has finished mapping (the engine's pages), where
 * a copy of every pulled record was a tenth of the work of a sync. Returns the record; what cannot change
 * in place (a Date, a frozen object, a read-only property anywhere inside) comes back as a scrubbed copy.
 */
export function redactPersonalData(value: unknown): Redacted {
  if (value === null || typeof value !== 'object' || value instanceof Date || Object.isFrozen(value)) return scrubPersonalData(value);
  try {
    return redact(value, 0, true) as Redacted;
  } catch {
    // A part that cannot change (frozen deeper down, a read-only property): a copy instead. What was
    // already replaced in place is '[redacted]' in the copy too.
    return scrubPersonalData(value);
  }
}

/** Levels of nesting the walk reads; an object or array below them is replaced, never kept unread. */
const MAX_DEPTH = 32;
/** What an object or array nested past MAX_DEPTH becomes: no provider record is that deep. */
export const TOO_DEEP_TEXT = '[too deep]';

/**
 * One walk for both: `inPlace` writes only what changes into the record itself, else builds a copy. Past
 * MAX_DEPTH it fails closed: until 2026-12-02 what lay deeper was kept as it came, personal fields included, and
 * a body nested 100,000 levels (a signed or authenticated webhook) could not be serialised, a 503 for ever.
 */
function redact(value: unknown, depth: number, inPlace: boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return value instanceof Date ? redact(value, 0, inPlace) : TOO_DEEP_TEXT;
  // SDKs hand back Dates (Braintree): keep the time, not an empty object.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) {
    const out = inPlace ? value : new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const r = redact(v, depth + 1, inPlace);
      if (!inPlace || r !== v) out[i] = r;
    }
    return out;
  }
  return redactEntries(value as Record<string, unknown>, depth, inPlace, isPersonal);
}

/**
 * A card's or an account's last four, kept (see PERSONAL above) only when it is four digits: a `last4` holding more
 * (a whole number typed into a form's metadata, a provider's garbage) is redacted like the number it may be.
 */
const LAST_FOUR_KEYS = new Set(['last4', 'last_4', 'lastfour', 'last_four']);
const notFourDigits = (k: string, v: unknown) => LAST_FOUR_KEYS.has(k.toLowerCase()) && !(typeof v === 'string' && /^[0-9]{4}$/.test(v));

/** An object's entries, each value whose key `personal` names replaced, and every other one walked. */
function redactEntries(src: Record<string, unknown>, depth: number, inPlace: boolean, personal: (key: string) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = inPlace ? src : {};
  for (const k in src) {
    const v = src[k];
    const r =
      v === null || v === undefined ? v
      : personal(k) || (typeof v === 'string' && PERSONAL_TEXT.has(k)) || notFourDigits(k, v) ? REDACTED_TEXT
      : typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && isChosenMap(k) ? chosenMap(v as Record<string, unknown>, depth + 1, inPlace)
      : typeof v === 'object' ? redact(v, depth + 1, inPlace)
      : v;
    if (!inPlace || r !== v) out[k] = r;
  }
  return out;
}

const isChosenMap = (key: string) => CHOSEN_KEYS.has(key.toLowerCase().replace(/_/g, ''));

/** A `metadata` or custom-fields map: its personal-looking keys' values '[redacted]' (the keys stay, for the shape). */
function chosenMap(map: Record<string, unknown>, depth: number, inPlace: boolean): unknown {
  if (depth > MAX_DEPTH) return TOO_DEEP_TEXT;
  return redactEntries(map, depth, inPlace, isChosenPersonal);
}
