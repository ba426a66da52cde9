// The schedule table, as data: the local scheduler reads it, and the CDK stack turns each row into an
// EventBridge rule. A run is time-boxed to its interval, so runs never pile up; the lease stops overlap.

export interface ScheduleEntry {
  connector: string;
  /** All streams when absent. */
  streams?: string[];
  everySeconds: number;
  why: string;
}

export const SCHEDULE: readonly ScheduleEntry[] = [
  {
    connector: 'stripe',
    everySeconds: 60,
    why: 'the events API runs about a minute behind; each run reads the newest window of every object stream and the events since the last run',
  },
  {
    connector: 'braintree',
    everySeconds: 120,
    why: 'searches are two calls per page and the SDK never retries: every two minutes keeps the budget free for backfills',
  },
  {
    connector: 'freshdesk',
    everySeconds: 300,
    why: 'per-minute limits are shared with agents\' apps and webhooks (Growth: 20 ticket-list calls a minute); automation-rule webhooks prompt re-reads in between, and each run reads only what changed since its bookmark',
  },
  {
    connector: 'salesforce',
    everySeconds: 300,
    why: 'API calls count against the org-wide daily limit shared with every other integration; each run is one query per object (more when pages are full), and rows commit up to the 10-minute lookback late anyway',
  },
];
