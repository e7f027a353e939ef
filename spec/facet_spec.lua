-- facet_spec.lua — CreateFacet, GetFacet, ListFacetNames, ListFacetAttributes, DeleteFacet
-- and the typed-link facet operations (semantics §3).
local helper = require "spec.helper"
local expect_error = helper.expect_error
local attr, ref = helper.attr, helper.ref

local PREFIX = "arn:aws:clouddirectory:us-east-1:123456789012:"

describe("facets", function()
  local cd, schema
  before_each(function()
    cd = helper.client()
    schema = cd:CreateSchema{ Name = "org" }.SchemaArn
  end)
  after_each(helper.cleanup)

  local function create(name, object_type, attributes, style)
    return cd:CreateFacet{ SchemaArn = schema, Name = name, ObjectType = object_type,
                           Attributes = attributes, FacetStyle = style }
  end

  local function create_error(code, name, object_type, attributes, style)
    return expect_error(code, cd.CreateFacet, cd, { SchemaArn = schema, Name = name,
      ObjectType = object_type, Attributes = attributes, FacetStyle = style })
  end

  describe("CreateFacet and GetFacet", function()
    it("creates a facet that GetFacet returns", function()
      assert.same({}, create("Person", "LEAF_NODE", { attr("email") }))
      assert.same({ Facet = { Name = "Person", ObjectType = "LEAF_NODE", FacetStyle = "STATIC" } },
        cd:GetFacet{ SchemaArn = schema, Name = "Person" })
    end)

    it("accepts every object type", function()
      for _, t in ipairs{ "NODE", "LEAF_NODE", "POLICY", "INDEX" } do
        create("F" .. t, t)
        assert.equal(t, cd:GetFacet{ SchemaArn = schema, Name = "F" .. t }.Facet.ObjectType)
      end
    end)

    it("creates a facet without attributes", function()
      create("Empty", "NODE")
      assert.same({}, cd:ListFacetAttributes{ SchemaArn = schema, Name = "Empty" }.Attributes)
    end)

    it("refuses a name the schema already has", function()
      create("Person", "NODE")
      local e = create_error("FacetAlreadyExistsException", "Person", "LEAF_NODE")
      assert.matches("Person", e.message)
    end)

    it("raises FacetNotFoundException for an unknown facet", function()
      expect_error("FacetNotFoundException", cd.GetFacet, cd, { SchemaArn = schema, Name = "No" })
    end)

    it("raises ResourceNotFoundException for an unknown schema", function()
      expect_error("ResourceNotFoundException", cd.CreateFacet, cd,
        { SchemaArn = PREFIX .. "schema/development/nope", Name = "F", ObjectType = "NODE" })
      expect_error("ResourceNotFoundException", cd.GetFacet, cd,
        { SchemaArn = PREFIX .. "schema/development/nope", Name = "F" })
    end)

    it("needs an ObjectType for a static facet", function()
      create_error("FacetValidationException", "S", nil, { attr("a") })
      create_error("FacetValidationException", "S", nil, nil, "STATIC")
    end)

    it("lets a dynamic facet leave out its ObjectType", function()
      create("Dyn", nil, nil, "DYNAMIC")
      assert.same({ Facet = { Name = "Dyn", FacetStyle = "DYNAMIC" } },
        cd:GetFacet{ SchemaArn = schema, Name = "Dyn" })
      create("DynNode", "NODE", nil, "DYNAMIC")
      assert.equal("NODE", cd:GetFacet{ SchemaArn = schema, Name = "DynNode" }.Facet.ObjectType)
    end)

    it("refuses a dynamic INDEX facet", function()
      create_error("FacetValidationException", "DynIndex", "INDEX", nil, "DYNAMIC")
    end)

    it("refuses an unknown ObjectType or FacetStyle", function()
      create_error("ValidationException", "X", "TREE")
      create_error("ValidationException", "X", "NODE", nil, "FLUID")
    end)
  end)

  describe("where facets can be created", function()
    local fx
    before_each(function() fx = helper.fixture(cd) end)

    it("not in a published schema", function()
      local e = expect_error("InvalidArnException", cd.CreateFacet, cd,
        { SchemaArn = fx.published_arn, Name = "New", ObjectType = "NODE" })
      assert.matches("published schema ARN", e.message)
    end)

    it("not in the base schema", function()
      expect_error("InvalidArnException", cd.CreateFacet, cd,
        { SchemaArn = fx.base_arn, Name = "New", ObjectType = "NODE" })
    end)

    it("not with a directory ARN", function()
      expect_error("InvalidArnException", cd.CreateFacet, cd,
        { SchemaArn = fx.directory_arn, Name = "New", ObjectType = "NODE" })
    end)

    it("in an applied schema: a new facet, in that directory only", function()
      cd:CreateFacet{ SchemaArn = fx.applied_arn, Name = "New", ObjectType = "NODE",
                      Attributes = { ref("alias", "Person", "email") } }
      assert.equal("New", cd:GetFacet{ SchemaArn = fx.applied_arn, Name = "New" }.Facet.Name)
      expect_error("FacetNotFoundException", cd.GetFacet, cd,
        { SchemaArn = fx.published_arn, Name = "New" })
      expect_error("FacetNotFoundException", cd.GetFacet, cd,
        { SchemaArn = fx.schema_arn, Name = "New" })
      local other = cd:CreateDirectory{ Name = "other", SchemaArn = fx.published_arn }
      expect_error("FacetNotFoundException", cd.GetFacet, cd,
        { SchemaArn = other.AppliedSchemaArn, Name = "New" })
    end)

    it("in an applied schema: not one it already has", function()
      expect_error("FacetAlreadyExistsException", cd.CreateFacet, cd,
        { SchemaArn = fx.applied_arn, Name = "Person", ObjectType = "NODE" })
    end)

    it("reads work on development, published, applied and base schemas", function()
      for _, arn in ipairs{ fx.schema_arn, fx.published_arn, fx.applied_arn } do
        assert.same({ Facet = { Name = "Person", ObjectType = "LEAF_NODE",
                                FacetStyle = "STATIC" } },
          cd:GetFacet{ SchemaArn = arn, Name = "Person" })
      end
      assert.same({ Facet = { Name = "NODE", ObjectType = "NODE", FacetStyle = "STATIC" } },
        cd:GetFacet{ SchemaArn = fx.base_arn, Name = "NODE" })
      assert.same({ Facet = { Name = "POLICY", ObjectType = "POLICY", FacetStyle = "STATIC" } },
        cd:GetFacet{ SchemaArn = fx.base_arn, Name = "POLICY" })
    end)

    it("an applied schema ARN of an unknown directory is not found", function()
      local arn = PREFIX .. "directory/AAAAAAAAAAAAAAAAAAAAAAA/schema/org/1"
      expect_error("ResourceNotFoundException", cd.GetFacet, cd, { SchemaArn = arn, Name = "P" })
    end)

    it("an applied schema ARN of a schema the directory lacks is not found", function()
      expect_error("ResourceNotFoundException", cd.GetFacet, cd,
        { SchemaArn = fx.directory_arn .. "/schema/nope/1", Name = "Person" })
    end)
  end)

  describe("attribute definitions", function()
    it("need exactly one of AttributeDefinition and AttributeReference", function()
      create_error("FacetValidationException", "F", "NODE", { { Name = "a" } })
      create_error("FacetValidationException", "F", "NODE", { {
        Name = "a", AttributeDefinition = { Type = "STRING" },
        AttributeReference = { TargetFacetName = "F", TargetAttributeName = "b" } } })
    end)

    it("must have unique names", function()
      create_error("FacetValidationException", "F", "NODE", { attr("a"), attr("a", "NUMBER") })
    end)

    it("take a DefaultValue of their own type", function()
      create("F", "NODE", {
        attr("s", "STRING", { default = { StringValue = "x" } }),
        attr("b", "BINARY", { default = { BinaryValue = "\0\1" } }),
        attr("t", "BOOLEAN", { default = { BooleanValue = false } }),
        attr("n", "NUMBER", { default = { NumberValue = "-1.5e3" } }),
        attr("d", "DATETIME", { default = { DatetimeValue = 1500000000 } }),
        attr("v", "VARIANT", { default = { NumberValue = "7" } }),
      })
      local got = {}
      for _, a in ipairs(cd:ListFacetAttributes{ SchemaArn = schema, Name = "F" }.Attributes) do
        got[a.Name] = a.AttributeDefinition.DefaultValue
      end
      assert.same({ StringValue = "x" }, got.s)
      assert.same({ BinaryValue = "\0\1" }, got.b)
      assert.same({ BooleanValue = false }, got.t)
      assert.same({ NumberValue = "-1.5e3" }, got.n)
      assert.same({ DatetimeValue = 1500000000 }, got.d)
      assert.same({ NumberValue = "7" }, got.v)
    end)

    it("refuse a DefaultValue of another type", function()
      create_error("FacetValidationException", "F", "NODE",
        { attr("n", "NUMBER", { default = { StringValue = "1" } }) })
      create_error("FacetValidationException", "F", "NODE",
        { attr("s", "STRING", { default = { BooleanValue = true } }) })
      create_error("FacetValidationException", "F", "NODE",
        { attr("d", "DATETIME", { default = { NumberValue = "1" } }) })
    end)

    it("refuse a NUMBER default that is not a number", function()
      create_error("FacetValidationException", "F", "NODE",
        { attr("n", "NUMBER", { default = { NumberValue = "12abc" } }) })
    end)
  end)

  describe("attribute references", function()
    it("may target a definition in the same facet", function()
      create("Person", "LEAF_NODE", { attr("email"), ref("alias", "Person", "email") })
      local attrs = cd:ListFacetAttributes{ SchemaArn = schema, Name = "Person" }.Attributes
      assert.same({ Name = "alias", RequiredBehavior = "NOT_REQUIRED",
                    AttributeReference = { TargetFacetName = "Person",
                                           TargetAttributeName = "email" } }, attrs[1])
    end)

    it("may target a definition in another facet, with their own RequiredBehavior", function()
      create("User", "LEAF_NODE", { attr("first") })
      create("Person", "LEAF_NODE", { ref("name", "User", "first", { required = true }) })
      local a = cd:ListFacetAttributes{ SchemaArn = schema, Name = "Person" }.Attributes[1]
      assert.equal("REQUIRED_ALWAYS", a.RequiredBehavior)
    end)

    it("must target an existing facet", function()
      local e = create_error("FacetValidationException", "P", "NODE", { ref("x", "Nope", "a") })
      assert.matches("Nope", e.message)
    end)

    it("must target an existing attribute", function()
      create("User", "NODE", { attr("first") })
      create_error("FacetValidationException", "P", "NODE", { ref("x", "User", "last") })
      create_error("FacetValidationException", "P", "NODE", { attr("a"), ref("x", "P", "b") })
    end)

    it("must target a definition, not another reference", function()
      create("User", "NODE", { attr("first"), ref("given", "User", "first") })
      create_error("FacetValidationException", "P", "NODE", { ref("x", "User", "given") })
      create_error("FacetValidationException", "P", "NODE",
        { attr("a"), ref("b", "P", "a"), ref("c", "P", "b") })
    end)

    it("cannot reach another schema's facets", function()
      local other = cd:CreateSchema{ Name = "other" }.SchemaArn
      cd:CreateFacet{ SchemaArn = other, Name = "User", ObjectType = "NODE",
                      Attributes = { attr("first") } }
      create_error("FacetValidationException", "P", "NODE", { ref("x", "User", "first") })
    end)
  end)

  describe("rules", function()
    local function rule(type_, params) return { Type = type_, Parameters = params } end
    local function with_rule(type_, attr_type, params)
      return { attr("a", attr_type, { rules = { r = rule(type_, params) } }) }
    end

    it("are stored and listed as given", function()
      create("F", "NODE", {
        attr("s", "STRING", { rules = { len = rule("STRING_LENGTH", { min = "1", max = "64" }),
                                        set = rule("STRING_FROM_SET",
                                                   { allowedValues = '"a,b",c' }) } }),
        attr("b", "BINARY", { rules = { len = rule("BINARY_LENGTH", { max = "10" }) } }),
        attr("n", "NUMBER", { rules = { cmp = rule("NUMBER_COMPARISON",
                                                   { min = "-1.5", max = "1e3" }) } }),
      })
      local got = {}
      for _, a in ipairs(cd:ListFacetAttributes{ SchemaArn = schema, Name = "F" }.Attributes) do
        got[a.Name] = a.AttributeDefinition.Rules
      end
      assert.same({ len = rule("STRING_LENGTH", { min = "1", max = "64" }),
                    set = rule("STRING_FROM_SET", { allowedValues = '"a,b",c' }) }, got.s)
      assert.same({ len = rule("BINARY_LENGTH", { max = "10" }) }, got.b)
      assert.same({ cmp = rule("NUMBER_COMPARISON", { min = "-1.5", max = "1e3" }) }, got.n)
    end)

    it("must fit the attribute's type", function()
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "NUMBER", { min = "1" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_FROM_SET", "BINARY", { allowedValues = "a" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("BINARY_LENGTH", "STRING", { min = "1" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("NUMBER_COMPARISON", "STRING", { min = "1" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "VARIANT", { min = "1" }))
    end)

    it("need a Type", function()
      create_error("InvalidRuleException", "F", "NODE",
        { attr("a", "STRING", { rules = { r = { Parameters = { min = "1" } } } }) })
    end)

    it("take exactly the parameter keys of their type", function()
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "STRING", { minimum = "1" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "STRING", { min = "1", allowedValues = "a" }))
      create_error("InvalidRuleException", "F", "NODE", with_rule("STRING_LENGTH", "STRING", {}))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_FROM_SET", "STRING", { values = "a,b" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_FROM_SET", "STRING", { allowedValues = "a", min = "1" }))
    end)

    it("need numbers for min and max", function()
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "STRING", { min = "one" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("BINARY_LENGTH", "BINARY", { max = "-1" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("NUMBER_COMPARISON", "NUMBER", { max = "1x" }))
    end)

    it("compare min and max exactly, beyond what a double holds", function()
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("NUMBER_COMPARISON", "NUMBER", { min = "1.00000000000000000001", max = "1" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "STRING",
                  { min = "18446744073709551617", max = "18446744073709551616" }))
      create("F", "NODE", with_rule("NUMBER_COMPARISON", "NUMBER",
                                    { min = "1", max = "1.00000000000000000001" }))
    end)

    it("need min <= max", function()
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("STRING_LENGTH", "STRING", { min = "5", max = "4" }))
      create_error("InvalidRuleException", "F", "NODE",
        with_rule("NUMBER_COMPARISON", "NUMBER", { min = "0.5", max = "-2" }))
      create("F", "NODE", with_rule("NUMBER_COMPARISON", "NUMBER", { min = "2", max = "2" }))
    end)
  end)

  -- A DefaultValue is stored on every object that omits the attribute, so it must pass the
  -- attribute's rules exactly as a written value does (same checker, same semantics).
  describe("defaults and rules", function()
    local function rule(type_, params) return { Type = type_, Parameters = params } end
    local function dattr(name, type_, default, rules)
      return attr(name, type_, { default = default, rules = rules })
    end
    local function names()
      return cd:ListFacetNames{ SchemaArn = schema }.FacetNames
    end
    local function attributes(name)
      return cd:ListFacetAttributes{ SchemaArn = schema, Name = name }.Attributes
    end

    it("CreateFacet refuses a default its rules refuse, naming facet, attribute and rule", function()
      local cases = {
        { "STRING", { StringValue = "toolong" }, rule("STRING_LENGTH", { max = "3" }),
          "7 characters, max 3" },
        { "STRING", { StringValue = "" }, rule("STRING_LENGTH", { min = "1" }),
          "0 characters, min 1" },
        { "STRING", { StringValue = "d" }, rule("STRING_FROM_SET", { allowedValues = "a,b,c" }),
          "'d' is not one of a,b,c" },
        { "BINARY", { BinaryValue = "\0\1\2\3" }, rule("BINARY_LENGTH", { max = "3" }),
          "4 bytes, max 3" },
        { "NUMBER", { NumberValue = "-1" }, rule("NUMBER_COMPARISON", { min = "0" }),
          "-1 is below min 0" },
        { "NUMBER", { NumberValue = "1000.0000000000000000001" },
          rule("NUMBER_COMPARISON", { max = "1e3" }), "is above max 1e3" },
      }
      for _, case in ipairs(cases) do
        local e = create_error("FacetValidationException", "D", "LEAF_NODE",
          { attr("ok"), dattr("s", case[1], case[2], { lenRule = case[3] }) })
        for _, needle in ipairs{ "DefaultValue", "facet 'D'", "attribute 's'", "rule 'lenRule'",
                                 case[3].Type, case[4] } do
          assert.matches(needle, e.message, 1, true)
        end
      end
      assert.same({}, names())   -- nothing written
    end)

    it("with the same semantics as a written value: inclusive bounds, characters", function()
      create("D", "LEAF_NODE", {
        dattr("exact", "STRING", { StringValue = "abc" },
              { len = rule("STRING_LENGTH", { min = "3", max = "3" }) }),
        -- 3 characters in 6 bytes: STRING_LENGTH counts characters
        dattr("wide", "STRING", { StringValue = "\u{e9}\u{e9}\u{e9}" },
              { len = rule("STRING_LENGTH", { max = "3" }) }),
        dattr("quoted", "STRING", { StringValue = "a,b" },
              { set = rule("STRING_FROM_SET", { allowedValues = '"a,b",c' }) }),
        dattr("bytes", "BINARY", { BinaryValue = "\0\0" },
              { len = rule("BINARY_LENGTH", { min = "2", max = "2" }) }),
        dattr("lo", "NUMBER", { NumberValue = "-1.5" },
              { cmp = rule("NUMBER_COMPARISON", { min = "-1.50", max = "0" }) }),
        dattr("hi", "NUMBER", { NumberValue = "1000.0" },
              { cmp = rule("NUMBER_COMPARISON", { max = "1e3" }) }),
      })
      assert.equal(6, #attributes("D"))
      local e = create_error("FacetValidationException", "E", "NODE",
        { dattr("wide", "STRING", { StringValue = "\u{e9}\u{e9}\u{e9}" },
                { len = rule("STRING_LENGTH", { max = "2" }) }) })
      assert.matches("3 characters, max 2", e.message, 1, true)
      create_error("FacetValidationException", "E", "NODE",
        { dattr("set", "STRING", { StringValue = "a" },
                { set = rule("STRING_FROM_SET", { allowedValues = '"a,b",c' }) }) })
    end)

    it("a valid default is applied to new objects, as written values are checked", function()
      create("D", "LEAF_NODE", { dattr("s", "STRING", { StringValue = "abc" },
                                       { r = rule("STRING_LENGTH", { max = "3" }) }) })
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = schema, Version = "1" }
        .PublishedSchemaArn
      local d = cd:CreateDirectory{ Name = "dir", SchemaArn = pub }
      local sf = { SchemaArn = d.AppliedSchemaArn, FacetName = "D" }
      local o = cd:CreateObject{ DirectoryArn = d.DirectoryArn, SchemaFacets = { sf } }
        .ObjectIdentifier
      local got = cd:GetObjectAttributes{ DirectoryArn = d.DirectoryArn,
        ObjectReference = { Selector = "$" .. o }, SchemaFacet = sf, AttributeNames = { "s" } }
      assert.same({ StringValue = "abc" }, got.Attributes[1].Value)
      expect_error("FacetValidationException", cd.CreateObject, cd, {
        DirectoryArn = d.DirectoryArn, SchemaFacets = { sf }, ObjectAttributeList = { {
          Key = { SchemaArn = d.AppliedSchemaArn, FacetName = "D", Name = "s" },
          Value = { StringValue = "abcd" } } } })
    end)

    it("a default over the value size limit is refused under limits = aws only", function()
      local big = { StringValue = ("x"):rep(2049) }
      local e = create_error("LimitExceededException", "D", "NODE", { dattr("s", "STRING", big) })
      assert.matches("DefaultValue", e.message, 1, true)
      local free = helper.client{ limits = "none" }
      local arn = free:CreateSchema{ Name = "org" }.SchemaArn
      free:CreateFacet{ SchemaArn = arn, Name = "D", ObjectType = "NODE",
                        Attributes = { dattr("s", "STRING", big) } }
    end)

    describe("UpdateFacet", function()
      local function update(updates)
        return cd:UpdateFacet{ SchemaArn = schema, Name = "D", AttributeUpdates = updates }
      end
      local function refuses(updates, ...)
        local before = attributes("D")
        local e = expect_error("FacetValidationException", cd.UpdateFacet, cd,
          { SchemaArn = schema, Name = "D", AttributeUpdates = updates })
        for _, needle in ipairs{ "DefaultValue", "facet 'D'", ... } do
          assert.matches(needle, e.message, 1, true)
        end
        assert.same(before, attributes("D"))
        return e
      end
      before_each(function()
        create("D", "LEAF_NODE", { dattr("s", "STRING", { StringValue = "abcd" },
                                         { len = rule("STRING_LENGTH", { max = "5" }) }) })
      end)

      it("refuses a new attribute whose default breaks its rules", function()
        refuses({ { Action = "CREATE_OR_UPDATE", Attribute = dattr("n", "NUMBER",
          { NumberValue = "11" }, { cmp = rule("NUMBER_COMPARISON", { max = "10" }) }) } },
          "attribute 'n'", "rule 'cmp'", "11 is above max 10")
      end)

      it("refuses new rules the default it keeps would break", function()
        refuses({ { Action = "CREATE_OR_UPDATE", Attribute = dattr("s", "STRING",
          { StringValue = "abcd" }, { len = rule("STRING_LENGTH", { max = "3" }) }) } },
          "attribute 's'", "rule 'len'", "4 characters, max 3")
        refuses({ { Action = "CREATE_OR_UPDATE", Attribute = dattr("s", "STRING",
          { StringValue = "abcd" }, { len = rule("STRING_LENGTH", { max = "5" }),
                                      set = rule("STRING_FROM_SET", { allowedValues = "x,y" }) }) } },
          "rule 'set'")
      end)

      it("accepts new rules with a default that passes them, or without a default", function()
        update{ { Action = "CREATE_OR_UPDATE", Attribute = dattr("s", "STRING",
          { StringValue = "abcd" }, { len = rule("STRING_LENGTH", { min = "4", max = "4" }) }) } }
        assert.same({ StringValue = "abcd" }, attributes("D")[1].AttributeDefinition.DefaultValue)
        -- CREATE_OR_UPDATE replaces the whole definition: a default left out is gone
        update{ { Action = "CREATE_OR_UPDATE", Attribute = dattr("s", "STRING", nil,
          { len = rule("STRING_LENGTH", { max = "1" }) }) } }
        assert.is_nil(attributes("D")[1].AttributeDefinition.DefaultValue)
      end)

      it("refuses such a default in an applied schema too", function()
        local pub = cd:PublishSchema{ DevelopmentSchemaArn = schema, Version = "1" }
          .PublishedSchemaArn
        local applied = cd:CreateDirectory{ Name = "dir", SchemaArn = pub }.AppliedSchemaArn
        local e = expect_error("FacetValidationException", cd.UpdateFacet, cd, {
          SchemaArn = applied, Name = "D", AttributeUpdates = { { Action = "CREATE_OR_UPDATE",
            Attribute = dattr("t", "STRING", { StringValue = "zz" },
              { set = rule("STRING_FROM_SET", { allowedValues = "a" }) }) } } })
        assert.matches("rule 'set'", e.message, 1, true)
        assert.equal(1, #cd:ListFacetAttributes{ SchemaArn = applied, Name = "D" }.Attributes)
      end)
    end)
  end)

  describe("limits", function()
    local function many(n, make)
      local t = {}
      for i = 1, n do t[i] = make(i) end
      return t
    end

    it("at most 5 rules per attribute", function()
      local function rules(n)
        return many(n, function() return { Type = "STRING_LENGTH", Parameters = { min = "1" } } end)
      end
      local function as_map(list)
        local m = {}
        for i, r in ipairs(list) do m["r" .. i] = r end
        return m
      end
      create("Five", "NODE", { attr("a", "STRING", { rules = as_map(rules(5)) }) })
      create_error("LimitExceededException", "Six", "NODE",
        { attr("a", "STRING", { rules = as_map(rules(6)) }) })
    end)

    it("at most 10 attributes with a default", function()
      local function attrs(n)
        return many(n, function(i)
          return attr("a" .. i, "STRING", { default = { StringValue = "x" } })
        end)
      end
      create("Ten", "NODE", attrs(10))
      create_error("LimitExceededException", "Eleven", "NODE", attrs(11))
    end)

    it("at most 30 required attributes", function()
      local function attrs(n)
        return many(n, function(i) return attr("a" .. i, "STRING", { required = true }) end)
      end
      create("Thirty", "NODE", attrs(30))
      create_error("LimitExceededException", "ThirtyOne", "NODE", attrs(31))
    end)

    it("at most 1000 attributes", function()
      local function attrs(n) return many(n, function(i) return attr("a" .. i) end) end
      create("Thousand", "NODE", attrs(1000))
      create_error("LimitExceededException", "More", "NODE", attrs(1001))
    end)

    it("at most 30 facets per schema", function()
      for i = 1, 30 do create("F" .. i, "NODE") end
      create_error("LimitExceededException", "F31", "NODE")
    end)

    it("none of them under limits = none", function()
      local free = helper.client{ limits = "none" }
      local arn = free:CreateSchema{ Name = "org" }.SchemaArn
      for i = 1, 31 do free:CreateFacet{ SchemaArn = arn, Name = "F" .. i, ObjectType = "NODE" } end
      local attrs = many(40, function(i)
        return attr("a" .. i, "STRING", { required = true, default = { StringValue = "x" } })
      end)
      local rules = {}
      for i = 1, 7 do rules["r" .. i] = { Type = "STRING_LENGTH", Parameters = { min = "1" } } end
      attrs[#attrs + 1] = attr("ruled", "STRING", { rules = rules })
      free:CreateFacet{ SchemaArn = arn, Name = "Big", ObjectType = "NODE", Attributes = attrs }
      assert.equal(32, #helper.all_pages(free, "ListFacetNames", { SchemaArn = arn }, "FacetNames"))
    end)
  end)

  describe("ListFacetNames", function()
    it("lists names in order and pages", function()
      for _, n in ipairs{ "c", "a", "b" } do create(n, "NODE") end
      local p1 = cd:ListFacetNames{ SchemaArn = schema, MaxResults = 2 }
      assert.same({ "a", "b" }, p1.FacetNames)
      local p2 = cd:ListFacetNames{ SchemaArn = schema, MaxResults = 2, NextToken = p1.NextToken }
      assert.same({ "c" }, p2.FacetNames)
      assert.is_nil(p2.NextToken)
    end)

    it("returns an empty list for a schema without facets", function()
      assert.same({ FacetNames = {} }, cd:ListFacetNames{ SchemaArn = schema })
    end)

    it("lists the base schema's built-in facets", function()
      local fx = helper.fixture(cd)
      assert.same({ "INDEX", "LEAF_NODE", "NODE", "POLICY" },
        cd:ListFacetNames{ SchemaArn = fx.base_arn }.FacetNames)
      assert.same({ "Group", "Person", "Rule" },
        cd:ListFacetNames{ SchemaArn = fx.applied_arn }.FacetNames)
    end)

    it("rejects a NextToken of another schema's listing", function()
      for _, n in ipairs{ "a", "b" } do create(n, "NODE") end
      local other = cd:CreateSchema{ Name = "other" }.SchemaArn
      local t = cd:ListFacetNames{ SchemaArn = schema, MaxResults = 1 }.NextToken
      expect_error("InvalidNextTokenException", cd.ListFacetNames, cd,
        { SchemaArn = other, NextToken = t })
      expect_error("InvalidNextTokenException", cd.ListFacetNames, cd,
        { SchemaArn = schema, NextToken = "bogus" })
    end)

    it("checks the NextToken on the base schema too", function()
      local fx = helper.fixture(cd)
      for _, op in ipairs{ "ListFacetNames", "ListTypedLinkFacetNames" } do
        expect_error("InvalidNextTokenException", cd.call, cd, op,
          { SchemaArn = fx.base_arn, NextToken = "bogus" })
      end
    end)

    it("raises ResourceNotFoundException for an unknown schema", function()
      expect_error("ResourceNotFoundException", cd.ListFacetNames, cd,
        { SchemaArn = PREFIX .. "schema/published/nope/1" })
    end)
  end)

  describe("ListFacetAttributes", function()
    it("returns every attribute in name order, in the API's shape", function()
      create("Person", "LEAF_NODE", {
        attr("email", "STRING", { required = true, immutable = true,
          rules = { len = { Type = "STRING_LENGTH", Parameters = { max = "9" } } } }),
        attr("age", "NUMBER", { default = { NumberValue = "0" } }),
        ref("mail", "Person", "email"),
      })
      assert.same({
        { Name = "age", RequiredBehavior = "NOT_REQUIRED",
          AttributeDefinition = { Type = "NUMBER", DefaultValue = { NumberValue = "0" },
                                  IsImmutable = false, Rules = {} } },
        { Name = "email", RequiredBehavior = "REQUIRED_ALWAYS",
          AttributeDefinition = { Type = "STRING", IsImmutable = true,
            Rules = { len = { Type = "STRING_LENGTH", Parameters = { max = "9" } } } } },
        { Name = "mail", RequiredBehavior = "NOT_REQUIRED",
          AttributeReference = { TargetFacetName = "Person", TargetAttributeName = "email" } },
      }, cd:ListFacetAttributes{ SchemaArn = schema, Name = "Person" }.Attributes)
    end)

    it("pages 10 at a time by default", function()
      local attrs = {}
      for i = 1, 12 do attrs[i] = attr(string.format("a%02d", i)) end
      create("F", "NODE", attrs)
      local p1 = cd:ListFacetAttributes{ SchemaArn = schema, Name = "F" }
      assert.equal(10, #p1.Attributes)
      assert.equal("a10", p1.Attributes[10].Name)
      local p2 = cd:ListFacetAttributes{ SchemaArn = schema, Name = "F", NextToken = p1.NextToken }
      assert.same({ "a11", "a12" }, { p2.Attributes[1].Name, p2.Attributes[2].Name })
      assert.is_nil(p2.NextToken)
    end)

    it("clamps MaxResults to 30 under limits = aws, honours any size under none", function()
      local attrs = {}
      for i = 1, 35 do attrs[i] = attr(string.format("a%02d", i)) end
      create("F", "NODE", attrs)
      local r = cd:ListFacetAttributes{ SchemaArn = schema, Name = "F", MaxResults = 100 }
      assert.equal(30, #r.Attributes)
      assert.is_string(r.NextToken)
      local free = helper.client{ limits = "none" }
      local arn = free:CreateSchema{ Name = "org" }.SchemaArn
      free:CreateFacet{ SchemaArn = arn, Name = "F", ObjectType = "NODE", Attributes = attrs }
      r = free:ListFacetAttributes{ SchemaArn = arn, Name = "F", MaxResults = 100 }
      assert.equal(35, #r.Attributes)
      assert.is_nil(r.NextToken)
    end)

    it("rejects a NextToken of another facet", function()
      local attrs = {}
      for i = 1, 3 do attrs[i] = attr("a" .. i) end
      create("F", "NODE", attrs)
      create("G", "NODE", attrs)
      local t = cd:ListFacetAttributes{ SchemaArn = schema, Name = "F", MaxResults = 1 }.NextToken
      expect_error("InvalidNextTokenException", cd.ListFacetAttributes, cd,
        { SchemaArn = schema, Name = "G", NextToken = t })
    end)

    it("lists the base POLICY and INDEX facets' attributes", function()
      local fx = helper.fixture(cd)
      local names = {}
      for _, a in ipairs(cd:ListFacetAttributes{ SchemaArn = fx.base_arn, Name = "POLICY" }
                           .Attributes) do
        names[#names + 1] = a.Name .. ":" .. a.AttributeDefinition.Type .. ":" .. a.RequiredBehavior
      end
      assert.same({ "policy_document:BINARY:REQUIRED_ALWAYS", "policy_type:STRING:REQUIRED_ALWAYS" },
        names)
      assert.equal(2, #cd:ListFacetAttributes{ SchemaArn = fx.base_arn, Name = "INDEX" }.Attributes)
    end)

    it("raises FacetNotFoundException for an unknown facet", function()
      expect_error("FacetNotFoundException", cd.ListFacetAttributes, cd,
        { SchemaArn = schema, Name = "No" })
    end)
  end)

  describe("DeleteFacet", function()
    it("deletes a facet", function()
      create("F", "NODE")
      assert.same({}, cd:DeleteFacet{ SchemaArn = schema, Name = "F" })
      expect_error("FacetNotFoundException", cd.GetFacet, cd, { SchemaArn = schema, Name = "F" })
      create("F", "LEAF_NODE")   -- the name is free again
    end)

    it("raises FacetNotFoundException for an unknown facet", function()
      expect_error("FacetNotFoundException", cd.DeleteFacet, cd, { SchemaArn = schema, Name = "F" })
    end)

    it("refuses a facet whose attributes another facet references", function()
      create("User", "NODE", { attr("first") })
      create("Person", "NODE", { ref("name", "User", "first") })
      local e = expect_error("FacetInUseException", cd.DeleteFacet, cd,
        { SchemaArn = schema, Name = "User" })
      assert.matches("Person", e.message)
      cd:DeleteFacet{ SchemaArn = schema, Name = "Person" }
      cd:DeleteFacet{ SchemaArn = schema, Name = "User" }
    end)

    it("is not blocked by references inside the facet itself", function()
      create("User", "NODE", { attr("first"), ref("given", "User", "first") })
      cd:DeleteFacet{ SchemaArn = schema, Name = "User" }
    end)

    it("works in development schemas only", function()
      local fx = helper.fixture(cd)
      for _, arn in ipairs{ fx.published_arn, fx.applied_arn, fx.base_arn } do
        expect_error("InvalidArnException", cd.DeleteFacet, cd,
          { SchemaArn = arn, Name = "Group" })
      end
      expect_error("ResourceNotFoundException", cd.DeleteFacet, cd,
        { SchemaArn = PREFIX .. "schema/development/nope", Name = "Group" })
    end)
  end)

  describe("typed-link facets", function()
    local function tl_attr(name, type_, required, extra)
      local a = { Name = name, Type = type_ or "STRING",
                  RequiredBehavior = required and "REQUIRED_ALWAYS" or "NOT_REQUIRED" }
      for k, v in pairs(extra or {}) do a[k] = v end
      return a
    end
    local function create_link(name, attrs, order)
      return cd:CreateTypedLinkFacet{ SchemaArn = schema, Facet = {
        Name = name, Attributes = attrs, IdentityAttributeOrder = order } }
    end
    local function link_error(code, name, attrs, order)
      return expect_error(code, cd.CreateTypedLinkFacet, cd, { SchemaArn = schema, Facet = {
        Name = name, Attributes = attrs, IdentityAttributeOrder = order } })
    end

    it("creates one; GetTypedLinkFacetInformation returns the identity order", function()
      assert.same({}, create_link("Friend",
        { tl_attr("since", "DATETIME", true), tl_attr("kind", "STRING", true),
          tl_attr("note") }, { "kind", "since" }))
      assert.same({ IdentityAttributeOrder = { "kind", "since" } },
        cd:GetTypedLinkFacetInformation{ SchemaArn = schema, Name = "Friend" })
    end)

    it("lists attributes in name order, in the API's shape", function()
      create_link("Friend", {
        tl_attr("since", "NUMBER", true, { IsImmutable = true,
          Rules = { cmp = { Type = "NUMBER_COMPARISON", Parameters = { min = "0" } } } }),
        tl_attr("note", "STRING", false, { DefaultValue = { StringValue = "-" } }),
      }, { "since" })
      assert.same({
        { Name = "note", Type = "STRING", DefaultValue = { StringValue = "-" },
          IsImmutable = false, Rules = {}, RequiredBehavior = "NOT_REQUIRED" },
        { Name = "since", Type = "NUMBER", IsImmutable = true,
          Rules = { cmp = { Type = "NUMBER_COMPARISON", Parameters = { min = "0" } } },
          RequiredBehavior = "REQUIRED_ALWAYS" },
      }, cd:ListTypedLinkFacetAttributes{ SchemaArn = schema, Name = "Friend" }.Attributes)
    end)

    it("pages names and attributes", function()
      local attrs = {}
      for i = 1, 5 do attrs[i] = tl_attr("a" .. i, "STRING", true) end
      for _, n in ipairs{ "c", "a", "b" } do create_link(n, attrs, { "a1" }) end
      local names, pages = helper.all_pages(cd, "ListTypedLinkFacetNames",
        { SchemaArn = schema, MaxResults = 2 }, "FacetNames")
      assert.same({ "a", "b", "c" }, names)
      assert.equal(2, pages)
      local got
      got, pages = helper.all_pages(cd, "ListTypedLinkFacetAttributes",
        { SchemaArn = schema, Name = "b", MaxResults = 2 }, "Attributes")
      assert.equal(5, #got)
      assert.equal(3, pages)
    end)

    it("refuses a name the schema already has", function()
      create_link("Friend", { tl_attr("a", "STRING", true) }, { "a" })
      link_error("FacetAlreadyExistsException", "Friend", { tl_attr("a", "STRING", true) }, { "a" })
    end)

    it("needs identity attributes that exist, once each, REQUIRED_ALWAYS", function()
      link_error("FacetValidationException", "L", { tl_attr("a", "STRING", true) }, { "b" })
      link_error("FacetValidationException", "L", { tl_attr("a", "STRING", false) }, { "a" })
      link_error("FacetValidationException", "L", { tl_attr("a", "STRING", true) }, { "a", "a" })
    end)

    it("needs unique attribute names", function()
      link_error("FacetValidationException", "L",
        { tl_attr("a", "STRING", true), tl_attr("a", "NUMBER", true) }, { "a" })
    end)

    it("checks rules and defaults as facets do", function()
      link_error("InvalidRuleException", "L", { tl_attr("a", "NUMBER", true,
        { Rules = { r = { Type = "STRING_LENGTH", Parameters = { min = "1" } } } }) }, { "a" })
      link_error("FacetValidationException", "L", { tl_attr("a", "NUMBER", true,
        { DefaultValue = { StringValue = "x" } }) }, { "a" })
    end)

    it("refuse a default their rules refuse, creating nothing", function()
      local e = link_error("FacetValidationException", "L", { tl_attr("a", "STRING", true),
        tl_attr("note", "STRING", false, { DefaultValue = { StringValue = "toolong" },
          Rules = { len = { Type = "STRING_LENGTH", Parameters = { max = "3" } } } }) }, { "a" })
      for _, needle in ipairs{ "DefaultValue", "'L'", "attribute 'note'", "rule 'len'",
                               "7 characters, max 3" } do
        assert.matches(needle, e.message, 1, true)
      end
      assert.same({}, cd:ListTypedLinkFacetNames{ SchemaArn = schema }.FacetNames)
      create_link("L", { tl_attr("a", "STRING", true),
        tl_attr("note", "STRING", false, { DefaultValue = { StringValue = "too" },
          Rules = { len = { Type = "STRING_LENGTH", Parameters = { max = "3" } } } }) }, { "a" })
    end)

    it("are copied by publish and apply", function()
      local fx = helper.fixture(cd)
      for _, arn in ipairs{ fx.published_arn, fx.applied_arn } do
        assert.same({ "Friend" }, cd:ListTypedLinkFacetNames{ SchemaArn = arn }.FacetNames)
        assert.same({ IdentityAttributeOrder = { "since" } },
          cd:GetTypedLinkFacetInformation{ SchemaArn = arn, Name = "Friend" })
      end
      assert.same({}, cd:ListTypedLinkFacetNames{ SchemaArn = fx.base_arn }.FacetNames)
    end)

    it("can be created in applied schemas but not published ones", function()
      local fx = helper.fixture(cd)
      local f = { Name = "New", Attributes = { tl_attr("a", "STRING", true) },
                  IdentityAttributeOrder = { "a" } }
      cd:CreateTypedLinkFacet{ SchemaArn = fx.applied_arn, Facet = f }
      assert.same({ "Friend", "New" },
        cd:ListTypedLinkFacetNames{ SchemaArn = fx.applied_arn }.FacetNames)
      expect_error("InvalidArnException", cd.CreateTypedLinkFacet, cd,
        { SchemaArn = fx.published_arn, Facet = f })
    end)

    it("are deleted in development schemas only", function()
      local fx = helper.fixture(cd)
      expect_error("InvalidArnException", cd.DeleteTypedLinkFacet, cd,
        { SchemaArn = fx.published_arn, Name = "Friend" })
      expect_error("InvalidArnException", cd.DeleteTypedLinkFacet, cd,
        { SchemaArn = fx.applied_arn, Name = "Friend" })
      assert.same({}, cd:DeleteTypedLinkFacet{ SchemaArn = fx.schema_arn, Name = "Friend" })
      expect_error("FacetNotFoundException", cd.GetTypedLinkFacetInformation, cd,
        { SchemaArn = fx.schema_arn, Name = "Friend" })
      expect_error("FacetNotFoundException", cd.DeleteTypedLinkFacet, cd,
        { SchemaArn = fx.schema_arn, Name = "Friend" })
    end)

    it("need a name of at least one character", function()
      -- the model's TypedLinkName allows "", but a schema document cannot name a facet ""
      local fx = helper.fixture(cd)
      local e = expect_error("ValidationException", cd.CreateTypedLinkFacet, cd,
        { SchemaArn = fx.schema_arn, Facet = { Name = "", Attributes = { tl_attr("a", "STRING", true) },
                                               IdentityAttributeOrder = { "a" } } })
      assert.matches("must not be empty", e.message, 1, true)
      local doc = cd:GetSchemaAsJson{ SchemaArn = fx.schema_arn }.Document
      assert.same({}, cd:PutSchemaFromJson{ SchemaArn = fx.schema_arn, Document = doc }.Arn and {} or nil)
    end)

    it("raise FacetNotFoundException for an unknown name", function()
      expect_error("FacetNotFoundException", cd.GetTypedLinkFacetInformation, cd,
        { SchemaArn = schema, Name = "No" })
      expect_error("FacetNotFoundException", cd.ListTypedLinkFacetAttributes, cd,
        { SchemaArn = schema, Name = "No" })
    end)

    it("raise ResourceNotFoundException for an unknown schema", function()
      expect_error("ResourceNotFoundException", cd.ListTypedLinkFacetNames, cd,
        { SchemaArn = PREFIX .. "schema/development/nope" })
    end)
  end)
end)
