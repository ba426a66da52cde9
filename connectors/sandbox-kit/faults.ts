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

/**
 * PUDDLE_SANDBOX_FAULTS: faults for the sandboxes `npm start` runs, as `stripe:status429=5,retryAfterSeconds=2;
 * freshdesk:latencyMs=3000` (a connector, then its faults; `status401` alone is `status401=true`). `accepts` says
 * which faults each sandbox takes. Throws an Error saying what is wrong (the caller makes it a ConfigError).
 */
export function parseSandboxFaults(text: string | undefined, accepts: Record<string, readonly (keyof SandboxFaults)[]>): Record<string, SandboxFaults> {
  const out: Record<string, SandboxFaults> = {};
  for (const part of (text ?? '').split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*:(.*)$/.exec(part);
    if (!m) throw new Error(`"${part.slice(0, 40)}" is not connector:fault=value,... (e.g. stripe:status429=5)`);
    const [, name, list] = m as unknown as [string, string, string];
    const takes = accepts[name];
    if (!takes) throw new Error(`${name} has no sandbox (${Object.keys(accepts).join(', ')})`);
    const faults: SandboxFaults = (out[name] ??= {});
    for (const item of list.split(',').map((i) => i.trim()).filter(Boolean)) {
      const [key = '', value = 'true'] = item.split('=').map((s) => s.trim());
      if (!takes.includes(key as keyof SandboxFaults)) throw new Error(`${name}'s sandbox takes ${takes.join(', ')}, not "${key.slice(0, 40)}"`);
      if (key === 'status401') {
        if (value !== 'true' && value !== 'false') throw new Error(`${name}: status401 is true or false`);
        faults.status401 = value === 'true';
      } else {
        if (!/^\d{1,9}$/.test(value)) throw new Error(`${name}: ${key} takes a whole number, not "${value.slice(0, 20)}"`);
        faults[key as Exclude<keyof SandboxFaults, 'status401'>] = Number(value);
      }
    }
  }
  return out;
}
