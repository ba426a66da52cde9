import type { Mapped } from '../../core/engine/mapped.js';
import { RecordError } from '../../core/errors.js';
import { toMinorUnits } from '../../core/money.js';
import { emailSha256 } from '../../core/pii.js';
import { isoInstantMs } from '../../core/time.js';
import { withNamespace } from './config.js';

// Salesforce records -> contracts. Pure: no I/O. Amounts arrive as JSON numbers (String(n) keeps the
// decimal digits Salesforce sent, then the exact converter); datetimes as `...000+0000`; dates as YYYY-MM-DD.

export type SfRecord = Record<string, unknown>;

/**
 * Field names here are as the settings write them; each is read under the org's namespace (withNamespace, the one
 * rule the queries follow too: config.ts). Until 2026-12-03 the gift-aid and donation-id fields were read as written:
 * `npsp__...` named in either landed every record with it null in an org of another namespace or none.
 */
export interface SalesforceMapOptions {
  namespace: string;
  /** Single-currency orgs have no CurrencyIsoCode. */
  currency: string;
  paymentRefFields: string[];
  donationIdField: string | null;
  /** A Contact checkbox saying the supporter made a Gift Aid declaration (SALESFORCE_GIFT_AID_FIELD). */
  giftAidField?: string | null;
  /** Record type id -> DeveloperName, from describe (client.ts); an id it does not list is kept as the id. */
  recordTypes?: ReadonlyMap<string, string>;
}

export const PROVIDER = 'salesforce';

/** A Salesforce datetime as the contracts' ISO instant; a RecordError (quarantine) when it is not one. */
export function sfTime(v: unknown, field: string): string {
  const ms = isoInstantMs(v);
  if (Number.isNaN(ms)) throw new RecordError(`${field} is not a Salesforce datetime`, [{ path: field, message: 'is not a datetime' }]);
  return new Date(ms).toISOString();
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const date = (v: unknown): string | null => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);

/** An amount (JSON number, or the decimal string Bulk CSV gives) as exact minor units; null stays null. */
export function minor(v: unknown, currency: string, field: string): number | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'number' && typeof v !== 'string') throw new RecordError(`${field} is not an amount`, [{ path: field, message: 'is not an amount' }]);
  return toMinorUnits(String(v), currency);
}

/** The record type's DeveloperName (stable across orgs and languages, unlike its label), else its id. */
const recordType = (r: SfRecord, o: SalesforceMapOptions | undefined) => {
  const id = str(r.RecordTypeId);
  return id === null ? null : (o?.recordTypes?.get(id) ?? id);
};
const currencyOf = (r: SfRecord, o: SalesforceMapOptions) => str(r.CurrencyIsoCode)?.toUpperCase() ?? o.currency;

/** The outward code of a UK postcode ("SW1A 1AA" -> "SW1A"): a district, not a person. */
export function postcodeDistrict(v: unknown): string | null {
  const s = str(v)?.toUpperCase().replace(/\s+/g, '');
  if (!s || !/^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/.test(s)) return null;
  return s.slice(0, -3);
}

const versionTimes = (r: SfRecord) => ({ occurred_at: sfTime(r.CreatedDate, 'CreatedDate'), updated_at: sfTime(r.SystemModstamp, 'SystemModstamp') });

export function mapCampaign(r: SfRecord, o: SalesforceMapOptions): Mapped[] {
  const currency = currencyOf(r, o);
  return [{
    contract: 'campaign', version: 1,
    payload: {
      campaign_id: r.Id, ...versionTimes(r), name: str(r.Name) ?? String(r.Id),
      // The campaign contract has no deleted flag: a deleted campaign says so in its status.
      status: r.IsDeleted === true ? 'deleted' : str(r.Status),
      starts_on: date(r.StartDate), ends_on: date(r.EndDate),
      target_minor: minor(r.ExpectedRevenue, currency, 'ExpectedRevenue'), currency,
    },
  }];
}

/**
 * A contact as `supporter` v2. A deleted (or merged-away) contact keeps no personal field, not even the email hash,
 * as Stripe's deleted customers: a deletion is often an erasure request, and the deleted version supersedes the
 * live ones (queries keep the latest version of a key). queryAll still returns the row's Email and address.
 */
export function mapContact(r: SfRecord, o?: SalesforceMapOptions): Mapped[] {
  const merged = str(r.MasterRecordId);
  const deleted = r.IsDeleted === true;
  return [{
    contract: 'supporter', version: 2,
    payload: {
      supporter_id: r.Id, ...versionTimes(r), source: PROVIDER, crm_id: r.Id,
      email_sha256: deleted ? null : emailSha256(str(r.Email)), postcode_district: deleted ? null : postcodeDistrict(r.MailingPostalCode),
      gift_aid_declared: o?.giftAidField ? bool(r[withNamespace(o.giftAidField, o.namespace)]) : null,
      deleted, merged_into: merged,
    },
  }];
}

