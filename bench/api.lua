-- wrk script of scenarios 2–3 of `make bench` (see bench/wrk.go):
--   wrk -t2 -cN -dS -s bench/api.lua URL -- MODE KEY ARG
-- MODE create: POST /v1/payments, each with its own Idempotency-Key and
--              reference (ARG: a prefix unique to the run);
-- MODE read:   GET /v1/payments/{id} of a random pre-created payment
--              (ARG: how many, numbered as bench/fixtures.go does);
-- MODE list:   GET /v1/payments?limit=20.
-- done() prints one JSON line that bench/wrk.go reads.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local mode, arg, n, seq = "list", "", 0, 0

function init(args)
  mode, arg = args[1], args[3]
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Content-Type"] = "application/json"
  if mode == "read" then
    n = tonumber(arg)
    math.randomseed(os.time() * 100 + tid)
  end
end

function request()
  if mode == "create" then
    seq = seq + 1
    local id = string.format("%s%d-%d", arg, tid, seq)
    wrk.headers["Idempotency-Key"] = id
    local body = '{"service":"HT-KHAISINH","reference":"HS-BENCH-' .. string.upper(id) ..
      '","payer":{"name":"Nguyễn Văn An","id_number":"001099012345"}}'
    return wrk.format("POST", "/v1/payments", nil, body)
  elseif mode == "read" then
    return wrk.format("GET", string.format("/v1/payments/pay_bnch%016d", math.random(1, n)))
  end
  return wrk.format("GET", "/v1/payments?limit=20")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
