-- batch_api_spec.lua — atomic batches in the idiomatic API (lua/clouddir/batch.lua):
-- placeholders used by later steps, every step kind, all or nothing at every position, the
-- error value, to-be-closed batches, misuse, a 10k-step batch, read batches, and the bulk
-- loader example.
local clouddir = require "clouddir"
local helper = require "spec.helper"
local F = require "spec.data_fixtures"

local ORG = {
  facets = {
    Department = { type = "NODE", attributes = {
      name = { type = "STRING", required = true,
               rules = { len = { "STRING_LENGTH", min = 1, max = 32 } } },
      budget = { type = "NUMBER" } } },
    Person = { type = "LEAF_NODE", attributes = {
      email = { type = "STRING", required = true },
      age = { type = "NUMBER" },
      active = { type = "BOOLEAN" } } },
    Extra = { type = "LEAF_NODE", style = "DYNAMIC" },
    Rule = { type = "POLICY" },
    Lookup = { type = "INDEX" },
  },
  typed_links = {
    Manages = { attributes = { since = { type = "NUMBER", required = true }, note = "STRING" },
                identity = { "since" } },
  },
}

-- A fresh store (sync off) with schema org published and applied to directory "acme".
local function acme(opts)
  local o = { sync = false }
  for k, v in pairs(opts or {}) do o[k] = v end
  local store, path = helper.store(o)
  local dir = store:create_directory("acme", store:schema("org", ORG):publish("1"))
  return dir, path, store
end

local function error_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error")
  return e
end

local function outgoing(dir, obj)
  return dir.client:ListOutgoingTypedLinks{ DirectoryArn = dir.arn,
    ObjectReference = { Selector = obj:ref() } }.TypedLinkSpecifiers
end

local function this_line() return debug.getinfo(2, "l").currentline end

-- Asserts that fn raises a plain error (a string) positioned at `line` of this file, and
-- returns its message.  fn must not end in a tail call, or its own line would be gone.
local function misuse_at(line, fn)
  local ok, e = pcall(fn)
  assert.is_false(ok, "expected an error")
  assert.is_string(e)
  assert.equal("spec/batch_api_spec.lua:" .. line .. ":", e:match("^[^:]*:%d+:"), e)
  return e
end

-- Puts a spy in front of dir.client: on_call(op, request) sees each call first (and may
-- use the real client, which it gets as its third argument).
local function spy_client(dir, on_call)
  local real = dir.client
  dir.client = setmetatable({}, { __index = function(_, op)
    return function(_, a, b)
      if op == "call" then on_call(a, b, real) else on_call(op, a, real) end
      return real[op](real, a, b)
    end
  end })
end

-- A dynamic facet's values: n attributes a01 = 1, a02 = 2, ...
local function many(n)
  local t = {}
  for i = 1, n do t[("a%02d"):format(i)] = i end
  return t
end

