--- clouddir.schema_doc — schema declarations (Lua tables, see clouddir.schema) to and from
-- schema documents, the JSON format of PutSchemaFromJson / GetSchemaAsJson.
--
--   local text = clouddir.schema_to_json(decl [, { pretty = true, source = arn }])
--   local decl, source = clouddir.schema_from_json(text)   -- canonical form, sourceSchemaArn
--
-- Both go through the API shapes (CreateFacet's FacetAttribute), so a declaration means the
-- same thing whether schema:define or PutSchemaFromJson stores it.  Documents come out the
-- way GetSchemaAsJson writes them: isImmutable, attributeRules and facetStyle always
-- present, keys sorted with sourceSchemaArn first.  Defaults: NUMBER -> longValue (a 64-bit
-- integer) or numberValue (a decimal string, clouddir's extension for other numbers),
-- DATETIME -> datetimeValue in milliseconds, BINARY -> binaryValue in URL-safe base64.
--
-- Errors are clouddir error values: InvalidSchemaDocException naming the member that is
-- wrong ("facets.Device.facetAttributes.serial: ..."), also for text that is not JSON and
-- for a declaration table that is malformed; InvalidRuleException for an unknown rule type.
-- The deeper checks (a reference to a missing facet, a rule's parameters, limits) are the
-- engine's, when the document is stored.
local core = require "clouddir.core"
local support = require "clouddir.support"
local schema = require "clouddir.schema"

local doc = {}

local ARRAY_MT = core.json_array_mt
local JSON_FIRST = { "sourceSchemaArn" }

local function fail(path, fmt, ...)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  support.raise("InvalidSchemaDocException", "%s: %s", path == "" and "the document" or path, msg)
end

-- base64url (RFC 4648 §5) -------------------------------------------------------------------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local B64_DIGIT = {}
for i = 1, #B64 do B64_DIGIT[B64:byte(i)] = i - 1 end

local function b64url_encode(s)
  local out = {}
  local function digit(v, shift) local d = (v >> shift & 63) + 1; return B64:sub(d, d) end
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a << 16 | (b or 0) << 8 | (c or 0)
    out[#out + 1] = digit(v, 18) .. digit(v, 12) .. (b and digit(v, 6) or "=") .. (c and digit(v, 0) or "=")
  end
  return table.concat(out)
end

-- Decodes URL-safe base64 (padding optional); nil for anything else.
local function b64url_decode(s)
  s = s:gsub("==?$", "")
  if #s % 4 == 1 then return nil end
  local out, acc, bits = {}, 0, 0
  for i = 1, #s do
    local d = B64_DIGIT[s:byte(i)]
    if not d then return nil end
    acc, bits = (acc << 6 | d) & 0xFFFFFF, bits + 6
    if bits >= 8 then
      bits = bits - 8
      out[#out + 1] = string.char(acc >> bits & 0xFF)
    end
  end
  return table.concat(out)
end

-- Checking decoded JSON ---------------------------------------------------------------------

local function is_object(v) return type(v) == "table" and getmetatable(v) == nil end
local function is_array(v) return type(v) == "table" and getmetatable(v) == ARRAY_MT end

local function kind_of(v)
  if v == core.json_null then return "null" end
  if is_array(v) then return "an array" end
  if is_object(v) then return "an object" end
  if math.type(v) == "integer" then return "an integer" end
  if type(v) == "number" then return "a number with a fraction" end
  return "a " .. type(v)
end

local function join(path, key) return path == "" and key or path .. "." .. key end

local function check_object(path, v, allowed)
  if not is_object(v) then fail(path, "must be an object, not %s", kind_of(v)) end
  for k in pairs(v) do
    if not allowed[k] then
      local names = support.sorted_keys(allowed)
      fail(path, "unknown key '%s' (expected %s)", k, table.concat(names, ", "))
    end
  end
  return v
end

local function set_of(list)
  local s = {}
  for _, x in ipairs(list) do s[x] = true end
  return s
end

local function check_enum(path, v, set, optional)
  if v == nil and optional then return nil end
  if type(v) ~= "string" or not set[v] then
    fail(path, "must be one of %s, not %s", table.concat(support.sorted_keys(set), " | "),
         type(v) == "string" and "'" .. v .. "'" or kind_of(v))
  end
  return v
end

local function check_string(path, v, optional)
  if v == nil and optional then return nil end
  if type(v) ~= "string" then fail(path, "must be a string, not %s", kind_of(v)) end
  return v
end

local ATTRIBUTE_TYPES = set_of{ "STRING", "NUMBER", "BINARY", "BOOLEAN", "DATETIME", "VARIANT" }
local OBJECT_TYPES = set_of{ "NODE", "LEAF_NODE", "POLICY", "INDEX" }
local FACET_STYLES = set_of{ "STATIC", "DYNAMIC" }
local REQUIRED = set_of{ "REQUIRED_ALWAYS", "NOT_REQUIRED" }
local RULE_TYPES = set_of{ "STRING_LENGTH", "BINARY_LENGTH", "NUMBER_COMPARISON", "STRING_FROM_SET" }

-- The defaultValue member each declared type takes (VARIANT: any).
local DEFAULT_MEMBER = { STRING = "stringValue", BINARY = "binaryValue", BOOLEAN = "booleanValue",
                         DATETIME = "datetimeValue", NUMBER = "longValue" }
local DEFAULT_KEYS = set_of{ "stringValue", "longValue", "numberValue", "booleanValue",
                             "binaryValue", "datetimeValue" }

-- Document -> API shapes ---------------------------------------------------------------------

local function default_from_doc(path, dv, attr_type)
  check_object(path, dv, DEFAULT_KEYS)
  local k, v = next(dv)
  if k == nil or next(dv, k) ~= nil then
    fail(path, "must have exactly one of stringValue, longValue, booleanValue, binaryValue, "
         .. "datetimeValue")
  end
  local want = DEFAULT_MEMBER[attr_type]
  local member = k == "numberValue" and "longValue" or k
  if want and member ~= want then
    fail(path, "a %s attribute takes %s, not %s", attr_type, want, k)
  end
  local p = join(path, k)
  if k == "stringValue" then
    return { StringValue = check_string(p, v) }
  elseif k == "longValue" then
    if math.type(v) ~= "integer" then fail(p, "must be an integer, not %s", kind_of(v)) end
    return { NumberValue = ("%d"):format(v) }
  elseif k == "numberValue" then
    check_string(p, v)
    if not tonumber(v) then fail(p, "must be a decimal number, not '%s'", v) end
    return { NumberValue = v }
  elseif k == "booleanValue" then
    if type(v) ~= "boolean" then fail(p, "must be true or false, not %s", kind_of(v)) end
    return { BooleanValue = v }
  elseif k == "binaryValue" then
    local bytes = b64url_decode(check_string(p, v))
    if not bytes then fail(p, "is not URL-safe base64 (RFC 4648 §5: A-Z a-z 0-9 '-' '_')") end
    return { BinaryValue = bytes }
  else
    if math.type(v) ~= "integer" then fail(p, "must be an integer (milliseconds), not %s", kind_of(v)) end
    return { DatetimeValue = v % 1000 == 0 and v // 1000 or v / 1000 }
  end
end

local function rules_from_doc(path, rules)
  if rules == nil then return nil end
  check_object(path, rules, setmetatable({}, { __index = function() return true end }))
  local out = {}
  for name, r in pairs(rules) do
    local p = join(path, name)
    check_object(p, r, set_of{ "ruleType", "parameters" })
    local rt = check_string(join(p, "ruleType"), r.ruleType)
    if not RULE_TYPES[rt] then
      support.raise("InvalidRuleException", "%s.ruleType: unknown rule type '%s' (expected %s)",
                    p, rt, table.concat(support.sorted_keys(RULE_TYPES), ", "))
    end
    local params = {}
    if r.parameters ~= nil then
      local pp = join(p, "parameters")
      if not is_object(r.parameters) then fail(pp, "must be an object of strings, not %s", kind_of(r.parameters)) end
      for k, v in pairs(r.parameters) do params[k] = check_string(join(pp, k), v) end
    end
    out[name] = { Type = rt, Parameters = params }
  end
  return out
end

local DEFINITION_KEYS = set_of{ "attributeType", "defaultValue", "isImmutable", "attributeRules" }

-- An attributeDefinition as the API's definition fields (Type, DefaultValue, ...).
local function definition_from_doc(path, d)
  check_object(path, d, DEFINITION_KEYS)
  local t = check_enum(join(path, "attributeType"), d.attributeType, ATTRIBUTE_TYPES)
  if d.isImmutable ~= nil and type(d.isImmutable) ~= "boolean" then
    fail(join(path, "isImmutable"), "must be true or false, not %s", kind_of(d.isImmutable))
  end
  return {
    Type = t,
    DefaultValue = d.defaultValue ~= nil and default_from_doc(join(path, "defaultValue"), d.defaultValue, t) or nil,
    IsImmutable = d.isImmutable or false,
    Rules = rules_from_doc(join(path, "attributeRules"), d.attributeRules),
  }
end

local ATTRIBUTE_KEYS = set_of{ "attributeDefinition", "attributeReference", "requiredBehavior" }
local REFERENCE_KEYS = set_of{ "targetSchemaArn", "targetFacetName", "targetAttributeName" }

-- One facetAttributes entry -> FacetAttribute (typed links: no references).
local function attribute_from_doc(path, name, a, typed_link)
  check_object(path, a, ATTRIBUTE_KEYS)
  local required = check_enum(join(path, "requiredBehavior"), a.requiredBehavior, REQUIRED)
  local def, ref = a.attributeDefinition, a.attributeReference
  if (def == nil) == (ref == nil) then
    fail(path, "must have exactly one of attributeDefinition, attributeReference")
  end
  if ref ~= nil then
    local p = join(path, "attributeReference")
    if typed_link then fail(p, "typed-link facets take no attribute references") end
    check_object(p, ref, REFERENCE_KEYS)
    check_string(join(p, "targetSchemaArn"), ref.targetSchemaArn, true)
    return { Name = name, RequiredBehavior = required, AttributeReference = {
      TargetFacetName = check_string(join(p, "targetFacetName"), ref.targetFacetName),
      TargetAttributeName = check_string(join(p, "targetAttributeName"), ref.targetAttributeName) } }
  end
  local d = definition_from_doc(join(path, "attributeDefinition"), def)
  if typed_link then
    d.Name, d.RequiredBehavior = name, required
    return d
  end
  return { Name = name, RequiredBehavior = required, AttributeDefinition = d }
end

local function attributes_from_doc(path, attrs, typed_link, from_api)
  local out = {}
  if attrs == nil then return out end
  if not is_object(attrs) then fail(path, "must be an object, not %s", kind_of(attrs)) end
  for name, a in pairs(attrs) do
    out[name] = from_api(attribute_from_doc(join(path, name), name, a, typed_link))
  end
  return out
end

local FACET_KEYS = set_of{ "facetAttributes", "objectType", "facetStyle" }
local LINK_KEYS = set_of{ "facetAttributes", "identityAttributeOrder" }
local DOCUMENT_KEYS = set_of{ "sourceSchemaArn", "facets", "typedLinkFacets" }

--- A decoded document (tables from core.json_decode) -> canonical declaration, source ARN.
function doc.from_document(d)
  check_object("", d, DOCUMENT_KEYS)
  local source = check_string("sourceSchemaArn", d.sourceSchemaArn, true) or ""
  local out = { facets = {}, typed_links = {} }
  if d.facets ~= nil and not is_object(d.facets) then fail("facets", "must be an object, not %s", kind_of(d.facets)) end
  for name, f in pairs(d.facets or {}) do
    local p = "facets." .. name
    check_object(p, f, FACET_KEYS)
    local style = check_enum(p .. ".facetStyle", f.facetStyle, FACET_STYLES, true)
    out.facets[name] = {
      type = check_enum(p .. ".objectType", f.objectType, OBJECT_TYPES, true),
      style = style ~= "STATIC" and style or nil,
      attributes = attributes_from_doc(p .. ".facetAttributes", f.facetAttributes, false,
                                       schema.facet_attribute_from_api),
    }
  end
  if d.typedLinkFacets ~= nil and not is_object(d.typedLinkFacets) then
    fail("typedLinkFacets", "must be an object, not %s", kind_of(d.typedLinkFacets))
  end
  for name, t in pairs(d.typedLinkFacets or {}) do
    local p = "typedLinkFacets." .. name
    check_object(p, t, LINK_KEYS)
    if t.facetAttributes == nil then fail(p, "needs facetAttributes") end
    local order = t.identityAttributeOrder
    if not is_array(order) then
      fail(p .. ".identityAttributeOrder", "must be an array of attribute names, not %s", kind_of(order))
    end
    local identity = {}
    for i, a in ipairs(order) do identity[i] = check_string(("%s.identityAttributeOrder[%d]"):format(p, i - 1), a) end
    out.typed_links[name] = {
      attributes = attributes_from_doc(p .. ".facetAttributes", t.facetAttributes, true,
                                       schema.typed_link_attribute_from_api),
      identity = identity,
    }
  end
  return out, source
end

--- JSON text -> canonical declaration, sourceSchemaArn.
function doc.from_json(text)
  support.check(type(text) == "string", "schema_from_json", 1, "JSON text expected")
  local ok, d = pcall(core.json_decode, text)
  if not ok then
    support.raise("InvalidSchemaDocException", "the document is not JSON: %s",
                  (tostring(type(d) == "table" and d.message or d):gsub("^json_decode: ", "")))
  end
  return doc.from_document(d)
end

-- API shapes -> document ---------------------------------------------------------------------

local function default_to_doc(dv)
  if dv.StringValue ~= nil then return { stringValue = dv.StringValue } end
  if dv.BooleanValue ~= nil then return { booleanValue = dv.BooleanValue } end
  if dv.BinaryValue ~= nil then return { binaryValue = b64url_encode(dv.BinaryValue) } end
  if dv.DatetimeValue ~= nil then
    return { datetimeValue = math.tointeger(math.floor(dv.DatetimeValue * 1000 + 0.5)) }
  end
  local s = tostring(dv.NumberValue)
  local n = s:match("^-?%d+$") and math.tointeger(tonumber(s))
  if n and ("%d"):format(n) == s then return { longValue = n } end
  return { numberValue = s }
end

local function definition_to_doc(d)
  local rules = {}
  for name, r in pairs(d.Rules or {}) do
    rules[name] = { ruleType = r.Type, parameters = r.Parameters or {} }
  end
  return {
    attributeType = d.Type,
    defaultValue = d.DefaultValue and default_to_doc(d.DefaultValue) or nil,
    isImmutable = d.IsImmutable or false,
    attributeRules = rules,
  }
end

local function attribute_to_doc(fa)
  local out = { requiredBehavior = fa.RequiredBehavior }
  if fa.AttributeReference then
    out.attributeReference = { targetFacetName = fa.AttributeReference.TargetFacetName,
                               targetAttributeName = fa.AttributeReference.TargetAttributeName }
  else
    out.attributeDefinition = definition_to_doc(fa.AttributeDefinition or fa)
  end
  return out
end

--- A declaration (any form clouddir.normalize_schema takes) -> a document table, ready for
-- core.json_encode.  source: the sourceSchemaArn (default "").
function doc.to_document(decl, source)
  if type(decl) ~= "table" then
    support.raise("InvalidSchemaDocException", "a schema declaration is a table, not a %s", type(decl))
  end
  local ok, c = pcall(schema.normalize, decl)
  if not ok then support.raise("InvalidSchemaDocException", "%s", tostring(c)) end
  local out = { sourceSchemaArn = source or "", facets = {}, typedLinkFacets = {} }
  for name, f in pairs(c.facets) do
    local attrs = {}
    for an, a in pairs(f.attributes) do attrs[an] = attribute_to_doc(schema.facet_attribute_to_api(an, a)) end
    out.facets[name] = { objectType = f.type, facetStyle = f.style or "STATIC", facetAttributes = attrs }
  end
  for name, t in pairs(c.typed_links) do
    local attrs = {}
    for an, a in pairs(t.attributes) do attrs[an] = attribute_to_doc(schema.typed_link_attribute_to_api(an, a)) end
    local identity = setmetatable({}, ARRAY_MT)
    for i, a in ipairs(t.identity) do identity[i] = a end
    out.typedLinkFacets[name] = { facetAttributes = attrs, identityAttributeOrder = identity }
  end
  return out
end

--- A declaration -> JSON text.  opts: pretty (boolean), source (sourceSchemaArn).  The
-- document is checked as schema_from_json would check it, so what this writes reads back.
function doc.to_json(decl, opts)
  opts = support.options(opts, { pretty = true, source = true }, "schema_to_json", 2)
  local d = doc.to_document(decl, opts.source)
  local ok, text = pcall(core.json_encode, d, { pretty = opts.pretty, first = JSON_FIRST })
  if not ok then
    support.raise("InvalidSchemaDocException", "%s", (tostring(text.message or text):gsub("^json_encode: ", "")))
  end
  doc.from_json(text)
  return text
end

doc.b64url_encode, doc.b64url_decode = b64url_encode, b64url_decode

return doc
