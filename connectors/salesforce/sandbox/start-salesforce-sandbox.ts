import { createVerify, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, headerValue, listenOnLoopback } from '../../sandbox-kit/local-server.js';
import type { ControlRouteOption } from '../../sandbox-kit/fault-route.js';
import { BoundedRequestLog, type RequestLog } from '../../sandbox-kit/request-log.js';
import { BulkJobs, type JobEnd } from './bulk-jobs.js';
import { WireNamespace } from './namespace.js';
import { Org } from './org.js';
import { OBJECTS } from './schema.js';
import { SeededRandom, type LiveSeedOption } from '../../sandbox-kit/seeded-ids.js';
import { addLiveGift, seedOrg, type SalesforceSeed } from './seed.js';
import { SoqlError } from './soql.js';

export interface SalesforceSandboxOptions extends SalesforceSeed, LiveSeedOption, ControlRouteOption {
  /** 0 (default) picks a free port. */
  port?: number;
  now?: () => Date;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** PEM public key that JWT bearer assertions must be signed with (RS256), and the username they name. */
  jwt?: { publicKey: string; username: string };
  /** How long a minted token lives (default an hour). */
  tokenTtlMs?: number;
  /** Rows per query page when the client asks for none (Salesforce: 2000). */
  batchSize?: number;
  /** The org's daily API request limit (Sforce-Limit-Info). */
  dailyLimit?: number;
  /** A multi-currency org: records carry CurrencyIsoCode (default: single-currency, no such field). */
  multiCurrency?: boolean;
  /**
   * The org's id (18 characters, `00D...`): the Organization row's Id, the start of every session id and of the
   * identity URL. Another id stands for another org at the same URL (a refreshed sandbox keeps its URL and the
   * records' ids, and is a new org).
   */
  orgId?: string;
  /** The NPSP namespace the org's names carry on the wire: `npsp` (default), another, or '' (NPSP unmanaged); see WireNamespace. */
  namespace?: string;
  /**
   * Tokens that do not name their org: no `<org id>!` prefix, no identity URL (Salesforce's always do; a gateway in
   * front of the org might not). The client then checks the org again after each re-login.
   */
  opaqueTokens?: boolean;
}

export interface SalesforceFaults {
  /** Answer the next N API calls with 503 and a JSON error array. */
  status5xx: number;
  /** Answer the next N API calls with 503 and an HTML page (as a load balancer does). */
  html5xx: number;
  /** Answer the next N token requests with 503 and an HTML page (the login host under maintenance). */
  token5xx: number;
  /**
   * Answer the next N token requests with 503 and a JSON OAuth error (`unknown_error`, "retry your request"):
   * jsforce keeps the body's `error` and drops the status, so only the status says the server is at fault.
   */
  tokenJson5xx: number;
  /** A query matching more rows than this answers QUERY_TIMEOUT (0: never). */
  queryTimeoutOver: number;
  /** The token endpoint refuses every grant (revoked connected app). */
  refuseAuth: boolean;
  /** Bulk result pages served before every later one answers 400 (a run that dies mid-job); -1: never. */
  bulkPagesBeforeFailure: number;
  /** The next Bulk job made ends so on its completing poll instead of JobComplete; taken by that job. */
  bulkJobEnds: JobEnd | null;
  /** The next Bulk job's results leave out this many rows, while its info counts them all; taken by that job. */
  bulkRowsLost: number;
  /** The next Bulk job polls answer these bodies (200), one each, in order: answers not of a job's shape. */
  bulkPollAnswers: unknown[];
  /** The next API calls answer these errors, one each, in order (any status and errorCode). */
  answerNext: { status: number; errorCode: string; message: string }[];
}

