// PUDDLE_SANDBOX_FAULTS as a tester writes it: the faults a sandbox takes, or an error saying what is wrong.
import { describe, expect, it } from 'vitest';
import { parseSandboxFaults } from './faults.js';

const ACCEPTS = { stripe: ['status5xx', 'status429', 'retryAfterSeconds', 'status401', 'latencyMs'], salesforce: ['status5xx'] } as const;
const parse = (text: string | undefined) => parseSandboxFaults(text, ACCEPTS);

describe('parseSandboxFaults', () => {
  it('reads each connector\'s faults', () => {
    expect(parse(undefined)).toEqual({});
    expect(parse(' stripe: status429=5, retryAfterSeconds=2, status401 ; salesforce:status5xx=3;')).toEqual({
      stripe: { status429: 5, retryAfterSeconds: 2, status401: true },
      salesforce: { status5xx: 3 },
    });
    expect(parse('stripe:latencyMs=3000,status401=false')).toEqual({ stripe: { latencyMs: 3000, status401: false } });
  });

  it('refuses what it cannot apply, saying what is wrong', () => {
    expect(() => parse('status429=5')).toThrow('"status429=5" is not connector:fault=value,... (e.g. stripe:status429=5)');
    expect(() => parse('paypal:status5xx=1')).toThrow('paypal has no sandbox (stripe, salesforce)');
    expect(() => parse('salesforce:status429=1')).toThrow('salesforce\'s sandbox takes status5xx, not "status429"');
    expect(() => parse('stripe:status5xx=lots')).toThrow('stripe: status5xx takes a whole number, not "lots"');
    expect(() => parse('stripe:status5xx=-1')).toThrow('stripe: status5xx takes a whole number, not "-1"');
    expect(() => parse('stripe:status401=yes')).toThrow('stripe: status401 is true or false');
  });
});
