--- clouddir.indexes — indexes as Index handles.
--
--   local serials = dir:create_index{ facet = "Device", attribute = "serial", unique = true,
--                                     path = "/indexes/serials" }
--   serials:attach(device)
--   for serial, dev in serials:entries(clouddir.prefix("SN-17")) do ... end
--   for idx in device:indexes() do ... end
--
-- An Index handle is an Object handle (see clouddir.kinds) with index methods first.
-- Entries come in value order; entries of objects without a value (an optional attribute
-- that is not set) come last, with the value clouddir.NULL (nil would end a `for`).
local support = require "clouddir.support"
local values = require "clouddir.values"
local ranges = require "clouddir.ranges"
local facets = require "clouddir.facets"
local object = require "clouddir.object"
local directory = require "clouddir.directory"
local kinds = require "clouddir.kinds"

local indexes = {}

local methods = {}
local Index = kinds.define("clouddir.Index", methods)
indexes.Index, indexes.methods = Index, methods

local base_arn = support.base_schema_arn

--- The Index handle of object id in dir.
function indexes.handle(dir, id) return kinds.handle(Index, dir, id) end

local me = kinds.self_check(Index)

-- What an index is defined on never changes: read it once per handle.
local definitions = setmetatable({}, { __mode = "k" })

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

--- idx:definition() -> { facet = "Device", attribute = "serial", schema = applied ARN,
--- unique = bool }, or { facets = true, unique = bool } for the facet-based index.
function methods.definition(idx)
  local dir, sel = me(idx, "definition")
  local d = definitions[idx]
  if d then return copy(d) end
  local r = dir.client:GetObjectAttributes{ DirectoryArn = dir.arn, ObjectReference = { Selector = sel },
    SchemaFacet = { SchemaArn = base_arn(dir), FacetName = "INDEX" },
    AttributeNames = { "index_is_unique", "ordered_indexed_attributes" } }
  local got = {}
  for _, kv in ipairs(r.Attributes or {}) do got[kv.Key.Name] = values.from_api(kv.Value) end
  local arn, facet, attr = tostring(got.ordered_indexed_attributes):match("^(.*)%*([^*]+)%*([^*]+)$")
  if not arn then
    support.raise("NotIndexException", "object %s is not an index", sel)
  end
  d = { unique = got.index_is_unique == true }
  if arn == base_arn(dir) and facet == "facets" then
    d.facets = true
  else
    d.facet, d.attribute, d.schema = facet, attr, arn
  end
  definitions[idx] = d
  return copy(d)
end

-- The AttributeKey the index is defined on, and the attribute's declared type.
local function indexed_key(idx)
  local d = methods.definition(idx)
  local dir = idx:directory()
  if d.facets then
    return { SchemaArn = base_arn(dir), FacetName = "facets", Name = "facets" }, "STRING"
  end
  return { SchemaArn = d.schema, FacetName = d.facet, Name = d.attribute },
         facets.attribute_type(dir, facets.entry(dir, d.schema, d.facet), d.attribute)
end

--- idx:attach(obj) -> the attached object's handle.  Raises LinkNameAlreadyInUseException
-- (unique index, value taken; or already attached), IndexedAttributeMissingException.
function methods.attach(idx, target)
  local dir, sel = me(idx, "attach")
  local r = dir.client:AttachToIndex{ DirectoryArn = dir.arn, IndexReference = { Selector = sel },
    TargetReference = { Selector = support.check_ref(target, "attach", 1) } }
  return object.handle(dir, r.AttachedObjectIdentifier)
end

--- idx:detach(obj) -> the detached object's handle (ObjectAlreadyDetachedException).
function methods.detach(idx, target)
  local dir, sel = me(idx, "detach")
  local r = dir.client:DetachFromIndex{ DirectoryArn = dir.arn, IndexReference = { Selector = sel },
    TargetReference = { Selector = support.check_ref(target, "detach", 1) } }
  return object.handle(dir, r.DetachedObjectIdentifier)
end

local page_options = { page_size = true }

