--- clouddir.values — attribute values as plain Lua values, and back.
--
-- Writing, the attribute's declared type decides the API member:
--   STRING   Lua string                       -> StringValue
--   BINARY   Lua string (raw bytes)           -> BinaryValue
--   BOOLEAN  boolean                          -> BooleanValue
--   NUMBER   Lua number or decimal string     -> NumberValue (strings verbatim)
--   DATETIME seconds since the epoch (number, fractions kept to the millisecond),
--            or an os.date("*t")-style table  -> DatetimeValue (the table through os.time)
--   VARIANT  (dynamic facets) the Lua type decides: string -> StringValue, boolean,
--            number -> NumberValue; clouddir.binary(s), clouddir.datetime(t) and
--            clouddir.number(s) say otherwise.
-- A value of the wrong Lua type is sent as it is, so the client raises its usual
-- ValidationException.  A table { StringValue = ... } (an API TypedAttributeValue) is always
-- accepted as it is.
--
-- Reading, the member decides the Lua value:
--   StringValue, BinaryValue -> string;  BooleanValue -> boolean;
--   DatetimeValue -> number of seconds (an integer when it has no fraction);
--   NumberValue   -> a Lua number when that number writes back as exactly the stored string
--                    (so any Lua number you write reads back equal to itself), otherwise the
--                    decimal string verbatim ("42.50", "1e3", 12345678901234567890 -> string).
local values = {}

-- clouddir.NULL: "no value".  In an update it deletes the attribute; elsewhere it is skipped.
values.NULL = setmetatable({}, {
  __name = "clouddir.NULL",
  __tostring = function() return "clouddir.NULL" end,
  __newindex = function() error("clouddir.NULL is read-only", 2) end,
})

-- Explicit kinds, for VARIANT attributes (and accepted for declared ones too).
local Typed = { __name = "clouddir.TypedValue" }
Typed.__index = Typed
-- Prints as the call that makes it, so the REPL shows it safely (no raw control bytes or
-- terminal escapes) and it pastes back: clouddir.binary("\x00\x1B[31m"), clouddir.number("1.50").
Typed.__tostring = function(t)
  local v = type(t.value) == "string" and require("clouddir.pretty").quote(t.value) or tostring(t.value)
  return ("clouddir.%s(%s)"):format(t.kind:lower(), v)
end

local function typed(kind, value) return setmetatable({ kind = kind, value = value }, Typed) end
function values.binary(s) return typed("BINARY", s) end
function values.datetime(t) return typed("DATETIME", t) end
function values.number(n) return typed("NUMBER", n) end

-- NUMBER ------------------------------------------------------------------------------------

-- Writes a float in plain decimal notation (no exponent), with the fewest significant digits
-- that read back as the same float.
local function float_to_decimal(x)
  local s
  for digits = 1, 17 do
    s = ("%." .. digits .. "g"):format(x)
    if tonumber(s) == x then break end
  end
  local sign, int, frac, exp = s:match("^(-?)(%d+)%.?(%d*)e([-+]%d+)$")
  if not sign then return s end
  local mantissa, point = int .. frac, #int + tonumber(exp)  -- digits, position of the point
  mantissa = mantissa:gsub("0+$", "")
  if mantissa == "" then return "0" end
  if point <= 0 then
    return sign .. "0." .. ("0"):rep(-point) .. mantissa
  elseif point >= #mantissa then
    return sign .. mantissa .. ("0"):rep(point - #mantissa)
  end
  return sign .. mantissa:sub(1, point) .. "." .. mantissa:sub(point + 1)
end

--- The decimal string clouddir stores for a Lua number (nil for NaN and infinities, which
-- the API cannot hold; the client then rejects the request).
function values.number_to_decimal(n)
  if math.type(n) == "integer" then return ("%d"):format(n) end
  if n ~= n or n == math.huge or n == -math.huge then return nil end
  if n == math.floor(n) and n >= -2^63 and n < 2^63 then
    return ("%d"):format(math.tointeger(n))   -- 3.0 is written "3"
  end
  return float_to_decimal(n)
end

--- A stored decimal string as a Lua number when that is exact (see the module comment),
-- else the string itself.
function values.decimal_to_lua(s)
  local n = tonumber(s)
  if n and values.number_to_decimal(n) == s then return n end
  return s
end

-- DATETIME ----------------------------------------------------------------------------------

local function datetime_in(v)
  if type(v) == "table" and getmetatable(v) == nil and v.year then return os.time(v) end
  return v
end

local function datetime_out(x)
  return math.tointeger(x) or x
end

-- Writing -----------------------------------------------------------------------------------

local member = {
  STRING = "StringValue", BINARY = "BinaryValue", BOOLEAN = "BooleanValue",
  NUMBER = "NumberValue", DATETIME = "DatetimeValue",
}

local function number_in(v)
  if type(v) == "number" then return values.number_to_decimal(v) or v end
  return v
end

local function is_api_value(v)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return false end
  local k = next(v)
  return k ~= nil and next(v, k) == nil and type(k) == "string" and k:match("^%u%l+Value$") ~= nil
end

-- The kind a VARIANT value takes from its Lua type.
local function infer_kind(v)
  local t = type(v)
  if t == "boolean" then return "BOOLEAN" end
  if t == "number" then return "NUMBER" end
  if t == "table" and getmetatable(v) == nil and v.year then return "DATETIME" end
  return "STRING"
end

--- Lua value -> TypedAttributeValue, for an attribute of the given type (nil or "VARIANT"
-- when unknown or dynamic).
function values.to_api(attr_type, v)
  if is_api_value(v) then return v end
  local kind = attr_type
  if getmetatable(v) == Typed then
    kind, v = v.kind, v.value
  elseif kind == nil or kind == "VARIANT" then
    kind = infer_kind(v)
  end
  if kind == "NUMBER" then v = number_in(v)
  elseif kind == "DATETIME" then v = datetime_in(v)
  end
  return { [member[kind] or "StringValue"] = v }
end

-- Reading -----------------------------------------------------------------------------------

--- TypedAttributeValue -> Lua value (nil when no member is set, as for a missing value).
function values.from_api(tv)
  if tv == nil then return nil end
  if tv.StringValue ~= nil then return tv.StringValue end
  if tv.BinaryValue ~= nil then return tv.BinaryValue end
  if tv.BooleanValue ~= nil then return tv.BooleanValue end
  if tv.NumberValue ~= nil then return values.decimal_to_lua(tv.NumberValue) end
  if tv.DatetimeValue ~= nil then return datetime_out(tv.DatetimeValue) end
  return nil
end

return values
