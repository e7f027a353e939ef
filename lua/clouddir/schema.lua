--- clouddir.schema — schemas declared as plain Lua tables, and the Schema handle.
--
-- A declaration (and what schema:definition() reads back, in canonical form):
--
--   {
--     facets = {
--       Person = {
--         type = "LEAF_NODE",                 -- ObjectType: NODE | LEAF_NODE | POLICY | INDEX
--         style = "DYNAMIC",                  -- only when dynamic (STATIC is the default)
--         attributes = {
--           email = { type = "STRING", required = true, immutable = true,
--                     rules = { len = { "STRING_LENGTH", min = 1, max = 64 } } },
--           level = { type = "NUMBER", default = 1 },
--           mail  = { ref = { facet = "Contact", attribute = "email" } },  -- attribute reference
--         },
--       },
--     },
--     typed_links = {
--       Manages = { attributes = { since = { type = "DATETIME", required = true } },
--                   identity = { "since" } },
--     },
--   }
--
-- Canonical form: `facets`, `typed_links` and every `attributes` are present (maybe empty);
-- `required`/`immutable` appear only when true; a rule is { RULE_TYPE, param = value, ... }
-- with min/max as numbers (see clouddir.values for NUMBER) and allowedValues as a list.
local support = require "clouddir.support"
local values = require "clouddir.values"

local schema = {}

-- Declarations -> canonical form -----------------------------------------------------------


