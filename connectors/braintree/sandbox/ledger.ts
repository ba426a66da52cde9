import type { SandboxDonation } from '../../sandbox-kit/donations.js';
import { TimeQueue } from '../../sandbox-kit/time-queue.js';
import type { SandboxRandom } from './ids.js';
import type { XmlObject } from './xml.js';
import type {
  BankLine,
  SandboxDisbursement,
  SandboxDispute,
  SandboxSettlementBatch,
  SandboxSubscription,
  SandboxTransaction,
} from './types.js';

/** Something the next disbursement run pays out (a settled transaction) or withdraws (a chargeback). */
/** What a disbursement moves: a transaction, a chargeback's withdrawal, or a won dispute's return. */
export type DisbursementItem = { kind: 'transaction'; tx: SandboxTransaction } | { kind: 'dispute' | 'dispute_won'; dispute: SandboxDispute };

export interface Notification {
  kind: string;
  /** When it happened (sandbox clock), ISO seconds. */
  timestamp: string;
  subjectId: string;
  /** Built lazily: seeding makes many changes and delivers none. */
  subject: () => { name: string; value: XmlObject };
}

/** The gateway's state: transactions in (created_at, id) order, disputes, disbursements, batches, queues. */
export class Ledger {
  readonly transactions: SandboxTransaction[] = [];
  /** created_at in ms, parallel to `transactions`, for range searches by binary search. */
  readonly createdMs: number[] = [];
  readonly byId = new Map<string, SandboxTransaction>();
  readonly disputes: SandboxDispute[] = [];
  readonly disputesById = new Map<string, SandboxDispute>();
  readonly disbursements: SandboxDisbursement[] = [];
  /** `<merchant account>|<date>` of every disbursement made: one per account per date. */
  readonly disbursedKeys = new Set<string>();
  readonly settlementBatches = new Map<string, SandboxSettlementBatch>();
  readonly bankLines: BankLine[] = [];
  readonly subscriptions: SandboxSubscription[] = [];
  readonly subscriptionsById = new Map<string, SandboxSubscription>();
  /** The donation behind each sale, as the charity recorded it (the gateway never holds this list). */
  readonly donations: SandboxDonation[] = [];
  readonly toSettle = new TimeQueue<SandboxTransaction>();
  readonly toDisburse = new TimeQueue<DisbursementItem>();
  onNotification: ((n: Notification) => void) | null = null;
  private live = false;

  /** `seed` names the merchant's history: what is derived from it, not drawn, is the same whenever it is made. */
  constructor(
    readonly rand: SandboxRandom,
    readonly seed = 1,
  ) {}

  /** A fresh transaction or dispute id (they share the gateway's id space here). */
  newId(): string {
    for (;;) {
      const id = this.rand.id();
      if (!this.byId.has(id) && !this.disputesById.has(id)) return id;
    }
  }

  insert(tx: SandboxTransaction): void {
    const at = Date.parse(tx.created_at);
    // Later creations almost always land at the end; search only when they do not.
    let i = this.transactions.length;
    const last = this.transactions[i - 1];
    if (last && (this.createdMs[i - 1]! > at || (this.createdMs[i - 1] === at && last.id > tx.id))) {
      i = this.lowerBound(at);
      while (i < this.transactions.length && this.createdMs[i] === at && this.transactions[i]!.id < tx.id) i++;
    }
    this.transactions.splice(i, 0, tx);
    this.createdMs.splice(i, 0, at);
    this.byId.set(tx.id, tx);
  }

  /** First index whose created_at is >= `ms`. */
  lowerBound(ms: number): number {
    let lo = 0;
    let hi = this.createdMs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.createdMs[mid]! < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose created_at is > `ms`. */
  upperBound(ms: number): number {
    let lo = 0;
    let hi = this.createdMs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.createdMs[mid]! <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  addDispute(dispute: SandboxDispute): void {
    this.disputes.push(dispute);
    this.disputesById.set(dispute.id, dispute);
  }

  /** Seeded history is never delivered; changes after start are. */
  notify(n: Notification): void {
    if (this.live) this.onNotification?.(n);
  }

  goLive(): void {
    this.live = true;
  }
}
