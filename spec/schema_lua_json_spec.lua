-- schema_lua_json_spec.lua — schemas written in Lua and JSON schema documents:
-- clouddir.core.json_encode / json_decode (Jansson), clouddir.schema_to_json /
-- schema_from_json, schema:json / schema:load_json, store:schema on a new schema, and the
-- examples (examples/schema/inventory.*, examples/upgrade_schema.lua under lua5.4).
local clouddir = require "clouddir"
local helper = require "spec.helper"
local expect_error = helper.expect_error

local core = clouddir.core
local encode, decode = core.json_encode, core.json_decode

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- A declaration that uses every feature: every attribute type, every rule, a default of
-- every type, references (also one within a facet), a dynamic facet, typed links.
local EVERYTHING = {
  facets = {
    Device = { type = "LEAF_NODE", attributes = {
      name = { type = "STRING", required = true, immutable = true, default = "unnamed",
               rules = { len = { "STRING_LENGTH", min = 1, max = 64 },
                         set = { "STRING_FROM_SET", allowedValues = { "unnamed", "a,b", "c" } } } },
      weight = { type = "NUMBER", default = 12, rules = { range = { "NUMBER_COMPARISON", min = -5, max = 1000 } } },
      ratio = { type = "NUMBER", default = 0.25 },
      huge = { type = "NUMBER", default = "123456789012345678901234567890" },
      blob = { type = "BINARY", default = "\0\1\2\255 bytes", rules = { size = { "BINARY_LENGTH", max = 100 } } },
      on = { type = "BOOLEAN", default = true },
      off = { type = "BOOLEAN", default = false },
      born = { type = "DATETIME", default = 1514764800 },
      born_ms = { type = "DATETIME", default = 1514764800.25 },
      any = { type = "VARIANT" },
      alias = { ref = { facet = "Device", attribute = "name" } },
    } },
    Tag = { type = "LEAF_NODE", attributes = {
      device_name = { ref = { facet = "Device", attribute = "name" }, required = true },
    } },
    Folder = { type = "NODE" },
    Policy = { type = "POLICY", attributes = { level = "STRING" } },
    Scratch = { type = "LEAF_NODE", style = "DYNAMIC" },
  },
  typed_links = {
    Owns = { attributes = {
      role = { type = "STRING", required = true, rules = { len = { "STRING_LENGTH", max = 16 } } },
      since = { type = "DATETIME", required = true },
      weight = { type = "NUMBER", default = 1 },
      note = { type = "STRING" },
    }, identity = { "since", "role" } },
    Empty = { attributes = {}, identity = {} },
  },
}

