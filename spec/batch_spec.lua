-- batch_spec.lua — BatchWrite and BatchRead: every operation kind inside a batch, batch
-- references, all-or-nothing at every position, BatchWriteException, per-call limits,
-- BatchRead's per-item errors, and a batch of 100k operations.
local clouddir = require "clouddir"
local F = require "spec.data_fixtures"
local helper = F.helper

-- {====================================================== set-up

--- A store with the org schema of spec/data_fixtures.lua plus the helper's typed-link facet
--- Friend (since STRING identity, note STRING), applied to a new directory.
local function setup(options)
  local store, cd, path = F.open(options)
  local facets = {}
  for _, n in ipairs{ "Group", "Person", "Employee", "Extra", "Tagged", "Team", "Unit", "Rule",
                      "Lookup" } do
    local f = F.facets[n]
    facets[#facets + 1] = { Name = n, ObjectType = f.ObjectType, FacetStyle = f.FacetStyle,
                            Attributes = f.Attributes }
  end
  local fx = helper.fixture(cd, { facets = facets })
  return { cd = cd, store = store, path = path, dir = fx.directory_arn, schema = fx.applied_arn,
           base = fx.base_arn, root = fx.root }
end

-- The exception types a BatchWriteException and a BatchRead item may carry: the model's
-- BatchWriteExceptionType and BatchReadExceptionType enums (an SDK knows no others).
local allowed_types = (function()
  local f = assert(io.open("../shared/reference/clouddirectory-2017-01-11.service.json"))
  local model = clouddir.json_decode(f:read("a"))
  f:close()
  local sets = {}
  for _, name in ipairs{ "BatchWriteExceptionType", "BatchReadExceptionType" } do
    sets[name] = {}
    for _, v in ipairs(model.shapes[name].enum) do sets[name][v] = true end
  end
  return sets
end)()

local function write(ctx, ops) return ctx.cd:BatchWrite{ DirectoryArn = ctx.dir, Operations = ops } end
local function read(ctx, ops)
  local r = ctx.cd:BatchRead{ DirectoryArn = ctx.dir, Operations = ops }
  for i, item in ipairs(r.Responses) do
    local t = item.ExceptionResponse and item.ExceptionResponse.Type
    assert(not t or allowed_types.BatchReadExceptionType[t],
           ("item %d: %s is not a BatchReadExceptionType"):format(i, t))
  end
  return r
end
local function write_error(ctx, ops)
  local e = helper.error_of(write, ctx, ops)
  if e.code == "BatchWriteException" then
    assert(allowed_types.BatchWriteExceptionType[e.type],
           tostring(e.type) .. " is not a BatchWriteExceptionType")
  end
  return e
end

local sel = F.sel
local function S(v) return { StringValue = v } end

-- Batch items.
local function create(ctx, facet, values, parent, link, ref)
  local sfs = type(facet) == "table" and facet or { F.sf(ctx, facet) }
  local first = sfs[1].FacetName
  return { CreateObject = { SchemaFacet = sfs,
    ObjectAttributeList = values and F.attrs(ctx, first, values) or {},
    ParentReference = parent and sel(parent) or nil, LinkName = link, BatchReferenceName = ref } }
end
local function update(ctx, selector, facet, values)
  local ups = {}
  for _, kv in ipairs(F.attrs(ctx, facet, values)) do
    ups[#ups + 1] = { ObjectAttributeKey = kv.Key, ObjectAttributeAction = {
      ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = kv.Value } }
  end
  return { UpdateObjectAttributes = { ObjectReference = sel(selector), AttributeUpdates = ups } }
end
local function attach(parent, child, link)
  return { AttachObject = { ParentReference = sel(parent), ChildReference = sel(child), LinkName = link } }
end
local function detach(parent, link, ref)
  return { DetachObject = { ParentReference = sel(parent), LinkName = link, BatchReferenceName = ref } }
end
local function delete(selector) return { DeleteObject = { ObjectReference = sel(selector) } } end

local function friend(ctx) return { SchemaArn = ctx.schema, TypedLinkName = "Friend" } end
local function spec(ctx, from, to, since)
  return { TypedLinkFacet = friend(ctx), SourceObjectReference = sel(from),
           TargetObjectReference = sel(to),
           IdentityAttributeValues = { { AttributeName = "since", Value = S(since) } } }
end
local function index_key(ctx) return { F.key(ctx, "Person", "name") } end

