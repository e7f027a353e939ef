-- Indexes (semantics §6, §4.5-§4.7, §6.4 ranges): CreateIndex, AttachToIndex, DetachFromIndex,
-- ListIndex, ListAttachedIndices, and index upkeep when attached objects change.
local F = require "data_fixtures"

describe("indexes", function()
  local ctx, cd

  before_each(function()
    ctx = F.setup()
    cd = ctx.cd
  end)
  after_each(F.cleanup)

  -- {==================================================== helpers

  local function create_index(facet, name, unique, parent, link, schema)
    return cd:CreateIndex{
      DirectoryArn = ctx.dir, IsUnique = unique or false,
      OrderedIndexedAttributeList = { F.key(ctx, facet, name, schema) },
      ParentReference = parent and F.sel(parent) or nil, LinkName = link,
    }.ObjectIdentifier
  end

  local function facets_index(unique)
    return cd:CreateIndex{
      DirectoryArn = ctx.dir, IsUnique = unique or false,
      OrderedIndexedAttributeList = { { SchemaArn = ctx.base, FacetName = "facets",
                                        Name = "facets" } },
    }.ObjectIdentifier
  end

  local function attach(index, target)
    return cd:AttachToIndex{ DirectoryArn = ctx.dir, IndexReference = F.id(index),
                             TargetReference = F.id(target) }
  end

  local function detach(index, target)
    return cd:DetachFromIndex{ DirectoryArn = ctx.dir, IndexReference = F.id(index),
                               TargetReference = F.id(target) }
  end

  -- A Person leaf with values { attr = TypedAttributeValue } (name defaults to "p").
  local function person(values)
    local v = { name = { StringValue = "p" } }
    for k, x in pairs(values or {}) do v[k] = x end
    return F.create(ctx, "Person", v)
  end

  local function list(index, range, n, token, key)
    local ranges
    if range then
      ranges = { { AttributeKey = key, Range = range } }
    end
    return cd:ListIndex{ DirectoryArn = ctx.dir, IndexReference = F.id(index),
                         RangesOnIndexedValues = ranges, MaxResults = n, NextToken = token }
  end

  -- Every entry of a ListIndex, paging with page size n: list of { id, value }.
  local function entries(index, range, n, key)
    local out, token = {}, nil
    repeat
      local r = list(index, range, n or 30, token, key)
      for _, a in ipairs(r.IndexAttachments) do
        assert.equal(1, #a.IndexedAttributes)
        out[#out + 1] = { id = a.ObjectIdentifier, value = a.IndexedAttributes[1].Value,
                          key = a.IndexedAttributes[1].Key }
      end
      token = r.NextToken
    until not token
    return out
  end

  -- The ids of the entries, in order.
  local function ids(index, range, n)
    local out = {}
    for i, e in ipairs(entries(index, range, n)) do out[i] = e.id end
    return out
  end

  local function range(smode, svalue, emode, evalue)
    return { StartMode = smode, StartValue = svalue, EndMode = emode, EndValue = evalue }
  end

  local function update(id, name, value)
    cd:UpdateObjectAttributes{
      DirectoryArn = ctx.dir, ObjectReference = F.id(id),
      AttributeUpdates = { {
        ObjectAttributeKey = F.key(ctx, "Person", name),
        ObjectAttributeAction = value
          and { ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = value }
          or { ObjectAttributeActionType = "DELETE" },
      } },
    }
  end

  -- }====================================================

  describe("CreateIndex", function()
    it("creates an index object with its built-in attributes", function()
      local idx = create_index("Person", "text", true)
      assert.equal(46, #idx)
      local info = cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = F.id(idx) }
      assert.same({ { SchemaArn = ctx.base, FacetName = "INDEX" } }, info.SchemaFacets)
      local got = cd:GetObjectAttributes{
        DirectoryArn = ctx.dir, ObjectReference = F.id(idx),
        SchemaFacet = { SchemaArn = ctx.base, FacetName = "INDEX" },
        AttributeNames = { "index_is_unique", "ordered_indexed_attributes" } }.Attributes
      assert.equal(2, #got)
      assert.same({ BooleanValue = true }, got[1].Value)
      assert.same({ StringValue = ctx.schema .. "*Person*text" }, got[2].Value)
      local all = cd:ListObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(idx) }
      assert.equal(2, #all.Attributes)
      assert.equal(ctx.base, all.Attributes[1].Key.SchemaArn)
      -- the definition cannot change
      F.expect_error("FacetValidationException", cd.UpdateObjectAttributes, cd, {
        DirectoryArn = ctx.dir, ObjectReference = F.id(idx),
        AttributeUpdates = { { ObjectAttributeKey = { SchemaArn = ctx.base, FacetName = "INDEX",
                                                      Name = "index_is_unique" },
                               ObjectAttributeAction = {
                                 ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                 ObjectAttributeUpdateValue = { BooleanValue = false } } } } })
    end)

    it("attaches the index under a parent; it is reachable by path but has no children", function()
      F.node(ctx, "/", "g")
      local idx = create_index("Person", "text", false, "/g", "byText")
      local r = cd:GetObjectInformation{ DirectoryArn = ctx.dir,
                                         ObjectReference = F.sel("/g/byText") }
      assert.equal(idx, r.ObjectIdentifier)
      assert.same({ byText = idx }, F.children(ctx, "/g"))
      F.expect_error("NotNodeException", cd.ListObjectChildren, cd,
                     { DirectoryArn = ctx.dir, ObjectReference = F.sel("/g/byText") })
      F.expect_error("LinkNameAlreadyInUseException", create_index, "Person", "text", false,
                     "/g", "byText")
      -- an index cannot have children (CreateObject lists no InvalidAttachmentException)
      F.expect_error("ValidationException", F.node, ctx, "/g/byText", "x")
    end)

    it("refuses unsupported definitions", function()
      local function with(list)
        return cd:CreateIndex{ DirectoryArn = ctx.dir, IsUnique = false,
                               OrderedIndexedAttributeList = list }
      end
      F.expect_error("UnsupportedIndexTypeException", with, {})
      F.expect_error("UnsupportedIndexTypeException", with,
                     { F.key(ctx, "Person", "text"), F.key(ctx, "Person", "age") })
      local e = F.expect_error("UnsupportedIndexTypeException", with,
                               { F.key(ctx, "Employee", "person_name") })
      assert.matches("reference", e.message)
      F.expect_error("FacetValidationException", with, { F.key(ctx, "Nope", "text") })
      F.expect_error("FacetValidationException", with, { F.key(ctx, "Person", "nope") })
      F.expect_error("ValidationException", cd.CreateIndex, cd, {
        DirectoryArn = ctx.dir, IsUnique = false, ParentReference = F.sel("/"),
        OrderedIndexedAttributeList = { F.key(ctx, "Person", "text") } })
      F.expect_error("ValidationException", cd.CreateIndex, cd, {
        DirectoryArn = ctx.dir, IsUnique = false, LinkName = "x",
        OrderedIndexedAttributeList = { F.key(ctx, "Person", "text") } })
      local leaf = person()
      local e = F.expect_error("ValidationException", create_index, "Person", "text", false,
                               "$" .. leaf, "x")
      assert.matches("only NODE objects have children", e.message, 1, true)
      F.expect_error("ResourceNotFoundException", create_index, "Person", "text", false,
                     "/nowhere", "x")
    end)
  end)

  describe("AttachToIndex and ListIndex", function()
    it("lists attached objects in value order with their verbatim values", function()
      local idx = create_index("Person", "text")
      local b = person{ text = { StringValue = "bob" } }
      local a = person{ text = { StringValue = "alice" } }
      local c = person{ text = { StringValue = "carol" } }
      for _, id in ipairs{ b, a, c } do
        local r = attach(idx, id)
        assert.same({ AttachedObjectIdentifier = id }, r)
      end
      local got = list(idx)
      assert.is_nil(got.NextToken)
      assert.equal(3, #got.IndexAttachments)
      assert.same({ IndexedAttributes = { { Key = F.key(ctx, "Person", "text"),
                                            Value = { StringValue = "alice" } } },
                    ObjectIdentifier = a }, got.IndexAttachments[1])
      assert.same({ a, b, c }, ids(idx))
    end)

    it("keeps NUMBER values as written while ordering them numerically", function()
      local idx = create_index("Person", "big")
      local objs = {}
      for _, v in ipairs{ "10", "1e3", "9", "-2", "10.5", "0.0", "10.50" } do
        objs[v] = person{ big = { NumberValue = v } }
        attach(idx, objs[v])
      end
      local got = entries(idx)
      local values = {}
      for i, e in ipairs(got) do values[i] = e.value.NumberValue end
      -- 10.5 and 10.50 are equal numbers: their order is by object
      assert.same({ "-2", "0.0", "9", "10", "10.5", "10.50", "1e3" }, values)
      local r = ids(idx, range("INCLUSIVE", { NumberValue = "10.5" }, "INCLUSIVE",
                               { NumberValue = "10.5" }))
      assert.same({ objs["10.5"], objs["10.50"] }, r)
      r = ids(idx, range("EXCLUSIVE", { NumberValue = "9" }, "EXCLUSIVE", { NumberValue = "1000" }))
      assert.same({ objs["10"], objs["10.5"], objs["10.50"] }, r)
      r = ids(idx, range("FIRST", nil, "INCLUSIVE", { NumberValue = "0" }))
      assert.same({ objs["-2"], objs["0.0"] }, r)
      r = ids(idx, range("INCLUSIVE", { NumberValue = "1E3" }, "LAST"))
      assert.same({ objs["1e3"] }, r)
    end)

    it("orders STRING by bytes and supports the prefix idiom", function()
      local idx = create_index("Person", "text")
      local o = {}
      for _, v in ipairs{ "Jo", "John", "Joan", "Jp", "Jz", "J", "jo", "Jo\0x", "Jöhn" } do
        o[v] = person{ text = { StringValue = v } }
        attach(idx, o[v])
      end
      local values = {}
      for i, e in ipairs(entries(idx)) do values[i] = e.value.StringValue end
      assert.same({ "J", "Jo", "Jo\0x", "Joan", "John", "Jp", "Jz", "Jöhn", "jo" }, values)
      local r = ids(idx, range("INCLUSIVE", { StringValue = "Jo" }, "EXCLUSIVE", { StringValue = "Jp" }))
      assert.same({ o["Jo"], o["Jo\0x"], o["Joan"], o["John"] }, r)
      r = ids(idx, range("EXCLUSIVE", { StringValue = "Jo" }, "INCLUSIVE", { StringValue = "Jp" }))
      assert.same({ o["Jo\0x"], o["Joan"], o["John"], o["Jp"] }, r)
      r = ids(idx, range("EXCLUSIVE", { StringValue = "Jz" }, "EXCLUSIVE", { StringValue = "j" }))
      assert.same({ o["Jöhn"] }, r)
      assert.same({}, ids(idx, range("EXCLUSIVE", { StringValue = "jo" }, "LAST")))
      assert.same({}, ids(idx, range("FIRST", nil, "FIRST")))
      assert.same({}, ids(idx, range("LAST", nil, "LAST")))
    end)

    it("orders BOOLEAN, DATETIME and BINARY values", function()
      local bi = create_index("Person", "active")
      local di = create_index("Person", "born")
      local xi = create_index("Person", "blob")
      local t = create_index("Person", "anything")   -- VARIANT: type order first
      local p1 = person{ active = { BooleanValue = true }, born = { DatetimeValue = 1000 },
                         blob = { BinaryValue = "\1\2" }, anything = { NumberValue = "5" } }
      local p2 = person{ active = { BooleanValue = false }, born = { DatetimeValue = -50.5 },
                         blob = { BinaryValue = "\1" }, anything = { StringValue = "zz" } }
      local p3 = person{ active = { BooleanValue = true }, born = { DatetimeValue = 1000.25 },
                         blob = { BinaryValue = "\255" }, anything = { BooleanValue = false } }
      for _, i in ipairs{ bi, di, xi, t } do
        for _, p in ipairs{ p1, p2, p3 } do attach(i, p) end
      end
      assert.same({ p2, p1, p3 }, ids(bi))
      assert.same({ p1, p3 }, ids(bi, range("INCLUSIVE", { BooleanValue = true }, "LAST")))
      assert.same({ p2 }, ids(bi, range("FIRST", nil, "EXCLUSIVE", { BooleanValue = true })))
      assert.same({ p2, p1, p3 }, ids(di))
      local e = entries(di)
      assert.equal(-50.5, e[1].value.DatetimeValue)
      assert.equal(1000.25, e[3].value.DatetimeValue)
      assert.same({ p1 }, ids(di, range("EXCLUSIVE", { DatetimeValue = 0 }, "EXCLUSIVE",
                                        { DatetimeValue = 1000.25 })))
      assert.same({ p2, p1, p3 }, ids(xi))
      assert.same({ p2, p1 }, ids(xi, range("INCLUSIVE", { BinaryValue = "\1" }, "EXCLUSIVE",
                                            { BinaryValue = "\2" })))
      assert.same({ p2, p3, p1 }, ids(t))   -- STRING < BOOLEAN < NUMBER
      assert.same({ p3 }, ids(t, range("INCLUSIVE", { BooleanValue = false }, "INCLUSIVE",
                                        { BooleanValue = true })))
    end)

    it("lists missing values after present ones, with an empty Value", function()
      local idx = create_index("Person", "text")
      local none = person()
      local a = person{ text = { StringValue = "a" } }
      attach(idx, none)
      attach(idx, a)
      local e = entries(idx)
      assert.equal(a, e[1].id)
      assert.equal(none, e[2].id)
      assert.same({}, e[2].value)
      assert.same({ none }, ids(idx, range("LAST_BEFORE_MISSING_VALUES", nil, "LAST")))
      assert.same({ a }, ids(idx, range("FIRST", nil, "LAST_BEFORE_MISSING_VALUES")))
      assert.same({ a }, ids(idx, range("INCLUSIVE", { StringValue = "a" },
                                        "LAST_BEFORE_MISSING_VALUES")))
      assert.same({}, ids(idx, range("LAST_BEFORE_MISSING_VALUES", nil,
                                     "LAST_BEFORE_MISSING_VALUES")))
      assert.same({ a, none }, ids(idx, range("EXCLUSIVE", { StringValue = "" }, "LAST")))
    end)

    it("validates ranges", function()
      local idx = create_index("Person", "text")
      attach(idx, person{ text = { StringValue = "D" } })
      local D = { StringValue = "D" }
      F.expect_error("ValidationException", list, idx, range("EXCLUSIVE", D, "INCLUSIVE", D))
      F.expect_error("ValidationException", list, idx, range("INCLUSIVE", D, "EXCLUSIVE", D))
      F.expect_error("ValidationException", list, idx,
                     range("INCLUSIVE", { StringValue = "E" }, "INCLUSIVE", D))
      F.expect_error("ValidationException", list, idx, range("LAST", nil, "FIRST"))
      F.expect_error("ValidationException", list, idx,
                     range("LAST", nil, "LAST_BEFORE_MISSING_VALUES"))
      F.expect_error("ValidationException", list, idx, range("INCLUSIVE", { NumberValue = "1" },
                                                             "LAST"))
      F.expect_error("ValidationException", list, idx, range("INCLUSIVE", nil, "LAST"))
      F.expect_error("ValidationException", list, idx, range("FIRST", nil, "EXCLUSIVE"))
      -- only the indexed attribute; at most one range
      F.expect_error("FacetValidationException", list, idx, range("FIRST", nil, "LAST"), nil, nil,
                     F.key(ctx, "Person", "name"))
      assert.equal(1, #list(idx, range("FIRST", nil, "LAST"), nil, nil,
                            F.key(ctx, "Person", "text")).IndexAttachments)
      F.expect_error("ValidationException", cd.ListIndex, cd, {
        DirectoryArn = ctx.dir, IndexReference = F.id(idx),
        RangesOnIndexedValues = { { Range = range("FIRST", nil, "LAST") },
                                  { Range = range("FIRST", nil, "LAST") } } })
      -- a required attribute has no missing slot: LAST_BEFORE_MISSING_VALUES is LAST
      local ni = create_index("Person", "name")
      local p = person()
      attach(ni, p)
      assert.same({ p }, ids(ni, range("FIRST", nil, "LAST_BEFORE_MISSING_VALUES")))
      assert.same({}, ids(ni, range("LAST", nil, "LAST_BEFORE_MISSING_VALUES")))
    end)

    it("ignores a value given with FIRST, LAST or LAST_BEFORE_MISSING_VALUES (§6.4)", function()
      -- such a mode needs no value; one given anyway (as clients that fill both do) has no
      -- role, so it is not read: not against the other end, not even for its type
      local idx = create_index("Person", "text")
      local none = person()
      local d = person{ text = { StringValue = "D" } }
      attach(idx, none)
      attach(idx, d)
      local D, Z = { StringValue = "D" }, { StringValue = "Z" }
      local N, B = { NumberValue = "1" }, { BooleanValue = true }
      assert.same({ d, none }, ids(idx, range("FIRST", Z, "LAST", D)))
      assert.same({ d }, ids(idx, range("FIRST", N, "LAST_BEFORE_MISSING_VALUES", B)))
      assert.same({ none }, ids(idx, range("LAST_BEFORE_MISSING_VALUES", D, "LAST", N)))
      assert.same({ d, none }, ids(idx, range("INCLUSIVE", D, "LAST", { StringValue = "A" })))
      assert.same({ d }, ids(idx, range("FIRST", Z, "INCLUSIVE", D)))
      assert.same({}, ids(idx, range("FIRST", D, "FIRST", D)))
      -- the modes still decide: an inverted range stays an error whatever the values
      F.expect_error("ValidationException", list, idx, range("LAST", { StringValue = "A" },
                                                             "FIRST", Z))
      -- INCLUSIVE and EXCLUSIVE still need their value
      F.expect_error("ValidationException", list, idx, range("INCLUSIVE", nil, "LAST", D))
      F.expect_error("ValidationException", list, idx, range("FIRST", D, "EXCLUSIVE", nil))
      -- on a required attribute too (where LAST_BEFORE_MISSING_VALUES is LAST)
      local ni = create_index("Person", "name")
      attach(ni, d)
      assert.same({ d }, ids(ni, range("FIRST", N, "LAST_BEFORE_MISSING_VALUES", N)))
    end)

    it("raises the documented errors", function()
      local idx = create_index("Person", "text")
      local p = person{ text = { StringValue = "x" } }
      local g = F.node(ctx, "/", "g")
      F.expect_error("NotIndexException", attach, g, p)
      F.expect_error("NotIndexException", list, g)
      F.expect_error("NotIndexException", detach, g, p)
      F.expect_error("IndexedAttributeMissingException", attach, idx, g)
      F.expect_error("ResourceNotFoundException", cd.AttachToIndex, cd, {
        DirectoryArn = ctx.dir, IndexReference = F.id(idx), TargetReference = F.sel("/nope") })
      attach(idx, p)
      F.expect_error("LinkNameAlreadyInUseException", attach, idx, p)
      -- indexes and policies cannot be indexed
      local other = create_index("Person", "text")
      F.expect_error("InvalidAttachmentException", attach, idx, other)
      local pol = F.create(ctx, "Rule", {
        { Key = F.key(ctx, "Rule", "policy_type"), Value = { StringValue = "t" } },
        { Key = F.key(ctx, "Rule", "policy_document"), Value = { BinaryValue = "{}" } } })
      F.expect_error("InvalidAttachmentException", attach, idx, pol)
      F.expect_error("ObjectAlreadyDetachedException", detach, other, p)
      F.expect_error("InvalidNextTokenException", list, idx, nil, 1, "garbage")
    end)

    it("accepts an object whose facet only references the indexed attribute", function()
      local idx = create_index("Person", "name")
      local emp = F.create(ctx, "Employee", { badge = { StringValue = "b1" },
                                              person_name = { StringValue = "ann" } })
      attach(idx, emp)
      local e = entries(idx)
      assert.same({ StringValue = "ann" }, e[1].value)
      -- but not one without the facet: Employee does not carry Person.text
      local ti = create_index("Person", "text")
      F.expect_error("IndexedAttributeMissingException", attach, ti, emp)
    end)
  end)

  describe("unique indexes", function()
    it("refuse a second object with the same value and change nothing", function()
      local idx = create_index("Person", "big", true)
      local a = person{ big = { NumberValue = "1" } }
      local b = person{ big = { NumberValue = "1.0" } }   -- the same number
      local m1, m2 = person(), person()
      attach(idx, a)
      attach(idx, m1)
      attach(idx, m2)   -- missing values never clash
      local before = F.dump(ctx.path)
      local e = F.expect_error("LinkNameAlreadyInUseException", attach, idx, b)
      assert.matches("unique", e.message)
      assert.equal(before, F.dump(ctx.path))
      update(b, "big", { NumberValue = "2" })
      attach(idx, b)
      -- an update that would duplicate a value is refused as a whole
      before = F.dump(ctx.path)
      F.expect_error("LinkNameAlreadyInUseException", update, b, "big", { NumberValue = "1e0" })
      assert.equal(before, F.dump(ctx.path))
      -- rewriting one's own value in another spelling is fine, and shown as written
      update(a, "big", { NumberValue = "1.00" })
      assert.same({ NumberValue = "1.00" }, entries(idx)[1].value)
      -- a value given up can be taken
      update(a, "big", nil)
      update(b, "big", { NumberValue = "1" })
      local values = {}
      for i, x in ipairs(entries(idx)) do values[i] = x.value.NumberValue or "missing" end
      assert.same({ "1", "missing", "missing", "missing" }, values)
    end)

    it("name the request member that brought a clashing value", function()
      local idx = create_index("Person", "text", true)
      local a = person{ text = { StringValue = "x" } }
      local o = F.create(ctx, { "Person", "Employee" }, {
        { Key = F.key(ctx, "Person", "name"), Value = { StringValue = "zed" } },
        { Key = F.key(ctx, "Employee", "badge"), Value = { StringValue = "b" } } })
      attach(idx, a)
      attach(idx, o)
      cd:RemoveFacetFromObject{ DirectoryArn = ctx.dir, ObjectReference = F.id(o),
                                SchemaFacet = F.sf(ctx, "Person") }
      local before = F.dump(ctx.path)
      -- AddFacetToObject has no AttributeUpdates: its values come in ObjectAttributeList
      local add = { DirectoryArn = ctx.dir, ObjectReference = F.id(o),
                    SchemaFacet = F.sf(ctx, "Person"),
                    ObjectAttributeList = F.attrs(ctx, "Person", { text = { StringValue = "x" } }) }
      local e = F.expect_error("FacetValidationException", cd.AddFacetToObject, cd, add)
      assert.matches("^ObjectAttributeList: the index is unique", e.message)
      -- the same inside a BatchWrite
      local ok, err = pcall(cd.BatchWrite, cd, { DirectoryArn = ctx.dir, Operations = { {
        AddFacetToObject = { ObjectReference = F.id(o), SchemaFacet = F.sf(ctx, "Person"),
                             ObjectAttributeList = add.ObjectAttributeList } } } })
      assert.is_false(ok)
      assert.matches("ObjectAttributeList: the index is unique", tostring(err.message))
      assert.is_nil(tostring(err.message):find("AttributeUpdates", 1, true))
      assert.equal(before, F.dump(ctx.path))
      -- UpdateObjectAttributes brings its values in AttributeUpdates
      local p = person()
      attach(idx, p)
      e = F.expect_error("LinkNameAlreadyInUseException", update, p, "text", { StringValue = "x" })
      assert.matches("^AttributeUpdates: the index is unique", e.message)
    end)

    it("are at most 3 per object under limits = aws", function()
      local p = person()
      for i = 1, 3 do attach(create_index("Person", "text", true), p) end
      local fourth = create_index("Person", "text", true)
      F.expect_error("LimitExceededException", attach, fourth, p)
      attach(create_index("Person", "text", false), p)   -- non-unique ones do not count
      local none = F.setup{ limits = "none" }
      local saved = ctx
      ctx, cd = none, none.cd
      local q = person()
      for i = 1, 5 do attach(create_index("Person", "text", true), q) end
      ctx, cd = saved, saved.cd
    end)
  end)

  describe("upkeep", function()
    it("moves entries when values change and makes deleted values missing", function()
      local idx = create_index("Person", "text")
      local a = person{ text = { StringValue = "a" } }
      local b = person{ text = { StringValue = "b" } }
      attach(idx, a)
      attach(idx, b)
      update(a, "text", { StringValue = "c" })
      assert.same({ b, a }, ids(idx))
      assert.same({ StringValue = "c" }, entries(idx)[2].value)
      update(b, "text", nil)
      assert.same({ a, b }, ids(idx))
      assert.same({ b }, ids(idx, range("LAST_BEFORE_MISSING_VALUES", nil, "LAST")))
      update(b, "text", { StringValue = "a" })
      assert.same({ b, a }, ids(idx))
      -- another attribute's change leaves the index alone
      update(b, "big", { NumberValue = "5" })
      assert.same({ b, a }, ids(idx))
    end)

    it("follows RemoveFacetFromObject and AddFacetToObject", function()
      local ti = create_index("Person", "text")
      local ni = create_index("Person", "name")
      local fi = facets_index()
      local o = F.create(ctx, { "Person", "Employee" }, {
        { Key = F.key(ctx, "Person", "name"), Value = { StringValue = "zed" } },
        { Key = F.key(ctx, "Person", "text"), Value = { StringValue = "t" } },
        { Key = F.key(ctx, "Employee", "badge"), Value = { StringValue = "b" } } })
      attach(ti, o)
      attach(ni, o)
      attach(fi, o)
      local function facet_values()
        local out = {}
        for i, e in ipairs(entries(fi)) do out[i] = e.value.StringValue end
        return out
      end
      assert.same({ "org/1/Employee", "org/1/Person" }, facet_values())
      cd:RemoveFacetFromObject{ DirectoryArn = ctx.dir, ObjectReference = F.id(o),
                                SchemaFacet = F.sf(ctx, "Person") }
      -- text went with the facet: a missing entry; name stays (Employee references it)
      assert.same({}, entries(ti)[1].value)
      assert.same({ StringValue = "zed" }, entries(ni)[1].value)
      assert.same({ "org/1/Employee" }, facet_values())
      cd:AddFacetToObject{ DirectoryArn = ctx.dir, ObjectReference = F.id(o),
                           SchemaFacet = F.sf(ctx, "Person"),
                           ObjectAttributeList = F.attrs(ctx, "Person",
                                                         { text = { StringValue = "back" } }) }
      assert.same({ StringValue = "back" }, entries(ti)[1].value)
      assert.same({ "org/1/Employee", "org/1/Person" }, facet_values())
      -- exact match on one facet value
      local r = ids(fi, range("INCLUSIVE", { StringValue = "org/1/Person" }, "INCLUSIVE",
                              { StringValue = "org/1/Person" }))
      assert.same({ o }, r)
      -- ListAttachedIndices shows every index of the object, with its values
      local li = cd:ListAttachedIndices{ DirectoryArn = ctx.dir, TargetReference = F.id(o) }
      assert.equal(3, #li.IndexAttachments)
      assert.same({ ti, ni, fi }, { li.IndexAttachments[1].ObjectIdentifier,
                                    li.IndexAttachments[2].ObjectIdentifier,
                                    li.IndexAttachments[3].ObjectIdentifier })
      assert.same({ { Key = F.key(ctx, "Person", "text"), Value = { StringValue = "back" } } },
                  li.IndexAttachments[1].IndexedAttributes)
      assert.same({ { Key = { SchemaArn = ctx.base, FacetName = "facets", Name = "facets" },
                      Value = { StringValue = "org/1/Employee" } },
                    { Key = { SchemaArn = ctx.base, FacetName = "facets", Name = "facets" },
                      Value = { StringValue = "org/1/Person" } } },
                  li.IndexAttachments[3].IndexedAttributes)
    end)

    it("refuses a facet change that breaks a unique facet-based index", function()
      local fi = facets_index(true)
      local a = F.create(ctx, "Employee", { badge = { StringValue = "1" } })
      local b = person()
      attach(fi, a)
      attach(fi, b)
      local before = F.dump(ctx.path)
      -- AddFacetToObject lists no LinkNameAlreadyInUseException
      F.expect_error("FacetValidationException", cd.AddFacetToObject, cd, {
        DirectoryArn = ctx.dir, ObjectReference = F.id(a), SchemaFacet = F.sf(ctx, "Person"),
        ObjectAttributeList = F.attrs(ctx, "Person", { name = { StringValue = "n" } }) })
      assert.equal(before, F.dump(ctx.path))
    end)
  end)

  describe("DetachFromIndex and DeleteObject", function()
    it("blocks deletes until objects are detached", function()
      local idx = create_index("Person", "text", false, "/", "ix")
      local p = person{ text = { StringValue = "v" } }
      attach(idx, p)
      local function delete(id)
        return cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = F.id(id) }
      end
      F.expect_error("ObjectNotDetachedException", delete, p)
      cd:DetachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel("/"), LinkName = "ix" }
      local e = F.expect_error("ObjectNotDetachedException", delete, idx)
      assert.matches("attached objects", e.message)
      assert.same({ DetachedObjectIdentifier = p }, detach(idx, p))
      F.expect_error("ObjectAlreadyDetachedException", detach, idx, p)
      assert.same({}, list(idx).IndexAttachments)
      assert.same({}, cd:ListAttachedIndices{ DirectoryArn = ctx.dir,
                                              TargetReference = F.id(p) }.IndexAttachments)
      delete(p)
      delete(idx)
      F.expect_error("ResourceNotFoundException", list, idx)
    end)
  end)

  describe("paging", function()
    it("pages ListIndex while entries change", function()
      local idx = create_index("Person", "big")
      local o = {}
      for i = 1, 9 do
        o[i] = person{ big = { NumberValue = tostring(i * 10) } }
        attach(idx, o[i])
      end
      assert.same(o, ids(idx, nil, 2))
      local r1 = list(idx, nil, 4)
      assert.equal(4, #r1.IndexAttachments)
      assert.is_string(r1.NextToken)
      -- changes: one before the resume point, one after, one moved behind, one detached
      local early = person{ big = { NumberValue = "1" } }
      local late = person{ big = { NumberValue = "85" } }
      attach(idx, early)
      attach(idx, late)
      update(o[2], "big", { NumberValue = "1000" })
      detach(idx, o[6])
      local rest, token = {}, r1.NextToken
      repeat
        local r = list(idx, nil, 3, token)
        for _, a in ipairs(r.IndexAttachments) do rest[#rest + 1] = a.ObjectIdentifier end
        token = r.NextToken
      until not token
      assert.same({ o[5], o[7], o[8], late, o[9], o[2] }, rest)
      -- a token for another index or a range on another index is refused
      local other = create_index("Person", "big")
      F.expect_error("InvalidNextTokenException", list, other, nil, 2, r1.NextToken)
      F.expect_error("InvalidNextTokenException", list, idx, nil, 2, r1.NextToken:sub(1, -3) .. "AA")
      -- paging within a range
      assert.same({ o[3], o[4], o[5], o[7] },
                  ids(idx, range("INCLUSIVE", { NumberValue = "30" }, "EXCLUSIVE",
                                 { NumberValue = "80" }), 1))
    end)

    it("pages ListAttachedIndices in index order", function()
      local p = person{ text = { StringValue = "x" } }
      local made = {}
      for i = 1, 5 do
        made[i] = create_index("Person", "text")
        attach(made[i], p)
      end
      local got, token = {}, nil
      repeat
        local r = cd:ListAttachedIndices{ DirectoryArn = ctx.dir, TargetReference = F.id(p),
                                          MaxResults = 2, NextToken = token }
        assert.is_true(#r.IndexAttachments <= 2)
        for _, a in ipairs(r.IndexAttachments) do got[#got + 1] = a.ObjectIdentifier end
        token = r.NextToken
      until not token
      assert.same(made, got)
      -- the one listing whose error list has no InvalidNextTokenException
      F.expect_error("ValidationException", cd.ListAttachedIndices, cd, {
        DirectoryArn = ctx.dir, TargetReference = F.id(p), NextToken = "bogus" })
    end)
  end)

  describe("long values", function()
    it("index values beyond the key size under limits = none", function()
      local none = F.setup{ limits = "none" }
      local saved = ctx
      ctx, cd = none, none.cd
      local idx = create_index("Person", "text", true)
      local base = string.rep("k", 600)
      local o = {}
      for i, s in ipairs{ "c", "a", "b" } do
        o[s] = person{ text = { StringValue = base .. s } }
        attach(idx, o[s])
      end
      local e = entries(idx, nil, 1)
      assert.same({ o.a, o.b, o.c }, { e[1].id, e[2].id, e[3].id })
      assert.equal(base .. "a", e[1].value.StringValue)
      local dup = person{ text = { StringValue = base .. "a" } }
      F.expect_error("LinkNameAlreadyInUseException", attach, idx, dup)
      update(o.c, "text", { StringValue = base .. "0" })
      e = entries(idx)
      assert.equal(o.c, e[1].id)
      assert.same({ o.b }, ids(idx, range("EXCLUSIVE", { StringValue = base .. "a" }, "LAST")))
      detach(idx, o.c)
      assert.equal(2, #entries(idx))
      ctx, cd = saved, saved.cd
    end)

    it("caps indexed values at 512 bytes under limits = aws", function()
      local idx = create_index("Person", "text")
      local p = person{ text = { StringValue = string.rep("x", 513) } }
      F.expect_error("LimitExceededException", attach, idx, p)
      local q = person{ text = { StringValue = "short" } }
      attach(idx, q)
      F.expect_error("LimitExceededException", update, q, "text",
                     { StringValue = string.rep("y", 600) })
    end)
  end)
end)
