import { randomBytes } from 'node:crypto';
import type { Org } from './org.js';

// Bulk API 2.0 query jobs as Salesforce runs them: a job is created UploadComplete, is InProgress on the
// first poll and JobComplete on the next; its results are CSV pages chained by Sforce-Locator, the last
// page answering `Sforce-Locator: null` (the string). Seven days after it was made a job is deleted, as
// Salesforce does ("Job and Batch Lifespan"): its poll and results then answer 404 NOT_FOUND. A complete job's
// info counts its rows (`numberRecordsProcessed`); a job can instead end Failed or Aborted, with an errorMessage.
// A refreshed org has none of the old org's jobs (`refreshOrg`): 404 NOT_FOUND for them too.

const LIFESPAN_MS = 7 * 86_400_000;

export interface BulkJob {
  id: string;
  operation: 'query' | 'queryAll';
  object: string;
  createdDate: string;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  rows: Record<string, unknown>[];
  /** How the job ends on its completing poll, when not JobComplete (a fault a test asked for). */
  ends: JobEnd | null;
  /** Rows its results leave out while its info counts them (a fault: results that came back short). */
  lost: number;
  fields: string[];
  /** locator -> offset into rows */
  locators: Map<string, number>;
  polls: number;
}

/** A CSV cell as Bulk writes it: null is an empty cell, everything else quoted when it must be. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface JobEnd {
  state: 'Failed' | 'Aborted';
  errorMessage: string;
}

export class BulkJobs {
  private readonly jobs = new Map<string, BulkJob>();

  constructor(private readonly org: Org) {}

  create(body: unknown, faults: { ends: JobEnd | null; lost: number } = { ends: null, lost: 0 }): Record<string, unknown> {
    const b = body as { query?: string; operation?: string } | null;
    if (!b?.query || (b.operation !== 'query' && b.operation !== 'queryAll')) throw new Error('bad job');
    const result = this.org.query(b.query, b.operation === 'queryAll');
    const fields = /^\s*SELECT\s+(.*?)\s+FROM\s/is.exec(b.query)![1]!.split(',').map((f) => f.trim());
    const job: BulkJob = {
      id: `7508d${randomBytes(7).toString('hex').slice(0, 13)}`, operation: b.operation, object: result.object,
      createdDate: new Date(this.org.now()).toISOString().replace('Z', '+0000'), state: 'UploadComplete',
      rows: result.records, fields, locators: new Map(), polls: 0, ...faults,
    };
    this.jobs.set(job.id, job);
    return this.info(job);
  }

  /** Every job gone, as an org's are when the sandbox is refreshed. */
  clear(): void {
    this.jobs.clear();
  }

  /** The job, unless it never existed or is past its lifespan (then it is deleted). */
  private find(id: string): BulkJob | undefined {
    const job = this.jobs.get(id);
    if (job && this.org.now() - Date.parse(job.createdDate.replace('+0000', 'Z')) >= LIFESPAN_MS) {
      this.jobs.delete(id);
      return undefined;
    }
    return job;
  }

  poll(id: string): Record<string, unknown> | null {
    const job = this.find(id);
    if (!job) return null;
    job.polls++;
    job.state = job.polls < 2 ? 'InProgress' : (job.ends?.state ?? 'JobComplete');
    return this.info(job);
  }

  /** One CSV page from `locator` (null: the first), at most maxRecords rows, and the next locator ('null' at the end). */
  results(id: string, locator: string | null, maxRecords: number): { csv: string; next: string; count: number } | 'not_found' | 'not_complete' | 'bad_locator' {
    const job = this.find(id);
    if (!job) return 'not_found';
    if (job.state !== 'JobComplete') return 'not_complete';
    const offset = locator === null ? 0 : job.locators.get(locator);
    if (offset === undefined) return 'bad_locator';
    const served = job.rows.length - job.lost;
    const rows = job.rows.slice(offset, Math.min(offset + maxRecords, served));
    const end = offset + rows.length;
    let next = 'null';
    if (end < served) {
      next = randomBytes(6).toString('base64url');
      job.locators.set(next, end);
    }
    const lines = [job.fields.map(cell).join(','), ...rows.map((r) => job.fields.map((f) => cell(r[f])).join(','))];
    return { csv: `${lines.join('\n')}\n`, next, count: rows.length };
  }

  private info(job: BulkJob): Record<string, unknown> {
    return {
      id: job.id, operation: job.operation, object: job.object, createdDate: job.createdDate, state: job.state, concurrencyMode: 'Parallel', contentType: 'CSV',
      apiVersion: 60.0, lineEnding: 'LF', columnDelimiter: 'COMMA', numberRecordsProcessed: job.state === 'JobComplete' ? job.rows.length : 0,
      ...(job.state === 'Failed' || job.state === 'Aborted' ? { errorMessage: job.ends!.errorMessage } : {}),
    };
  }
}
