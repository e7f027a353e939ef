-- loader_spec.lua — the bulk loader (dir:loader, store:loader; csrc/lua_loader.c): rows
-- built into CreateObject operations in C, batches written on a worker thread, each batch
-- atomic, failures reported with their step, misuse, and calls made while a batch is in
-- flight.
local clouddir = require "clouddir"
local helper = require "spec.helper"

local ORG = {
  facets = {
    Folder = { type = "NODE" },
    Person = { type = "LEAF_NODE", attributes = {
      email = { type = "STRING", required = true },
      age = { type = "NUMBER" },
      active = { type = "BOOLEAN" },
      born = { type = "DATETIME" },
      photo = { type = "BINARY" } } },
    Badge = { type = "LEAF_NODE", attributes = { serial = { type = "NUMBER" } } },
  },
}

-- A fresh store with schema org published and applied to directory "acme", and /people.
local function acme(opts)
  local o = { sync = false, limits = "none" }
  for k, v in pairs(opts or {}) do o[k] = v end
  local store = helper.store(o)
  local dir = store:create_directory("acme", store:schema("org", ORG):publish("1"))
  dir:create("/people", { Folder = {} })
  return dir, store
end

local function children(dir, path)
  local names, token = {}, nil
  repeat
    local r = dir.client:ListObjectChildren{ DirectoryArn = dir.arn,
      ObjectReference = { Selector = path }, NextToken = token, MaxResults = 30 }
    for name in pairs(r.Children) do names[#names + 1] = name end
    token = r.NextToken
  until not token
  table.sort(names)
  return names
end

local function error_of(...) return assert(helper.error_of(...), "expected an error") end

describe("dir:loader", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  it("writes every row, in batches, and hands each batch's ids to on_commit", function()
    local dir = acme()
    local commits = {}
    local load <close> = dir:loader{ batch = 4, on_commit = function(first, ids)
      commits[#commits + 1] = { first = first, ids = ids }
    end }
    for i = 1, 10 do
      local step = load:create("/people", "p" .. i, { Person = { email = "p" .. i .. "@x", age = i } })
      assert.equal(i, step)
    end
    assert.equal(10, load:finish())
    assert.equal(3, #commits)
    assert.same({ 1, 5, 9 }, { commits[1].first, commits[2].first, commits[3].first })
    assert.same({ 4, 4, 2 }, { #commits[1].ids, #commits[2].ids, #commits[3].ids })
    -- the ids are the objects' identifiers, in row order
    local p6 = dir:object("/people/p6")
    assert.equal(commits[2].ids[2], p6:id())
    assert.equal("p6@x", p6.Person.email)
    assert.equal(6, p6.Person.age)
    assert.equal(10, #children(dir, "/people"))
  end)

  it("converts values by the declared type, like dir:batch", function()
    local dir = acme()
    local load <close> = dir:loader()
    load:create("/people", "ada", { Person = { email = "ada@x", age = "36.5", active = true,
      born = 1000000, photo = "\0\1\2" }, Badge = { serial = 7 } })
    load:create("/people", "bob", { Person = { email = "bob@x", age = clouddir.NULL } })
    load:create({ Person = { email = "loose@x" } })   -- an object outside the tree
    assert.equal(3, load:finish())
    local ada = dir:object("/people/ada")
    assert.equal(36.5, ada.Person.age)
    assert.is_true(ada.Person.active)
    assert.equal(1000000, ada.Person.born)
    assert.equal("\0\1\2", ada.Person.photo)
    assert.equal(7, ada.Badge.serial)
    assert.is_nil(dir:object("/people/bob").Person.age)
    assert.same({ "ada", "bob" }, children(dir, "/people"))
  end)

  it("takes object handles and ids as parents", function()
    local dir = acme()
    local people = dir:object("/people")
    local load <close> = dir:loader()
    load:create(people, "a", { Person = { email = "a@x" } })
    load:create("$" .. people:id(), "b", { Person = { email = "b@x" } })
    load:finish()
    assert.same({ "a", "b" }, children(dir, "/people"))
  end)

  it("keeps the batches before a failure, writes nothing of the failing one, and names the step", function()
    local dir = acme()
    local load = dir:loader{ batch = 3 }
    for i = 1, 4 do load:create("/people", "p" .. i, { Person = { email = "e" } }) end
    load:create("/people", "p2", { Person = { email = "dup" } })       -- step 5, batch 2
    load:create("/people", "p6", { Person = { email = "e" } })
    local e = error_of(load.finish, load)
    assert.equal("BatchWriteException", e.code)
    assert.equal("LinkNameAlreadyInUseException", e.type)
    assert.equal(1, e.index)       -- its place in its BatchWrite, 0-based
    assert.equal(5, e.step)        -- its place among all the loader's operations
    assert.equal(2, e.batch)
    assert.same({ "p1", "p2", "p3" }, children(dir, "/people"))   -- p4 and p6 never written
    -- the loader is failed: every later call raises the same error
    local again = error_of(load.create, load, "/people", "p9", { Person = { email = "e" } })
    assert.equal(e, again)
    assert.equal(e, error_of(load.finish, load))
    load:close()
  end)

  it("raises a failure when it finds it: when the next batch is sent, or at finish", function()
    local dir = acme()
    local load <close> = dir:loader{ batch = 2 }
    load:create("/people", "a", { Person = { email = "e" } })
    load:create("/people", "a", { Person = { email = "e" } })   -- batch 1 is full
    load:create("/people", "b", { Person = { email = "e" } })   -- batch 1 is sent here
    load:create("/people", "c", { Person = { email = "e" } })
    -- batch 2 is full: sending it waits for batch 1 first, and finds the failure
    local e = error_of(load.create, load, "/people", "d", { Person = { email = "e" } })
    assert.equal("BatchWriteException", e.code)
    assert.equal(2, e.step)
    assert.equal(1, e.batch)
    assert.same({}, children(dir, "/people"))
  end)

  it("fails with an error of on_commit, and sends nothing more", function()
    local dir = acme()
    local load <close> = dir:loader{ batch = 2, on_commit = function(first)
      if first == 3 then error("stop here") end
    end }
    local failed_at
    for i = 1, 8 do
      local ok, e = pcall(load.create, load, "/people", "p" .. i, { Person = { email = "e" } })
      if not ok then
        assert.matches("stop here", tostring(e))
        failed_at = i
        break
      end
    end
    -- batch 2 (rows 3 and 4) is reported when row 7 finds batch 3 full and must send it
    assert.equal(7, failed_at)
    assert.matches("stop here", tostring(error_of(load.finish, load)))
    assert.same({ "p1", "p2", "p3", "p4" }, children(dir, "/people"))   -- batch 3 never went
  end)

  it("refuses to be used or closed from its own callbacks", function()
    local dir = acme()
    local load
    load = dir:loader{ batch = 1, on_commit = function()
      local e = error_of(load.create, load, "/people", "x", { Person = { email = "e" } })
      assert.equal("StoreError", e.code)
      assert.matches("own callbacks", e.message)
      e = error_of(load.close, load)
      assert.matches("own callbacks", e.message)
    end }
    load:create("/people", "a", { Person = { email = "e" } })
    load:create("/people", "b", { Person = { email = "e" } })
    assert.equal(2, load:finish())
    -- a parent whose __selector closes the loader
    local sneaky = setmetatable({}, { __selector = function() load:close(); return "/people" end })
    local load2 = dir:loader()
    load = load2
    local e = error_of(load2.create, load2, sneaky, "c", { Person = { email = "e" } })
    assert.matches("own callbacks", e.message)
    load2:close()
    assert.same({ "a", "b" }, children(dir, "/people"))
  end)

  it("reports an unknown facet at once and an unknown attribute when its batch runs", function()
    local dir = acme()
    local load <close> = dir:loader()
    local e = error_of(load.create, load, "/people", "x", { Nope = { a = 1 } })
    assert.equal("FacetValidationException", e.code)
    load:create("/people", "y", { Person = { email = "e", shoe = 42 } })
    e = error_of(load.finish, load)
    assert.equal("BatchWriteException", e.code)
    assert.equal("FacetValidationException", e.type)
    assert.equal(1, e.step)
  end)

  it("takes AWS-shaped BatchWrite operations with add, references included", function()
    local dir = acme()
    local load <close> = dir:loader()
    local sf = { { SchemaArn = dir:schema("org").arn, FacetName = "Folder" } }
    load:add{ CreateObject = { SchemaFacet = sf, ObjectAttributeList = {}, BatchReferenceName = "t" } }
    load:add{ AttachObject = { ParentReference = { Selector = "/" }, ChildReference = { Selector = "#t" },
                               LinkName = "teams" } }
    load:create("/teams", "red", { Folder = {} })
    assert.equal(3, load:finish())
    assert.same({ "red" }, children(dir, "/teams"))
  end)

  it("names the step of an operation the request check refuses", function()
    local dir = acme()
    local load <close> = dir:loader{ batch = 3 }
    load:create("/people", "a", { Person = { email = "e" } })
    load:add{ AttachObject = { ParentReference = "/people", ChildReference = { Selector = "/people/a" },
                               LinkName = "again" } }   -- ParentReference must be a structure
    local e = error_of(load.finish, load)
    assert.equal("ValidationException", e.code)
    assert.matches("Operations%[1%]", e.message)
    assert.equal(2, e.step)
    assert.equal(1, e.batch)
    assert.same({}, children(dir, "/people"))
  end)

  it("abandons the rows it has not sent when closed without finish", function()
    local dir = acme()
    do
      local load <close> = dir:loader{ batch = 100 }
      for i = 1, 5 do load:create("/people", "p" .. i, { Person = { email = "e" } }) end
    end
    assert.same({}, children(dir, "/people"))
    local load = dir:loader{ batch = 2 }
    for i = 1, 5 do load:create("/people", "p" .. i, { Person = { email = "e" } }) end
    load:close()   -- batches 1 and 2 were sent (the second completes), row 5 was not
    assert.same({ "p1", "p2", "p3", "p4" }, children(dir, "/people"))
    local e = error_of(load.create, load, "/people", "p9", { Person = { email = "e" } })
    assert.equal("StoreError", e.code)
    assert.matches("closed", e.message)
  end)

  it("lets other calls on the store run while a batch is in flight", function()
    local dir = acme()
    local reads = 0
    local load <close> = dir:loader{ batch = 50, on_commit = function(first, ids)
      -- a read from inside the callback, and of the batch just written
      assert.equal(ids[1], dir:object("$" .. ids[1]):id())
      reads = reads + 1
    end }
    dir:create("/people/first", { Person = { email = "first" } })
    for i = 1, 500 do
      load:create("/people", string.format("p%03d", i), { Person = { email = "e" .. i } })
      if i % 60 == 0 then   -- a batch is usually in flight now: these wait their turn
        assert.equal("first", dir:object("/people/first").Person.email)
        dir:create("/side" .. i, { Folder = {} })
      end
    end
    assert.equal(500, load:finish())
    assert.equal(10, reads)
    assert.equal(501, #children(dir, "/people"))
    assert.equal("e500", dir:object("/people/p500").Person.email)
  end)

  it("applies the store's limits to each batch", function()
    local dir = acme{ limits = "aws" }
    local load <close> = dir:loader{ batch = 21 }
    for i = 1, 21 do load:create("/people", "p" .. i, { Person = { email = "e" } }) end
    local e = error_of(load.finish, load)
    assert.equal("LimitExceededException", e.code)
    assert.equal(1, e.batch)
    assert.same({}, children(dir, "/people"))
  end)

  it("refuses misuse with clear errors", function()
    local dir, store = acme()
    local load = dir:loader()
    assert.equal("ValidationException", error_of(load.create, load, "/people", "x", "nope").code)
    assert.equal("ValidationException", error_of(load.create, load, 42, "x", { Person = {} }).code)
    assert.equal("ValidationException", error_of(load.create, load, "/people", 7, { Person = {} }).code)
    assert.equal("ValidationException",
                 error_of(load.create, load, "/people", "x", { Person = "e" }).code)
    assert.equal("ValidationException",
                 error_of(load.create, load, "/people", "x", { Person = { age = print } }).code)
    assert.equal(0, load:finish())
    local e = error_of(load.create, load, "/people", "x", { Person = { email = "e" } })
    assert.equal("StoreError", e.code)
    assert.matches("finished", e.message)
    assert.equal("ValidationException", error_of(dir.loader, dir, { batch = 0 }).code)
    assert.equal("ValidationException", error_of(dir.loader, dir, { on_commit = 1 }).code)
    -- an unknown option key, or options that are no table, are plain errors at this line
    local line = debug.getinfo(1, "l").currentline + 1
    e = error_of(function() dir:loader{ bach = 5 } end)
    assert.equal("spec/loader_spec.lua:" .. line .. ": bad argument #1 to 'loader' (unknown option 'bach')", e)
    assert.matches("^spec/loader_spec.lua:%d+: bad argument #1 to 'loader' %(options table expected",
                   error_of(function() dir:loader(10) end))
    assert.matches("^spec/loader_spec.lua:%d+: bad argument #0 to 'loader' %(a directory expected",
                   error_of(function() dir.loader(nil) end))
    -- the core loader has no facet catalog: create needs describe
    local raw = store:loader(dir.arn)
    e = error_of(raw.create, raw, "/people", "x", { Person = { email = "e" } })
    assert.equal("ValidationException", e.code)
    assert.matches("describe", e.message)
    raw:close()
    -- a closed store
    local load2 = dir:loader()
    store:close()
    assert.equal("StoreError", error_of(load2.create, load2, "/people", "x", { Person = {} }).code)
    load2:close()
  end)
end)
