--- clouddir.links — typed links between objects, as Link values.
--
--   local l = ada:link_to(grace, "Manages", { role = "lead", since = os.time() })
--   print(l.facet, l.source, l.target, l.identity.role)
--   l:update{ note = "weekly 1:1" }          -- non-identity attributes only
--   for link, report in grace:links_out("Manages", { role = "lead" }) do ... end
--   for link, boss in ada:links_in("Manages", { since = clouddir.range(">=", t) }) do ... end
--   l:detach()     -- or ada:unlink(grace, "Manages", { role = "lead", since = t })
--
-- A Link is a plain value naming one typed link: fields facet (the typed-link facet's key),
-- source and target (Object handles) and identity ({ attr = value } for the identity
-- attributes).  It holds the link's TypedLinkSpecifier, so it keeps naming the same link.
--
-- Typed-link facets are found by name in the directory's applied schemas ("Manages", or
-- "schema/Manages" when two applied schemas have one of that name); their attribute types
-- and identity order are read once per directory handle (ListTypedLinkFacetAttributes,
-- GetTypedLinkFacetInformation), so Lua values are sent as the schema declares them.
--
-- This module adds its methods to Object and Directory handles (see the end of the file).
local support = require "clouddir.support"
local values = require "clouddir.values"
local ranges = require "clouddir.ranges"
local object = require "clouddir.object"
local directory = require "clouddir.directory"
local catalogs = require "clouddir.catalog"

local links = {}

-- Typed-link facets of a directory ----------------------------------------------------------

local list_all = support.list_all

-- One entry per (applied schema ARN, typed-link facet name): { arn, schema, name }, and once
-- read, attrs ({ name = type }), names (sorted) and identity (IdentityAttributeOrder).
local entry = catalogs.entry

local function load(dir)
  local cat = catalogs.load(dir, "ListTypedLinkFacetNames")
  dir._typed_links = cat
  return cat
end

local function catalog(dir) return dir._typed_links or load(dir) end

