-- Shared by the bench's wrk scripts (loaded with dofile); each script's init(args) calls
-- start(args, checkCode), args[1] being the connections per thread. Three things here:
--
-- Every answer is checked, as autocannon did: a status outside 200..299 is a non-2xx (wrk
-- itself counts only statuses > 399, so a 3xx would pass), and with checkCode a 2xx whose
-- JSON `code` is not 0 is a bad code (the Latipay API answers most failures with HTTP 200
-- and a non-zero code). Defining response() makes wrk buffer and hand over every answer
-- (all or none: wrk cannot check a sample more cheaply). Measured on the 2-core bench box
-- it cost 2-5 us of wrk CPU per request and 3-6% of the gateway's create and query
-- throughput, within the noise of the runs (30 interleaved pairs each), so it stays.
--
-- A ramp: wrk sends every connection's first request at the same instant, and even a
-- warmed-up gateway answers that burst with a transient of up to a second, which
-- autocannon, slower to start, hardly showed. So each connection's first request waits a
-- random 0..RAMP_MS, and the throughput is counted only after that: the answers received
-- from RAMP_MS on, over the time from RAMP_MS to the last answer (the latencies are of
-- the whole run). With the ramp, 3 s runs had create p99 ~60 ms instead of ~650, query
-- ~35 instead of ~400, and the same throughput within the noise (6 interleaved pairs).
--
-- done() prints the figures as one JSON line for bench/wrk.ts.

local RAMP_MS = 500

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long sec; long nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local timespec = ffi.new("bench_timespec")
local function nowMs()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.sec) * 1e3 + tonumber(timespec.nsec) / 1e6
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Per thread, read by done().
bad, non2xx, counted, windowMs = 0, 0, 0, 0

local toRamp, rampEnd = 0, math.huge

function start(args, checkCode)
  toRamp = tonumber(args[1])
  math.randomseed(os.time() * 16 + id)
  function response(status, headers, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    elseif checkCode and not body:find('"code":0[,}]') then
      bad = bad + 1
    end
    local now = nowMs()
    if now >= rampEnd then
      counted = counted + 1
      windowMs = now - rampEnd
    end
  end
end

function delay()
  if toRamp == 0 then return 0 end
  if rampEnd == math.huge then rampEnd = nowMs() + RAMP_MS end
  toRamp = toRamp - 1
  return math.random(0, RAMP_MS)
end

function done(summary, latency, requests)
  local badCodes, non2xxs, steadyRps = 0, 0, 0
  for _, thread in ipairs(threads) do
    badCodes = badCodes + thread:get("bad")
    non2xxs = non2xxs + thread:get("non2xx")
    local window = thread:get("windowMs")
    if window > 0 then steadyRps = steadyRps + thread:get("counted") / window * 1e3 end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"steadyRps":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
      '"timeout":%d,"non2xx":%d,"badCodes":%d,"p50":%d,"p99":%d,"p99_9":%d,"max":%d}\n',
    summary.requests, summary.duration, steadyRps, e.connect, e.read, e.write, e.status,
    e.timeout, non2xxs, badCodes, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
