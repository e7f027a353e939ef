-- helper.lua — shared by the busted specs: temporary stores, error expectations, and a
-- fixture that builds schema -> facets -> publish -> directory.
--
--   local helper = require "spec.helper"
--   after_each(helper.cleanup)                    -- closes stores, removes their folders
--   local cd = helper.client()                    -- fresh store, AWS-shaped client
--   local e = helper.expect_error("FacetNotFoundException", cd.GetFacet, cd, { ... })
--   local fx = helper.fixture(cd)                 -- fx.directory_arn, fx.applied_arn, ...
--
-- Keep this file general and stable: other specs build on it.
local clouddir = require "clouddir"

local helper = { clouddir = clouddir }

-- {====================================================== folders and stores

local root = os.tmpname()
os.remove(root)
assert(os.execute("mkdir -p '" .. root .. "'"))
local serial = 0
local open_stores, made_dirs = {}, {}
-- The root goes when the Lua state closes (os.remove removes an empty folder).
helper._root_guard = setmetatable({}, { __gc = function()
  helper.cleanup()
  os.remove(root)
end })

--- The whole content of a file, or nil when it cannot be read.
function helper.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

--- Writes text to a file, replacing it.
function helper.write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- Starts `bin serve --listen 127.0.0.1:0 --workers 2 store` in the background: its output
--- goes to the files out and err, and a wrapper shell writes its exit status to rcfile once
--- it stops.  Waits up to 10 s for it to listen.  Returns its port and pid, or nothing when
--- it did not start (err then says why).
function helper.start_serve(bin, store, out, err, rcfile)
  os.execute(string.format("sh -c '%s serve --listen 127.0.0.1:0 --workers 2 %s >%s 2>%s;" ..
                           " echo $? >%s' </dev/null >/dev/null 2>&1 &",
                           bin, store, out, err, rcfile))
  for _ = 1, 200 do
    local port, pid = (helper.read_file(out) or ""):match("listening on http://127%.0%.0%.1:(%d+) .-pid (%d+)")
    if port then return port, pid end
    if helper.read_file(rcfile) then return end
    os.execute("sleep 0.05")
  end
end

--- A unique string: helper.unique("dir") -> "dir-7".
function helper.unique(prefix)
  serial = serial + 1
  return (prefix or "x") .. "-" .. serial
end

--- A fresh, not yet existing folder path under the helper's temporary root.
function helper.tmpdir()
  local path = root .. "/" .. helper.unique("store")
  made_dirs[#made_dirs + 1] = path
  return path
end

--- Removes a folder and everything in it.
function helper.rmdir(path)
  assert(path:sub(1, #root) == root, "helper.rmdir only removes its own folders")
  os.execute("rm -rf '" .. path .. "'")
end

--- Opens a store on a fresh folder; options as for clouddir.open.  Returns store, path.
function helper.store(options)
  local path = helper.tmpdir()
  local store = clouddir.open(path, options)
  open_stores[#open_stores + 1] = store
  return store, path
end

--- A fresh store's AWS-shaped client.  Returns cd, store, path.
function helper.client(options)
  local store, path = helper.store(options)
  return store:client(), store, path
end

--- Closes every store the helper opened and removes every folder it made.  Use it as
-- after_each(helper.cleanup).
function helper.cleanup()
  for i = #open_stores, 1, -1 do
    pcall(open_stores[i].close, open_stores[i])
    open_stores[i] = nil
  end
  for i = #made_dirs, 1, -1 do
    helper.rmdir(made_dirs[i])
    made_dirs[i] = nil
  end
end

-- }======================================================

-- {====================================================== errors

--- Calls fn(...) and asserts it raises a clouddir error value with the given code;
-- returns the error value (for checks on its message).
function helper.expect_error(code, fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected " .. code .. ", but the call succeeded")
  assert(clouddir.is_error(e), "expected " .. code .. ", got a non-error value: " .. tostring(e))
  assert(e.code == code, "expected " .. code .. ", got " .. tostring(e))
  assert(type(e.message) == "string" and #e.message > 0, code .. " without a message")
  return e
end

--- The error value fn(...) raises, or nil when it raises none.
function helper.error_of(fn, ...)
  local ok, e = pcall(fn, ...)
  if ok then return nil end
  return e
end

-- }======================================================

-- {====================================================== building blocks

--- A string attribute definition: helper.attr("email", "STRING", { required = true,
-- default = { StringValue = "x" }, immutable = true, rules = { ... } }).
function helper.attr(name, type_, opts)
  opts = opts or {}
  return {
    Name = name,
    AttributeDefinition = {
      Type = type_ or "STRING",
      DefaultValue = opts.default,
      IsImmutable = opts.immutable,
      Rules = opts.rules,
    },
    RequiredBehavior = opts.required and "REQUIRED_ALWAYS" or "NOT_REQUIRED",
  }
end

--- An attribute reference: helper.ref("alias", "Person", "email", { required = true }).
function helper.ref(name, facet, attribute, opts)
  return {
    Name = name,
    AttributeReference = { TargetFacetName = facet, TargetAttributeName = attribute },
    RequiredBehavior = (opts or {}).required and "REQUIRED_ALWAYS" or "NOT_REQUIRED",
  }
end

--- The facets the fixture creates unless told otherwise:
--   Group  (NODE)      name STRING
--   Person (LEAF_NODE) email STRING REQUIRED_ALWAYS, age NUMBER, active BOOLEAN,
--                      photo BINARY, born DATETIME, nick -> Person.email
--   Rule   (POLICY)    (no attributes of its own)
function helper.default_facets()
  return {
    { Name = "Group", ObjectType = "NODE", Attributes = { helper.attr("name") } },
    { Name = "Person", ObjectType = "LEAF_NODE", Attributes = {
        helper.attr("email", "STRING", { required = true }),
        helper.attr("age", "NUMBER"),
        helper.attr("active", "BOOLEAN"),
        helper.attr("photo", "BINARY"),
        helper.attr("born", "DATETIME"),
        helper.ref("nick", "Person", "email"),
    } },
    { Name = "Rule", ObjectType = "POLICY", Attributes = {} },
  }
end

--- The typed-link facets the fixture creates unless told otherwise:
--   Friend  since STRING REQUIRED_ALWAYS (identity), note STRING
function helper.default_link_facets()
  return {
    { Name = "Friend",
      Attributes = {
        { Name = "since", Type = "STRING", RequiredBehavior = "REQUIRED_ALWAYS" },
        { Name = "note", Type = "STRING", RequiredBehavior = "NOT_REQUIRED" },
      },
      IdentityAttributeOrder = { "since" } },
  }
end

--- Builds schema -> facets -> typed-link facets -> publish -> directory with client cd.
-- opts (all optional):
--   schema      development schema name (default: unique "org-N")
--   facets      list of CreateFacet requests without SchemaArn (default_facets())
--   link_facets list of TypedLinkFacet values (default_link_facets())
--   version, minor   published version (default "1", no minor)
--   publish     false: stop after the development schema
--   directory   directory name (default: unique "dir-N"); false: no directory
-- Returns { cd, schema_arn, published_arn, directory_arn, directory_name, applied_arn,
--           base_arn, root (the root's ObjectIdentifier) }.
function helper.fixture(cd, opts)
  opts = opts or {}
  local fx = { cd = cd }
  fx.schema_name = opts.schema or helper.unique("org")
  fx.schema_arn = cd:CreateSchema{ Name = fx.schema_name }.SchemaArn
  for _, f in ipairs(opts.facets or helper.default_facets()) do
    local req = {}
    for k, v in pairs(f) do req[k] = v end
    req.SchemaArn = fx.schema_arn
    cd:CreateFacet(req)
  end
  for _, f in ipairs(opts.link_facets or helper.default_link_facets()) do
    cd:CreateTypedLinkFacet{ SchemaArn = fx.schema_arn, Facet = f }
  end
  if opts.publish == false then return fx end
  fx.published_arn = cd:PublishSchema{
    DevelopmentSchemaArn = fx.schema_arn, Version = opts.version or "1",
    MinorVersion = opts.minor,
  }.PublishedSchemaArn
  if opts.directory == false then return fx end
  fx.directory_name = opts.directory or helper.unique("dir")
  local d = cd:CreateDirectory{ Name = fx.directory_name, SchemaArn = fx.published_arn }
  fx.directory_arn = d.DirectoryArn
  fx.applied_arn = d.AppliedSchemaArn
  fx.root = d.ObjectIdentifier
  fx.base_arn = d.DirectoryArn .. "/schema/CloudDirectory/1.0"
  return fx
end

--- Calls a paginated operation until NextToken is nil; returns the concatenation of
-- list member `member` and the number of pages: helper.all_pages(cd, "ListFacetNames",
-- { SchemaArn = arn, MaxResults = 2 }, "FacetNames").
function helper.all_pages(cd, op, req, member)
  local items, pages = {}, 0
  local r = {}
  for k, v in pairs(req) do r[k] = v end
  repeat
    local resp = cd:call(op, r)
    pages = pages + 1
    for _, item in ipairs(resp[member]) do items[#items + 1] = item end
    r.NextToken = resp.NextToken
  until r.NextToken == nil
  return items, pages
end

-- }======================================================

return helper
