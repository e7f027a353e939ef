--- clouddir.cli — the commands of the clouddir binary (main.c hands them the open store):
--
--   clouddir [options] [store] schema list [development|published|applied|managed]
--   clouddir [options] [store] schema dump SCHEMA [--compact]
--   clouddir [options] [store] schema load NAME FILE.json|FILE.lua
--   clouddir [options] [store] schema show SCHEMA [FACET]
--   clouddir [options] [store] schema help
--
-- SCHEMA is an ARN, NAME (the development schema) or NAME@VERSION[/MINOR] (a published
-- one).  Errors are clouddir error values, which main.c prints as "clouddir: Code: message"
-- with exit status 1.  main.c calls cli.check first, before it opens the store, so help and
-- usage errors never create one.
local clouddir = require "clouddir"
local support = require "clouddir.support"
local schema_doc = require "clouddir.schema_doc"

local cli = {}

local SCHEMA_USAGE = [[
usage: clouddir [options] [store] schema COMMAND [args...]

  list [KIND]               the schemas, one ARN a line with its kind; KIND is development,
                            published (each major version and its minor revisions),
                            applied (per directory) or managed; all when omitted
  dump SCHEMA [--compact]   the schema as a JSON document (GetSchemaAsJson), indented
  load NAME FILE            creates the development schema NAME, or replaces its whole
                            content (PutSchemaFromJson): FILE is a JSON document, or a .lua
                            file returning a declaration table (or a JSON string)
  show SCHEMA [FACET]       a facet's (or typed-link facet's) attributes, rules and defaults
                            as a table; every facet when FACET is omitted
  help                      this text

SCHEMA is an ARN, NAME (the development schema NAME) or NAME@VERSION[/MINOR] (a published
schema).  A store folder or script file named "schema" is written ./schema.
]]

local function usage_error(fmt, ...)
  support.raise("ValidationException", fmt .. " (see `clouddir schema help`)", ...)
end

local function out(...)
  io.stdout:write(...)
end

local NEED_SCHEMA = "a schema is needed: an ARN, NAME or NAME@VERSION[/MINOR]"

-- SCHEMA -> a Schema handle, or a ResourceNotFoundException that says what to write.
local function resolve(store, spec)
  if spec == nil then usage_error(NEED_SCHEMA) end
  local s
  if spec:sub(1, 4) == "arn:" then
    s = store:schema(spec)
    if not s then support.raise("ResourceNotFoundException", "no schema has the ARN %s", spec) end
    return s
  end
  local name, version = spec:match("^([^@]*)@(.+)$")
  if name then
    local major, minor = version:match("^([^/]+)/(.+)$")
    s = store:schema(name, major or version, minor)
    if not s then
      support.raise("ResourceNotFoundException", "no published schema %s (`clouddir schema list published` lists them)", spec)
    end
    return s
  end
  s = store:schema(spec)
  if not s then
    support.raise("ResourceNotFoundException", "no development schema is named '%s' (for a "
      .. "published one write %s@VERSION, or its ARN; `clouddir schema list` lists them)", spec, spec)
  end
  return s
end

-- list ---------------------------------------------------------------------------------------

local function list_arns(client, op, req)
  return support.all_pages(function(token)
    req.NextToken = token
    local r = client:call(op, req)
    return r.SchemaArns or {}, r.NextToken
  end)
end

local listers = {
  development = function(client, emit)
    for _, arn in ipairs(list_arns(client, "ListDevelopmentSchemaArns", {})) do emit(arn) end
  end,
  published = function(client, emit)
    for _, major in ipairs(list_arns(client, "ListPublishedSchemaArns", {})) do
      emit(major)
      for _, rev in ipairs(list_arns(client, "ListPublishedSchemaArns", { SchemaArn = major })) do
        if rev ~= major then emit(rev) end
      end
    end
  end,
  applied = function(client, emit, store)
    for name, dir, info in store:directories() do
      if info.state ~= "DELETED" then
        for _, arn in ipairs(list_arns(client, "ListAppliedSchemaArns", { DirectoryArn = dir.arn })) do
          emit(arn, "directory " .. name)
        end
      end
    end
  end,
  managed = function(client, emit)
    for _, arn in ipairs(list_arns(client, "ListManagedSchemaArns", {})) do emit(arn) end
  end,
}
local KINDS = { "development", "published", "applied", "managed" }

local function check_list(kind, extra)
  if extra ~= nil then usage_error("schema list takes at most one argument") end
  if kind ~= nil and not listers[kind] then
    usage_error("unknown kind '%s': development, published, applied or managed", kind)
  end
