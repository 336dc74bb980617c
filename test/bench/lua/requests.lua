-- wrk script: replays requests from a file, one per line, tab-separated:
--   METHOD <tab> PATH <tab> TOKEN ("-" for none) [<tab> JSON BODY]
-- wrk ... -s requests.lua <url> -- <file> [random|cycle]
--   random: every request picks a line at random (per-thread generator);
--   cycle:  the lines in order, each thread starting at its own offset.
-- done() prints one line "BENCH_JSON {...}" (latencies in microseconds) for run.mjs.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local requests = {}
local mode = "random"
local idx = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local method, path, token, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]*)\t?(.*)$")
    if method then
      local headers = {}
      if token ~= "" and token ~= "-" then headers["Authorization"] = "Bearer " .. token end
      if body ~= nil and body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      table.insert(requests, wrk.format(method, path, headers, body))
    end
  end
  file:close()
  assert(#requests > 0, "no requests in " .. args[1])
  mode = args[2] or "random"
  local t = tid or 1
  math.randomseed(os.time() * 1000 + t * 7919)
  idx = (t * 7919) % #requests
end

function request()
  if mode == "cycle" then
    idx = idx % #requests + 1
  else
    idx = math.random(#requests)
  end
  return requests[idx]
end

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"mean":%.1f,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
