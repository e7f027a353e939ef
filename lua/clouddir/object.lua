--- clouddir.object — objects of a directory: the Object handle and the operations on objects.
--
-- An Object handle names one object by its identifier (a handle made from a path resolves
-- the path once, when it is made, so it keeps naming the same object if links change).
-- Methods come first; any other string key reads a facet's values:
--
--   local p = ada.Person            -- { email = "ada@acme", hired = 1700000000 } or nil
--   ada:get("Person"), ada:get()    -- the same; all facets { Person = {...}, ... }
--
-- Each read is a fresh snapshot of the store (values are plain tables: changing them
-- changes nothing; write with obj:update).  A handle is accepted wherever a reference is.
--
-- The operations are written once as functions of (directory, selector, ...), used by both
-- the Object methods and the Directory methods that take a reference.
local support = require "clouddir.support"
local values = require "clouddir.values"
local facets = require "clouddir.facets"

local object = {}

local Object = { __name = "clouddir.Object" }
local methods = {}
object.Object, object.methods = Object, methods

-- Handles keep their directory and id out of reach of facet names.
local state = setmetatable({}, { __mode = "k" })

--- The handle of object `id` in directory dir.
function object.handle(dir, id)
  local obj = setmetatable({}, Object)
  state[obj] = { dir = dir, id = id }
  return obj
end

function object.is_handle(x) return state[x] ~= nil end

Object.__index = function(obj, k)
  local m = methods[k]
  if m ~= nil then return m end
  if type(k) == "string" then return methods.get(obj, k) end
  return nil
end
Object.__newindex = function(_, k)
  error(("object handles are read-only: write with obj:update{ %s = { ... } }"):format(tostring(k)), 2)
end
Object.__tostring = function(obj) return "clouddir.Object $" .. state[obj].id end
Object.__eq = function(a, b)
  local sa, sb = state[a], state[b]
  return sa ~= nil and sb ~= nil and sa.id == sb.id and sa.dir.arn == sb.dir.arn
end
Object.__selector = function(obj) return "$" .. state[obj].id end

-- Operations on (dir, selector) --------------------------------------------------------------

local ops = {}
object.ops = ops

local function call(dir, op, req)
  req.DirectoryArn = dir.arn
  return dir.client:call(op, req)
end

--- Creates an object.  Forms:
--   create(dir, "/parent/path/link", values)  -- attached under its parent
--   create(dir, parent_ref, "link", values)
--   create(dir, nil, values)                  -- detached
function ops.create(dir, a1, a2, a3)
  local parent, link, vals
  if type(a2) == "string" then
    parent, link, vals = support.check_ref(a1, "create", 1), a2, a3
  elseif a1 == nil then
    vals = a2
  else
    support.check(type(a1) == "string" and a1:sub(1, 1) == "/", "create", 1,
                  "a path \"/parent/link\", nil, or a parent followed by a link name expected")
    parent, link = support.split_path(a1)
    support.check(parent ~= nil, "create", 1, "the path must end with the new link's name")
    vals = a2
  end
  support.check(type(vals) == "table", "create", type(a2) == "string" and 3 or 2,
                "facet values table expected ({ Facet = { attribute = value } })")
  local schema_facets, list = facets.attribute_list(dir, vals)
  local r = call(dir, "CreateObject", {
    SchemaFacets = schema_facets, ObjectAttributeList = list,
    ParentReference = parent and { Selector = parent } or nil, LinkName = link })
  return object.handle(dir, r.ObjectIdentifier)
end

function ops.attach(dir, parent, link, child)
  local r = call(dir, "AttachObject", {
    ParentReference = { Selector = support.check_ref(parent, "attach", 1) }, LinkName = link,
    ChildReference = { Selector = support.check_ref(child, "attach", 3) } })
  return object.handle(dir, r.AttachedObjectIdentifier)
end

function ops.detach(dir, parent, link)
  local r = call(dir, "DetachObject", {
    ParentReference = { Selector = support.check_ref(parent, "detach", 1) }, LinkName = link })
  return object.handle(dir, r.DetachedObjectIdentifier)
end

function ops.delete(dir, sel)
  call(dir, "DeleteObject", { ObjectReference = { Selector = sel } })
end

function ops.info(dir, sel)
  return call(dir, "GetObjectInformation", { ObjectReference = { Selector = sel } })
end

