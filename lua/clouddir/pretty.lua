--- clouddir.pretty — readable renderings of Lua values, for the REPL and for scripts.
--
--   local pretty = require "clouddir.pretty"
--   print(pretty.format({ b = "\0\1", a = { 1, 2 } }))
--   --> { a = { 1, 2 }, b = "\x00\x01" }
--
-- Tables print with their keys sorted (the array part first, in order), nested tables
-- indented, and short tables kept on one line.  Strings print as Lua literals: quotes,
-- backslashes and control bytes are escaped, and a string that is not valid UTF-8 (a
-- BinaryValue, say) has every byte outside printable ASCII written as \xHH, so binary data
-- reads unambiguously and the output can be pasted back into Lua.  A table met again while
-- it is still being printed is shown as <cycle: table: 0x...>.  A value whose metatable has
-- __tostring (error values, store handles) prints as tostring(value).
local pretty = {}

local WIDTH = 78        -- a table fits on one line if its rendering is at most this long
local INDENT = "  "

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\v"] = "\\v",
}

--- Returns s as a double-quoted Lua string literal.
function pretty.quote(s)
  -- Text keeps its UTF-8 characters; anything else is treated as bytes.
  local high = utf8.len(s) and "" or "\128-\255"
  return '"' .. s:gsub('[\0-\31"\\\127' .. high .. "]", function(c)
    return escapes[c] or string.format("\\x%02X", c:byte())
  end) .. '"'
end

local keywords = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do keywords[w] = true end

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and not keywords[k]
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__tostring ~= nil
end

-- Keys outside the array part 1..n, in a stable order: numbers (numerically), then strings,
-- then booleans, then everything else by its tostring.
local type_rank = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  local ra, rb = type_rank[ta] or 4, type_rank[tb] or 4
  if ra ~= rb then return ra < rb end
  if ta == "number" or ta == "string" then
    if ta == tb then return a < b end
  elseif ta == "boolean" then
    return (not a) and b
  end
  return tostring(a) < tostring(b)
end

local render

local function render_key(k, seen, depth)
  if is_identifier(k) then return k end
  return "[" .. render(k, seen, depth) .. "]"
end

local function render_table(t, seen, depth)
  if seen[t] then return "<cycle: " .. tostring(t) .. ">" end
  seen[t] = true
  local items = {}
  local n = 0
  while rawget(t, n + 1) ~= nil do
    n = n + 1
    items[n] = render(rawget(t, n), seen, depth + 1)
  end
  local keys = {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  for _, k in ipairs(keys) do
    items[#items + 1] = render_key(k, seen, depth + 1) .. " = " .. render(rawget(t, k), seen, depth + 1)
  end
  seen[t] = nil
  if #items == 0 then return "{}" end
  local one_line = "{ " .. table.concat(items, ", ") .. " }"
  if #one_line + #INDENT * depth <= WIDTH and not one_line:find("\n", 1, true) then
    return one_line
  end
  local pad = INDENT:rep(depth + 1)
  return "{\n" .. pad .. table.concat(items, ",\n" .. pad) .. "\n" .. INDENT:rep(depth) .. "}"
end

function render(v, seen, depth)
  local tv = type(v)
  if tv == "string" then
    return pretty.quote(v)
  elseif tv == "table" and not has_tostring(v) then
    return render_table(v, seen, depth)
  elseif math.type(v) == "float" and v ~= v then
    return "0/0"        -- NaN, written so it reads back
  elseif v == math.huge then
    return "math.huge"
  elseif v == -math.huge then
    return "-math.huge"
  end
  return tostring(v)
end

--- Returns a readable rendering of v (a string; may span several lines).
function pretty.format(v)
  return render(v, {}, 0)
end

--- Writes the rendering of each argument to io.stdout, separated by tabs, then a newline.
-- This is what the clouddir REPL prints for an expression's values.
function pretty.print(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = pretty.format((select(i, ...))) end
  io.stdout:write(table.concat(out, "\t"), "\n")
end

return pretty
