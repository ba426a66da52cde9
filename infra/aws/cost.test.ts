import { afterEach, describe, expect, it, vi } from 'vitest';

import { main } from '../cli/main.js';
import { betweenNights, estimateCost, PRICES } from './cost.js';

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
    // 2,000 batches of two PUTs each, and 20 compactions of the donation's puddle (raw is never merged) of two.
    expect(usd['S3 PUTs (files, manifests, compaction)']).toBeCloseTo((4040 / 1000) * 0.005, 6);
    // The donation's batches rewrite their partition's item (50 files between compactions: 4 WRU) and 2 more; raw's
    // add a small item of their own and 2 more.
    expect(usd['DynamoDB catalog writes']).toBeCloseTo(((1000 * 6 + 1000 * 3) / 1e6) * 0.625, 6);
    // Live totals: 3.2 writes and 1.2 reads per donation, and `as_of` once per batch of the donation queue's 1,000.
    expect(usd['DynamoDB live totals']).toBeCloseTo(((3_200_000 + 1000) / 1e6) * 0.625 + (1_200_000 / 1e6) * 0.125, 6);
    expect(usd['Athena dashboard queries']).toBeCloseTo(((1800 * 30) / 1024 / 1024) * 5, 6);
    expect(usd['CloudWatch Logs']).toBeCloseTo(((1_000_000 * 650 + 2000 * 2000) / 1024 ** 3) * 0.5, 6);
    // The template's schedules over 5 hours: syncs every 1, 2, 5 and 5 minutes (1 GB, 2 s each), compaction and the
    // drift check every 15 (2 GB for 3 s; 512 MB for 5 s and a 30 MB query), each run 4 state writes and 2 KB of logs.
    const runs = 300 + 150 + 60 + 60 + 20 + 20;
    const gbS = 570 * 2 + 20 * 2 * 3 + 20 * 0.5 * 5;
    const scheduled = (runs / 1e6) * 0.2 + gbS * PRICES.lambdaGbSecondArm.usd + ((runs * 4) / 1e6) * 0.625 + ((20 * 30) / 1024 / 1024) * 5 + ((runs * 2000) / 1024 ** 3) * 0.5;
    expect(usd['scheduled runs (syncs, compaction, drift check)']).toBeCloseTo(scheduled, 6);
    expect(est.totalUsd).toBeCloseTo(2.6767 + 2.1506 + scheduled, 3);
    expect(est.limits.join('\n')).toMatch(/producer ~15 at peak plus at most 40 consumers/);
    expect(est.limits.join('\n')).toMatch(/Live totals: ~385 writes\/s at peak into one counter .* over its 16 shards of about 1,000\/s each \(~16,000\/s\)/);
    // Nothing near a limit at 350/s.
    expect(est.limits.join('\n')).not.toMatch(/OVER|near/);
  });

  it('counts raw\'s batches at its own 60 s window on a quiet night, not the 20 s of the donation\'s queue', () => {
    // 100,000 donations over 5 hours: 5.6 a second, 111 a donation batch (900 of them), 333 a raw batch (300).
    const est = estimateCost({ donations: 100_000, peak: 50, batch: 1, hours: 5 });
    const usd = Object.fromEntries(est.lines.map((l) => [l.item, l.usd]));
    const gbS = (900 * 111.2 + 300 * 333.4) / 1000 * 2 * 1.5;
    expect(usd['consumer Lambda']).toBeCloseTo((1200 / 1e6) * 0.2 + gbS * PRICES.lambdaGbSecondArm.usd, 4);
    expect(usd['S3 PUTs (files, manifests, compaction)']).toBeCloseTo(((1200 * 2 + 20 * 2) / 1000) * 0.005, 6);
  });

  it('bills an HTTP API request per 512 KB: a POST of 1,000 envelopes of 1 KB is two', () => {
    const usd = (batch: number) => estimateCost({ donations: 1_000_000, peak: 350, batch, hours: 5 }).lines.find((l) => l.item === 'HTTP API requests')!;
    expect(usd(500).usd).toBeCloseTo((2000 / 1e6) * PRICES.httpApiPerMillion.usd, 9);
    expect(usd(1000).usd).toBeCloseTo(((1000 * 2) / 1e6) * PRICES.httpApiPerMillion.usd, 9);
    expect(usd(1000).quantity).toBe('1,000 requests (2 billed each, 512 KB a unit)');
  });

  it('marks the limits the night passes, or comes near', () => {
    const over = estimateCost({ donations: 1_000_000, peak: 5000, batch: 1, hours: 5 }).limits;
    expect(over.find((l) => l.includes('Producer:'))).toMatch(/^OVER: Producer: 5000 requests\/s at peak; HTTP API stage throttle set to 2,000\/s/);
    expect(over.find((l) => l.includes('Landing:'))).toMatch(/^OVER: Landing: /);
    const near = estimateCost({ donations: 1_000_000, peak: 1800, batch: 1, hours: 5 }).limits;
    expect(near.find((l) => l.includes('Producer:'))).toMatch(/^near: Producer: 1800 requests\/s/);
    // A hundred events a POST: the producer's 50 requests/s are far from the throttle.
    expect(estimateCost({ donations: 1_000_000, peak: 5000, batch: 100, hours: 5 }).limits.find((l) => l.includes('Producer:'))).toMatch(/^Producer: 50 /);
  });

  it('counts a month between nights: every queue\'s idle polls and every run the template schedules', () => {
    const usd = Object.fromEntries(betweenNights().lines.map((l) => [l.item, l.usd]));
    // 8 queues x 5 pollers x 129,600 empty 20 s waits in 30 days.
    expect(usd['SQS idle polls']).toBeCloseTo(((8 * 5 * 129_600) / 1e6) * 0.4, 6);
    // Stripe every minute, Braintree every 2, Freshdesk and Salesforce every 5, compaction and the drift check every 15.
    const runs = 43_200 + 21_600 + 8_640 + 8_640 + 2_880 + 2_880;
    const gbS = (43_200 + 21_600 + 8_640 + 8_640) * 2 + 2_880 * 2 * 3 + 2_880 * 0.5 * 5;
    expect(usd['scheduled Lambda runs']).toBeCloseTo((runs / 1e6) * 0.2 + gbS * PRICES.lambdaGbSecondArm.usd, 6);
    expect(usd['their state writes']).toBeCloseTo(((runs * 4) / 1e6) * 0.625, 6);
    expect(usd['drift check queries']).toBeCloseTo(((2_880 * 30) / 1024 / 1024) * 5, 6);
    expect(betweenNights().totalUsd).toBeCloseTo(5.32, 2);
  });

  it('counts the scheduled runs of the connectors the stack schedules only, as -c connectors does', () => {
    const usd = (e: ReturnType<typeof betweenNights>) => Object.fromEntries(e.lines.map((l) => [l.item, l.usd]));
    // Stripe every minute, compaction and the drift check every 15: no Braintree, Freshdesk or Salesforce runs.
    const runs = 43_200 + 2_880 + 2_880;
    const gbS = 43_200 * 2 + 2_880 * 2 * 3 + 2_880 * 0.5 * 5;
    const stripe = usd(betweenNights(30, ['stripe']));
    expect(stripe['scheduled Lambda runs']).toBeCloseTo((runs / 1e6) * 0.2 + gbS * PRICES.lambdaGbSecondArm.usd, 6);
    expect(stripe['their state writes']).toBeCloseTo(((runs * 4) / 1e6) * 0.625, 6);
    // No connector: compaction and the drift check still run.
    expect(usd(betweenNights(30, []))['their state writes']).toBeCloseTo((((2_880 + 2_880) * 4) / 1e6) * 0.625, 6);
    // The night's line too: 300 Stripe syncs, 20 compactions and 20 drift checks in 5 hours.
    const night = estimateCost({ donations: 1_000_000, peak: 350, batch: 1, hours: 5, connectors: ['stripe'] });
    expect(night.lines.find((l) => l.item.startsWith('scheduled runs'))!.quantity).toBe('340 runs');
    expect(() => betweenNights(30, ['stripe', 'paypal'])).toThrow(/no schedule for paypal \(schedules\/schedule\.ts has stripe, /);
  });

  it('is cheaper when producers batch: 100 events per POST', () => {
    const one = estimateCost({ donations: 1_000_000, peak: 350, batch: 1, hours: 5 });
    const hundred = estimateCost({ donations: 1_000_000, peak: 350, batch: 100, hours: 5 });
    expect(hundred.lines.find((l) => l.item === 'HTTP API requests')!.usd).toBeCloseTo(0.01, 6);
    expect(hundred.lines.find((l) => l.item === 'SNS PublishBatch')!.usd).toBeCloseTo(0.05, 6);
    // The fees on the way in fall by about $2; the live totals cost the same per donation however they come.
    expect(one.totalUsd - hundred.totalUsd).toBeGreaterThan(2);
    const totals = (e: typeof one) => e.lines.find((l) => l.item === 'DynamoDB live totals')!.usd;
    expect(totals(hundred)).toBeCloseTo(totals(one), 6);
  });

  it('prints the table from the command line, and names a wrong option', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
    expect(await main(['cost', '--donations', '1000000', '--peak', '350'])).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/List prices of \d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/^total\s+\$\s+4\.85$/m);
    expect(text).toMatch(/^Between nights, per 30 days/m);
    expect(text).toMatch(/^total\s+\$\s+5\.32$/m);
    expect(await main(['cost', '--donations', '1000000', '--peak', '350', '--batch', '5000'])).toBe(2);
    expect(err.join('')).toMatch(/--batch takes a positive number up to 1000, not "5000"/);
    expect(await main(['cost', '--peak', '350'])).toBe(2);
    expect(err.join('')).toMatch(/--donations is required/);
    // 1,000,000 over 5 hours is 55.6 a second on average: a peak below it is a mistake.
    expect(await main(['cost', '--donations', '1000000', '--peak', '50'])).toBe(2);
    expect(err.join('')).toMatch(/--peak 50\/s is below the night's average of 55\.6\/s \(1000000 donations over 5 h\)/);
    out.length = 0;
    expect(await main(['cost', '--donations', '1000000', '--peak', '350', '--connectors', 'stripe'])).toBe(0);
    expect(out.join('')).toMatch(/^Connectors scheduled: stripe$/m);
    expect(out.join('')).toMatch(/^total\s+\$\s+4\.14$/m);
    out.length = 0;
    expect(await main(['cost', '--donations', '1000000', '--peak', '350', '--connectors', 'strpe'])).toBe(2);
    expect(out.join('')).toBe('');
    expect(err.join('')).toMatch(/puddle cost: connectors: no schedule for strpe/);
  });
});
