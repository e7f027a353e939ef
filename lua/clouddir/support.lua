--- clouddir.support — small pieces shared by the idiomatic API (clouddir.api).
--
-- Error values, object references, paging iterators and argument checks.  Nothing here
-- knows directory semantics: every call still goes through the AWS-shaped client.
local support = {}

-- Error values -----------------------------------------------------------------------------

-- The idiomatic API raises the same error values as the AWS-shaped client.  When it must
-- raise one itself (an unknown facet name, say), it builds it with the client's own
-- constructor, installed by clouddir.api through support.set_error_constructor.
local Error = {
  __name = "clouddir.Error",
  __tostring = function(e) return tostring(e.code) .. ": " .. tostring(e.message) end,
}
local make_error = function(code, message)
  return setmetatable({ code = code, message = message }, Error)
end

function support.set_error_constructor(f)
  make_error = f
end

--- Raises the error value `code: message` (message formatted with string.format).
function support.raise(code, fmt, ...)
  error(make_error(code, select("#", ...) > 0 and fmt:format(...) or fmt), 0)
end

--- True when e is an error value with the given code.
function support.is_error(e, code)
  return type(e) == "table" and e.code == code and type(e.message) == "string"
end

--- Calls f(...); returns nil when it raises the error `code`, re-raises anything else.
-- For lookups where absence is an ordinary answer.
function support.absent_as_nil(code, f, ...)
  local res = table.pack(pcall(f, ...))
  if res[1] then return table.unpack(res, 2, res.n) end
  if support.is_error(res[2], code) then return nil end
  error(res[2], 0)
end

-- Misuse (a wrong argument kind, an unknown option) is a programming error: a plain Lua
-- error that names the method, as luaL_argerror does, positioned at the caller's line (the
-- first stack level outside clouddir's own Lua files).
local function caller_level()
  local level = 3
  while true do
    local info = debug.getinfo(level, "S")
    if not info then return 0 end
    if not info.source:find("clouddir/", 1, true) then return level - 1 end
    level = level + 1
  end
end

function support.argerror(method, n, msg)
  error(("bad argument #%d to '%s' (%s)"):format(n, method, msg), caller_level())
end

function support.check(cond, method, n, msg)
  if not cond then support.argerror(method, n, msg) end
end

--- Checks an option table: nil, or a table whose keys are all in `allowed`.
function support.options(opts, allowed, method, n)
  if opts == nil then return {} end
  support.check(type(opts) == "table", method, n, "options table expected, got " .. type(opts))
  for k in pairs(opts) do
    if not allowed[k] then support.argerror(method, n, "unknown option '" .. tostring(k) .. "'") end
  end
  return opts
end

-- Object references ------------------------------------------------------------------------

-- Anything with a __selector method (object handles, later batch placeholders) can stand
-- where a reference is expected.
local function selector_of(x)
  local mt = getmetatable(x)
  return mt and type(mt) == "table" and mt.__selector and mt.__selector(x)
end

--- Turns a reference into an ObjectReference selector:
--   "/a/b" (path) and "$id", "#name" pass through; any other string is a bare object id;
--   an object handle gives "$<its id>".  Returns nil for anything else.
function support.selector(ref)
  if type(ref) == "string" then
    local c = ref:sub(1, 1)
    if c == "/" or c == "$" or c == "#" then return ref end
    return "$" .. ref
  elseif type(ref) == "table" then
    return selector_of(ref) or nil
  end
  return nil
end

--- Like selector, but raises a misuse error naming the method and argument.
function support.check_ref(ref, method, n)
  local s = support.selector(ref)
  if not s or s == "" or s == "$" then
    support.argerror(method, n, "object reference expected (path, id or object handle), got "
      .. (ref == nil and "nil" or type(ref) == "string" and ("%q"):format(ref) or type(ref)))
  end
  return s
end

--- Splits "/a/b/c" into "/a/b", "c" (and "/c" into "/", "c").  Nil for "/" or non-paths.
function support.split_path(path)
  local parent, name = path:match("^(.*)/([^/]+)/*$")
  if not parent or path:sub(1, 1) ~= "/" then return nil end
  return parent == "" and "/" or parent, name
end

-- Paging iterators -------------------------------------------------------------------------

-- Iterators read one page per call (MaxResults + NextToken).  Each page is its own read
-- snapshot, so an iterator holds nothing in C: its closing value only marks it finished, so
-- a step after `break` (or after an error) returns nil instead of reading on.
local Closer = { __name = "clouddir.Iterator" }
Closer.__close = function(c) c.closed = true; c.items = nil end
Closer.__index = Closer

--- Returns the four values of a generic `for` (step, nil, nil, closing value).
-- fetch(token) reads one page and returns a list of result tuples (each a table packed with
-- table.pack) and the next token (nil on the last page).  The first page is read here, so
-- an iterator that cannot start raises at the `for` line.
function support.iterate(fetch)
  local it = setmetatable({ pos = 0 }, Closer)
  it.items, it.token = fetch(nil)
  local function step()
    while not it.closed do
      local items = it.items
      if it.pos < #items then
        it.pos = it.pos + 1
        local t = items[it.pos]
        return table.unpack(t, 1, t.n)
      end
      if it.token == nil then break end
      it.items, it.token = fetch(it.token)
      it.pos = 0
    end
    Closer.__close(it)
    return nil
  end
  return step, nil, nil, it
end

--- Calls fetch(token) page after page (fetch returns a list and the next token) and
-- concatenates the lists.
function support.all_pages(fetch)
  local out, token = {}, nil
  repeat
    local items
    items, token = fetch(token)
    table.move(items, 1, #items, #out + 1, out)
  until token == nil
  return out
end

--- Every item of a paginated list operation: client:call(op, req) page after page, the
-- items under field.
function support.list_all(client, op, req, field)
  return support.all_pages(function(token)
    req.NextToken = token
    local r = client:call(op, req)
    return r[field] or {}, r.NextToken
  end)
end

--- The keys of t, sorted (maps from the API come back as Lua tables, which have no order).
function support.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- ARNs ---------------------------------------------------------------------------------------

--- The ARN of the service's own schema (CloudDirectory/1.0) as applied to directory dir.
function support.base_schema_arn(dir) return dir.arn .. "/schema/CloudDirectory/1.0" end

--- Parses a schema ARN: returns state ("development" | "published" | "applied" | "managed"),
-- name, version, minor (nil when absent), and for applied schemas the directory ARN.
function support.parse_schema_arn(arn)
  local name = arn:match(":schema/development/([^/]+)$")
  if name then return "development", name end
  local rest = arn:match(":schema/published/(.+)$")
  if rest then
    local n, v, m = rest:match("^([^/]+)/([^/]+)/?([^/]*)$")
    return "published", n, v, m ~= "" and m or nil
  end
  rest = arn:match(":schema/managed/(.+)$")
  if rest then
    local n, v, m = rest:match("^([^/]+)/([^/]+)/?([^/]*)$")
    return "managed", n, v, m ~= "" and m or nil
  end
  local dir, n, v, m = arn:match("^(.-:directory/[^/]+)/schema/([^/]+)/([^/]+)/?([^/]*)$")
  if dir then return "applied", n, v, m ~= "" and m or nil, dir end
  return nil
end

return support
