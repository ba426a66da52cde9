import { defineStream, type Page, type StreamContext, type StreamDef, type Window } from '../../core/engine/define.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { ConfigError, FatalError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { bulkBackfill, type BulkObject } from './bulk-backfill.js';
import { remember, sweepDue, sweepPage, unconfirmedSweep, type SweepSpec } from './deletion-sweep.js';
import type { SalesforceClient } from './client.js';
import { withNamespace, type SalesforceConfig } from './config.js';
import { checkFieldsKept } from './fields-read.js';
import { checkSameOrg } from './org-identity.js';
import { checkedOnce } from './run-checks.js';
import {
  mapAccount, mapAllocation, mapCampaign, mapCampaignMember, mapContact, mapContactRole, mapOpportunity, mapPayment, mapRecurringDonation, sfTime,
  type SalesforceMapOptions, type SfRecord,
} from './mappings.js';

type C = SalesforceClient;
const DAY = 86_400_000;
const SYSTEM = ['Id', 'IsDeleted', 'CreatedDate', 'SystemModstamp'];

/** Re-logins one page may take before the run gives up on it (fetchPage). */
const MAX_RELOGINS_PER_PAGE = 3;

/** The stream that backfills large objects through the Bulk API, first in every run. */
const BACKFILL = 'backfill';

interface ObjectSpec {
  /** The stream's name; the streams run in OBJECTS' order, after the backfill. */
  name: string;
  object: string;
  contract: string;
  /** Stored fields only (never formula fields: their changes do not bump SystemModstamp), NPSP names. */
  fields: string[];
  /** Fields without which no record maps: a user who cannot see one is a configuration error. */
  required: string[];
  map(r: SfRecord, o: SalesforceMapOptions): Mapped[];
}

const OBJECTS: ObjectSpec[] = [
  { name: 'campaigns', object: 'Campaign', contract: 'campaign', fields: ['Name', 'Status', 'StartDate', 'EndDate', 'ExpectedRevenue'], required: ['Name'], map: mapCampaign },
  { name: 'accounts', object: 'Account', contract: 'crm_account', fields: ['RecordTypeId', 'npe01__SYSTEM_AccountType__c', 'BillingPostalCode', 'MasterRecordId'], required: [], map: (r, o) => mapAccount(r, o) },
  { name: 'contacts', object: 'Contact', contract: 'supporter', fields: ['Email', 'MailingPostalCode', 'MasterRecordId'], required: [], map: mapContact },
  { name: 'campaign_members', object: 'CampaignMember', contract: 'campaign_member', fields: ['CampaignId', 'ContactId', 'Status', 'HasResponded'], required: ['CampaignId'], map: (r) => mapCampaignMember(r) },
  {
    name: 'recurring_donations', object: 'npe03__Recurring_Donation__c', contract: 'recurring_donation',
    fields: ['npe03__Amount__c', 'npe03__Contact__c', 'npe03__Organization__c', 'npe03__Installment_Period__c', 'npsp__InstallmentFrequency__c', 'npsp__Status__c', 'npsp__RecurringType__c', 'npsp__CommitmentId__c', 'npsp__EndDate__c', 'npsp__ClosedReason__c'],
    required: [],
    map: mapRecurringDonation,
  },
  {
    name: 'gifts', object: 'Opportunity', contract: 'gift',
    fields: ['AccountId', 'Amount', 'CloseDate', 'StageName', 'IsWon', 'CampaignId', 'RecordTypeId', 'npsp__Primary_Contact__c', 'npe03__Recurring_Donation__c'],
    required: ['Amount', 'StageName'],
    map: mapOpportunity,
  },
  { name: 'contact_roles', object: 'OpportunityContactRole', contract: 'gift_contact_role', fields: ['OpportunityId', 'ContactId', 'Role', 'IsPrimary'], required: ['OpportunityId'], map: (r) => mapContactRole(r) },
  {
    name: 'gift_payments', object: 'npe01__OppPayment__c', contract: 'gift_payment',
    fields: ['npe01__Opportunity__c', 'npe01__Payment_Amount__c', 'npe01__Payment_Date__c', 'npe01__Scheduled_Date__c', 'npe01__Paid__c', 'npe01__Written_Off__c', 'npe01__Payment_Method__c', 'npsp__OriginalPayment__c'],
    required: ['npe01__Opportunity__c', 'npe01__Payment_Amount__c'],
    map: mapPayment,
  },
  {
    name: 'allocations', object: 'npsp__Allocation__c', contract: 'gift_allocation',
    fields: ['npsp__Opportunity__c', 'npsp__Payment__c', 'npsp__Recurring_Donation__c', 'npsp__Campaign__c', 'npsp__General_Accounting_Unit__c', 'npsp__Amount__c', 'npsp__Percent__c'],
    required: [],
    map: mapAllocation,
  },
];

