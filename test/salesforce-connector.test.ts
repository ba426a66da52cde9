import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBookmark } from '../core/engine/bookmark.js';
import { emailSha256 } from '../core/pii.js';
import { classifySalesforceError, SalesforceClient } from '../connectors/salesforce/client.js';
import { SALESFORCE_STREAM_NAMES } from '../connectors/salesforce/streams.js';
import { RetriableError } from '../core/errors.js';
import { salesforceHarness, SF_NOW } from './support/salesforce-harness.js';

type H = Awaited<ReturnType<typeof salesforceHarness>>;
const byStream = <T extends { stream: string }>(results: T[], name: string) => results.find((r) => r.stream === name)!;
const MINUTE = 60_000;
const live = (h: H, object: string) => [...h.sandbox.org.rows.get(object)!.values()];

describe('Salesforce connector against the sandbox with the real jsforce', () => {
  let h: H;
  beforeAll(async () => {
    h = await salesforceHarness({ scenario: { seed: 12, donations: 1200, start: new Date('2026-11-20T18:00:00Z') } });
  });
  afterAll(() => h.close());

  it('backfills every NPSP object into its contract, in keyset pages, with exact money and hashed emails', async () => {
    const results = await h.sync();
    expect(results.map((r) => [r.stream, r.outcome])).toEqual(results.map((r) => [r.stream, 'succeeded']));
    await h.land();
    const gifts = live(h, 'Opportunity');
    expect(gifts.length).toBeGreaterThan(1000);
    expect(byStream(results, 'gifts').pages).toBeGreaterThan(2); // pageSize 500
    const [g] = await h.q('SELECT count(*) AS n, sum(amount_minor) AS amount FROM gift');
    const expected = gifts.reduce((s, r) => s + Math.round((r.Amount as number) * 100), 0);
    expect(g).toEqual({ n: gifts.length, amount: expected });
    const payments = live(h, 'npe01__OppPayment__c');
    const [p] = await h.q("SELECT count(*) AS n, count(*) FILTER (WHERE payment_ref LIKE 'ch_%') AS stripe, count(*) FILTER (WHERE amount_minor < 0) AS refunds FROM gift_payment");
    expect(p!.n).toBe(payments.length);
    expect(p!.stripe).toBeGreaterThan(100);
    expect(p!.refunds).toBe(payments.filter((r) => (r.npe01__Payment_Amount__c as number) < 0).length);
    const [won] = await h.q("SELECT count(*) AS n FROM gift WHERE is_won AND donation_id LIKE 'don_%'");
    expect(won!.n).toBe(gifts.filter((r) => r.IsWon).length);
    // Record types by DeveloperName from describe, not the 012... ids the rows carry
    const types = await h.q('SELECT record_type, count(*) AS n FROM gift GROUP BY ALL ORDER BY record_type');
    const majors = gifts.filter((r) => (r.Amount as number) >= 1000).length;
    expect(types).toEqual([{ record_type: 'Donation', n: gifts.length - majors }, ...(majors ? [{ record_type: 'MajorGift', n: majors }] : [])]);
    expect(await h.q('SELECT DISTINCT record_type FROM crm_account')).toEqual([{ record_type: 'HH_Account' }]);
    for (const [contract, object] of [['recurring_donation', 'npe03__Recurring_Donation__c'], ['gift_allocation', 'npsp__Allocation__c'], ['campaign', 'Campaign'], ['supporter', 'Contact'], ['crm_account', 'Account'], ['gift_contact_role', 'OpportunityContactRole'], ['campaign_member', 'CampaignMember']] as const) {
      const [c] = await h.q(`SELECT count(*) AS n FROM ${contract}`);
      expect(c!.n, contract).toBe(live(h, object).length);
    }
    const contact = live(h, 'Contact')[0]!;
    const [s] = await h.q(`SELECT email_sha256, postcode_district FROM supporter WHERE supporter_id = '${String(contact.Id)}'`);
    expect(s).toEqual({ email_sha256: emailSha256(contact.Email as string), postcode_district: 'SW1A' });
    const [raw] = await h.q("SELECT count(*) AS n FROM raw WHERE CAST(envelope AS VARCHAR) LIKE '%@example.org%' OR CAST(envelope AS VARCHAR) LIKE '%Supporter 1 Household%'");
    expect(raw!.n).toBe(0);
    // Gift Aid declarations from SALESFORCE_GIFT_AID_FIELD; households, donor roles and campaign members link back
    const [aid] = await h.q('SELECT count(*) FILTER (WHERE gift_aid_declared) AS yes, count(*) FILTER (WHERE gift_aid_declared IS NULL) AS unknown FROM supporter');
    expect(aid).toEqual({ yes: live(h, 'Contact').filter((c) => c.Gift_Aid_Declared__c === true).length, unknown: 0 });
    const [links] = await h.q(`SELECT
        (SELECT count(*) FROM gift_contact_role r JOIN gift g USING (gift_id) JOIN supporter s ON s.supporter_id = r.supporter_id WHERE r.role = 'Donor' AND r.is_primary) AS roles,
        (SELECT count(*) FROM campaign_member m JOIN campaign c USING (campaign_id) WHERE m.responded) AS members,
        (SELECT count(*) FROM crm_account WHERE account_type = 'Household Account' AND postcode_district = 'SW1A') AS households`);
    expect(links).toEqual({ roles: live(h, 'OpportunityContactRole').length, members: live(h, 'CampaignMember').length, households: live(h, 'Account').length });
    const bm = await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts');
    expect(bm.cursor).toBe(new Date(SF_NOW.getTime() - MINUTE).toISOString());
  });

  it('reads late-committed rows (within the lookback), edits, deletions and undeletions on the next run', async () => {
    h.clock.advance(30 * MINUTE);
    const [first, second] = live(h, 'Opportunity').filter((r) => !r.IsDeleted) as { Id: string }[];
    h.sandbox.org.update('Opportunity', first!.Id, { StageName: 'Closed Lost', IsWon: false });
    // committed now, stamped 5 minutes before the last run's cursor
    const late = h.sandbox.org.insert('Opportunity', { Name: 'late', Amount: 12.34, StageName: 'Closed Won', IsWon: true, CloseDate: '2026-11-29' }, SF_NOW.getTime() - 6 * MINUTE);
    const payment = live(h, 'npe01__OppPayment__c')[0]!.Id as string;
    h.sandbox.org.delete('npe01__OppPayment__c', payment);
    h.sandbox.org.delete('Opportunity', second!.Id);
    h.clock.advance(MINUTE);
    h.sandbox.org.undelete('Opportunity', second!.Id);
    h.clock.advance(5 * MINUTE);
    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();
    expect(await h.q(`SELECT stage, is_won FROM gift WHERE gift_id = '${first!.Id}'`)).toEqual([{ stage: 'Closed Lost', is_won: false }]);
    expect(await h.q(`SELECT amount_minor FROM gift WHERE gift_id = '${late}'`)).toEqual([{ amount_minor: 1234 }]);
    expect(await h.q(`SELECT deleted FROM gift_payment WHERE gift_payment_id = '${payment}'`)).toEqual([{ deleted: true }]);
    expect(await h.q(`SELECT deleted FROM gift WHERE gift_id = '${second!.Id}'`)).toEqual([{ deleted: false }]);
  });

  it('quarantines a gift without an amount and lands the rest', async () => {
    h.clock.advance(10 * MINUTE);
    const bad = h.sandbox.org.insert('Opportunity', { Name: 'no amount', Amount: null, StageName: 'Prospecting' });
    const good = h.sandbox.org.insert('Opportunity', { Name: 'ok', Amount: 5, StageName: 'Closed Won', IsWon: true });
    h.clock.advance(2 * MINUTE);
    const [r] = await h.sync({ streams: ['gifts'] });
    expect(r).toMatchObject({ outcome: 'succeeded', quarantined: 1 });
    await h.land();
    expect(await h.q(`SELECT count(*) AS n FROM gift WHERE gift_id IN ('${bad}', '${good}')`)).toEqual([{ n: 1 }]);
    const [q] = await h.q(`SELECT contract, CAST(reasons AS VARCHAR) AS reasons FROM quarantine WHERE contract = 'gift'`);
    expect(q!.reasons).toMatch(/Amount/);
  });

  it("reads a regular gift the CRM closed with its end date and closed reason (recurring_donation v2)", async () => {
    h.clock.advance(10 * MINUTE);
    const rd = live(h, 'npe03__Recurring_Donation__c')[0]!.Id as string;
    h.sandbox.org.update('npe03__Recurring_Donation__c', rd, { npsp__Status__c: 'Closed', npsp__EndDate__c: '2026-11-25', npsp__ClosedReason__c: 'Financial Change' });
    h.clock.advance(2 * MINUTE);
    const [r] = await h.sync({ streams: ['recurring_donations'] });
    expect(r).toMatchObject({ outcome: 'succeeded' });
    await h.land();
    expect(await h.q(`SELECT status, CAST(end_date AS VARCHAR) AS end_date, closed_reason FROM recurring_donation WHERE recurring_donation_id = '${rd}'`)).toEqual([
      { status: 'Closed', end_date: '2026-11-25', closed_reason: 'Financial Change' },
    ]);
  });

  it('retries 5xx (JSON and HTML bodies) in the engine only: each fault costs exactly one request', async () => {
    h.clock.advance(10 * MINUTE);
    h.sandbox.org.insert('Campaign', { Name: 'Winter appeal', Status: 'Planned' });
    h.clock.advance(2 * MINUTE);
    const before = h.sandbox.requests.countByStatus(503);
    h.sandbox.faults.status5xx = 1;
    h.sandbox.faults.html5xx = 1;
    const [r] = await h.sync({ streams: ['campaigns'] });
    expect(r).toMatchObject({ outcome: 'succeeded', retries: 2 });
    expect(h.sandbox.requests.countByStatus(503) - before).toBe(2);
    await h.land();
    expect(await h.q("SELECT count(*) AS n FROM campaign WHERE name = 'Winter appeal'")).toEqual([{ n: 1 }]);
  });

  it('retries an answer that is not the resource (an error body sent with 200), and fails with a clear error if it stays', async () => {
    const garbage = (n: number) => Array.from({ length: n }, () => ({ status: 200, errorCode: 'X', message: 'y' }));
    const before = await loadBookmark(h.engineRuntime.state, 'salesforce', 'campaigns');
    h.sandbox.faults.answerNext.push(...garbage(5)); // every attempt of the describe
    try {
      const [failed] = await h.sync({ streams: ['campaigns'] });
      expect(failed).toMatchObject({ outcome: 'failed', retries: 4, error: 'salesforce: unexpected answer from Salesforce describe Campaign: no fields' });
    } finally {
      h.sandbox.faults.answerNext.length = 0;
    }
    expect(await loadBookmark(h.engineRuntime.state, 'salesforce', 'campaigns')).toEqual(before);
    h.sandbox.faults.answerNext.push(...garbage(1));
    expect((await h.sync({ streams: ['campaigns'] }))[0]).toMatchObject({ outcome: 'succeeded', retries: 1 });

    // A query page, through the real jsforce: a clear retriable error, not a TypeError or an empty page.
    const client = new SalesforceClient(h.config());
    await client.query('SELECT Id FROM Campaign LIMIT 1', true); // mints the session first
    h.sandbox.faults.answerNext.push(...garbage(1));
    const err = await client.query('SELECT Id FROM Campaign LIMIT 1', true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriableError);
    expect((err as Error).message).toBe('salesforce: unexpected answer from Salesforce queryAll: no records');
  });

  it('re-mints an expired session once and replays; a refused re-mint stops the stream with its bookmark untouched', async () => {
    h.clock.advance(10 * MINUTE);
    h.sandbox.expireTokens();
    h.clock.advance(2 * MINUTE);
    const [ok] = await h.sync({ streams: ['contacts'] });
    expect(ok!.outcome).toBe('succeeded');
    expect(h.sandbox.requests.countByStatus(401)).toBeGreaterThan(0);
    const before = await loadBookmark(h.engineRuntime.state, 'salesforce', 'contacts');
    h.clock.advance(10 * MINUTE);
    h.sandbox.expireTokens();
    h.sandbox.faults.refuseAuth = true;
    try {
      const results = await h.sync();
      // backfill has nothing to do after the first sync (no call); the first call fails, and stops the other streams too
      expect(results.map((r) => [r.stream, r.outcome])).toEqual([['backfill', 'succeeded'], ['campaigns', 'failed']]);
      expect(results[0]!.requests).toBe(0);
      expect(results[1]).toMatchObject({ authFailed: true });
      expect(results[1]!.error).toMatch(/re-authentication refused/);
      expect(results[1]!.error).toContain('check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET (SALESFORCE_AUTH client_credentials)');
    } finally {
      h.sandbox.faults.refuseAuth = false;
    }
    const after = await loadBookmark(h.engineRuntime.state, 'salesforce', 'campaigns');
    expect(after.cursor).not.toBeNull();
    expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'contacts')).cursor).toBe(before.cursor);
  });
});