end

local function cmd_list(store, kind)
  local client = store:client()
  for _, k in ipairs(KINDS) do
    if kind == nil or kind == k then
      listers[k](client, function(arn, note)
        out(("%-12s %s%s\n"):format(k, arn, note and "  (" .. note .. ")" or ""))
      end, store)
    end
  end
  return true
end

-- dump ---------------------------------------------------------------------------------------

local function check_dump(spec, ...)
  if spec == nil then usage_error(NEED_SCHEMA) end
  for _, a in ipairs{ ... } do
    if a ~= "--compact" then usage_error("schema dump: unexpected '%s'", a) end
  end
end

local function cmd_dump(store, spec, option)
  local s = resolve(store, spec)
  out(s:json{ pretty = option ~= "--compact" }, "\n")
  return true
end

-- load ---------------------------------------------------------------------------------------

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then support.raise("ResourceNotFoundException", "cannot read %s", err) end
  local text = f:read("a")
  f:close()
  return text
end

-- xpcall's message handler for a .lua schema file: the error as text, starting with the
-- file:line where it was raised (error("x") says it already; error({}) or error("x", 0) not).
local function located_in(path)
  return function(e)
    local text = type(e) == "string" and e
      or (type(e) == "table" and type(e.code) == "string" and e.code .. ": " .. tostring(e.message))
      or (getmetatable(e) and getmetatable(e).__tostring and tostring(e))
      or ("(error object is a %s value)"):format(type(e))
    if text:match("^[^\n]-:%d+: ") then return text end
    for level = 2, math.huge do
      local info = debug.getinfo(level, "Sl")
      if not info then break end
      if info.source == "@" .. path and info.currentline > 0 then
        return ("%s:%d: %s"):format(path, info.currentline, text)
      end
    end
    return text
  end
end

-- The document text FILE stands for.
local function document_of(path)
  if path:match("%.lua$") then
    local chunk, err = loadfile(path, "t")
    if not chunk then support.raise("InvalidSchemaDocException", "%s", err) end
    local ok, decl = xpcall(chunk, located_in(path))
    if not ok then support.raise("InvalidSchemaDocException", "%s", decl) end
    if type(decl) == "string" then return decl end
    if type(decl) ~= "table" then
      support.raise("InvalidSchemaDocException", "%s must return a schema declaration table "
                    .. "(or a JSON document string), not %s", path, type(decl))
    end
    return schema_doc.to_json(decl)
  end
  return read_file(path)
end

local function check_load(name, path, extra)
  if name == nil or path == nil or extra ~= nil then usage_error("usage: schema load NAME FILE") end
end

local function cmd_load(store, name, path)
  local text = document_of(path)
  local s, created = nil, false
  if name:sub(1, 4) == "arn:" then
    s = resolve(store, name)
  else
    s = store:schema(name)
    if not s then s, created = store:create_schema(name), true end
  end
  local ok, err = pcall(s.load_json, s, text)
  if not ok then
    if created then s:delete() end   -- a failed load leaves no empty schema behind
    error(err, 0)
  end
  local nf, nt = #s:facet_names(), #s:typed_link_names()
  out(("%s %s: %d facet%s, %d typed-link facet%s\n"):format(created and "created" or "replaced",
      s.arn, nf, nf == 1 and "" or "s", nt, nt == 1 and "" or "s"))
  return true
end

-- show ---------------------------------------------------------------------------------------

