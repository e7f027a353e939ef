-- binding_spec.lua — clouddir.core and the AWS-shaped client: opening, sharing and closing
-- stores, value conversions, error values, and the client's methods.
local clouddir = require "clouddir"
local core = require "clouddir.core"

local tmp_root = os.tmpname()
os.remove(tmp_root)
assert(os.execute("mkdir -p '" .. tmp_root .. "'"))
local counter = 0

-- A fresh folder path (not created) for one test.
local function fresh()
  counter = counter + 1
  return tmp_root .. "/store" .. counter
end

-- The error value fn raises (fails the test when it raises none or a string).
local function error_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error")
  assert(clouddir.is_error(e), "expected an error value, got " .. tostring(e))
  return e
end

-- Marks the test pending when op is not available yet; returns true when it is.
local function available(cd, op, req)
  local ok, e = pcall(cd.call, cd, op, req)
  if not ok and clouddir.is_error(e) and e.code == "NotImplementedException" then
    pending(op .. " is not implemented yet")
    return false
  end
  return true
end

-- Runs op; returns its response, or nil (test marked pending) when op is not available yet.
local function try(cd, op, req)
  local ok, r = pcall(cd.call, cd, op, req)
  if not ok and clouddir.is_error(r) and r.code == "NotImplementedException" then
    pending(op .. " is not implemented yet")
    return nil
  end
  if not ok then error(r, 0) end
  return r
end

local function has_schema(cd, name)
  local r = cd:ListDevelopmentSchemaArns{}
  for _, arn in ipairs(r.SchemaArns) do
    if arn:match("schema/development/" .. name .. "$") then return true end
  end
  return false
end

-- Resident set size of this process in kB (Linux).
local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

-- AddressSanitizer keeps freed memory in quarantine, so RSS cannot show a leak there.
local function under_asan()
  local f = io.open("/proc/self/maps")
  if not f then return false end
  local maps = f:read("a")
  f:close()
  return maps:find("libasan", 1, true) ~= nil
end

teardown(function()
  collectgarbage()
  os.execute("rm -rf '" .. tmp_root .. "'")
end)

after_each(function() collectgarbage() end)

