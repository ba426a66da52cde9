/**
 * Whether a key a charity chose itself (Stripe `metadata`) names personal data, read as words: the key is split on
 * `_`, `-`, `.`, spaces and camelCase (`addressLine1` -> address, line1; `Donor-Mobile` -> donor, mobile), and a
 * word, or two adjacent words joined (`post_code`, `first_name`, `e_mail`, `line_1`), is looked up whole. Until
 * 2026-12-04 the words were found anywhere in the key, as substrings: `publicity_consent` was redacted for the
 * `city` in it, `appeal_title` for its `title`, and finance lost the charity's own attribution from `raw`.
 *
 * Fail-closed where a word is ambiguous: `name` and `title` are personal unless another word of the key says
 * what they name (`campaign_name`, `appealTitle`, `campaignname` stay; `donor_title`, `job_title`, `title` go); a
 * word that cannot be split (`donoremail`, `phonenumber`, `donorname`) is personal when it starts or ends with a
 * personal word.
 */

/** A word that names a person, reaches them, places them, dates their birth, or holds free text about them. */
const PERSONAL_WORDS = new Set([
  // names
  'surname', 'forename', 'firstname', 'lastname', 'fullname', 'givenname', 'familyname', 'middlename', 'maidenname',
  'nickname', 'initials', 'salutation', 'username',
  // contact
  'email', 'mail', 'phone', 'telephone', 'tel', 'mobile', 'msisdn', 'cellphone', 'landline', 'fax',
  // address parts
  'address', 'addr', 'street', 'line1', 'line2', 'line3', 'line4', 'postcode', 'postal', 'zip', 'zipcode', 'city',
  'town', 'county', 'house', 'housename', 'housenumber',
  // birth
  'dob', 'birth', 'birthday', 'birthdate', 'dateofbirth',
  // free text, and who a gift is about
  'note', 'message', 'comment', 'tribute', 'memory', 'honour', 'honor', 'honoree', 'honouree', 'dedication',
  'dedicate', 'dedicated', 'recipient',
  // special-category data
  'nationality', 'ethnic', 'ethnicity', 'religion', 'religious', 'health', 'disability', 'gender',
  // numbers that identify a person or reach their money (`national_insurance`, `sort_code` and `account_number` as
  // joined pairs); since 2026-12-04
  'passport', 'nino', 'ssn', 'nationalinsurance', 'socialsecurity', 'drivinglicence', 'drivinglicense', 'licence',
  'license', 'iban', 'sortcode', 'accountnumber', 'bankaccount',
]);

/**
 * The last word (or last two joined: `opt_in`) of a key that is a choice about a contact detail, not the detail:
 * `email_opt_in`, `phoneConsent`, `mail_preference` keep their yes or no (a charity's fundraising consent, which
 * finance and the CRM need). Redacted until 2026-12-04 for the `email` in them.
 */
const CHOICE_WORDS = new Set(['optin', 'optout', 'consent', 'preference', 'permission', 'subscribed', 'unsubscribed']);

/** Personal unless another word of the key says what they name (`campaign_name`). */
const QUALIFIED_WORDS = new Set(['name', 'title']);
/** What a `name` or `title` may belong to without naming a person. */
const THING_WORDS = new Set([
  'campaign', 'appeal', 'fund', 'event', 'product', 'form', 'page', 'team', 'plan', 'price', 'item', 'package',
  'project', 'source', 'medium', 'utm', 'file', 'list', 'segment', 'programme', 'program', 'tier', 'membership',
  'scheme', 'channel', 'site', 'store', 'shop', 'ticket', 'lottery', 'raffle', 'draw', 'prize',
]);

/** A key that is exactly one of these is the person (`donor`), while `donor_id` or `donor_type` is not. */
const WHOLE_KEY_PERSON = new Set(['donor', 'supporter', 'contact', 'payer', 'person', 'customer']);

/** A word starting or ending with one of these (`phonenumber`, `donoremail`, `homeaddress`). */
const PREFIXES = ['email', 'phone', 'mobile', 'address', 'postcode', 'surname', 'forename', 'firstname', 'lastname', 'fullname', 'house', 'street', 'birth', 'dateofbirth', 'inmemory', 'inhonour', 'inhonor'];
const SUFFIXES = ['email', 'phone', 'mobile', 'address', 'addr', 'postcode', 'zipcode', 'surname', 'birth', 'note', 'message', 'comment'];

/** The last word that makes a key an id (`tribute_id`, `message_ref`): the source's own id, kept ... */
const ID_WORDS = new Set(['id', 'ref', 'reference', 'key']);
/** ... unless the key says it is a contact detail (`email_ref`, `donor_name_ref`). */
const CONTACT_WORDS = new Set([
  'name', 'surname', 'forename', 'firstname', 'lastname', 'fullname', 'email', 'mail', 'phone', 'telephone', 'mobile',
  'msisdn', 'address', 'addr', 'postcode', 'zip', 'zipcode',
]);

/** The key's words, lower-cased: `addressLine1` -> [address, line1]; `Donor-Mobile` -> [donor, mobile]; `URLPath` -> [url, path]. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** The forms a word is looked up in: as written, without a trailing number (`address1`), singular (`notes`, `addresses`). */
function forms(word: string): string[] {
  const bare = /^line\d$/.test(word) ? word : word.replace(/\d+$/, '');
  const out = [bare];
  if (bare.endsWith('es')) out.push(bare.slice(0, -2));
  if (bare.endsWith('s')) out.push(bare.slice(0, -1));
  return out;
}

const isIn = (set: Set<string>, word: string) => forms(word).some((f) => set.has(f));

export function metadataKeyLooksPersonal(key: string): boolean {
  const words = keyWords(key);
  if (words.length === 0) return false;
  if (words.length === 1 && isIn(WHOLE_KEY_PERSON, words[0]!)) return true;
  // Each word and each adjacent pair joined (`first_name` -> firstname, `post_code` -> postcode).
  const looked = [...words, ...words.slice(1).map((w, i) => words[i]! + w)];
  const last = words[words.length - 1]!;
  if (words.length > 1 && ID_WORDS.has(last) && !looked.some((w) => isIn(CONTACT_WORDS, w))) return false;
  const lastPair = words.length > 1 ? words[words.length - 2]! + last : '';
  if (words.length > 1 && (isIn(CHOICE_WORDS, last) || CHOICE_WORDS.has(lastPair))) return false;
  if (looked.some((w) => isIn(PERSONAL_WORDS, w))) return true;
  for (const word of words) {
    const w = forms(word)[0]!;
    if (PREFIXES.some((p) => w.length > p.length && w.startsWith(p))) return true;
    if (SUFFIXES.some((s) => w.length > s.length && w.endsWith(s))) return true;
    // `name` or `title`, alone or ending a word (`donorname`): personal unless a word, or the word's own head
    // (`campaignname`), says what it names.
    const q = [...QUALIFIED_WORDS].find((s) => w === s || w.endsWith(s));
    if (q !== undefined && !isIn(THING_WORDS, w.slice(0, -q.length)) && !words.some((o) => isIn(THING_WORDS, o))) return true;
  }
  return false;
}
