-- The hub bench's load generator when wrk is installed (test/bench/hub-wrk.ts): POST /v1/events with unique
-- donations in every request, the same bodies test/bench/hub-load.mjs (autocannon) sends. wrk is C: it takes a
-- fraction of the CPU autocannon takes of the two cores the servers share. Run as
-- `wrk -t1 -cN -dNs -s hub-load.lua URL -- <key> <events a request> <id prefix>`; prints one JSON line at the end.
local channels = { 'online', 'sms', 'ivr', 'call_centre' }
local template
local n = 0

function init(args)
  local key, events, prefix = args[1], tonumber(args[2]), args[3]
  local parts = {}
  for i = 0, events - 1 do
    parts[#parts + 1] = string.format(
      '{"contract":"donation","version":1,"payload":{"donation_id":"%s-@@-%d","occurred_at":"2026-11-29T20:15:00Z","channel":"%s","amount_minor":%d,"currency":"GBP","campaign":"xmas-appeal"}}',
      prefix, i, channels[(i % #channels) + 1], 500 + i)
  end
  template = '{"events":[' .. table.concat(parts, ',') .. ']}'
  wrk.method = 'POST'
  wrk.headers['Content-Type'] = 'application/json'
  wrk.headers['Authorization'] = 'Bearer ' .. key
end

function request()
  n = n + 1
  local body = template:gsub('@@', tostring(n))
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
