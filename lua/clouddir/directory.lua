--- clouddir.directory — the Directory handle.
--
-- Fields: name, arn, id (the directory id, the last part of the ARN), store, client.
-- Methods manage the directory (info, state, enable, disable, delete, tags, applied
-- schemas) and reach its objects by reference: a path "/a/b", an id ("$id" or bare), or an
-- object handle.
local support = require "clouddir.support"
local schema = require "clouddir.schema"
local object = require "clouddir.object"
local facets = require "clouddir.facets"

local directory = {}

local Directory = { __name = "clouddir.Directory" }
Directory.__index = Directory
directory.Directory = Directory

function Directory.__tostring(d) return ("clouddir.Directory %s (%s)"):format(d.name or "?", d.arn) end
function Directory.__eq(a, b) return a.arn == b.arn end

--- The handle of the directory with this ARN (name may be nil: it is read when needed).
function directory.handle(store, client, arn, name)
  return setmetatable({ store = store, client = client, arn = arn, name = name,
                        id = arn:match("directory/([^/]+)$") }, Directory)
end

--- A Directory description from the API's Directory shape.
function directory.describe(d)
  return { name = d.Name, arn = d.DirectoryArn, state = d.State, created = d.CreationDateTime }
end

-- The directory itself ----------------------------------------------------------------------

--- dir:info() -> { name, arn, state, created } (created: seconds since the epoch).
function Directory:info()
  local d = directory.describe(self.client:GetDirectory{ DirectoryArn = self.arn }.Directory)
  self.name = self.name or d.name
  return d
end

--- dir:state() -> "ENABLED" | "DISABLED" | "DELETED"
function Directory:state() return self:info().state end

function Directory:enable() self.client:EnableDirectory{ DirectoryArn = self.arn }; return self end
function Directory:disable() self.client:DisableDirectory{ DirectoryArn = self.arn }; return self end
--- Deletes a disabled directory (irreversible).
function Directory:delete() self.client:DeleteDirectory{ DirectoryArn = self.arn } end

--- dir:tag{ key = "value", ... } -> dir (adds tags, replacing the values of existing keys)
function Directory:tag(tags)
  support.check(type(tags) == "table", "tag", 1, "table of key = value expected")
  local list = {}
  for _, k in ipairs(support.sorted_keys(tags)) do list[#list + 1] = { Key = k, Value = tags[k] } end
  self.client:TagResource{ ResourceArn = self.arn, Tags = list }
  return self
end

--- dir:untag("k1", "k2") or dir:untag{ "k1", "k2" } -> dir
function Directory:untag(first, ...)
  local keys = type(first) == "table" and first or { first, ... }
  self.client:UntagResource{ ResourceArn = self.arn, TagKeys = keys }
  return self
end

--- dir:tags() -> { key = "value", ... }
function Directory:tags()
  local out = {}
  local list = support.all_pages(function(token)
    local r = self.client:ListTagsForResource{ ResourceArn = self.arn, NextToken = token }
    return r.Tags or {}, r.NextToken
  end)
  for _, t in ipairs(list) do out[t.Key] = t.Value end
  return out
end

-- Applied schemas ---------------------------------------------------------------------------

--- dir:apply(published_schema) -> the applied schema's handle.  Accepts a handle or an ARN.
function Directory:apply(s)
  local arn = type(s) == "table" and s.arn or s
  support.check(type(arn) == "string", "apply", 1, "published schema (handle or ARN) expected")
  local r = self.client:ApplySchema{ PublishedSchemaArn = arn, DirectoryArn = self.arn }
  facets.forget(self)
  return schema.handle(self.store, self.client, r.AppliedSchemaArn)
end

--- for arn, schema in dir:schemas(): the schemas applied to the directory.
function Directory:schemas()
  return support.iterate(function(token)
    local r = self.client:ListAppliedSchemaArns{ DirectoryArn = self.arn, NextToken = token }
    local items = {}
    for i, arn in ipairs(r.SchemaArns or {}) do
      items[i] = table.pack(arn, schema.handle(self.store, self.client, arn))
    end
    return items, r.NextToken
  end)
end

--- dir:schema(name [, version]) -> the applied schema of that name (and version), or nil.
function Directory:schema(name, version)
  for _, s in self:schemas() do
    if s.name == name and (version == nil or s.version == version) then return s end
  end
  return nil
end

-- Objects -----------------------------------------------------------------------------------

--- dir:root() -> the root object's handle.
function Directory:root()
  return object.handle(self, object.ops.info(self, "/").ObjectIdentifier)
end

--- dir:object(ref) -> the handle of the object ref names; raises ResourceNotFoundException.
function Directory:object(ref)
  local sel = support.check_ref(ref, "object", 1)
  return object.handle(self, object.ops.info(self, sel).ObjectIdentifier)
end

--- dir:find(ref) -> the handle of the object ref names, or nil when there is none.
function Directory:find(ref)
  return object.ops.find(self, support.check_ref(ref, "find", 1))
end

--- dir:create("/parent/link", values) | dir:create(parent, "link", values) |
--- dir:create(nil, values) -> the new object's handle.
-- values: { Facet = { attribute = value, ... }, ... } (a facet may be given as {}).
function Directory:create(...) return object.ops.create(self, ...) end

--- dir:attach(parent, "link", child) -> child handle
function Directory:attach(parent, link, child) return object.ops.attach(self, parent, link, child) end

--- dir:detach(parent, "link") -> the detached child's handle
function Directory:detach(parent, link) return object.ops.detach(self, parent, link) end

--- dir:delete_object(ref): deletes a detached object with no children.
function Directory:delete_object(ref) object.ops.delete(self, support.check_ref(ref, "delete_object", 1)) end

--- dir:get(ref [, facet]) -> as obj:get
function Directory:get(ref, key) return object.ops.get(self, support.check_ref(ref, "get", 1), key) end

--- dir:update(ref, values) -> dir, as obj:update
function Directory:update(ref, vals)
  object.ops.update(self, support.check_ref(ref, "update", 1), vals)
  return self
end

--- Iterators, as the object methods: dir:children(ref), dir:parents(ref), dir:paths(ref).
function Directory:children(ref, opts) return object.ops.children(self, support.check_ref(ref, "children", 1), opts) end
function Directory:parents(ref, opts) return object.ops.parents(self, support.check_ref(ref, "parents", 1), opts) end
function Directory:paths(ref, opts) return object.ops.paths(self, support.check_ref(ref, "paths", 1), opts) end

return directory
