import { array, document, type XmlObject } from './xml.js';

/** An answer other than 200: a status, optional headers, and an XML body when the gateway sends one. */
export class BraintreeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(`braintree sandbox ${status}`);
  }
}

export interface ValidationError {
  attribute: string;
  code: string;
  message: string;
}

/**
 * HTTP 422 `<api-error-response>`, the gateway's validation failure: the SDK resolves it as an
 * ErrorResponse (`success: false`, `message`, `errors.deepErrors()`) rather than throwing. Errors sit
 * under the request's top-level key (`search`, `settlement_batch_summary`), as the gateway nests them.
 */
export function validationFailed(scope: string, errors: ValidationError[], message = errors.map((e) => e.message).join('\n')): BraintreeApiError {
  const scoped: XmlObject = { errors: array('error', errors.map((e) => ({ code: e.code, attribute: e.attribute, message: e.message }))) };
  const body = document('api_error_response', {
    errors: { errors: array('error', []), [scope]: scoped },
    message,
  });
  return new BraintreeApiError(422, body);
}

// The search errors are the sandbox's own codes: the SDK's validation_error_codes.js lists none for
// transaction search, and the gateway's real answer to an over-large search is not documented there.
export const SEARCH_INVALID = 'sandbox_search_invalid';
export const SEARCH_TOO_MANY_RESULTS = 'sandbox_search_too_many_results';

export function tooManyResults(matched: number, limit: number): BraintreeApiError {
  return validationFailed('search', [
    {
      attribute: 'search',
      code: SEARCH_TOO_MANY_RESULTS,
      message: `Search matched too many results (${matched}; the limit is ${limit}). Narrow the search criteria.`,
    },
  ]);
}

/** Injected 422: a validation failure with no particular field, for testing the caller's handling. */
export function injected422(): BraintreeApiError {
  return validationFailed('search', [{ attribute: 'base', code: 'sandbox_injected', message: 'Injected validation failure.' }]);
}

export const unauthenticated = (): BraintreeApiError => new BraintreeApiError(401);
export const forbidden = (): BraintreeApiError => new BraintreeApiError(403);
export const notFound = (): BraintreeApiError => new BraintreeApiError(404);
export const upgradeRequired = (): BraintreeApiError => new BraintreeApiError(426);
export const tooManyRequests = (retryAfterSeconds: number): BraintreeApiError =>
  new BraintreeApiError(429, '', { 'retry-after': String(retryAfterSeconds) });
export const serverError = (status = 500): BraintreeApiError => new BraintreeApiError(status);
