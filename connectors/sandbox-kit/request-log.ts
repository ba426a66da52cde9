export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  requestId: string;
}

export interface RequestLog {
  readonly total: number;
  /** The most recent requests (at most 10,000), oldest first. */
  readonly entries: readonly RequestRecord[];
  countByStatus(status: number): number;
  reset(): void;
}

/** Bounded, because `npm start` runs the sandbox for hours. */
const KEEP = 10_000;

export class BoundedRequestLog implements RequestLog {
  private list: RequestRecord[] = [];
  private byStatus = new Map<number, number>();
  private count = 0;

  get total(): number {
    return this.count;
  }

  get entries(): readonly RequestRecord[] {
    return this.list;
  }

  record(entry: RequestRecord): void {
    this.count++;
    this.byStatus.set(entry.status, (this.byStatus.get(entry.status) ?? 0) + 1);
    this.list.push(entry);
    if (this.list.length > KEEP * 1.5) this.list = this.list.slice(-KEEP);
  }

  countByStatus(status: number): number {
    return this.byStatus.get(status) ?? 0;
  }

  reset(): void {
    this.list = [];
    this.byStatus = new Map();
    this.count = 0;
  }
}