export function mapOpportunity(r: SfRecord, o: SalesforceMapOptions): Mapped[] {
  const n = (f: string) => r[withNamespace(f, o.namespace)];
  const currency = currencyOf(r, o);
  const amount = minor(r.Amount, currency, 'Amount');
  if (amount === null) throw new RecordError('Opportunity has no Amount', [{ path: 'Amount', message: 'is required for a gift' }]);
  return [{
    contract: 'gift', version: 2,
    payload: {
      gift_id: r.Id, ...versionTimes(r), supporter_id: str(n('npsp__Primary_Contact__c')), campaign_id: str(r.CampaignId),
      amount_minor: amount, currency, stage: str(r.StageName), close_date: date(r.CloseDate), deleted: r.IsDeleted === true,
      is_won: bool(r.IsWon), record_type: recordType(r, o), account_id: str(r.AccountId),
      recurring_donation_id: str(r.npe03__Recurring_Donation__c), donation_id: o.donationIdField ? str(n(o.donationIdField)) : null,
    },
  }];
}

export function mapPayment(r: SfRecord, o: SalesforceMapOptions): Mapped[] {
  const n = (f: string) => r[withNamespace(f, o.namespace)];
  const currency = currencyOf(r, o);
  const amount = minor(r.npe01__Payment_Amount__c, currency, 'npe01__Payment_Amount__c');
  if (amount === null) throw new RecordError('payment has no npe01__Payment_Amount__c', [{ path: 'npe01__Payment_Amount__c', message: 'is required' }]);
  const ref = o.paymentRefFields.map((f) => str(n(f))).find((v) => v !== null) ?? null;
  return [{
    contract: 'gift_payment', version: 1,
    payload: {
      gift_payment_id: r.Id, ...versionTimes(r), gift_id: str(r.npe01__Opportunity__c), amount_minor: amount, currency,
      paid: bool(r.npe01__Paid__c), written_off: bool(r.npe01__Written_Off__c), payment_date: date(r.npe01__Payment_Date__c),
      scheduled_date: date(r.npe01__Scheduled_Date__c), method: str(r.npe01__Payment_Method__c), payment_ref: ref,
      original_payment_id: str(n('npsp__OriginalPayment__c')), deleted: r.IsDeleted === true,
    },
  }];
}

export function mapRecurringDonation(r: SfRecord, o: SalesforceMapOptions): Mapped[] {
  const n = (f: string) => r[withNamespace(f, o.namespace)];
  const currency = currencyOf(r, o);
  const freq = n('npsp__InstallmentFrequency__c');
  return [{
    contract: 'recurring_donation', version: 2,
    payload: {
      recurring_donation_id: r.Id, ...versionTimes(r), supporter_id: str(r.npe03__Contact__c), account_id: str(r.npe03__Organization__c),
      amount_minor: minor(r.npe03__Amount__c, currency, 'npe03__Amount__c'), currency,
      installment_period: str(r.npe03__Installment_Period__c), installment_frequency: typeof freq === 'number' && Number.isInteger(freq) ? freq : null,
      status: str(n('npsp__Status__c')), recurring_type: str(n('npsp__RecurringType__c')), commitment_id: str(n('npsp__CommitmentId__c')),
      end_date: date(n('npsp__EndDate__c')), closed_reason: str(n('npsp__ClosedReason__c')),
      deleted: r.IsDeleted === true,
    },
  }];
}

export function mapAllocation(r: SfRecord, o: SalesforceMapOptions): Mapped[] {
  const n = (f: string) => r[withNamespace(f, o.namespace)];
  const currency = currencyOf(r, o);
  const amount = minor(n('npsp__Amount__c'), currency, 'npsp__Amount__c');
  const percent = n('npsp__Percent__c');
  return [{
    contract: 'gift_allocation', version: 1,
    payload: {
      gift_allocation_id: r.Id, ...versionTimes(r), gift_id: str(n('npsp__Opportunity__c')), gift_payment_id: str(n('npsp__Payment__c')),
      recurring_donation_id: str(n('npsp__Recurring_Donation__c')), campaign_id: str(n('npsp__Campaign__c')), fund_id: str(n('npsp__General_Accounting_Unit__c')),
      amount_minor: amount, currency: amount === null ? null : currency,
      percent: typeof percent === 'number' || typeof percent === 'string' ? String(percent) : null, deleted: r.IsDeleted === true,
    },
  }];
}

export function mapAccount(r: SfRecord, o?: SalesforceMapOptions): Mapped[] {
  return [{
    contract: 'crm_account', version: 1,
    payload: {
      crm_account_id: r.Id, ...versionTimes(r), account_type: str(r.npe01__SYSTEM_AccountType__c), record_type: recordType(r, o),
      postcode_district: postcodeDistrict(r.BillingPostalCode), deleted: r.IsDeleted === true, merged_into: str(r.MasterRecordId),
    },
  }];
}

export function mapContactRole(r: SfRecord): Mapped[] {
  return [{
    contract: 'gift_contact_role', version: 1,
    payload: {
      gift_contact_role_id: r.Id, ...versionTimes(r), gift_id: str(r.OpportunityId), supporter_id: str(r.ContactId), role: str(r.Role),
      is_primary: bool(r.IsPrimary), deleted: r.IsDeleted === true,
    },
  }];
}

/** Leads are not supporters: a lead's membership maps to nothing. */
export function mapCampaignMember(r: SfRecord): Mapped[] {
  const contact = str(r.ContactId);
  if (!contact) return [];
  return [{
    contract: 'campaign_member', version: 1,
    payload: {
      campaign_member_id: r.Id, ...versionTimes(r), campaign_id: str(r.CampaignId), supporter_id: contact, status: str(r.Status),
      responded: bool(r.HasResponded), deleted: r.IsDeleted === true,
    },
  }];
}
