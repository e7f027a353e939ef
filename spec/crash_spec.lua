-- crash_spec.lua — crash safety: a child process (spec/crash_child.lua) applies large
-- batches to a store and is killed with SIGKILL at random moments, many times; after each
-- kill the store must open and every batch must be entirely there or entirely absent.
--
-- Each batch n of the child writes K items under /batches/b<n>, a unique index
-- /indexes/x<n> holding exactly those items, a chain of K-1 typed links Next between them,
-- and the ledger's count (+K) and last (= n).  After a kill the invariants are:
--   - /batches holds exactly b1..b<last> and /indexes exactly x1..x<last>  (no batch is
--     half there: its node, its index and its ledger update come and go together)
--   - ledger.count == last * K
--   - batch b<n> has exactly the K children i1..iK; its index lists exactly those objects,
--     with seq 1..K; item i has exactly one outgoing Next link, to item i+1
--     (so no index entry or typed link points at a missing object).
-- Durable mode (sync = true): every batch the child reported committed ("committed n",
-- printed and flushed after BatchWrite returned) is there, and at most one more.
-- sync = false: only consistency is asserted.  A process kill loses nothing here either
-- (committed pages are in the OS page cache, which outlives the process), but what a
-- sync = false commit promises is only an intact store after an OS crash or power loss,
-- where the newest commits may be gone; a kill test cannot tell those apart.
--
-- Rounds: CLOUDDIR_CRASH_ROUNDS kills in durable mode (default 24) and half as many with
-- sync = false; a new store every 8 rounds keeps the stores small.  For a soak:
--   CLOUDDIR_CRASH_ROUNDS=400 spec/run_tests.sh build
-- Children run as `lua5.4` (env LUA to change it) with this process's package.path and
-- package.cpath.
local helper = require "spec.helper"
local clouddir = helper.clouddir

local ROUNDS = tonumber(os.getenv("CLOUDDIR_CRASH_ROUNDS") or "") or 24
local K = tonumber(os.getenv("CLOUDDIR_CRASH_K") or "") or 200
local ROUNDS_PER_STORE = 8
local LUA = os.getenv("LUA") or "lua5.4"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec"
local CHILD = here .. "/crash_child.lua"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function sel(s) return { Selector = s } end
local function strip(s) return (s:gsub("^%$", "")) end

local function read_file(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- {====================================================== the store

--- A new store folder with the schema the child writes, applied to a directory holding
-- /ledger (count 0), /batches and /indexes.  Returns { path, dir, schema }.
local function new_store()
  local store, path = helper.store{ limits = "none" }
  local cd = store:client()
  local function attr(n, t)
    return { Name = n, AttributeDefinition = { Type = t }, RequiredBehavior = "NOT_REQUIRED" }
  end
  local s = cd:CreateSchema{ Name = helper.unique("crash") }.SchemaArn
  cd:CreateFacet{ SchemaArn = s, Name = "Ledger", ObjectType = "NODE",
                  Attributes = { attr("count", "NUMBER"), attr("last", "NUMBER") } }
  cd:CreateFacet{ SchemaArn = s, Name = "Batch", ObjectType = "NODE",
                  Attributes = { attr("n", "NUMBER"), attr("size", "NUMBER") } }
  cd:CreateFacet{ SchemaArn = s, Name = "Item", ObjectType = "LEAF_NODE",
                  Attributes = { attr("batch", "STRING"), attr("seq", "NUMBER") } }
  cd:CreateTypedLinkFacet{ SchemaArn = s, Facet = { Name = "Next",
    Attributes = { { Name = "seq", Type = "STRING", RequiredBehavior = "REQUIRED_ALWAYS" } },
    IdentityAttributeOrder = { "seq" } } }
  local p = cd:PublishSchema{ DevelopmentSchemaArn = s, Version = "1" }.PublishedSchemaArn
  local d = cd:CreateDirectory{ Name = helper.unique("crash"), SchemaArn = p }
  local ctx = { path = path, dir = d.DirectoryArn, schema = d.AppliedSchemaArn }
  local function make(facet, link, values)
    cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { { SchemaArn = ctx.schema, FacetName = facet } },
                     ParentReference = sel("/"), LinkName = link, ObjectAttributeList = values or {} }
  end
  make("Ledger", "ledger", { { Key = { SchemaArn = ctx.schema, FacetName = "Ledger", Name = "count" },
                               Value = { NumberValue = "0" } } })
  make("Batch", "batches")
  make("Batch", "indexes")
  store:close()
  return ctx
end

-- }======================================================