describe('Salesforce client_credentials refused', () => {
  it('names SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET, never their values, for a wrong secret or id', async () => {
    const h = await salesforceHarness({});
    try {
      for (const wrong of [{ clientSecret: 'wrong-secret-4242' }, { clientId: 'wrong-client-4242' }]) {
        const [r] = await h.sync({ streams: ['campaigns'] }, wrong);
        expect(r).toMatchObject({ outcome: 'failed', authFailed: true, retries: 0 });
        expect(r!.error).toBe(
          'salesforce: re-authentication refused: check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET (SALESFORCE_AUTH client_credentials): Salesforce answered invalid_client: invalid client credentials',
        );
        expect(r!.error).not.toContain('4242');
        expect(r!.error).not.toContain(h.sandbox.clientSecret);
      }
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce session failures', () => {
  it('names SALESFORCE_ACCESS_TOKEN, never its value, when the access token of access_token mode is refused', async () => {
    const h = await salesforceHarness({});
    try {
      const mode = { auth: 'access_token' as const, accessToken: h.sandbox.accessToken, clientId: null, clientSecret: null };
      expect((await h.sync({ streams: ['campaigns'] }, mode))[0]!.outcome).toBe('succeeded');
      h.sandbox.expireTokens();
      const [r] = await h.sync({ streams: ['campaigns'] }, mode);
      expect(r).toMatchObject({ outcome: 'failed', authFailed: true, retries: 0 });
      expect(r!.error).toBe('salesforce: INVALID_SESSION_ID: authentication refused: check SALESFORCE_ACCESS_TOKEN (SALESFORCE_AUTH access_token) (Session expired or invalid)');
      expect(r!.error).not.toContain(h.sandbox.accessToken);
    } finally {
      await h.close();
    }
  });

  it('retries a token endpoint that answers 5xx, as any call, instead of stopping the stream as refused', async () => {
    const h = await salesforceHarness({});
    try {
      h.sandbox.faults.token5xx = 2;
      const [r] = await h.sync({ streams: ['campaigns'] });
      expect(r).toMatchObject({ outcome: 'succeeded', retries: 2, authFailed: false });
      expect(h.sandbox.requests.countByStatus(503)).toBe(2);
    } finally {
      await h.close();
    }
  });

  it('retries a token endpoint that answers 5xx with a JSON OAuth error, which jsforce reads without its status', async () => {
    const h = await salesforceHarness({});
    try {
      h.sandbox.faults.tokenJson5xx = 2;
      const [r] = await h.sync({ streams: ['campaigns'] });
      expect(r).toMatchObject({ outcome: 'succeeded', retries: 2, authFailed: false, error: null });
      expect(h.sandbox.requests.entries.filter((e) => e.path === '/services/oauth2/token').map((e) => e.status)).toEqual([503, 503, 200]);
      // A real refusal (400 invalid_grant) still stops the stream at once, naming the auth mode's settings.
      h.sandbox.expireTokens();
      h.sandbox.faults.refuseAuth = true;
      const [refused] = await h.sync({ streams: ['campaigns'] });
      expect(refused).toMatchObject({ outcome: 'failed', authFailed: true, retries: 0 });
      expect(refused!.error).toBe(
        'salesforce: re-authentication refused: check SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET (SALESFORCE_AUTH client_credentials): Salesforce answered invalid_grant: expired access/refresh token',
      );
    } finally {
      await h.close();
    }
  });

  it('classifies a token endpoint that cannot be reached as a retriable network error, not a refused re-authentication', async () => {
    const h = await salesforceHarness({});
    try {
      const client = new SalesforceClient(h.config({ loginUrl: 'http://127.0.0.1:1' }));
      const err = await client.query('SELECT Id FROM Campaign LIMIT 1', false).catch((e: unknown) => e);
      const kind = classifySalesforceError(err);
      expect(kind).toBeInstanceOf(RetriableError);
      expect(kind.message).toBe('salesforce: re-authentication failed: the token endpoint did not answer: network error (ECONNREFUSED)');
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce keyset paging', () => {
  it('reads 2,500 rows that share one SystemModstamp once each, across pages (keyset on SystemModstamp, Id)', async () => {
    const h = await salesforceHarness({});
    try {
      const stamp = SF_NOW.getTime() - 3 * 86_400_000;
      for (let i = 0; i < 2500; i++) h.sandbox.org.insert('Opportunity', { Name: `mass ${i}`, Amount: 1, StageName: 'Closed Won', IsWon: true }, stamp);
      const [r] = await h.sync({ streams: ['gifts'], from: new Date(stamp - 3_600_000) }, { pageSize: 1000 });
      expect(r).toMatchObject({ outcome: 'succeeded', records: 2500, pages: 3 });
      await h.land();
      expect(await h.q('SELECT count(*) AS n, count(DISTINCT gift_id) AS d FROM gift')).toEqual([{ n: 2500, d: 2500 }]);
      const [raw] = await h.q("SELECT count(*) AS n FROM raw WHERE contract = 'gift'");
      expect(raw!.n).toBe(2500);
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce describe: what the integration user can see', () => {
  it('drops a hidden optional field or a formula, and stops on a hidden required field or a missing NPSP package, bookmark untouched', async () => {
    const h = await salesforceHarness({ scenario: { seed: 3, donations: 100, start: new Date('2026-11-20T18:00:00Z') } });
    try {
      h.sandbox.org.hidden.add('Contact.MailingPostalCode');
      h.sandbox.org.hidden.add('Opportunity.Amount');
      h.sandbox.org.absent.add('npe01__OppPayment__c');
      const results = await h.sync({ streams: ['contacts', 'gifts', 'gift_payments'] }, { donationIdField: 'npsp__Amount_Outstanding__c' });
      expect(results.map((r) => r.outcome)).toEqual(['succeeded', 'failed', 'failed']);
      expect(results[1]!.error).toBe('salesforce: Opportunity.Amount is not visible to the integration user, and the connector needs it');
      expect(results[2]!.error).toMatch(/no npe01__OppPayment__c object: is the NPSP package installed/);
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gifts')).cursor).toBeNull();
      await h.land();
      const [s] = await h.q('SELECT count(*) AS n, count(postcode_district) AS postcodes FROM supporter');
      expect(s).toEqual({ n: live(h, 'Contact').length, postcodes: 0 });

      h.sandbox.org.hidden.delete('Opportunity.Amount');
      h.clock.advance(5 * 60_000); // past the describe cache
      const [gifts] = await h.sync({ streams: ['gifts'] }, { donationIdField: 'npsp__Amount_Outstanding__c' });
      expect(gifts!.outcome).toBe('succeeded'); // the formula field was dropped, not queried
      expect((await loadBookmark(h.engineRuntime.state, 'salesforce', 'gift_payments')).cursor).toBeNull();
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce daily API share', () => {
  it('stops cleanly at SALESFORCE_MAX_API_SHARE with outcome quota, never retries the daily cap, and resumes the next day', async () => {
    const h = await salesforceHarness({ scenario: { seed: 4, donations: 600, start: new Date('2026-11-20T18:00:00Z') }, dailyLimit: 26 });
    try {
      const over = { startDate: new Date('2026-11-19T00:00:00Z'), pageSize: 2000 };
      const first = await h.sync({}, { ...over, maxApiShare: 0.5 });
      expect(first.at(-1)).toMatchObject({ outcome: 'quota', error: "salesforce: 13 of the org's 26 daily API requests used (SALESFORCE_MAX_API_SHARE 0.5): stopping until the next run" });
      expect(first.length).toBeLessThan(6); // the other streams wait for the next run too
      expect(first.slice(0, -1).every((r) => r.outcome === 'succeeded')).toBe(true);
      expect(h.sandbox.apiUsage().used).toBe(13);

      // Other integrations took nearly all the rest: the cap (403 REQUEST_LIMIT_EXCEEDED) is hit once, not retried.
      h.sandbox.resetApiUsage(26);
      const second = await h.sync({}, { ...over, maxApiShare: 1 });
      expect(second.at(-1)).toMatchObject({ outcome: 'quota' });
      expect(second.at(-1)!.error).toMatch(/daily API request limit is reached/);
      expect(h.sandbox.requests.countByStatus(403)).toBe(1);

      h.clock.advance(86_400_000);
      h.sandbox.resetApiUsage();
      const third = await h.sync({}, { ...over, maxApiShare: 1 });
      expect(third.map((r) => r.outcome)).toEqual(third.map(() => 'succeeded'));
      expect(third).toHaveLength(SALESFORCE_STREAM_NAMES.length);
      await h.land();
      for (const [contract, object] of [['gift', 'Opportunity'], ['gift_payment', 'npe01__OppPayment__c'], ['supporter', 'Contact'], ['gift_allocation', 'npsp__Allocation__c']] as const) {
        const [c] = await h.q(`SELECT count(*) AS n, count(DISTINCT ${contract}_id) AS ids FROM ${contract}`);
        expect(c, contract).toEqual({ n: live(h, object).length, ids: live(h, object).length });
      }
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce faults that change what a window reads', () => {
  it('splits a window on QUERY_TIMEOUT until each half answers, and says a merged-away contact was merged', async () => {
    const h = await salesforceHarness({});
    try {
      const start = SF_NOW.getTime() - 2 * 86_400_000;
      for (let i = 0; i < 300; i++) h.sandbox.org.insert('Opportunity', { Name: `g${i}`, Amount: 2, StageName: 'Closed Won' }, start + i * 500_000);
      const winner = h.sandbox.org.insert('Contact', { Email: 'a@example.org' }, start);
      const loser = h.sandbox.org.insert('Contact', { Email: 'a.other@example.org' }, start);
      h.sandbox.org.merge('Contact', loser, winner, start + 1000);
      h.sandbox.faults.queryTimeoutOver = 100;
      const results = await h.sync({ streams: ['gifts', 'contacts'], from: new Date(start - 3_600_000) });
      const [gifts, contacts] = [byStream(results, 'gifts'), byStream(results, 'contacts')];
      expect(gifts).toMatchObject({ outcome: 'succeeded', records: 300 });
      expect(h.sandbox.requests.entries.filter((e) => e.status === 400).length).toBeGreaterThan(0);
      expect(contacts!.outcome).toBe('succeeded');
      await h.land();
      expect(await h.q('SELECT count(*) AS n FROM gift')).toEqual([{ n: 300 }]);
      expect(await h.q(`SELECT deleted, merged_into FROM supporter WHERE supporter_id = '${loser}'`)).toEqual([{ deleted: true, merged_into: winner }]);
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce: a deleted contact', () => {
  it('lands a supporter version with deleted set and no email hash or postcode, as Stripe does', async () => {
    const h = await salesforceHarness({});
    try {
      const start = SF_NOW.getTime() - 86_400_000;
      const id = h.sandbox.org.insert('Contact', { Email: 'erase.me@example.org', MailingPostalCode: 'SW1A 1AA' }, start);
      expect((await h.sync({ streams: ['contacts'], from: new Date(start - 3_600_000) }))[0]).toMatchObject({ outcome: 'succeeded' });
      await h.land();
      const row = `SELECT deleted, email_sha256, postcode_district FROM supporter WHERE supporter_id = '${id}'`;
      expect(await h.q(row)).toEqual([{ deleted: false, email_sha256: emailSha256('erase.me@example.org'), postcode_district: 'SW1A' }]);
      h.clock.advance(10 * MINUTE);
      // queryAll returns the deleted row with its Email and address still on it.
      h.sandbox.org.delete('Contact', id);
      h.clock.advance(5 * MINUTE);
      expect((await h.sync({ streams: ['contacts'] }))[0]).toMatchObject({ outcome: 'succeeded' });
      await h.land();
      expect(await h.q(row)).toEqual([{ deleted: true, email_sha256: null, postcode_district: null }]);
      // Nor does the deleted version's envelope in the raw trail.
      const envelopes = await h.q(`SELECT CAST(envelope AS VARCHAR) AS e FROM raw WHERE contract = 'supporter' AND json_extract_string(envelope, '$.payload.supporter_id') = '${id}'`);
      const deletedVersions = envelopes.map((r) => String(r.e)).filter((e) => (JSON.parse(e) as { payload: { deleted: boolean } }).payload.deleted);
      expect(deletedVersions).toHaveLength(1);
      expect(deletedVersions[0]).not.toContain(emailSha256('erase.me@example.org'));
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce: a record edited between two pages of one run', () => {
  it('is read once in this run at its old place or once at its new stamp, never lost, and the edit lands', async () => {
    const h = await salesforceHarness({});
    try {
      const start = SF_NOW.getTime() - 86_400_000;
      const ids: string[] = [];
      for (let i = 0; i < 250; i++) ids.push(h.sandbox.org.insert('Opportunity', { Name: `g${i}`, Amount: 3, StageName: 'Pledged' }, start + i * 1000));
      // after the first page (query 2: the first is the org's id): edit a row the run has not reached yet (it moves
      // past the window) and one it has read
      h.sandbox.onQuery = (n) => {
        if (n !== 2) return;
        h.sandbox.org.update('Opportunity', ids[200]!, { StageName: 'Closed Won' }, SF_NOW.getTime() - 30_000);
        h.sandbox.org.update('Opportunity', ids[10]!, { StageName: 'Closed Won' }, SF_NOW.getTime() - 30_000);
      };
      const [first] = await h.sync({ streams: ['gifts'], from: new Date(start - 3_600_000) }, { pageSize: 100 });
      expect(first).toMatchObject({ outcome: 'succeeded', records: 249 });
      h.sandbox.onQuery = null;
      h.clock.advance(2 * 60_000);
      const [second] = await h.sync({ streams: ['gifts'] }, { pageSize: 100 });
      expect(second!.outcome).toBe('succeeded');
      await h.land();
      expect(await h.q('SELECT count(*) AS n FROM gift')).toEqual([{ n: 250 }]);
      expect(await h.q(`SELECT gift_id, stage FROM gift WHERE gift_id IN ('${ids[10]}', '${ids[200]}') ORDER BY gift_id`)).toEqual(
        [ids[10]!, ids[200]!].sort().map((gift_id) => ({ gift_id, stage: 'Closed Won' })),
      );
    } finally {
      await h.close();
    }
  });
});

describe('Salesforce multi-currency orgs', () => {
  it("reads each record's CurrencyIsoCode (REST and Bulk) instead of SALESFORCE_CURRENCY, exactly in its exponent", async () => {
    const h = await salesforceHarness({ multiCurrency: true });
    try {
      const at = SF_NOW.getTime() - 86_400_000;
      const eur = h.sandbox.org.insert('Opportunity', { Name: 'eur', Amount: 10.5, CurrencyIsoCode: 'EUR', StageName: 'Closed Won' }, at);
      const jpy = h.sandbox.org.insert('Opportunity', { Name: 'jpy', Amount: 1500, CurrencyIsoCode: 'JPY', StageName: 'Closed Won' }, at);
      const pay = h.sandbox.org.insert('npe01__OppPayment__c', { npe01__Opportunity__c: jpy, npe01__Payment_Amount__c: 1500, CurrencyIsoCode: 'JPY' }, at);
      // gifts by Bulk (threshold 1), payments by REST
      const results = await h.sync({ streams: ['backfill', 'gift_payments'] }, { bulkThreshold: 2, pageSize: 1000 });
      expect(results.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded']);
      expect(results[0]!.records).toBe(2);
      await h.land();
      expect(await h.q(`SELECT gift_id, amount_minor, currency FROM gift ORDER BY amount_minor`)).toEqual([
        { gift_id: eur, amount_minor: 1050, currency: 'EUR' },
        { gift_id: jpy, amount_minor: 1500, currency: 'JPY' },
      ]);
      expect(await h.q(`SELECT amount_minor, currency FROM gift_payment WHERE gift_payment_id = '${pay}'`)).toEqual([{ amount_minor: 1500, currency: 'JPY' }]);
    } finally {
      await h.close();
    }
  });
});