-- STRING_FROM_SET's allowedValues: a comma-separated list whose items may be double-quoted
-- (so they can hold commas).
local function split_allowed(s)
  local items, pos = {}, 1
  while true do
    if s:sub(pos, pos) == '"' then
      -- A quoted item runs to the next quote that ends the string or precedes a comma.
      local q = pos + 1
      while true do
        local close = s:find('"', q, true)
        if not close then break end
        local after = s:sub(close + 1, close + 1)
        if after == "" or after == "," then
          items[#items + 1] = s:sub(pos + 1, close - 1)
          if after == "" then return items end
          pos = close + 2
          goto next_item
        end
        q = close + 1
      end
    end
    do
      local comma = s:find(",", pos, true)
      items[#items + 1] = s:sub(pos, (comma or 0) - 1)
      if not comma then return items end
      pos = comma + 1
    end
    ::next_item::
  end
end

local function join_allowed(list)
  local out = {}
  for i, item in ipairs(list) do
    out[i] = (item:find(",", 1, true) or item:sub(1, 1) == '"') and '"' .. item .. '"' or item
  end
  return table.concat(out, ",")
end

local function rule_param_in(v)
  if type(v) == "number" then return values.decimal_to_lua(values.number_to_decimal(v)) end
  if type(v) == "string" then return values.decimal_to_lua(v) end
  return v
end

local function canon_rule(where, r)
  if type(r) ~= "table" then error(where .. ": a rule is a table { RULE_TYPE, param = value }", 0) end
  local out = { r[1] or r.type }
  if type(out[1]) ~= "string" then error(where .. ": a rule needs its type ({ \"STRING_LENGTH\", ... })", 0) end
  for k, v in pairs(r) do
    if k == "allowedValues" then
      out[k] = type(v) == "string" and split_allowed(v) or v
    elseif k ~= 1 and k ~= "type" then
      out[k] = rule_param_in(v)
    end
  end
  return out
end

local attribute_keys = { type = true, required = true, immutable = true, default = true,
                         rules = true, ref = true }

local function canon_attribute(where, a)
  if type(a) == "string" then a = { type = a } end   -- shorthand: email = "STRING"
  if type(a) ~= "table" then error(where .. ": an attribute is a table { type = ... }", 0) end
  for k in pairs(a) do
    if not attribute_keys[k] then error(where .. ": unknown key '" .. tostring(k) .. "'", 0) end
  end
  local out = { required = a.required and true or nil }
  if a.ref ~= nil then
    local r = a.ref
    out.ref = { facet = r.facet or r[1], attribute = r.attribute or r[2] }
    return out
  end
  out.type = a.type
  out.immutable = a.immutable and true or nil
  if a.default ~= nil then
    out.default = values.from_api(values.to_api(a.type, a.default))
  end
  if a.rules and next(a.rules) then
    out.rules = {}
    for name, r in pairs(a.rules) do out.rules[name] = canon_rule(where .. ".rules." .. name, r) end
  end
  return out
end

local function canon_attributes(where, attrs)
  local out = {}
  for name, a in pairs(attrs or {}) do
    out[name] = canon_attribute(where .. "." .. name, a)
  end
  return out
end

local facet_keys = { type = true, style = true, attributes = true }

local function canon_facet(name, f)
  if type(f) ~= "table" then error("facet " .. name .. ": a facet is a table { type = ... }", 0) end
  for k in pairs(f) do
    if not facet_keys[k] then error("facet " .. name .. ": unknown key '" .. tostring(k) .. "'", 0) end
  end
  return {
    type = f.type,
    style = f.style ~= "STATIC" and f.style or nil,
    attributes = canon_attributes("facet " .. name, f.attributes),
  }
end

local function canon_typed_link(name, t)
  if type(t) ~= "table" then error("typed link " .. name .. ": a table { attributes = ..., identity = ... }", 0) end
  local identity = {}
  for i, a in ipairs(t.identity or {}) do identity[i] = a end
  return { attributes = canon_attributes("typed link " .. name, t.attributes), identity = identity }
end

--- A declaration in canonical form (raises a plain error naming the bad part).
function schema.normalize(decl)
  local out = { facets = {}, typed_links = {} }
  for name, f in pairs(decl.facets or {}) do out.facets[name] = canon_facet(name, f) end
  for name, t in pairs(decl.typed_links or {}) do out.typed_links[name] = canon_typed_link(name, t) end
  return out
end

-- Canonical form <-> API shapes -------------------------------------------------------------

local function rules_to_api(rules)
  if not rules then return nil end
  local out = {}
  for name, r in pairs(rules) do
    local params = {}
    for k, v in pairs(r) do
      if k ~= 1 then
        if k == "allowedValues" and type(v) == "table" then v = join_allowed(v)
        elseif type(v) == "number" then v = values.number_to_decimal(v) end
        params[k] = v
      end
    end
    out[name] = { Type = r[1], Parameters = params }
  end
  return out
end

local function rules_from_api(rules)
  if not rules or next(rules) == nil then return nil end
  local out = {}
  for name, r in pairs(rules) do
    local rule = { r.Type }
    for k, v in pairs(r.Parameters or {}) do
      rule[k] = k == "allowedValues" and split_allowed(v) or values.decimal_to_lua(v)
    end
    out[name] = rule
  end
  return out
end

local function required_to_api(a) return a.required and "REQUIRED_ALWAYS" or "NOT_REQUIRED" end

local function definition_to_api(a)
  return {
    Type = a.type,
    DefaultValue = a.default ~= nil and values.to_api(a.type, a.default) or nil,
    IsImmutable = a.immutable or false,
    Rules = rules_to_api(a.rules),
  }
end

local function facet_attribute_to_api(name, a)
  local out = { Name = name, RequiredBehavior = required_to_api(a) }
  if a.ref then
    out.AttributeReference = { TargetFacetName = a.ref.facet, TargetAttributeName = a.ref.attribute }
  else
    out.AttributeDefinition = definition_to_api(a)
  end
  return out
end

local function definition_from_api(out, d)
  out.type = d.Type
  out.immutable = d.IsImmutable or nil
  if d.DefaultValue then out.default = values.from_api(d.DefaultValue) end
  out.rules = rules_from_api(d.Rules)
  return out
end

local function facet_attribute_from_api(fa)
  local out = { required = fa.RequiredBehavior == "REQUIRED_ALWAYS" or nil }
  if fa.AttributeReference then
    out.ref = { facet = fa.AttributeReference.TargetFacetName,
                attribute = fa.AttributeReference.TargetAttributeName }
    return out
  end
  return definition_from_api(out, fa.AttributeDefinition or {})
end

local function typed_link_attribute_to_api(name, a)
  local out = definition_to_api(a)
  out.Name, out.RequiredBehavior = name, required_to_api(a)
  return out
end

local function typed_link_attribute_from_api(ta)
  return definition_from_api({ required = ta.RequiredBehavior == "REQUIRED_ALWAYS" or nil }, ta)
end

-- Deep equality of canonical forms.
local function same(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- The Schema handle ------------------------------------------------------------------------

local Schema = { __name = "clouddir.Schema" }
Schema.__index = Schema
schema.Schema = Schema

function Schema.__tostring(s) return "clouddir.Schema " .. s.arn end
function Schema.__eq(a, b) return a.arn == b.arn end

--- A handle on the schema with this ARN (development, published, applied or managed).
-- Fields: arn, name, state, version, minor (nil when absent), store, client.
function schema.handle(store, client, arn)
  local state, name, version, minor = support.parse_schema_arn(arn)
  return setmetatable({ store = store, client = client, arn = arn, name = name, state = state,
                        version = version, minor = minor }, Schema)
end

local list_all = support.list_all

--- The names of the schema's facets, sorted.
function Schema:facet_names()
  local names = list_all(self.client, "ListFacetNames", { SchemaArn = self.arn }, "FacetNames")
  table.sort(names)
  return names
end

--- The names of the schema's typed-link facets, sorted.
function Schema:typed_link_names()
  local names = list_all(self.client, "ListTypedLinkFacetNames", { SchemaArn = self.arn }, "FacetNames")
  table.sort(names)
  return names
end

--- One facet in canonical form, or nil when the schema has no facet of that name.
function Schema:facet(name)
  local info = support.absent_as_nil("FacetNotFoundException", self.client.call, self.client,
                                     "GetFacet", { SchemaArn = self.arn, Name = name })
  if not info then return nil end
  local f = info.Facet or {}
  local attrs = {}
  for _, fa in ipairs(list_all(self.client, "ListFacetAttributes",
                               { SchemaArn = self.arn, Name = name }, "Attributes")) do
    attrs[fa.Name] = facet_attribute_from_api(fa)
  end
  return { type = f.ObjectType, style = f.FacetStyle ~= "STATIC" and f.FacetStyle or nil,
           attributes = attrs }
end

--- One typed-link facet in canonical form, or nil when there is none of that name.
function Schema:typed_link(name)
  local info = support.absent_as_nil("FacetNotFoundException", self.client.call, self.client,
    "GetTypedLinkFacetInformation", { SchemaArn = self.arn, Name = name })
  if not info then return nil end
  local attrs = {}
  for _, ta in ipairs(list_all(self.client, "ListTypedLinkFacetAttributes",
                               { SchemaArn = self.arn, Name = name }, "Attributes")) do
    attrs[ta.Name] = typed_link_attribute_from_api(ta)
  end
  return { attributes = attrs, identity = info.IdentityAttributeOrder or {} }
end

local function each_of(names, get)
  local i = 0
  return support.iterate(function()
    local items = {}
    for _, name in ipairs(names) do i = i + 1; items[i] = table.pack(name, get(name)) end
    return items, nil
  end)
end

--- Iterator: for name, facet in schema:facets() (facets in canonical form, by name).
function Schema:facets()
  return each_of(self:facet_names(), function(n) return self:facet(n) end)
end

--- Iterator: for name, link in schema:typed_links().
function Schema:typed_links()
  return each_of(self:typed_link_names(), function(n) return self:typed_link(n) end)
end

--- The whole schema in canonical declaration form.
function Schema:definition()
  local out = { facets = {}, typed_links = {} }
  for name, f in self:facets() do out.facets[name] = f end
  for name, t in self:typed_links() do out.typed_links[name] = t end
  return out
end

local function create_facet(self, name, want, skip)
  local attrs = {}
  for _, an in ipairs(support.sorted_keys(want.attributes)) do
    if not skip[an] then attrs[#attrs + 1] = facet_attribute_to_api(an, want.attributes[an]) end
  end
  self.client:CreateFacet{ SchemaArn = self.arn, Name = name, Attributes = attrs,
                           ObjectType = want.type, FacetStyle = want.style }
end

-- The reference attributes of a facet declaration whose target facet is not in `known`.
local function unresolved_refs(name, want, known)
  local out, any = {}, false
  for an, a in pairs(want.attributes) do
    if a.ref and (a.ref.facet == name or not known[a.ref.facet]) then out[an], any = true, true end
  end
  return out, any
end

-- Creates the declared facets that do not exist yet.  A reference needs its target facet to
-- exist, so facets are created once their targets are; what is left (cycles, references
-- within one facet) is created without those references, which sync_facet adds next.
local function create_missing(self, want)
  local known, pending = {}, {}
  for _, n in ipairs(self:facet_names()) do known[n] = true end
  for _, n in ipairs(support.sorted_keys(want.facets)) do
    if not known[n] then pending[#pending + 1] = n end
  end
  local progress = true
  while progress do
    progress = false
    for i = #pending, 1, -1 do
      local n = pending[i]
      local skip, any = unresolved_refs(n, want.facets[n], known)
      if not any then
        create_facet(self, n, want.facets[n], skip)
        known[n], progress = true, true
        table.remove(pending, i)
      end
    end
  end
  for _, n in ipairs(pending) do
    create_facet(self, n, want.facets[n], (unresolved_refs(n, want.facets[n], known)))
    known[n] = true
  end
end

-- Makes the existing facet `name` match the canonical declaration `want`.
local function sync_facet(self, name, want)
  local have = self:facet(name)
  if (have.style or "STATIC") ~= (want.style or "STATIC") then
    support.raise("InvalidFacetUpdateException",
      "facet %s is %s and cannot become %s; delete it and declare it again",
      name, have.style or "STATIC", want.style or "STATIC")
  end
  local updates = {}
  for _, an in ipairs(support.sorted_keys(want.attributes)) do
    if not same(have.attributes[an], want.attributes[an]) then
      updates[#updates + 1] = { Action = "CREATE_OR_UPDATE",
                                Attribute = facet_attribute_to_api(an, want.attributes[an]) }
    end
  end
  for _, an in ipairs(support.sorted_keys(have.attributes)) do
    if want.attributes[an] == nil then
      updates[#updates + 1] = { Action = "DELETE", Attribute = { Name = an } }
    end
  end
  local new_type = have.type ~= want.type and want.type or nil
  if #updates > 0 or new_type then
    self.client:UpdateFacet{ SchemaArn = self.arn, Name = name,
                             AttributeUpdates = #updates > 0 and updates or nil,
                             ObjectType = new_type }
  end
end

local function sync_typed_link(self, name, want)
  local have = self:typed_link(name)
  local attrs = {}
  for _, an in ipairs(support.sorted_keys(want.attributes)) do
    attrs[#attrs + 1] = typed_link_attribute_to_api(an, want.attributes[an])
  end
  if not have then
    self.client:CreateTypedLinkFacet{ SchemaArn = self.arn, Facet = {
      Name = name, Attributes = attrs, IdentityAttributeOrder = want.identity } }
  elseif not same(have, want) then
    local updates = {}
    for _, a in ipairs(attrs) do updates[#updates + 1] = { Action = "CREATE_OR_UPDATE", Attribute = a } end
    for _, an in ipairs(support.sorted_keys(have.attributes)) do
      if want.attributes[an] == nil then
        -- A DELETE still names a whole definition (the shape requires Type and RequiredBehavior).
        updates[#updates + 1] = { Action = "DELETE",
                                  Attribute = typed_link_attribute_to_api(an, have.attributes[an]) }
      end
    end
    self.client:UpdateTypedLinkFacet{ SchemaArn = self.arn, Name = name,
                                      AttributeUpdates = updates,
                                      IdentityAttributeOrder = want.identity }
  end
end

--- Makes every declared facet and typed-link facet match the declaration: creates what is
-- missing, updates attributes that differ, deletes attributes no longer declared.  Facets
-- the declaration does not mention are left alone (schema:delete_facet removes them).
-- Returns the schema.  Errors are the client's (InvalidFacetUpdateException on a published
-- or applied schema for changes those do not allow, InvalidRuleException, ...).
function Schema:define(decl)
  support.check(type(decl) == "table", "define", 1, "schema declaration table expected")
  local ok, want = pcall(schema.normalize, decl)
  if not ok then support.argerror("define", 1, want) end
  create_missing(self, want)
  for _, name in ipairs(support.sorted_keys(want.facets)) do
    sync_facet(self, name, want.facets[name])
  end
  for _, name in ipairs(support.sorted_keys(want.typed_links)) do
    sync_typed_link(self, name, want.typed_links[name])
  end
  return self
end

--- Publishes a development schema: schema:publish(version [, minor | { minor =, name = }]).
-- Returns the published schema's handle.
function Schema:publish(version, opts)
  if type(opts) == "string" then opts = { minor = opts } end
  opts = support.options(opts, { minor = true, name = true }, "publish", 2)
  local r = self.client:PublishSchema{ DevelopmentSchemaArn = self.arn, Version = version,
                                       MinorVersion = opts.minor, Name = opts.name }
  return schema.handle(self.store, self.client, r.PublishedSchemaArn)
end

--- Renames a development schema; the handle follows (its arn and name change).
function Schema:rename(name)
  local r = self.client:UpdateSchema{ SchemaArn = self.arn, Name = name }
  local fresh = schema.handle(self.store, self.client, r.SchemaArn)
  self.arn, self.name = fresh.arn, fresh.name
  return self
end

--- Deletes a development or published schema.
function Schema:delete()
  self.client:DeleteSchema{ SchemaArn = self.arn }
end

function Schema:delete_facet(name)
  self.client:DeleteFacet{ SchemaArn = self.arn, Name = name }
end

function Schema:delete_typed_link(name)
  self.client:DeleteTypedLinkFacet{ SchemaArn = self.arn, Name = name }
end

--- The schema as the API's JSON document (GetSchemaAsJson), a string: compact as the API
-- returns it, or with opts.pretty re-indented (keys sorted, sourceSchemaArn first).
function Schema:json(opts)
  opts = support.options(opts, { pretty = true }, "json", 1)
  local doc = self.client:GetSchemaAsJson{ SchemaArn = self.arn }.Document
  if not opts.pretty then return doc end
  local core = require "clouddir.core"
  return core.json_encode(core.json_decode(doc), { pretty = true, first = { "sourceSchemaArn" } })
end

--- Replaces the whole content of this development schema (PutSchemaFromJson) with a JSON
-- document (a string) or a declaration table (converted by clouddir.schema_to_json).
-- All or nothing: on any error the schema keeps its content.  Returns the schema.
function Schema:load_json(doc)
  if type(doc) == "table" then doc = require("clouddir.schema_doc").to_json(doc) end
  support.check(type(doc) == "string", "load_json", 1, "JSON document or declaration table expected")
  self.client:PutSchemaFromJson{ SchemaArn = self.arn, Document = doc }
  return self
end

-- For clouddir.schema_doc: one attribute between canonical form and API shapes.
schema.facet_attribute_to_api = facet_attribute_to_api
schema.facet_attribute_from_api = facet_attribute_from_api
schema.typed_link_attribute_to_api = typed_link_attribute_to_api
schema.typed_link_attribute_from_api = typed_link_attribute_from_api

return schema
