-- api_spec.lua — the idiomatic Lua API (lua/clouddir/api.lua and the handles it builds):
-- schemas declared as tables, directories, objects, values, iterators, error values.
local clouddir = require "clouddir"
local helper = require "spec.helper"

-- A new store in a fresh folder (no sync: the specs need no durability).  helper.cleanup
-- closes it and removes the folder after each test.
local function fresh_store(opts)
  local o = { sync = false }
  for k, v in pairs(opts or {}) do o[k] = v end
  return (helper.store(o))
end

-- The error value fn raises (fails when it raises nothing, or not an error value).
local function error_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error")
  assert(clouddir.is_error(e), "expected an error value, got " .. tostring(e))
  return e
end

local function code_of(fn, ...) return error_of(fn, ...).code end

-- Runs fn; marks the test pending (and returns false) when the engine raises
-- NotImplementedException.
local function implemented(fn, ...)
  local ok, e = pcall(fn, ...)
  if ok then return true, e end
  if clouddir.is_error(e) and e.code == "NotImplementedException" then
    pending(e.message)
    return false
  end
  error(e, 0)
end

-- Replaces dir's client with one that counts calls per operation; returns the counts.
local function count_calls(handle)
  local real, counts = handle.client, {}
  local proxy = {}
  function proxy.call(_, op, req)
    counts[op] = (counts[op] or 0) + 1
    return real:call(op, req)
  end
  setmetatable(proxy, { __index = function(_, op)
    return function(self, req) return self:call(op, req) end
  end })
  handle.client = proxy
  return counts
end

local ORG = {
  facets = {
    Department = { type = "NODE", attributes = {
      name = { type = "STRING", required = true,
               rules = { len = { "STRING_LENGTH", min = 1, max = 64 } } },
      budget = { type = "NUMBER", default = 0 },
      code = { type = "STRING" },
    } },
    Person = { type = "LEAF_NODE", attributes = {
      email = { type = "STRING", required = true, immutable = true },
      name = { type = "STRING" },
      photo = { type = "BINARY" },
      hired = { type = "DATETIME" },
      active = { type = "BOOLEAN" },
      salary = { type = "NUMBER" },
    } },
    Badge = { type = "LEAF_NODE", attributes = { serial = { type = "STRING" } } },
    Bag = { type = "LEAF_NODE", style = "DYNAMIC" },
  },
}

-- A store with schema org published as "1" and directory "acme" using it.
local function acme(opts)
  local store = fresh_store(opts)
  local org = store:schema("org", ORG)
  local pub = org:publish("1")
  local dir = store:create_directory("acme", pub)
  return store, dir, org, pub
end

