-- schema_json_spec.lua — schema documents (semantics §11): PutSchemaFromJson and
-- GetSchemaAsJson; round trips, every feature of the format, and bad documents.
local helper = require "spec.helper"
local json = require "dkjson"
local expect_error = helper.expect_error

local PREFIX = "arn:aws:clouddirectory:us-east-1:123456789012:"

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The complete example of semantics.md §11 (also the fuzzer's first seed).
local EXAMPLE = read_file("spec/fuzz/corpus/example.json")

local function decode(text)
  local v, _, err = json.decode(text, 1, json.null)
  assert(v ~= nil, err)
  return v
end

-- Lua cannot tell {} from []: every empty table of a document is an object, except an
-- identityAttributeOrder.
local function encode(v)
  local function mark(t, key)
    if type(t) ~= "table" then return t end
    if next(t) == nil and key ~= "identityAttributeOrder" then
      return setmetatable({}, { __jsontype = "object" })
    end
    local r = {}
    for k, x in pairs(t) do r[k] = mark(x, k) end
    return r
  end
  return json.encode(mark(v))
end

-- A document as GetSchemaAsJson normalises it: every definition with isImmutable and
-- attributeRules, every facet with facetAttributes and facetStyle, typedLinkFacets present.
local function normalise(doc)
  local out = { facets = {}, typedLinkFacets = {} }
  local function attrs(list)
    local r = {}
    for name, a in pairs(list or {}) do
      local n = { requiredBehavior = a.requiredBehavior }
      if a.attributeDefinition then
        local d = a.attributeDefinition
        n.attributeDefinition = { attributeType = d.attributeType, defaultValue = d.defaultValue,
          isImmutable = d.isImmutable or false, attributeRules = d.attributeRules or {} }
      else
        local ref = a.attributeReference
        n.attributeReference = { targetFacetName = ref.targetFacetName,
                                 targetAttributeName = ref.targetAttributeName }
      end
      r[name] = n
    end
    return r
  end
  for name, f in pairs(doc.facets or {}) do
    out.facets[name] = { facetAttributes = attrs(f.facetAttributes), objectType = f.objectType,
                         facetStyle = f.facetStyle or "STATIC" }
  end
  for name, f in pairs(doc.typedLinkFacets or {}) do
    out.typedLinkFacets[name] = { facetAttributes = attrs(f.facetAttributes),
                                  identityAttributeOrder = f.identityAttributeOrder }
  end
  return out
end

-- The meaning of a GetSchemaAsJson document: everything but sourceSchemaArn.
local function meaning(text)
  local d = decode(text)
  d.sourceSchemaArn = nil
  return d
end

-- Builders for small documents.
local function def(type_, extra)
  local d = { attributeType = type_ }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

local function attr(type_, extra, required)
  return { attributeDefinition = def(type_, extra),
           requiredBehavior = required and "REQUIRED_ALWAYS" or "NOT_REQUIRED" }
end

local function facet(attributes, object_type)
  return { objectType = object_type or "NODE", facetAttributes = attributes or {} }
end

describe("schema documents", function()
  local cd, schema
  before_each(function()
    cd = helper.client()
    schema = cd:CreateSchema{ Name = "org" }.SchemaArn
  end)
  after_each(helper.cleanup)

  local function put(doc, arn)
    if type(doc) == "table" then doc = encode(doc) end
    return cd:PutSchemaFromJson{ SchemaArn = arn or schema, Document = doc }
  end

  local function get(arn)
    return cd:GetSchemaAsJson{ SchemaArn = arn or schema }
  end

  describe("PutSchemaFromJson and GetSchemaAsJson", function()
    it("load the complete example and give back its meaning, normalised", function()
      assert.same({ Arn = schema }, put(EXAMPLE))
      local r = get()
      assert.equal("org", r.Name)
      assert.same(normalise(decode(EXAMPLE)), meaning(r.Document))
    end)

    it("round-trip exactly: put(get(x)) gives get(x) byte for byte", function()
      put(EXAMPLE)
      local first = get().Document
      put(first)
      assert.equal(first, get().Document)
      -- into another schema too
      local other = cd:CreateSchema{ Name = "copy" }.SchemaArn
      put(first, other)
      assert.same(meaning(first), meaning(get(other).Document))
    end)

    it("write sourceSchemaArn first, facets by name, then typedLinkFacets, compactly", function()
      put(EXAMPLE)
      local text = get().Document
      local head = '{"sourceSchemaArn":"' .. schema .. '","facets":{"AccessPolicy":'
      assert.equal(head, text:sub(1, #head))
      local order = {}
      for name in text:gmatch('"([%w_]+)":{"facetAttributes"') do order[#order + 1] = name end
      assert.same({ "AccessPolicy", "Device", "Folder", "Labelled", "Scratch", "OwnedBy" }, order)
      assert.is_nil(text:find("\n"))
      assert.truthy(text:find('},"typedLinkFacets":{"OwnedBy"', 1, true))
      -- rule names and parameters in name order: deterministic bytes
      assert.truthy(text:find('"parameters":{"max":"100000","min":"0"}', 1, true))
    end)

    it("store what the API shows: types, defaults, rules, references", function()
      put(EXAMPLE)
      assert.same({ Facet = { Name = "Device", ObjectType = "LEAF_NODE", FacetStyle = "STATIC" } },
        cd:GetFacet{ SchemaArn = schema, Name = "Device" })
      assert.same({ Facet = { Name = "Scratch", ObjectType = "LEAF_NODE", FacetStyle = "DYNAMIC" } },
        cd:GetFacet{ SchemaArn = schema, Name = "Scratch" })
      local attrs = {}
      for _, a in ipairs(cd:ListFacetAttributes{ SchemaArn = schema, Name = "Device",
                                                 MaxResults = 30 }.Attributes) do
        attrs[a.Name] = a
      end
      assert.same({ NumberValue = "0" }, attrs.weightGrams.AttributeDefinition.DefaultValue)
      assert.same({ StringValue = "NEW" }, attrs.state.AttributeDefinition.DefaultValue)
      assert.same({ BooleanValue = false }, attrs.online.AttributeDefinition.DefaultValue)
      assert.equal(1514764800, attrs.installedAt.AttributeDefinition.DefaultValue.DatetimeValue)
      assert.is_true(attrs.serial.AttributeDefinition.IsImmutable)
      assert.equal("REQUIRED_ALWAYS", attrs.serial.RequiredBehavior)
      assert.same({ Type = "NUMBER_COMPARISON", Parameters = { min = "0", max = "100000" } },
        attrs.weightGrams.AttributeDefinition.Rules.positive)
      local labelled = cd:ListFacetAttributes{ SchemaArn = schema, Name = "Labelled" }.Attributes
      assert.same({ TargetFacetName = "Device", TargetAttributeName = "serial" },
        labelled[1].AttributeReference)
      assert.same({ IdentityAttributeOrder = { "role", "since" } },
        cd:GetTypedLinkFacetInformation{ SchemaArn = schema, Name = "OwnedBy" })
    end)

    it("make a schema that works once published and applied", function()
      put(EXAMPLE)
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = schema, Version = "1" }
        .PublishedSchemaArn
      local d = cd:CreateDirectory{ Name = "d", SchemaArn = pub }
      local applied = d.AppliedSchemaArn
      cd:CreateObject{ DirectoryArn = d.DirectoryArn,
        SchemaFacets = { { SchemaArn = applied, FacetName = "Device" } },
        ObjectAttributeList = { { Key = { SchemaArn = applied, FacetName = "Device", Name = "serial" },
                                  Value = { StringValue = "S-1" } } },
        ParentReference = { Selector = "/" }, LinkName = "dev1" }
      local got = cd:GetObjectAttributes{ DirectoryArn = d.DirectoryArn,
        ObjectReference = { Selector = "/dev1" },
        SchemaFacet = { SchemaArn = applied, FacetName = "Device" },
        AttributeNames = { "serial", "state" } }.Attributes
      local by = {}
      for _, kv in ipairs(got) do by[kv.Key.Name] = kv.Value end
      assert.same({ StringValue = "S-1" }, by.serial)
      assert.same({ StringValue = "NEW" }, by.state)   -- the document's default
    end)

    it("replace the whole content, facets and typed-link facets", function()
      cd:CreateFacet{ SchemaArn = schema, Name = "Old", ObjectType = "NODE" }
      cd:CreateTypedLinkFacet{ SchemaArn = schema, Facet = { Name = "OldLink",
        Attributes = { { Name = "a", Type = "STRING", RequiredBehavior = "REQUIRED_ALWAYS" } },
        IdentityAttributeOrder = { "a" } } }
      put{ sourceSchemaArn = "", facets = { New = facet() } }
      expect_error("FacetNotFoundException", cd.GetFacet, cd, { SchemaArn = schema, Name = "Old" })
      expect_error("FacetNotFoundException", cd.GetTypedLinkFacetInformation, cd,
        { SchemaArn = schema, Name = "OldLink" })
      assert.same({ "New" }, cd:ListFacetNames{ SchemaArn = schema }.FacetNames)
      -- an empty document empties the schema
      put("{}")
      assert.same({}, cd:ListFacetNames{ SchemaArn = schema }.FacetNames)
      assert.same({ facets = {}, typedLinkFacets = {} }, meaning(get().Document))
    end)

    it("carry every attribute type and every default form", function()
      local attrs = {
        s = attr("STRING", { defaultValue = { stringValue = "héllo \"q\"" } }),
        n = attr("NUMBER", { defaultValue = { longValue = -9007199254740993 } }),
        big = attr("NUMBER", { defaultValue = { numberValue = "123456789012345678901234567890" } }),
        frac = attr("NUMBER", { defaultValue = { numberValue = "-0.000001" } }),
        b = attr("BINARY", { defaultValue = { binaryValue = "AP_-" } }),   -- bytes 00 ff fe
        t = attr("BOOLEAN", { defaultValue = { booleanValue = true } }),
        d = attr("DATETIME", { defaultValue = { datetimeValue = -1500 } }),
        v = attr("VARIANT", { defaultValue = { longValue = 7 } }),
        v2 = attr("VARIANT"),
        plain = attr("STRING", { isImmutable = true }, true),
      }
      put{ facets = { All = facet(attrs) } }
      local text = get().Document
      put(text)
      assert.equal(text, get().Document)
      -- 2^53 + 1 keeps its last digit (dkjson would round it): check the text itself
      assert.truthy(text:find('"longValue":-9007199254740993', 1, true))
      assert.truthy(text:find('"numberValue":"123456789012345678901234567890"', 1, true))
      assert.truthy(text:find('"numberValue":"-0.000001"', 1, true))
      assert.truthy(text:find('"binaryValue":"AP_-"', 1, true))
      assert.truthy(text:find('"datetimeValue":-1500', 1, true))
      local api = {}
      for _, a in ipairs(cd:ListFacetAttributes{ SchemaArn = schema, Name = "All",
                                                 MaxResults = 30 }.Attributes) do
        api[a.Name] = a.AttributeDefinition
      end
      assert.equal("\0\255\254", api.b.DefaultValue.BinaryValue)
      assert.same({ NumberValue = "-9007199254740993" }, api.n.DefaultValue)
      assert.same({ NumberValue = "7" }, api.v.DefaultValue)
      assert.same({ StringValue = "héllo \"q\"" }, api.s.DefaultValue)
      assert.same({ BooleanValue = true }, api.t.DefaultValue)
      assert.equal(-1.5, api.d.DefaultValue.DatetimeValue)
      assert.is_true(api.plain.IsImmutable)
      for _, t in ipairs{ "STRING", "NUMBER", "BINARY", "BOOLEAN", "DATETIME", "VARIANT" } do
        assert.truthy(text:find('"attributeType":"' .. t .. '"', 1, true), t)
      end
    end)

    it("accepts binaryValue with or without padding, in the URL-safe alphabet", function()
      put{ facets = { B = facet{ x = attr("BINARY", { defaultValue = { binaryValue = "YQ" } }),
                                 y = attr("BINARY", { defaultValue = { binaryValue = "YQ==" } }) } } }
      local text = get().Document
      assert.truthy(text:find('"x":{"attributeDefinition":{"attributeType":"BINARY",' ..
                              '"defaultValue":{"binaryValue":"YQ=="}', 1, true))
    end)

    it("keeps a NUL inside a string default", function()
      put{ facets = { F = facet{ s = attr("STRING", { defaultValue = { stringValue = "a\0b" } }) } } }
      local text = get().Document
      assert.truthy(text:find('"stringValue":"a\\u0000b"', 1, true))
      put(text)
      assert.equal(text, get().Document)
    end)

    it("carry every rule type", function()
      local rules = {
        s = attr("STRING", { attributeRules = {
          len = { ruleType = "STRING_LENGTH", parameters = { min = "1", max = "10" } },
          set = { ruleType = "STRING_FROM_SET", parameters = { allowedValues = "\"a,b\",c" } } } }),
        b = attr("BINARY", { attributeRules = {
          size = { ruleType = "BINARY_LENGTH", parameters = { max = "16" } } } }),
        n = attr("NUMBER", { attributeRules = {
          cmp = { ruleType = "NUMBER_COMPARISON", parameters = { min = "-1.5", max = "1e3" } } } }),
      }
      put{ facets = { R = facet(rules) } }
      assert.same(normalise{ facets = { R = facet(rules) } }, meaning(get().Document))
    end)

    it("resolve references whatever the order of facets, also in cycles and to itself", function()
      local doc = { facets = {
        A = facet{ x = attr("STRING"),
                   toB = { attributeReference = { targetFacetName = "B", targetAttributeName = "y" },
                           requiredBehavior = "NOT_REQUIRED" },
                   self = { attributeReference = { targetFacetName = "A", targetAttributeName = "x" },
                            requiredBehavior = "REQUIRED_ALWAYS" } },
        B = facet({ y = attr("NUMBER"),
                    toA = { attributeReference = { targetSchemaArn = schema, targetFacetName = "A",
                                                   targetAttributeName = "x" },
                            requiredBehavior = "NOT_REQUIRED" } }, "LEAF_NODE"),
      } }
      put(doc)
      assert.same(normalise(doc), meaning(get().Document))
      local text = get().Document
      put(text)
      assert.equal(text, get().Document)
    end)

    it("take dynamic facets with and without objectType and facetAttributes", function()
      put{ facets = { Dyn = { facetStyle = "DYNAMIC" },
                      DynLeaf = { facetStyle = "DYNAMIC", objectType = "LEAF_NODE",
                                  facetAttributes = {} } } }
      local d = meaning(get().Document)
      assert.same({ facetAttributes = {}, facetStyle = "DYNAMIC" }, d.facets.Dyn)
      assert.same({ facetAttributes = {}, facetStyle = "DYNAMIC", objectType = "LEAF_NODE" },
        d.facets.DynLeaf)
      assert.same({ Facet = { Name = "Dyn", FacetStyle = "DYNAMIC" } },
        cd:GetFacet{ SchemaArn = schema, Name = "Dyn" })
    end)

    it("take typed-link facets with their identity order", function()
      local doc = { typedLinkFacets = { L = {
        facetAttributes = { a = attr("STRING", nil, true), b = attr("NUMBER", nil, true),
                            c = attr("STRING", { defaultValue = { stringValue = "x" } }) },
        identityAttributeOrder = { "b", "a" } } } }
      put(doc)
      assert.same(normalise(doc), meaning(get().Document))
      assert.same({ IdentityAttributeOrder = { "b", "a" } },
        cd:GetTypedLinkFacetInformation{ SchemaArn = schema, Name = "L" })
    end)
  end)

  describe("GetSchemaAsJson", function()
    it("works on published and applied schemas, naming the published source", function()
      put(EXAMPLE)
      local dev = get().Document
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = schema, Version = "1",
                                    MinorVersion = "2" }.PublishedSchemaArn
      assert.equal(PREFIX .. "schema/published/org/1/2", pub)
      local p = get(pub)
      assert.equal("org", p.Name)
      assert.equal(pub, decode(p.Document).sourceSchemaArn)
      assert.same(meaning(dev), meaning(p.Document))
      local d = cd:CreateDirectory{ Name = "d", SchemaArn = pub }
      local a = get(d.AppliedSchemaArn)
      assert.equal("org", a.Name)
      assert.equal(pub, decode(a.Document).sourceSchemaArn)
      assert.same(meaning(dev), meaning(a.Document))
      -- the major-version ARN of the published schema names its newest revision
      assert.equal(pub, decode(get(PREFIX .. "schema/published/org/1").Document).sourceSchemaArn)
      -- and an applied schema's document loads into a development schema
      local copy = cd:CreateSchema{ Name = "copy" }.SchemaArn
      put(a.Document, copy)
      assert.same(meaning(dev), meaning(get(copy).Document))
    end)

    it("gives the base schema's built-in facets", function()
      local fx = helper.fixture(cd, { schema = "fx" })
      local r = get(fx.base_arn)
      assert.equal("CloudDirectory", r.Name)
      local d = decode(r.Document)
      assert.equal(fx.base_arn, d.sourceSchemaArn)
      assert.same({ "INDEX", "LEAF_NODE", "NODE", "POLICY" }, (function()
        local names = {}
        for n in pairs(d.facets) do names[#names + 1] = n end
        table.sort(names)
        return names
      end)())
      assert.equal("POLICY", d.facets.POLICY.objectType)
      assert.equal("BINARY",
        d.facets.POLICY.facetAttributes.policy_document.attributeDefinition.attributeType)
    end)

    it("gives a fresh schema as an empty document", function()
      assert.same({ sourceSchemaArn = schema, facets = {}, typedLinkFacets = {} },
        decode(get().Document))
    end)

    it("reports unknown schemas and bad ARNs", function()
      expect_error("ResourceNotFoundException", cd.GetSchemaAsJson, cd,
        { SchemaArn = PREFIX .. "schema/development/nope" })
      expect_error("InvalidArnException", cd.GetSchemaAsJson, cd, { SchemaArn = "arn:nope" })
    end)
  end)

  it("keeps defaults that pass their rules, at the bounds, counting characters", function()
    local doc = { facets = { F = facet{
      s = attr("STRING", { defaultValue = { stringValue = "\u{e9}t\u{e9}" }, attributeRules = {
        len = { ruleType = "STRING_LENGTH", parameters = { min = "3", max = "3" } } } }),
      n = attr("NUMBER", { defaultValue = { longValue = 10 }, attributeRules = {
        cmp = { ruleType = "NUMBER_COMPARISON", parameters = { min = "10", max = "1e1" } } } }),
    } } }
    put(doc)
    assert.same(normalise(doc), meaning(get().Document))
  end)

  it("idiomatic declarations refuse such defaults, new schema or existing", function()
    local _, store = helper.client()
    local bad = { facets = { D = { type = "LEAF_NODE", attributes = {
      s = { type = "STRING", default = "toolong", rules = { len = { "STRING_LENGTH", max = 3 } } },
    } } } }
    local e = expect_error("InvalidSchemaDocException", store.schema, store, "fresh", bad)
    assert.matches("rule 'len'", e.message, 1, true)
    assert.is_nil(store:schema("fresh"))   -- a failed declaration leaves no schema behind
    local s = store:schema("kept", { facets = { D = { type = "LEAF_NODE", attributes = {
      s = { type = "STRING", default = "abc", rules = { len = { "STRING_LENGTH", max = 3 } } },
    } } } })
    e = expect_error("FacetValidationException", s.define, s, bad)
    assert.matches("DefaultValue.*attribute 's'.*rule 'len'", e.message)
    assert.equal("abc", s:definition().facets.D.attributes.s.default)
  end)

  describe("PutSchemaFromJson refuses", function()
    -- Runs a bad document and checks the exception, its message, and that the schema did
    -- not change.
    local function refuses(code, doc, ...)
      put(EXAMPLE)
      local before = get().Document
      if type(doc) == "table" then doc = encode(doc) end
      local e = expect_error(code, cd.PutSchemaFromJson, cd, { SchemaArn = schema, Document = doc })
      for _, needle in ipairs{ ... } do
        assert.matches(needle, e.message, 1, true)
      end
      assert.equal(before, get().Document)
      return e
    end

    it("schemas that are not development schemas", function()
      local fx = helper.fixture(cd, { schema = "fx" })
      for _, arn in ipairs{ fx.published_arn, fx.applied_arn, fx.base_arn } do
        expect_error("InvalidArnException", cd.PutSchemaFromJson, cd,
          { SchemaArn = arn, Document = "{}" })
      end
      -- PutSchemaFromJson lists no ResourceNotFoundException
      expect_error("InvalidArnException", cd.PutSchemaFromJson, cd,
        { SchemaArn = PREFIX .. "schema/development/nope", Document = "{}" })
    end)

    it("truncated JSON, with its position", function()
      refuses("InvalidSchemaDocException", EXAMPLE:sub(1, 300), "not valid JSON", "line")
      refuses("InvalidSchemaDocException", "", "not valid JSON")
    end)

    it("deeply nested JSON", function()
      refuses("InvalidSchemaDocException", ("["):rep(10000), "depth")
      refuses("InvalidSchemaDocException",
        '{"facets":{"A":' .. ('{"x":'):rep(5000) .. "1" .. ("}"):rep(5002), "depth")
    end)

    it("a document over 200 KB under limits = \"aws\", but not under \"none\"", function()
      local big = '{"facets":{}' .. (" "):rep(210 * 1024) .. "}"
      refuses("LimitExceededException", big, "200 KB")
      local cd2 = helper.client{ limits = "none" }
      local s2 = cd2:CreateSchema{ Name = "big" }.SchemaArn
      local doc = { facets = { S = facet{ set = attr("STRING", { attributeRules = {
        r = { ruleType = "STRING_FROM_SET",
              parameters = { allowedValues = ("v,"):rep(120 * 1024) .. "v" } } } }) } } }
      local text = encode(doc)
      assert.is_true(#text > 200 * 1024)
      cd2:PutSchemaFromJson{ SchemaArn = s2, Document = text }
      local back = cd2:GetSchemaAsJson{ SchemaArn = s2 }.Document
      assert.same(normalise(doc), meaning(back))
    end)

    it("bytes that are not UTF-8, and NUL bytes", function()
      refuses("InvalidSchemaDocException", '{"facets":{"\255":{}}}', "byte 0xff", "column")
      refuses("InvalidSchemaDocException", '{"facets":{}}\0', "not valid JSON")
      refuses("InvalidSchemaDocException", '{"facets":{"A\\u0000":{}}}', "not valid JSON")
    end)

    it("documents that are not objects, and trailing garbage", function()
      refuses("InvalidSchemaDocException", "[]", "must be a JSON object")
      refuses("InvalidSchemaDocException", "{} {}", "not valid JSON")
    end)

    it("unknown keys, naming the key and its path", function()
      refuses("InvalidSchemaDocException", { facets = {}, extra = 1 }, "unknown key 'extra'")
      local a = attr("STRING")
      a.attributeDefinition.foo = true
      refuses("InvalidSchemaDocException", { facets = { Device = facet{ serial = a } } },
        "facets.Device.facetAttributes.serial.attributeDefinition: unknown key 'foo'")
      refuses("InvalidSchemaDocException",
        { facets = { F = { objectType = "NODE", facetAttributes = {}, colour = "red" } } },
        "facets.F: unknown key 'colour'")
      refuses("InvalidSchemaDocException",
        { typedLinkFacets = { L = { facetAttributes = {}, identityAttributeOrder = {}, x = 1 } } },
        "typedLinkFacets.L: unknown key 'x'")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("STRING", { defaultValue = { intValue = 1 } }) } } },
        "facets.F.facetAttributes.a.attributeDefinition.defaultValue: unknown key 'intValue'")
    end)

    it("duplicate keys", function()
      refuses("InvalidSchemaDocException",
        '{"facets":{"A":{"objectType":"NODE","facetAttributes":{}},' ..
        '"A":{"objectType":"NODE","facetAttributes":{}}}}', "duplicate")
    end)

    it("values of the wrong type, naming the member", function()
      refuses("InvalidSchemaDocException", { facets = { 1, 2 } }, "facets", "must be an object")
      refuses("InvalidSchemaDocException", { facets = { F = { objectType = 5, facetAttributes = {} } } },
        "facets.F.objectType", "must be a string")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("STRING", { isImmutable = "yes" }) } } },
        "facets.F.facetAttributes.a.attributeDefinition.isImmutable")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("NUMBER", { defaultValue = { longValue = "1" } }) } } },
        "defaultValue.longValue", "must be an integer")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("NUMBER", { defaultValue = { longValue = 1.5 } }) } } },
        "defaultValue.longValue", "numberValue")
      refuses("InvalidSchemaDocException",
        '{"facets":{"F":{"objectType":"NODE","facetAttributes":{"a":{"attributeDefinition":' ..
        '{"attributeType":"NUMBER","defaultValue":{"longValue":123456789012345678901234567890}},' ..
        '"requiredBehavior":"NOT_REQUIRED"}}}}}', "too big integer", "numberValue")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("DATETIME", { defaultValue = { datetimeValue = "2018" } }) } } },
        "datetimeValue", "milliseconds")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("BINARY", { defaultValue = { binaryValue = "a+b/" } }) } } },
        "binaryValue", "URL-safe base64")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("BINARY", { defaultValue = { binaryValue = "YQ=" } }) } } },
        "binaryValue", "URL-safe base64")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("STRING", { defaultValue = { longValue = 1 } }) } } },
        "facets.F.facetAttributes.a.attributeDefinition.defaultValue", "stringValue")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("STRING", { defaultValue = {
          stringValue = "x", booleanValue = true } }) } } }, "exactly one")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = attr("TEXT") } } }, "attributeType", "'TEXT'")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet({}, "FOLDER") } }, "facets.F.objectType", "'FOLDER'")
      refuses("InvalidSchemaDocException",
        { typedLinkFacets = { L = { facetAttributes = {}, identityAttributeOrder = "a" } } },
        "typedLinkFacets.L.identityAttributeOrder", "must be an array")
    end)

    it("attributes and facets that are not complete", function()
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = { attributeDefinition = def("STRING") } } } },
        "facets.F.facetAttributes.a", "requiredBehavior")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ a = { requiredBehavior = "NOT_REQUIRED" } } } },
        "exactly one of attributeDefinition and attributeReference")
      refuses("InvalidSchemaDocException", { facets = { F = { facetAttributes = {} } } },
        "facets.F", "objectType")
      refuses("InvalidSchemaDocException", { facets = { F = { objectType = "NODE" } } },
        "facets.F", "facetAttributes")
      refuses("InvalidSchemaDocException", { facets = { ["bad name"] = facet() } },
        "facets.bad name", "letters")
      refuses("InvalidSchemaDocException",
        { facets = { D = { facetStyle = "DYNAMIC", objectType = "INDEX" } } }, "facets.D", "INDEX")
    end)

    it("references to missing facets or attributes, or to references", function()
      local function ref(f, a)
        return { attributeReference = { targetFacetName = f, targetAttributeName = a },
                 requiredBehavior = "NOT_REQUIRED" }
      end
      refuses("InvalidSchemaDocException", { facets = { F = facet{ r = ref("Nope", "x") } } },
        "facets.F.facetAttributes.r.attributeReference", "facet 'Nope'")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ r = ref("G", "nope") }, G = facet{ x = attr("STRING") } } },
        "no attribute 'nope'")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ r = ref("G", "r2") }, G = facet{ r2 = ref("G", "x"),
                                                               x = attr("STRING") } } },
        "not an attribute definition")
      refuses("InvalidSchemaDocException",
        { facets = { F = facet{ r = { attributeReference = { targetSchemaArn = PREFIX ..
          "schema/development/other", targetFacetName = "F", targetAttributeName = "x" },
          requiredBehavior = "NOT_REQUIRED" }, x = attr("STRING") } } },
        "targetSchemaArn", "same schema")
      refuses("InvalidSchemaDocException",
        { typedLinkFacets = { L = { facetAttributes = { r = ref("F", "x") },
                                    identityAttributeOrder = {} } } },
        "typed link facets do not support attribute references")
    end)

    it("rules on the wrong attribute type, and bad rules", function()
      local function with_rule(type_, rule)
        return { facets = { F = facet{ a = attr(type_, { attributeRules = { r = rule } }) } } }
      end
      refuses("InvalidRuleException",
        with_rule("NUMBER", { ruleType = "STRING_LENGTH", parameters = { max = "1" } }),
        "facets.F.facetAttributes.a.attributeDefinition.attributeRules.r", "STRING attributes")
      refuses("InvalidRuleException",
        with_rule("BOOLEAN", { ruleType = "NUMBER_COMPARISON", parameters = { max = "1" } }),
        "NUMBER attributes")
      refuses("InvalidRuleException",
        with_rule("STRING", { ruleType = "BINARY_LENGTH", parameters = { max = "1" } }),
        "BINARY attributes")
      refuses("InvalidRuleException",
        with_rule("STRING", { ruleType = "REGEX", parameters = {} }), "ruleType", "'REGEX'")
      refuses("InvalidRuleException",
        with_rule("NUMBER", { ruleType = "NUMBER_COMPARISON", parameters = { min = "a" } }),
        "facets.F", "not a number")
      refuses("InvalidRuleException",
        with_rule("STRING", { ruleType = "STRING_LENGTH", parameters = { min = 1 } }),
        "parameters.min", "strings")
      refuses("InvalidRuleException",
        with_rule("STRING", { ruleType = "STRING_LENGTH", parameters = { least = "1" } }),
        "least")
      refuses("InvalidSchemaDocException",
        with_rule("STRING", { ruleType = "STRING_LENGTH", parameters = {}, extra = 1 }),
        "attributeRules.r: unknown key 'extra'")
    end)

    it("defaults their own rules refuse, naming the member, attribute and rule", function()
      local function with_default(type_, default, rule)
        return { facets = { F = facet{ a = attr(type_, { defaultValue = default,
                                                          attributeRules = { r = rule } }) } } }
      end
      refuses("InvalidSchemaDocException",
        with_default("STRING", { stringValue = "toolong" },
                     { ruleType = "STRING_LENGTH", parameters = { max = "3" } }),
        "facets.F", "DefaultValue", "attribute 'a'", "rule 'r' (STRING_LENGTH)",
        "7 characters, max 3")
      refuses("InvalidSchemaDocException",
        with_default("STRING", { stringValue = "d" },
                     { ruleType = "STRING_FROM_SET", parameters = { allowedValues = "a,b" } }),
        "rule 'r' (STRING_FROM_SET)")
      refuses("InvalidSchemaDocException",
        with_default("NUMBER", { longValue = 0 },
                     { ruleType = "NUMBER_COMPARISON", parameters = { min = "1" } }),
        "0 is below min 1")
      refuses("InvalidSchemaDocException",
        with_default("NUMBER", { numberValue = "10.5" },
                     { ruleType = "NUMBER_COMPARISON", parameters = { max = "10" } }),
        "10.5 is above max 10")
      refuses("InvalidSchemaDocException",
        with_default("BINARY", { binaryValue = "AAEC" },   -- 3 bytes
                     { ruleType = "BINARY_LENGTH", parameters = { max = "2" } }),
        "3 bytes, max 2")
      refuses("InvalidSchemaDocException",
        { typedLinkFacets = { L = { facetAttributes = {
            id = attr("STRING", nil, true),
            note = attr("STRING", { defaultValue = { stringValue = "toolong" }, attributeRules = {
              len = { ruleType = "STRING_LENGTH", parameters = { max = "3" } } } }) },
          identityAttributeOrder = { "id" } } } },
        "typedLinkFacets.L", "DefaultValue", "attribute 'note'", "rule 'len'")
    end)

    it("identity orders that name unknown or optional attributes", function()
      refuses("InvalidSchemaDocException",
        { typedLinkFacets = { L = { facetAttributes = { a = attr("STRING", nil, true) },
                                    identityAttributeOrder = { "a", "b" } } } },
        "typedLinkFacets.L.identityAttributeOrder[1]", "'b'")
      refuses("InvalidSchemaDocException",
        { typedLinkFacets = { L = { facetAttributes = { a = attr("STRING") },
                                    identityAttributeOrder = { "a" } } } },
        "typedLinkFacets.L", "REQUIRED_ALWAYS")
    end)

    it("more facets or attributes than the service allows", function()
      local facets = {}
      for i = 1, 31 do facets["F" .. i] = facet() end
      refuses("LimitExceededException", { facets = facets }, "30 facets")
      local rules = {}
      for i = 1, 6 do rules["r" .. i] = { ruleType = "STRING_LENGTH", parameters = { max = "9" } } end
      refuses("LimitExceededException",
        { facets = { F = facet{ a = attr("STRING", { attributeRules = rules }) } } }, "rules")
    end)
  end)
end)