export interface SalesforceSandbox {
  url: string;
  orgId: string;
  org: Org;
  requests: RequestLog;
  faults: SalesforceFaults;
  /** A valid token minted for tests (access_token mode). */
  accessToken: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** API calls counted against the daily limit so far. */
  apiUsage(): { used: number; limit: number };
  /** Every token minted so far stops working (sessions time out). */
  expireTokens(): void;
  /**
   * The sandbox refreshed: a new org at the same URL, with the same records and ids, under a new org id
   * (`orgId` says it), none of the old org's Bulk jobs (404 NOT_FOUND for them); every session ends, so the client's re-login reaches the new org.
   */
  refreshOrg(orgId: string): void;
  /** Queries (query, queryAll) answered so far, by the object they read: `SELECT Id FROM Organization` counts as Organization. */
  queriesOf(object: string): number;
  /** A new day: the daily API request count starts again (at `used`, to stand for other integrations' calls). */
  resetApiUsage(used?: number): void;
  /** Called after each query page is answered (tests change data between two pages with it). */
  onQuery: ((served: number) => void) | null;
  /** Called after each Bulk result page is answered. */
  onBulkPage: ((served: number) => void) | null;
  /** Record `n` new online gifts with their payments, now. */
  addGifts(n: number): void;
  close(): Promise<void>;
}

const API = /^\/services\/data\/v(\d+\.\d)(\/.*)$/;

class SfError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** A user's open query cursors (an eleventh releases the oldest), and how long one lives idle. */
const OPEN_CURSORS = 10;
const LOCATOR_IDLE_MS = 15 * 60_000;

/**
 * A local server speaking the Salesforce REST wire protocol as jsforce uses it: OAuth token grants,
 * query / queryAll / queryMore over a real SOQL subset, describe and limits, with Sforce-Limit-Info on
 * every answer and Salesforce's error arrays. Point jsforce at it with `instanceUrl: sandbox.url`.
 */