--- The handle of the object a reference names, or nil when it names nothing.
function ops.find(dir, sel)
  local r = support.absent_as_nil("ResourceNotFoundException", ops.info, dir, sel)
  return r and object.handle(dir, r.ObjectIdentifier) or nil
end

-- All attribute values of an object (optionally of one facet), grouped by display key.
local function read_values(dir, sel, keys_of, facet_filter)
  local list = support.all_pages(function(token)
    local r = call(dir, "ListObjectAttributes", { ObjectReference = { Selector = sel },
      FacetFilter = facet_filter, NextToken = token })
    return r.Attributes or {}, r.NextToken
  end)
  local out = {}
  for _, key in pairs(keys_of) do out[key] = out[key] or {} end
  for _, kv in ipairs(list) do
    local k = kv.Key
    local key = keys_of[k.SchemaArn .. "\0" .. k.FacetName] or k.FacetName
    out[key] = out[key] or {}
    out[key][k.Name] = values.from_api(kv.Value)
  end
  return out
end

-- The position in info.SchemaFacets of the facet a key names ("Person", "org/Person" or
-- the display key), or nil.  Also read batches' r:get (clouddir.batch).
local function facet_index(dir, info, keys, key)
  for i, sf in ipairs(info.SchemaFacets or {}) do
    if key == keys[i] or key == sf.FacetName
       or key == facets.entry(dir, sf.SchemaArn, sf.FacetName).schema .. "/" .. sf.FacetName then
      return i
    end
  end
  return nil
end

--- get(dir, sel): { Facet = { attr = value } } for every facet of the object.
--- get(dir, sel, key): that facet's values, or nil when the object does not carry it.
function ops.get(dir, sel, key)
  local info = ops.info(dir, sel)
  local keys_of, keys = facets.display_keys(dir, info.SchemaFacets or {})
  if key == nil then return read_values(dir, sel, keys_of) end
  local i = facet_index(dir, info, keys, key)
  if not i then return nil end
  local sf, k = info.SchemaFacets[i], keys[i]
  local only = { [sf.SchemaArn .. "\0" .. sf.FacetName] = k }
  return read_values(dir, sel, only, { SchemaArn = sf.SchemaArn, FacetName = sf.FacetName })[k]
end

--- True when the object carries the facet.
function ops.has(dir, sel, key)
  local info = ops.info(dir, sel)
  local _, keys = facets.display_keys(dir, info.SchemaFacets or {})
  return facet_index(dir, info, keys, key) ~= nil
end

function ops.update(dir, sel, by_facet)
  support.check(type(by_facet) == "table", "update", 1, "facet values table expected")
  call(dir, "UpdateObjectAttributes", { ObjectReference = { Selector = sel },
    AttributeUpdates = facets.attribute_updates(dir, by_facet) })
end

function ops.add_facet(dir, sel, key, vals)
  local e = facets.resolve(dir, key)
  local _, list = facets.attribute_list(dir, { [key] = vals or {} })
  call(dir, "AddFacetToObject", { ObjectReference = { Selector = sel },
    SchemaFacet = { SchemaArn = e.arn, FacetName = e.name }, ObjectAttributeList = list })
end

function ops.remove_facet(dir, sel, key)
  local e = facets.resolve(dir, key)
  call(dir, "RemoveFacetFromObject", { ObjectReference = { Selector = sel },
    SchemaFacet = { SchemaArn = e.arn, FacetName = e.name } })
end

--- The object's facets: a list of keys ("Person", or "org/Person" when two share a name).
function ops.facets(dir, sel)
  local info = ops.info(dir, sel)
  local _, keys = facets.display_keys(dir, info.SchemaFacets or {})
  return keys
end

--- The object's type (NODE, LEAF_NODE, POLICY or INDEX), from its facets' object types.
function ops.type(dir, sel)
  local info = ops.info(dir, sel)
  for _, sf in ipairs(info.SchemaFacets or {}) do
    local t = facets.object_type(dir, facets.entry(dir, sf.SchemaArn, sf.FacetName))
    if t then return t end
  end
  return nil
end

local page_options = { page_size = true }

-- Iterator over a paged listing; each(response) returns the page's tuples.
local function listing(dir, op, req, opts, method, each)
  opts = support.options(opts, page_options, method, 2)
  req.MaxResults = opts.page_size
  return support.iterate(function(token)
    req.NextToken = token
    local r = call(dir, op, req)
    return each(r), r.NextToken
  end)
end

