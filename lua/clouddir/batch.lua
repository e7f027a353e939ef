--- clouddir.batch — atomic batches in the idiomatic API.
--
--   local eng, ada = dir:batch(function(b)
--     local eng = b:create("/engineering", { Department = { name = "Engineering" } })
--     local ada = b:create(eng, "ada", { Person = { email = "ada@acme" } })
--     b:attach("/", "ada", ada)                  -- a step may use any earlier step's result
--     return eng, ada
--   end)                                         -- eng, ada: object handles
--
-- A Batch records its steps as BatchWrite operations and sends them in ONE BatchWrite call
-- when it commits: the engine runs them in order in one write transaction, and writes all
-- of them or none.  A step that makes an object (create, detach, create_index) returns a
-- placeholder; a later step that uses it refers to it as "#rN", the BatchReferenceName the
-- placeholder gives its step when it is first used (steps whose result is never used carry
-- no name).  Once the batch commits, a placeholder stands for the object: its methods and
-- facet reads are the object handle's.
--
-- dir:batch(fn) commits when fn returns and raises fn's error (nothing written) otherwise.
-- dir:begin_batch() gives a handle to commit yourself; declared `<close>`, a batch that was
-- not committed when its scope ends is abandoned (nothing is written).
--
-- A failing step makes the commit raise the engine's BatchWriteException (fields index,
-- 0-based, and type, the step's own exception) with three more fields naming the Lua side
-- of the step: step (1-based), method ("create", "attach", ...) and where ("file.lua:12").
-- Wrong facet or attribute names and misuse are raised by the step itself, when recorded.
--
-- The per-step cost is small on purpose (a script may add millions of steps under
-- limits = "none"): request tables are built once, facet and attribute keys are shared
-- between steps, and nothing is copied when the batch commits.
local support = require "clouddir.support"
local values = require "clouddir.values"
local facets = require "clouddir.facets"
local object = require "clouddir.object"
local directory = require "clouddir.directory"

local getmetatable, setmetatable, rawequal, rawget, type, pairs, error = getmetatable, setmetatable, rawequal, rawget, type, pairs, error
local getinfo = debug.getinfo
local NULL = values.NULL
local to_api = values.to_api

local batch = {}

local Batch = { __name = "clouddir.Batch" }
Batch.__index = Batch
batch.Batch = Batch

-- Placeholders: tables with integer keys only, so no facet name can collide with them.
--   [1] the batch, [2] the step, [3] the operation kind, [4] the selector later steps use
--   (set when first used, or given), [5] a cached { Selector = [4] } for request tables,
--   [6] the object identifier and [7] the object handle, once committed.
local Pending = { __name = "clouddir.BatchObject" }
local PendingLink = { __name = "clouddir.BatchLink" }
batch.Pending, batch.PendingLink = Pending, PendingLink

-- Where each kind's response names the object a placeholder stands for.
local result_member = {
  CreateObject = "ObjectIdentifier", CreateIndex = "ObjectIdentifier",
  DetachObject = "detachedObjectIdentifier", AttachObject = "attachedObjectIdentifier",
}

-- Misuse is a plain Lua error at the caller's line, as support.argerror raises it: the
-- first stack level outside clouddir's own files (getinfo and error count levels alike
-- from here: 1 is misuse itself).
local function misuse(msg)
  local level = 2
  while true do
    local info = getinfo(level, "S")
    if not info then level = 0 break end
    if not info.source:find("clouddir/", 1, true) then break end
    level = level + 1
  end
  error(msg, level)
end

local state_words = {
  committed = "was committed",
  failed = "failed (nothing was written)",
  aborted = "was abandoned (nothing was written)",
}

