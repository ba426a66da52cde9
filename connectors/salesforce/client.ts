import { createSign } from 'node:crypto';
import { Connection, OAuth2 } from 'jsforce';
import { setDefaults } from 'jsforce/lib/request.js';
import { AuthError, CursorGoneError, FatalError, NotFoundError, QuotaReachedError, RetriableError, WindowTooLargeError } from '../../core/errors.js';
import { proxyFor } from '../../core/http/proxy.js';
import { readNumber } from '../../core/settings.js';
import { describedFields, queryAnswer, unexpectedAnswer, type QueryAnswer } from './answers.js';
import { AUTH_CREDENTIALS, HTTP_TIMEOUT_RANGE, type SalesforceAuthMode, type SalesforceConfig } from './config.js';

/**
 * How long one call may wait for Salesforce's answer. Salesforce itself stops a synchronous request after
 * about 120 s (REQUEST_RUNNING_TOO_LONG, retried), so past this no answer is coming; jsforce would wait
 * 30 minutes. `HTTP_TIMEOUT` (milliseconds) overrides it, as it does in jsforce. Read when this module loads
 * (jsforce's defaults are module-wide); one that is not a number in range is named by salesforceConfig, which
 * `puddle start` and `puddle sync` check before anything runs, and the default holds meanwhile.
 */
export const SALESFORCE_TIMEOUT_MS = readNumber(process.env.HTTP_TIMEOUT?.trim() ?? '', HTTP_TIMEOUT_RANGE) ?? 150_000;

// jsforce retries GETs on 420/429/5xx five times on its own (ignoring Retry-After), and query, queryMore
// and describe pass no per-call options: only the module defaults reach them. The engine owns retries.
// setDefaults replaces jsforce's own defaults, so what they held is set again: a timeout here, and the
// proxy per connection (SalesforceClient: jsforce's default sent every call, a sandbox's on this machine
// too, through HTTPS_PROXY, whatever NO_PROXY said).
setDefaults({ followRedirect: true, retry: { methods: [] }, timeout: SALESFORCE_TIMEOUT_MS });

const DESCRIBE_TTL_MS = 4 * 60_000;

export type QueryPage = QueryAnswer;

/**
 * A jsforce Connection for the configured auth mode. Modes that cannot refresh through jsforce's own
 * refresh (jwt, client credentials: no refresh token) re-mint through `refreshFn`; on INVALID_SESSION_ID
 * jsforce calls it once and replays the request. A refused re-mint rejects the call: the stream stops.
 */
export class SalesforceClient {
  readonly conn: Connection;

  /**
   * recordTypes: record type id -> DeveloperName, filled from every describe (ids are unique across objects);
   * the streams' mappings read the same map (connector.ts hands both the one instance).
   */
  constructor(readonly config: SalesforceConfig, readonly recordTypes = new Map<string, string>()) {
    // The outbound proxy from the environment, if one applies to the org's host (core/http/proxy.ts).
    const base = { instanceUrl: config.instanceUrl, version: config.apiVersion, httpProxy: proxyFor(config.instanceUrl) };
    const oauth2 = new OAuth2({ loginUrl: config.loginUrl, clientId: config.clientId ?? undefined, clientSecret: config.clientSecret ?? undefined, httpProxy: proxyFor(config.loginUrl) });
    keepTokenStatus(oauth2);
    if (config.auth === 'access_token') {
      // No oauth2 config: jsforce would otherwise install a refresh that fails without an errorCode.
      this.conn = new Connection({ ...base, accessToken: config.accessToken! });
    } else {
      this.conn = new Connection({
        ...base,
        oauth2,
        accessToken: config.accessToken ?? undefined,
        refreshFn: (_conn, callback) => {
          mint(oauth2, config).then(
            (res) => callback(null, res.access_token, res),
            (err: unknown) => callback(tokenFailure(err, config)),
          );
        },
      });
    }
    // jsforce says so after each new token (its refreshFn, or a refresh token).
    this.conn.on('refresh', (accessToken: string, res?: { id?: unknown }) => this.loggedIn(accessToken, res));
    // A token given in the settings names its org too: a re-login to that org is not a new session.
    this.tokenOrg = config.accessToken ? orgNamedBy(config.accessToken) : null;
  }

