-- wrk script for the soak run: a mixed workload over the seeded users, paced
-- to RATE requests/s in total. Reads: valuation, insights, performance, the
-- transactions page, goals, the community feed, quotes; writes: a small
-- deposit (always valid, so the ledgers grow) and now and then a post.
local users = {}
local rate = tonumber(os.getenv("RATE") or "200")
local connections = tonumber(os.getenv("CONNECTIONS") or "20")

for line in io.lines(os.getenv("USERS_FILE")) do
  local token, pid = line:match("^(%S+) (%S+)$")
  if token then
    users[#users + 1] = { token = token, pid = pid }
  end
end

local counter = 0
local kinds = {}

local function pick()
  local r = math.random(1000)
  if r <= 350 then return "valuation"
  elseif r <= 500 then return "insights"
  elseif r <= 600 then return "performance"
  elseif r <= 700 then return "transactions"
  elseif r <= 780 then return "goals"
  elseif r <= 860 then return "feed"
  elseif r <= 920 then return "quotes"
  elseif r <= 995 then return "deposit"
  else return "post" end
end

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end

init = function(args)
  local id = tonumber(wrk.thread:get("id")) or 0
  math.randomseed(os.time() + id * 7919)
end

request = function()
  counter = counter + 1
  local u = users[math.random(#users)]
  local auth = "Bearer " .. u.token
  local kind = pick()
  kinds[kind] = (kinds[kind] or 0) + 1
  local base = "/api/v1/portfolios/" .. u.pid
  if kind == "valuation" or kind == "insights" then
    return wrk.format("GET", base .. "/" .. kind, { ["Authorization"] = auth })
  elseif kind == "performance" then
    return wrk.format("GET", base .. "/performance?range=max", { ["Authorization"] = auth })
  elseif kind == "transactions" then
    return wrk.format("GET", base .. "/transactions?limit=50", { ["Authorization"] = auth })
  elseif kind == "goals" then
    return wrk.format("GET", "/api/v1/goals", { ["Authorization"] = auth })
  elseif kind == "feed" then
    return wrk.format("GET", "/api/v1/community/posts?sort=latest&limit=20", { ["Authorization"] = auth })
  elseif kind == "quotes" then
    return wrk.format("GET", "/api/v1/quotes?symbols=AAPL,MSFT,SPY", { ["Authorization"] = auth })
  elseif kind == "deposit" then
    return wrk.format("POST", base .. "/transactions",
      { ["Authorization"] = auth, ["Content-Type"] = "application/json" },
      '{"date":"2018-04-10","type":"deposit","price":"1","currency":"USD"}')
  else
    return wrk.format("POST", "/api/v1/community/posts",
      { ["Authorization"] = auth, ["Content-Type"] = "application/json" },
      '{"text":"Soak note ' .. counter .. '-' .. math.random(1000000000) .. ': staying the course with a diversified mix."}')
  end
end

delay = function()
  return math.floor(1000 * connections / rate)
end

local statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local l = latency
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    l:percentile(50) / 1000, l:percentile(90) / 1000, l:percentile(99) / 1000, l.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
