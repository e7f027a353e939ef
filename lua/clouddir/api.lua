--- clouddir.api — the idiomatic Lua API: snake_case methods on store, schema, directory and
-- object handles, plain Lua values, iterators.  Thin sugar over the AWS-shaped client:
-- every call goes through client:call(...), so every rule and every error comes from the
-- engine, and errors are the client's own error values.
--
--   local store = clouddir.open("./acme.cdir")
--   local org = store:schema("org", { facets = { ... } })    -- create or update (development)
--   local dir = store:create_directory("acme", org:publish("1"))
--   local eng = dir:create("/engineering", { Department = { name = "Engineering" } })
--   for name, child in dir:children("/") do print(name, child:id()) end
--
-- clouddir.lua loads this module and merges it: api.store holds the new store methods,
-- api.install adds module-level values (clouddir.NULL, clouddir.binary, ...).
-- The handles live in clouddir/schema.lua, clouddir/directory.lua, clouddir/object.lua;
-- value conversions in clouddir/values.lua; facet lookups in clouddir/facets.lua; typed
-- links, indexes and policies in clouddir/links.lua, indexes.lua, policies.lua (with range
-- expressions in clouddir/ranges.lua and Index/Policy handles built by clouddir/kinds.lua).
local support = require "clouddir.support"
local values = require "clouddir.values"
local schema = require "clouddir.schema"
local directory = require "clouddir.directory"
local object = require "clouddir.object"
local batch = require "clouddir.batch"        -- adds dir:batch, dir:begin_batch, dir:read_batch
local loader = require "clouddir.loader"      -- adds dir:loader (bulk loading, store:loader)
-- The graph side adds its methods to Object and Directory handles as they load:
local links = require "clouddir.links"        -- typed links: obj:link_to, obj:links_out, ...
local indexes = require "clouddir.indexes"    -- dir:create_index, Index handles, obj:indexes
local policies = require "clouddir.policies"  -- dir:create_policy, Policy handles, lookup_policy
local ranges = require "clouddir.ranges"      -- clouddir.range, clouddir.prefix, clouddir.MISSING
local schema_doc = require "clouddir.schema_doc"  -- declarations <-> JSON schema documents

local api = { store = {} }
local S = api.store

-- Schemas -----------------------------------------------------------------------------------

local function list_arns(client, op, req)
  return support.all_pages(function(token)
    req.NextToken = token
    local r = client:call(op, req)
    return r.SchemaArns or {}, r.NextToken
  end)
end

local function find_development(store, client, name)
  for _, arn in ipairs(list_arns(client, "ListDevelopmentSchemaArns", {})) do
    local _, n = support.parse_schema_arn(arn)
    if n == name then return schema.handle(store, client, arn) end
  end
  return nil
end

-- The published schema name/version (as ListPublishedSchemaArns lists it), or with a minor
-- version that revision of it.
local function find_published(store, client, name, version, minor)
  for _, arn in ipairs(list_arns(client, "ListPublishedSchemaArns", {})) do
    local _, n, v = support.parse_schema_arn(arn)
    if n == name and v == version then
      if minor == nil then return schema.handle(store, client, arn) end
      for _, rev in ipairs(list_arns(client, "ListPublishedSchemaArns", { SchemaArn = arn })) do
        local _, _, _, m = support.parse_schema_arn(rev)
        if m == minor then return schema.handle(store, client, rev) end
      end
      return nil
    end
  end
  return nil
end

--- store:create_schema(name [, declaration]) -> a new development schema.
-- Raises SchemaAlreadyExistsException when one of that name exists.
function S.create_schema(store, name, decl)
  support.check(type(name) == "string", "create_schema", 1, "schema name expected")
  support.check(decl == nil or type(decl) == "table", "create_schema", 2, "declaration table expected")
  local client = store:client()
  local s = schema.handle(store, client, client:CreateSchema{ Name = name }.SchemaArn)
  if decl then s:define(decl) end
  return s
end

--- store:schema(name, declaration) -> the development schema `name`, created if missing,
--   with every declared facet made to match the declaration (see Schema:define).
--- store:schema(name) -> the development schema `name`, or nil.
--- store:schema(name, version [, minor]) -> that published schema, or nil.
--- store:schema(arn) -> a handle on that schema (any state), or nil when it does not exist.
function S.schema(store, name, x, minor)
  support.check(type(name) == "string", "schema", 1, "schema name or ARN expected")
  local client = store:client()
  if name:sub(1, 4) == "arn:" then
    local found = support.absent_as_nil("ResourceNotFoundException", client.ListFacetNames, client,
                                        { SchemaArn = name, MaxResults = 1 })
    return found and schema.handle(store, client, name) or nil
  elseif type(x) == "table" then
    local ok, r = pcall(client.CreateSchema, client, { Name = name })
    local s
    if ok then
      -- A new schema takes the whole declaration in one PutSchemaFromJson: all or nothing
      -- (a failed declaration leaves no empty schema behind), references in any order.
      s = schema.handle(store, client, r.SchemaArn)
      local text
      ok, text = pcall(schema_doc.to_json, x)
      if not ok then s:delete(); support.argerror("schema", 2, text.message or tostring(text)) end
      ok, r = pcall(s.load_json, s, text)
      if not ok then s:delete(); error(r, 0) end
      return s
    elseif support.is_error(r, "SchemaAlreadyExistsException") then
      s = find_development(store, client, name) or error(r, 0)
    else
      error(r, 0)
    end
    return s:define(x)
  elseif type(x) == "string" then
    return find_published(store, client, name, x, minor)
  end
  support.check(x == nil, "schema", 2, "declaration table or version string expected")
  return find_development(store, client, name)