/** The streams in run order (status lists them without credentials), from their definitions above. */
export const SALESFORCE_STREAM_NAMES: readonly string[] = [BACKFILL, ...OBJECTS.map((spec) => spec.name)];

/** SOQL takes datetimes unquoted as `2026-11-30T10:00:00.000Z`; always written from a Date, never pasted from an answer. */
export const soqlDateTime = (d: Date) => d.toISOString();

const ID = /^[A-Za-z0-9]{15,18}$/;

/** A keyset page token `<SystemModstamp ISO>|<Id>`: restartable after a kill, and never the same twice. */
export function parseToken(token: string): { stamp: Date; id: string } {
  const [stamp, id] = token.split('|');
  const d = new Date(stamp ?? '');
  if (!id || !ID.test(id) || Number.isNaN(d.getTime())) throw new FatalError(`salesforce: bad page token in the bookmark: ${token.slice(0, 60)}`);
  return { stamp: d, id };
}

/**
 * One page of [from, to) on (SystemModstamp, Id): rows sharing one stamp (a mass update of thousands)
 * are split across pages by Id, so each is read once; queryAll, so deletions arrive as IsDeleted rows.
 */
export function keysetSoql(object: string, fields: string[], w: Window, after: { stamp: Date; id: string } | null, limit: number): string {
  const where = [`SystemModstamp >= ${soqlDateTime(w.from)}`, `SystemModstamp < ${soqlDateTime(w.to)}`];
  if (after) {
    const s = soqlDateTime(after.stamp);
    where.push(`(SystemModstamp > ${s} OR (SystemModstamp = ${s} AND Id > '${after.id}'))`);
  }
  return `SELECT ${fields.join(', ')} FROM ${object} WHERE ${where.join(' AND ')} ORDER BY SystemModstamp, Id LIMIT ${limit}`;
}

/**
 * The declared fields this user can query, from describe: an optional one that is hidden (field-level
 * security) or a formula (its changes do not bump SystemModstamp) is dropped with a warning; a required
 * one, or the object itself, missing stops the stream with a configuration error (bookmark untouched).
 * So does a setting's field that describe does not show (`configured`: setting -> its fields, of which one is
 * enough: SALESFORCE_PAYMENT_REF_FIELDS lists several): misspelt, or hidden by field-level security, which describe
 * cannot tell apart. Until 2026-12-03 such a field was dropped
 * with a warning in the log: every supporter landed with `gift_aid_declared` null, the bookmark moved on, and
 * correcting the setting brought none of them back (only `--full` did).
 */