describe("clouddir module", function()
  it("has a version and the LMDB version", function()
    assert.equal("0.1.0", clouddir.VERSION)
    assert.equal("0.1.0", core.version)
    assert.matches("^LMDB ", core.lmdb_version)
  end)

  it("lists the 66 operations, sorted", function()
    assert.equal(66, #core.operations)
    for i = 2, #core.operations do
      assert.is_true(core.operations[i - 1] < core.operations[i])
    end
    assert.equal("AddFacetToObject", core.operations[1])
    assert.equal("UpgradePublishedSchema", core.operations[66])
  end)
end)

describe("opening a store", function()
  it("creates the folder and closes idempotently", function()
    local path = fresh()
    local s = clouddir.open(path)
    assert.is_true(clouddir.is_store(s))
    assert.equal("clouddir.store (" .. path .. ")", tostring(s))
    assert.equal(path, s:path())
    assert.is_true(s:is_open())
    local f = io.open(path .. "/data.mdb")
    assert.truthy(f)
    f:close()
    s:close()
    s:close()
    assert.equal("clouddir.store (closed)", tostring(s))
    assert.is_false(s:is_open())
    assert.equal(path, s:path())
  end)

  it("closes a to-be-closed store at the end of its block", function()
    local keep
    do
      local s <close> = clouddir.open(fresh())
      keep = s
      assert.is_true(s:is_open())
    end
    assert.is_false(keep:is_open())
  end)

  it("reports the options it was opened with", function()
    local s = clouddir.open(fresh(), { sync = false, region = "eu-west-1",
                                       account = "111122223333", limits = "none",
                                       map_size = 1 << 24 })
    assert.same({ sync = false, region = "eu-west-1", account = "111122223333",
                  limits = "none", map_size = 1 << 24 }, s:options())
    s:close()
    s = clouddir.open(fresh())
    assert.same({ sync = true, region = "us-east-1", account = "123456789012",
                  limits = "aws" }, s:options())
    s:close()
  end)

  it("reports used and map bytes", function()
    local s = clouddir.open(fresh(), { map_size = 1 << 22 })
    local used, map = s:stat()
    assert.is_true(math.type(used) == "integer" and used > 0)
    assert.is_true(map >= 1 << 22)
    s:sync()
    s:close()
  end)

  describe("rejects bad options", function()
    local cases = {
      { "sync", { sync = "yes" } },
      { "sync", { sync = 1 } },
      { "map_size", { map_size = 1.5 } },
      { "map_size", { map_size = "big" } },
      { "map_size", { map_size = -1 } },
      { "region", { region = 1 } },
      { "region", { region = "" } },
      { "account", { account = false } },
      { "limits", { limits = "some" } },
      { "limits", { limits = true } },
      { "colour", { colour = "red" } },
      { "option", "fast" },
      { "option", { [1] = true } },
    }
    for _, case in ipairs(cases) do
      local what, opts = case[1], case[2]
      it("(" .. what .. ")", function()
        local path = fresh()
        local e = error_of(clouddir.open, path, opts)
        assert.equal("ValidationException", e.code)
        assert.matches(what, e.message, 1, true)
      end)
    end

    it("(path)", function()
      assert.equal("ValidationException", error_of(clouddir.open).code)
      assert.equal("ValidationException", error_of(clouddir.open, 42).code)
      assert.equal("ValidationException", error_of(clouddir.open, "").code)
    end)
  end)

  it("names the folder and the system error when the folder cannot be opened", function()
    local file = fresh()
    local f = assert(io.open(file, "w"))
    f:write("not a folder")
    f:close()
    local e = error_of(clouddir.open, file .. "/store")
    assert.equal("StoreError", e.code)
    assert.matches(file .. "/store", e.message, 1, true)
    assert.matches("Not a directory", e.message, 1, true)
    e = error_of(clouddir.open, file)
    assert.equal("StoreError", e.code)
    assert.matches(file, e.message, 1, true)
    assert.matches("not a folder", e.message, 1, true)
  end)

  it("refuses a folder it may not create", function()
    local e = error_of(clouddir.open, "/proc/no-such-store")
    assert.equal("StoreError", e.code)
    assert.matches("/proc/no-such-store", e.message, 1, true)
  end)
end)

describe("a closed store", function()
  local s, cd
  before_each(function()
    s = clouddir.open(fresh())
    cd = s:client()
    s:close()
  end)

  it("raises StoreError from every method, never crashes", function()
    for _, m in ipairs { "sync", "stat", "options" } do
      local e = error_of(s[m], s)
      assert.equal("StoreError", e.code)
      assert.equal("the store is closed", e.message)
    end
    assert.equal("StoreError", error_of(s.call, s, "CreateSchema", { Name = "x" }).code)
    assert.equal("StoreError", error_of(s.client, s).code)
  end)

  it("makes its clients raise StoreError", function()
    local e = error_of(cd.CreateSchema, cd, { Name = "x" })
    assert.equal("StoreError", e.code)
    assert.equal("StoreError: the store is closed", tostring(e))
    assert.equal("StoreError", error_of(cd.call, cd, "ListDirectories", {}).code)
  end)

  it("survives collection after close", function()
    s = nil
    cd = nil
    collectgarbage()
    collectgarbage()
  end)
end)

describe("handles on one folder", function()
  it("share the environment and close independently", function()
    local path = fresh()
    local a = clouddir.open(path)
    local b = clouddir.open(path, { region = "eu-west-1" })
    assert.equal("us-east-1", a:options().region)
    assert.equal("eu-west-1", b:options().region)
    a:close()
    assert.is_true(b:is_open())
    assert.is_table(b:options())
    b:stat()
    local c = clouddir.open(path)   -- shares with b
    b:close()
    c:stat()
    c:close()
    local d = clouddir.open(path)   -- a fresh environment
    d:stat()
    d:close()
  end)

  it("find each other through different spellings of the path", function()
    local path = fresh()
    local a = clouddir.open(path)
    local b = clouddir.open(path .. "/./")
    a:close()
    b:stat()
    b:close()
  end)

  it("see each other's committed writes", function()
    local path = fresh()
    local a = clouddir.open(path)
    local b = clouddir.open(path)
    local ca, cb = a:client(), b:client()
    if not available(ca, "CreateSchema", { Name = "one" }) then return end
    if not available(cb, "ListDevelopmentSchemaArns", {}) then return end
    assert.is_true(has_schema(cb, "one"))
    cb:CreateSchema{ Name = "two" }
    assert.is_true(has_schema(ca, "two"))
    a:close()
    assert.is_true(has_schema(cb, "one"))
    b:close()
  end)

  it("reopened after close see the data", function()
    local path = fresh()
    local s = clouddir.open(path)
    local cd = s:client()
    if not available(cd, "CreateSchema", { Name = "kept" }) then return end
    if not available(cd, "ListDevelopmentSchemaArns", {}) then return end
    s:close()
    s = clouddir.open(path)
    assert.is_true(has_schema(s:client(), "kept"))
    s:close()
  end)

  it("survive being collected without close", function()
    local path = fresh()
    for _ = 1, 20 do
      clouddir.open(path)
    end
    collectgarbage()
    collectgarbage()
    local s = clouddir.open(path)
    s:stat()
    s:close()
  end)
end)

describe("another process", function()
  it("sees the writes committed in this one", function()
    local path = fresh()
    local s = clouddir.open(path)
    local cd = s:client()
    if not available(cd, "CreateSchema", { Name = "shared" }) then return end
    if not available(cd, "ListDevelopmentSchemaArns", {}) then return end
    local script = path .. ".child.lua"
    local f = assert(io.open(script, "w"))
    f:write(([[
      package.path, package.cpath = %q, %q
      local clouddir = require "clouddir"
      local s = clouddir.open(%q)
      local cd = s:client()
      local found = false
      for _, arn in ipairs(cd:ListDevelopmentSchemaArns{}.SchemaArns) do
        if arn:match("/shared$") then found = true end
      end
      cd:CreateSchema{ Name = "from_child" }
      s:close()
      io.write(found and "found" or "missing")
    ]]):format(package.path, package.cpath, path))
    f:close()
    local p = assert(io.popen("lua5.4 '" .. script .. "' 2>&1"))
    local out = p:read("a")
    p:close()
    assert.equal("found", out)
    assert.is_true(has_schema(cd, "from_child"))   -- and this one sees the child's
    s:close()
  end)
end)

describe("request conversion", function()
  local echo = core.echo

  it("keeps strings, integers, floats and booleans", function()
    assert.equal("a\0b", echo("a\0b"))
    assert.equal(math.maxinteger, echo(math.maxinteger))
    assert.equal("integer", math.type(echo(7)))
    assert.equal("float", math.type(echo(7.0)))
    assert.equal(2.5, echo(2.5))
    assert.is_true(echo(true))
    assert.is_false(echo(false))
  end)

  it("turns sequences into lists and string-keyed tables into maps", function()
    assert.same({ 1, "two", { 3 } }, echo{ 1, "two", { 3 } })
    assert.same({ a = 1, b = { c = { true, false } } }, echo{ a = 1, b = { c = { true, false } } })
    assert.same({}, echo{})
    assert.same({ x = {} }, echo{ x = {} })
  end)

  local bad = {
    { "a function", { Name = print }, "'Name' is a function" },
    { "a coroutine", { Name = coroutine.create(print) }, "'Name' is a thread" },
    { "userdata", { Name = io.stdout }, "'Name' is a userdata" },
    { "mixed keys", { 1, a = 2 }, "mixes string and integer keys" },
    { "a hole", { [1] = 1, [3] = 3 }, "not a sequence" },
    { "keys from 0", { [0] = 1, [1] = 2 }, "not a sequence" },
    { "float keys", { [1.5] = 1 }, "neither a string nor an integer" },
    { "boolean keys", { [true] = 1 }, "neither a string nor an integer" },
    { "a nested bad value", { Facets = { { Name = "x" }, { Name = print } } },
      "'Facets[1].Name' is a function" },
  }
  for _, case in ipairs(bad) do
    it("refuses " .. case[1] .. " with a ValidationException naming the member", function()
      local e = error_of(echo, case[2])
      assert.equal("ValidationException", e.code)
      assert.matches(case[3], e.message, 1, true)
    end)
  end

  it("refuses cycles and deep nesting", function()
    local t = {}
    t.self = t
    local e = error_of(echo, t)
    assert.equal("ValidationException", e.code)
    assert.matches("64", e.message, 1, true)
    local deep = {}
    for _ = 1, 100 do deep = { deep } end
    assert.equal("ValidationException", error_of(echo, deep).code)
    local ok = {}
    for _ = 1, 60 do ok = { ok } end
    assert.is_table(echo(ok))
  end)

  it("converts a table met in several places once, and answers with tables of their own", function()
    local shared = { x = { 1, 2 } }
    local r = echo{ a = shared, b = shared, list = { shared, shared } }
    assert.same({ a = shared, b = shared, list = { shared, shared } }, r)
    assert.are_not.equal(r.a, r.b)
    r.a.x[1] = 9
    assert.same({ 1, 2 }, r.b.x)
  end)

  it("converts a request sharing one table at every level in linear time", function()
    -- 2^50 paths to the bottom: converting each path again would never finish.
    local t = { Selector = "/" }
    for _ = 1, 50 do t = { a = t, b = t } end
    local s = clouddir.open(fresh())
    local cd = s:client()
    local e = error_of(cd.ListDirectories, cd, { Extra = t })
    assert.equal("ValidationException", e.code)
    assert.matches("Extra", e.message, 1, true)
    -- deeper than 64 levels: refused for its depth, as a cycle is
    for _ = 1, 20 do t = { a = t, b = t } end
    assert.matches("64", error_of(cd.ListDirectories, cd, { Extra = t }).message, 1, true)
    s:close()
  end)

  it("is what store:call sends", function()
    local s = clouddir.open(fresh())
    local cd = s:client()
    local e = error_of(cd.CreateSchema, cd, { Name = print })
    assert.equal("ValidationException", e.code)
    assert.matches("'Name' is a function", e.message, 1, true)
    e = error_of(cd.CreateSchema, cd, { Name = 42 })   -- strict types: the shape check
    assert.equal("ValidationException", e.code)
    s:close()
  end)
end)

describe("error values", function()
  it("print as code: message and share one metatable", function()
    local e = clouddir.error("LinkNameAlreadyInUseException", "link 'x' exists")
    assert.equal("LinkNameAlreadyInUseException: link 'x' exists", tostring(e))
    assert.is_true(clouddir.is_error(e))
    assert.is_false(clouddir.is_error({ code = "X", message = "y" }))
    assert.is_false(clouddir.is_error("X: y"))
    assert.equal(core.error_mt, getmetatable(e))
    assert.equal("clouddir.error", getmetatable(e).__name)
    local s = clouddir.open(fresh())
    local raised = error_of(s.call, s, "NoSuchOperation", {})
    assert.equal(core.error_mt, getmetatable(raised))
    assert.equal(raised.code .. ": " .. raised.message, tostring(raised))
    s:close()
  end)

  it("carry index and type for BatchWriteException", function()
    local e = clouddir.error("BatchWriteException", "op 2 failed", 2, "ValidationException")
    assert.equal(2, e.index)
    assert.equal("ValidationException", e.type)
  end)

  it("can be raised from Lua", function()
    local e = error_of(clouddir.raise, "ResourceNotFoundException", "no such object")
    assert.equal("ResourceNotFoundException", e.code)
  end)
end)

describe("the AWS-shaped client", function()
  local s, cd
  before_each(function()
    s = clouddir.open(fresh())
    cd = s:client()
  end)
  after_each(function() s:close() end)

  it("has exactly one method per operation, plus call", function()
    local names = {}
    for name, fn in pairs(clouddir.client_methods) do
      assert.is_function(fn)
      names[#names + 1] = name
    end
    table.sort(names)
    local expected = { "call" }
    for _, op in ipairs(core.operations) do expected[#expected + 1] = op end
    table.sort(expected)
    assert.same(expected, names)
    for _, op in ipairs(core.operations) do
      assert.is_function(cd[op])
    end
    assert.equal("clouddir.client (" .. tostring(s) .. ")", tostring(cd))
  end)

  it("raises ValidationException for a missing request table", function()
    for _, op in ipairs(core.operations) do
      local e = error_of(cd[op], cd)
      assert.equal("ValidationException", e.code)
      assert.matches(op, e.message, 1, true)
    end
    assert.equal("ValidationException", error_of(cd.CreateSchema, cd, "org").code)
  end)

  it("raises ValidationException when called with a dot", function()
    local e = error_of(cd.CreateSchema, { Name = "org" })
    assert.equal("ValidationException", e.code)
    assert.matches("colon", e.message, 1, true)
  end)

  it("calls operations by name", function()
    local e = error_of(cd.call, cd, "NoSuchOperation", {})
    assert.equal("ValidationException", e.code)
    assert.matches("NoSuchOperation", e.message, 1, true)
    assert.equal("ValidationException", error_of(cd.call, cd, 42, {}).code)
    if not available(cd, "CreateSchema", { Name = "org" }) then return end
    local r = cd:call("CreateSchema", { Name = "hr" })
    assert.matches("schema/development/hr$", r.SchemaArn)
    assert.equal("SchemaAlreadyExistsException",
                 error_of(cd.CreateSchema, cd, { Name = "hr" }).code)
  end)

  it("returns timestamps as seconds since the epoch, a float", function()
    local before = os.time()
    local dev = try(cd, "CreateSchema", { Name = "timed" })
    if not dev then return end
    local pub = try(cd, "PublishSchema", { DevelopmentSchemaArn = dev.SchemaArn, Version = "1" })
    if not pub then return end
    local dir = try(cd, "CreateDirectory", { Name = "d", SchemaArn = pub.PublishedSchemaArn })
    if not dir then return end
    local got = try(cd, "GetDirectory", { DirectoryArn = dir.DirectoryArn })
    if not got then return end
    local t = got.Directory.CreationDateTime
    assert.equal("float", math.type(t))
    -- Near the wall clock, in seconds (not milliseconds): a wide window, because this test
    -- machine's clock has been seen to step by seconds while a suite ran.
    assert.is_true(t >= before - 300 and t <= os.time() + 300, "CreationDateTime " .. t)
    assert.equal(t, math.floor(t * 1000 + 0.5) / 1000)   -- milliseconds kept, no more
  end)

  it("raises NotImplementedException for an operation not written yet", function()
    -- AttachTypedLink is not part of this issue's operations.
    local e = error_of(cd.AttachTypedLink, cd, {
      DirectoryArn = "arn:aws:clouddirectory:us-east-1:123456789012:directory/AAAAAAAAAAAAAAAAAAAAAAAAAAA",
      SourceObjectReference = { Selector = "/a" },
      TargetObjectReference = { Selector = "/b" },
      TypedLinkFacet = { SchemaArn = "arn:aws:clouddirectory:us-east-1:123456789012:schema/published/s/1", TypedLinkName = "t" },
      Attributes = {},
    })
    if e.code ~= "NotImplementedException" then
      pending("AttachTypedLink is implemented now: pick another operation")
      return
    end
    assert.matches("AttachTypedLink", e.message, 1, true)
  end)

  it("validates the shape before anything runs", function()
    local e = error_of(cd.BatchWrite, cd, {})
    assert.equal("ValidationException", e.code)
    assert.matches("DirectoryArn", e.message, 1, true)
  end)
end)

describe("memory", function()
  it("does not grow over a long loop of failing calls", function()
    if under_asan() then
      pending("RSS means nothing under AddressSanitizer (freed memory is quarantined)")
      return
    end
    local s = clouddir.open(fresh())
    local cd = s:client()
    local big = {}
    for i = 1, 200 do big[i] = { Name = ("x"):rep(100), Values = { 1, 2, 3 } } end
    local function round(n)
      for _ = 1, n do
        pcall(cd.CreateSchema, cd, { Name = print, Big = big })   -- conversion fails
        pcall(cd.CreateSchema, cd, { Name = "x", Big = big })     -- shape check fails
      end
      collectgarbage()
      collectgarbage()
    end
    round(200)
    local before = rss_kb()
    round(2000)
    local after = rss_kb()
    assert.is_true(after - before < 2048, ("RSS grew by %d kB"):format(after - before))
    s:close()
  end)
end)
