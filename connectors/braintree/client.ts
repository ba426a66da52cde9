import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import braintree from 'braintree';
import { AuthError, FatalError, NotFoundError, RetriableError, WindowTooLargeError } from '../../core/errors.js';
import { proxyAgent } from '../../core/http/proxy.js';
import type { BraintreeConfig } from './config.js';

/**
 * How long a request waits for the gateway's answer (the socket idle: no byte in that time). The SDK waits
 * 60 s, as long as the gateway itself lets a request run, and the engine tries a call 5 times: a hung connection
 * held the stream's lease a minute an attempt, and five attempts outlived the lease's two minutes (renewed only
 * at a page). Every call the connector makes is a small read that answers within a second or two: an id search
 * of one day's window (ids only, 50,000 at most), a page of 50 transactions by id, a day's settlement summary, a
 * page of disputes, one record by id. 20 s leaves a slow gateway ten times that, and 5 attempts fit in the lease.
 * Cutting a read short changes nothing at Braintree (unlike a sale), so it is retried. Not a setting: what each
 * call asks is fixed by the connector (a day's window, pages of 50), so a user's account gives no reason to
 * change it; a gateway slower than this is down, and the retries say so.
 */
export const BRAINTREE_TIMEOUT_MS = 20_000;

/** The request timeout a gateway made from this config has (the tests shorten it). */
export const braintreeTimeoutMs = (config: Pick<BraintreeConfig, 'requestTimeoutMs'>): number => config.requestTimeoutMs ?? BRAINTREE_TIMEOUT_MS;

/** The gateway, pointed at BRAINTREE_API_BASE when set (the sandbox), else at the named environment. */
export function createBraintreeGateway(config: BraintreeConfig): braintree.BraintreeGateway {
  let environment: braintree.Environment;
  if (config.apiBase) {
    const base = new URL(config.apiBase);
    const port = base.port || (base.protocol === 'https:' ? '443' : '80');
    // The SDK wants the GraphQL host and port too; the sandbox answers neither, and we never call it.
    environment = new braintree.Environment(base.hostname, port, base.origin, base.protocol === 'https:', base.hostname, port);
  } else {
    environment = config.environment === 'production' ? braintree.Environment.Production : braintree.Environment.Sandbox;
  }
  // The outbound proxy from the environment, if one applies (core/http/proxy.ts); the SDK takes it as
  // `customHttpAgent`, which its types leave out.
  const url = config.apiBase ?? `https://${config.environment === 'production' ? 'api' : 'api.sandbox'}.braintreegateway.com`;
  const customHttpAgent = jsonAsText(proxyAgent(url) ?? (url.startsWith('https:') ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })));
  const gateway = new braintree.BraintreeGateway({ environment, merchantId: config.merchantId, publicKey: config.publicKey, privateKey: config.privateKey, customHttpAgent } as braintree.KeyGatewayConfig);
  // The SDK's own option: its Config sets `timeout` to 60 s whatever it is given, and every request reads it from
  // there (lib/braintree/http.js); on expiry it aborts the request with "Request timed out".
  (gateway.config as { timeout: number }).timeout = braintreeTimeoutMs(config);
  return gateway;
}

/**
 * The SDK reads an answer labelled `application/json` with a bare `JSON.parse` in the response's `end` listener,
 * outside any promise: a body that is not JSON (a proxy's or a load balancer's error page, cut short) threw out
 * of the event loop and ended the process, a running hub with it, printing the body (which may hold a
 * supporter's details) on stderr. The gateway answers XML only (the SDK asks for it), so an answer labelled JSON
 * is never the gateway's: the SDK is handed it as text, which the connector's answer checks refuse as not a
 * gateway document (retried, then the run fails saying so), as they refuse an HTML page.
 */
function jsonAsText(agent: Agent): Agent {
  const withRequests = agent as Agent & { addRequest(req: ClientRequest, options: unknown): void };
  const addRequest = withRequests.addRequest.bind(agent);
  withRequests.addRequest = (req, options) => {
    req.prependListener('response', (res: IncomingMessage) => {
      if (/json/i.test(res.headers['content-type'] ?? '')) res.headers['content-type'] = 'text/plain';
    });
    addRequest(req, options);
  };
  return agent;
}