describe("dir:batch", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  it("lets later steps use earlier results, and returns them as object handles", function()
    local dir = acme()
    local eng, ada, bob = dir:batch(function(b)
      local eng = b:create("/engineering", { Department = { name = "Engineering" } })
      local ada = b:create(eng, "ada", { Person = { email = "ada@acme", age = 36 } })
      local bob = b:create(nil, { Person = { email = "bob@acme" } })
      b:attach(eng, "bob", bob)
      b:attach("/", "ada", ada)                    -- a leaf with two parents
      b:update(ada, { Person = { age = 37, active = true } })
      b:add_facet(bob, "Extra", { nick = "b" })
      b:create("/engineering/platform", { Department = { name = "Platform" } })  -- path via step 1
      return eng, ada, bob
    end)
    assert.equal(clouddir.api.Object, getmetatable(eng))
    assert.equal(eng, dir:object("/engineering"))
    assert.same({ email = "ada@acme", age = 37, active = true }, ada.Person)
    assert.equal("b", bob.Extra.nick)
    local paths = {}
    for p in ada:paths() do paths[#paths + 1] = p end
    table.sort(paths)
    assert.same({ "/ada", "/engineering/ada" }, paths)
    assert.equal("Platform", dir:get("/engineering/platform", "Department").name)
  end)

  it("runs every kind of step: hierarchy, facets, policies, indexes, typed links", function()
    local dir = acme()
    local kept
    dir:batch(function(b)
      local eng = b:create("/eng", { Department = { name = "Eng" } })
      local ada = b:create(eng, "ada", { Person = { email = "ada@acme" } })
      local bob = b:create(eng, "bob", { Person = { email = "bob@acme" } })
      local rule = b:create("/rule", { Rule = {}, POLICY = { policy_type = "acl", policy_document = "{}" } })
      b:attach_policy(rule, eng)
      b:attach_policy(rule, "/")
      b:detach_policy(rule, "/")
      local idx = b:create_index{ path = "/by_email", facet = "Person", attribute = "email", unique = true }
      b:attach_to_index(idx, ada)
      b:attach_to_index(idx, bob)
      b:detach_from_index(idx, bob)
      local l = b:link(ada, bob, "Manages", { since = 2020, note = "first" })
      b:update_link(l, { note = "updated" })
      b:link(bob, ada, "Manages", { since = 2021 })
      b:unlink(bob, ada, "Manages", { since = 2021 })
      b:add_facet(ada, "Extra", { x = 1 })
      b:remove_facet(ada, "Extra")
      local gone = b:detach(eng, "bob")
      b:unlink(l)
      b:detach_from_index(idx, ada)
      b:delete(gone)
      kept = l
    end)
    local cd = dir.client
    local eng, ada = dir:object("/eng"), dir:object("/eng/ada")
    assert.same({ dir:object("/rule"):id() },
                cd:ListObjectPolicies{ DirectoryArn = dir.arn, ObjectReference = { Selector = eng:ref() } }.AttachedPolicyIds)
    assert.same({}, cd:ListObjectPolicies{ DirectoryArn = dir.arn, ObjectReference = { Selector = "/" } }.AttachedPolicyIds)
    assert.same({}, cd:ListIndex{ DirectoryArn = dir.arn, IndexReference = { Selector = "/by_email" } }.IndexAttachments)
    assert.same({}, outgoing(dir, ada))
    assert.is_false(ada:has("Extra"))
    assert.is_nil(dir:find("/eng/bob"))
    -- the link value gives its committed specifier
    assert.equal(ada:ref(), kept:specifier().SourceObjectReference.Selector)
  end)

  it("keeps typed links, index entries and link attributes that later steps leave alone", function()
    local dir = acme()
    dir:batch(function(b)
      local ada = b:create("/ada", { Person = { email = "ada@acme" } })
      local bob = b:create("/bob", { Person = { email = "bob@acme" } })
      local l = b:link(ada, bob, "Manages", { since = 7 })
      b:update_link(l, { note = "n" })
      local idx = b:create_index{ facet = "Person", attribute = "email" }
      b:attach("/", "idx", idx)
      b:attach_to_index(idx, ada)
    end)
    local ada = dir:object("/ada")
    local links = outgoing(dir, ada)
    assert.equal(1, #links)
    assert.equal(dir:object("/bob"):ref(), links[1].TargetObjectReference.Selector)
    local attrs = dir.client:GetLinkAttributes{ DirectoryArn = dir.arn, TypedLinkSpecifier = links[1],
                                                AttributeNames = { "note" } }.Attributes
    assert.same({ StringValue = "n" }, attrs[1].Value)
    local hits = dir.client:ListIndex{ DirectoryArn = dir.arn, IndexReference = { Selector = "/idx" } }.IndexAttachments
    assert.equal(ada:id(), hits[1].ObjectIdentifier)
    -- Link handles of the idiomatic API, and indexes under a placeholder parent
    local l = ada:link_to(dir:object("/bob"), "Manages", { since = 8 })
    dir:batch(function(b)
      b:update_link(l, { note = "z" })
      b:unlink(l)
      local f = b:create("/ix", { Department = { name = "Indexes" } })
      b:create_index{ parent = f, name = "by_email", facet = "Person", attribute = "email" }
    end)
    assert.equal(1, #outgoing(dir, ada))
    assert.is_not_nil(dir:find("/ix/by_email"))
  end)

  it("writes nothing when any step fails, at every position of a mixed batch", function()
    local dir, path = acme()
    local root_before = F.dump(path)
    -- Steps of one batch; fail(b) is inserted before step k (or at the end).
    local steps = {
      function(b, s) s.eng = b:create("/eng", { Department = { name = "Eng" } }) end,
      function(b, s) s.ada = b:create(s.eng, "ada", { Person = { email = "ada@acme" } }) end,
      function(b, s) s.bob = b:create(nil, { Person = { email = "bob@acme" } }) end,
      function(b, s) b:attach(s.eng, "bob", s.bob) end,
      function(b, s) b:update(s.ada, { Person = { age = 3 } }) end,
      function(b, s) b:link(s.ada, s.bob, "Manages", { since = 1 }) end,
      function(b, s) s.idx = b:create_index{ path = "/ix", facet = "Person", attribute = "email" } end,
      function(b, s) b:attach_to_index(s.idx, s.ada) end,
      function(b, s) s.rule = b:create("/r", { Rule = { policy_type = "acl", policy_document = "{}" } }) end,
      function(b, s) b:attach_policy(s.rule, s.eng) end,
      function(b, s) b:add_facet(s.bob, "Extra", { k = "v" }) end,
    }
    local fail = function(b) b:create("/eng", { Department = { name = "Again" } }) end  -- link in use
    for k = 1, #steps + 1 do
      local e = error_of(dir.batch, dir, function(b)
        local s = {}
        for i = 1, k - 1 do steps[i](b, s) end
        if k == 1 then b:create("/eng", { Department = { name = "" } }) end   -- breaks a rule
        if k > 1 then fail(b) end
        for i = k, #steps do steps[i](b, s) end
      end)
      assert.equal("BatchWriteException", e.code, tostring(e))
      assert.equal(k - 1, e.index, tostring(e))
      assert.equal(k == 1 and "FacetValidationException" or "LinkNameAlreadyInUseException", e.type)
      assert.equal(root_before, F.dump(path), "step " .. k .. " left something behind")
    end
    -- and the same batch without the failing step goes through
    dir:batch(function(b) local s = {} for i = 1, #steps do steps[i](b, s) end end)
    assert.equal("v", dir:object("/eng/bob").Extra.k)
  end)

  it("raises BatchWriteException with the engine's index and type and the Lua step", function()
    local dir, path = acme()
    local before = F.dump(path)
    local line
    local e = error_of(dir.batch, dir, function(b)
      b:create("/a", { Department = { name = "A" } })
      b:create("/b", { Department = { name = "B" } })
      line = this_line() + 1
      b:attach("/a", "x", "/nowhere")
      b:create("/c", { Department = { name = "C" } })
    end)
    assert.is_true(clouddir.is_error(e))
    assert.equal("BatchWriteException", e.code)
    assert.equal(2, e.index)
    assert.equal("ResourceNotFoundException", e.type)
    assert.equal(3, e.step)
    assert.equal("attach", e.method)
    assert.equal("spec/batch_api_spec.lua:" .. line, e.where)
    assert.matches("Operation 2 ResourceNotFoundException: AttachObject", e.message, 1, true)
    assert.matches("(batch step 3: b:attach at spec/batch_api_spec.lua:" .. line .. ")", e.message, 1, true)
    assert.equal(before, F.dump(path))
  end)

  it("reports a placeholder of a failed step as a missing reference in later steps", function()
    local dir, path = acme()
    local before = F.dump(path)
    local e = error_of(dir.batch, dir, function(b)
      local a = b:create("/a", { Department = { name = "A" } })
      b:delete(a)                                 -- still attached: the step fails
    end)
    assert.equal(1, e.index)
    assert.equal("ObjectNotDetachedException", e.type)
    assert.equal(before, F.dump(path))
  end)

  it("writes nothing and re-raises when the function raises", function()
    local dir, path = acme()
    local before = F.dump(path)
    local ok, e = pcall(dir.batch, dir, function(b)
      b:create("/a", { Department = { name = "A" } })
      error("changed my mind")
    end)
    assert.is_false(ok)
    assert.matches("changed my mind", e)
    -- and errors raised while recording (an unknown facet) leave nothing either
    e = error_of(dir.batch, dir, function(b)
      b:create("/a", { Department = { name = "A" } })
      b:create("/b", { Nope = {} })
    end)
    assert.equal("FacetValidationException", e.code)
    assert.equal(before, F.dump(path))
  end)

  it("passes extra arguments to the function and commits an empty batch", function()
    local dir, path = acme()
    local before = F.dump(path)
    assert.same({ 1, 2 }, { dir:batch(function(_, x, y) return x, y end, 1, 2) })
    assert.equal(before, F.dump(path))
  end)

  it("applies the service's limits unless the store lifts them", function()
    local dir, path = acme()
    local before = F.dump(path)
    local e = error_of(dir.batch, dir, function(b)
      for i = 1, 21 do b:create("/d" .. i, { Department = { name = "D" } }) end
    end)
    assert.equal("LimitExceededException", e.code)
    assert.equal(before, F.dump(path))
  end)

  it("loads 10,000 steps in one batch under limits = \"none\"", function()
    local dir = acme{ limits = "none" }
    local n = 0
    local top = dir:batch(function(b)
      local top = b:create("/people", { Department = { name = "People" } })
      for i = 1, 5000 do
        local p = b:create(top, "p" .. i, { Person = { email = i .. "@acme", age = i } })
        if i % 2 == 0 then b:update(p, { Person = { active = true } }) else b:attach("/", "p" .. i, p) end
      end
      n = #b
      return top
    end)
    assert.equal(10001, n)
    local count = 0
    for _ in top:children({ page_size = 1000 }) do count = count + 1 end
    assert.equal(5000, count)
    assert.same({ email = "4242@acme", age = 4242, active = true }, dir:get("/people/p4242", "Person"))
    assert.equal(dir:object("/p4241"), dir:object("/people/p4241"))
  end)
end)

describe("dir:begin_batch", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  it("commits explicitly, and its placeholders become the objects", function()
    local dir = acme()
    local b <close> = dir:begin_batch()
    local eng = b:create("/eng", { Department = { name = "Eng", budget = 10 } })
    assert.equal(1, #b)
    local responses = b:commit()
    assert.is_string(responses[1].CreateObject.ObjectIdentifier)
    assert.equal(responses[1].CreateObject.ObjectIdentifier, eng:id())
    assert.equal(10, eng.Department.budget)
    eng:update{ Department = { budget = 11 } }             -- methods forward to the object
    assert.equal(11, dir:object("/eng").Department.budget)
    assert.is_true(eng == dir:object("/eng"))            -- (the placeholder on the left)
    assert.equal("clouddir.Object " .. eng:ref(), tostring(eng))
    assert.equal("Eng", dir:get(eng, "Department").name)  -- and it stands where a reference does
  end)

  it("writes nothing when its scope ends without commit", function()
    local dir, path = acme()
    local before = F.dump(path)
    local eng
    do
      local b <close> = dir:begin_batch()
      eng = b:create("/eng", { Department = { name = "Eng" } })
    end
    assert.equal(before, F.dump(path))
    assert.is_nil(dir:find("/eng"))
    assert.matches("was abandoned", error_of(function() return eng:id() end))
    -- also when the scope ends with an error
    local ok = pcall(function()
      local b <close> = dir:begin_batch()
      b:create("/eng", { Department = { name = "Eng" } })
      error("boom")
    end)
    assert.is_false(ok)
    assert.equal(before, F.dump(path))
  end)

  it("refuses a second commit, steps after commit or abort, and early use of placeholders", function()
    local dir = acme()
    local b = dir:begin_batch()
    local eng = b:create("/eng", { Department = { name = "Eng" } })
    assert.matches("not committed yet", error_of(function() return eng:id() end))
    assert.matches("not committed yet", error_of(dir.get, dir, eng))
    local other = dir:begin_batch()
    assert.matches("not committed yet", error_of(other.attach, other, "/", "x", eng))
    other:abort()
    b:commit()
    assert.matches("commit: this batch was committed", error_of(b.commit, b))
    assert.matches("create: this batch was committed",
                   error_of(b.create, b, "/x", { Department = { name = "X" } }))
    assert.matches("abort: this batch was committed", error_of(b.abort, b))
    assert.matches("calling 'create' on bad self", error_of(b.create, {}, "/x", {}))
    -- a committed placeholder is an ordinary reference in a later batch
    dir:batch(function(b2) b2:create(eng, "sub", { Department = { name = "Sub" } }) end)
    assert.equal("Sub", dir:object("/eng/sub").Department.name)
    -- a failed batch's placeholders cannot be used
    local b3 = dir:begin_batch()
    local x = b3:create("/eng", { Department = { name = "Dup" } })
    assert.equal("BatchWriteException", error_of(b3.commit, b3).code)
    assert.matches("failed", error_of(function() return x:id() end))
    assert.matches("commit: this batch failed", error_of(b3.commit, b3))
  end)
end)

describe("dir:read_batch", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  it("reads in one snapshot, each step succeeding or failing on its own", function()
    local dir = acme()
    local ada = dir:create("/ada", { Person = { email = "ada@acme", age = 3 } })
    local r = dir:read_batch(function(r)
      r:get(ada, "Person")
      r:object("/nowhere")
      r:children("/")
      r:get("/ada")
      r:read{ GetObjectInformation = { ObjectReference = { Selector = "/ada" } } }
    end)
    assert.same({ email = "ada@acme", age = 3 }, r[1])
    assert.is_true(clouddir.is_error(r[2]))
    assert.equal("ResourceNotFoundException", r[2].code)
    assert.equal(ada, r[3].ada)
    assert.same({ Person = { email = "ada@acme", age = 3 } }, r[4])
    assert.equal(ada:id(), r[5].ObjectIdentifier)
  end)

  it("gives r:get every value, reading the pages after the batch's largest one", function()
    local dir = acme()                          -- limits = "aws": pages of at most 30
    local ada = dir:create("/ada", { Person = { email = "ada@acme", age = 3 }, Extra = many(40) })
    local bob = dir:create("/bob", { Person = { email = "bob@acme" }, Extra = many(12) })
    local lists = 0
    spy_client(dir, function(op) if op == "ListObjectAttributes" then lists = lists + 1 end end)
    local r = dir:read_batch(function(r)
      r:get(ada)
      r:get(ada, "Extra")
      r:get(bob)
      r:get("/nowhere")
    end, { page_size = 5 })                     -- page_size is r:children's, not r:get's
    assert.equal(2, lists)                      -- only ada's two reads had a second page
    assert.same(ada:get(), r[1])
    assert.same({ Person = { email = "ada@acme", age = 3 }, Extra = many(40) }, r[1])
    assert.same(many(40), r[2])
    assert.same({ Person = { email = "bob@acme" }, Extra = many(12) }, r[3])
    assert.equal("ResourceNotFoundException", r[4].code)
    -- without the service's limits one page holds everything
    dir = acme{ limits = "none" }
    local big = dir:create("/big", { Extra = many(99) })
    lists = 0
    spy_client(dir, function(op) if op == "ListObjectAttributes" then lists = lists + 1 end end)
    r = dir:read_batch(function(r) r:get(big) end)
    assert.equal(0, lists)
    assert.same({ Extra = many(99) }, r[1])
  end)

  it("makes a step of r:get whose later page fails an error value", function()
    local dir = acme()
    local ada = dir:create("/ada", { Person = { email = "ada@acme" }, Extra = many(40) })
    dir:create("/bob", { Person = { email = "bob@acme" } })
    spy_client(dir, function(op, _, real)
      if op == "ListObjectAttributes" then     -- disabled between the batch and its next page
        real:DisableDirectory{ DirectoryArn = dir.arn }
      end
    end)
    local r = dir:read_batch(function(r)
      r:get(ada)
      r:get("/bob", "Person")
    end)
    assert.is_true(clouddir.is_error(r[1]))
    assert.equal("DirectoryNotEnabledException", r[1].code)
    assert.same({ email = "bob@acme" }, r[2])
  end)

  it("keys r:get's facets as obj:get does when two schemas share a facet name", function()
    local dir, _, store = acme()
    dir:apply(store:schema("hr", { facets = { Person = { type = "LEAF_NODE", attributes = {
      email = { type = "STRING" }, title = { type = "STRING" } } } } }):publish("1"))
    local ada = dir:create("/ada", { ["org/Person"] = { email = "ada@acme" },
                                     ["hr/Person"] = { email = "ada@hr", title = "CTO" },
                                     Extra = { x = 1 } })
    local bob = dir:create("/bob", { ["hr/Person"] = { title = "Dev" } })
    local r = dir:read_batch(function(r)
      r:get(ada)
      r:get(ada, "hr/Person")
      r:get(ada, "org/Person")
      r:get(ada, "Person")                      -- a bare name two schemas have
      r:get(bob)
      r:get(bob, "Person")
    end)
    assert.same({ ["org/Person"] = { email = "ada@acme" }, ["hr/Person"] = { email = "ada@hr", title = "CTO" },
                  Extra = { x = 1 } }, ada:get())
    assert.same(ada:get(), r[1])
    assert.same(ada:get("hr/Person"), r[2])
    assert.same(ada:get("org/Person"), r[3])
    assert.same(ada:get("Person"), r[4])
    assert.same(bob:get(), r[5])
    assert.same(bob:get("Person"), r[6])
  end)

  it("gives nil for a facet the object does not carry, as obj:get does", function()
    local dir = acme()
    local ada = dir:create("/ada", { Person = { email = "ada@acme" }, Extra = {} })
    local r = dir:read_batch(function(r)
      r:get(ada, "Department")
      r:get(ada, "Extra")                       -- carried, without values
      r:get(ada, "Nope")                        -- no schema has it
      r:object(ada)
    end)
    assert.equal(4, r.n)
    assert.is_nil(ada:get("Department"))
    assert.is_nil(r[1])
    assert.same({}, r[2])
    assert.same(ada:get("Extra"), r[2])
    assert.is_nil(ada:get("Nope"))
    assert.is_nil(r[3])
    assert.equal(ada, r[4])
  end)
end)

describe("misuse of batches", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  it("is a plain error at the caller's line", function()
    local dir = acme()
    local b = dir:begin_batch()
    local eng = b:create("/eng", { Department = { name = "Eng" } })
    local l = b:link(b:create("/a", { Person = { email = "a" } }), eng, "Manages", { since = 1 })
    -- placeholders used before their batch commits
    assert.matches("not committed yet", misuse_at(this_line(), function() local _ = eng:id() end))
    assert.matches("not committed yet", misuse_at(this_line(), function() dir:get(eng) end))
    assert.matches("not committed yet", misuse_at(this_line(), function() dir:object(eng) end))
    assert.matches("not committed yet",
                   misuse_at(this_line(), function() dir:create(eng, "x", { Department = { name = "X" } }) end))
    local other = dir:begin_batch()
    assert.matches("not committed yet", misuse_at(this_line(), function() other:attach("/", "x", eng) end))
    assert.matches("not committed yet", misuse_at(this_line(), function() l:specifier() end))
    assert.matches("calling 'specifier' on bad self", misuse_at(this_line(), function() l.specifier(nil) end))
    assert.matches("read%-only", misuse_at(this_line(), function() eng.x = 1 end))
    -- steps after commit or abort
    other:abort()
    assert.matches("abort: this batch was abandoned", misuse_at(this_line(), function() other:abort() end))
    b:commit()
    assert.matches("commit: this batch was committed", misuse_at(this_line(), function() b:commit() end))
    assert.matches("create: this batch was committed",
                   misuse_at(this_line(), function() b:create("/x", { Department = { name = "X" } }) end))
    -- wrong self
    assert.matches("calling 'create' on bad self", misuse_at(this_line(), function() b.create({}, "/x", {}) end))
    assert.matches("dir:batch", misuse_at(this_line(), function() dir.batch(nil, function() end) end))
    assert.matches("dir:begin_batch", misuse_at(this_line(), function() dir.begin_batch(nil) end))
    assert.matches("dir:read_batch", misuse_at(this_line(), function() dir.read_batch(nil, function() end) end))
    -- a reader used after its batch ran
    local saved
    dir:read_batch(function(r) saved = r end)
    assert.matches("r:get: this read batch has already run", misuse_at(this_line(), function() saved:get("/") end))
    -- argument errors too
    assert.matches("bad argument #1 to 'read_batch'", misuse_at(this_line(), function() dir:read_batch(7) end))
    assert.matches("unknown option 'page'",
                   misuse_at(this_line(), function() dir:read_batch(function() end, { page = 1 }) end))
  end)

  it("names a bad self in reader methods and b:size", function()
    local dir = acme()
    local B = getmetatable(dir:begin_batch())
    assert.matches("calling 'size' on bad self", misuse_at(this_line(), function() B.size(nil) end))
    assert.matches("calling 'size' on bad self", misuse_at(this_line(), function() B.size({}) end))
    dir:create("/ada", { Person = { email = "ada@acme" } })
    for _, m in ipairs{ "get", "object", "children", "read" } do
      local line
      dir:read_batch(function(r)
        line = this_line() + 1
        local e = misuse_at(line, function() r[m](dir, "/ada") end)
        assert.matches("calling '" .. m .. "' on bad self %(clouddir.BatchReader expected; use r:" .. m, e)
      end)
    end
  end)
end)

describe("examples/bulk_load.lua", function()
  local function run(cmd)
    local p = assert(io.popen(cmd .. " 2>&1"))
    local out = p:read("a")
    local ok = p:close()
    return ok, out
  end

  it("loads a small org chart in one batch under lua5.4 and checks its lookups", function()
    local env = ("LUA_PATH=%q LUA_CPATH=%q"):format(package.path, package.cpath)
    local ok, out = run(env .. " lua5.4 examples/bulk_load.lua 300")
    local store = out:match("a new store in (%S+);")
    if store and store:match("^/tmp/") then os.execute("rm -rf '" .. store .. "'") end
    assert.is_true(ok, out)
    assert.matches("recorded 911 steps %(312 objects%)", out)
    assert.matches("objects/s", out)
    assert.matches("p300 .* reports to .*%(38%)", out)
    assert.matches("lookups ok", out)
  end)

  it("loads the same org chart with dir:loader when asked, in batches of 10,000", function()
    local env = ("LUA_PATH=%q LUA_CPATH=%q"):format(package.path, package.cpath)
    local ok, out = run(env .. " lua5.4 examples/bulk_load.lua 4000 loader")
    local store = out:match("a new store in (%S+);")
    if store and store:match("^/tmp/") then os.execute("rm -rf '" .. store .. "'") end
    assert.is_true(ok, out)
    -- 4,000 people: a CreateObject and an AttachToIndex each, a ReportsTo link for all but one
    assert.matches("loaded 11999 operations %(4012 objects%) with dir:loader", out)
    assert.matches("p4000 .* reports to .*%(500%)", out)
    assert.matches("lookups ok", out)
  end)

  it("runs under the clouddir binary, which must lift the limits", function()
    local bin = os.getenv("CLOUDDIR_BIN")
    if not bin then
      pending("CLOUDDIR_BIN is not set (spec/run_tests.sh sets it)")
      return
    end
    local path = helper.tmpdir()
    local ok, out = run(("%q --no-sync --limits none %q examples/bulk_load.lua 200"):format(bin, path))
    assert.is_true(ok, out)
    assert.matches("lookups ok", out)
    ok, out = run(("%q %q examples/bulk_load.lua 20"):format(bin, path))
    assert.is_falsy(ok)
    assert.matches("limits = \"none\"", out, 1, true)
  end)
end)
