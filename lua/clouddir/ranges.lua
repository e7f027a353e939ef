--- clouddir.ranges — range expressions for index entries and typed-link filters.
--
-- Wherever a range is expected (idx:entries(range), a value of a typed-link filter
-- { attr = range }), any of these works:
--
--   value                         exactly that value (a string, number, boolean, os.date
--                                 table, clouddir.binary(s), ...)
--   clouddir.range(">=", v)       one comparison: "==", ">", ">=", "<", "<="
--   clouddir.range(">=", a, "<", b)   a lower and an upper bound together
--   { from = a, to = b }          a table of bounds: from / after (lower, inclusive /
--                                 exclusive), to / before (upper, inclusive / exclusive);
--                                 a side without a bound is open
--   clouddir.prefix("Jo")         strings (or bytes) that start with "Jo"
--   clouddir.MISSING              only entries without a value
--   { StartMode = ..., StartValue = ..., EndMode = ..., EndValue = ... }
--                                 the API's TypedAttributeValueRange, values as Lua values
--
-- Comparisons and bounds match present values only: entries without a value (an optional
-- indexed attribute that is not set) sort after every value, and are included only by
-- { missing = true } (with no upper bound: everything from the lower bound on, then the
-- missing ones) or by clouddir.MISSING.  Values are converted with the attribute's declared
-- type, as attribute values are (see clouddir.values).
local support = require "clouddir.support"
local values = require "clouddir.values"

local ranges = {}

-- A range as start and end modes with Lua values (converted when the type is known).
local Range = { __name = "clouddir.Range" }
Range.__index = Range
ranges.Range = Range

local function new(smode, svalue, emode, evalue)
  return setmetatable({ start_mode = smode, start_value = svalue,
                        end_mode = emode, end_value = evalue }, Range)
end

function Range.__tostring(r)
  local function side(mode, v)
    return v == nil and mode or ("%s %s"):format(mode, tostring(v))
  end
  return ("clouddir.range(%s .. %s)"):format(side(r.start_mode, r.start_value),
                                             side(r.end_mode, r.end_value))
end

function Range.__eq(a, b)
  return a.start_mode == b.start_mode and a.start_value == b.start_value
     and a.end_mode == b.end_mode and a.end_value == b.end_value
end

--- The range of entries without a value.
ranges.MISSING = new("LAST_BEFORE_MISSING_VALUES", nil, "LAST", nil)

-- Each comparison sets one side: lower (start) or upper (end) bound.
local comparisons = {
  [">"]  = { "start", "EXCLUSIVE" }, [">="] = { "start", "INCLUSIVE" },
  ["<"]  = { "end", "EXCLUSIVE" },   ["<="] = { "end", "INCLUSIVE" },
}

local bound_keys = { from = true, after = true, to = true, before = true, missing = true }

-- True for a plain table of bounds ({ from = ..., before = ..., missing = ... }).
local function is_bounds(x)
  if type(x) ~= "table" or getmetatable(x) ~= nil or next(x) == nil then return false end
  for k in pairs(x) do if not bound_keys[k] then return false end end
  return true
end

local function is_api_range(x)
  return type(x) == "table" and getmetatable(x) == nil and (x.StartMode ~= nil or x.EndMode ~= nil)
end

local function from_bounds(b, method, n)
  local function check(cond, msg) support.check(cond, method, n, msg) end
  check(b.from == nil or b.after == nil, "a range has one lower bound: 'from' or 'after'")
  check(b.to == nil or b.before == nil, "a range has one upper bound: 'to' or 'before'")
  local upper = b.to ~= nil or b.before ~= nil
  check(not (b.missing and upper),
        "missing values sort after every value: 'missing = true' needs a range without an upper bound")
  local smode = b.from ~= nil and "INCLUSIVE" or b.after ~= nil and "EXCLUSIVE" or "FIRST"
  local emode = b.to ~= nil and "INCLUSIVE" or b.before ~= nil and "EXCLUSIVE"
             or b.missing and "LAST" or "LAST_BEFORE_MISSING_VALUES"
  local svalue = b.from; if svalue == nil then svalue = b.after end
  local evalue = b.to; if evalue == nil then evalue = b.before end
  return new(smode, svalue, emode, evalue)
end

--- clouddir.range(op, value [, op2, value2]) or clouddir.range{ from =, after =, to =,
--- before =, missing = } -> a range value (see the module comment).
function ranges.range(op, v, op2, v2)
  if is_bounds(op) then return from_bounds(op, "range", 1) end
  support.check(type(op) == "string", "range", 1,
                "comparison (\"==\", \">\", \">=\", \"<\", \"<=\") or table of bounds expected")
  support.check(v ~= nil, "range", 2, "value expected")
  if op == "==" then
    support.check(op2 == nil, "range", 3, "\"==\" takes no second comparison")
    return new("INCLUSIVE", v, "INCLUSIVE", v)
  end
  local sides = { start = { "FIRST" }, ["end"] = { "LAST_BEFORE_MISSING_VALUES" } }
  local function set(o, value, n)
    local c = comparisons[o]
    support.check(c ~= nil, "range", n, ("unknown comparison %q (use \"==\", \">\", \">=\", \"<\" or \"<=\")")
                  :format(tostring(o)))
    support.check(sides[c[1]].set == nil, "range", n, "two bounds on the same side")
    sides[c[1]] = { c[2], value, set = true }
  end
  set(op, v, 1)
  if op2 ~= nil then
    support.check(v2 ~= nil, "range", 4, "value expected")
    set(op2, v2, 3)
  end
  local s, e = sides.start, sides["end"]
  return new(s[1], s[2], e[1], e[2])
end

-- The smallest string greater than every string with prefix p, or nil when there is none
-- (p is empty or all \255 bytes).
local function prefix_end(p)
  local stem = p:gsub("\255+$", "")
  if stem == "" then return nil end
  return stem:sub(1, -2) .. string.char(stem:byte(-1) + 1)
end

--- clouddir.prefix(s) -> the range of strings (or byte strings) that start with s.
function ranges.prefix(p)
  support.check(type(p) == "string", "prefix", 1, "string expected")
  if p == "" then return new("FIRST", nil, "LAST_BEFORE_MISSING_VALUES", nil) end
  local stop = prefix_end(p)
  if stop == nil then return new("INCLUSIVE", p, "LAST_BEFORE_MISSING_VALUES", nil) end
  return new("INCLUSIVE", p, "EXCLUSIVE", stop)
end

--- Any range expression -> a Range value (method and n name the argument in misuse errors).
-- A value that is no range expression is an exact match.
function ranges.of(x, method, n)
  if getmetatable(x) == Range then return x end
  if is_bounds(x) then return from_bounds(x, method, n) end
  if is_api_range(x) then return new(x.StartMode, x.StartValue, x.EndMode, x.EndValue) end
  support.check(x ~= nil and x ~= values.NULL, method, n, "range or value expected")
  return new("INCLUSIVE", x, "INCLUSIVE", x)
end

--- A range expression -> the API's TypedAttributeValueRange, values converted for an
-- attribute of type attr_type (nil when unknown: the Lua type decides).
function ranges.to_api(x, attr_type, method, n)
  local r = ranges.of(x, method, n)
  local function conv(v) if v ~= nil then return values.to_api(attr_type, v) end end
  return { StartMode = r.start_mode, StartValue = conv(r.start_value),
           EndMode = r.end_mode, EndValue = conv(r.end_value) }
end

return ranges
