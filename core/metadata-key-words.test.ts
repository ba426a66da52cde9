import { describe, expect, it } from 'vitest';
import { keyWords } from './metadata-key-words.js';
import { scrubPersonalData } from './pii.js';

/** What a key's value becomes inside a Stripe `metadata` map, through the same walk the raw trail's records take. */
const inMetadata = (key: string) => (scrubPersonalData({ metadata: { [key]: 'v' } }) as unknown as { metadata: Record<string, unknown> }).metadata[key];

// Until 2026-12-04 the words were matched as substrings: of the first table, `publicity_consent` (city), `appeal_title`,
// `appealTitle`, `campaign_name`, `campaignname`, `event_name`, `fundraising_page_title`, `mailing_list` (mail),
// `electricity_fund`, `capacity`, `authenticity_check` (city) and `titled_gift_scheme` lost their values in raw.
describe('Stripe metadata keys, read as words', () => {
  const kept = [
    'campaign', 'appeal_code', 'appealCode', 'publicity_consent', 'publicityConsent', 'utm_source', 'utm_medium', 'utm_campaign',
    'utm_content', 'utm_term', 'fund', 'fund_code', 'gift_aid_declaration', 'gift_aid_declaration_date', 'gift_aid', 'giftAid', 'channel',
    'donation_id', 'click_id', 'supporter_id', 'tribute_id', 'message_ref', 'donor_type', 'relationship', 'membership',
    'appeal_title', 'appealTitle', 'campaign_name', 'campaignName', 'campaignname', 'event_name', 'product_name', 'fundraising_page_title',
    'mailing_list', 'electricity_fund', 'capacity', 'authenticity_check', 'motel_code', 'titled_gift_scheme',
    'frequency', 'payment_method', 'source', 'form_version', 'ip_country_check',
    // choices about a contact detail, not the detail (redacted until 2026-12-04)
    'email_opt_in', 'emailOptIn', 'email_optin', 'phone_consent', 'sms_opt_out', 'mail_preferences', 'postal_permission',
    'email_subscribed',
  ];
  const redacted = [
    'name', 'Name', 'first_name', 'firstName', 'FirstName', 'first-name', 'last_name', 'lastname', 'surname', 'Forename', 'full_name',
    'donor_name', 'donorName', 'donorname', 'donor_name_ref', 'title', 'donor_title', 'job_title', 'salutation',
    'email', 'e_mail', 'donor_email', 'donorEmail', 'donoremail', 'email_ref', 'EmailAddress', 'receipt.email',
    'phone', 'donor_phone_number', 'phonenumber', 'Donor-Mobile', 'mobile', 'msisdn', 'telephone',
    'address', 'address_line1', 'address_line_2', 'addressLine2', 'line1', 'line_2', 'address1', 'homeaddress', 'street',
    'house_number', 'gift_aid_house', 'giftaid_housename', 'housename', 'town', 'city', 'donor_city', 'county',
    'postcode', 'post_code', 'postal_code', 'postCode', 'donor_postcode', 'zip', 'zip_code', 'billing_zip',
    'dob', 'date_of_birth', 'dateOfBirth', 'birthdate', 'birthday',
    'note', 'notes', 'donor_note', 'message', 'comments', 'in_memory_of', 'inMemoryOf', 'tribute', 'in_honour_of', 'dedication', 'recipient',
    'donor', 'supporter', 'contact', 'customer', 'payer', 'person',
    'ip', 'customer_purchase_ip', 'customerIp',
    'nationality', 'ethnicity', 'religion', 'health_condition', 'gender',
    'passport', 'passport_number', 'nino', 'ni_number_nino', 'national_insurance', 'NationalInsuranceNumber', 'ssn', 'donor_ssn',
    'driving_licence', 'iban', 'sort_code', 'sortCode', 'account_number', 'bank_account',
  ];

  it.each(kept)('keeps %s', (key) => {
    expect(inMetadata(key)).toBe('v');
  });
  it.each(redacted)('redacts %s', (key) => {
    expect(inMetadata(key)).toBe('[redacted]');
  });

  it('splits a key on _, -, ., spaces and camelCase, keeping a number with its word', () => {
    expect(keyWords('addressLine1')).toEqual(['address', 'line1']);
    expect(keyWords('Donor-Mobile')).toEqual(['donor', 'mobile']);
    expect(keyWords('receipt.email address')).toEqual(['receipt', 'email', 'address']);
    expect(keyWords('URLPath_utm')).toEqual(['url', 'path', 'utm']);
    expect(keyWords('__')).toEqual([]);
  });
});