-- Whether the operations of issue 3 have their handler yet: a shape-valid request that
-- names nothing answers NotImplementedException until they do.
local function implemented(ctx, op)
  local r = { Selector = "/" }
  local t = { SchemaArn = ctx.schema, TypedLinkName = "Friend" }
  local tls = { TypedLinkFacet = t, SourceObjectReference = r, TargetObjectReference = r,
                IdentityAttributeValues = {} }
  local reqs = {
    AttachPolicy = { PolicyReference = r, ObjectReference = r },
    DetachPolicy = { PolicyReference = r, ObjectReference = r },
    CreateIndex = { IsUnique = true, OrderedIndexedAttributeList = index_key(ctx),
                    ParentReference = { Selector = "/nowhere" }, LinkName = "x" },
    AttachToIndex = { IndexReference = r, TargetReference = r },
    DetachFromIndex = { IndexReference = r, TargetReference = r },
    AttachTypedLink = { SourceObjectReference = { Selector = "/nowhere" }, TargetObjectReference = r,
                        TypedLinkFacet = t, Attributes = {} },
    DetachTypedLink = { TypedLinkSpecifier = tls },
    UpdateLinkAttributes = { TypedLinkSpecifier = tls, AttributeUpdates = {} },
    GetLinkAttributes = { TypedLinkSpecifier = tls, AttributeNames = { "note" } },
    ListAttachedIndices = { TargetReference = r },
    ListIndex = { IndexReference = r },
    ListObjectPolicies = { ObjectReference = r },
    ListPolicyAttachments = { PolicyReference = r },
    LookupPolicy = { ObjectReference = r },
    ListOutgoingTypedLinks = { ObjectReference = r },
    ListIncomingTypedLinks = { ObjectReference = r },
  }
  local req = assert(reqs[op], op)
  req.DirectoryArn = ctx.dir
  local e = helper.error_of(ctx.cd.call, ctx.cd, op, req)
  return not (e and e.code == "NotImplementedException")
end

local function all_implemented(ctx, ops)
  for _, op in ipairs(ops) do
    if not implemented(ctx, op) then
      pending(op .. " has no handler yet (issue 3): this test runs once it has")
      return false
    end
  end
  return true
end

-- }======================================================