  /**
   * Which session the calls go out under, as far as the org goes: 0 for the first, one more after each re-login
   * (jsforce re-mints on INVALID_SESSION_ID and replays the call) that may have reached another org (a sandbox
   * refreshed during a run ends its sessions, and the re-mint reaches the new org at the same URL), so what was
   * learnt of the org under one session (its id, what describe showed) is asked again under the next (run-checks.ts).
   */
  session = 0;

  /** The org the last token named (loggedIn), 15 characters; null: none named yet, or the token did not say. */
  private tokenOrg: string | null = null;

  /**
   * A new token. Salesforce names the org in its answer: the identity URL (`id`: `.../id/<org id>/<user id>`, in
   * every OAuth token answer) and the session id itself (`<org id>!...`). A re-login to the org already checked
   * is not a new session here: the same org has the same id and fields, and asking again cost two calls (describe,
   * `SELECT Id FROM Organization`) per re-login; until 2026-12-03 an org whose sessions ended on every page (a
   * short session timeout, sessions locked to an IP behind a rotating proxy) paid them on every page. A token
   * naming another org, or none, is a new session: the checks run again, once for it.
   */
  private loggedIn(accessToken: string, res?: { id?: unknown }): void {
    const org = orgNamedBy(accessToken, res);
    if (org !== null && org === this.tokenOrg) return;
    this.tokenOrg = org;
    this.session++;
  }

  /**
   * Before each call: the daily usage Salesforce reported on the last answer (Sforce-Limit-Info, which
   * jsforce keeps in limitInfo). At SALESFORCE_MAX_API_SHARE the run stops at its checkpoint.
   */
  checkQuota(): void {
    const usage = this.conn.limitInfo?.apiUsage;
    if (usage && usage.limit > 0 && usage.used / usage.limit >= this.config.maxApiShare) {
      throw new QuotaReachedError(`salesforce: ${usage.used} of the org's ${usage.limit} daily API requests used (SALESFORCE_MAX_API_SHARE ${this.config.maxApiShare}): stopping until the next run`);
    }
  }

  private readonly described = new Map<string, { at: number; session: number; fields: Map<string, { calculated: boolean }> }>();
  /**
   * The object's fields as this user sees them (field-level security, installed packages), cached for a few
   * minutes within one session: the streams of one scheduled run share one describe (a stream asks once per run:
   * streams.ts). null: no such object. Its record types are remembered too (recordTypes), so a gift says
   * `Donation`, not `0128d...`.
   */
  async describeFields(object: string, now: number): Promise<Map<string, { calculated: boolean }> | null> {
    const hit = this.described.get(object);
    if (hit && hit.session === this.session && now - hit.at < DESCRIBE_TTL_MS) return hit.fields;
    this.checkQuota();
    let res;
    try {
      res = await this.conn.describe(object);
    } catch (err) {
      const code = (err as { errorCode?: string }).errorCode;
      if (code === 'NOT_FOUND' || code === 'INVALID_TYPE') return null;
      throw err;
    }
    const fields = new Map(describedFields(res, `describe ${object}`).map((f) => [f.name, { calculated: Boolean(f.calculated) }]));
    // developerName is in describe since API 43.0; jsforce's type predates it.
    for (const t of (res.recordTypeInfos ?? []) as { recordTypeId?: string; developerName?: string }[]) {
      if (t.recordTypeId && t.developerName) this.recordTypes.set(t.recordTypeId, t.developerName);
    }
    // Answered under the session now current (a re-login during the call replays it under the new one).
    this.described.set(object, { at: now, session: this.session, fields });
    return fields;
  }

  private org: { at: number; session: number; id: string } | null = null;
  /**
   * The id of the org this connection reaches (`SELECT Id FROM Organization`: one row, its Id the org id), cached
   * as describe is: the streams of one scheduled run share one query, and a new session asks again. A sandbox
   * refresh keeps the URL and makes a new org.
   */
  async organizationId(now: number): Promise<string> {
    if (this.org && this.org.session === this.session && now - this.org.at < DESCRIBE_TTL_MS) return this.org.id;
    const page = await this.query('SELECT Id FROM Organization', false);
    const id = page.records[0]?.Id;
    if (typeof id !== 'string' || !/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(id)) throw unexpectedAnswer('query Organization', 'no organization id');
    this.org = { at: now, session: this.session, id };
    return id;
  }

