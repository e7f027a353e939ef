--- clouddir.facets — what a directory handle knows about its facets.
--
-- Attribute values are written by facet name ({ Person = { email = "..." } }); this module
-- finds which applied schema holds the facet, the declared type of each attribute (so a Lua
-- string becomes a StringValue or a BinaryValue as the schema says) and each facet's object
-- type.  It reads them with the client (ListAppliedSchemaArns, ListFacetNames,
-- ListFacetAttributes, GetFacet) and caches them per directory handle; a name it does not
-- know triggers one re-read, so facets and attributes added later are found.
--
-- A facet key is the facet's name, or "schema/Facet" when two applied schemas both have a
-- facet of that name.  The service's own facets NODE, LEAF_NODE and POLICY (schema
-- CloudDirectory/1.0) are found by name when no applied schema has a facet of that name.
local support = require "clouddir.support"
local values = require "clouddir.values"
local catalogs = require "clouddir.catalog"

local facets = {}

local BASE = { NODE = "NODE", LEAF_NODE = "LEAF_NODE", POLICY = "POLICY" }
local BASE_ATTRS = { POLICY = { policy_type = "STRING", policy_document = "BINARY" } }

local base_arn = support.base_schema_arn

local list_all = support.list_all

-- One entry per (schema ARN, facet name): { arn, schema (its name), name, type, attrs }.
local entry = catalogs.entry

local function load(dir)
  local cat = catalogs.load(dir, "ListFacetNames")
  dir._facets = cat
  return cat
end

local function catalog(dir) return dir._facets or load(dir) end

--- Forgets what the handle knew (after a schema change made through another handle).
function facets.forget(dir) dir._facets, dir._typed_links = nil, nil end

local find = catalogs.find

--- The facet entry for a key ("Person" or "org/Person"); raises FacetValidationException
-- when no applied schema has it, or when the bare name is ambiguous.
function facets.resolve(dir, key)
  if type(key) ~= "string" then
    support.raise("FacetValidationException", "facet names are strings, got %s", type(key))
  end
  local found = find(catalog(dir), key)
  if #found == 0 then found = find(load(dir), key) end
  if #found == 1 then return found[1] end
  if #found > 1 then
    local names = {}
    for i, e in ipairs(found) do names[i] = e.schema .. "/" .. e.name end
    support.raise("FacetValidationException",
      "facet %s is in several schemas applied to directory %s; write one of %s",
      key, dir.name or dir.arn, table.concat(names, ", "))
  end
  if BASE[key] then
    local e = entry(dir._facets, base_arn(dir), "CloudDirectory", key)
    e.type, e.attrs = BASE[key], BASE_ATTRS[key] or {}
    return e
  end
  support.raise("FacetValidationException", "no schema applied to directory %s has a facet named %s",
                dir.name or dir.arn, key)
end

--- The entry for a (schema ARN, facet name) pair read back from the API.
function facets.entry(dir, arn, name)
  local cat = catalog(dir)
  local e = cat.entries[arn .. "\0" .. name]
  if e then return e end
  local state, schema_name = support.parse_schema_arn(arn)
  if arn == base_arn(dir) then
    e = entry(cat, arn, "CloudDirectory", name)
    e.type, e.attrs = BASE[name], BASE_ATTRS[name] or {}
    return e
  end
  return entry(cat, arn, state and schema_name or arn, name)
end

local function load_attrs(dir, e)
  local attrs = {}
  local refs = {}
  for _, fa in ipairs(list_all(dir.client, "ListFacetAttributes",
                               { SchemaArn = e.arn, Name = e.name }, "Attributes")) do
    if fa.AttributeDefinition then
      attrs[fa.Name] = fa.AttributeDefinition.Type
    elseif fa.AttributeReference then
      refs[fa.Name] = fa.AttributeReference
    end
  end
  -- A reference takes the type of its target (a definition in a facet of the same schema).
  for name, r in pairs(refs) do
    local target = facets.entry(dir, e.arn, r.TargetFacetName)
    attrs[name] = facets.attribute_type(dir, target, r.TargetAttributeName)
  end
  e.attrs = attrs
  return attrs
