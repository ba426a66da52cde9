import braintree from 'braintree';
import type { Readable } from 'node:stream';
import type { BraintreeSandbox } from './types.js';

export { movableClock } from '../../sandbox-kit/movable-clock.js';

/** The official SDK pointed at a sandbox, as the connector's tests and the benchmark use it. */
export function sandboxGateway(
  sandbox: Pick<BraintreeSandbox, 'port' | 'merchantId' | 'publicKey' | 'privateKey'>,
  keys: { publicKey?: string; privateKey?: string; merchantId?: string } = {},
): braintree.BraintreeGateway {
  const port = String(sandbox.port);
  const environment = new braintree.Environment('127.0.0.1', port, `http://127.0.0.1:${port}`, false, '127.0.0.1', port);
  return new braintree.BraintreeGateway({
    environment,
    merchantId: keys.merchantId ?? sandbox.merchantId,
    publicKey: keys.publicKey ?? sandbox.publicKey,
    privateKey: keys.privateKey ?? sandbox.privateKey,
  });
}

/** Drain a search stream. The SDK emits an ErrorResponse (not an Error) for a 422, hence `unknown`. */
export function collect<T>(stream: Readable): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (item: T) => out.push(item));
    stream.on('end', () => resolve(out));
    stream.on('error', (err: unknown) => reject(err));
  });
}

type Builder = {
  is(v: unknown): void;
  in(v: unknown[]): void;
  between(a: unknown, b: unknown): void;
  min(v: unknown): void;
  max(v: unknown): void;
};
type Field = 'createdAt' | 'settledAt' | 'status' | 'type' | 'refund' | 'disbursementDate' | 'disputeDate' | 'receivedDate' | 'effectiveDate';

/**
 * The SDK's search builders accept strings as well as Dates, and the dispute typings list only
 * `status`: tests build searches through this looser view of both.
 */
export type LooseSearch = Record<Field, () => Builder>;

export function searchTransactions(gateway: braintree.BraintreeGateway, fn: (s: LooseSearch) => void): Promise<braintree.Transaction[]> {
  return collect(gateway.transaction.search(fn as unknown as braintree.TransactionSearchFn));
}

export function searchDisputes(gateway: braintree.BraintreeGateway, fn: (s: LooseSearch) => void): Promise<braintree.Dispute[]> {
  return collect(gateway.dispute.search(fn as unknown as braintree.DisputeSearchFn));
}
