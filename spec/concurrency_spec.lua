-- concurrency_spec.lua — two writer and two reader processes (spec/concurrency_child.lua)
-- on one store for a few seconds: no lost update, no reader ever sees half a batch, no
-- deadlock, every process exits 0.
--
-- The writers move tokens between ACCOUNTS accounts (1000 each); every transfer is one
-- BatchWrite that also creates an audit child and one lock child per account touched,
-- named after the account's new version, which makes the batch a compare-and-swap
-- (see the child's header).  Readers check each snapshot: total exactly ACCOUNTS * 1000,
-- sum(versions) == #locks == 2 * #audit, #audit never going down.  At the end the test
-- checks the same on the final state, that #audit equals the sum of the writers'
-- committed counts, that every writer's audit children are exactly w<id>-1..w<id>-n,
-- and that every account's lock children are exactly a<x>-v1..a<x>-v<version>.
--
-- Every child runs under `timeout` (a deadlock fails the test instead of hanging it).
-- CLOUDDIR_CONCURRENCY_SECONDS sets how long the processes run (default 3).
local helper = require "spec.helper"
local clouddir = helper.clouddir

local SECONDS = tonumber(os.getenv("CLOUDDIR_CONCURRENCY_SECONDS") or "") or 3
local ACCOUNTS = 6
local LUA = os.getenv("LUA") or "lua5.4"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec"
local CHILD = here .. "/concurrency_child.lua"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function sel(s) return { Selector = s } end

local function read_file(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

--- A store with accounts a1..aN (balance 1000, version 0), /audit and /locks.
local function new_store()
  local store, path = helper.store{ limits = "none" }
  local cd = store:client()
  local function attr(n, t)
    return { Name = n, AttributeDefinition = { Type = t }, RequiredBehavior = "NOT_REQUIRED" }
  end
  local s = cd:CreateSchema{ Name = helper.unique("bank") }.SchemaArn
  cd:CreateFacet{ SchemaArn = s, Name = "Folder", ObjectType = "NODE", Attributes = {} }
  cd:CreateFacet{ SchemaArn = s, Name = "Account", ObjectType = "NODE",
                  Attributes = { attr("balance", "NUMBER"), attr("version", "NUMBER") } }
  cd:CreateFacet{ SchemaArn = s, Name = "Audit", ObjectType = "LEAF_NODE",
                  Attributes = { attr("from", "STRING"), attr("to", "STRING"), attr("amount", "NUMBER") } }
  cd:CreateFacet{ SchemaArn = s, Name = "Lock", ObjectType = "LEAF_NODE", Attributes = {} }
  local p = cd:PublishSchema{ DevelopmentSchemaArn = s, Version = "1" }.PublishedSchemaArn
  local d = cd:CreateDirectory{ Name = helper.unique("bank"), SchemaArn = p }
  local ctx = { path = path, dir = d.DirectoryArn, schema = d.AppliedSchemaArn, store = store, cd = cd }
  local function key(f, n) return { SchemaArn = ctx.schema, FacetName = f, Name = n } end
  local ops = {}
  for _, folder in ipairs{ "accounts", "audit", "locks" } do
    ops[#ops + 1] = { CreateObject = { SchemaFacet = { { SchemaArn = ctx.schema, FacetName = "Folder" } },
      ObjectAttributeList = {}, ParentReference = sel("/"), LinkName = folder } }
  end
  for x = 1, ACCOUNTS do
    ops[#ops + 1] = { CreateObject = { SchemaFacet = { { SchemaArn = ctx.schema, FacetName = "Account" } },
      ObjectAttributeList = { { Key = key("Account", "balance"), Value = { NumberValue = "1000" } },
                              { Key = key("Account", "version"), Value = { NumberValue = "0" } } },
      ParentReference = sel("/accounts"), LinkName = "a" .. x } }
  end
  cd:BatchWrite{ DirectoryArn = ctx.dir, Operations = ops }
  return ctx
end