describe("core.json_encode / json_decode", function()
  it("encodes every Lua value kind, objects with sorted keys", function()
    assert.equal('{"a":[1,2.5,true,false,null],"b":"x","c":{}}',
                 encode{ c = {}, b = "x", a = { 1, 2.5, true, false, core.json_null } })
    assert.equal('"s"', encode("s"))
    assert.equal("42", encode(42))
    assert.equal("true", encode(true))
    assert.equal("null", encode(core.json_null))
  end)

  it("keeps integers and floats apart, with the fewest digits that read back", function()
    assert.equal("[3,3.0,0.1,-0.0,1e300]", encode{ 3, 3.0, 0.1, -0.0, 1e300 })
    assert.equal(tostring(math.maxinteger), encode(math.maxinteger))
    assert.equal(tostring(math.mininteger), encode(math.mininteger))
    local t = decode("[3, 3.0, 1e3, 0.1, 9223372036854775807, -9223372036854775808]")
    assert.equal("integer", math.type(t[1]))
    assert.equal("float", math.type(t[2]))
    assert.equal("float", math.type(t[3]))
    assert.equal(1000.0, t[3])
    assert.equal(0.1, t[4])
    assert.equal(math.maxinteger, t[5])
    assert.equal(math.mininteger, t[6])
    for _, x in ipairs{ 1 / 3, math.pi, 2 ^ 53 + 2.0, 1e-310, 123456.789 } do
      assert.equal(x, decode(encode(x)))
    end
  end)

  it("puts opts.first keys first, and indents with opts.pretty", function()
    assert.equal('{"z":1,"a":2}', encode({ a = 2, z = 1 }, { first = { "z" } }))
    assert.equal('{\n  "a": [\n    1\n  ]\n}', encode({ a = { 1 } }, { pretty = true }))
    assert.equal('{\n    "a": 1\n}', encode({ a = 1 }, { pretty = 4 }))
    assert.equal('"\\u00E9"', encode("é", { ascii = true }))
  end)

  it("round-trips strings with NUL bytes and unicode", function()
    local s = "a\0b\0\u{e9}\u{1F600}\u{10FFFF}"
    assert.equal(s, decode(encode(s)))
    assert.equal('"a\\u0000b"', encode("a\0b"))
    assert.equal("a\0b", decode('"a\\u0000b"'))
    assert.equal("\u{1F600}", decode('"\\ud83d\\ude00"'))
    local t = decode(encode{ ["ü"] = 2 })
    assert.equal(2, t["ü"])
    -- Jansson reads no NUL in a key, so none is written
    expect_error("ValidationException", encode, { ["k\0ey"] = 1 })
    expect_error("ValidationException", decode, '{"k\\u0000ey":1}')
  end)

  it("keeps empty arrays apart from empty objects through json_array_mt", function()
    local t = decode('{"a":[],"o":{},"n":[null]}')
    assert.equal(core.json_array_mt, getmetatable(t.a))
    assert.is_nil(getmetatable(t.o))
    assert.equal(core.json_null, t.n[1])
    assert.equal('{"a":[],"n":[null],"o":{}}', encode(t))
    assert.equal("[]", encode(setmetatable({}, core.json_array_mt)))
    assert.equal("{}", encode(setmetatable({}, { __json = "object" })))
    assert.equal('{"1":"x"}', encode(setmetatable({ ["1"] = "x" }, { __json = "object" })))
  end)

  it("refuses what JSON cannot hold, naming where", function()
    local e = expect_error("ValidationException", encode, { a = { { b = "\255" } } })
    assert.matches("$.a[1].b", e.message, 1, true)
    assert.matches("UTF-8", e.message, 1, true)
    expect_error("ValidationException", encode, "\xC0\x80")            -- overlong
    expect_error("ValidationException", encode, "\xED\xA0\x80")        -- surrogate
    expect_error("ValidationException", encode, { ["\255"] = 1 })
    expect_error("ValidationException", encode, 0 / 0)
    expect_error("ValidationException", encode, math.huge)
    expect_error("ValidationException", encode, { f = print })
    expect_error("ValidationException", encode, { [1] = 1, [3] = 3 })
    expect_error("ValidationException", encode, { 1, a = 2 })
    expect_error("ValidationException", encode, { [true] = 1 })
    expect_error("ValidationException", encode, setmetatable({ a = 1 }, core.json_array_mt))
    local cyc = {}
    cyc.self = cyc
    e = expect_error("ValidationException", encode, cyc)
    assert.matches("deeper than 512", e.message, 1, true)
    assert.is_true(#e.message < 400)
  end)

  it("refuses bad JSON text with Jansson's position", function()
    for _, bad in ipairs{ '{"a":1', "[1,]", "", "nul", '{"a":1,"a":2}', '"\255"', '"\\ud800"',
                          "99999999999999999999", "-99999999999999999999", "{a:1}", "[1] x" } do
      local e = expect_error("ValidationException", decode, bad)
      assert.matches("^json_decode: ", e.message)
    end
    local e = expect_error("ValidationException", decode, '{\n  "a": tru }')
    assert.matches("line 2", e.message, 1, true)
  end)

  it("refuses deep nesting cleanly, both ways", function()
    local deep = ("["):rep(100000) .. ("]"):rep(100000)
    expect_error("ValidationException", decode, deep)
    expect_error("ValidationException", decode, ("["):rep(600) .. ("]"):rep(600))
    assert.equal(100, #(function()
      local t = decode(("["):rep(100) .. ("]"):rep(100))
      local n = 0
      while type(t) == "table" do n, t = n + 1, t[1] end
      return ("x"):rep(n)
    end)())
    local nest = {}
    for _ = 1, 600 do nest = { nest } end
    expect_error("ValidationException", encode, nest)
  end)

  it("is reachable from the module too", function()
    assert.equal(core.json_encode, clouddir.json_encode)
    assert.equal(core.json_decode, clouddir.json_decode)
    assert.equal(core.json_null, clouddir.json_null)
  end)
end)

