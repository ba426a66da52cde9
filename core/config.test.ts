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

describe('loadConfig: PUDDLE_RAW_LINGER_SECONDS', () => {
  it("lets raw linger 60 s unless set, 0 (land at once) to an hour, in whole seconds", () => {
    expect(loadConfig({}).rawLingerMs).toBe(60_000);
    expect(loadConfig({ PUDDLE_RAW_LINGER_SECONDS: '0' }).rawLingerMs).toBe(0);
    expect(loadConfig({ PUDDLE_RAW_LINGER_SECONDS: '300' }).rawLingerMs).toBe(300_000);
    for (const bad of ['-1', '1.5', '3601', 'a minute']) expect(() => loadConfig({ PUDDLE_RAW_LINGER_SECONDS: bad })).toThrow(/PUDDLE_RAW_LINGER_SECONDS must be a whole number of seconds from 0 to 3600/);
  });
});

describe('loadConfig: PUDDLE_MAX_STREAMS', () => {
  it('caps the live totals streams at 200 unless set, and takes a whole number of 1 or more', () => {
    expect(loadConfig({}).maxStreams).toBe(200);
    expect(loadConfig({ PUDDLE_MAX_STREAMS: '25' }).maxStreams).toBe(25);
    for (const bad of ['0', '1e3', 'many']) expect(() => loadConfig({ PUDDLE_MAX_STREAMS: bad })).toThrow(/PUDDLE_MAX_STREAMS must be a whole number of 1 or more/);
  });
});

describe('loadConfig: PUDDLE_MAX_STREAMS_PER_KEY', () => {
  it('lets one key hold a quarter of the streams unless set, and takes a whole number of 1 or more', () => {
    expect(loadConfig({}).maxStreamsPerKey).toBe(50);
    expect(loadConfig({ PUDDLE_MAX_STREAMS: '2' }).maxStreamsPerKey).toBe(1);
    expect(loadConfig({ PUDDLE_MAX_STREAMS_PER_KEY: '3' }).maxStreamsPerKey).toBe(3);
    for (const bad of ['0', '1.5', 'few']) expect(() => loadConfig({ PUDDLE_MAX_STREAMS_PER_KEY: bad })).toThrow(/PUDDLE_MAX_STREAMS_PER_KEY must be a whole number of 1 or more/);
  });
});

describe('loadConfig: PUDDLE_DUCKDB_MEMORY_MB', () => {
  it("leaves each DuckDB its role's limit unless set, and takes whole MiB from 2048", () => {
    expect(loadConfig({}).duckDbMemoryMb).toBeUndefined();
    expect(loadConfig({ PUDDLE_DUCKDB_MEMORY_MB: '4096' }).duckDbMemoryMb).toBe(4096);
    for (const bad of ['512', '1.5', '1GB', '0']) expect(() => loadConfig({ PUDDLE_DUCKDB_MEMORY_MB: bad })).toThrow(/PUDDLE_DUCKDB_MEMORY_MB must be a whole number from 2048 to 1048576/);
  });
});

describe('loadConfig: PUDDLE_DURABILITY', () => {
  it("reads how far a commit gets: 'process' when unset, 'power' in any case; refuses anything else, naming the values", () => {
    expect(loadConfig({}).durability).toBe('process');
    expect(loadConfig({ PUDDLE_DURABILITY: 'Power' }).durability).toBe('power');
    expect(() => loadConfig({ PUDDLE_DURABILITY: 'fsync' })).toThrow(/PUDDLE_DURABILITY must be one of process, power/);
  });
});