--- Runs writers 1, 2 (in mode) and readers 1, 2 for SECONDS; returns { name = { status,
--- out, err } } for w1 w2 r1 r2.
local function run_processes(ctx, mode)
  local base = ctx.path .. ".proc"
  local stop = base .. ".stop"
  os.remove(stop)
  local env = ("LUA_PATH=%s LUA_CPATH=%s"):format(q(package.path), q(package.cpath))
  local lines, names = {}, { "w1", "w2", "r1", "r2" }
  for i, name in ipairs(names) do
    local role = name:sub(1, 1) == "w" and "writer" or "reader"
    lines[#lines + 1] = ("%s timeout -s KILL %d %s %s %s %s %s %s %s %d %s %s >%s 2>%s & p%d=$!"):format(
      env, SECONDS + 30, q(LUA), q(CHILD), role, name:sub(2), q(ctx.path), q(ctx.dir), q(ctx.schema),
      ACCOUNTS, q(stop), mode, q(base .. "." .. name .. ".out"), q(base .. "." .. name .. ".err"), i)
  end
  lines[#lines + 1] = ("sleep %d; touch %s"):format(SECONDS, q(stop))
  for i, name in ipairs(names) do
    lines[#lines + 1] = ("wait $p%d; echo %s $?"):format(i, name)
  end
  local p = assert(io.popen(table.concat(lines, "\n"), "r"))
  local status = p:read("a")
  p:close()
  local result = {}
  for _, name in ipairs(names) do
    local out, err = base .. "." .. name .. ".out", base .. "." .. name .. ".err"
    result[name] = { status = tonumber(status:match(name .. " (%d+)")), out = read_file(out),
                     err = read_file(err) }
    os.remove(out); os.remove(err)
  end
  os.remove(stop)
  return result
end

--- Children of a folder as { name = id }, and their count.
local function children(ctx, path)
  local r = ctx.cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = sel(path),
                                       MaxResults = 1000000 }
  assert.is_nil(r.NextToken)
  local n = 0
  for _ in pairs(r.Children) do n = n + 1 end
  return r.Children, n
end

local function check(ctx, mode)
  local t0 = os.time()
  local procs = run_processes(ctx, mode)
  for _, name in ipairs{ "w1", "w2", "r1", "r2" } do
    local p = procs[name]
    assert(p.status == 0, ("%s exited with status %s%s: %s"):format(name, tostring(p.status),
      p.status == 137 and " (killed by the timeout: a deadlock?)" or "", p.err))
  end
  local committed, conflicts, reads = {}, 0, 0
  for i = 1, 2 do
    local n, c = procs["w" .. i].out:match("committed (%d+) conflicts (%d+)")
    assert(n, "writer " .. i .. " printed no summary: " .. procs["w" .. i].out)
    committed[i], conflicts = tonumber(n), conflicts + tonumber(c)
    assert(committed[i] > 0, "writer " .. i .. " committed nothing")
    local r = procs["r" .. i].out:match("reads (%d+)")
    assert(r, "reader " .. i .. " printed no summary: " .. procs["r" .. i].out)
    reads = reads + tonumber(r)
  end
  -- the final state
  local total, versions = 0, 0
  local locks, nlocks = children(ctx, "/locks")
  for x = 1, ACCOUNTS do
    local v = {}
    for _, a in ipairs(ctx.cd:GetObjectAttributes{ DirectoryArn = ctx.dir,
        ObjectReference = sel("/accounts/a" .. x), AttributeNames = { "balance", "version" },
        SchemaFacet = { SchemaArn = ctx.schema, FacetName = "Account" } }.Attributes) do
      v[a.Key.Name] = tonumber(a.Value.NumberValue)
    end
    assert(v.balance >= 0, "a" .. x .. " has a negative balance")
    total, versions = total + v.balance, versions + v.version
    for k = 1, v.version do
      assert(locks["a" .. x .. "-v" .. k], ("a%d is at version %d but has no lock a%d-v%d")
        :format(x, v.version, x, k))
    end
  end
  assert.equal(ACCOUNTS * 1000, total)
  local audits, naudits = children(ctx, "/audit")
  assert(naudits == committed[1] + committed[2], ("%d audit children, but the writers committed %d + %d")
    :format(naudits, committed[1], committed[2]))
  for i = 1, 2 do
    for n = 1, committed[i] do
      assert(audits["w" .. i .. "-" .. n], ("writer %d committed %d, but w%d-%d is missing")
        :format(i, committed[i], i, n))
    end
  end
  assert.equal(versions, nlocks)
  assert.equal(2 * naudits, nlocks)
  io.stderr:write(("# concurrency (%s): %d + %d transfers, %d conflicts retried, %d snapshot reads, ~%ds\n")
    :format(mode, committed[1], committed[2], conflicts, reads, os.time() - t0))
end

describe("concurrency", function()
  after_each(helper.cleanup)

  -- LMDB (with MDB_WRITEMAP) sets the data file's length to the map size of whoever maps
  -- it last: a smaller map opened by another process used to cut the file under this
  -- process's larger map, and the next write here beyond the cut died of SIGBUS.
  it("a process opening the store with a smaller map never cuts the data file under another's", function()
    local ctx = new_store()
    local function length()
      local f = assert(io.open(ctx.path .. "/data.mdb", "rb"))
      local n = f:seek("end")
      f:close()
      return n
    end
    local before = length()
    local cmd = ("LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1"):format(q(package.path), q(package.cpath), q(LUA),
      q(("require('clouddir').open(%q, { map_size = 65536 }):close()"):format(ctx.path)))
    local p = assert(io.popen(cmd, "r"))
    local out = p:read("a")
    assert(p:close(), "the second process failed: " .. out)
    assert(length() >= before, ("the data file went from %d to %d bytes"):format(before, length()))
    -- and this process can still write past the other's map
    local ops = {}
    for i = 1, 3000 do
      ops[i] = { CreateObject = { SchemaFacet = { { SchemaArn = ctx.schema, FacetName = "Lock" } },
        ObjectAttributeList = {}, ParentReference = sel("/locks"), LinkName = "l" .. i } }
    end
    ctx.cd:BatchWrite{ DirectoryArn = ctx.dir, Operations = ops }
    local _, n = children(ctx, "/locks")
    assert.equal(3000, n)
  end)

  it("two durable writers and two readers: no lost update, no half batch, no deadlock", function()
    check(new_store(), "sync")
  end)

  it("two sync = false writers and two readers: the same", function()
    check(new_store(), "nosync")
  end)
end)
