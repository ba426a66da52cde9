import { afterEach, describe, expect, it, vi } from 'vitest';

import { main } from '../cli/main.js';
import { estimateCost, PRICES } from './cost.js';

describe('puddle cost', () => {
  afterEach(() => vi.restoreAllMocks());

  it('adds up the appeal night of 1,000,000 donations, one per POST, over 5 hours', () => {
    const est = estimateCost({ donations: 1_000_000, peak: 350, batch: 1, hours: 5 });
    const usd = Object.fromEntries(est.lines.map((l) => [l.item, l.usd]));
    // Worked by hand from the unit prices and the assumptions, so a changed formula shows here.
    expect(usd['HTTP API requests']).toBeCloseTo(1.0, 6);
    expect(usd['producer Lambda']).toBeCloseTo(0.2 + 1_000_000 * 0.25 * 0.0402 * PRICES.lambdaGbSecondArm.usd, 6);
    expect(usd['SNS PublishBatch']).toBeCloseTo(0.5, 6);
    // 2M deliveries: receives and deletes of 10, plus 8 queues x 5 pollers x 900 empty 20 s waits.
    expect(usd['SQS (receive, delete, idle polls)']).toBeCloseTo(((400_000 + 36_000) / 1e6) * 0.4, 6);
    // 55.6 donations/s fill a 20 s window past 1,000: 1,000 batches per queue, two queues, 2 GB x 1.5 s each.
    expect(usd['consumer Lambda']).toBeCloseTo((2000 / 1e6) * 0.2 + 2000 * 2 * 1.5 * PRICES.lambdaGbSecondArm.usd, 6);
    expect(usd['S3 PUTs (files, manifests, compaction)']).toBeCloseTo((4080 / 1000) * 0.005, 6);
    expect(usd['DynamoDB catalog writes']).toBeCloseTo((12_000 / 1e6) * 0.625, 6);
    expect(usd['Athena dashboard queries']).toBeCloseTo(((1800 * 30) / 1024 / 1024) * 5, 6);
    expect(usd['CloudWatch Logs']).toBeCloseTo(((1_000_000 * 650 + 2000 * 2000) / 1024 ** 3) * 0.5, 6);
    expect(est.totalUsd).toBeCloseTo(2.6788, 3);
    expect(est.limits.join('\n')).toMatch(/producer ~15 at peak plus at most 40 consumers/);
  });

  it('is cheaper when producers batch: 100 events per POST', () => {
    const one = estimateCost({ donations: 1_000_000, peak: 350, batch: 1, hours: 5 });
    const hundred = estimateCost({ donations: 1_000_000, peak: 350, batch: 100, hours: 5 });
    expect(hundred.lines.find((l) => l.item === 'HTTP API requests')!.usd).toBeCloseTo(0.01, 6);
    expect(hundred.lines.find((l) => l.item === 'SNS PublishBatch')!.usd).toBeCloseTo(0.05, 6);
    expect(hundred.totalUsd).toBeLessThan(one.totalUsd / 3);
  });

  it('prints the table from the command line, and names a wrong option', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
    expect(await main(['cost', '--donations', '1000000', '--peak', '350'])).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/List prices of \d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/^total\s+\$\s+2\.68$/m);
    expect(await main(['cost', '--donations', '1000000', '--peak', '350', '--batch', '5000'])).toBe(2);
    expect(err.join('')).toMatch(/--batch takes a positive number up to 1000, not "5000"/);
    expect(await main(['cost', '--peak', '350'])).toBe(2);
    expect(err.join('')).toMatch(/--donations is required/);
  });
});