/**
 * The SDK's errors (an Error whose `type` names it) as the engine's kinds. The SDK never retries and
 * hides response headers, so a 429 carries no Retry-After: the engine's backoff decides the wait.
 */
export function classifyBraintreeError(err: unknown, timeoutMs = BRAINTREE_TIMEOUT_MS): Error {
  const type = (err as { type?: string } | null)?.type;
  switch (type) {
    case 'tooManyRequestsError':
      return new RetriableError('braintree: 429 too many requests', undefined, { status: 429 });
    // The status and its words, as the other connectors say them: until 2026-12-03 the SDK's type name
    // (`braintree: serverError`) was what sync_run, `puddle status` and the dashboard showed.
    case 'serverError':
      return new RetriableError('braintree: 500 server error', undefined, { status: 500 });
    case 'serviceUnavailableError':
      return new RetriableError('braintree: 503 service unavailable', undefined, { status: 503 });
    case 'gatewayTimeoutError':
      return new RetriableError('braintree: 504 gateway timeout', undefined, { status: 504 });
    case 'requestTimeoutError':
      return new RetriableError('braintree: 408 request timeout', undefined, { status: 408 });
    case 'authenticationError':
      return new AuthError('braintree: 401 authentication failed: check BRAINTREE_PUBLIC_KEY and BRAINTREE_PRIVATE_KEY');
    case 'authorizationError':
      return new AuthError('braintree: 403 not authorised: the API key lacks the permission to search');
    case 'notFoundError':
      return new NotFoundError('braintree: 404 not found');
    case 'upgradeRequired':
    case 'invalidKeysError':
      return new FatalError(`braintree: ${type}`);
    case 'unexpectedError': {
      const message = String((err as Error).message);
      // Our request timeout (BRAINTREE_TIMEOUT_MS): nothing came back in time. Worth retrying: a hung connection
      // is dropped with it, and the next attempt opens another.
      if (message === 'Request timed out') return new RetriableError(`braintree: no answer within ${timeoutMs / 1000} s (the request timeout)`, undefined, { cause: err });
      // The SDK gives a connection that failed this type too, the socket's error in its message ("Unexpected
      // request error: Error: connect ECONNREFUSED 127.0.0.1:443"): nothing answered, so it is a network error,
      // worth retrying, and must be named as one, not as a response.
      const network = /^Unexpected (?:request|response) error: (?:\w*Error: )?(.*)/.exec(message)?.[1] ?? null;
      if (network !== null) return new RetriableError(`braintree: network error (${network.slice(0, 200)})`, undefined, { cause: err });
      // Any status the SDK does not name (400, 409, 413, 502, ...), as `Unexpected HTTP response: NNN`.
      // Another 4xx will not change on retry (DESIGN.md rule 8); a 5xx or an unreadable answer might.
      const status = Number(/Unexpected HTTP response: (\d{3})/.exec(message)?.[1]);
      if (status >= 400 && status < 500 && status !== 408) return new FatalError(`braintree: ${status} unexpected response`);
      return new RetriableError(`braintree: ${Number.isFinite(status) ? `${status} ` : ''}unexpected response`, undefined, Number.isFinite(status) ? { status } : {});
    }
  }
  if (err instanceof Error && /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up/.test(err.message)) {
    return new RetriableError(`braintree: network error (${err.message})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

interface ApiErrorResponse {
  message?: string;
  errors?: unknown;
}

/**
 * A 422 resolves (the SDK does not reject it) with `apiErrorResponse`. The gateway caps searches:
 * an answer saying the search matched too many results means "split the window".
 */
export function checkApiError(response: { apiErrorResponse?: ApiErrorResponse }, what: string): void {
  const e = response.apiErrorResponse;
  if (!e) return;
  const text = `${e.message ?? ''} ${JSON.stringify(e.errors ?? '')}`;
  if (/too many results|too_many_results/i.test(text)) throw new WindowTooLargeError(`braintree: ${what} matched too many results`);
  throw new FatalError(`braintree: 422 on ${what}: ${(e.message ?? 'validation failed').slice(0, 200)}`);
}
