/** An answer in Stripe's error shape: `{"error":{"type","code","message","param","doc_url"}}`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): { error: Record<string, string> } {
    const error: Record<string, string> = { type: this.type, message: this.message };
    if (this.code) {
      error.code = this.code;
      error.doc_url = `https://stripe.com/docs/error-codes/${this.code.replace(/_/g, '-')}`;
    }
    if (this.param) error.param = this.param;
    return { error };
  }
}

export function invalidParam(param: string, message: string, code = 'parameter_invalid'): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', message, code, param);
}

export function unknownParam(param: string): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', `Received unknown parameter: ${param}`, 'parameter_unknown', param);
}

export function noSuch(kind: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(param ? 400 : 404, 'invalid_request_error', `No such ${kind}: '${id}'`, 'resource_missing', param ?? 'id');
}

export function unknownUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`, 'resource_missing');
}

/** Never echo the key: Stripe shows only its last four characters, and so do we. */
export function invalidKey(key: string | null): StripeApiError {
  if (!key) {
    return new StripeApiError(401, 'invalid_request_error', 'You did not provide an API key. Provide it in the Authorization header (Authorization: Bearer YOUR_SECRET_KEY).');
  }
  return new StripeApiError(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`, 'api_key_invalid');
}

export function rateLimited(retryAfterSeconds: number): StripeApiError {
  return new StripeApiError(
    429,
    'invalid_request_error',
    'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    'rate_limit',
    undefined,
    // The SDK retries a 429 only when told it may; Retry-After is for callers that pace themselves.
    { 'stripe-should-retry': 'true', 'retry-after': String(retryAfterSeconds) },
  );
}

export function apiError(): StripeApiError {
  return new StripeApiError(500, 'api_error', 'An unknown error occurred (injected by the sandbox).', undefined, undefined, { 'stripe-should-retry': 'true' });
}