  /** One page of a query; `all` reads deleted rows too (queryAll). autoFetch stays off: the engine pages. */
  async query(soql: string, all: boolean): Promise<QueryPage> {
    this.checkQuota();
    const what = all ? 'queryAll' : 'query';
    let res;
    try {
      res = await this.conn.query(soql, { scanAll: all, autoFetch: false });
    } catch (err) {
      // jsforce reads `records.length` of the page itself, so a page without records fails inside it.
      if (err instanceof TypeError && /Cannot read properties/.test(err.message)) throw unexpectedAnswer(what, 'no records');
      throw err;
    }
    return queryAnswer(res, what);
  }
}

/** The org a token answer names (15 characters): its identity URL's, else the session id's prefix; null if neither. */
export function orgNamedBy(accessToken: string, res?: { id?: unknown }): string | null {
  const ORG = /^00D[A-Za-z0-9]{12}/;
  const fromId = typeof res?.id === 'string' ? /\/id\/(00D[A-Za-z0-9]{12})(?:[A-Za-z0-9]{3})?\//.exec(res.id)?.[1] : undefined;
  return fromId ?? (/^00D[A-Za-z0-9]{12}!/.test(accessToken) ? ORG.exec(accessToken)![0] : null);
}

function mint(oauth2: OAuth2, config: SalesforceConfig) {
  switch (config.auth) {
    case 'client_credentials':
      return oauth2.requestToken({ grant_type: 'client_credentials' });
    case 'refresh_token':
      return oauth2.refreshToken(config.refreshToken!);
    case 'jwt':
      return oauth2.requestToken({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(config) });
    default:
      return Promise.reject(new AuthError('salesforce: the access token expired; set a new SALESFORCE_ACCESS_TOKEN'));
  }
}

/** A token endpoint's answer that says the server is at fault, whatever its body: worth another try. */
const serverAtFault = (status: number) => status >= 500 || status === 429 || status === 408;

/** The token endpoint answered `status` (serverAtFault), thrown before jsforce reads the body and drops it. */
class TokenEndpointStatus extends Error {
  constructor(readonly status: number) {
    super(`token endpoint answered HTTP ${status}`);
  }
}

/**
 * jsforce 3.10.16's OAuth2 reads a token error's body and keeps only its `error` and `error_description`
 * (`_postParams` in oauth2.js): a 5xx with a JSON body (`{"error":"unknown_error","error_description":"retry
 * your request"}`) came out as an error named like a refused grant, with no status, and the stream stopped as a
 * refused re-authentication. The status is only on the transport's response, so the OAuth2 instance's transport
 * is wrapped to fail such an answer with its status first. A 4xx (a refused grant) goes on to jsforce, unchanged.
 */
function keepTokenStatus(oauth2: OAuth2): void {
  const transport = (oauth2 as unknown as { _transport: { httpRequest: (req: unknown, opts?: unknown) => PromiseLike<{ statusCode: number }> } })._transport;
  const httpRequest = transport.httpRequest.bind(transport);
  transport.httpRequest = async (req, opts) => {
    const res = await httpRequest(req, opts);
    if (serverAtFault(res.statusCode)) throw new TokenEndpointStatus(res.statusCode);
    return res;
  };
}

/** Which settings to check for a refused session in auth mode `auth` (their names, never their values). */
const checkSettings = (auth: SalesforceAuthMode) => `check ${AUTH_CREDENTIALS[auth].join(' and ')} (SALESFORCE_AUTH ${auth})`;

/**
 * What jsforce's wrapped refresh error starts with when the token endpoint could not answer (a 5xx, a 429, no
 * answer): classifySalesforceError reads it back as retriable, since jsforce keeps only the message.
 */
const TOKEN_UNAVAILABLE = 'the token endpoint did not answer';

