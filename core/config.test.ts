import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig: landing settings', () => {
  it('reads PUDDLE_LANDING_YIELD_ABOVE as a share of the event loop, 0.5 when unset', () => {
    expect(loadConfig({}).landingYieldAbove).toBe(0.5);
    expect(loadConfig({ PUDDLE_LANDING_YIELD_ABOVE: '0.8' }).landingYieldAbove).toBe(0.8);
    expect(loadConfig({ PUDDLE_LANDING_YIELD_ABOVE: '1' }).landingYieldAbove).toBe(1);
  });

  it('refuses a share outside 0 to 1, naming the variable', () => {
    expect(() => loadConfig({ PUDDLE_LANDING_YIELD_ABOVE: '50%' })).toThrow(/PUDDLE_LANDING_YIELD_ABOVE must be a number from 0 to 1/);
    expect(() => loadConfig({ PUDDLE_LANDING_YIELD_ABOVE: '1.5' })).toThrow(/PUDDLE_LANDING_YIELD_ABOVE/);
  });
});