describe("clouddir.schema_to_json / schema_from_json", function()
  it("round-trips every attribute type, rule, default, reference, dynamic facet and typed link", function()
    local text = clouddir.schema_to_json(EVERYTHING)
    local back, source = clouddir.schema_from_json(text)
    assert.equal("", source)
    assert.same(clouddir.normalize_schema(EVERYTHING), back)
    -- and again: a fixed point
    assert.equal(text, clouddir.schema_to_json(back))
  end)

  it("writes the §11 format: camelCase, sourceSchemaArn first, normalised members", function()
    local text = clouddir.schema_to_json(EVERYTHING, { source = "arn:x" })
    assert.matches('^{"sourceSchemaArn":"arn:x","facets":', text)
    local d = decode(text)
    local dev = d.facets.Device.facetAttributes
    assert.same({ attributeType = "STRING", isImmutable = true, defaultValue = { stringValue = "unnamed" },
                  attributeRules = {
                    len = { ruleType = "STRING_LENGTH", parameters = { min = "1", max = "64" } },
                    set = { ruleType = "STRING_FROM_SET", parameters = { allowedValues = 'unnamed,"a,b",c' } } } },
                dev.name.attributeDefinition)
    assert.equal("REQUIRED_ALWAYS", dev.name.requiredBehavior)
    assert.same({ longValue = 12 }, dev.weight.attributeDefinition.defaultValue)
    assert.equal("integer", math.type(dev.weight.attributeDefinition.defaultValue.longValue))
    assert.same({ numberValue = "0.25" }, dev.ratio.attributeDefinition.defaultValue)
    assert.same({ numberValue = "123456789012345678901234567890" }, dev.huge.attributeDefinition.defaultValue)
    assert.same({ binaryValue = "AAEC_yBieXRlcw==" }, dev.blob.attributeDefinition.defaultValue)
    assert.same({ booleanValue = false }, dev.off.attributeDefinition.defaultValue)
    assert.same({ datetimeValue = 1514764800000 }, dev.born.attributeDefinition.defaultValue)
    assert.same({ datetimeValue = 1514764800250 }, dev.born_ms.attributeDefinition.defaultValue)
    assert.same({ targetFacetName = "Device", targetAttributeName = "name" }, dev.alias.attributeReference)
    assert.equal("NOT_REQUIRED", dev.alias.requiredBehavior)
    assert.same({ facetAttributes = {}, facetStyle = "DYNAMIC", objectType = "LEAF_NODE" }, d.facets.Scratch)
    assert.equal("STATIC", d.facets.Folder.facetStyle)
    assert.same({ "since", "role" }, d.typedLinkFacets.Owns.identityAttributeOrder)
    assert.matches('"Empty":{"facetAttributes":{},"identityAttributeOrder":[]}', text, 1, true)
  end)

  it("reads the complete example of semantics §11", function()
    local decl = clouddir.schema_from_json(read_file("spec/fuzz/corpus/example.json"))
    assert.same({ "STRING_FROM_SET", allowedValues = { "low,ish", "HIGH" } }, decl.facets.AccessPolicy.attributes.level.rules.lv)
    assert.same({ ref = { facet = "Device", attribute = "serial" }, required = true },
                decl.facets.Labelled.attributes.deviceSerial)
    assert.equal(1514764800, decl.facets.Device.attributes.installedAt.default)
    assert.equal(0, decl.facets.Device.attributes.weightGrams.default)
    assert.same({ type = "LEAF_NODE", style = "DYNAMIC", attributes = {} }, decl.facets.Scratch)
    assert.same({ "role", "since" }, decl.typed_links.OwnedBy.identity)
  end)

  it("accepts what the format leaves optional", function()
    local decl = clouddir.schema_from_json('{"facets":{"F":{"facetStyle":"DYNAMIC"},'
      .. '"G":{"objectType":"NODE","facetAttributes":{"a":{"attributeDefinition":'
      .. '{"attributeType":"STRING"},"requiredBehavior":"NOT_REQUIRED"},'
      .. '"r":{"attributeReference":{"targetSchemaArn":"","targetFacetName":"G",'
      .. '"targetAttributeName":"a"},"requiredBehavior":"REQUIRED_ALWAYS"}}}}}')
    assert.same({ facets = { F = { style = "DYNAMIC", attributes = {} },
                             G = { type = "NODE", attributes = { a = { type = "STRING" },
                               r = { ref = { facet = "G", attribute = "a" }, required = true } } } },
                  typed_links = {} }, decl)
    assert.same({ facets = {}, typed_links = {} }, (clouddir.schema_from_json("{}")))
  end)

  local function bad_doc(code, text, where)
    local e = expect_error(code, clouddir.schema_from_json, text)
    if where then assert.matches(where, e.message, 1, true) end
    return e
  end

  it("names the member that is wrong in a bad document", function()
    local attr = function(def, extra)
      return '{"facets":{"F":{"objectType":"NODE","facetAttributes":{"a":{"attributeDefinition":'
        .. def .. ',"requiredBehavior":"NOT_REQUIRED"' .. (extra or "") .. '}}}}}'
    end
    local D = "InvalidSchemaDocException"
    bad_doc(D, "[]", "the document: must be an object")
    bad_doc(D, '{"facets":[]}', "facets: must be an object, not an array")
    bad_doc(D, '{"facetz":{}}', "unknown key 'facetz'")
    bad_doc(D, '{"facets":{"F":{"objectType":"NOPE"}}}', "facets.F.objectType: must be one of")
    bad_doc(D, '{"facets":{"F":{"facetStyle":1}}}', "facets.F.facetStyle")
    bad_doc(D, attr('{"attributeType":"TEXT"}'), "facets.F.facetAttributes.a.attributeDefinition.attributeType")
    bad_doc(D, attr('{"attributeType":"STRING","isImmutable":"yes"}'), "isImmutable: must be true or false")
    bad_doc(D, attr('{"attributeType":"STRING","colour":1}'), "unknown key 'colour'")
    bad_doc(D, attr('{"attributeType":"STRING","defaultValue":{"longValue":1}}'), "a STRING attribute takes stringValue")
    bad_doc(D, attr('{"attributeType":"NUMBER","defaultValue":{"longValue":1.5}}'), "longValue: must be an integer")
    bad_doc(D, attr('{"attributeType":"NUMBER","defaultValue":{}}'), "exactly one of")
    bad_doc(D, attr('{"attributeType":"NUMBER","defaultValue":{"longValue":1,"numberValue":"1"}}'), "exactly one of")
    bad_doc(D, attr('{"attributeType":"NUMBER","defaultValue":{"numberValue":"abc"}}'), "decimal number")
    bad_doc(D, attr('{"attributeType":"BINARY","defaultValue":{"binaryValue":"a+b/"}}'), "URL-safe base64")
    bad_doc(D, attr('{"attributeType":"DATETIME","defaultValue":{"datetimeValue":"2018"}}'), "milliseconds")
    bad_doc(D, attr('{"attributeType":"STRING","attributeRules":{"r":{"ruleType":"STRING_LENGTH","parameters":{"min":1}}}}'),
            "attributeRules.r.parameters.min: must be a string")
    bad_doc("InvalidRuleException", attr('{"attributeType":"STRING","attributeRules":{"r":{"ruleType":"LENGTH"}}}'),
            "unknown rule type 'LENGTH'")
    bad_doc(D, attr('{"attributeType":"STRING"}', ',"attributeReference":{"targetFacetName":"F","targetAttributeName":"a"}'),
            "exactly one of attributeDefinition, attributeReference")
    bad_doc(D, '{"facets":{"F":{"facetAttributes":{"a":{"attributeDefinition":{"attributeType":"STRING"}}}}}}',
            "requiredBehavior: must be one of")
    bad_doc(D, '{"typedLinkFacets":{"L":{"facetAttributes":{}}}}', "identityAttributeOrder: must be an array")
    bad_doc(D, '{"typedLinkFacets":{"L":{"facetAttributes":{},"identityAttributeOrder":[1]}}}', "identityAttributeOrder[0]")
    bad_doc(D, '{"typedLinkFacets":{"L":{"identityAttributeOrder":[]}}}', "needs facetAttributes")
    bad_doc(D, '{"typedLinkFacets":{"L":{"facetAttributes":{"r":{"attributeReference":{"targetFacetName":"F",'
      .. '"targetAttributeName":"a"},"requiredBehavior":"REQUIRED_ALWAYS"}},"identityAttributeOrder":[]}}}',
      "no attribute references")
  end)

  it("says a document that is not JSON is not JSON", function()
    for _, text in ipairs{ '{"facets":', "", "\255\254", ('{"a":'):rep(3000), '{"facets":{},"facets":{}}' } do
      local e = bad_doc("InvalidSchemaDocException", text)
      assert.matches("the document is not JSON", e.message, 1, true)
    end
  end)

  it("raises InvalidSchemaDocException for a malformed declaration table", function()
    expect_error("InvalidSchemaDocException", clouddir.schema_to_json, "nope")
    local e = expect_error("InvalidSchemaDocException", clouddir.schema_to_json,
                           { facets = { F = { type = "NODE", colour = "red" } } })
    assert.matches("unknown key 'colour'", e.message, 1, true)
    e = expect_error("InvalidSchemaDocException", clouddir.schema_to_json,
                     { facets = { F = { type = "NODES" } } })
    assert.matches("facets.F.objectType", e.message, 1, true)
    expect_error("InvalidSchemaDocException", clouddir.schema_to_json,
                 { facets = { F = { type = "NODE", attributes = { a = { type = "STRING", default = "\255" } } } } })
  end)
end)