-- {====================================================== batches

--- A new, empty batch on directory dir.
function batch.new(dir)
  return setmetatable({
    dir = dir, state = "open", n = 0,
    ops = {},                   -- the BatchWrite Operations list
    methods = {}, srcs = {}, lines = {},   -- per step: the method and the caller's position
    facet_cache = {}, link_cache = {},
  }, Batch)
end

local function batch_self(b, method)
  if getmetatable(b) ~= Batch then
    misuse(("calling '%s' on bad self (clouddir.Batch expected; use b:%s(...))"):format(method, method))
  end
end

local function open_batch(b, method)
  batch_self(b, method)
  if b.state ~= "open" then
    misuse(("b:%s: this batch %s; start another with dir:batch or dir:begin_batch")
           :format(method, state_words[b.state] or b.state))
  end
end

-- Records one step (called directly by the public methods, so level 3 is the caller).
local function push(b, method, item)
  local n = b.n + 1
  b.n = n
  b.ops[n] = item
  b.methods[n] = method
  local info = getinfo(3, "Sl")
  b.srcs[n], b.lines[n] = info.short_src, info.currentline
  return n
end

Batch.__len = function(b) return b.n end
Batch.__tostring = function(b)
  return ("clouddir.Batch (%d steps, %s)"):format(b.n, b.state)
end
-- A to-be-closed batch that was not committed is abandoned.
Batch.__close = function(b)
  if b.state == "open" then b:abort() end
end

--- b:size() -> the number of steps recorded (also #b).
function Batch:size()
  batch_self(self, "size")
  return self.n
end

--- b:abort(): abandons the batch (nothing is written; its placeholders become unusable).
function Batch:abort()
  open_batch(self, "abort")
  self.state = "aborted"
  self.ops, self.facet_cache, self.link_cache = nil, nil, nil
end

-- Adds the Lua side of the failed step to the engine's BatchWriteException.
local function annotate(b, e)
  local step = math.tointeger(e.index) and e.index + 1
  if not step or step < 1 or step > b.n then return e end
  e.step, e.method = step, b.methods[step]
  e.where = ("%s:%s"):format(b.srcs[step], b.lines[step])
  e.message = ("%s (batch step %d: b:%s at %s)"):format(e.message, step, e.method, e.where)
  return e
end

--- b:commit() -> the BatchWrite Responses list.  Sends every step in one BatchWrite; on
-- failure nothing is written and the error is raised (see the module comment).
function Batch:commit()
  open_batch(self, "commit")
  self.state = "committing"
  local client = self.dir.client
  local ok, r = pcall(client.call, client, "BatchWrite",
                      { DirectoryArn = self.dir.arn, Operations = self.ops })
  -- The request tables are no longer needed, only the responses (placeholders read them).
  self.ops, self.facet_cache, self.link_cache = nil, nil, nil
  if not ok then
    self.state = "failed"
    if type(r) == "table" and r.code == "BatchWriteException" then annotate(self, r) end
    error(r, 0)
  end
  self.state = "committed"
  self.responses = r.Responses
  self.methods, self.srcs, self.lines = nil, nil, nil
  return r.Responses
end

-- }======================================================

-- {====================================================== placeholders

local function pending(b, step, kind, sel)
  -- Every slot is present (false when empty), so filling one never meets __newindex.
  return setmetatable({ b, step, kind, sel or false, false, false, false }, Pending)
end

-- The selector a later step of the same batch uses for placeholder p: its own, or a new
-- BatchReferenceName on the step that made it.
local function name_of(p)
  local sel = rawget(p, 4)
  if not sel then
    local name = "r" .. p[2]
    local item = p[1].ops[p[2]]
    item[p[3]].BatchReferenceName = name
    sel = "#" .. name
    p[4] = sel
  end
  return sel
end

-- The object identifier of a committed placeholder; a misuse error otherwise.
local function resolved_id(p)
  local b = p[1]
  if b.state ~= "committed" then
    misuse(("this object is the result of step %d (b:%s) of a batch that %s: it can only be "
            .. "used in later steps of that batch, or once it has committed")
           :format(p[2], b.methods and b.methods[p[2]] or "?",
                   state_words[b.state] or "has not committed yet"))
  end
  local id = rawget(p, 6)
  if not id then
    local r = b.responses[p[2]][p[3]]
    id = r and r[result_member[p[3]]]
    if not id then misuse("the batch answered no object for step " .. p[2]) end
    p[6] = id
  end
  return id
end

local function resolved(p)
  local obj = rawget(p, 7)
  if not obj then
    obj = object.handle(p[1].dir, resolved_id(p))
    p[7] = obj
  end
  return obj
end
batch.resolve = function(p) return resolved(p) end

Pending.__selector = function(p) return "$" .. resolved_id(p) end
-- Once committed, a placeholder is its object: methods and facet reads are forwarded.
Pending.__index = function(p, k)
  if type(k) ~= "string" then return nil end     -- the placeholder's own empty slots
  local obj = resolved(p)
  local v = obj[k]
  if type(v) == "function" then
    return function(self, ...)
      if rawequal(self, p) then self = obj end
      return v(self, ...)
    end
  end
  return v
end
Pending.__newindex = function()
  misuse("batch placeholders are read-only: write with b:update(...) in the batch")
end
Pending.__eq = function(a, c)
  local ra = getmetatable(a) == Pending and resolved(a) or a
  local rc = getmetatable(c) == Pending and resolved(c) or c
  return ra == rc
end
Pending.__tostring = function(p)
  if p[1].state == "committed" then return "clouddir.Object $" .. resolved_id(p) end
  return ("clouddir.BatchObject (step %d, %s)"):format(p[2], p[1].state)
end

-- The selector of a reference used by a step of batch b.
local function ref(b, x, method, n)
  if getmetatable(x) == Pending and rawequal(x[1], b) then return name_of(x) end
  return support.check_ref(x, method, n)
end

-- { Selector = ... } for a reference (cached on same-batch placeholders, which are often
-- the parent of many steps).
local function ref_table(b, x, method, n)
  if getmetatable(x) == Pending and rawequal(x[1], b) then
    local t = rawget(x, 5)
    if not t then
      t = { Selector = name_of(x) }
      x[5] = t
    end
    return t
  end
  return { Selector = support.check_ref(x, method, n) }
end

-- }======================================================

-- {====================================================== values

-- Per batch: facet key -> { arn, name, sf (SchemaFacet), list ({ sf }), keys, types }.
local function facet_of(b, key)
  local c = b.facet_cache[key]
  if not c then
    local e = facets.resolve(b.dir, key)
    local sf = { SchemaArn = e.arn, FacetName = e.name }
    c = { e = e, sf = sf, list = { sf }, keys = {}, types = {} }
    b.facet_cache[key] = c
  end
  return c
end

-- The shared AttributeKey of attribute `name`, and its declared type (nil: unknown/VARIANT).
local function attr_key(b, c, name)
  local k = c.keys[name]
  if not k then
    k = { SchemaArn = c.e.arn, FacetName = c.e.name, Name = name }
    c.keys[name] = k
    c.types[name] = facets.attribute_type(b.dir, c.e, name) or false
  end
  return k, c.types[name] or nil
end

local function check_values(key, vals)
  if type(vals) ~= "table" or getmetatable(vals) ~= nil then
    support.raise("ValidationException",
      "the values of facet %s must be a table of attribute = value, got %s", key, type(vals))
  end
end

-- values.to_api with the common cases first (a string, boolean or integer of the declared
-- type, or of an undeclared one): the same result, without its general checks.
local math_type, tostring = math.type, tostring
local function value_of(t, v)
  local tv = type(v)
  if tv == "string" then
    if t == "STRING" or not t or t == "VARIANT" then return { StringValue = v } end
    if t == "BINARY" then return { BinaryValue = v } end
    if t == "NUMBER" then return { NumberValue = v } end
  elseif tv == "number" then
    if math_type(v) == "integer" and (t == "NUMBER" or not t or t == "VARIANT") then
      return { NumberValue = tostring(v) }
    end
  elseif tv == "boolean" then
    if t == "BOOLEAN" or not t or t == "VARIANT" then return { BooleanValue = v } end
  end
  return to_api(t, v)
end

local function add_values(b, c, key, vals, list)
  check_values(key, vals)
  local n = #list
  for name, v in pairs(vals) do
    if v ~= NULL then
      local k, t = attr_key(b, c, name)
      n = n + 1
      list[n] = { Key = k, Value = value_of(t, v) }
    end
  end
end

-- { Facet = { attr = value } } -> SchemaFacet list, ObjectAttributeList.
local function attribute_list(b, by_facet)
  local first = next(by_facet)
  local list = {}
  if first ~= nil and next(by_facet, first) == nil then     -- one facet: the common case
    local c = facet_of(b, first)
    add_values(b, c, first, by_facet[first], list)
    return c.list, list
  end
  local sfs = {}
  for i, key in ipairs(support.sorted_keys(by_facet)) do
    local c = facet_of(b, key)
    sfs[i] = c.sf
    add_values(b, c, key, by_facet[key], list)
  end
  return sfs, list
end

local DELETE = { ObjectAttributeActionType = "DELETE" }

local function attribute_updates(b, by_facet)
  local updates = {}
  for key, vals in pairs(by_facet) do
    local c = facet_of(b, key)
    check_values(key, vals)
    for name, v in pairs(vals) do
      local k, t = attr_key(b, c, name)
      updates[#updates + 1] = { ObjectAttributeKey = k, ObjectAttributeAction = v == NULL and DELETE
        or { ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = value_of(t, v) } }
    end
  end
  return updates
end

-- }======================================================

-- {====================================================== objects and the hierarchy

--- b:create("/parent/link", values) | b:create(parent, "link", values) | b:create(nil, values)
--- -> a placeholder for the new object.  Paths are resolved when the step runs, so they may
--- go through objects created by earlier steps.
function Batch:create(a1, a2, a3)
  open_batch(self, "create")
  local parent, link, vals
  if type(a2) == "string" then
    parent, link, vals = ref_table(self, a1, "create", 1), a2, a3
  elseif a1 == nil then
    vals = a2
  else
    support.check(type(a1) == "string" and a1:sub(1, 1) == "/", "create", 1,
                  "a path \"/parent/link\", nil, or a parent followed by a link name expected")
    local p
    p, link = support.split_path(a1)
    support.check(p ~= nil, "create", 1, "the path must end with the new link's name")
    parent, vals = { Selector = p }, a2
  end
  support.check(type(vals) == "table", "create", type(a2) == "string" and 3 or 2,
                "facet values table expected ({ Facet = { attribute = value } })")
  local sfs, list = attribute_list(self, vals)
  local n = push(self, "create", { CreateObject = {
    SchemaFacet = sfs, ObjectAttributeList = list, ParentReference = parent, LinkName = link } })
  return pending(self, n, "CreateObject")
end

--- b:attach(parent, "link", child) -> child (a placeholder when child was a path or id).
function Batch:attach(parent, link, child)
  open_batch(self, "attach")
  support.check(type(link) == "string", "attach", 2, "link name expected")
  local c = ref_table(self, child, "attach", 3)
  local n = push(self, "attach", { AttachObject = {
    ParentReference = ref_table(self, parent, "attach", 1), LinkName = link, ChildReference = c } })
  if type(child) == "table" then return child end
  return pending(self, n, "AttachObject", c.Selector)
end

--- b:detach(parent, "link") -> a placeholder for the detached child.
function Batch:detach(parent, link)
  open_batch(self, "detach")
  support.check(type(link) == "string", "detach", 2, "link name expected")
  local n = push(self, "detach", { DetachObject = {
    ParentReference = ref_table(self, parent, "detach", 1), LinkName = link } })
  return pending(self, n, "DetachObject")
end

--- b:update(ref, { Facet = { attr = value | clouddir.NULL } })
function Batch:update(target, by_facet)
  open_batch(self, "update")
  local r = ref_table(self, target, "update", 1)
  support.check(type(by_facet) == "table", "update", 2, "facet values table expected")
  push(self, "update", { UpdateObjectAttributes = {
    ObjectReference = r, AttributeUpdates = attribute_updates(self, by_facet) } })
end

--- b:delete(ref): deletes a detached object with no children.
function Batch:delete(target)
  open_batch(self, "delete")
  push(self, "delete", { DeleteObject = { ObjectReference = ref_table(self, target, "delete", 1) } })
end

--- b:add_facet(ref, facet [, values])
function Batch:add_facet(target, key, vals)
  open_batch(self, "add_facet")
  local r = ref_table(self, target, "add_facet", 1)
  support.check(type(key) == "string", "add_facet", 2, "facet name expected")
  local c = facet_of(self, key)
  local list = {}
  add_values(self, c, key, vals or {}, list)
  push(self, "add_facet", { AddFacetToObject = {
    ObjectReference = r, SchemaFacet = c.sf, ObjectAttributeList = list } })
end

--- b:remove_facet(ref, facet)
function Batch:remove_facet(target, key)
  open_batch(self, "remove_facet")
  local r = ref_table(self, target, "remove_facet", 1)
  support.check(type(key) == "string", "remove_facet", 2, "facet name expected")
  push(self, "remove_facet", { RemoveFacetFromObject = {
    ObjectReference = r, SchemaFacet = facet_of(self, key).sf } })
end

-- }======================================================

-- {====================================================== policies and indexes

--- b:attach_policy(policy, ref), b:detach_policy(policy, ref)
function Batch:attach_policy(policy, target)
  open_batch(self, "attach_policy")
  push(self, "attach_policy", { AttachPolicy = {
    PolicyReference = ref_table(self, policy, "attach_policy", 1),
    ObjectReference = ref_table(self, target, "attach_policy", 2) } })
end

function Batch:detach_policy(policy, target)
  open_batch(self, "detach_policy")
  push(self, "detach_policy", { DetachPolicy = {
    PolicyReference = ref_table(self, policy, "detach_policy", 1),
    ObjectReference = ref_table(self, target, "detach_policy", 2) } })
end

local index_options = { facet = true, attribute = true, facets = true, unique = true,
                        path = true, parent = true, name = true }

--- b:create_index{ facet = "Person", attribute = "email" | facets = true, unique = false,
---                 path = "/parent/link" | parent = ref, name = "link" }
--- -> a placeholder for the new index (the spec of dir:create_index; unattached without
--- a path or a parent and name).
function Batch:create_index(spec)
  open_batch(self, "create_index")
  spec = support.options(spec, index_options, "create_index", 1)
  local key
  if spec.facets then
    support.check(spec.facet == nil and spec.attribute == nil, "create_index", 1,
                  "the facet-based index ('facets = true') takes no facet or attribute")
    key = { SchemaArn = self.dir.arn .. "/schema/CloudDirectory/1.0", FacetName = "facets", Name = "facets" }
  else
    support.check(type(spec.facet) == "string" and type(spec.attribute) == "string", "create_index", 1,
                  "'facet' and 'attribute' (strings) expected, or 'facets = true'")
    key = attr_key(self, facet_of(self, spec.facet), spec.attribute)
  end
  local parent, link = nil, spec.name
  if spec.path ~= nil then
    support.check(spec.parent == nil and link == nil, "create_index", 1, "'path', or 'parent' and 'name'")
    support.check(type(spec.path) == "string", "create_index", 1, "'path' must be a string \"/parent/name\"")
    local p
    p, link = support.split_path(spec.path)
    support.check(p ~= nil, "create_index", 1, "'path' must end with the index's link name")
    parent = { Selector = p }
  elseif spec.parent ~= nil then
    parent = ref_table(self, spec.parent, "create_index", 1)
  end
  local n = push(self, "create_index", { CreateIndex = {
    OrderedIndexedAttributeList = { key }, IsUnique = spec.unique and true or false,
    ParentReference = parent, LinkName = link } })
  return pending(self, n, "CreateIndex")
end

--- b:attach_to_index(index, ref), b:detach_from_index(index, ref)
function Batch:attach_to_index(index, target)
  open_batch(self, "attach_to_index")
  push(self, "attach_to_index", { AttachToIndex = {
    IndexReference = ref_table(self, index, "attach_to_index", 1),
    TargetReference = ref_table(self, target, "attach_to_index", 2) } })
end

function Batch:detach_from_index(index, target)
  open_batch(self, "detach_from_index")
  push(self, "detach_from_index", { DetachFromIndex = {
    IndexReference = ref_table(self, index, "detach_from_index", 1),
    TargetReference = ref_table(self, target, "detach_from_index", 2) } })
end

-- }======================================================

-- {====================================================== typed links

local list_all = support.list_all

-- Per batch: typed-link facet key ("Name" or "schema/Name") -> { facet (the API's
-- TypedLinkSchemaAndFacetName), identity (attribute names in order), types, keys }.
local function link_facet(b, key)
  local c = b.link_cache[key]
  if c then return c end
  if type(key) ~= "string" then
    support.raise("FacetValidationException", "typed link facet names are strings, got %s", type(key))
  end
  local dir = b.dir
  local schema_name, name = key:match("^([^/]+)/(.+)$")
  name = name or key
  local found = {}
  for _, arn in ipairs(list_all(dir.client, "ListAppliedSchemaArns", { DirectoryArn = dir.arn }, "SchemaArns")) do
    local _, sname = support.parse_schema_arn(arn)
    if not schema_name or sname == schema_name then
      for _, n in ipairs(list_all(dir.client, "ListTypedLinkFacetNames", { SchemaArn = arn }, "FacetNames")) do
        if n == name then found[#found + 1] = { arn = arn, schema = sname } end
      end
    end
  end
  if #found ~= 1 then
    support.raise("FacetValidationException", #found == 0
      and "no schema applied to directory %s has a typed link facet named %s"
      or "typed link facet %s is in several schemas applied to directory %s; write \"schema/%s\"",
      #found == 0 and (dir.name or dir.arn) or key, #found == 0 and key or (dir.name or dir.arn), name)
  end
  local arn = found[1].arn
  local info = dir.client:GetTypedLinkFacetInformation{ SchemaArn = arn, Name = name }
  local types = {}
  for _, a in ipairs(list_all(dir.client, "ListTypedLinkFacetAttributes",
                              { SchemaArn = arn, Name = name }, "Attributes")) do
    types[a.Name] = a.Type
  end
  c = { facet = { SchemaArn = arn, TypedLinkName = name }, identity = info.IdentityAttributeOrder or {},
        types = types, keys = {} }
  b.link_cache[key] = c
  return c
end

local function link_pending(b, step, spec)
  return setmetatable({ b, step, "AttachTypedLink", spec }, PendingLink)
end

-- The TypedLinkSpecifier of a link: a batch link, a Link handle, or the API's table.
local function specifier_of(b, l, method)
  if getmetatable(l) == PendingLink then
    if rawequal(l[1], b) then return l[4] end
    return l:specifier()
  end
  support.check(type(l) == "table", method, 1, "a link or a TypedLinkSpecifier expected")
  if rawget(l, "TypedLinkFacet") ~= nil then return l end
  local get = getmetatable(l) and l.specifier               -- a Link handle (clouddir.links)
  support.check(type(get) == "function", method, 1, "a link or a TypedLinkSpecifier expected")
  return get(l)
end

--- b:link(from, to, "Facet", { attr = value }) -> a link value (usable by b:unlink and
--- b:update_link; after commit, link:specifier() gives its TypedLinkSpecifier).
function Batch:link(from, to, key, attrs)
  open_batch(self, "link")
  local src, dst = ref_table(self, from, "link", 1), ref_table(self, to, "link", 2)
  support.check(type(key) == "string", "link", 3, "typed link facet name expected")
  support.check(attrs == nil or type(attrs) == "table", "link", 4, "attribute values table expected")
  attrs = attrs or {}
  local c = link_facet(self, key)
  local list = {}
  for name, v in pairs(attrs) do
    if v ~= NULL then list[#list + 1] = { AttributeName = name, Value = to_api(c.types[name], v) } end
  end
  local identity = {}
  for i, name in ipairs(c.identity) do
    identity[i] = { AttributeName = name, Value = to_api(c.types[name], attrs[name]) }
  end
  local n = push(self, "link", { AttachTypedLink = {
    SourceObjectReference = src, TargetObjectReference = dst, TypedLinkFacet = c.facet,
    Attributes = list } })
  return link_pending(self, n, { TypedLinkFacet = c.facet, SourceObjectReference = src,
                                 TargetObjectReference = dst, IdentityAttributeValues = identity })
end

--- b:unlink(link) | b:unlink(from, to, "Facet", { identity attr = value })
function Batch:unlink(a1, a2, a3, a4)
  open_batch(self, "unlink")
  local spec
  if a2 == nil then
    spec = specifier_of(self, a1, "unlink")
  else
    support.check(type(a3) == "string", "unlink", 3, "typed link facet name expected")
    local c = link_facet(self, a3)
    local identity = {}
    for i, name in ipairs(c.identity) do
      identity[i] = { AttributeName = name, Value = to_api(c.types[name], (a4 or {})[name]) }
    end
    spec = { TypedLinkFacet = c.facet, SourceObjectReference = ref_table(self, a1, "unlink", 1),
             TargetObjectReference = ref_table(self, a2, "unlink", 2), IdentityAttributeValues = identity }
  end
  push(self, "unlink", { DetachTypedLink = { TypedLinkSpecifier = spec } })
end

--- b:update_link(link, { attr = value | clouddir.NULL }): changes non-identity attributes.
function Batch:update_link(l, attrs)
  open_batch(self, "update_link")
  local spec = specifier_of(self, l, "update_link")
  support.check(type(attrs) == "table", "update_link", 2, "attribute values table expected")
  local f = spec.TypedLinkFacet
  local c = link_facet(self, f.TypedLinkName)
  local updates = {}
  for name, v in pairs(attrs) do
    local k = c.keys[name]
    if not k then
      k = { SchemaArn = f.SchemaArn, FacetName = f.TypedLinkName, Name = name }
      c.keys[name] = k
    end
    updates[#updates + 1] = { AttributeKey = k, AttributeAction = v == NULL
      and { AttributeActionType = "DELETE" }
      or { AttributeActionType = "CREATE_OR_UPDATE", AttributeUpdateValue = to_api(c.types[name], v) } }
  end
  push(self, "update_link", { UpdateLinkAttributes = { TypedLinkSpecifier = spec, AttributeUpdates = updates } })
end

PendingLink.__index = {
  --- link:specifier() -> the committed link's TypedLinkSpecifier ($id selectors).
  specifier = function(l)
    if getmetatable(l) ~= PendingLink then
      misuse("calling 'specifier' on bad self (clouddir.BatchLink expected; use link:specifier())")
    end
    local b = l[1]
    if b.state ~= "committed" then
      misuse(("this typed link is step %d of a batch that %s"):format(l[2],
             state_words[b.state] or "has not committed yet"))
    end
    return b.responses[l[2]].AttachTypedLink.TypedLinkSpecifier
  end,
}
PendingLink.__tostring = function(l)
  return ("clouddir.BatchLink (step %d, %s)"):format(l[2], l[1].state)
end

-- }======================================================

-- {====================================================== directory methods

local Directory = directory.Directory

--- dir:begin_batch() -> a new batch; commit it with b:commit().  Declare it
--- `local b <close> = dir:begin_batch()` so that it is abandoned unless committed.
function Directory:begin_batch()
  if getmetatable(self) ~= Directory then misuse("call it as dir:begin_batch()") end
  return batch.new(self)
end

-- Placeholders among fn's results become object handles.
local function handles(res, i, n)
  if i > n then return end
  local v = res[i]
  if getmetatable(v) == Pending then v = resolved(v) end
  return v, handles(res, i + 1, n)
end

--- dir:batch(fn, ...) -> fn's results: calls fn(b, ...) and commits the batch when fn
--- returns (unless fn committed or abandoned it itself).  When fn raises, or a step fails,
--- nothing is written and the error propagates.  Placeholders among the results are
--- returned as object handles.
function Directory:batch(fn, ...)
  if getmetatable(self) ~= Directory then misuse("call it as dir:batch(function(b) ... end)") end
  support.check(type(fn) == "function", "batch", 1, "function expected")
  local b <close> = batch.new(self)
  local res = table.pack(fn(b, ...))
  if b.state == "open" then b:commit() end
  return handles(res, 1, res.n)
end

-- }======================================================

-- {====================================================== read batches

local Reader = { __name = "clouddir.BatchReader" }
Reader.__index = Reader
batch.Reader = Reader

local function open_reader(r, method)
  if getmetatable(r) ~= Reader then
    misuse(("calling '%s' on bad self (clouddir.BatchReader expected; use r:%s(...))"):format(method, method))
  end
  if r.done then misuse(("r:%s: this read batch has already run"):format(method)) end
end

-- Records one step of one or two BatchRead operations; convert(body1, body2) turns their
-- responses into the step's result (false: the first response as it is).
local function read_step(r, convert, op1, op2)
  local n, ops = r.n + 1, r.ops
  r.n = n
  r.first[n], r.convert[n] = #ops + 1, convert
  ops[#ops + 1] = op1
  if op2 then ops[#ops + 1] = op2 end
  return n
end

-- The largest page the store gives (semantics: 30 under limits = "aws"; the engine's own
-- cap otherwise), so that r:get rarely needs a page after the batch's.
local function largest_page(dir)
  return dir.store:options().limits == "none" and 1000000000 or 30
end

-- obj:get()'s answer from an object's GetObjectInformation and attribute list: every facet
-- under its display key (an empty table when it has no values); with a key, that facet's
-- values, or nil when the object does not carry it.
local function values_of(dir, info, attrs, key)
  local sfs = info.SchemaFacets or {}
  local keys_of, keys = facets.display_keys(dir, sfs)
  local out, only = {}, nil
  if key ~= nil then
    local i = object.facet_index(dir, info, keys, key)   -- as obj:get finds it
    if not i then return nil end
    only, key = sfs[i].SchemaArn .. "\0" .. sfs[i].FacetName, keys[i]
    out[key] = {}
  else
    for _, k in pairs(keys_of) do out[k] = {} end
  end
  for _, kv in ipairs(attrs) do
    local k = kv.Key
    local id = k.SchemaArn .. "\0" .. k.FacetName
    if not only or id == only then
      local dk = keys_of[id] or k.FacetName
      local t = out[dk] or {}
      out[dk] = t
      t[k.Name] = values.from_api(kv.Value)
    end
  end
  if only then return out[key] end
  return out
end

-- Appends the pages after the batch's first one to attrs: single ListObjectAttributes
-- calls, each its own snapshot (as obj:get reads its pages), on the object the batch found
-- (by id, so a link changed since cannot make it another object).
local function later_pages(dir, id, filter, page, attrs, token)
  local req = { DirectoryArn = dir.arn, ObjectReference = { Selector = "$" .. id },
                FacetFilter = filter, MaxResults = page }
  repeat
    req.NextToken = token
    local r = dir.client:ListObjectAttributes(req)
    local list = r.Attributes or {}
    table.move(list, 1, #list, #attrs + 1, attrs)
    token = r.NextToken
  until token == nil
  return attrs
end

--- r:get(ref [, facet]) -> step number; its result is obj:get()'s: { Facet = { attr = value } }
--- for every facet ("schema/Facet" for a name two of the object's facets share), or with a
--- facet key that facet's values, or nil when the object does not carry that facet.
-- Two operations of the batch: GetObjectInformation (the object's facets) and one page, as
-- large as the store allows, of ListObjectAttributes; later pages are read after the batch.
function Reader:get(target, key)
  open_reader(self, "get")
  local ref = { Selector = support.check_ref(target, "get", 1) }
  local filter
  if key ~= nil then
    -- Only the facet's values when the key names one facet; otherwise (a name no applied
    -- schema has, or a bare name two have) every value, and the object's facets decide.
    local ok, e = pcall(facets.resolve, self.dir, key)
    if ok then
      filter = { SchemaArn = e.arn, FacetName = e.name }
    elseif not support.is_error(e, "FacetValidationException") then
      error(e, 0)
    end
  end
  local dir = self.dir
  self.get_page = self.get_page or largest_page(dir)
  local page = self.get_page
  return read_step(self, function(info, list)
      local attrs = list.Attributes or {}
      if list.NextToken ~= nil then
        attrs = later_pages(dir, info.ObjectIdentifier, filter, page, attrs, list.NextToken)
      end
      return values_of(dir, info, attrs, key)
    end, { GetObjectInformation = { ObjectReference = ref } },
    { ListObjectAttributes = { ObjectReference = ref, FacetFilter = filter, MaxResults = page } })
end

--- r:object(ref) -> step number; its result: the object's handle.
function Reader:object(target)
  open_reader(self, "object")
  local sel = support.check_ref(target, "object", 1)
  local dir = self.dir
  return read_step(self, function(resp) return object.handle(dir, resp.ObjectIdentifier) end,
    { GetObjectInformation = { ObjectReference = { Selector = sel } } })
end

--- r:children(ref) -> step number; its result: { link name = child handle } (one page).
function Reader:children(target)
  open_reader(self, "children")
  local sel = support.check_ref(target, "children", 1)
  local dir = self.dir
  return read_step(self, function(resp)
      local out = {}
      for name, id in pairs(resp.Children or {}) do out[name] = object.handle(dir, id) end
      return out
    end, { ListObjectChildren = { ObjectReference = { Selector = sel }, MaxResults = self.page_size } })
end

--- r:read(item) -> step number; any BatchReadOperation as the API writes it; its result is
--- the API's response member (e.g. { SchemaFacets = ..., ObjectIdentifier = ... }).
function Reader:read(item)
  open_reader(self, "read")
  support.check(type(item) == "table", "read", 1, "a BatchReadOperation table expected")
  return read_step(self, false, item)
end

-- The body of a BatchRead response item, or false and the item's error value.
local function body_of(item)
  local ok = item.SuccessfulResponse
  if ok then
    local _, body = next(ok)
    return body
  end
  local e = item.ExceptionResponse
  return false, require("clouddir").error(e.Type, e.Message)
end

--- dir:read_batch(fn [, { page_size = n }]) -> results: fn(r) records reads (r:get, r:object,
--- r:children, r:read); they run in ONE BatchRead (one read snapshot).  results[i] is step
--- i's value, or the error value of a step that failed on its own (clouddir.is_error).
--- page_size is r:children's page.
function Directory:read_batch(fn, opts)
  if getmetatable(self) ~= Directory then misuse("call it as dir:read_batch(function(r) ... end)") end
  support.check(type(fn) == "function", "read_batch", 1, "function expected")
  opts = support.options(opts, { page_size = true }, "read_batch", 2)
  local r = setmetatable({ dir = self, n = 0, ops = {}, first = {}, convert = {},
                           page_size = opts.page_size }, Reader)
  fn(r)
  r.done = true
  local resp = self.client:BatchRead{ DirectoryArn = self.arn, Operations = r.ops }.Responses
  local results = { n = r.n }      -- n: a result may be nil (r:get of a facet not carried)
  for i = 1, r.n do
    local first, convert = r.first[i], r.convert[i]
    local last = (r.first[i + 1] or #r.ops + 1) - 1
    local b1, e = body_of(resp[first])
    local b2
    if b1 and last > first then b2, e = body_of(resp[last]) end
    if e then
      results[i] = e
    elseif not convert then
      results[i] = b1
    else
      -- A later page that fails (the object deleted since the batch, say) fails its step only.
      local ok, v = pcall(convert, b1, b2)
      if not ok and not require("clouddir").is_error(v) then error(v, 0) end
      results[i] = v
    end
  end
  return results
end

-- }======================================================

return batch