/** A network failure or a timeout, by its code or message (node-fetch, undici, jsforce's abort). */
const NETWORK = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up|fetch failed/i;

/**
 * Salesforce refused to mint a token (its OAuth error code in the error's name): the error, reworded to
 * name the settings of the auth mode, never their values. jsforce keeps only the message of what its
 * refreshFn rejects with ("Unable to refresh session due to: ..."), so what matters goes in the message:
 * the settings' names, or that the endpoint could not answer, with the status: kept by keepTokenStatus (a 5xx
 * with a JSON body), or the one jsforce names a non-JSON error answer by (`ERROR_HTTP_503`: a maintenance page,
 * a gateway's 502). Until 2026-12-02 such a failure read as a refused re-authentication and stopped the stream.
 * Anything else is passed on as it came.
 */
function tokenFailure(err: unknown, config: Pick<SalesforceConfig, 'auth'>): Error {
  const e = err as { name?: string; code?: string; message?: string } | null;
  const code = e?.name ?? '';
  const status = err instanceof TokenEndpointStatus ? err.status : Number(/^ERROR_HTTP_(\d{3})$/.exec(code)?.[1] ?? NaN);
  if (serverAtFault(status)) return new Error(`${TOKEN_UNAVAILABLE}: HTTP ${status}`);
  const network = NETWORK.exec(`${e?.code ?? ''} ${e?.message ?? ''}`)?.[0];
  if (network || code === 'AbortError' || code === 'TimeoutError') return new Error(`${TOKEN_UNAVAILABLE}: ${network ? `network error (${network})` : 'no answer in time'}`);
  if (!(err instanceof Error) || !AUTH.has(code)) return err as Error;
  return new Error(`${checkSettings(config.auth)}: Salesforce answered ${code}: ${err.message.slice(0, 200)}`);
}

/** RS256 JWT bearer assertion (jsforce does not sign): iss = consumer key, sub = username, aud = login host. */
export function jwtAssertion(config: SalesforceConfig, now = Date.now()): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const aud = /test\.salesforce\.com/.test(config.loginUrl) ? 'https://test.salesforce.com' : /^https:\/\/login\.salesforce\.com/.test(config.loginUrl) ? 'https://login.salesforce.com' : config.loginUrl;
  const body = `${part({ alg: 'RS256' })}.${part({ iss: config.clientId, sub: config.username, aud, exp: Math.floor(now / 1000) + 180 })}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(config.privateKey!).toString('base64url')}`;
}

const RETRIABLE = new Set(['SERVER_UNAVAILABLE', 'UNABLE_TO_LOCK_ROW', 'UNKNOWN_EXCEPTION', 'REQUEST_RUNNING_TOO_LONG']);
const AUTH = new Set(['INVALID_SESSION_ID', 'invalid_grant', 'invalid_client', 'invalid_client_id', 'unsupported_grant_type', 'INVALID_AUTH_HEADER']);

/**
 * jsforce errors carry the body's errorCode (as `errorCode` and `name`) and no HTTP status: a non-JSON
 * answer becomes `ERROR_HTTP_<status>`. Messages are Salesforce's own (no record data in them). `auth`: the
 * connector's auth mode, whose settings a refused session names (access_token mode has no re-mint to name them).
 */
