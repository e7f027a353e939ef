-- Attribute values: the six types round trip exactly; types, rules, sizes, defaults,
-- required and immutable attributes, references and dynamic facets.
local F = require "data_fixtures"

describe("attribute values", function()
  local ctx

  before_each(function() ctx = F.setup() end)
  after_each(F.cleanup)

  local function get(selector, facet, names, schema)
    local r = ctx.cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                          SchemaFacet = F.sf(ctx, facet, schema),
                                          AttributeNames = names }
    local out = {}
    for _, kv in ipairs(r.Attributes) do out[kv.Key.Name] = kv.Value end
    return out, r
  end

  local function set(selector, facet, name, value)
    return ctx.cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
      AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, facet, name),
        ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                  ObjectAttributeUpdateValue = value } } } }
  end

  describe("round trips", function()
    it("keeps strings byte for byte, including UTF-8 and NUL bytes", function()
      local s = "h\195\169llo \226\130\172 \0 tail"
      F.person(ctx, "Ann", "/", "ann", { text = { StringValue = s } })
      assert.same({ StringValue = s }, get("/ann", "Person", { "text" }).text)
    end)

    it("keeps binary values byte for byte, NUL bytes and all 256 byte values", function()
      local bytes = {}
      for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
      local blob = table.concat(bytes) .. "\0\0"
      F.person(ctx, "Ann", "/", "ann", { blob = { BinaryValue = blob }, photo = { BinaryValue = "\0a\0" } })
      local v = get("/ann", "Person", { "blob", "photo" })
      assert.equal(blob, v.blob.BinaryValue)
      assert.equal(258, #v.blob.BinaryValue)
      assert.equal("\0a\0", v.photo.BinaryValue)
    end)

    it("keeps booleans", function()
      F.person(ctx, "Ann", "/", "ann", { active = { BooleanValue = false } })
      assert.same({ BooleanValue = false }, get("/ann", "Person", { "active" }).active)
      set("/ann", "Person", "active", { BooleanValue = true })
      assert.same({ BooleanValue = true }, get("/ann", "Person", { "active" }).active)
    end)

    it("keeps NumberValue strings verbatim", function()
      F.person(ctx, "Ann", "/", "ann")
      for _, n in ipairs{ "1e3", "-0.000000000000000000001", "12345678901234567890123456789",
                          "0", "-0", "+7", "1.50", "1.", ".5", "6.02E+23", "150.5", "00042" } do
        set("/ann", "Person", "big", { NumberValue = n })
        assert.same({ NumberValue = n }, get("/ann", "Person", { "big" }).big)
      end
    end)

    it("turns a Lua number given as NumberValue into its decimal string", function()
      F.person(ctx, "Ann", "/", "ann", { big = { NumberValue = 42 } })
      assert.same({ NumberValue = "42" }, get("/ann", "Person", { "big" }).big)
    end)

    it("keeps DatetimeValue to the millisecond", function()
      F.person(ctx, "Ann", "/", "ann", { born = { DatetimeValue = 1500000000.123 } })
      assert.same({ DatetimeValue = 1500000000.123 }, get("/ann", "Person", { "born" }).born)
      set("/ann", "Person", "born", { DatetimeValue = -86400.5 })
      assert.same({ DatetimeValue = -86400.5 }, get("/ann", "Person", { "born" }).born)
      set("/ann", "Person", "born", { DatetimeValue = 0 })
      assert.equal(0, get("/ann", "Person", { "born" }).born.DatetimeValue)
      for _, t in ipairs{ -0.001, 0.001, -62135596800, 253402300799.999, -1.999 } do
        set("/ann", "Person", "born", { DatetimeValue = t })
        assert.equal(t, get("/ann", "Person", { "born" }).born.DatetimeValue)
      end
    end)

    it("stores any type in a VARIANT attribute, and the type may change", function()
      F.person(ctx, "Ann", "/", "ann")
      for _, v in ipairs{ { StringValue = "s" }, { BinaryValue = "\0" }, { BooleanValue = true },
                          { NumberValue = "-1e-9" }, { DatetimeValue = 12.5 } } do
        set("/ann", "Person", "anything", v)
        assert.same(v, get("/ann", "Person", { "anything" }).anything)
      end
    end)

    it("shows the same values through ListObjectAttributes", function()
      F.person(ctx, "Ann", "/", "ann", { big = { NumberValue = "1e3" }, blob = { BinaryValue = "\0\1" } })
      local v = F.values(ctx, "/ann")
      assert.same({ NumberValue = "1e3" }, v["Person.big"])
      assert.same({ BinaryValue = "\0\1" }, v["Person.blob"])
      assert.same({ StringValue = "Ann" }, v["Person.name"])
    end)
  end)

  describe("types", function()
    it("refuses a value of another type with FacetValidationException naming the attribute", function()
      F.person(ctx, "Ann", "/", "ann")
      local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "age",
                               { StringValue = "12" })
      assert.matches("age", e.message)
      assert.matches("Person", e.message)
      F.expect_error("FacetValidationException", set, "/ann", "Person", "active", { NumberValue = "1" })
      F.expect_error("FacetValidationException", set, "/ann", "Person", "born", { StringValue = "x" })
      F.expect_error("FacetValidationException", set, "/ann", "Person", "blob", { BooleanValue = true })
      F.expect_error("FacetValidationException", set, "/ann", "Person", "text", { BinaryValue = "x" })
    end)

    it("refuses NumberValue strings that are not decimal numbers", function()
      F.person(ctx, "Ann", "/", "ann")
      for _, bad in ipairs{ "abc", "1e", "--1", "1.2.3", "", ".", "e5", "1e+", "0x10", " 1", "NaN", "inf" } do
        local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "big",
                                 { NumberValue = bad })
        assert.matches("decimal", e.message)
      end
    end)

    it("takes exponents below 10^18 in magnitude, so numbers always compare exactly", function()
      F.person(ctx, "Ann", "/", "ann")
      for _, n in ipairs{ "1e999999999999999999", "-1E-999999999999999999", "1e+0000000000000000000007" } do
        set("/ann", "Person", "big", { NumberValue = n })
        assert.same({ NumberValue = n }, get("/ann", "Person", { "big" }).big)
      end
      for _, bad in ipairs{ "1e1000000000000000000", "1e-1000000000000000000", "1e99999999999999999999" } do
        local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "big",
                                 { NumberValue = bad })
        assert.matches("decimal", e.message)
      end
    end)

    it("refuses a value with no member or two members (ValidationException)", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("ValidationException", set, "/ann", "Person", "text", {})
      F.expect_error("ValidationException", set, "/ann", "Person", "text",
                     { StringValue = "a", NumberValue = "1" })
    end)
  end)

  describe("rules", function()
    before_each(function() F.person(ctx, "Ann", "/", "ann") end)

    it("STRING_LENGTH counts characters, bounds inclusive", function()
      set("/ann", "Person", "name", { StringValue = "\195\169\195\169\195\169\195\169\195\169\195\169\195\169\195\169\195\169\195\169" })
      set("/ann", "Person", "name", { StringValue = "a" })
      F.expect_error("FacetValidationException", set, "/ann", "Person", "name", { StringValue = "" })
      local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "name",
                               { StringValue = "12345678901" })
      assert.matches("STRING_LENGTH", e.message)
      assert.matches("name", e.message)
    end)

    it("BINARY_LENGTH counts bytes", function()
      set("/ann", "Person", "photo", { BinaryValue = string.rep("\0", 16) })
      F.expect_error("FacetValidationException", set, "/ann", "Person", "photo",
                     { BinaryValue = string.rep("\0", 17) })
    end)

    it("NUMBER_COMPARISON compares exactly, bounds inclusive", function()
      for _, ok in ipairs{ "0", "150.5", "1.505e2", "-0", "0.0000000000000000000000001",
                           "150.49999999999999999999999999", "15050e-2" } do
        set("/ann", "Person", "age", { NumberValue = ok })
      end
      for _, bad in ipairs{ "-0.0000000000000000000000001", "150.50000000000000000000001",
                            "1e3", "-1", "151" } do
        local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "age",
                                 { NumberValue = bad })
        assert.matches("NUMBER_COMPARISON", e.message)
      end
    end)

    it("STRING_FROM_SET accepts listed items, quoted ones with commas, literal quotes", function()
      for _, ok in ipairs{ "red", "with,comma", 'with"quote' } do
        set("/ann", "Person", "color", { StringValue = ok })
      end
      for _, bad in ipairs{ "blue", "with", "comma", '"with,comma"', "Red", "" } do
        F.expect_error("FacetValidationException", set, "/ann", "Person", "color",
                       { StringValue = bad })
      end
    end)

    it("checks rules at CreateObject too", function()
      F.expect_error("FacetValidationException", F.person, ctx, "much too long a name")
    end)
  end)

  describe("sizes", function()
    it("allows 2 KB per value under limits = 'aws' and refuses more with LimitExceededException", function()
      F.person(ctx, "Ann", "/", "ann", { text = { StringValue = string.rep("x", 2048) } })
      F.expect_error("LimitExceededException", set, "/ann", "Person", "text",
                     { StringValue = string.rep("x", 2049) })
      F.expect_error("LimitExceededException", set, "/ann", "Person", "blob",
                     { BinaryValue = string.rep("\0", 2049) })
    end)

    it("lifts the value size cap under limits = 'none'", function()
      local big = F.setup{ limits = "none" }
      local blob = string.rep("\1\0", 50000)
      local id = F.create(big, "Person", { name = { StringValue = "B" }, blob = { BinaryValue = blob } })
      local r = big.cd:GetObjectAttributes{ DirectoryArn = big.dir, ObjectReference = F.id(id),
                                            SchemaFacet = F.sf(big, "Person"), AttributeNames = { "blob" } }
      assert.equal(blob, r.Attributes[1].Value.BinaryValue)
    end)
  end)

  describe("required, defaults, immutable", function()
    it("applies defaults for omitted attributes at creation", function()
      F.person(ctx, "Ann", "/", "ann")
      local v = get("/ann", "Person", { "active", "status" })
      assert.same({ BooleanValue = true }, v.active)
      assert.same({ StringValue = "new" }, v.status)
    end)

    it("does not apply a default when a value is given", function()
      F.person(ctx, "Ann", "/", "ann", { status = { StringValue = "old" } })
      assert.same({ StringValue = "old" }, get("/ann", "Person", { "status" }).status)
    end)

    it("refuses to create an object without a REQUIRED_ALWAYS attribute", function()
      local e = F.expect_error("FacetValidationException", F.create, ctx, "Person",
                               { text = { StringValue = "no name" } })
      assert.matches("name", e.message)
      assert.matches("REQUIRED_ALWAYS", e.message)
    end)

    it("accepts a required attribute omitted when it has a default", function()
      F.create(ctx, "Tagged", nil, "/", "t")
      assert.same({ StringValue = "none" }, get("/t", "Tagged", { "tag" }).tag)
    end)

    it("refuses to delete a REQUIRED_ALWAYS attribute", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("FacetValidationException", function()
        ctx.cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/ann"),
          AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, "Person", "name"),
                                 ObjectAttributeAction = { ObjectAttributeActionType = "DELETE" } } } }
      end)
    end)

    it("takes immutable values only at creation", function()
      F.person(ctx, "Ann", "/", "ann", { email = { StringValue = "a@x" } })
      assert.same({ StringValue = "a@x" }, get("/ann", "Person", { "email" }).email)
      local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "email",
                               { StringValue = "b@x" })
      assert.matches("immutable", e.message)
      F.person(ctx, "Bob", "/", "bob")
      F.expect_error("FacetValidationException", set, "/bob", "Person", "email",
                     { StringValue = "b@x" })
      F.expect_error("FacetValidationException", function()
        ctx.cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/ann"),
          AttributeUpdates = { { ObjectAttributeKey = F.key(ctx, "Person", "email"),
                                 ObjectAttributeAction = { ObjectAttributeActionType = "DELETE" } } } }
      end)
    end)
  end)

  describe("attribute references", function()
    local function employee(values)
      return F.create(ctx, { "Person", "Employee" }, values, "/", "emp")
    end

    it("share one storage slot with their definition", function()
      employee(F.attrs(ctx, "Employee", { badge = { StringValue = "b1" },
                                          person_name = { StringValue = "Eve" } }))
      assert.same({ StringValue = "Eve" }, get("/emp", "Person", { "name" }).name)
      assert.same({ StringValue = "Eve" }, get("/emp", "Employee", { "person_name" }).person_name)
      set("/emp", "Person", "name", { StringValue = "Eva" })
      assert.same({ StringValue = "Eva" }, get("/emp", "Employee", { "person_name" }).person_name)
      set("/emp", "Employee", "person_name", { StringValue = "Evi" })
      assert.same({ StringValue = "Evi" }, get("/emp", "Person", { "name" }).name)
    end)

    it("are listed once, under the definition's key", function()
      employee(F.attrs(ctx, "Employee", { badge = { StringValue = "b1" },
                                          person_name = { StringValue = "Eve" } }))
      local v = F.values(ctx, "/emp")
      assert.same({ StringValue = "Eve" }, v["Person.name"])
      assert.is_nil(v["Employee.person_name"])
      assert.same({ StringValue = "b1" }, v["Employee.badge"])
    end)

    it("take the target's rules", function()
      F.expect_error("FacetValidationException", employee,
                     F.attrs(ctx, "Employee", { badge = { StringValue = "b1" },
                                                person_name = { StringValue = "far too long a name" } }))
    end)

    it("accept several aliases in one write when they agree, refuse them when they differ", function()
      local list = F.attrs(ctx, "Employee", { badge = { StringValue = "b1" },
                                              person_name = { StringValue = "Eve" } })
      list[#list + 1] = { Key = F.key(ctx, "Person", "name"), Value = { StringValue = "Eve" } }
      employee(list)
      list[#list].Value = { StringValue = "Other" }
      F.expect_error("FacetValidationException", function()
        ctx.cd:CreateObject{ DirectoryArn = ctx.dir, ObjectAttributeList = list,
                             SchemaFacets = { F.sf(ctx, "Person"), F.sf(ctx, "Employee") } }
      end)
    end)
  end)

  describe("dynamic facets", function()
    it("accept any attribute name and any type", function()
      F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", {
        colour = { StringValue = "blue" }, ["size:x"] = { NumberValue = "3" },
        raw = { BinaryValue = "\0" } }), "/", "g")
      local r = ctx.cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/g"),
        SchemaFacet = F.sf(ctx, "Extra"), AttributeNames = { "colour", "size:x", "raw", "unset" } }
      assert.equal(3, #r.Attributes)
      set("/g", "Extra", "colour", { NumberValue = "7" })
      local v = F.values(ctx, "/g")
      assert.same({ NumberValue = "7" }, v["Extra.colour"])
    end)
  end)

  describe("static facets", function()
    it("refuse attributes they do not define", function()
      F.person(ctx, "Ann", "/", "ann")
      local e = F.expect_error("FacetValidationException", set, "/ann", "Person", "nickname",
                               { StringValue = "x" })
      assert.matches("nickname", e.message)
    end)

    it("refuse attributes of a facet the object does not have", function()
      F.person(ctx, "Ann", "/", "ann")
      local e = F.expect_error("FacetValidationException", set, "/ann", "Group", "title",
                               { StringValue = "x" })
      assert.matches("the object does not have facet 'Group'", e.message, 1, true)
    end)

    it("refuse attributes outside the facets a request creates or adds, saying which", function()
      -- CreateObject: a key of a facet missing from SchemaFacets
      local e = F.expect_error("FacetValidationException", F.create, ctx, "Group",
                               F.attrs(ctx, "Tagged", { tag = { StringValue = "x" } }))
      assert.matches("is not among the SchemaFacets the object is created with", e.message, 1, true)
      -- AddFacetToObject: a key of a facet the object has, but not the one being added
      F.create(ctx, "Group", F.attrs(ctx, "Group", { title = { StringValue = "t" } }), "/", "g")
      e = F.expect_error("FacetValidationException", ctx.cd.AddFacetToObject, ctx.cd, {
        DirectoryArn = ctx.dir, ObjectReference = F.sel("/g"), SchemaFacet = F.sf(ctx, "Team"),
        ObjectAttributeList = F.attrs(ctx, "Group", { title = { StringValue = "u" } }) })
      assert.matches("facet 'Group'", e.message, 1, true)
      assert.matches("is not among the facet this request adds", e.message, 1, true)
      assert.same({ StringValue = "t" }, F.values(ctx, "/g")["Group.title"])
    end)
  end)
end)

describe("typed values of the idiomatic API", function()
  local clouddir = require "clouddir"

  it("print as the call that makes them: escaped, and pasting back as the same value", function()
    local b = clouddir.binary("\0\27[31mRED")
    assert.equal('clouddir.binary("\\x00\\x1B[31mRED")', tostring(b))
    assert.equal('clouddir.number("1.50")', tostring(clouddir.number("1.50")))
    assert.equal("clouddir.datetime(1.5)", tostring(clouddir.datetime(1.5)))
    local back = load("local clouddir = ...; return " .. tostring(b))(clouddir)
    assert.equal(b.value, back.value)
    assert.equal("BINARY", back.kind)
  end)
end)
