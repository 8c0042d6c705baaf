-- wrk script for bench/run.py: signed-in requests, optional GET/POST alternation, JSON summary.
-- BENCH_COOKIE holds one session cookie per thread ("a|b"); BENCH_CSRF the CSRF cookie.
local path = os.getenv("BENCH_PATH")
local mode = os.getenv("BENCH_SCRIPT") or "get"
local csrf = os.getenv("BENCH_CSRF") or ""
local sessions = {}
for s in string.gmatch(os.getenv("BENCH_COOKIE") or "", "[^|]+") do table.insert(sessions, s) end
local body_a, body_b = os.getenv("BENCH_POST_BODY_A"), os.getenv("BENCH_POST_BODY_B")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local session = sessions[((id - 1) % math.max(#sessions, 1)) + 1] or ""
  wrk.headers["Cookie"] = session .. "; " .. csrf
  wrk.headers["Referer"] = "http://127.0.0.1" .. path
  n = 0
  errors = 0
end

function request()
  n = n + 1
  if mode == "update" and n % 2 == 0 then
    local body = (n % 4 == 0) and body_a or body_b
    -- wrk.format uses only the headers it is given: copy the cookies in.
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  local errs = 0
  for _, t in ipairs(threads) do errs = errs + (t:get("errors") or 0) end
  errs = errs + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"rps": %.2f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "requests": %d, "errors": %d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, errs))
end