export function classifySalesforceError(err: unknown, auth?: SalesforceAuthMode): Error {
  if (err instanceof RetriableError || err instanceof FatalError || err instanceof WindowTooLargeError || err instanceof QuotaReachedError) return err;
  const e = err as { errorCode?: string; name?: string; message?: string; code?: string } | null;
  const code = e?.errorCode ?? e?.name ?? '';
  const msg = String(e?.message ?? err).slice(0, 200);
  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  if (http) {
    const status = Number(http[1]);
    if (status >= 500 || status === 429 || status === 408) return new RetriableError(`salesforce: HTTP ${status}`, undefined, { status, cause: err });
    if (status === 401) return new AuthError(`salesforce: 401 ${msg}`, { cause: err });
    return new FatalError(`salesforce: HTTP ${status}`, { cause: err });
  }
  // The connector's own HTTP calls (Bulk result pages) carry the status: any 5xx is the server's trouble.
  const status = typeof (err as { status?: unknown } | null)?.status === 'number' ? (err as { status: number }).status : null;
  if (status !== null && status >= 500 && code !== 'REQUEST_LIMIT_EXCEEDED') return new RetriableError(`salesforce: HTTP ${status} ${code}`, undefined, { status, cause: err });
  if (RETRIABLE.has(code)) return new RetriableError(`salesforce: ${code}`, undefined, { status: 503, cause: err });
  if (AUTH.has(code)) return new AuthError(`salesforce: ${code}: authentication refused${auth ? `: ${checkSettings(auth)}` : ''} (${msg})`, { cause: err });
  // jsforce wraps a failed refreshFn (or its own refresh) in a plain Error with this message.
  // The reason comes whole (not cut at 200 characters): a refused token's names the settings to check.
  const refresh = /^Unable to refresh session due to: ([^]*)$/.exec(String(e?.message ?? ''));
  if (refresh?.[1]!.startsWith(TOKEN_UNAVAILABLE)) {
    const answered = Number(/HTTP (\d{3})$/.exec(refresh[1]!)?.[1] ?? NaN);
    return new RetriableError(`salesforce: re-authentication failed: ${refresh[1]!}`, undefined, { ...(answered ? { status: answered } : {}), cause: err });
  }
  if (refresh) return new AuthError(`salesforce: re-authentication refused: ${refresh[1]!.slice(0, 400)}`, { cause: err });
  // A field describe showed that the query may not name: field-level security changed since the object was described
  // (it is described once every few minutes). The next run describes it again, and fields-read.ts names the field.
  if (code === 'INVALID_FIELD') {
    return new FatalError(`salesforce: INVALID_FIELD: ${msg.split('. ')[0]}: field-level security may have changed during the run; it stopped at its last checkpoint, and the next run describes the object again`, { cause: err });
  }
  if (code === 'QUERY_TIMEOUT') return new WindowTooLargeError(`salesforce: QUERY_TIMEOUT`, { cause: err });
  // A REST query locator (nextRecordsUrl, queryMore) is gone: idle for 15 minutes, past its two days, or
  // released because the user opened an eleventh (Salesforce answers 400, some releases 404). Reading again
  // from the query works, so a stream that pages by locator gets the engine's re-read of its window. The
  // streams here page by keyset (`<stamp>|<id>`), which never goes stale; this covers a locator all the same.
  if (code === 'INVALID_QUERY_LOCATOR') return new CursorGoneError('salesforce: INVALID_QUERY_LOCATOR: the query locator expired or was released', { cause: err });
  // Not there (404): a Bulk job deleted since (bulk-backfill.ts starts a new one), a wrong API path. Fatal.
  if (code === 'NOT_FOUND') return new NotFoundError(`salesforce: NOT_FOUND: ${msg}`, { cause: err });
  // The daily cap: never retried in a loop (it lifts over 24 hours, not seconds). Other limits under this
  // code (concurrent long-running requests) do lift in seconds.
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    if (/TotalRequests/i.test(msg)) return new QuotaReachedError(`salesforce: the org's daily API request limit is reached (REQUEST_LIMIT_EXCEEDED): stopping until the next run`, { cause: err });
    return new RetriableError(`salesforce: REQUEST_LIMIT_EXCEEDED: ${msg}`, undefined, { cause: err });
  }
  // jsforce aborts a call past its timeout (AbortError, with a message that says "10 minutes" whatever the
  // timeout was); our own fetch of a Bulk results page says TimeoutError.
  if (code === 'AbortError' || code === 'TimeoutError') {
    return new RetriableError(`salesforce: no answer within ${SALESFORCE_TIMEOUT_MS < 10_000 ? `${SALESFORCE_TIMEOUT_MS} ms` : `${Math.round(SALESFORCE_TIMEOUT_MS / 1000)} s`}`, undefined, { cause: err });
  }
  if (NETWORK.test(`${e?.code ?? ''} ${msg}`)) return new RetriableError(`salesforce: network error (${msg})`, undefined, { cause: err });
  if (code) return new FatalError(`salesforce: ${code}: ${msg}`, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