describe("clouddir.api", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  describe("module", function()
    it("is merged into clouddir and the store", function()
      assert.is_table(clouddir.api)
      local store = fresh_store()
      for _, m in ipairs{ "schema", "create_schema", "schemas", "create_directory", "directory",
                          "directories" } do
        assert.is_function(store[m], m)
      end
      assert.equal("clouddir.NULL", tostring(clouddir.NULL))
      assert.is_function(clouddir.binary)
      assert.is_function(clouddir.datetime)
      assert.is_function(clouddir.number)
      assert.is_function(clouddir.normalize_schema)
      store:close()
    end)

    it("raises its own errors as the client's error values", function()
      local store, dir = acme()
      local e = error_of(dir.create, dir, "/x", { Nope = {} })
      assert.equal("FacetValidationException", e.code)
      assert.equal(clouddir.error_mt, getmetatable(e))
      assert.equal("FacetValidationException: " .. e.message, tostring(e))
      store:close()
    end)
  end)

  describe("schemas", function()
    local FULL = {
      facets = {
        Thing = { type = "NODE", attributes = {
          s = { type = "STRING", default = "none", rules = {
            len = { "STRING_LENGTH", min = 1, max = 20 },
            set = { "STRING_FROM_SET", allowedValues = { "none", "a,b", "c" } } } },
          n = { type = "NUMBER", default = "1.50",
                rules = { range = { "NUMBER_COMPARISON", min = -10, max = 10.5 } } },
          b = { type = "BINARY", default = "\0\1", rules = { size = { "BINARY_LENGTH", max = 16 } } },
          t = { type = "BOOLEAN", default = false, immutable = true },
          d = { type = "DATETIME", default = 1700000000, required = true },
          alias = { ref = { facet = "Other", attribute = "x" } },
        } },
        Other = { type = "LEAF_NODE", attributes = { x = { type = "STRING" } } },
        Free = { type = "NODE", style = "DYNAMIC" },
      },
      typed_links = {
        Manages = { attributes = { since = { type = "DATETIME", required = true },
                                   role = { type = "STRING", required = true },
                                   note = { type = "STRING" } },
                    identity = { "role", "since" } },
      },
    }

    it("declares a development schema and reads it back the same way", function()
      local store = fresh_store()
      local s = store:schema("full", FULL)
      assert.equal("development", s.state)
      assert.equal("full", s.name)
      assert.matches(":schema/development/full$", s.arn)
      assert.same(clouddir.normalize_schema(FULL), s:definition())
      store:close()
    end)

    it("normalizes shorthands into the canonical form", function()
      local n = clouddir.normalize_schema{ facets = { F = { type = "NODE", style = "STATIC",
        attributes = { a = "STRING", b = { type = "NUMBER", required = false, immutable = false,
          rules = { r = { type = "NUMBER_COMPARISON", min = "1", max = 2 } } } } } } }
      assert.same({ facets = { F = { type = "NODE", attributes = {
        a = { type = "STRING" },
        b = { type = "NUMBER", rules = { r = { "NUMBER_COMPARISON", min = 1, max = 2 } } },
      } } }, typed_links = {} }, n)
    end)

    it("is idempotent, and a changed declaration updates the declared facets", function()
      local store = fresh_store()
      local s = store:schema("org", ORG)
      local counts = count_calls(s)
      s:define(ORG)
      assert.is_nil(counts.CreateFacet)
      assert.is_nil(counts.UpdateFacet)
      assert.same(clouddir.normalize_schema(ORG), store:schema("org", ORG):definition())

      if not implemented(store.schema, store, "org", { facets = {
        Person = { type = "LEAF_NODE", attributes = {
          email = { type = "STRING", required = true },           -- no longer immutable
          phone = { type = "STRING" },                            -- new
        } },                                                      -- others deleted
        Department = { type = "LEAF_NODE", attributes = ORG.facets.Department.attributes },
      } }) then
        return store:close()
      end
      local d = s:definition()
      assert.same({ email = { type = "STRING", required = true }, phone = { type = "STRING" } },
                  d.facets.Person.attributes)
      assert.equal("LEAF_NODE", d.facets.Department.type)
      assert.is_table(d.facets.Badge)                             -- not declared: left alone
      store:close()
    end)

    it("finds schemas by name, version and ARN, and answers nil when there is none", function()
      local store = fresh_store()
      local dev = store:schema("org", ORG)
      local pub = dev:publish("1")
      assert.equal(dev, store:schema("org"))
      assert.is_nil(store:schema("nope"))
      assert.equal(pub, store:schema("org", "1"))
      assert.is_nil(store:schema("org", "2"))
      assert.equal(pub.arn, store:schema(pub.arn).arn)
      assert.equal("published", store:schema(pub.arn).state)
      assert.is_nil(store:schema(dev.arn:gsub("/org$", "/nope")))
      store:close()
    end)

    it("create_schema raises the client's SchemaAlreadyExistsException", function()
      local store = fresh_store()
      store:create_schema("org")
      local e = error_of(store.create_schema, store, "org")
      local e2 = error_of(store:client().CreateSchema, store:client(), { Name = "org" })
      assert.equal("SchemaAlreadyExistsException", e.code)
      assert.equal(e2.message, e.message)
      store:close()
    end)

    it("publishes with versions and minor versions", function()
      local store = fresh_store()
      local dev = store:schema("org", ORG)
      local p1 = dev:publish("1")
      assert.equal("published", p1.state)
      assert.equal("org", p1.name)
      assert.equal("1", p1.version)
      assert.is_nil(p1.minor)
      local p2 = dev:publish("2", "0")
      assert.equal("2", p2.version)
      assert.equal("0", p2.minor)
      local p3 = dev:publish("1", { name = "other" })
      assert.equal("other", p3.name)
      assert.equal("SchemaAlreadyPublishedException", code_of(dev.publish, dev, "1"))
      assert.equal("InvalidArnException", code_of(p1.define, p1, { facets = { X = { type = "NODE" } } }))
      assert.has_error(function() dev:publish("3", { bogus = 1 }) end,
                       "bad argument #2 to 'publish' (unknown option 'bogus')")
      store:close()
    end)

    it("reads facets one by one and by iterator", function()
      local store = fresh_store()
      local s = store:schema("full", FULL)
      assert.is_nil(s:facet("Nope"))
      assert.is_nil(s:typed_link("Nope"))
      assert.same({ "Free", "Other", "Thing" }, s:facet_names())
      assert.same({ "Manages" }, s:typed_link_names())
      local seen = {}
      for name, f in s:facets() do seen[#seen + 1] = name; assert.is_table(f.attributes) end
      assert.same({ "Free", "Other", "Thing" }, seen)
      for name, t in s:typed_links() do
        assert.equal("Manages", name)
        assert.same({ "role", "since" }, t.identity)
      end
      store:close()
    end)

    it("deletes facets and typed links, renames and deletes schemas", function()
      local store = fresh_store()
      local s = store:schema("full", FULL)
      s:delete_facet("Free")
      assert.is_nil(s:facet("Free"))
      assert.equal("FacetNotFoundException", code_of(s.delete_facet, s, "Free"))
      s:delete_typed_link("Manages")
      assert.is_nil(s:typed_link("Manages"))
      local gone = store:create_schema("gone")
      gone:delete()
      assert.is_nil(store:schema("gone"))
      assert.equal("ResourceNotFoundException", code_of(gone.delete, gone))
      if not implemented(s.rename, s, "renamed") then return store:close() end
      assert.equal("renamed", s.name)
      assert.matches("/renamed$", s.arn)
      assert.is_nil(store:schema("full"))
      assert.equal(s, store:schema("renamed"))
      s:delete()
      assert.is_nil(store:schema("renamed"))
      store:close()
    end)

    it("rejects a malformed declaration as a misuse", function()
      local store = fresh_store()
      local s = store:create_schema("org")
      assert.has_error(function() s:define{ facets = { F = { type = "NODE", colour = "red" } } } end,
                       "bad argument #1 to 'define' (facet F: unknown key 'colour')")
      assert.has_error(function() s:define("org") end,
                       "bad argument #1 to 'define' (schema declaration table expected)")
      assert.equal("InvalidRuleException", code_of(s.define, s, { facets = { F = { type = "NODE",
        attributes = { a = { type = "STRING", rules = { r = { "STRING_LENGTH", lots = 1 } } } } } } }))
      store:close()
    end)

    it("lists schemas by kind", function()
      local store = fresh_store()
      store:schema("a", ORG):publish("1")
      store:create_schema("b")
      local dev, pub, managed = {}, {}, {}
      for arn, s in store:schemas() do dev[#dev + 1] = s.name; assert.equal(s.arn, arn) end
      for _, s in store:schemas("published") do pub[#pub + 1] = s.name .. "/" .. s.version end
      table.sort(dev)
      assert.same({ "a", "b" }, dev)
      assert.same({ "a/1" }, pub)
      assert.has_error(function() store:schemas("applied") end,
        "bad argument #1 to 'schemas' (\"development\", \"published\" or \"managed\" expected)")
      if implemented(function()
        for _, s in store:schemas("managed") do managed[#managed + 1] = s.state end
      end) then
        assert.same({ "managed" }, managed)
      end
      store:close()
    end)

    it("exports a schema as JSON", function()
      local store = fresh_store()
      local s = store:schema("org", ORG)
      local ok, doc = implemented(s.json, s)
      if ok then assert.matches('"Person"', doc) end
      store:close()
    end)
  end)

  describe("directories", function()
    it("are created from a published schema and describe themselves", function()
      local store, dir, _, pub = acme()
      assert.equal("acme", dir.name)
      assert.equal(":directory/" .. dir.id, dir.arn:sub(-#dir.id - 11))
      local info = dir:info()
      assert.equal("acme", info.name)
      assert.equal(dir.arn, info.arn)
      assert.equal("ENABLED", info.state)
      assert.is_number(info.created)
      assert.equal("ENABLED", dir:state())
      assert.matches("^clouddir.Directory acme", tostring(dir))
      assert.equal("DirectoryAlreadyExistsException", code_of(store.create_directory, store, "acme", pub))
      local by_arn = store:create_directory("acme2", pub.arn)        -- an ARN works as well
      assert.equal("acme2", by_arn:info().name)
      assert.not_equal(dir, by_arn)
      store:close()
    end)

    it("are found by name or ARN; nil when there is none or it is deleted", function()
      local store, dir = acme()
      assert.equal(dir, store:directory("acme"))
      assert.equal(dir, store:directory(dir.arn))
      assert.is_nil(store:directory("nope"))
      assert.is_nil(store:directory(dir.arn .. "x"))
      dir:disable():delete()
      assert.is_nil(store:directory("acme"))
      store:close()
    end)

    it("go through enable, disable and delete with the client's errors", function()
      local store, dir = acme()
      assert.equal("DirectoryNotDisabledException", code_of(dir.delete, dir))
      assert.equal(dir, dir:disable())
      assert.equal("DISABLED", dir:state())
      assert.equal("DirectoryNotEnabledException", code_of(dir.root, dir))
      assert.equal("DirectoryNotEnabledException", code_of(dir.create, dir, "/x", { Department = { name = "x" } }))
      dir:enable()
      assert.truthy(dir:root())
      dir:disable()
      dir:delete()
      assert.equal("DELETED", dir:state())
      assert.equal("DirectoryDeletedException", code_of(dir.delete, dir))
      assert.equal("DirectoryDeletedException", code_of(dir.enable, dir))
      store:close()
    end)

    it("carry tags", function()
      local store, dir = acme()
      assert.same({}, dir:tags())
      assert.equal(dir, dir:tag{ team = "core", env = "test", tier = "1" })
      assert.same({ team = "core", env = "test", tier = "1" }, dir:tags())
      dir:tag{ team = "infra" }
      dir:untag("env")
      assert.same({ team = "infra", tier = "1" }, dir:tags())
      dir:untag{ "team", "tier" }
      assert.same({}, dir:tags())
      store:close()
    end)

    it("apply more schemas and list them", function()
      local store, dir, _, pub = acme()
      local hr = store:schema("hr", { facets = { Employee = { type = "LEAF_NODE",
        attributes = { number = { type = "NUMBER" } } } } }):publish("1")
      local applied = dir:apply(hr)
      assert.equal("applied", applied.state)
      assert.equal("hr", applied.name)
      local names = {}
      for arn, s in dir:schemas() do names[#names + 1] = s.name; assert.equal(s.arn, arn) end
      table.sort(names)
      assert.same({ "hr", "org" }, names)
      assert.equal(applied, dir:schema("hr"))
      assert.equal("1", dir:schema("org", "1").version)
      assert.is_nil(dir:schema("org", "2"))
      assert.is_nil(dir:schema("nope"))
      assert.equal("InvalidAttachmentException", code_of(dir.apply, dir, pub))
      local e = dir:create("/e", { Employee = { number = 7 }, Person = { email = "e@x" } })
      assert.same({ Employee = { number = 7 }, Person = { email = "e@x" } }, e:get())
      store:close()
    end)

    it("see facets added to an applied schema later", function()
      local store, dir = acme()
      dir:schema("org"):define{ facets = { Room = { type = "LEAF_NODE",
        attributes = { seats = { type = "NUMBER" } } } } }
      local room = dir:create("/room", { Room = { seats = 12 } })
      assert.same({ seats = 12 }, room.Room)
      store:close()
    end)

    it("are listed page by page, optionally by state", function()
      local store = fresh_store()
      local pub = store:schema("org", ORG):publish("1")
      for i = 1, 12 do store:create_directory(("d%02d"):format(i), pub) end
      store:directory("d03"):disable()
      local n = 0                                  -- 12 > 10: more than one page
      for name, dir, info in store:directories() do
        n = n + 1
        assert.equal(name, dir.name)
        assert.equal(dir.arn, info.arn)
      end
      assert.equal(12, n)
      local disabled = {}
      for name in store:directories("DISABLED") do disabled[#disabled + 1] = name end
      assert.same({ "d03" }, disabled)
      assert.has_error(function() store:directories("gone") end,
        "bad argument #1 to 'directories' (\"ENABLED\", \"DISABLED\" or \"DELETED\" expected)")
      store:close()
    end)
  end)

  describe("objects", function()
    local store, dir
    before_each(function() store, dir = acme() end)
    after_each(function() store:close() end)

    it("are created under a path, under a parent, or detached", function()
      local eng = dir:create("/engineering", { Department = { name = "Engineering" } })
      local web = dir:create(eng, "web", { Department = { name = "Web" } })
      local ops = eng:create("ops", { Department = { name = "Ops" } })
      local ada = dir:create(nil, { Person = { email = "ada@acme" } })
      assert.equal(web, dir:object("/engineering/web"))
      assert.equal(ops, dir:object("/engineering/ops"))
      assert.is_nil(ada:path())
      assert.equal("/engineering/web", web:path())
      assert.has_error(function() dir:create("/", { Department = { name = "x" } }) end,
        "bad argument #1 to 'create' (the path must end with the new link's name)")
      assert.has_error(function() dir:create("engineering", { Department = { name = "x" } }) end)
      assert.has_error(function() dir:create("/x") end)
    end)

    it("are named by handles, paths, $ids and bare ids alike", function()
      local eng = dir:create("/engineering", { Department = { name = "Engineering" } })
      local id = eng:id()
      for _, ref in ipairs{ eng, "/engineering", "$" .. id, id } do
        assert.equal(eng, dir:object(ref))
        assert.equal(eng, dir:find(ref))
        assert.equal("Engineering", dir:get(ref, "Department").name)
        dir:update(ref, { Department = { code = "E" .. #tostring(ref) } })
      end
      local ada = dir:create(nil, { Person = { email = "ada@acme" } })
      for i, parent in ipairs{ eng, "/engineering", "$" .. id, id } do
        dir:attach(parent, "ada" .. i, ada:id())
      end
      local links, paths, parents = {}, {}, {}
      for name in dir:children(eng) do links[#links + 1] = name end
      for path in dir:paths(ada:id()) do paths[#paths + 1] = path end
      for link, parent in dir:parents("$" .. ada:id()) do parents[#parents + 1] = link; assert.equal(eng, parent) end
      table.sort(paths)
      table.sort(parents)
      assert.same({ "ada1", "ada2", "ada3", "ada4" }, links)
      assert.same({ "/engineering/ada1", "/engineering/ada2", "/engineering/ada3", "/engineering/ada4" }, paths)
      assert.same({ "ada1", "ada2", "ada3", "ada4" }, parents)
      for i, parent in ipairs{ eng, "/engineering", "$" .. id, id } do
        assert.equal(ada, dir:detach(parent, "ada" .. i))
      end
      dir:delete_object(ada)
      assert.is_nil(dir:find(ada))
      assert.has_error(function() dir:object(42) end,
        "bad argument #1 to 'object' (object reference expected (path, id or object handle), got number)")
    end)

    it("object() raises ResourceNotFoundException, find() answers nil", function()
      local e = error_of(dir.object, dir, "/nope")
      local e2 = error_of(dir.client.GetObjectInformation, dir.client,
                          { DirectoryArn = dir.arn, ObjectReference = { Selector = "/nope" } })
      assert.equal("ResourceNotFoundException", e.code)
      assert.equal(e2.message, e.message)
      assert.is_nil(dir:find("/nope"))
      assert.is_nil(dir:find("$AQFp_D7XdCtqTsa3UGcE6ZhqAAAAAAAAAANEDg_0Fzpzew"))
    end)

    it("are handles with an id, a type, facets and equality", function()
      local root = dir:root()
      local ada = dir:create("/ada", { Person = { email = "ada@acme" }, Badge = { serial = "7" } })
      assert.equal("NODE", root:type())
      assert.equal("LEAF_NODE", ada:type())
      assert.equal(46, #ada:id())
      assert.equal("$" .. ada:id(), ada:ref())
      assert.equal("clouddir.Object $" .. ada:id(), tostring(ada))
      assert.equal(dir, ada:directory())
      assert.same({ "Badge", "Person" }, (function() local f = ada:facets(); table.sort(f); return f end)())
      assert.is_true(ada:has("Person"))
      assert.is_true(ada:has("org/Person"))
      assert.is_false(ada:has("Department"))
      assert.equal(ada, dir:object("/ada"))
      assert.not_equal(ada, root)
      assert.has_error(function() ada.Person = {} end)
    end)

    it("read attribute values grouped by facet", function()
      local ada = dir:create("/ada", { Person = { email = "ada@acme", name = "Ada" }, Badge = {} })
      assert.equal("ada@acme", ada.Person.email)
      assert.same({ email = "ada@acme", name = "Ada" }, ada:get("Person"))
      assert.same({ email = "ada@acme", name = "Ada" }, ada:get("org/Person"))
      assert.same({}, ada.Badge)
      assert.is_nil(ada.Department)
      assert.is_nil(ada:get("Nope"))
      assert.same({ Person = { email = "ada@acme", name = "Ada" }, Badge = {} }, ada:get())
      local eng = dir:create("/eng", { Department = { name = "Eng" } })
      assert.same({ name = "Eng", budget = 0 }, eng.Department)   -- the declared default
    end)

    it("update values, and clouddir.NULL deletes one", function()
      local ada = dir:create("/ada", { Person = { email = "ada@acme", name = "Ada" } })
      assert.equal(ada, ada:update{ Person = { name = "Ada L.", photo = "\0\1", active = true } })
      assert.same({ email = "ada@acme", name = "Ada L.", photo = "\0\1", active = true }, ada.Person)
      ada:update{ Person = { photo = clouddir.NULL, active = false } }
      assert.same({ email = "ada@acme", name = "Ada L.", active = false }, ada.Person)
      assert.equal("FacetValidationException", code_of(ada.update, ada, { Person = { email = "x" } }))
      assert.equal("FacetValidationException", code_of(ada.update, ada, { Person = { nope = "x" } }))
      assert.equal("FacetValidationException", code_of(ada.update, ada, { Department = { name = "x" } }))
      assert.equal("ValidationException", code_of(ada.update, ada, { Person = { active = "yes" } }))
      assert.equal("ValidationException", code_of(ada.update, ada, { Person = "Ada" }))
    end)

    it("gain and lose facets", function()
      local ada = dir:create("/ada", { Person = { email = "ada@acme" } })
      assert.equal(ada, ada:add_facet("Badge", { serial = "B-1" }))
      assert.same({ serial = "B-1" }, ada.Badge)
      ada:add_facet("Bag")
      assert.same({}, ada.Bag)
      ada:remove_facet("Badge")
      assert.is_nil(ada.Badge)
      assert.equal("FacetValidationException", code_of(ada.add_facet, ada, "Nope"))
    end)

    it("raise the client's errors for the hierarchy's rules", function()
      local eng = dir:create("/eng", { Department = { name = "Eng" } })
      local ada = dir:create("/eng/ada", { Person = { email = "ada@acme" } })
      assert.equal("FacetValidationException", code_of(dir.create, dir, "/x", { Nope = {} }))
      assert.equal("FacetValidationException", code_of(dir.create, dir, "/x", { Person = {} }))
      assert.equal("LinkNameAlreadyInUseException",
                   code_of(dir.create, dir, "/eng", { Department = { name = "again" } }))
      assert.equal("ResourceNotFoundException",
                   code_of(dir.create, dir, "/nope/x", { Department = { name = "x" } }))
      assert.equal("NotNodeException", code_of(dir.children, dir, ada))
      assert.equal("CannotListParentOfRootException", code_of(dir.parents, dir, "/"))
      assert.equal("InvalidAttachmentException", code_of(dir.attach, dir, "/", "eng2", eng))
      assert.equal("ResourceNotFoundException", code_of(dir.detach, dir, "/", "nope"))
      assert.equal("ObjectNotDetachedException", code_of(ada.delete, ada))
      assert.equal("ObjectNotDetachedException", code_of(dir.delete_object, dir, "/"))
      assert.equal("LinkNameAlreadyInUseException", code_of(eng.attach, eng, "ada", ada))
    end)

    it("build a leaf with several parents and take it apart", function()
      local eng = dir:create("/eng", { Department = { name = "Eng" } })
      local proj = dir:create("/proj", { Department = { name = "Proj" } })
      local ada = dir:create(nil, { Person = { email = "ada@acme" } })
      assert.equal(ada, eng:attach("ada", ada))
      proj:attach("lead", ada)
      dir:attach("/", "ada", ada)
      local parents = {}
      for link, parent in ada:parents() do parents[#parents + 1] = { link, parent } end
      table.sort(parents, function(a, b) return a[1] .. a[2]:id() < b[1] .. b[2]:id() end)
      assert.equal(3, #parents)
      local by_parent = {}
      for _, p in ipairs(parents) do by_parent[p[2]:id()] = p[1] end
      assert.same({ [eng:id()] = "ada", [proj:id()] = "lead", [dir:root():id()] = "ada" }, by_parent)
      local paths = {}
      for path, ids in ada:paths() do
        paths[#paths + 1] = path
        assert.equal(ada:id(), ids[#ids])
        assert.equal(dir:root():id(), ids[1])
      end
      table.sort(paths)
      assert.same({ "/ada", "/eng/ada", "/proj/lead" }, paths)
      assert.equal(ada, eng:detach("ada"))
      assert.equal(ada, proj:detach("lead"))
      dir:detach("/", "ada")
      assert.is_nil(ada:path())
      ada:delete()
      assert.is_nil(dir:find(ada))
      assert.equal("ResourceNotFoundException", code_of(ada.delete, ada))
    end)
  end)

  describe("values", function()
    local store, dir
    before_each(function() store, dir = acme() end)
    after_each(function() store:close() end)

    local function roundtrip(attr, v)
      local p = dir:create(nil, { Person = { email = "x", [attr] = v } })
      return p.Person[attr]
    end

    it("STRING and BINARY are Lua strings, byte for byte", function()
      assert.equal("héllo ✓", roundtrip("name", "héllo ✓"))
      local bytes = {}
      for b = 0, 255 do bytes[#bytes + 1] = string.char(b) end
      bytes = table.concat(bytes)
      assert.equal(bytes, roundtrip("photo", bytes))
      assert.equal("", roundtrip("photo", ""))
    end)

    it("BOOLEAN is a boolean", function()
      assert.is_true(roundtrip("active", true))
      assert.is_false(roundtrip("active", false))
    end)

    it("NUMBER reads back as the Lua number written, or verbatim as a string", function()
      for _, n in ipairs{ 0, -7, 42, math.maxinteger, math.mininteger, 0.5, 1 / 3, -2.5e-10, 1e20 } do
        local back = roundtrip("salary", n)
        assert.equal(n, back)
        assert.equal(math.type(n), math.type(back))
      end
      local three = roundtrip("salary", 3.0)
      assert.equal("integer", math.type(three))         -- an integral float reads back as an integer
      for _, s in ipairs{ "42.50", "1e3", "12345678901234567890", "-0", "007", "0.1000" } do
        assert.equal(s, roundtrip("salary", s))
      end
      assert.equal(12, roundtrip("salary", "12"))       -- a canonical decimal string is a number
      assert.equal("ValidationException", code_of(roundtrip, "salary", 0 / 0))
      assert.equal("FacetValidationException", code_of(roundtrip, "salary", "twelve"))
    end)

    it("DATETIME is seconds since the epoch, fractions kept to the millisecond", function()
      assert.equal(1700000000, roundtrip("hired", 1700000000))
      assert.equal("integer", math.type(roundtrip("hired", 1700000000)))
      assert.equal(1700000000.125, roundtrip("hired", 1700000000.125))
      local t = { year = 2021, month = 3, day = 4, hour = 5, min = 6, sec = 7 }
      assert.equal(os.time(t), roundtrip("hired", t))
      assert.equal("2021-03-04", os.date("%Y-%m-%d", roundtrip("hired", t)))
      assert.equal(-86400, roundtrip("hired", -86400))
    end)

    it("VARIANT (dynamic facets) takes its type from the Lua value or a wrapper", function()
      local bag = dir:create("/bag", { Bag = {
        s = "text", n = 12, f = 0.25, big = "123456789012345678901234567890", t = true,
        bin = clouddir.binary("\0\255"), d = clouddir.datetime(1700000000),
        when = clouddir.datetime{ year = 2020, month = 1, day = 1, hour = 0 },
        dec = clouddir.number("1.50"), plain = "1.50",
      } })
      local v = bag.Bag
      assert.same({ s = "text", n = 12, f = 0.25, big = "123456789012345678901234567890", t = true,
                    bin = "\0\255", d = 1700000000, dec = "1.50", plain = "1.50",
                    when = os.time{ year = 2020, month = 1, day = 1, hour = 0 } }, v)
      local kinds = {}                 -- the stored kinds, as the AWS-shaped client sees them
      local r = dir.client:ListObjectAttributes{ DirectoryArn = dir.arn, MaxResults = 30,
                                                 ObjectReference = { Selector = bag:ref() } }
      for _, kv in ipairs(r.Attributes) do kinds[kv.Key.Name] = next(kv.Value) end
      assert.same({ s = "StringValue", n = "NumberValue", f = "NumberValue", big = "StringValue",
                    t = "BooleanValue", bin = "BinaryValue", d = "DatetimeValue",
                    when = "DatetimeValue", dec = "NumberValue", plain = "StringValue" }, kinds)
    end)

    it("accepts the API's own TypedAttributeValue tables", function()
      assert.equal(7, roundtrip("salary", { NumberValue = "7" }))
      assert.equal("x", roundtrip("name", { StringValue = "x" }))
    end)

    it("skips clouddir.NULL when creating", function()
      local p = dir:create(nil, { Person = { email = "x", name = clouddir.NULL } })
      assert.same({ email = "x" }, p.Person)
    end)
  end)

  describe("iterators", function()
    local store, dir, team
    before_each(function()
      store, dir = acme()
      team = dir:create("/team", { Department = { name = "Team" } })
      for i = 45, 1, -1 do
        dir:create(team, ("m%02d"):format(i), { Person = { email = "m" .. i .. "@acme" } })
      end
    end)
    after_each(function() store:close() end)

    it("page through 45 children with the default page size", function()
      local counts = count_calls(dir)
      local names, ids = {}, {}
      for name, child in dir:children("/team") do
        names[#names + 1] = name
        ids[child:id()] = true
      end
      assert.equal(45, #names)
      for i = 1, 45 do assert.equal(("m%02d"):format(i), names[i]) end
      local distinct = 0
      for _ in pairs(ids) do distinct = distinct + 1 end
      assert.equal(45, distinct)
      assert.equal(5, counts.ListObjectChildren)                   -- 10 per page
    end)

    it("honour page_size (clamped to 30 under AWS limits)", function()
      local counts = count_calls(dir)
      local n = 0
      for _ in dir:children(team, { page_size = 7 }) do n = n + 1 end
      assert.equal(45, n)
      assert.equal(7, counts.ListObjectChildren)
      counts.ListObjectChildren = 0
      for _ in dir:children(team, { page_size = 45 }) do end
      assert.equal(2, counts.ListObjectChildren)
      assert.has_error(function() dir:children(team, { pagesize = 7 }) end,
                       "bad argument #2 to 'children' (unknown option 'pagesize')")
    end)

    it("stop reading when the loop breaks, and close", function()
      local counts = count_calls(dir)
      local step, s, ctl, closing = dir:children(team)
      assert.equal("clouddir.Iterator", getmetatable(closing).__name)
      local n = 0
      for _ in step, s, ctl, closing do
        n = n + 1
        if n == 3 then break end
      end
      assert.equal(1, counts.ListObjectChildren)
      assert.is_nil(step())                 -- closed: no more items, no more reads
      assert.equal(1, counts.ListObjectChildren)
    end)

    it("close when the loop body raises", function()
      local step, s, ctl, closing = team:children()
      local ok, e = pcall(function()
        for _ in step, s, ctl, closing do error("boom") end
      end)
      assert.is_false(ok)
      assert.matches("boom", e)
      assert.is_nil(step())
    end)

    it("raise at the for line when the listing cannot start", function()
      local leaf = dir:object("/team/m01")
      local body_ran = false
      local e = error_of(function() for _ in leaf:children() do body_ran = true end end)
      assert.equal("NotNodeException", e.code)
      assert.is_false(body_ran)
    end)

    it("page through a leaf's many parents and paths", function()
      local ada = dir:create(nil, { Person = { email = "ada@acme" } })
      for i = 1, 12 do
        dir:create(("/g%02d"):format(i), { Department = { name = "G" .. i } }):attach("ada", ada)
      end
      team:attach("ada", ada)
      team:attach("ada-again", ada)                  -- two links from one parent
      local counts = count_calls(ada:directory())
      local links = {}
      for link, parent in ada:parents() do
        links[#links + 1] = link .. "@" .. (parent == team and "team" or "g")
      end
      table.sort(links)
      assert.equal(14, #links)
      assert.equal("ada-again@team", links[1])
      assert.equal(2, counts.ListObjectParents)
      local paths = {}
      for path in ada:paths() do paths[#paths + 1] = path end
      assert.equal(14, #paths)
      assert.equal(2, counts.ListObjectParentPaths)
    end)

    it("allow writes while iterating", function()
      local n = 0
      for name, child in team:children() do
        n = n + 1
        if n <= 3 then team:detach(name); child:delete() end
      end
      assert.equal(45, n)
      local left = 0
      for _ in team:children() do left = left + 1 end
      assert.equal(42, left)
    end)
  end)

  describe("store lifetime", function()
    it("handles fail cleanly once their store is closed", function()
      local store, dir = acme()
      local root = dir:root()
      store:close()
      assert.has_error(function() dir:info() end)
      assert.has_error(function() root:get() end)
      assert.has_error(function() store:directory("acme") end)
    end)

    it("a <close> store closes at the end of its block", function()
      local dir
      do
        local store <close> = fresh_store()
        dir = store:create_directory("x", store:schema("org", ORG):publish("1"))
        assert.equal("ENABLED", dir:state())
      end
      assert.has_error(function() dir:state() end)
    end)
  end)
end)