-- {====================================================== checks

--- Checks batch n completely, in one BatchRead (one snapshot).
local function check_batch(cd, ctx, n)
  local base = "/batches/b" .. n
  local ops = {
    { GetObjectAttributes = { ObjectReference = sel(base), AttributeNames = { "n", "size" },
        SchemaFacet = { SchemaArn = ctx.schema, FacetName = "Batch" } } },
    { ListObjectChildren = { ObjectReference = sel(base), MaxResults = K + 10 } },
    { ListIndex = { IndexReference = sel("/indexes/x" .. n), MaxResults = K + 10 } },
  }
  for i = 1, K do
    ops[#ops + 1] = { ListOutgoingTypedLinks = { ObjectReference = sel(base .. "/i" .. i) } }
  end
  local R = cd:BatchRead{ DirectoryArn = ctx.dir, Operations = ops }.Responses
  for i, r in ipairs(R) do
    assert(r.SuccessfulResponse, ("batch %d, read %d: %s"):format(n, i,
      r.ExceptionResponse and (r.ExceptionResponse.Type .. ": " .. r.ExceptionResponse.Message) or "?"))
  end
  local values = {}
  for _, a in ipairs(R[1].SuccessfulResponse.GetObjectAttributes.Attributes) do
    values[a.Key.Name] = a.Value.NumberValue
  end
  assert.same({ n = tostring(n), size = tostring(K) }, values)
  -- exactly the K children
  local children, count = R[2].SuccessfulResponse.ListObjectChildren.Children, 0
  for name in pairs(children) do
    count = count + 1
    assert(name:match("^i%d+$") and tonumber(name:sub(2)) <= K, "batch " .. n .. ": stray child " .. name)
  end
  assert.is_nil(R[2].SuccessfulResponse.ListObjectChildren.NextToken)
  assert(count == K, ("batch %d has %d children, expected %d"):format(n, count, K))
  local seq_of = {}
  for i = 1, K do seq_of[children["i" .. i]] = i end
  -- the index lists exactly those objects, each with its seq
  local entries = R[3].SuccessfulResponse.ListIndex.IndexAttachments
  assert(#entries == K, ("index x%d has %d entries, expected %d"):format(n, #entries, K))
  local seen = {}
  for _, e in ipairs(entries) do
    local i = seq_of[e.ObjectIdentifier]
    assert(i, ("index x%d points at %s, not an item of b%d"):format(n, e.ObjectIdentifier, n))
    assert(not seen[i], "index x" .. n .. " lists item " .. i .. " twice")
    seen[i] = true
    assert.equal(tostring(i), e.IndexedAttributes[1].Value.NumberValue)
  end
  -- item i links to item i+1, and only to it
  for i = 1, K do
    local links = R[3 + i].SuccessfulResponse.ListOutgoingTypedLinks.TypedLinkSpecifiers
    local want = i < K and 1 or 0
    assert(#links == want, ("b%d/i%d has %d outgoing links, expected %d"):format(n, i, #links, want))
    if want == 1 then
      assert.equal(children["i" .. i], strip(links[1].SourceObjectReference.Selector))
      assert.equal(children["i" .. (i + 1)], strip(links[1].TargetObjectReference.Selector))
      assert.equal(tostring(i + 1), links[1].IdentityAttributeValues[1].Value.StringValue)
    end
  end
end

--- Opens the store (or uses the open handle given), checks the global invariants, and
--- checks completely the newest batches from..last (at most 3: a kill can only have hit
--- those) and 2 older ones at random.  Returns last.
local function check_store(ctx, from, handle)
  local store = handle or clouddir.open(ctx.path, { limits = "none" })
  local cd = store:client()
  local ledger = {}
  for _, a in ipairs(cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = sel("/ledger"),
      SchemaFacet = { SchemaArn = ctx.schema, FacetName = "Ledger" },
      AttributeNames = { "count", "last" } }.Attributes) do
    ledger[a.Key.Name] = tonumber(a.Value.NumberValue)
  end
  local last = ledger.last or 0
  assert(ledger.count == last * K,
    ("ledger count %s after %d batches of %d: a batch is half there"):format(ledger.count, last, K))
  for _, folder in ipairs{ { "/batches", "b" }, { "/indexes", "x" } } do
    local r = cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = sel(folder[1]),
                                     MaxResults = 1000000 }
    local count = 0
    for name in pairs(r.Children) do
      count = count + 1
      local n = tonumber(name:match("^" .. folder[2] .. "(%d+)$"))
      assert(n and n >= 1 and n <= last,
        ("%s/%s exists, but the ledger's last batch is %d: a batch is half there"):format(folder[1], name, last))
    end
    assert(count == last, ("%s has %d children after %d batches"):format(folder[1], count, last))
  end
  for n = math.max(from, last - 2), last do check_batch(cd, ctx, n) end
  for _ = 1, math.min(2, from - 1) do check_batch(cd, ctx, math.random(from - 1)) end
  if not handle then store:close() end
  return last
end

-- }======================================================

-- {====================================================== the child

--- Starts the child on ctx in mode "sync" | "nosync", lets it run ms milliseconds, kills it
--- with SIGKILL.  Returns the last batch it reported committed (0: none) and its output.
local function run_and_kill(ctx, mode, ms)
  local tmp = ctx.path .. ".child"
  local pidfile, out, err = tmp .. ".pid", tmp .. ".out", tmp .. ".err"
  os.remove(pidfile)
  local cmd = ("LUA_PATH=%s LUA_CPATH=%s %s %s %s %s %s %d %s >%s 2>%s & echo $! >%s; exec 2>/dev/null; wait $!; echo \"exit $?\"")
    :format(q(package.path), q(package.cpath), q(LUA), q(CHILD), q(ctx.path), q(ctx.dir),
            q(ctx.schema), K, mode, q(out), q(err), q(pidfile))
  local p = assert(io.popen(cmd, "r"))
  os.execute(("sleep %.3f"):format(ms / 1000))
  local pid
  for _ = 1, 200 do   -- the shell writes the pid at once; wait for it all the same
    pid = read_file(pidfile):match("%d+")
    if pid then break end
    os.execute("sleep 0.01")
  end
  assert(pid, "the child's pid never appeared in " .. pidfile)
  os.execute("kill -9 " .. pid .. " 2>/dev/null")
  local status = p:read("a")
  p:close()
  local output, errors = read_file(out), read_file(err)
  assert(status:match("exit 137"), ("the child did not die by SIGKILL (%s): %s"):format(
    status:gsub("%s+$", ""), errors))
  local reported = 0
  for n in output:gmatch("committed (%d+)") do reported = tonumber(n) end
  os.remove(pidfile); os.remove(out); os.remove(err)
  return reported, output
end

--- rounds kills in mode; keep_open: the test keeps its own handle open meanwhile (so the
--- lock file is never reset and the killed writer's lock must be recovered).  Returns the
--- number of batches committed over all stores and the number of rounds whose kill hit
--- after the child had committed at least one batch.
local function crash_rounds(mode, rounds, keep_open)
  local ctx, handle, verified, total, productive = nil, nil, 0, 0, 0
  for round = 1, rounds do
    if (round - 1) % ROUNDS_PER_STORE == 0 then
      if handle then handle:close() end
      if ctx then
        total = total + verified
        helper.rmdir(ctx.path)   -- the stores grow fast: keep one at a time
      end
      ctx, verified = new_store(), 0
      handle = keep_open and clouddir.open(ctx.path, { limits = "none" }) or nil
    end
    local reported = run_and_kill(ctx, mode, math.random(50, 400))
    local last = check_store(ctx, verified + 1, handle)
    if mode == "sync" then
      assert(last >= reported, ("the child reported batch %d committed, but the store ends at %d")
        :format(reported, last))
      assert(last <= math.max(reported, verified) + 1,
        ("the store has batch %d, but the child reported only %d"):format(last, reported))
    end
    if last > verified then productive = productive + 1 end
    verified = last
  end
  if handle then handle:close() end
  return total + verified, productive
end

-- }======================================================

describe("crash safety", function()
  after_each(helper.cleanup)

  it("keeps every durable batch whole, and every reported commit, through SIGKILL", function()
    local t0 = os.time()
    local batches, productive = crash_rounds("sync", ROUNDS, false)
    io.stderr:write(("# crash (sync): %d kills, %d batches of %d items, %d kills after commits, ~%ds\n")
      :format(ROUNDS, batches, K, productive, os.time() - t0))
    assert(batches > 0, "the child never committed a batch before it was killed")
  end)

  it("keeps sync = false stores consistent through SIGKILL (with a second handle open)", function()
    local rounds = math.max(1, ROUNDS // 2)
    local t0 = os.time()
    local batches, productive = crash_rounds("nosync", rounds, true)
    io.stderr:write(("# crash (nosync): %d kills, %d batches of %d items, %d kills after commits, ~%ds\n")
      :format(rounds, batches, K, productive, os.time() - t0))
    assert(batches > 0, "the child never committed a batch before it was killed")
  end)
end)
