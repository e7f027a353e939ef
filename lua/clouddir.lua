--- clouddir — an embeddable Amazon Cloud Directory (API 2017-01-11) on LMDB.
--
--   local clouddir = require "clouddir"
--   local store <close> = clouddir.open("./acme.cdir", { sync = true })
--   local cd = store:client()                       -- the AWS-shaped client
--   local r = cd:CreateSchema{ Name = "org" }       --> { SchemaArn = "arn:aws:..." }
--   local r2 = cd:call("CreateSchema", { Name = "hr" })
--
-- A store is the C handle itself (a "clouddir.store" userdata from clouddir.core): its
-- methods live in one table, clouddir.store_methods, shared by every handle.  The C side
-- provides close, call, sync, stat, options, path and is_open; this file adds client.
--
-- EXTENSION POINT (the idiomatic API, lua/clouddir/api.lua):
--   If the module "clouddir.api" exists it is required once, at the end of loading this
--   file, after package.loaded["clouddir"] is set (so api.lua may `require "clouddir"` and
--   gets this module, complete except for what api itself adds).  api.lua returns a table:
--     api.store    (optional) table of functions: each becomes a store method
--                  (store:name(...)); a name the core or this file already defines is an
--                  error, so nobody replaces close/call/client by accident;
--     api.install  (optional) function(clouddir): called last, for anything else (new
--                  module functions, classes, re-exports).
--   Everything api.lua needs is here: clouddir.store_methods, clouddir.core, clouddir.error,
--   clouddir.raise, clouddir.is_error, clouddir.is_store, clouddir.operations.
--   A missing clouddir.api is fine; an error inside it propagates.
--
-- Errors are tables {code=, message=[, index=, type=]} sharing one metatable (the C side's):
-- tostring(e) == e.code .. ": " .. e.message.  clouddir.is_error(e) recognises them.
local core = require "clouddir.core"

local clouddir = {
  VERSION = core.version,
  _VERSION = "clouddir " .. core.version,
  LMDB_VERSION = core.lmdb_version,
  core = core,
  operations = core.operations,         -- the 66 operation names, sorted
  store_methods = core.store_methods,   -- methods of every store handle
}

local store_mt, error_mt = core.store_mt, core.error_mt
local new_error = core.new_error
local getmetatable, setmetatable, type, error = getmetatable, setmetatable, type, error

-- {====================================================== errors

clouddir.error_mt = error_mt

--- Returns true when e is a clouddir error value.
function clouddir.is_error(e)
  return type(e) == "table" and getmetatable(e) == error_mt
end

--- Returns a new error value (not raised): clouddir.error("ValidationException", "...").
-- index and type only for BatchWriteException.
function clouddir.error(code, message, index, optype)
  return new_error(code, message, index, optype)
end

--- Raises a new error value; level as for error() (the value is a table, so no position
-- is added either way).
function clouddir.raise(code, message, index, optype)
  error(new_error(code, message, index, optype), 0)
end

-- }======================================================

-- {====================================================== stores

--- Opens (creating if missing) the store folder at path.
-- options: sync (boolean, default true), map_size (initial bytes), region (default
-- "us-east-1"), account (default "123456789012"), limits ("aws" default | "none").
-- A folder already open in this Lua state shares its environment with the open handle.
function clouddir.open(path, options)
  return core.open(path, options)
end

--- Returns true when v is a store handle (open or closed).
function clouddir.is_store(v)
  return getmetatable(v) == store_mt
end

-- }======================================================

-- {====================================================== the AWS-shaped client

local STORE = {}   -- private key: the client's store
local client_methods = {}
local client_mt = { __index = client_methods, __name = "clouddir.client" }

function client_mt.__tostring(c)
  return "clouddir.client (" .. tostring(c[STORE]) .. ")"
end

local function check_client(c, op)
  if getmetatable(c) ~= client_mt then
    clouddir.raise("ValidationException",
      "call the client with a colon: cd:" .. op .. "{ ... }")
  end
  return c[STORE]
end

--- cd:call(opname, request) -> response: any operation by name.
function client_methods.call(c, op, req)
  return check_client(c, "call"):call(op, req)
end

for _, op in ipairs(core.operations) do
  client_methods[op] = function(c, req)
    return check_client(c, op):call(op, req)
  end
end

--- store:client() -> the AWS-shaped client: one method per API operation, named as in the
-- API (cd:CreateSchema{ Name = "org" }), plus cd:call(opname, request).
function clouddir.store_methods.client(s)
  if getmetatable(s) ~= store_mt then
    clouddir.raise("ValidationException", "call client with a colon: store:client()")
  end
  if not s:is_open() then
    clouddir.raise("StoreError", "the store is closed")
  end
  return setmetatable({ [STORE] = s }, client_mt)
end

clouddir.client_methods = client_methods

-- }======================================================

-- {====================================================== the idiomatic API (extension)

package.loaded["clouddir"] = clouddir   -- so clouddir.api may require "clouddir"

local ok, api = pcall(require, "clouddir.api")
if not ok then
  -- Only a missing module is fine; anything else is a bug in it and must show.
  if not (type(api) == "string" and api:find("module 'clouddir.api' not found", 1, true)) then
    error(api, 0)
  end
  api = nil
end
if type(api) == "table" then
  if api.store then
    local reserved = { close = true, call = true, sync = true, stat = true, options = true,
                       path = true, is_open = true, client = true }
    for name, fn in pairs(api.store) do
      if reserved[name] then
        error("clouddir.api: store method '" .. tostring(name) .. "' is already defined", 0)
      end
      clouddir.store_methods[name] = fn
    end
  end
  if api.install then
    api.install(clouddir)
  end
  clouddir.api = api
end

-- }======================================================

return clouddir