--- for name, child in children(dir, sel): child links, by link name.
function ops.children(dir, sel, opts)
  return listing(dir, "ListObjectChildren", { ObjectReference = { Selector = sel } }, opts,
    "children", function(r)
      local items, children = {}, r.Children or {}
      for i, name in ipairs(support.sorted_keys(children)) do
        items[i] = table.pack(name, object.handle(dir, children[name]))
      end
      return items
    end)
end

--- for name, parent in parents(dir, sel): every link to the object (a leaf may have
--- several parents, and several links from one parent).
function ops.parents(dir, sel, opts)
  return listing(dir, "ListObjectParents", { ObjectReference = { Selector = sel },
    IncludeAllLinksToEachParent = true }, opts, "parents", function(r)
      local items = {}
      if r.ParentLinks then
        for i, pl in ipairs(r.ParentLinks) do
          items[i] = table.pack(pl.LinkName, object.handle(dir, pl.ObjectIdentifier))
        end
      else
        for i, id in ipairs(support.sorted_keys(r.Parents or {})) do
          items[i] = table.pack(r.Parents[id], object.handle(dir, id))
        end
      end
      return items
    end)
end

--- for path, ids in paths(dir, sel): every path from the root to the object; ids lists the
--- object identifiers along it, from the root's to the object's own.
function ops.paths(dir, sel, opts)
  return listing(dir, "ListObjectParentPaths", { ObjectReference = { Selector = sel } }, opts,
    "paths", function(r)
      local items = {}
      for i, p in ipairs(r.PathToObjectIdentifiersList or {}) do
        items[i] = table.pack(p.Path, p.ObjectIdentifiers or {})
      end
      return items
    end)
end

-- Object methods ----------------------------------------------------------------------------

local function me(obj, method)
  local s = state[obj]
  if not s then error(("calling '%s' on bad self (clouddir.Object expected)"):format(method), 3) end
  return s.dir, "$" .. s.id
end

--- obj:id() -> the object identifier (no "$").
function methods.id(obj) me(obj, "id"); return state[obj].id end
--- obj:ref() -> "$<id>", a selector for the AWS-shaped client.
function methods.ref(obj) local _, sel = me(obj, "ref"); return sel end
--- obj:directory() -> the Directory handle the object belongs to.
function methods.directory(obj) return (me(obj, "directory")) end

function methods.get(obj, key)
  local dir, sel = me(obj, "get")
  return ops.get(dir, sel, key)
end

--- obj:update{ Facet = { attr = value | clouddir.NULL } } -> obj
function methods.update(obj, by_facet)
  local dir, sel = me(obj, "update")
  ops.update(dir, sel, by_facet)
  return obj
end

function methods.add_facet(obj, key, vals)
  local dir, sel = me(obj, "add_facet")
  ops.add_facet(dir, sel, key, vals)
  return obj
end

function methods.remove_facet(obj, key)
  local dir, sel = me(obj, "remove_facet")
  ops.remove_facet(dir, sel, key)
  return obj
end

function methods.facets(obj) return ops.facets(me(obj, "facets")) end
function methods.type(obj) return ops.type(me(obj, "type")) end

--- True when the object carries the facet.
function methods.has(obj, key)
  local dir, sel = me(obj, "has")
  return ops.has(dir, sel, key)
end

--- parent:create("link", values) -> a new child of this node.
function methods.create(obj, link, vals)
  local dir = me(obj, "create")
  support.check(type(link) == "string", "create", 1, "link name expected")
  return ops.create(dir, obj, link, vals)
end

--- parent:attach("link", child) -> child handle
function methods.attach(obj, link, child)
  local dir = me(obj, "attach")
  return ops.attach(dir, obj, link, child)
end

--- parent:detach("link") -> the detached child's handle
function methods.detach(obj, link)
  local dir = me(obj, "detach")
  return ops.detach(dir, obj, link)
end

function methods.delete(obj)
  local dir, sel = me(obj, "delete")
  ops.delete(dir, sel)
end

function methods.children(obj, opts) local dir, sel = me(obj, "children"); return ops.children(dir, sel, opts) end
function methods.parents(obj, opts) local dir, sel = me(obj, "parents"); return ops.parents(dir, sel, opts) end
function methods.paths(obj, opts) local dir, sel = me(obj, "paths"); return ops.paths(dir, sel, opts) end

--- obj:path() -> one path from the root to the object, or nil when it has none.
function methods.path(obj)
  for path in methods.paths(obj, nil) do return path end
  return nil
end

object.facet_index = facet_index

return object