describe("BatchWrite", function()
  after_each(F.cleanup)

  it("answers an empty batch with an empty response list", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    local r = write(ctx, {})
    assert.same({ Responses = {} }, r)
    assert.equal(before, F.dump(ctx.path))
  end)

  it("runs the write kinds of objects and the hierarchy in order, each seeing the earlier ones", function()
    local ctx = setup()
    local r = write(ctx, {
      create(ctx, "Group", { title = S("g") }, "/", "g", "g"),
      create(ctx, "Person", { name = S("ann") }, nil, nil, "p"),
      attach("/g", "#p", "ann"),                      -- /g exists: made by operation 0
      update(ctx, "/g/ann", "Person", { age = { NumberValue = "30" } }),
      { AddFacetToObject = { SchemaFacet = F.sf(ctx, "Extra"), ObjectReference = sel("#p"),
          ObjectAttributeList = F.attrs(ctx, "Extra", { x = S("1") }) } },
      { RemoveFacetFromObject = { SchemaFacet = F.sf(ctx, "Extra"), ObjectReference = sel("/g/ann") } },
      create(ctx, "Person", { name = S("bob") }, "/g", "bob"),
      detach("/g", "bob", "bob"),
      delete("#bob"),
    })
    local R = r.Responses
    assert.equal(9, #R)
    local g, p = R[1].CreateObject.ObjectIdentifier, R[2].CreateObject.ObjectIdentifier
    assert.is_string(g)
    assert.is_string(p)
    assert.same({ AttachObject = { attachedObjectIdentifier = p } }, R[3])
    assert.same({ UpdateObjectAttributes = { ObjectIdentifier = p } }, R[4])
    assert.same({ AddFacetToObject = {} }, R[5])
    assert.same({ RemoveFacetFromObject = {} }, R[6])
    local bob = R[7].CreateObject.ObjectIdentifier
    assert.same({ DetachObject = { detachedObjectIdentifier = bob } }, R[8])
    assert.same({ DeleteObject = {} }, R[9])
    -- the effects are there
    assert.same({ ann = p }, F.children(ctx, "/g"))
    local v = F.values(ctx, "/g/ann")
    assert.same({ NumberValue = "30" }, v["Person.age"])
    assert.is_nil(v["Extra.x"])
    helper.expect_error("ResourceNotFoundException", ctx.cd.GetObjectInformation, ctx.cd,
      { DirectoryArn = ctx.dir, ObjectReference = F.id(bob) })
  end)

  it("gives every operation its own copy of the tables they share", function()
    -- One table in many places of a request is converted once (lua_core.c); the values the
    -- check rewrites in place (a Lua number as NumberValue, DatetimeValue in seconds) must
    -- still reach every operation once converted, never twice.
    local ctx = setup()
    local facets = { F.sf(ctx, "Person") }
    local age, born = { NumberValue = 42 }, { DatetimeValue = 1500000000.5 }
    local attrs = { { Key = F.key(ctx, "Person", "name"), Value = S("same") },
                    { Key = F.key(ctx, "Person", "age"), Value = age },
                    { Key = F.key(ctx, "Person", "born"), Value = born } }
    local parent = sel("/")
    local ops = {}
    for i = 1, 3 do
      ops[i] = { CreateObject = { SchemaFacet = facets, ObjectAttributeList = attrs,
                                  ParentReference = parent, LinkName = "p" .. i } }
    end
    ops[4] = { UpdateObjectAttributes = { ObjectReference = sel("/p2"), AttributeUpdates = {
      { ObjectAttributeKey = attrs[2].Key, ObjectAttributeAction = {
          ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = age } },
      { ObjectAttributeKey = attrs[3].Key, ObjectAttributeAction = {
          ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = born } } } } }
    ops[5] = ops[1]   -- the same operation again: its link name is taken by now
    local e = write_error(ctx, ops)
    assert.equal("BatchWriteException", e.code)
    assert.equal(4, e.index)
    assert.equal("LinkNameAlreadyInUseException", e.type)
    ops[5] = nil
    write(ctx, ops)
    for i = 1, 3 do
      local v = F.values(ctx, "/p" .. i)
      assert.same(S("same"), v["Person.name"])
      assert.same({ NumberValue = "42" }, v["Person.age"])
      assert.same({ DatetimeValue = 1500000000.5 }, v["Person.born"])
    end
    -- the caller's tables are left as they were
    assert.same({ NumberValue = 42 }, age)
    assert.same({ DatetimeValue = 1500000000.5 }, born)
  end)

  it("creates, attaches to and detaches from indexes, with #name naming the created index", function()
    local ctx = setup()
    if not all_implemented(ctx, { "CreateIndex", "AttachToIndex", "DetachFromIndex" }) then return end
    local r = write(ctx, {
      { CreateIndex = { OrderedIndexedAttributeList = index_key(ctx), IsUnique = false,
          ParentReference = sel("/"), LinkName = "idx", BatchReferenceName = "i" } },
      create(ctx, "Person", { name = S("ann") }, "/", "ann", "p"),
      { AttachToIndex = { IndexReference = sel("#i"), TargetReference = sel("#p") } },
      create(ctx, "Person", { name = S("bob") }, "/", "bob", "q"),
      { AttachToIndex = { IndexReference = sel("/idx"), TargetReference = sel("#q") } },
      { DetachFromIndex = { IndexReference = sel("#i"), TargetReference = sel("#q") } },
    })
    local R = r.Responses
    local i, p, q = R[1].CreateIndex.ObjectIdentifier, R[2].CreateObject.ObjectIdentifier,
                    R[4].CreateObject.ObjectIdentifier
    assert.is_string(i)
    assert.same({ AttachToIndex = { AttachedObjectIdentifier = p } }, R[3])
    assert.same({ DetachFromIndex = { DetachedObjectIdentifier = q } }, R[6])
    local l = ctx.cd:ListIndex{ DirectoryArn = ctx.dir, IndexReference = sel("/idx") }
    assert.equal(1, #l.IndexAttachments)
    assert.equal(p, l.IndexAttachments[1].ObjectIdentifier)
  end)

  it("attaches and detaches policies", function()
    local ctx = setup()
    if not all_implemented(ctx, { "AttachPolicy", "DetachPolicy" }) then return end
    local r = write(ctx, {
      create(ctx, "Rule", { policy_type = S("acl"), policy_document = { BinaryValue = "{}" } },
             "/", "rule", "pol"),
      create(ctx, "Group", nil, "/", "g", "g"),
      { AttachPolicy = { PolicyReference = sel("#pol"), ObjectReference = sel("#g") } },
      { AttachPolicy = { PolicyReference = sel("#pol"), ObjectReference = sel("/") } },
      { DetachPolicy = { PolicyReference = sel("/rule"), ObjectReference = sel("/") } },
    })
    local R = r.Responses
    assert.same({ AttachPolicy = {} }, R[3])
    assert.same({ DetachPolicy = {} }, R[5])
    local l = ctx.cd:ListObjectPolicies{ DirectoryArn = ctx.dir, ObjectReference = sel("/g") }
    assert.same({ R[1].CreateObject.ObjectIdentifier }, l.AttachedPolicyIds)
    l = ctx.cd:ListObjectPolicies{ DirectoryArn = ctx.dir, ObjectReference = sel("/") }
    assert.same({}, l.AttachedPolicyIds)
  end)

  it("attaches, updates and detaches typed links, with #name inside specifiers", function()
    local ctx = setup()
    if not all_implemented(ctx, { "AttachTypedLink", "UpdateLinkAttributes", "DetachTypedLink" }) then
      return
    end
    local r = write(ctx, {
      create(ctx, "Person", { name = S("ann") }, "/", "ann", "a"),
      create(ctx, "Person", { name = S("bob") }, "/", "bob", "b"),
      { AttachTypedLink = { SourceObjectReference = sel("#a"), TargetObjectReference = sel("#b"),
          TypedLinkFacet = friend(ctx), Attributes = {
            { AttributeName = "since", Value = S("2020") }, { AttributeName = "note", Value = S("x") } } } },
      { UpdateLinkAttributes = { TypedLinkSpecifier = spec(ctx, "#a", "#b", "2020"), AttributeUpdates = {
          { AttributeKey = { SchemaArn = ctx.schema, FacetName = "Friend", Name = "note" },
            AttributeAction = { AttributeActionType = "CREATE_OR_UPDATE", AttributeUpdateValue = S("y") } } } } },
      { AttachTypedLink = { SourceObjectReference = sel("#b"), TargetObjectReference = sel("#a"),
          TypedLinkFacet = friend(ctx), Attributes = { { AttributeName = "since", Value = S("2021") } } } },
      { DetachTypedLink = { TypedLinkSpecifier = spec(ctx, "/bob", "/ann", "2021") } },
    })
    local R = r.Responses
    local ts = R[3].AttachTypedLink.TypedLinkSpecifier
    assert.is_table(ts)
    assert.same({ UpdateLinkAttributes = {} }, R[4])
    assert.same({ DetachTypedLink = {} }, R[6])
    local a = ctx.cd:GetLinkAttributes{ DirectoryArn = ctx.dir, TypedLinkSpecifier = ts,
                                        AttributeNames = { "note" } }
    assert.same(S("y"), a.Attributes[1].Value)
    local out = ctx.cd:ListOutgoingTypedLinks{ DirectoryArn = ctx.dir, ObjectReference = sel("/bob") }
    assert.same({}, out.TypedLinkSpecifiers)
  end)
end)

describe("BatchWrite references", function()
  after_each(F.cleanup)

  it("name the detached child", function()
    local ctx = setup()
    local id = F.person(ctx, "ann", "/", "ann")
    local r = write(ctx, {
      create(ctx, "Group", nil, "/", "g"),
      detach("/", "ann", "moved"),
      attach("/g", "#moved", "ann"),
    })
    assert.same({ AttachObject = { attachedObjectIdentifier = id } }, r.Responses[3])
    assert.same({ ann = id }, F.children(ctx, "/g"))
  end)

  it("report an unknown name at the operation using it", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    local e = write_error(ctx, { create(ctx, "Group", nil, "/", "g", "g"), attach("/", "#nope", "x") })
    assert.equal("BatchWriteException", e.code)
    assert.equal(1, e.index)
    assert.equal("ResourceNotFoundException", e.type)
    assert.matches("^Operation 1 ResourceNotFoundException: AttachObject: ", e.message)
    assert.matches("nope", e.message, 1, true)
    assert.equal(before, F.dump(ctx.path))
  end)

  it("report a name used before it is defined", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    local e = write_error(ctx, { attach("/", "#later", "x"), create(ctx, "Group", nil, nil, nil, "later") })
    assert.equal("BatchWriteException", e.code)
    assert.equal(0, e.index)
    assert.equal("ResourceNotFoundException", e.type)
    assert.equal(before, F.dump(ctx.path))
  end)

  it("report a name defined twice at the second definition", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    local e = write_error(ctx, {
      create(ctx, "Group", nil, "/", "a", "x"),
      create(ctx, "Group", nil, "/", "b"),
      create(ctx, "Group", nil, "/", "c", "x"),
    })
    assert.equal("BatchWriteException", e.code)
    assert.equal(2, e.index)
    assert.equal("ValidationException", e.type)
    assert.matches("^Operation 2 ValidationException: CreateObject: ", e.message)
    assert.matches("'x'", e.message, 1, true)
    assert.equal(before, F.dump(ctx.path))
  end)

  it("do not outlive their batch and do not exist outside BatchWrite", function()
    local ctx = setup()
    write(ctx, { create(ctx, "Group", nil, "/", "g", "g") })
    local e = write_error(ctx, { delete("#g") })
    assert.equal("ResourceNotFoundException", e.type)
    local r = read(ctx, { { GetObjectInformation = { ObjectReference = sel("#g") } } })
    assert.equal("ResourceNotFoundException", r.Responses[1].ExceptionResponse.Type)
  end)
end)

describe("BatchWrite failures", function()
  after_each(F.cleanup)

  -- Existing content: /fixed (Group + Extra, title t0), /old (a Person leaf), /keep/leaf.
  local function populate(ctx)
    F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Group", { title = S("t0") }), "/", "fixed")
    F.person(ctx, "old", "/", "old")
    F.node(ctx, "/", "keep")
    F.person(ctx, "leaf", "/keep", "leaf")
  end

  -- A mixed batch touching objects, attributes, facets, links (and, once they exist, index
  -- entries, typed links and policies); valid as a whole.
  local function mixed(ctx)
    local ops = {
      create(ctx, "Group", { title = S("g") }, "/", "g", "g"),
      create(ctx, "Person", { name = S("ann") }, "#g", "ann", "p"),
      create(ctx, "Person", { name = S("bob") }, nil, nil, "q"),
      attach("#g", "#q", "bob"),
      update(ctx, "/fixed", "Group", { title = S("t1") }),
      { AddFacetToObject = { SchemaFacet = F.sf(ctx, "Team"), ObjectReference = sel("/fixed"),
          ObjectAttributeList = F.attrs(ctx, "Team", { motto = S("go") }) } },
      { RemoveFacetFromObject = { SchemaFacet = F.sf(ctx, "Extra"), ObjectReference = sel("/fixed") } },
      detach("/", "old", "old"),
      delete("#old"),
      update(ctx, "#p", "Person", { age = { NumberValue = "30" } }),
      attach("/keep", "#q", "bob2"),
    }
    if implemented(ctx, "CreateIndex") and implemented(ctx, "AttachToIndex") then
      ops[#ops + 1] = { CreateIndex = { OrderedIndexedAttributeList = index_key(ctx), IsUnique = true,
                                        ParentReference = sel("/"), LinkName = "idx", BatchReferenceName = "i" } }
      ops[#ops + 1] = { AttachToIndex = { IndexReference = sel("#i"), TargetReference = sel("#p") } }
      ops[#ops + 1] = { AttachToIndex = { IndexReference = sel("#i"), TargetReference = sel("/keep/leaf") } }
    end
    if implemented(ctx, "AttachTypedLink") then
      ops[#ops + 1] = { AttachTypedLink = { SourceObjectReference = sel("#p"), TargetObjectReference = sel("#q"),
        TypedLinkFacet = friend(ctx), Attributes = { { AttributeName = "since", Value = S("2020") } } } }
    end
    if implemented(ctx, "AttachPolicy") then
      ops[#ops + 1] = create(ctx, "Rule", { policy_type = S("acl"), policy_document = { BinaryValue = "{}" } },
                             nil, nil, "pol")
      ops[#ops + 1] = { AttachPolicy = { PolicyReference = sel("#pol"), ObjectReference = sel("/keep") } }
    end
    return ops
  end

  -- Operations that fail wherever they stand, with the exception they raise.
  local function failing(ctx)
    return {
      { delete("/nope"), "ResourceNotFoundException" },
      { create(ctx, "Person", { age = { NumberValue = "1" } }), "FacetValidationException" },   -- no name
      { create(ctx, "Group", nil, "/", "fixed"), "LinkNameAlreadyInUseException" },
      { delete("/keep"), "ObjectNotDetachedException" },
      { attach("/keep/leaf", "/fixed", "x"), "NotNodeException" },
    }
  end

  it("write nothing, whichever operation of a mixed batch fails", function()
    local ctx = setup()
    populate(ctx)
    local ops, bad = mixed(ctx), failing(ctx)
    local before = F.dump(ctx.path)
    local seen = {}
    for pos = 0, #ops do
      local f = bad[pos % #bad + 1]
      local batch = {}
      for i = 1, pos do batch[i] = ops[i] end
      batch[pos + 1] = f[1]
      for i = pos + 1, #ops do batch[#batch + 1] = ops[i] end
      local e = write_error(ctx, batch)
      assert.is_not_nil(e, "position " .. pos)
      assert.equal("BatchWriteException", e.code)
      assert.equal(pos, e.index, e.message)
      if e.type ~= f[2] and f[2] == "NotNodeException" then
        -- the model lets an implementation pick InvalidAttachmentException for a leaf parent
        assert.equal("InvalidAttachmentException", e.type)
      else
        assert.equal(f[2], e.type, "position " .. pos .. ": " .. e.message)
      end
      assert.matches("^Operation " .. pos .. " " .. e.type .. ": ", e.message)
      assert.equal(before, F.dump(ctx.path), "position " .. pos .. " left changes behind")
      seen[e.type] = true
    end
    -- the same handle reads the old state (no cache kept anything of the aborted batches)
    assert.is_nil(F.children(ctx, "/").g)
    assert.same(S("t0"), F.values(ctx, "/fixed")["Group.title"])
    -- and the batch itself is valid
    local r = write(ctx, ops)
    assert.equal(#ops, #r.Responses)
    assert.not_equal(before, F.dump(ctx.path))
    assert.same(S("t1"), F.values(ctx, "/fixed")["Group.title"])
    assert.is_nil(F.children(ctx, "/").old)
  end)

  it("report an operation that is valid alone but not after the earlier ones", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    local e = write_error(ctx, {
      create(ctx, "Group", nil, "/", "x"),
      create(ctx, "Person", { name = S("a") }, "/", "y"),
      create(ctx, "Group", nil, "/", "x"),
    })
    assert.equal(2, e.index)
    assert.equal("LinkNameAlreadyInUseException", e.type)
    assert.equal(before, F.dump(ctx.path))
  end)

  it("report a facet its schema does not have as FacetValidationException", function()
    -- the model's BatchWriteExceptionType has no FacetNotFoundException (write_error checks
    -- every type against it)
    local ctx = setup()
    write(ctx, { create(ctx, "Person", { name = S("a") }, "/", "a") })
    local before = F.dump(ctx.path)
    local nope = F.sf(ctx, "Nope")
    local cases = {
      create(ctx, { nope }),
      { CreateObject = { SchemaFacet = { F.sf(ctx, "Person") }, ObjectAttributeList = {
          { Key = F.key(ctx, "Person", "name"), Value = S("b") },
          { Key = F.key(ctx, "Nope", "x"), Value = S("1") } } } },
      { AddFacetToObject = { SchemaFacet = nope, ObjectReference = sel("/a"), ObjectAttributeList = {} } },
      { RemoveFacetFromObject = { SchemaFacet = nope, ObjectReference = sel("/a") } },
      update(ctx, "/a", "Nope", { x = S("1") }),
    }
    for i, op in ipairs(cases) do
      local e = write_error(ctx, { create(ctx, "Group", nil, "/", "g"), op })
      assert.equal(1, e.index, i)
      assert.equal("FacetValidationException", e.type, i)
      assert.matches("Nope", e.message, 1, true)
    end
    assert.equal(before, F.dump(ctx.path))
  end)

  it("report shape errors inside items before anything runs", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    -- two kinds in one entry, an unknown kind, a missing required member
    for _, bad in ipairs{
      { CreateObject = create(ctx, "Group").CreateObject, DeleteObject = { ObjectReference = sel("/") } },
      { Frobnicate = {} },
      { AttachObject = { ParentReference = sel("/"), LinkName = "x" } },
    } do
      local e = helper.expect_error("ValidationException", write, ctx,
                                    { create(ctx, "Group", nil, "/", "g"), bad })
      assert.is_nil(e.index)
    end
    assert.equal(before, F.dump(ctx.path))
  end)

  it("raise request-level errors as themselves", function()
    local ctx = setup()
    local arn = ctx.dir:gsub("directory/.*$", "directory/AfMr4qym1kZTvwqOafAYfqI")
    helper.expect_error("ResourceNotFoundException", ctx.cd.BatchWrite, ctx.cd,
                        { DirectoryArn = arn, Operations = {} })
    helper.expect_error("ResourceNotFoundException", ctx.cd.BatchRead, ctx.cd,
                        { DirectoryArn = arn, Operations = {} })
    ctx.cd:DisableDirectory{ DirectoryArn = ctx.dir }
    helper.expect_error("DirectoryNotEnabledException", write, ctx, { create(ctx, "Group", nil, "/", "g") })
    helper.expect_error("DirectoryNotEnabledException", write, ctx, {})
    helper.expect_error("DirectoryNotEnabledException", read, ctx,
                        { { GetObjectInformation = { ObjectReference = sel("/") } } })
  end)
end)

describe("BatchWrite limits", function()
  after_each(F.cleanup)

  local function creates(ctx, n)
    local ops = {}
    for i = 1, n do ops[i] = create(ctx, "Group", nil, "/", "g" .. i) end
    return ops
  end

  it("cap written objects at 20 per call under limits = \"aws\"", function()
    local ctx = setup()
    local before = F.dump(ctx.path)
    -- 20 new objects plus the root they hang under: 21 written objects
    local e = helper.expect_error("LimitExceededException", write, ctx, creates(ctx, 20))
    assert.matches("20", e.message, 1, true)
    assert.equal(before, F.dump(ctx.path))
    assert.equal(19, #write(ctx, creates(ctx, 19)).Responses)
    -- an object written by several operations counts once
    F.node(ctx, "/", "n")
    local ops = {}
    for i = 1, 30 do ops[i] = update(ctx, "/n", "Group", { title = S("v" .. i) }) end
    assert.equal(30, #write(ctx, ops).Responses)
  end)

  it("cap written attribute values at 1,000 per call under limits = \"aws\"", function()
    local ctx = setup()
    F.create(ctx, { "Group", "Extra" }, nil, "/", "n")
    local function ops(k)
      local list = {}
      for i = 1, k do
        local values = {}
        for j = 1, 100 do values["a" .. j] = S(tostring(i)) end
        list[i] = update(ctx, "/n", "Extra", values)
      end
      return list
    end
    local before = F.dump(ctx.path)
    helper.expect_error("LimitExceededException", write, ctx, ops(11))
    assert.equal(before, F.dump(ctx.path))
    assert.equal(10, #write(ctx, ops(10)).Responses)
  end)

  it("cap read objects at 200 per call under limits = \"aws\", counting each link a path follows", function()
    local ctx = setup()
    -- /d1/d2/.../d10: every update below follows 10 links to one object (written once)
    local path = ""
    for i = 1, 10 do
      F.node(ctx, path == "" and "/" or path, "d" .. i)
      path = path .. "/d" .. i
    end
    local id = ctx.cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = sel(path) }.ObjectIdentifier
    local function ops(n, selector)
      local list = {}
      for i = 1, n do list[i] = update(ctx, selector, "Group", { title = S("v" .. i) }) end
      return list
    end
    local before = F.dump(ctx.path)
    assert.equal(20, #write(ctx, ops(20, path)).Responses)          -- 200 objects read
    before = F.dump(ctx.path)
    local e = helper.expect_error("LimitExceededException", write, ctx, ops(21, path))
    assert.matches("200", e.message, 1, true)
    assert.matches("operation 20", e.message, 1, true)
    assert.equal(before, F.dump(ctx.path))
    -- by id each update reads one object
    assert.equal(200, #write(ctx, ops(200, "$" .. id)).Responses)
    helper.expect_error("LimitExceededException", write, ctx, ops(201, "$" .. id))
    -- both references of a typed link count: 10 + 9 links followed per operation
    local parent = path:gsub("/d10$", "")
    local function links(n)
      local list = {}
      for i = 1, n do
        list[i] = { AttachTypedLink = { SourceObjectReference = sel(path),
          TargetObjectReference = sel(parent), TypedLinkFacet = friend(ctx),
          Attributes = { { AttributeName = "since", Value = S("y" .. i) } } } }
      end
      return list
    end
    before = F.dump(ctx.path)
    e = helper.expect_error("LimitExceededException", write, ctx, links(11))   -- 209
    assert.matches("operation 10", e.message, 1, true)
    assert.equal(before, F.dump(ctx.path))
    assert.equal(10, #write(ctx, links(10)).Responses)                           -- 190
  end)

  it("lifts the caps under limits = \"none\"", function()
    local ctx = setup{ limits = "none" }
    assert.equal(50, #write(ctx, creates(ctx, 50)).Responses)
    local ops = {}
    for i = 1, 300 do ops[i] = update(ctx, "/g1", "Group", { title = S("v" .. i) }) end
    assert.equal(300, #write(ctx, ops).Responses)
  end)

  it("runs again whole when the map fills in the middle of a batch", function()
    local ctx = setup{ map_size = 256 * 1024, limits = "none", sync = false }
    local ops = { create(ctx, "Group", nil, "/", "bulk", "bulk") }
    for i = 1, 3000 do
      ops[#ops + 1] = create(ctx, "Person", { name = S("p"), text = S(("x"):rep(200)) },
                             "#bulk", "p" .. i, "p" .. i)
    end
    ops[#ops + 1] = attach("/", "#p3000", "last")
    local r = write(ctx, ops)
    assert.equal(3002, #r.Responses)
    assert.same({ AttachObject = { attachedObjectIdentifier = r.Responses[3001].CreateObject.ObjectIdentifier } },
                r.Responses[3002])
    local n = 0
    for _ in pairs(F.children(ctx, "/bulk", 1000)) do n = n + 1 end
    assert.equal(3000, n)
  end)

  it("runs a batch of 100,000 operations under limits = \"none\"", function()
    local ctx = setup{ limits = "none", sync = false }
    local ops = { create(ctx, "Group", nil, "/", "bulk", "bulk") }
    local sf = { F.sf(ctx, "Person") }
    for i = 1, 99999 do
      ops[#ops + 1] = { CreateObject = { SchemaFacet = sf,
        ObjectAttributeList = { { Key = F.key(ctx, "Person", "name"), Value = S("p" .. (i % 1000)) } },
        ParentReference = { Selector = "#bulk" }, LinkName = "p" .. i } }
    end
    local r = write(ctx, ops)
    assert.equal(100000, #r.Responses)
    local info = ctx.cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = sel("/bulk/p99999") }
    assert.equal(r.Responses[100000].CreateObject.ObjectIdentifier, info.ObjectIdentifier)
  end)
end)

describe("BatchRead", function()
  after_each(F.cleanup)

  it("answers an empty batch with an empty response list", function()
    local ctx = setup()
    assert.same({ Responses = {} }, read(ctx, {}))
  end)

  it("answers a facet its schema does not have with a FacetValidationException item", function()
    -- the model's BatchReadExceptionType has no FacetNotFoundException (read checks every
    -- item's type against it)
    local ctx = setup()
    F.person(ctx, "ann", "/", "ann")
    local nope = F.sf(ctx, "Nope")
    local r = read(ctx, {
      { ListObjectAttributes = { ObjectReference = sel("/ann"), FacetFilter = nope } },
      { GetObjectAttributes = { ObjectReference = sel("/ann"), SchemaFacet = nope, AttributeNames = { "x" } } },
      { GetObjectInformation = { ObjectReference = sel("/ann") } },
    })
    for i = 1, 2 do
      assert.equal("FacetValidationException", r.Responses[i].ExceptionResponse.Type)
      assert.matches("Nope", r.Responses[i].ExceptionResponse.Message, 1, true)
    end
    assert.is_table(r.Responses[3].SuccessfulResponse)
  end)

  it("answers each item on its own: a missing object fails only its item", function()
    local ctx = setup()
    local g = F.node(ctx, "/", "g")
    local p = F.person(ctx, "ann", "/g", "ann")
    local r = read(ctx, {
      { GetObjectInformation = { ObjectReference = sel("/g") } },
      { GetObjectInformation = { ObjectReference = sel("/missing") } },
      { ListObjectChildren = { ObjectReference = sel("/g") } },
      { ListObjectChildren = { ObjectReference = sel("/g/ann") } },
      { GetObjectAttributes = { ObjectReference = sel("/g/ann"), SchemaFacet = F.sf(ctx, "Person"),
                                AttributeNames = { "name" } } },
      { ListObjectParents = { ObjectReference = sel("/g/ann") } },
      { ListObjectParents = { ObjectReference = sel("/") } },
    })
    local R = r.Responses
    assert.equal(7, #R)
    assert.equal(g, R[1].SuccessfulResponse.GetObjectInformation.ObjectIdentifier)
    assert.is_nil(R[1].ExceptionResponse)
    assert.equal("ResourceNotFoundException", R[2].ExceptionResponse.Type)
    assert.matches("missing", R[2].ExceptionResponse.Message, 1, true)
    assert.is_nil(R[2].SuccessfulResponse)
    assert.same({ ann = p }, R[3].SuccessfulResponse.ListObjectChildren.Children)
    assert.equal("NotNodeException", R[4].ExceptionResponse.Type)
    assert.same(S("ann"), R[5].SuccessfulResponse.GetObjectAttributes.Attributes[1].Value)
    -- ListObjectParents in a batch answers ParentLinks only
    assert.same({ ParentLinks = { { ObjectIdentifier = g, LinkName = "ann" } } },
                R[6].SuccessfulResponse.ListObjectParents)
    assert.equal("CannotListParentOfRootException", R[7].ExceptionResponse.Type)
  end)

  it("answers every read kind as its single operation does", function()
    local ctx = setup()
    F.node(ctx, "/", "g")
    F.person(ctx, "ann", "/g", "ann")
    F.person(ctx, "bob", "/g", "bob")
    local tls = spec(ctx, "/g/ann", "/g/bob", "2020")
    local items = {
      ListObjectAttributes = { ObjectReference = sel("/g/ann"), MaxResults = 2 },
      ListObjectChildren = { ObjectReference = sel("/g"), MaxResults = 1 },
      ListAttachedIndices = { TargetReference = sel("/g/ann") },
      ListObjectParentPaths = { ObjectReference = sel("/g/ann") },
      GetObjectInformation = { ObjectReference = sel("/g/ann") },
      GetObjectAttributes = { ObjectReference = sel("/g/ann"), SchemaFacet = F.sf(ctx, "Person"),
                              AttributeNames = { "name", "status" } },
      ListObjectParents = { ObjectReference = sel("/g/bob") },
      ListObjectPolicies = { ObjectReference = sel("/g") },
      ListPolicyAttachments = { PolicyReference = sel("/g") },
      LookupPolicy = { ObjectReference = sel("/g/ann") },
      ListIndex = { IndexReference = sel("/g") },
      ListOutgoingTypedLinks = { ObjectReference = sel("/g/ann") },
      ListIncomingTypedLinks = { ObjectReference = sel("/g/bob") },
      GetLinkAttributes = { TypedLinkSpecifier = tls, AttributeNames = { "note" } },
    }
    local names, ops = {}, {}
    for k in pairs(items) do names[#names + 1] = k end
    table.sort(names)
    assert.equal(14, #names)
    for i, k in ipairs(names) do ops[i] = { [k] = items[k] } end
    local r = read(ctx, ops)
    for i, k in ipairs(names) do
      local req = { DirectoryArn = ctx.dir }
      for m, v in pairs(items[k]) do req[m] = v end
      if k == "ListObjectParents" then req.IncludeAllLinksToEachParent = true end
      local ok, single = pcall(ctx.cd.call, ctx.cd, k, req)
      local item = r.Responses[i]
      if ok then
        if k == "ListObjectParents" then single.Parents = nil end
        assert.same({ SuccessfulResponse = { [k] = single } }, item, k)
      else
        assert.is_nil(item.SuccessfulResponse, k)
        assert.equal(single.code, item.ExceptionResponse.Type, k)
        assert.equal(single.message, item.ExceptionResponse.Message, k)
      end
    end
  end)

  it("reads one snapshot that includes the handle's earlier batch writes", function()
    local ctx = setup()
    write(ctx, { create(ctx, "Group", nil, "/", "g") })
    local r = read(ctx, { { ListObjectChildren = { ObjectReference = sel("/") } } })
    assert.is_string(r.Responses[1].SuccessfulResponse.ListObjectChildren.Children.g)
  end)
end)