describe("schemas between Lua tables and a store", function()
  after_each(helper.cleanup)

  it("store:schema(name, decl) stores a new schema in one PutSchemaFromJson", function()
    local store = helper.store()
    local s = store:schema("everything", EVERYTHING)
    assert.same(clouddir.normalize_schema(EVERYTHING), s:definition())
    -- what the engine writes reads back as the same declaration
    local back, source = clouddir.schema_from_json(s:json())
    assert.same(clouddir.normalize_schema(EVERYTHING), back)
    assert.equal(s.arn, source)
    -- and the same call on the existing schema is declarative, as before
    assert.same(s, store:schema("everything", EVERYTHING))
  end)

  it("leaves no schema behind when the declaration fails", function()
    local store = helper.store()
    expect_error("InvalidSchemaDocException", store.schema, store, "broken",
      { facets = { F = { type = "NODE", attributes = { r = { ref = { facet = "Missing", attribute = "x" } } } } } })
    assert.is_nil(store:schema("broken"))
    expect_error("InvalidRuleException", store.schema, store, "broken",
      { facets = { F = { type = "NODE", attributes = { a = { type = "NUMBER", rules = { r = { "STRING_LENGTH", max = 3 } } } } } } })
    assert.is_nil(store:schema("broken"))
    assert.has_error(function() store:schema("broken", { facets = { F = { colour = 1 } } }) end)
    assert.is_nil(store:schema("broken"))
  end)

  it("schema:load_json replaces the content from a document or a declaration", function()
    local store = helper.store()
    local s = store:create_schema("org", { facets = { Old = { type = "NODE" } } })
    assert.equal(s, s:load_json(EVERYTHING))
    assert.same(clouddir.normalize_schema(EVERYTHING), s:definition())
    s:load_json('{"facets":{"Only":{"objectType":"LEAF_NODE","facetAttributes":{}}}}')
    assert.same({ "Only" }, s:facet_names())
    -- a bad document changes nothing
    expect_error("InvalidSchemaDocException", s.load_json, s, '{"facets":{"X":{"objectType":"NODE"}},"bad":1}')
    assert.same({ "Only" }, s:facet_names())
    -- only development schemas take documents
    local pub = s:publish("1")
    assert.has_error(function() pub:load_json(EVERYTHING) end)
  end)

  it("schema:json reads published and applied schemas, compact or pretty", function()
    local store = helper.store()
    local pub = store:schema("org", EVERYTHING):publish("1")
    local dir = store:create_directory("d", pub)
    local applied = dir:schema("org")
    local text = applied:json{ pretty = true }
    assert.matches('^{\n  "sourceSchemaArn": "' .. pub.arn:gsub("%p", "%%%0") .. '"', text)
    assert.same(clouddir.normalize_schema(EVERYTHING), (clouddir.schema_from_json(text)))
    assert.same(clouddir.normalize_schema(EVERYTHING), (clouddir.schema_from_json(pub:json())))
  end)
end)