local function show_value(attr_type, v)
  if v == nil then return "" end
  if attr_type == "DATETIME" and type(v) == "number" then
    return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(v))
  elseif attr_type == "BINARY" then
    return ("<%d bytes>"):format(#v)
  elseif type(v) == "string" then
    return ("%q"):format(v)
  end
  return tostring(v)
end

local function show_rules(rules)
  if not rules then return "" end
  local parts = {}
  for _, name in ipairs(support.sorted_keys(rules)) do
    local r = rules[name]
    local keys, params = {}, {}
    for k in pairs(r) do if type(k) == "string" then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local v = r[k]
      if type(v) == "table" then v = table.concat(v, "|") end
      params[#params + 1] = k .. "=" .. tostring(v)
    end
    parts[#parts + 1] = ("%s: %s %s"):format(name, r[1], table.concat(params, " "))
  end
  return table.concat(parts, "; ")
end

-- Prints rows (lists of strings) as columns under the header row.
local function print_table(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do widths[i] = math.max(widths[i] or 0, utf8.len(cell) or #cell) end
  end
  for _, row in ipairs(rows) do
    local cells = {}
    for i, cell in ipairs(row) do
      cells[i] = i < #row and cell .. (" "):rep(widths[i] - (utf8.len(cell) or #cell)) or cell
    end
    out("  ", (table.concat(cells, "  "):gsub("%s+$", "")), "\n")
  end
end

local function attribute_rows(attrs, identity)
  local rows = { { "ATTRIBUTE", "TYPE", "REQUIRED", "IMMUTABLE", "DEFAULT", "RULES" } }
  local names = support.sorted_keys(attrs)
  if identity and #identity > 0 then   -- identity attributes first, in identity order
    local rank = {}
    for i, n in ipairs(identity) do rank[n] = i end
    table.sort(names, function(a, b)
      local ra, rb = rank[a] or math.huge, rank[b] or math.huge
      if ra ~= rb then return ra < rb end
      return a < b
    end)
  end
  for _, n in ipairs(names) do
    local a = attrs[n]
    if a.ref then
      rows[#rows + 1] = { n, "-> " .. a.ref.facet .. "." .. a.ref.attribute,
                          a.required and "yes" or "no", "", "", "" }
    else
      rows[#rows + 1] = { n, a.type, a.required and "yes" or "no", a.immutable and "yes" or "no",
                          show_value(a.type, a.default), show_rules(a.rules) }
    end
  end
  return rows
end

local function show_facet(name, f)
  out(("Facet %s (%s%s)\n"):format(name, f.type or "no object type", f.style and ", " .. f.style or ""))
  if next(f.attributes) == nil then
    out(f.style == "DYNAMIC" and "  (dynamic: any attribute, stored as VARIANT)\n" or "  (no attributes)\n")
  else
    print_table(attribute_rows(f.attributes))
  end
end

local function show_typed_link(name, t)
  out(("Typed-link facet %s (identity: %s)\n"):format(name, table.concat(t.identity, ", ")))
  print_table(attribute_rows(t.attributes, t.identity))
end

local function check_show(spec, _, extra)
  if spec == nil then usage_error(NEED_SCHEMA) end
  if extra ~= nil then usage_error("usage: schema show SCHEMA [FACET]") end
end

local function cmd_show(store, spec, facet)
  local s = resolve(store, spec)
  if facet then
    local f, t = s:facet(facet), nil
    if not f then t = s:typed_link(facet) end
    if not f and not t then
      support.raise("FacetNotFoundException", "%s has no facet or typed-link facet named '%s'", s.arn, facet)
    end
    out("Schema ", s.arn, "\n")
    if f then show_facet(facet, f) else show_typed_link(facet, t) end
    return true
  end
  out("Schema ", s.arn, "\n")
  local def = s:definition()
  local any = false
  for _, n in ipairs(support.sorted_keys(def.facets)) do out("\n"); show_facet(n, def.facets[n]); any = true end
  for _, n in ipairs(support.sorted_keys(def.typed_links)) do out("\n"); show_typed_link(n, def.typed_links[n]); any = true end
  if not any then out("  (no facets)\n") end
  return true
end

-- dispatch -----------------------------------------------------------------------------------

-- check(args...) raises the command's usage errors; run(store, args...) does the work, or
-- alone(args...) when it needs no store.
local schema_commands = {
  list = { check = check_list, run = cmd_list },
  dump = { check = check_dump, run = cmd_dump },
  load = { check = check_load, run = cmd_load },
  show = { check = check_show, run = cmd_show },
  help = { check = function() end, alone = function() out(SCHEMA_USAGE); return true end },
}

-- The schema command that command, sub, args... asks for, once its arguments are checked.
local function checked(command, sub, ...)
  if command ~= "schema" then support.raise("ValidationException", "unknown command '%s'", tostring(command)) end
  if sub == nil then usage_error("a schema command is needed: list, dump, load, show or help") end
  local c = schema_commands[sub]
  if not c then usage_error("unknown schema command '%s' (list, dump, load, show, help)", sub) end
  c.check(...)
  return c
end

--- cli.check(command, args...) -> true when the command is done (help needs no store), false
--- when it needs the store; raises its usage errors.  Opens nothing.
function cli.check(command, sub, ...)
  local c = checked(command, sub, ...)
  if c.alone then return c.alone(...) end
  return false
end

--- cli.main(store, command, args...) -> true on success (errors are raised).
function cli.main(store, command, sub, ...)
  local c = checked(command, sub, ...)
  if c.alone then return c.alone(...) end
  assert(clouddir.is_store(store), "cli.main: the store is needed")
  return c.run(store, ...)
end

cli.SCHEMA_USAGE = SCHEMA_USAGE

return cli
