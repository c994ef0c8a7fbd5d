-- wrk script for Minwon's benchmarks (bench/common.py runs it).
--   issue:  wrk ... -s load.lua URL -- issue TOKEN TAG pdf|json [INSTANCE]
--           POST /api/v1/issuances, a fresh Idempotency-Key per request
--   verify: wrk ... -s load.lua URL -- verify NUMBERS_FILE
--           GET /api/v1/verify/{number}, cycling through the numbers in the file
-- done() prints one JSON line that common.py reads.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local mode, token, tag, accept, instance
local numbers = {}
local counter = 0
local body = '{"document_type":"deungbon","items":{"past_addresses":"recent5"}}'

function init(args)
  mode = args[1]
  if mode == "issue" then
    token, tag = args[2], args[3]
    accept = (args[4] == "json") and "application/json" or "application/pdf"
    instance = args[5] or "0"
  else
    for line in io.lines(args[2]) do
      if #line > 0 then table.insert(numbers, line) end
    end
  end
end

function request()
  counter = counter + 1
  if mode == "issue" then
    return wrk.format("POST", "/api/v1/issuances", {
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = string.format("bench-%s-%s-%d-%d", tag, instance, id, counter),
      ["Accept"] = accept,
      ["Content-Type"] = "application/json",
    }, body)
  end
  local n = numbers[(counter + id * 7919) % #numbers + 1]
  return wrk.format("GET", "/api/v1/verify/" .. n)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"wrk":1,"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
