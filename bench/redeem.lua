-- wrk script: POST /kiosk/api/redeem with a fresh request_id (UUID) each time.
-- The file named by BENCH_SESSIONS has one "device_token session_id goods_id" per line;
-- each request picks a line at random. done() prints "status count" lines for the harness.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  sessions = {}
  for line in io.lines(os.getenv("BENCH_SESSIONS")) do
    local token, sid, goods = line:match("(%S+) (%S+) (%S+)")
    table.insert(sessions, {token, sid, goods})
  end
  math.randomseed(tid * 7919 + os.time())
  statuses = {}
end

function request()
  counter = counter + 1
  local s = sessions[math.random(#sessions)]
  local rid = string.format("%08x-%04x-4%03x-8%03x-%012x", math.random(0, 0x7fffffff), tid,
                            math.random(0, 0xfff), math.random(0, 0xfff), counter)
  local body = '{"session_id":"' .. s[2] .. '","request_id":"' .. rid ..
               '","cart":[{"goods_id":' .. s[3] .. ',"qty":1}]}'
  return wrk.format("POST", "/kiosk/api/redeem",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Device " .. s[1]}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local st = t:get("statuses")
    for code, n in pairs(st) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d %d\n", code, n)) end
  io.write(string.format("latency_p50_us %d\nlatency_p95_us %d\n", latency:percentile(50), latency:percentile(95)))
  io.write(string.format("requests %d\nduration_us %d\n", summary.requests, summary.duration))
end
