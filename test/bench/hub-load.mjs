// The hub bench's load generator, run in its own process (`node test/bench/hub-load.mjs '<json options>'`):
// autocannon against POST /v1/events with unique donations in every request, so the queue stores and the
// consumers land new rows all the time (a repeated body would be de-duplicated by landing and flatter it).
// Plain JavaScript: it starts in milliseconds and takes no TypeScript loader's CPU from the hub.
// Prints autocannon's result as JSON on stdout.
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2] ?? '{}');
const { url, key, connections = 64, seconds = 10, eventsPerRequest = 1, overallRate, prefix = 'h' } = opts;

// One template per request size; each request swaps in a fresh counter, so every donation id is new.
// Amounts and channels vary with the event's place in the request; replaceAll over ~15 kB costs a few µs.
const CHANNELS = ['online', 'sms', 'ivr', 'call_centre'];
const template = JSON.stringify({
  events: Array.from({ length: eventsPerRequest }, (_, i) => ({
    contract: 'donation',
    version: 1,
    payload: {
      donation_id: `${prefix}-@@-${i}`,
      occurred_at: '2026-11-29T20:15:00Z',
      channel: CHANNELS[i % CHANNELS.length],
      amount_minor: 500 + i,
      currency: 'GBP',
      campaign: 'xmas-appeal',
    },
  })),
});
let n = 0;

const result = await autocannon({
  url,
  connections,
  duration: seconds,
  ...(overallRate ? { overallRate } : {}),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  requests: [
    {
      method: 'POST',
      setupRequest: (req) => ({ ...req, body: template.replaceAll('@@', String(n++)) }),
    },
  ],
});
// Its own CPU (µs), so the bench can say what the load generator took of the shared cores.
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ ...result, sent: n, cpuUs: cpu.user + cpu.system }));
