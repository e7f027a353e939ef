-- Objects: CreateObject, DeleteObject, AddFacetToObject, RemoveFacetFromObject,
-- UpdateObjectAttributes, GetObjectInformation, GetObjectAttributes, ListObjectAttributes,
-- object identifiers and selectors.
local F = require "data_fixtures"

describe("objects", function()
  local ctx, cd

  before_each(function()
    ctx = F.setup()
    cd = ctx.cd
  end)
  after_each(F.cleanup)

  local function info(selector)
    return cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector) }
  end

  describe("every operation", function()
    -- One valid request per operation of the data plane, built for the current ctx.
    local function requests(target)
      local ref = F.sel(target)
      return {
        CreateObject = { SchemaFacets = { F.sf(ctx, "Group") } },
        DeleteObject = { ObjectReference = ref },
        AddFacetToObject = { ObjectReference = ref, SchemaFacet = F.sf(ctx, "Tagged") },
        RemoveFacetFromObject = { ObjectReference = ref, SchemaFacet = F.sf(ctx, "Group") },
        UpdateObjectAttributes = { ObjectReference = ref, AttributeUpdates = {} },
        GetObjectInformation = { ObjectReference = ref },
        GetObjectAttributes = { ObjectReference = ref, SchemaFacet = F.sf(ctx, "Group"),
                                AttributeNames = { "title" } },
        ListObjectAttributes = { ObjectReference = ref },
        AttachObject = { ParentReference = F.sel("/"), ChildReference = ref, LinkName = "x" },
        DetachObject = { ParentReference = ref, LinkName = "x" },
        ListObjectChildren = { ObjectReference = ref },
        ListObjectParents = { ObjectReference = ref },
        ListObjectParentPaths = { ObjectReference = ref },
      }
    end

    it("refuses a disabled directory with DirectoryNotEnabledException", function()
      F.node(ctx, "/", "g")
      cd:DisableDirectory{ DirectoryArn = ctx.dir }
      for op, req in pairs(requests("/g")) do
        req.DirectoryArn = ctx.dir
        local e = F.expect_error("DirectoryNotEnabledException", cd.call, cd, op, req)
        assert.truthy(e.message, op)
      end
    end)

    it("refuses an unknown directory with ResourceNotFoundException", function()
      local gone = ctx.dir:gsub(".$", function(ch) return ch == "A" and "B" or "A" end)
      for op, req in pairs(requests("/")) do
        req.DirectoryArn = gone
        F.expect_error("ResourceNotFoundException", cd.call, cd, op, req)
      end
    end)

    it("refuses a missing object with ResourceNotFoundException naming the selector", function()
      for op, req in pairs(requests("/no/such/object")) do
        if op ~= "CreateObject" then
          req.DirectoryArn = ctx.dir
          local e = F.expect_error("ResourceNotFoundException", cd.call, cd, op, req)
          assert.truthy(e.message:find("/no/such/object", 1, true), op .. ": " .. e.message)
        end
      end
    end)
  end)

  describe("identifiers", function()
    it("look like AWS's: 46 URL-safe characters sharing the directory's prefix", function()
      local id = F.person(ctx, "Ann")
      assert.equal(46, #id)
      assert.matches("^[%w_-]+$", id)
      assert.equal(46, #ctx.root)
      assert.equal(id:sub(1, 24), ctx.root:sub(1, 24))
      local dirid = ctx.dir:match("directory/(.*)$")
      assert.equal("AQ", id:sub(1, 2))
      assert.equal(23, #dirid)
    end)

    it("are never reused, even after deletion", function()
      local seen = {}
      for i = 1, 20 do
        local id = F.person(ctx, "P" .. i)
        assert.is_nil(seen[id])
        seen[id] = true
        cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = F.id(id) }
      end
    end)

    -- The object number inside an id: characters 25..35 are base64 of oid(8) | tag(8).
    local function number(id)
      local abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      local n = 0
      for i = 25, 35 do   -- 11 characters = 66 bits; the top 64 are the number
        n = n * 64 + (abc:find(id:sub(i, i), 1, true) - 1)
      end
      return n >> 2
    end

    it("keep growing object numbers when the newest object is deleted", function()
      local del = function(id)
        cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = F.id(id) }
      end
      local a, b = F.person(ctx, "A"), F.person(ctx, "B")
      assert.is_true(number(b) > number(a))
      del(b)   -- the newest: its number stays taken
      local c = F.person(ctx, "C")
      assert.is_true(number(c) > number(b))
      del(a)   -- not the newest
      local d = F.person(ctx, "D")
      assert.is_true(number(d) > number(c))
      del(d)
      del(c)
      local e = F.person(ctx, "E")
      assert.is_true(number(e) > number(d))
      for _, gone in ipairs{ a, b, c, d } do
        F.expect_error("ResourceNotFoundException", info, "$" .. gone)
      end
      assert.equal("E", cd:GetObjectAttributes{ DirectoryArn = ctx.dir,
        ObjectReference = F.id(e), SchemaFacet = F.sf(ctx, "Person"),
        AttributeNames = { "name" } }.Attributes[1].Value.StringValue)
    end)
  end)

  describe("selectors", function()
    local g, b
    before_each(function()
      g = F.node(ctx, "/", "g")
      b = F.person(ctx, "Bob", "/g", "bob")
    end)

    it("resolve /, paths, $id and $\"id\"", function()
      assert.equal(ctx.root, info("/").ObjectIdentifier)
      assert.equal(b, info("/g/bob").ObjectIdentifier)
      assert.equal(b, info("$" .. b).ObjectIdentifier)
      assert.equal(b, info('$"' .. b .. '"').ObjectIdentifier)
      assert.equal(g, info("/g").ObjectIdentifier)
    end)

    it("tolerate one trailing slash", function()
      assert.equal(b, info("/g/bob/").ObjectIdentifier)
      assert.equal(g, info("/g/").ObjectIdentifier)
    end)

    it("do not find empty link names, relative paths or unknown links", function()
      for _, s in ipairs{ "/g//bob", "//g", "//", "g/bob", "/g/nobody", "/nothing", "", "bob", "/g/bob//" } do
        local e = F.expect_error("ResourceNotFoundException", info, s)
        if s ~= "" then assert.truthy(e.message:find(s, 1, true)) end
      end
    end)

    it("do not find forged, damaged or foreign identifiers", function()
      local other = F.directory(cd, "other")
      local foreign = F.create(other, "Group", nil, "/", "x")
      F.expect_error("ResourceNotFoundException", info, "$" .. foreign)
      -- the same object number with another tag
      local forged = b:sub(1, 40) .. (b:sub(41, 41) == "A" and "B" or "A") .. b:sub(42)
      F.expect_error("ResourceNotFoundException", info, "$" .. forged)
      F.expect_error("ResourceNotFoundException", info, "$" .. b:sub(1, 45))
      F.expect_error("ResourceNotFoundException", info, "$" .. b .. "A")
      F.expect_error("ResourceNotFoundException", info, "$" .. b:sub(1, 45) .. "!")
      F.expect_error("ResourceNotFoundException", info, "$")
      F.expect_error("ResourceNotFoundException", info, '$"' .. b)
    end)

    it("refuse batch references outside BatchWrite", function()
      local e = F.expect_error("ResourceNotFoundException", info, "#ref")
      assert.matches("BatchWrite", e.message)
    end)

    it("limit paths to 15 links under limits = 'aws'", function()
      local path = ""
      for i = 1, 15 do
        F.node(ctx, path == "" and "/" or path, "n" .. i)
        path = path .. "/n" .. i
      end
      assert.truthy(info(path).ObjectIdentifier)
      F.expect_error("LimitExceededException", info, path .. "/n16")
    end)
  end)

  describe("CreateObject", function()
    it("creates a detached object reachable by id", function()
      local id = F.person(ctx, "Ann")
      local r = info("$" .. id)
      assert.equal(id, r.ObjectIdentifier)
      assert.same({ { SchemaArn = ctx.schema, FacetName = "Person" } }, r.SchemaFacets)
    end)

    it("creates and attaches in one step", function()
      local id = F.person(ctx, "Ann", "/", "ann")
      assert.same({ ann = id }, F.children(ctx, "/"))
    end)

    it("accepts facets of several schemas, including the base schema", function()
      local id = F.create(ctx, { F.sf(ctx, "NODE", ctx.base), "Extra" }, nil, "/", "dyn")
      local r = info("$" .. id)
      assert.same({ { SchemaArn = ctx.base, FacetName = "NODE" },
                    { SchemaArn = ctx.schema, FacetName = "Extra" } }, r.SchemaFacets)
    end)

    it("infers the type from the facets and refuses conflicting or missing types", function()
      F.create(ctx, { "Group", "Tagged" }, nil, "/", "two")   -- both NODE
      local e = F.expect_error("FacetValidationException", F.create, ctx, { "Group", "Person" },
                               F.attrs(ctx, "Person", { name = { StringValue = "x" } }))
      assert.matches("NODE", e.message)
      assert.matches("LEAF_NODE", e.message)
      F.expect_error("FacetValidationException", F.create, ctx, { "Extra" })
      F.expect_error("FacetValidationException", F.create, ctx, { "Group", "Group" })
    end)

    it("refuses INDEX facets with UnsupportedIndexTypeException", function()
      F.expect_error("UnsupportedIndexTypeException", F.create, ctx, "Lookup")
      F.expect_error("UnsupportedIndexTypeException", F.create, ctx, { F.sf(ctx, "INDEX", ctx.base) })
    end)

    it("allows at most 5 facets under limits = 'aws'", function()
      local six = { "Group", "Tagged", "Extra", F.sf(ctx, "NODE", ctx.base), "Team", "Unit" }
      F.expect_error("LimitExceededException", F.create, ctx, six)
    end)

    it("refuses unknown facets, schemas and directories", function()
      F.expect_error("FacetValidationException", F.create, ctx, "Nope")
      F.expect_error("ResourceNotFoundException", function()
        cd:CreateObject{ DirectoryArn = ctx.dir .. "x", SchemaFacets = { F.sf(ctx, "Group") } }
      end)
      F.expect_error("InvalidArnException", function()
        cd:CreateObject{ DirectoryArn = "arn:nope", SchemaFacets = { F.sf(ctx, "Group") } }
      end)
      -- an applied-schema ARN of this directory naming no applied schema is unknown
      -- (semantics §4.3 rule 1)
      local e = F.expect_error("ResourceNotFoundException", F.create, ctx,
                               { F.sf(ctx, "Group", ctx.dir .. "/schema/nope/1") })
      assert.matches("not applied", e.message, 1, true)
    end)

    it("refuses a disabled directory", function()
      cd:DisableDirectory{ DirectoryArn = ctx.dir }
      F.expect_error("DirectoryNotEnabledException", F.node, ctx)
      F.expect_error("DirectoryNotEnabledException", info, "/")
    end)

    it("needs ParentReference and LinkName together", function()
      F.expect_error("ValidationException", function()
        cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { F.sf(ctx, "Group") },
                         LinkName = "x" }
      end)
      F.expect_error("ValidationException", function()
        cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { F.sf(ctx, "Group") },
                         ParentReference = F.sel("/") }
      end)
    end)

    it("refuses a link name in use, a leaf parent and an unknown parent", function()
      F.node(ctx, "/", "g")
      F.expect_error("LinkNameAlreadyInUseException", F.node, ctx, "/", "g")
      F.person(ctx, "Ann", "/", "ann")
      -- CreateObject lists no InvalidAttachmentException (AttachObject does)
      local e = F.expect_error("ValidationException", F.node, ctx, "/ann", "x")
      assert.matches("only NODE objects have children", e.message, 1, true)
      F.expect_error("ResourceNotFoundException", F.node, ctx, "/missing", "x")
    end)

    it("refuses objects deeper than 15 links under limits = 'aws'", function()
      local path = ""
      for i = 1, 15 do
        F.node(ctx, path == "" and "/" or path, "n" .. i)
        path = path .. "/n" .. i
      end
      local id15 = info(path).ObjectIdentifier
      local e = F.expect_error("LimitExceededException", F.node, ctx, path, "deep")
      assert.matches("a path of at least 16 links", e.message, 1, true)
      F.expect_error("LimitExceededException", F.node, ctx, "$" .. id15, "deep")
    end)

    it("counts a link name's length in UTF-8 bytes under limits = 'aws'", function()
      -- the model allows 64 characters, the service 64 bytes (semantics §10)
      F.node(ctx, "/", ("é"):rep(32))                                   -- 64 bytes
      local e = F.expect_error("ValidationException", F.node, ctx, "/", ("é"):rep(33))
      assert.matches("66 bytes", e.message, 1, true)
      F.node(ctx, "/", "g")
      local child = F.create(ctx, "Person", { name = { StringValue = "c" } })
      F.expect_error("ValidationException", cd.AttachObject, cd, { DirectoryArn = ctx.dir,
        ParentReference = F.sel("/g"), ChildReference = F.id(child), LinkName = ("😀"):rep(17) })
      F.expect_error("ValidationException", F.node, ctx, "/", ("é"):rep(65))   -- 65 characters
      local free = F.setup{ limits = "none" }
      F.node(free, "/", ("é"):rep(64))
    end)

    it("writes nothing when it fails", function()
      F.node(ctx, "/", "g")
      local before = F.dump(ctx.path)
      assert.truthy(#before > 0)
      F.expect_error("LinkNameAlreadyInUseException", F.person, ctx, "Ann", "/", "g")
      F.expect_error("FacetValidationException", F.create, ctx, "Person",
                     { name = { StringValue = "Ann" }, age = { NumberValue = "-1" } }, "/", "x")
      F.expect_error("ValidationException", function()
        cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { F.sf(ctx, "Group") }, Extra = 1 }
      end)
      assert.equal(before, F.dump(ctx.path))
    end)
  end)

  describe("policy objects", function()
    local function policy(list)
      return cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { F.sf(ctx, "Rule") },
                              ObjectAttributeList = list }.ObjectIdentifier
    end

    it("need policy_type and policy_document", function()
      F.expect_error("FacetValidationException", policy, {})
      F.expect_error("FacetValidationException", policy, F.attrs(ctx, "Rule", { policy_type = { StringValue = "t" } }))
    end)

    it("store them under the base POLICY facet, addressed either way", function()
      local doc = "{\"allow\": true}\0"
      local id = policy(F.attrs(ctx, "Rule", { policy_type = { StringValue = "t1" },
                                               policy_document = { BinaryValue = doc } }))
      local base = cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(id),
        SchemaFacet = F.sf(ctx, "POLICY", ctx.base), AttributeNames = { "policy_type", "policy_document" } }
      assert.same({ StringValue = "t1" }, base.Attributes[1].Value)
      assert.same({ BinaryValue = doc }, base.Attributes[2].Value)
      local own = cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(id),
        SchemaFacet = F.sf(ctx, "Rule"), AttributeNames = { "policy_type" } }
      assert.same({ StringValue = "t1" }, own.Attributes[1].Value)
      local v = F.values(ctx, "$" .. id)
      assert.same({ StringValue = "t1" }, v["POLICY.policy_type"])
      assert.is_nil(v["Rule.policy_type"])
      local id2 = policy(F.attrs(ctx, "POLICY", { policy_type = { StringValue = "t2" },
                                                  policy_document = { BinaryValue = "d" } }, ctx.base))
      assert.truthy(id2)
    end)

    it("allow 10 KB policy documents under limits = 'aws'", function()
      policy(F.attrs(ctx, "Rule", { policy_type = { StringValue = "t" },
                                    policy_document = { BinaryValue = string.rep("x", 10240) } }))
      F.expect_error("LimitExceededException", policy, F.attrs(ctx, "Rule", {
        policy_type = { StringValue = "t" }, policy_document = { BinaryValue = string.rep("x", 10241) } }))
    end)
  end)

  describe("DeleteObject", function()
    local function delete(selector)
      return cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector) }
    end

    it("deletes a detached object and its values", function()
      local id = F.person(ctx, "Ann", nil, nil, { age = { NumberValue = "3" } })
      assert.same({}, delete("$" .. id))
      F.expect_error("ResourceNotFoundException", info, "$" .. id)
    end)

    it("refuses attached objects and objects with children", function()
      local g = F.node(ctx, "/", "g")
      local a = F.person(ctx, "Ann", "/g", "ann")
      F.expect_error("ObjectNotDetachedException", delete, "$" .. a)
      cd:DetachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel("/g"), LinkName = "ann" }
      cd:DetachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel("/"), LinkName = "g" }
      cd:AttachObject{ DirectoryArn = ctx.dir, ParentReference = F.id(g), ChildReference = F.id(a),
                       LinkName = "ann" }
      F.expect_error("ObjectNotDetachedException", delete, "$" .. g)
      F.expect_error("ObjectNotDetachedException", delete, "/")
    end)

    it("refuses objects with more than 30 values under limits = 'aws'", function()
      local list = F.attrs(ctx, "Extra", (function()
        local t = {}
        for i = 1, 30 do t["a" .. i] = { NumberValue = tostring(i) } end
        return t
      end)())
      local id = F.create(ctx, { "Group", "Extra" }, list)
      cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(id),
        AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, "Group", "title"),
          ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                    ObjectAttributeUpdateValue = { StringValue = "t" } } } } }
      F.expect_error("LimitExceededException", delete, "$" .. id)
      cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(id),
        AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, "Group", "title"),
          ObjectAttributeAction = { ObjectAttributeActionType = "DELETE" } } } }
      delete("$" .. id)
    end)

    it("deletes objects with many values under limits = 'none'", function()
      local free = F.setup{ limits = "none" }
      local t = {}
      for i = 1, 40 do t["a" .. i] = { StringValue = "v" } end
      local id = F.create(free, { "Group", "Extra" }, F.attrs(free, "Extra", t))
      free.cd:DeleteObject{ DirectoryArn = free.dir, ObjectReference = F.id(id) }
    end)

    it("refuses unknown objects", function()
      F.expect_error("ResourceNotFoundException", delete, "/nothing")
    end)
  end)

  describe("AddFacetToObject and RemoveFacetFromObject", function()
    local function add(selector, facet, list, schema)
      return cd:AddFacetToObject{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                  SchemaFacet = F.sf(ctx, facet, schema), ObjectAttributeList = list }
    end
    local function remove(selector, facet, schema)
      return cd:RemoveFacetFromObject{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                       SchemaFacet = F.sf(ctx, facet, schema) }
    end

    it("refuses a facet without an object type on an INDEX object", function()
      -- dynamic facets go on NODE, LEAF_NODE and POLICY objects (semantics §3.1)
      local ix = cd:CreateIndex{ DirectoryArn = ctx.dir, IsUnique = false,
        OrderedIndexedAttributeList = { F.key(ctx, "Person", "text") } }.ObjectIdentifier
      local before = F.dump(ctx.path)
      local e = F.expect_error("FacetValidationException", cd.AddFacetToObject, cd, {
        DirectoryArn = ctx.dir, ObjectReference = F.id(ix), SchemaFacet = F.sf(ctx, "Extra"),
        ObjectAttributeList = F.attrs(ctx, "Extra", { k = { StringValue = "v" } }) })
      assert.matches("INDEX object takes none", e.message, 1, true)
      assert.equal(before, F.dump(ctx.path))
      F.node(ctx, "/", "g")
      add("/g", "Extra", F.attrs(ctx, "Extra", { k = { StringValue = "v" } }))   -- a NODE takes it
    end)

    it("adds a facet with its values and defaults", function()
      F.node(ctx, "/", "g")
      assert.same({}, add("/g", "Tagged", nil))
      add("/g", "Extra", F.attrs(ctx, "Extra", { x = { StringValue = "1" } }))
      local r = info("/g")
      assert.equal(3, #r.SchemaFacets)
      assert.equal("Tagged", r.SchemaFacets[2].FacetName)
      local v = F.values(ctx, "/g")
      assert.same({ StringValue = "none" }, v["Tagged.tag"])
      assert.same({ StringValue = "1" }, v["Extra.x"])
    end)

    it("needs the facet's required attributes", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("FacetValidationException", add, "/ann", "Employee", nil)
      add("/ann", "Employee", F.attrs(ctx, "Employee", { badge = { StringValue = "b" } }))
      -- the reference shares Person.name, which the object already has
      local r = cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/ann"),
        SchemaFacet = F.sf(ctx, "Employee"), AttributeNames = { "person_name", "badge" } }
      assert.same({ StringValue = "Ann" }, r.Attributes[1].Value)
    end)

    it("refuses a facet already there, one of another type, and values of other facets", function()
      F.node(ctx, "/", "g")
      F.expect_error("FacetValidationException", add, "/g", "Group", nil)
      F.expect_error("FacetValidationException", add, "/g", "Person",
                     F.attrs(ctx, "Person", { name = { StringValue = "x" } }))
      F.expect_error("FacetValidationException", add, "/g", "Tagged",
                     F.attrs(ctx, "Group", { title = { StringValue = "x" } }))
    end)

    it("allows at most 5 facets under limits = 'aws'", function()
      F.create(ctx, { "Group", "Tagged", "Extra", F.sf(ctx, "NODE", ctx.base), "Team" }, nil, "/", "g")
      F.expect_error("LimitExceededException", add, "/g", "Unit", nil)
    end)

    it("removes a facet and its values", function()
      F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", { x = { StringValue = "1" } }), "/", "g")
      cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/g"),
        AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, "Group", "title"),
          ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                    ObjectAttributeUpdateValue = { StringValue = "T" } } } } }
      assert.same({}, remove("/g", "Extra"))
      local v = F.values(ctx, "/g")
      assert.is_nil(v["Extra.x"])
      assert.same({ StringValue = "T" }, v["Group.title"])
      assert.same({ { SchemaArn = ctx.schema, FacetName = "Group" } }, info("/g").SchemaFacets)
      -- and it can come back, empty
      add("/g", "Extra", nil)
      assert.is_nil(F.values(ctx, "/g")["Extra.x"])
    end)

    it("keeps a value another remaining facet shares", function()
      F.create(ctx, { "Person", "Employee" }, F.attrs(ctx, "Employee", {
        badge = { StringValue = "b" }, person_name = { StringValue = "Eve" } }), "/", "e")
      remove("/e", "Employee")
      local v = F.values(ctx, "/e")
      assert.same({ StringValue = "Eve" }, v["Person.name"])
      assert.is_nil(v["Employee.badge"])
    end)

    it("refuses a facet the object lacks, and the last facet of its type", function()
      F.node(ctx, "/", "g")
      F.expect_error("FacetValidationException", remove, "/g", "Tagged")
      F.expect_error("FacetValidationException", remove, "/g", "Group")
      F.expect_error("FacetValidationException", remove, "/", "NODE", ctx.base)
      add("/g", "Tagged", nil)
      remove("/g", "Group")
      assert.same({ { SchemaArn = ctx.schema, FacetName = "Tagged" } }, info("/g").SchemaFacets)
    end)
  end)

  describe("UpdateObjectAttributes", function()
    local function update(selector, updates)
      return cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                        AttributeUpdates = updates }
    end
    local function put(facet, name, value)
      return { ObjectAttributeKey = F.key(ctx, facet, name),
               ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                         ObjectAttributeUpdateValue = value } }
    end
    local function del(facet, name)
      return { ObjectAttributeKey = F.key(ctx, facet, name),
               ObjectAttributeAction = { ObjectAttributeActionType = "DELETE" } }
    end

    it("creates, updates and deletes values and returns the object's id", function()
      local id = F.person(ctx, "Ann", "/", "ann")
      local r = update("/ann", { put("Person", "age", { NumberValue = "30" }),
                                 put("Person", "text", { StringValue = "hi" }) })
      assert.same({ ObjectIdentifier = id }, r)
      update("/ann", { put("Person", "age", { NumberValue = "31" }), del("Person", "text"),
                       del("Person", "born") })
      local v = F.values(ctx, "/ann")
      assert.same({ NumberValue = "31" }, v["Person.age"])
      assert.is_nil(v["Person.text"])
    end)

    it("applies all or nothing", function()
      F.person(ctx, "Ann", "/", "ann")
      local before = F.dump(ctx.path)
      F.expect_error("FacetValidationException", update, "/ann",
                     { put("Person", "age", { NumberValue = "30" }), put("Person", "age", { NumberValue = "31" }) })
      F.expect_error("FacetValidationException", update, "/ann",
                     { put("Person", "text", { StringValue = "x" }), put("Person", "nope", { StringValue = "x" }) })
      assert.equal(before, F.dump(ctx.path))
      assert.is_nil(F.values(ctx, "/ann")["Person.text"])
      assert.is_nil(F.values(ctx, "/ann")["Person.age"])
    end)

    it("needs a value for CREATE_OR_UPDATE", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("ValidationException", update, "/ann", { {
        ObjectAttributeKey = F.key(ctx, "Person", "text"),
        ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE" } } })
    end)

    it("says which part of an action is missing", function()
      F.person(ctx, "Ann", "/", "ann")
      local before = F.dump(ctx.path)
      local e = F.expect_error("ValidationException", update, "/ann", { {
        ObjectAttributeKey = F.key(ctx, "Person", "text") } })
      assert.matches("^AttributeUpdates%[0%]: ObjectAttributeAction is missing", e.message)
      e = F.expect_error("ValidationException", update, "/ann", { {
        ObjectAttributeKey = F.key(ctx, "Person", "text"), ObjectAttributeAction = {} } })
      assert.matches("^AttributeUpdates%[0%]: ObjectAttributeAction%.ObjectAttributeActionType "
                     .. "is missing", e.message)
      assert.equal(before, F.dump(ctx.path))
    end)

    it("refuses one key given twice with different values or actions, saying so", function()
      F.person(ctx, "Ann", "/", "ann")
      local e = F.expect_error("FacetValidationException", update, "/ann", {
        put("Person", "text", { StringValue = "b" }), del("Person", "text") })
      assert.matches("is given twice in one request, with different actions", e.message, 1, true)
      e = F.expect_error("FacetValidationException", update, "/ann", {
        put("Person", "text", { StringValue = "b" }), put("Person", "text", { StringValue = "c" }) })
      assert.matches("with different values", e.message, 1, true)
      -- the same value twice is fine
      update("/ann", { put("Person", "text", { StringValue = "d" }), put("Person", "text", { StringValue = "d" }) })
      assert.same({ StringValue = "d" }, F.values(ctx, "/ann")["Person.text"])
    end)

    it("refuses unknown facets and objects", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("FacetValidationException", update, "/ann", { put("Nope", "x", { StringValue = "1" }) })
      F.expect_error("ResourceNotFoundException", update, "/nobody", { put("Person", "text", { StringValue = "1" }) })
    end)
  end)

  describe("GetObjectInformation", function()
    it("shows the root's base NODE facet", function()
      local r = info("/")
      assert.equal(ctx.root, r.ObjectIdentifier)
      assert.same({ { SchemaArn = ctx.base, FacetName = "NODE" } }, r.SchemaFacets)
    end)

    it("accepts ConsistencyLevel", function()
      local r = cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/"),
                                         ConsistencyLevel = "EVENTUAL" }
      assert.equal(ctx.root, r.ObjectIdentifier)
      F.expect_error("ValidationException", function()
        cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/"),
                                 ConsistencyLevel = "STRONG" }
      end)
    end)
  end)

  describe("GetObjectAttributes", function()
    local function get(selector, facet, names)
      return cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                     SchemaFacet = F.sf(ctx, facet), AttributeNames = names,
                                     ConsistencyLevel = "SERIALIZABLE" }
    end

    it("returns the named values in order with their keys, leaving out unset ones", function()
      F.person(ctx, "Ann", "/", "ann", { age = { NumberValue = "5" } })
      local r = get("/ann", "Person", { "age", "text", "name" })
      assert.same({
        { Key = F.key(ctx, "Person", "age"), Value = { NumberValue = "5" } },
        { Key = F.key(ctx, "Person", "name"), Value = { StringValue = "Ann" } },
      }, r.Attributes)
      assert.same({}, get("/ann", "Person", {}).Attributes)
    end)

    it("refuses unknown attributes and facets the object lacks", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("FacetValidationException", get, "/ann", "Person", { "nope" })
      F.expect_error("FacetValidationException", get, "/ann", "Group", { "title" })
      F.expect_error("FacetValidationException", get, "/ann", "Nope", { "x" })
    end)
  end)

  describe("ListObjectAttributes", function()
    local function list(selector, n, token, filter)
      return cd:ListObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                      MaxResults = n, NextToken = token, FacetFilter = filter }
    end

    it("lists every value, paging", function()
      local t = {}
      for i = 1, 25 do t[("a%02d"):format(i)] = { NumberValue = tostring(i) } end
      F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", t), "/", "g")
      local first = list("/g")
      assert.equal(10, #first.Attributes)
      assert.truthy(first.NextToken)
      local seen, token, pages = {}, nil, 0
      repeat
        local r = list("/g", 7, token)
        for _, kv in ipairs(r.Attributes) do
          assert.is_nil(seen[kv.Key.Name])
          seen[kv.Key.Name] = kv.Value.NumberValue
        end
        token, pages = r.NextToken, pages + 1
      until not token
      assert.equal(4, pages)
      for i = 1, 25 do assert.equal(tostring(i), seen[("a%02d"):format(i)]) end
    end)

    it("filters by facet", function()
      F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", { x = { StringValue = "1" } }), "/", "g")
      cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/g"),
        AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, "Group", "title"),
          ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                    ObjectAttributeUpdateValue = { StringValue = "T" } } } } }
      local r = list("/g", nil, nil, F.sf(ctx, "Extra"))
      assert.same({ { Key = F.key(ctx, "Extra", "x"), Value = { StringValue = "1" } } }, r.Attributes)
      assert.equal(2, #list("/g").Attributes)
      assert.same({}, list("/", nil, nil, F.sf(ctx, "Extra")).Attributes)
      F.expect_error("FacetValidationException", list, "/g", nil, nil, F.sf(ctx, "Nope"))
    end)

    it("refuses forged tokens and tokens of another object", function()
      local t = {}
      for i = 1, 12 do t["a" .. i] = { StringValue = "v" } end
      F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", t), "/", "g")
      F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", t), "/", "h")
      local token = list("/g", 5).NextToken
      assert.equal(5, #list("/g", 5, token).Attributes)
      F.expect_error("InvalidNextTokenException", list, "/h", 5, token)
      F.expect_error("InvalidNextTokenException", list, "/g", 5, token:sub(1, -2) .. (token:sub(-1) == "A" and "B" or "A"))
      F.expect_error("InvalidNextTokenException", list, "/g", 5, "garbage!")
      F.expect_error("InvalidNextTokenException", list, "/g", 5, token, F.sf(ctx, "Extra"))
    end)
  end)
end)