end

--- The declared type of attribute `name` of facet entry e, or nil when not declared
-- (a dynamic facet, or an unknown name, which the client will then reject).
function facets.attribute_type(dir, e, name)
  local t = (e.attrs or load_attrs(dir, e))[name]
  if t == nil and BASE_ATTRS.POLICY[name] and facets.object_type(dir, e) == "POLICY" then
    return BASE_ATTRS.POLICY[name]   -- every POLICY facet has the base facet's two attributes
  end
  if t == nil and e.arn ~= base_arn(dir) and not e.reloaded then
    e.reloaded = true          -- one re-read, for attributes added since
    t = load_attrs(dir, e)[name]
  end
  return t
end

--- The facet's ObjectType (nil for a dynamic facet without one).
function facets.object_type(dir, e)
  if e.type == nil then
    local r = dir.client:GetFacet{ SchemaArn = e.arn, Name = e.name }
    e.type = r.Facet and r.Facet.ObjectType or false
  end
  return e.type or nil
end

-- Values tables -> API lists -----------------------------------------------------------------

local function check_values(key, vals)
  if type(vals) ~= "table" or getmetatable(vals) ~= nil then
    support.raise("ValidationException", "the values of facet %s must be a table of attribute = value, got %s",
                  key, type(vals))
  end
end

--- { Facet = { attr = value } } -> SchemaFacets, ObjectAttributeList (NULL values skipped).
function facets.attribute_list(dir, by_facet)
  local schema_facets, list = {}, {}
  for _, key in ipairs(support.sorted_keys(by_facet)) do
    local e = facets.resolve(dir, key)
    schema_facets[#schema_facets + 1] = { SchemaArn = e.arn, FacetName = e.name }
    local vals = by_facet[key]
    check_values(key, vals)
    for _, name in ipairs(support.sorted_keys(vals)) do
      local v = vals[name]
      if v ~= values.NULL then
        list[#list + 1] = { Key = { SchemaArn = e.arn, FacetName = e.name, Name = name },
                            Value = values.to_api(facets.attribute_type(dir, e, name), v) }
      end
    end
  end
  return schema_facets, list
end

--- { Facet = { attr = value | clouddir.NULL } } -> AttributeUpdates of UpdateObjectAttributes.
function facets.attribute_updates(dir, by_facet)
  local updates = {}
  for _, key in ipairs(support.sorted_keys(by_facet)) do
    local e = facets.resolve(dir, key)
    local vals = by_facet[key]
    check_values(key, vals)
    for _, name in ipairs(support.sorted_keys(vals)) do
      local v = vals[name]
      local action
      if v == values.NULL then
        action = { ObjectAttributeActionType = "DELETE" }
      else
        action = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                   ObjectAttributeUpdateValue = values.to_api(facets.attribute_type(dir, e, name), v) }
      end
      updates[#updates + 1] = { ObjectAttributeKey = { SchemaArn = e.arn, FacetName = e.name, Name = name },
                                ObjectAttributeAction = action }
    end
  end
  return updates
end

--- The keys under which an object's facets are shown: the facet name, or "schema/Facet" for
-- names that two of the object's facets share.  schema_facets: GetObjectInformation's list.
-- Returns a map "arn\0name" -> key and the list of keys in the API's order.
function facets.display_keys(dir, schema_facets)
  local count = {}
  for _, sf in ipairs(schema_facets) do count[sf.FacetName] = (count[sf.FacetName] or 0) + 1 end
  local map, keys = {}, {}
  for _, sf in ipairs(schema_facets) do
    local key = sf.FacetName
    if count[key] > 1 then key = facets.entry(dir, sf.SchemaArn, sf.FacetName).schema .. "/" .. key end
    map[sf.SchemaArn .. "\0" .. sf.FacetName] = key
    keys[#keys + 1] = key
  end
  return map, keys
end

return facets