-- Reads an entry's attribute types and identity order (once).
local function details(dir, e)
  if e.attrs then return e end
  local attrs, names = {}, {}
  for _, a in ipairs(list_all(dir.client, "ListTypedLinkFacetAttributes",
                              { SchemaArn = e.arn, Name = e.name }, "Attributes")) do
    attrs[a.Name] = a.Type
    names[#names + 1] = a.Name
  end
  table.sort(names)
  local info = dir.client:GetTypedLinkFacetInformation{ SchemaArn = e.arn, Name = e.name }
  e.attrs, e.names, e.identity = attrs, names, info.IdentityAttributeOrder or {}
  return e
end

local find = catalogs.find

--- The typed-link facet a key names ("Manages" or "org/Manages"), with its details.
-- Raises FacetValidationException when no applied schema has it, or the name is ambiguous.
function links.resolve(dir, key)
  if type(key) ~= "string" then
    support.raise("FacetValidationException", "typed-link facet names are strings, got %s", type(key))
  end
  local found = find(catalog(dir), key)
  if #found == 0 then found = find(load(dir), key) end   -- one re-read, for facets added since
  if #found > 1 then
    local names = {}
    for i, e in ipairs(found) do names[i] = e.schema .. "/" .. e.name end
    support.raise("FacetValidationException",
      "typed-link facet %s is in several schemas applied to directory %s; write one of %s",
      key, dir.name or dir.arn, table.concat(names, ", "))
  elseif #found == 0 then
    support.raise("FacetValidationException",
      "no schema applied to directory %s has a typed-link facet named %s", dir.name or dir.arn, key)
  end
  return details(dir, found[1])
end

-- The entry for a facet read back in a specifier.
local function entry_of(dir, arn, name)
  local cat = catalog(dir)
  local e = cat.entries[arn .. "\0" .. name]
  if not e then
    cat = load(dir)
    e = cat.entries[arn .. "\0" .. name]
    if not e then
      local _, schema_name = support.parse_schema_arn(arn)
      e = entry(cat, arn, schema_name or arn, name)
    end
  end
  return details(dir, e)
end

-- The key a facet is shown under: its name, or "schema/name" when that name is ambiguous.
local function display_key(dir, e)
  if #(catalog(dir).by_name[e.name] or {}) > 1 then return e.schema .. "/" .. e.name end
  return e.name
end

-- Identity values, in identity order (names the facet does not have follow, sorted, so the
-- engine reports them).  vals: { name = Lua value }.
local function name_values(e, vals, only_identity)
  local list, seen = {}, {}
  local function add(name)
    local v = vals[name]
    seen[name] = true
    if v ~= nil and v ~= values.NULL then
      list[#list + 1] = { AttributeName = name, Value = values.to_api(e.attrs[name], v) }
    end
  end
  for _, name in ipairs(only_identity and e.identity or e.names) do add(name) end
  for _, name in ipairs(support.sorted_keys(vals)) do
    if not seen[name] then add(name) end
  end
  return list
end

local function check_table(x, method, n, what)
  support.check(x == nil or type(x) == "table" and getmetatable(x) == nil, method, n,
                what .. " table expected ({ attribute = value })")
  return x or {}
end

-- Link values ---------------------------------------------------------------------------------

local Link = { __name = "clouddir.Link" }
Link.__index = Link
links.Link = Link

-- What a Link keeps out of sight: its directory, specifier, facet entry and identity key.
local hidden = setmetatable({}, { __mode = "k" })

local function id_of(ref) return (ref.Selector:gsub("^%$", "")) end

local function deep_copy(x)
  if type(x) ~= "table" then return x end
  local out = {}
  for k, v in pairs(x) do out[k] = deep_copy(v) end
  return out
end

--- The Link value for a TypedLinkSpecifier read from the engine.
function links.from_specifier(dir, spec)
  local tlf = spec.TypedLinkFacet
  local e = entry_of(dir, tlf.SchemaArn, tlf.TypedLinkName)
  local identity, parts = {}, {}
  for i, nv in ipairs(spec.IdentityAttributeValues or {}) do
    identity[nv.AttributeName] = values.from_api(nv.Value)
    local member, v = next(nv.Value)
    parts[i] = nv.AttributeName .. "=" .. tostring(member) .. ":" .. tostring(v)
  end
  local link = setmetatable({
    facet = display_key(dir, e),
    source = object.handle(dir, id_of(spec.SourceObjectReference)),
    target = object.handle(dir, id_of(spec.TargetObjectReference)),
    identity = identity,
  }, Link)
  hidden[link] = { dir = dir, spec = spec, entry = e,
    key = table.concat({ dir.arn, e.arn, e.name, link.source:id(), link.target:id(),
                         table.concat(parts, "\0") }, "\0") }
  return link
end

local function me(link, method)
  local h = hidden[link]
  if not h then error(("calling '%s' on bad self (clouddir.Link expected)"):format(method), 3) end
  return h
end

function Link.__eq(a, b)
  local ha, hb = hidden[a], hidden[b]
  return ha ~= nil and hb ~= nil and ha.key == hb.key
end

function Link.__tostring(link)
  local h = hidden[link]
  local parts = {}
  for i, name in ipairs(h and h.entry.identity or {}) do
    parts[i] = name .. "=" .. tostring(link.identity[name])
  end
  return ("clouddir.Link %s(%s -> %s%s%s)"):format(link.facet, link.source:ref(), link.target:ref(),
                                                   #parts > 0 and ", " or "", table.concat(parts, ", "))
end

--- link:specifier() -> the link's TypedLinkSpecifier (a copy), for the AWS-shaped client.
function Link:specifier() return deep_copy(me(self, "specifier").spec) end

--- link:attributes() -> { attr = value } for every attribute the link has a value for.
function Link:attributes()
  local h = me(self, "attributes")
  local r = h.dir.client:GetLinkAttributes{ DirectoryArn = h.dir.arn, TypedLinkSpecifier = h.spec,
                                            AttributeNames = h.entry.names }
  local out = {}
  for _, kv in ipairs(r.Attributes or {}) do out[kv.Key.Name] = values.from_api(kv.Value) end
  return out
end

--- link:update{ attr = value | clouddir.NULL } -> link.  Only attributes outside the
-- identity can change (the engine raises FacetValidationException for the others).
function Link:update(vals)
  local h = me(self, "update")
  support.check(type(vals) == "table" and getmetatable(vals) == nil, "update", 1,
                "attribute values table expected ({ attribute = value | clouddir.NULL })")
  local e, updates = h.entry, {}
  for _, name in ipairs(support.sorted_keys(vals)) do
    local v = vals[name]
    local action = v == values.NULL and { AttributeActionType = "DELETE" }
      or { AttributeActionType = "CREATE_OR_UPDATE", AttributeUpdateValue = values.to_api(e.attrs[name], v) }
    updates[#updates + 1] = { AttributeKey = { SchemaArn = e.arn, FacetName = e.name, Name = name },
                              AttributeAction = action }
  end
  h.dir.client:UpdateLinkAttributes{ DirectoryArn = h.dir.arn, TypedLinkSpecifier = h.spec,
                                     AttributeUpdates = updates }
  return self
end

--- link:detach(): removes the typed link (ResourceNotFoundException when it is gone).
function Link:detach()
  local h = me(self, "detach")
  h.dir.client:DetachTypedLink{ DirectoryArn = h.dir.arn, TypedLinkSpecifier = h.spec }
end

-- Operations on (dir, selectors) --------------------------------------------------------------

local ops = {}
links.ops = ops

local function check_facet(key, method, n)
  support.check(type(key) == "string", method, n, "typed-link facet name expected")
end

--- Attaches a typed link from src to tgt (selectors); attrs { name = value }.
function ops.link(dir, src, tgt, key, attrs, method, n)
  local e = links.resolve(dir, key)
  local r = dir.client:AttachTypedLink{ DirectoryArn = dir.arn,
    SourceObjectReference = { Selector = src }, TargetObjectReference = { Selector = tgt },
    TypedLinkFacet = { SchemaArn = e.arn, TypedLinkName = e.name },
    Attributes = name_values(e, check_table(attrs, method, n, "attribute values")) }
  return links.from_specifier(dir, r.TypedLinkSpecifier)
end

--- Detaches the typed link src -> tgt of that facet and identity values.
function ops.unlink(dir, src, tgt, key, identity, method, n)
  local e = links.resolve(dir, key)
  dir.client:DetachTypedLink{ DirectoryArn = dir.arn, TypedLinkSpecifier = {
    TypedLinkFacet = { SchemaArn = e.arn, TypedLinkName = e.name },
    SourceObjectReference = { Selector = src }, TargetObjectReference = { Selector = tgt },
    IdentityAttributeValues = name_values(e, check_table(identity, method, n, "identity values"), true) } }
end

-- A filter { attr = range expression } -> FilterAttributeRanges, in identity order.
local function filter_ranges(e, filter, method, n)
  local list, seen = {}, {}
  local function add(name)
    seen[name] = true
    if filter[name] ~= nil then
      list[#list + 1] = { AttributeName = name,
                          Range = ranges.to_api(filter[name], e.attrs[name], method, n) }
    end
  end
  for _, name in ipairs(e.identity) do add(name) end
  for _, name in ipairs(support.sorted_keys(filter)) do   -- not identity: the engine refuses
    if not seen[name] then add(name) end
  end
  return list
end

local listing_options = { page_size = true }
local direction = {
  out = { op = "ListOutgoingTypedLinks", field = "TypedLinkSpecifiers", peer = "target" },
  ["in"] = { op = "ListIncomingTypedLinks", field = "LinkSpecifiers", peer = "source" },
}

--- Iterator link, peer over the typed links of the object sel names ("out" or "in"),
-- optionally of one facet and filtered by identity attributes.  n: the facet's argument
-- position (filter and options follow).
function ops.list(dir, sel, way, key, filter, opts, method, n)
  local d = direction[way]
  support.check(key == nil or type(key) == "string", method, n, "typed-link facet name or nil expected")
  filter = check_table(filter, method, n + 1, "filter")
  opts = support.options(opts, listing_options, method, n + 2)
  local req = { DirectoryArn = dir.arn, ObjectReference = { Selector = sel }, MaxResults = opts.page_size }
  if key ~= nil then
    local e = links.resolve(dir, key)
    req.FilterTypedLink = { SchemaArn = e.arn, TypedLinkName = e.name }
    if next(filter) ~= nil then req.FilterAttributeRanges = filter_ranges(e, filter, method, n + 1) end
  elseif next(filter) ~= nil then
    support.raise("ValidationException",
      "a typed-link filter needs its facet: %s(\"Facet\", { attribute = range })", method)
  end
  return support.iterate(function(token)
    req.NextToken = token
    local r = dir.client:call(d.op, req)
    local items = {}
    for i, spec in ipairs(r[d.field] or {}) do
      local link = links.from_specifier(dir, spec)
      items[i] = table.pack(link, link[d.peer])
    end
    return items, r.NextToken
  end)
end

-- Methods -----------------------------------------------------------------------------------

local methods, Directory = object.methods, directory.Directory

local function me_obj(obj, method)
  if not object.is_handle(obj) then
    error(("calling '%s' on bad self (clouddir.Object expected)"):format(method), 3)
  end
  return obj:directory(), obj:ref()
end

--- obj:link_to(target, "Facet", { attr = value }) -> the new Link (source obj).
function methods.link_to(obj, target, key, attrs)
  local dir, sel = me_obj(obj, "link_to")
  local tgt = support.check_ref(target, "link_to", 1)
  check_facet(key, "link_to", 2)
  return ops.link(dir, sel, tgt, key, attrs, "link_to", 3)
end

--- obj:unlink(target, "Facet", { identity values }) -> obj
function methods.unlink(obj, target, key, identity)
  local dir, sel = me_obj(obj, "unlink")
  local tgt = support.check_ref(target, "unlink", 1)
  check_facet(key, "unlink", 2)
  ops.unlink(dir, sel, tgt, key, identity, "unlink", 3)
  return obj
end

--- for link, target in obj:links_out([facet [, filter [, { page_size = n }]]])
function methods.links_out(obj, key, filter, opts)
  local dir, sel = me_obj(obj, "links_out")
  return ops.list(dir, sel, "out", key, filter, opts, "links_out", 1)
end

--- for link, source in obj:links_in([facet [, filter [, { page_size = n }]]])
function methods.links_in(obj, key, filter, opts)
  local dir, sel = me_obj(obj, "links_in")
  return ops.list(dir, sel, "in", key, filter, opts, "links_in", 1)
end

--- dir:link(source, target, "Facet", { attr = value }) -> the new Link
function Directory:link(source, target, key, attrs)
  local src = support.check_ref(source, "link", 1)
  local tgt = support.check_ref(target, "link", 2)
  check_facet(key, "link", 3)
  return ops.link(self, src, tgt, key, attrs, "link", 4)
end

--- dir:unlink(source, target, "Facet", { identity values }) -> dir
function Directory:unlink(source, target, key, identity)
  local src = support.check_ref(source, "unlink", 1)
  local tgt = support.check_ref(target, "unlink", 2)
  check_facet(key, "unlink", 3)
  ops.unlink(self, src, tgt, key, identity, "unlink", 4)
  return self
end

--- dir:links_out(ref, ...), dir:links_in(ref, ...): as the object methods.
function Directory:links_out(ref, key, filter, opts)
  return ops.list(self, support.check_ref(ref, "links_out", 1), "out", key, filter, opts, "links_out", 2)
end
function Directory:links_in(ref, key, filter, opts)
  return ops.list(self, support.check_ref(ref, "links_in", 1), "in", key, filter, opts, "links_in", 2)
end

return links
