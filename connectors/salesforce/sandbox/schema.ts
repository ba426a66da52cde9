// The NPSP objects the sandbox holds, with the describe types of their fields (managed-package names).
// Formula fields are marked `calculated`, as describe marks them: the connector must never map them.

export type FieldType = 'id' | 'reference' | 'string' | 'email' | 'picklist' | 'boolean' | 'currency' | 'double' | 'percent' | 'date' | 'datetime';

export interface FieldSpec {
  type: FieldType;
  calculated?: boolean;
}

const system: Record<string, FieldSpec> = {
  Id: { type: 'id' },
  IsDeleted: { type: 'boolean' },
  CreatedDate: { type: 'datetime' },
  LastModifiedDate: { type: 'datetime' },
  SystemModstamp: { type: 'datetime' },
};

/** Only multi-currency orgs have it: the sandbox hides it unless asked for one (see Org). */
const currencyCode: Record<string, FieldSpec> = { CurrencyIsoCode: { type: 'picklist' } };

/** A record type as describe lists it (`recordTypeInfos`); ids start 012, as Salesforce's do. */
export interface RecordTypeSpec {
  id: string;
  developerName: string;
  name: string;
}

/** Every object with record types also has the master one, which records never carry once others exist. */
export const MASTER_RECORD_TYPE: RecordTypeSpec = { id: '012000000000000AAA', developerName: 'Master', name: 'Master' };

/** The NPSP record types the seed uses (the package's own developer names). */
export const RECORD_TYPES = {
  householdAccount: { id: '0128d000000HHacAAA', developerName: 'HH_Account', name: 'Household Account' },
  organization: { id: '0128d000000ORGaAAA', developerName: 'Organization', name: 'Organization' },
  donation: { id: '0128d000000DONoAAA', developerName: 'Donation', name: 'Donation' },
  majorGift: { id: '0128d000000MAJoAAA', developerName: 'MajorGift', name: 'Major Gift' },
} satisfies Record<string, RecordTypeSpec>;

export const OBJECTS: Record<string, { keyPrefix: string; fields: Record<string, FieldSpec>; recordTypes?: RecordTypeSpec[] }> = {
  // The org itself: one row, its Id the org id (a refreshed sandbox is a new org, with a new id).
  Organization: {
    keyPrefix: '00D',
    fields: { ...system, Name: { type: 'string' }, IsSandbox: { type: 'boolean' }, OrganizationType: { type: 'picklist' } },
  },
  Campaign: {
    keyPrefix: '701',
    fields: { ...system, ...currencyCode, Name: { type: 'string' }, Status: { type: 'picklist' }, StartDate: { type: 'date' }, EndDate: { type: 'date' }, ExpectedRevenue: { type: 'currency' }, IsActive: { type: 'boolean' } },
  },
  Account: {
    keyPrefix: '001',
    fields: {
      ...system, Name: { type: 'string' }, RecordTypeId: { type: 'reference' }, npe01__SYSTEM_AccountType__c: { type: 'string' }, BillingPostalCode: { type: 'string' },
      MasterRecordId: { type: 'reference' }, npo02__TotalOppAmount__c: { type: 'currency', calculated: true },
    },
    recordTypes: [MASTER_RECORD_TYPE, RECORD_TYPES.householdAccount, RECORD_TYPES.organization],
  },
  CampaignMember: {
    keyPrefix: '00v',
    fields: { ...system, CampaignId: { type: 'reference' }, ContactId: { type: 'reference' }, LeadId: { type: 'reference' }, Status: { type: 'picklist' }, HasResponded: { type: 'boolean' } },
  },
  OpportunityContactRole: {
    keyPrefix: '00K',
    fields: { ...system, OpportunityId: { type: 'reference' }, ContactId: { type: 'reference' }, Role: { type: 'picklist' }, IsPrimary: { type: 'boolean' } },
  },
  Contact: {
    keyPrefix: '003',
    fields: {
      ...system, FirstName: { type: 'string' }, LastName: { type: 'string' }, Email: { type: 'email' }, MailingPostalCode: { type: 'string' },
      Gift_Aid_Declared__c: { type: 'boolean' }, AccountId: { type: 'reference' }, MasterRecordId: { type: 'reference' }, npo02__TotalOppAmount__c: { type: 'currency' },
    },
  },
  Opportunity: {
    keyPrefix: '006',
    fields: {
      ...system, ...currencyCode, Name: { type: 'string' }, AccountId: { type: 'reference' }, Amount: { type: 'currency' }, CloseDate: { type: 'date' },
      StageName: { type: 'picklist' }, IsWon: { type: 'boolean' }, IsClosed: { type: 'boolean' }, CampaignId: { type: 'reference' }, RecordTypeId: { type: 'reference' },
      npsp__Primary_Contact__c: { type: 'reference' }, npe03__Recurring_Donation__c: { type: 'reference' }, Donation_ID__c: { type: 'string' },
      npsp__Amount_Outstanding__c: { type: 'currency', calculated: true },
    },
    recordTypes: [MASTER_RECORD_TYPE, RECORD_TYPES.donation, RECORD_TYPES.majorGift],
  },
  npe01__OppPayment__c: {
    keyPrefix: 'a01',
    fields: {
      ...system, ...currencyCode, npe01__Opportunity__c: { type: 'reference' }, npe01__Payment_Amount__c: { type: 'currency' }, npe01__Payment_Date__c: { type: 'date' },
      npe01__Scheduled_Date__c: { type: 'date' }, npe01__Paid__c: { type: 'boolean' }, npe01__Written_Off__c: { type: 'boolean' },
      npe01__Payment_Method__c: { type: 'picklist' }, npe01__Check_Reference_Number__c: { type: 'string' }, npsp__Gateway_Payment_ID__c: { type: 'string' },
      npsp__Elevate_Payment_ID__c: { type: 'string' }, npsp__OriginalPayment__c: { type: 'reference' }, npsp__Type__c: { type: 'picklist' },
    },
  },
  npe03__Recurring_Donation__c: {
    keyPrefix: 'a09',
    fields: {
      ...system, ...currencyCode, npe03__Amount__c: { type: 'currency' }, npe03__Contact__c: { type: 'reference' }, npe03__Organization__c: { type: 'reference' },
      npe03__Installment_Period__c: { type: 'picklist' }, npsp__InstallmentFrequency__c: { type: 'double' }, npsp__Status__c: { type: 'picklist' },
      npsp__RecurringType__c: { type: 'picklist' }, npsp__CommitmentId__c: { type: 'string' }, npsp__EndDate__c: { type: 'date' },
      npsp__ClosedReason__c: { type: 'picklist' },
    },
  },
  npsp__Allocation__c: {
    keyPrefix: 'a0A',
    fields: {
      ...system, ...currencyCode, npsp__Opportunity__c: { type: 'reference' }, npsp__Payment__c: { type: 'reference' }, npsp__Recurring_Donation__c: { type: 'reference' },
      npsp__Campaign__c: { type: 'reference' }, npsp__General_Accounting_Unit__c: { type: 'reference' }, npsp__Amount__c: { type: 'currency' }, npsp__Percent__c: { type: 'percent' },
    },
  },
};

/** Salesforce writes datetimes as `2026-11-30T10:00:00.000+0000` (which SOQL does not accept back). */
export const sfDateTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
