-- GET requests for bench/wrk.ts: `-- <connections per thread> [<file> <json|html>]` cycles
-- through the paths listed in <file>, one a line (query: signed /v2/transaction/{ref}?…;
-- paypage: /pay/{nonce}), from a random starting point; without a file, GET / (baseline).
-- The requests are formatted once, in init(), so that request() is a table lookup.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local requests, n, i = {}, 0, 0

function init(args)
  start(args, args[3] ~= "html")
  for path in io.lines(args[2] or "/dev/null") do
    n = n + 1
    requests[n] = wrk.format("GET", path)
  end
  if n == 0 then requests[1], n = wrk.format("GET", "/"), 1 end
  i = math.random(n) - 1
end

function request()
  i = i % n + 1
  return requests[i]
end