export async function visibleFields(
  ctx: StreamContext<C>, object: string, declared: string[], required: Set<string>, namespace: string, configured: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<string[]> {
  const described = await ctx.call(`describe ${object}`, () => ctx.client.describeFields(object, ctx.clock.now().getTime()));
  if (!described) {
    throw new FatalError(`salesforce: the org has no ${object} object: is the NPSP package installed, and is SALESFORCE_NPSP_NAMESPACE (${namespace || 'empty'}) right?`);
  }
  const misnamed = wrongNamespace(described, declared, namespace);
  if (misnamed) throw new ConfigError(misnamed(object));
  for (const [setting, fields] of configured) {
    if (fields.length && !fields.some((f) => described.has(f))) throw new ConfigError(notVisible(setting, object, fields));
  }
  const out: string[] = [];
  for (const f of declared) {
    const d = described.get(f);
    if (d && !d.calculated) {
      out.push(f);
      continue;
    }
    const why = d ? 'is a formula field (its changes do not bump SystemModstamp)' : 'is not visible to the integration user';
    if (!d && f === 'CurrencyIsoCode') continue; // a single-currency org: expected, not worth a warning
    if (required.has(f)) throw new FatalError(`salesforce: ${object}.${f} ${why}, and the connector needs it`);
    log.warn(`salesforce: dropping a declared field: it ${why}`, { object, field: f });
  }
  return out;
}

/** A custom field's name without a namespace prefix (`npsp__Primary_Contact__c` -> `Primary_Contact__c`). */
const bareName = (f: string) => f.replace(/^[A-Za-z0-9]+__(?=\w+__c$)/, '');

/**
 * SALESFORCE_NPSP_NAMESPACE is not the org's: a declared field under the setting's namespace (or none, when it is empty)
 * is not there, and describe shows the same field under another prefix (or none). Dropped with a warning like a field
 * hidden by field-level security, it cost a season of gifts landing without their supporter (npsp__Primary_Contact__c)
 * and payments without their processor's id, with the bookmark moving on; so the stream stops, naming the setting and
 * the namespace the org shows, its bookmark untouched (until 2026-12-03 only the streams of NPSP's own objects
 * stopped, as `the org has no npsp__Allocation__c object`). A field hidden from the integration user has no such twin.
 */
function wrongNamespace(described: ReadonlyMap<string, unknown>, declared: string[], namespace: string): ((object: string) => string) | null {
  const ours = (f: string) => (namespace ? f.startsWith(`${namespace}__`) : bareName(f) === f && f.endsWith('__c'));
  const byBare = new Map([...described.keys()].map((g) => [bareName(g), g]));
  for (const f of declared) {
    const twin = !described.has(f) && ours(f) ? byBare.get(bareName(f)) : undefined;
    if (!twin || twin === f) continue;
    const theirs = twin === bareName(twin) ? '' : twin.slice(0, twin.indexOf('__'));
    return (object) => `salesforce: SALESFORCE_NPSP_NAMESPACE is ${namespace ? `"${namespace}"` : 'empty'}, but this org names NPSP's fields ${theirs ? `under "${theirs}"` : 'without a namespace (NPSP unmanaged)'} `
      + `(${object}.${twin}, not ${f}): set SALESFORCE_NPSP_NAMESPACE to ${theirs ? `"${theirs}"` : 'empty'} (Setup > Installed Packages shows NPSP's namespace prefix). `
      + `Reading on would land every record without NPSP's fields (gifts without their supporter, payments without their processor's id); this stream reads nothing until then, and its bookmark stays where it is`;
  }
  return null;
}

/** A setting's fields that describe does not show: which setting, which fields, what to check, and that the stream waits. */
function notVisible(setting: string, object: string, fields: readonly string[]): string {
  const one = fields.length === 1;
  const names = fields.map((f) => `${object}.${f}`).join(', ');
  return `salesforce: ${setting} names ${names}, ${one ? 'which' : 'none of which'} the integration user can${one ? 'not' : ''} see: check ${one ? 'its API name' : 'their API names'} `
    + `(Setup > Object Manager > ${object} > Fields & Relationships) and that field-level security gives the integration user's `
    + `profile or permission set Read access to ${one ? 'it' : 'one'}; this stream reads nothing until then, and its bookmark stays where it is`;
}

export function salesforceStreams(config: SalesforceConfig, recordTypes: ReadonlyMap<string, string> = new Map()): StreamDef<C, never>[] {
  const opts: SalesforceMapOptions = { recordTypes, namespace: config.namespace, currency: config.currency, paymentRefFields: config.paymentRefFields, donationIdField: config.donationIdField, giftAidField: config.giftAidField };
  const ns = (f: string) => withNamespace(f, config.namespace);
  const fieldsOf = (spec: ObjectSpec) => {
    const extra = [
      ...(spec.name === 'gift_payments' ? config.paymentRefFields : []),
      ...(spec.name === 'gifts' && config.donationIdField ? [config.donationIdField] : []),
      ...(spec.name === 'contacts' && config.giftAidField ? [config.giftAidField] : []),
    ];
    // CurrencyIsoCode exists only in multi-currency orgs: describe drops it elsewhere (SALESFORCE_CURRENCY applies).
    // Objects without money never have it.
    const currency = ['contacts', 'accounts', 'campaign_members', 'contact_roles'].includes(spec.name) ? [] : ['CurrencyIsoCode'];
    return [...new Set([...SYSTEM, ...currency, ...spec.fields, ...extra].map(ns))];
  };
  const requiredOf = (spec: ObjectSpec) => new Set([...SYSTEM, ...spec.required].map(ns));
  // Fields the user named in a setting: a stream that cannot read one stops instead of landing it empty.
  const configuredOf = (stream: string) => new Map<string, readonly string[]>([
    ...(stream === 'gifts' && config.donationIdField ? [['SALESFORCE_DONATION_ID_FIELD', [ns(config.donationIdField)]] as const] : []),
    ...(stream === 'contacts' && config.giftAidField ? [['SALESFORCE_GIFT_AID_FIELD', [ns(config.giftAidField)]] as const] : []),
    // One of the payment reference fields is enough (the default lists Elevate's, which not every org has).
    ...(stream === 'gift_payments' ? [['SALESFORCE_PAYMENT_REF_FIELDS', config.paymentRefFields.map(ns)] as const] : []),
  ]);
  const bulkObjects: BulkObject[] = OBJECTS.map((spec) => ({ stream: spec.name, object: ns(spec.object), fields: fieldsOf(spec), required: [...requiredOf(spec)] }));
  const mapperOf = new Map(OBJECTS.map((spec) => [ns(spec.object), spec.map]));
  // What a deleted version needs to map, kept per record read (deletion-sweep.ts).
  const sweepOf = new Map(OBJECTS.map((spec): [string, SweepSpec] => [ns(spec.object), { stream: spec.name, object: ns(spec.object), keep: [...spec.required.map(ns), 'CurrencyIsoCode'] }]));
  // First syncs of large objects (Bulk API 2.0), before the REST streams; nothing to do on later runs.
  const backfill = defineStream<C, { object: string; row: SfRecord }>({
    name: BACKFILL,
    contract: 'gift',
    primaryKey: (r) => String(r.row.Id),
    cursor: (r) => new Date(sfTime(r.row.SystemModstamp, 'SystemModstamp')),
    read: (ctx, emit) => bulkBackfill(ctx, async (records) => {
        const first = records[0];
        if (first) await remember(ctx, sweepOf.get(first.object)!, records.map((r) => r.row));
        await emit(records);
      }, { connector: 'salesforce', objects: bulkObjects, threshold: config.bulkThreshold, lookbackMs: config.lookbackMs, maxRecords: config.pageSize, namespace: config.namespace,
        visible: (ctx, o) => visibleFields(ctx, o.object, o.fields, new Set(o.required), config.namespace, configuredOf(o.stream)),
      }),
    toContract: (r) => mapperOf.get(r.object)!(r.row, opts),
  });
  const rest = OBJECTS.map((spec) => {
    const object = ns(spec.object);
    const fields = fieldsOf(spec);
    return defineStream<C, SfRecord>({
      name: spec.name,
      contract: spec.contract,
      primaryKey: (r) => String(r.Id),
      cursor: (r) => new Date(sfTime(r.SystemModstamp, 'SystemModstamp')),
      // Rows commit after their stamp (lookback); the newest minute is left for the next run (lag).
      windows: { sizeMs: 7 * DAY, lookbackMs: config.lookbackMs, lagMs: 60_000 },
      async fetchPage(ctx: StreamContext<C>, req): Promise<Page<SfRecord>> {
        for (let relogins = 0; ; relogins++) {
          // A page asked again after each of that many re-logins: sessions that end at every call (and tokens that do not
          // name their org, so each is checked: client.ts) would otherwise go round for ever: the run stops at its last checkpoint.
          if (relogins > MAX_RELOGINS_PER_PAGE) throw new FatalError(`salesforce: the session ended ${relogins} times while one page of ${object} was read; the org may be ending every session at once (session timeout, IP locking); the run stopped at its last checkpoint`);
          // Once per run, and again after a re-login (run-checks.ts).
          const checked = await checkedOnce(ctx, async () => {
            const visible = await visibleFields(ctx, object, fields, requiredOf(spec), config.namespace, configuredOf(spec.name));
            // Before any position is used: a bookmark read in another org would skip this one's records (org-identity.ts).
            await checkSameOrg(ctx, spec.name, object);
            // A field this stream has been reading and can no longer see stops it (fields-read.ts).
            await checkFieldsKept(ctx, spec.name, object, visible);
            return visible;
          });
          // null: a re-login while the page was read, so the page came from a new session, which may be another org's.
          // Checked again under it (a new org stops the stream here, before its records land), then read again.
          const page = await readPage(ctx, req, checked);
          if (page) return page;
        }
      },
      toContract: (r) => spec.map(r, opts),
    });
    async function readPage(ctx: StreamContext<C>, req: { window: Window | null; token: string | null }, checked: { session: number; fields: string[] }): Promise<Page<SfRecord> | null> {
      const sweep = sweepOf.get(object)!;
      // After a gap longer than the Recycle Bin keeps deletions, the window starts with an id sweep (tokens
      // `sweep|<last id>`, then `swept`): purged rows come back as deleted versions.
      const sweeping = req.token?.startsWith('sweep|') ?? false;
      if (sweeping || req.token === null) {
        // The last sweep's deleted versions, if the run that found them died before they were published.
        const pending = await unconfirmedSweep(ctx, sweep);
        if (pending) return { records: pending, next: 'swept' };
      }
      if (sweeping || (req.token === null && (await sweepDue(ctx, object, req.window!.from)))) {
        const swept = await sweepPage(ctx, sweep, req.token ? req.token.slice(6) : null, config.pageSize, checked.session);
        if (!swept) return null;
        if (swept.tombstones.length) ctx.log('salesforce: rows purged during a gap longer than the Recycle Bin land as deleted', { object, rows: swept.tombstones.length });
        return { records: swept.tombstones, next: swept.last === null ? 'swept' : `sweep|${swept.last}` };
      }
      const after = req.token && req.token !== 'swept' ? parseToken(req.token) : null;
      const soql = keysetSoql(object, checked.fields, req.window!, after, config.pageSize);
      const page = await ctx.call(`queryAll ${object}`, () => ctx.client.query(soql, true));
      if (checked.session !== ctx.client.session) return null;
      const records = page.records as SfRecord[];
      await remember(ctx, sweep, records);
      const last = records.at(-1);
      const full = records.length >= config.pageSize;
      return { records, next: full && last ? `${sfTime(last.SystemModstamp, 'SystemModstamp')}|${String(last.Id)}` : null };
    }
  });
  return [backfill, ...rest];
}