--- for value, obj in idx:entries([range [, { page_size = n }]]): attached objects in value
-- order, optionally within a range expression (see clouddir.ranges).
function methods.entries(idx, range, opts)
  local dir, sel = me(idx, "entries")
  opts = support.options(opts, page_options, "entries", 2)
  local req = { DirectoryArn = dir.arn, IndexReference = { Selector = sel }, MaxResults = opts.page_size }
  if range ~= nil then
    local key, attr_type = indexed_key(idx)
    req.RangesOnIndexedValues = { { AttributeKey = key, Range = ranges.to_api(range, attr_type, "entries", 1) } }
  end
  return support.iterate(function(token)
    req.NextToken = token
    local r = dir.client:ListIndex(req)
    local items = {}
    for i, a in ipairs(r.IndexAttachments or {}) do
      local kv = (a.IndexedAttributes or {})[1]
      local v = kv and values.from_api(kv.Value)
      if v == nil then v = values.NULL end
      items[i] = table.pack(v, object.handle(dir, a.ObjectIdentifier))
    end
    return items, r.NextToken
  end)
end

-- Operations on (dir, selector) ------------------------------------------------------------

local create_options = { facet = true, attribute = true, facets = true, unique = true,
                         parent = true, name = true, path = true }

--- dir:create_index{ facet = "Device", attribute = "serial" | facets = true,
---                   unique = false, path = "/indexes/serials" | parent = ref, name = "serials" }
-- -> the new Index handle (unattached without a path or a parent and name).
local function create_index(dir, spec)
  spec = support.options(spec, create_options, "create_index", 1)
  local key
  if spec.facets then
    support.check(spec.facet == nil and spec.attribute == nil, "create_index", 1,
                  "the facet-based index ('facets = true') takes no facet or attribute")
    key = { SchemaArn = base_arn(dir), FacetName = "facets", Name = "facets" }
  else
    support.check(type(spec.facet) == "string" and type(spec.attribute) == "string", "create_index", 1,
                  "'facet' and 'attribute' (strings) expected, or 'facets = true'")
    local e = facets.resolve(dir, spec.facet)
    key = { SchemaArn = e.arn, FacetName = e.name, Name = spec.attribute }
  end
  local parent, link = spec.parent, spec.name
  if spec.path ~= nil then
    support.check(parent == nil and link == nil, "create_index", 1, "'path', or 'parent' and 'name'")
    support.check(type(spec.path) == "string", "create_index", 1, "'path' must be a string \"/parent/name\"")
    parent, link = support.split_path(spec.path)
    support.check(parent ~= nil, "create_index", 1, "'path' must end with the index's link name")
  elseif parent ~= nil then
    parent = support.check_ref(parent, "create_index", 1)
  end
  local r = dir.client:CreateIndex{ DirectoryArn = dir.arn, OrderedIndexedAttributeList = { key },
    IsUnique = spec.unique and true or false,
    ParentReference = parent and { Selector = parent } or nil, LinkName = link }
  return indexes.handle(dir, r.ObjectIdentifier)
end

-- Iterator over the indexes the object sel is attached to.
local function attached(dir, sel, opts, method, n)
  opts = support.options(opts, page_options, method, n)
  local req = { DirectoryArn = dir.arn, TargetReference = { Selector = sel }, MaxResults = opts.page_size }
  return support.iterate(function(token)
    req.NextToken = token
    local r = dir.client:ListAttachedIndices(req)
    local items = {}
    for i, a in ipairs(r.IndexAttachments or {}) do items[i] = table.pack(indexes.handle(dir, a.ObjectIdentifier)) end
    return items, r.NextToken
  end)
end

-- Methods on objects and directories ---------------------------------------------------------

local Directory = directory.Directory

--- for idx in obj:indexes([{ page_size = n }]): the indexes the object is attached to.
function object.methods.indexes(obj, opts)
  if not object.is_handle(obj) then error("calling 'indexes' on bad self (clouddir.Object expected)", 2) end
  return attached(obj:directory(), obj:ref(), opts, "indexes", 1)
end

Directory.create_index = create_index

--- dir:index(ref) -> the Index handle of that index object (NotIndexException otherwise).
function Directory:index(ref)
  local sel = support.check_ref(ref, "index", 1)
  local info = object.ops.info(self, sel)
  for _, sf in ipairs(info.SchemaFacets or {}) do
    if sf.SchemaArn == base_arn(self) and sf.FacetName == "INDEX" then
      return indexes.handle(self, info.ObjectIdentifier)
    end
  end
  support.raise("NotIndexException", "object %s is not an index", sel)
end

--- dir:indexes(ref): as obj:indexes.
function Directory:indexes(ref, opts)
  return attached(self, support.check_ref(ref, "indexes", 1), opts, "indexes", 2)
end

return indexes
