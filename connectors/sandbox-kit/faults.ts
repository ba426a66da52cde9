/** Faults both sandboxes can inject; each provider's FaultInjection says which error body they get. */
export interface SandboxFaults {
  /** Answer the next N requests with a 5xx. */
  status5xx?: number;
  /** Answer the next N requests with 429, whatever the rate. */
  status429?: number;
  /** Retry-After sent with injected 429s, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** While true every request gets 401, as if the keys had been rolled. */
  status401?: boolean;
  /** Delay every answer by this many milliseconds (0 to stop). */
  latencyMs?: number;
}
