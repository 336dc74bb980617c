-- wrk script for the quiz scenario: start an attempt, then submit it, again and again.
-- Run with as many threads as connections (-t N -c N): each thread has one connection, so its
-- requests strictly alternate (start, submit, start, ...) and the submit can use the started id.
-- wrk ... -s quiz.lua <url> -- <file> <mode> <threads>
-- File lines (tab-separated): QUIZ_ID <tab> TOKEN <tab> SUBMIT JSON BODY
-- Each thread takes the lines k with k % threads == its index. A failed start (e.g. 409: an attempt
-- left in progress) moves on to the next line.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local pairs_ = {}
local pos = 0
local state = "start"
local current
local attempt
starts, submits, failed_starts, failed_submits = 0, 0, 0, 0

function init(args)
  local n = tonumber(args[3] or "1")
  local t = tid or 1
  local file = assert(io.open(args[1], "r"))
  local k = 0
  for line in file:lines() do
    local quiz, token, body = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    if quiz then
      if k % n == (t - 1) % n then
        table.insert(pairs_, { quiz = quiz, headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body = body })
      end
      k = k + 1
    end
  end
  file:close()
  assert(#pairs_ > 0, "no quiz lines for thread " .. t)
  pos = 0
end

function request()
  if state == "submit" then
    return wrk.format("POST", "/api/v1/quizzes/" .. current.quiz .. "/attempts/" .. attempt .. "/submit", current.headers, current.body)
  end
  pos = pos % #pairs_ + 1
  current = pairs_[pos]
  return wrk.format("POST", "/api/v1/quizzes/" .. current.quiz .. "/attempts", current.headers, "{}")
end

function response(status, headers, body)
  if state == "start" then
    if status == 201 or status == 200 then
      attempt = body:match('^%s*{%s*"id"%s*:%s*"([%x%-]+)"') or body:match('"id"%s*:%s*"([%x%-]+)"')
    else
      attempt = nil
    end
    if attempt then
      starts = starts + 1
      state = "submit"
    else
      failed_starts = failed_starts + 1
    end
  else
    if status == 200 then submits = submits + 1 else failed_submits = failed_submits + 1 end
    state = "start"
  end
end

function done(summary, latency, requests)
  local s, ok, fs, fsub = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("starts") or 0)
    ok = ok + (t:get("submits") or 0)
    fs = fs + (t:get("failed_starts") or 0)
    fsub = fsub + (t:get("failed_submits") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"mean":%.1f,"max":%d},' ..
    '"extra":{"starts":%d,"submits":%d,"failed_starts":%d,"failed_submits":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.mean, latency.max,
    s, ok, fs, fsub))
end