end

local schema_kinds = {
  development = "ListDevelopmentSchemaArns",
  published = "ListPublishedSchemaArns",
  managed = "ListManagedSchemaArns",
}

--- for arn, schema in store:schemas([kind]): kind "development" (default), "published"
-- (one ARN per major version) or "managed".
function S.schemas(store, kind)
  local op = schema_kinds[kind or "development"]
  support.check(op ~= nil, "schemas", 1, "\"development\", \"published\" or \"managed\" expected")
  local client = store:client()
  return support.iterate(function(token)
    local r = client:call(op, { NextToken = token })
    local items = {}
    for i, arn in ipairs(r.SchemaArns or {}) do items[i] = table.pack(arn, schema.handle(store, client, arn)) end
    return items, r.NextToken
  end)
end

-- Directories -------------------------------------------------------------------------------

--- store:create_directory(name, published_schema) -> the new directory's handle.
-- The schema is a published (or managed) schema handle or ARN; apply more with dir:apply.
function S.create_directory(store, name, s)
  support.check(type(name) == "string", "create_directory", 1, "directory name expected")
  local arn = type(s) == "table" and s.arn or s
  support.check(type(arn) == "string", "create_directory", 2, "published schema (handle or ARN) expected")
  local client = store:client()
  local r = client:CreateDirectory{ Name = name, SchemaArn = arn }
  return directory.handle(store, client, r.DirectoryArn, r.Name)
end

local states = { ENABLED = true, DISABLED = true, DELETED = true }

--- for name, dir, info in store:directories([state]): every directory (deleted ones too,
-- as ListDirectories), or only those in state "ENABLED" | "DISABLED" | "DELETED".
-- info is { name, arn, state, created }.
function S.directories(store, state)
  if state ~= nil then
    support.check(type(state) == "string" and states[state:upper()], "directories", 1,
                  "\"ENABLED\", \"DISABLED\" or \"DELETED\" expected")
    state = state:upper()
  end
  local client = store:client()
  return support.iterate(function(token)
    local r = client:ListDirectories{ state = state, NextToken = token }
    local items = {}
    for i, d in ipairs(r.Directories or {}) do
      items[i] = table.pack(d.Name, directory.handle(store, client, d.DirectoryArn, d.Name),
                            directory.describe(d))
    end
    return items, r.NextToken
  end)
end

--- store:directory(name_or_arn) -> the handle of that enabled or disabled directory, or nil
-- (deleted directories are not found).
function S.directory(store, key)
  support.check(type(key) == "string", "directory", 1, "directory name or ARN expected")
  local by_arn = key:sub(1, 4) == "arn:"
  for name, dir, info in S.directories(store) do
    if info.state ~= "DELETED" and (by_arn and info.arn == key or not by_arn and name == key) then
      return dir
    end
  end
  return nil
end

-- Module level ------------------------------------------------------------------------------

api.NULL = values.NULL
api.binary, api.datetime, api.number = values.binary, values.datetime, values.number
api.normalize_schema = schema.normalize
api.schema_to_json, api.schema_from_json = schema_doc.to_json, schema_doc.from_json
api.Schema, api.Directory, api.Object = schema.Schema, directory.Directory, object.Object
api.Batch = batch.Batch
api.Link, api.Index, api.Policy, api.Range = links.Link, indexes.Index, policies.Policy, ranges.Range

--- Called by clouddir.lua: errors raised here share the client's metatable, and the module
-- gains clouddir.NULL, clouddir.binary(s), clouddir.datetime(t), clouddir.number(s),
-- clouddir.normalize_schema(decl), clouddir.schema_to_json(decl [, opts]),
-- clouddir.schema_from_json(text), clouddir.json_encode / json_decode / json_null (from
-- clouddir.core) and the range expressions clouddir.range(...),
-- clouddir.prefix(s), clouddir.MISSING (see clouddir/ranges.lua).
function api.install(clouddir)
  support.set_error_constructor(function(code, message) return clouddir.error(code, message) end)
  clouddir.NULL = values.NULL
  clouddir.binary = values.binary
  clouddir.datetime = values.datetime
  clouddir.number = values.number
  clouddir.normalize_schema = schema.normalize
  clouddir.schema_to_json, clouddir.schema_from_json = schema_doc.to_json, schema_doc.from_json
  clouddir.json_encode, clouddir.json_decode = clouddir.core.json_encode, clouddir.core.json_decode
  clouddir.json_null = clouddir.core.json_null
  clouddir.range, clouddir.prefix, clouddir.MISSING = ranges.range, ranges.prefix, ranges.MISSING
end

return api