export async function startSalesforceSandbox(opts: SalesforceSandboxOptions = {}): Promise<SalesforceSandbox> {
  const clock = opts.now ?? (() => new Date());
  const org = new Org(() => clock().getTime(), opts.scenario?.seed ?? 1, opts.multiCurrency ?? false);
  seedOrg(org, opts);
  let orgId = opts.orgId ?? '00D8d000000sboxEAA';
  org.insert('Organization', { Id: orgId, Name: 'Puddle Sandbox', IsSandbox: true, OrganizationType: 'Developer Edition' });
  if (opts.liveSeed !== undefined) org.rand.reseed(opts.liveSeed);
  const clientId = opts.clientId ?? 'puddle_sandbox_client';
  const clientSecret = opts.clientSecret ?? randomBytes(12).toString('hex');
  const refreshToken = opts.refreshToken ?? `5Aep${randomBytes(12).toString('hex')}`;
  const ttl = opts.tokenTtlMs ?? 3_600_000;
  const limit = opts.dailyLimit ?? 100_000;
  const tokens = new Map<string, number>();
  const mint = () => {
    const t = opts.opaqueTokens ? randomBytes(24).toString('base64url') : `${orgId.slice(0, 15)}!${randomBytes(18).toString('base64url')}`;
    tokens.set(t, clock().getTime() + ttl);
    return t;
  };
  const accessToken = mint();
  // Open query cursors, oldest first. As Salesforce: a locator serves once, lapses after 15 minutes idle, and
  // opening an eleventh cursor releases the oldest; each answers INVALID_QUERY_LOCATOR afterwards.
  const locators = new Map<string, { version: string; records: Record<string, unknown>[]; offset: number; size: number; at: number }>();
  const requests = new BoundedRequestLog();
  const bulk = new BulkJobs(org);
  const wire = new WireNamespace(opts.namespace);
  const faults: SalesforceFaults = { status5xx: 0, html5xx: 0, token5xx: 0, tokenJson5xx: 0, queryTimeoutOver: 0, refuseAuth: false, bulkPagesBeforeFailure: -1, bulkJobEnds: null, bulkRowsLost: 0, bulkPollAnswers: [], answerNext: [] };
  let used = 0;
  let queries = 0;
  const queriesByObject = new Map<string, number>();
  let bulkPages = 0;
  let url = '';

  const server = createServer((req, res) => {
    if (opts.control?.(req, res)) return;
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let status = 200;
    let text: string;
    let type = 'application/json;charset=UTF-8';
    const extra: Record<string, string> = {};
    try {
      if (u.pathname === '/services/oauth2/token' && method === 'POST') text = JSON.stringify(grant(new URLSearchParams(body)));
      else {
        const out = api(req, method, wire.inboundUrl(u), wire.inbound(body));
        if (out instanceof CsvPage) {
          type = 'text/csv';
          text = out.csv;
          extra['sforce-locator'] = out.next;
          extra['sforce-numberofrecords'] = String(out.count);
        } else text = JSON.stringify(out);
      }
    } catch (err) {
      if (err instanceof OAuthError) {
        status = err.status;
        text = JSON.stringify({ error: err.error, error_description: err.message });
      } else if (err instanceof HtmlError) {
        status = 503;
        type = 'text/html';
        text = '<html><body><h1>503 Service Unavailable</h1>Maintenance in progress.</body></html>';
      } else {
        const e = err instanceof SfError ? err : err instanceof SoqlError ? new SfError(400, err.errorCode, err.message) : new SfError(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred.');
        if (!(err instanceof SfError) && !(err instanceof SoqlError)) console.error('salesforce sandbox:', err);
        status = e.status;
        text = JSON.stringify([{ message: e.message, errorCode: e.errorCode }]);
      }
    }
    if (u.pathname !== '/services/oauth2/token') text = wire.outbound(text);
    res.writeHead(status, { ...extra, 'content-type': type, 'content-length': Buffer.byteLength(text), 'sforce-limit-info': `api-usage=${used}/${limit}` });
    res.end(text);
    requests.record({ method, path: u.pathname, status, requestId: randomBytes(6).toString('hex') });
  }

  function grant(form: URLSearchParams): unknown {
    if (faults.token5xx > 0) {
      faults.token5xx--;
      throw new HtmlError();
    }
    if (faults.tokenJson5xx > 0) {
      faults.tokenJson5xx--;
      throw new OAuthError('unknown_error', 'retry your request', 503);
    }
    if (faults.refuseAuth) throw new OAuthError('invalid_grant', 'expired access/refresh token');
    const kind = form.get('grant_type');
    if (kind === 'client_credentials') {
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) throw new OAuthError('invalid_client', 'invalid client credentials');
    } else if (kind === 'refresh_token') {
      if (form.get('refresh_token') !== refreshToken) throw new OAuthError('invalid_grant', 'expired access/refresh token');
    } else if (kind === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      verifyJwt(form.get('assertion') ?? '');
    } else throw new OAuthError('unsupported_grant_type', 'grant type not supported');
    return { access_token: mint(), instance_url: url, ...(opts.opaqueTokens ? {} : { id: `${url}/id/${orgId}/0058d000000user` }), token_type: 'Bearer', issued_at: String(clock().getTime()), signature: randomBytes(12).toString('base64') };
  }

  function verifyJwt(assertion: string): void {
    const [h, p, sig] = assertion.split('.');
    if (!opts.jwt || !h || !p || !sig) throw new OAuthError('invalid_grant', 'invalid assertion');
    const ok = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(opts.jwt.publicKey, Buffer.from(sig, 'base64url'));
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: string; sub?: string; aud?: string; exp?: number };
    if (!ok) throw new OAuthError('invalid_grant', 'invalid assertion signature');
    if (claims.iss !== clientId) throw new OAuthError('invalid_client_id', 'client identifier invalid');
    if (claims.sub !== opts.jwt.username) throw new OAuthError('invalid_grant', 'user hasn\'t approved this consumer');
    if (!/^https:\/\/(login|test)\.salesforce\.com$/.test(claims.aud ?? '') && claims.aud !== url) throw new OAuthError('invalid_grant', 'audience is invalid');
    if (!claims.exp || claims.exp * 1000 < clock().getTime()) throw new OAuthError('invalid_grant', 'expired authorization code');
  }

  function api(req: IncomingMessage, method: string, u: URL, body: string): unknown {
    const auth = headerValue(req, 'authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expires = tokens.get(token);
    if (expires === undefined || expires <= clock().getTime()) throw new SfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    if (faults.html5xx > 0) {
      faults.html5xx--;
      throw new HtmlError();
    }
    if (faults.status5xx > 0) {
      faults.status5xx--;
      throw new SfError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable.');
    }
    const next = faults.answerNext.shift();
    if (next) throw new SfError(next.status, next.errorCode, next.message);
    if (used >= limit) throw new SfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    used++;
    const m = API.exec(u.pathname);
    if (!m) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const [, version, rest] = m as unknown as [string, string, string];
    let hit: RegExpExecArray | null;
    if (rest === '/jobs/query' && method === 'POST') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new SfError(400, 'JSON_PARSER_ERROR', 'The request body is not JSON');
      }
      try {
        const job = bulk.create(parsed, { ends: faults.bulkJobEnds, lost: faults.bulkRowsLost });
        Object.assign(faults, { bulkJobEnds: null, bulkRowsLost: 0 });
        return job;
      } catch (err) {
        if (err instanceof SoqlError) throw err;
        throw new SfError(400, 'INVALIDJOB', 'query and operation (query or queryAll) are required');
      }
    }
    if (method !== 'GET') throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if ((hit = /^\/jobs\/query\/(\w+)$/.exec(rest))) {
      if (faults.bulkPollAnswers.length) return faults.bulkPollAnswers.shift();
      const job = bulk.poll(hit[1]!);
      if (!job) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
      return job;
    }
    if ((hit = /^\/jobs\/query\/(\w+)\/results$/.exec(rest))) {
      if (faults.bulkPagesBeforeFailure === 0) throw new SfError(400, 'INVALIDJOBSTATE', 'Simulated failure while reading results');
      if (faults.bulkPagesBeforeFailure > 0) faults.bulkPagesBeforeFailure--;
      const r = bulk.results(hit[1]!, u.searchParams.get('locator'), Number(u.searchParams.get('maxRecords') ?? 50_000));
      if (r === 'not_found') throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
      if (r === 'not_complete') throw new SfError(400, 'INVALIDJOBSTATE', 'The job is not complete');
      if (r === 'bad_locator') throw new SfError(400, 'INVALID_LOCATOR', 'invalid locator');
      bulkPages++;
      self.onBulkPage?.(bulkPages);
      return new CsvPage(r.csv, r.next, r.count);
    }
    if (rest === '/limits/recordCount') {
      const names = (u.searchParams.get('sObjects') ?? '').split(',').filter(Boolean);
      return { sObjects: names.filter((n) => org.rows.has(n) && !org.absent.has(n)).map((name) => ({ name, count: [...org.rows.get(name)!.values()].filter((r) => !r.IsDeleted).length })) };
    }
    if (rest === '/query' || rest === '/queryAll') {
      const soql = u.searchParams.get('q');
      if (!soql) throw new SfError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      const r = org.query(soql, rest === '/queryAll');
      queriesByObject.set(r.object, (queriesByObject.get(r.object) ?? 0) + 1);
      if (faults.queryTimeoutOver > 0 && r.matched > faults.queryTimeoutOver) throw new SfError(400, 'QUERY_TIMEOUT', 'Your query request was running for too long.');
      const asked = /batchSize=(\d+)/.exec(headerValue(req, 'sforce-query-options') ?? '')?.[1];
      const size = Math.min(2000, Math.max(200, Number(asked ?? opts.batchSize ?? 2000)), opts.batchSize ?? 2000);
      const out = page(version, { version, records: r.records, offset: 0, size }, rest.slice(1));
      queries++;
      self.onQuery?.(queries);
      return out;
    }
    if ((hit = /^\/(query|queryAll)\/([\w-]+)$/.exec(rest))) {
      const cursor = locators.get(hit[2]!);
      locators.delete(hit[2]!);
      if (!cursor || clock().getTime() - cursor.at > LOCATOR_IDLE_MS) throw new SfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return page(version, cursor, hit[1]!);
    }
    if ((hit = /^\/sobjects\/(\w+)\/describe$/.exec(rest))) return describe(hit[1]!);
    if (rest === '/limits') return { DailyApiRequests: { Max: limit, Remaining: limit - used } };
    throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  function page(version: string, c: { version: string; records: Record<string, unknown>[]; offset: number; size: number }, kind: string): unknown {
    const records = c.records.slice(c.offset, c.offset + c.size);
    const offset = c.offset + records.length;
    const done = offset >= c.records.length;
    const out: Record<string, unknown> = { totalSize: c.records.length, done, records };
    if (!done) {
      const locator = `01g8d${randomBytes(6).toString('hex')}-${offset}`;
      locators.set(locator, { ...c, offset, at: clock().getTime() });
      if (locators.size > OPEN_CURSORS) locators.delete(locators.keys().next().value!);
      out.nextRecordsUrl = `/services/data/v${version}/${kind}/${locator}`;
    }
    for (const r of records) {
      const a = r.attributes as { type: string; url: string };
      if (!a.url.startsWith('/services')) a.url = `/services/data/v${version}${a.url}`;
    }
    return out;
  }

  function describe(object: string): unknown {
    const spec = org.absent.has(object) ? undefined : OBJECTS[object];
    if (!spec) throw new SfError(404, 'NOT_FOUND', `The requested resource does not exist`);
    return {
      name: object, keyPrefix: spec.keyPrefix, queryable: true, custom: object.endsWith('__c'),
      fields: Object.entries(spec.fields)
        .filter(([f]) => !org.hidden.has(`${object}.${f}`))
        .map(([name, f]) => ({ name, type: f.type, calculated: Boolean(f.calculated), nillable: name !== 'Id' })),
      // As Salesforce lists them: the master record type last, and only objects that have record types.
      recordTypeInfos: (spec.recordTypes ?? []).map((t) => ({
        recordTypeId: t.id, developerName: t.developerName, name: t.name, active: true, available: true,
        master: t.developerName === 'Master', defaultRecordTypeMapping: false,
      })).sort((a, b) => Number(a.master) - Number(b.master)),
    };
  }

  const live = new SeededRandom((opts.liveSeed ?? opts.scenario?.seed ?? 1) + 1);
  const port = await listenOnLoopback(server, opts.port);
  url = `http://127.0.0.1:${port}`;
  const self: SalesforceSandbox = {
    onQuery: null,
    onBulkPage: null,
    url, orgId, org, requests, faults, accessToken, clientId, clientSecret, refreshToken,
    apiUsage: () => ({ used, limit }),
    expireTokens: () => {
      for (const t of tokens.keys()) tokens.set(t, 0);
    },
    refreshOrg: (id) => {
      org.purge('Organization', orgId);
      orgId = id;
      self.orgId = id;
      org.insert('Organization', { Id: id, Name: 'Puddle Sandbox', IsSandbox: true, OrganizationType: 'Developer Edition' });
      // Bulk jobs belong to the org they were made in: a refreshed sandbox has none, and Salesforce answers a poll
      // or results call for one 404 NOT_FOUND (until 2026-12-04 this sandbox kept them across the refresh).
      bulk.clear();
      self.expireTokens();
    },
    queriesOf: (object) => queriesByObject.get(object) ?? 0,
    resetApiUsage: (n = 0) => {
      used = n;
    },
    addGifts: (n) => {
      for (let i = 0; i < n; i++) addLiveGift(org, live);
    },
    close: () => closeServer(server),
  };
  return self;
}

/** A token endpoint's JSON error: 400 for a refused grant, a 5xx where the server is at fault. */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

class HtmlError extends Error {}

class CsvPage {
  constructor(
    readonly csv: string,
    readonly next: string,
    readonly count: number,
  ) {}
}