describe("the examples", function()
  after_each(helper.cleanup)

  it("examples/schema/inventory.json is examples/schema/inventory.lua as a document", function()
    local decl = dofile("examples/schema/inventory.lua")
    assert.same(clouddir.normalize_schema(decl),
                (clouddir.schema_from_json(read_file("examples/schema/inventory.json"))))
    assert.equal(clouddir.schema_to_json(decl, { pretty = true }) .. "\n", read_file("examples/schema/inventory.json"))
  end)

  it("examples/upgrade_schema.lua runs under lua5.4", function()
    local cpath = os.getenv("LUA_CPATH") or "build/lib/?.so;;"
    local cmd = ("LUA_PATH='lua/?.lua;;' LUA_CPATH='%s' lua5.4 examples/upgrade_schema.lua 2>&1"):format(cpath)
    local p = assert(io.popen(cmd))
    local output = p:read("a")
    local ok = p:close()
    assert.is_true(ok, output)
    assert.matches("UpgradeAppliedSchema DryRun: directory still on [^\n]*/schema/inventory/1/0\n", output)
    assert.matches("directory now on [^\n]*/schema/inventory/1/1\n", output)
    assert.matches('Device   {"firmware":"4.2.1","model":"edge-48"', output, 1, true)
    assert.matches('Warranty {"expires":', output, 1, true)
    assert.matches('"firmware":"unknown","model":"air-2"', output, 1, true)
    local store = output:match("%(a new store in (%S+);")
    if store then os.execute("rm -rf '" .. store .. "'") end
  end)
end)
