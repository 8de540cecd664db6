-- wrk script: each request picks one of the seeded users at random and asks
-- for that user's portfolio ENDPOINT (valuation or insights). Requests are
-- paced per connection so that the total rate is close to RATE per second.
local users = {}
local endpoint = os.getenv("ENDPOINT") or "valuation"
local rate = tonumber(os.getenv("RATE") or "200")
local connections = tonumber(os.getenv("CONNECTIONS") or "20")

for line in io.lines(os.getenv("USERS_FILE")) do
  local token, pid = line:match("^(%S+) (%S+)$")
  if token then
    users[#users + 1] = { token = token, pid = pid }
  end
end

math.randomseed(os.time())
local statuses = {}

request = function()
  local u = users[math.random(#users)]
  return wrk.format("GET", "/api/v1/portfolios/" .. u.pid .. "/" .. endpoint,
    { ["Authorization"] = "Bearer " .. u.token })
end

-- Milliseconds each connection waits before its next request.
delay = function()
  return math.floor(1000 * connections / rate)
end

response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local l = latency
  io.write(string.format(
    "RESULT endpoint=%s requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
    endpoint, summary.requests, summary.requests / (summary.duration / 1e6),
    l:percentile(50) / 1000, l:percentile(90) / 1000, l:percentile(99) / 1000, l.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
