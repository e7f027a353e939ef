--- clouddir.kinds — object handles of a special kind (Index, Policy).
--
-- A kind's handle is an Object handle (same identity, same methods, facet values by key,
-- accepted wherever a reference is, == with plain handles of the same object) whose own
-- methods come first: an Index handle's attach(obj) attaches obj to the index, where an
-- Object's attach("link", child) would link a child (index and policy objects have none).
local object = require "clouddir.object"

local kinds = {}
local Object = object.Object

--- A handle metatable for a kind: name ("clouddir.Index"), own methods table.
function kinds.define(name, own)
  local mt = { __name = name, __eq = Object.__eq, __newindex = Object.__newindex,
               __selector = Object.__selector }
  mt.__index = function(h, k)
    local m = own[k]
    if m ~= nil then return m end
    return Object.__index(h, k)
  end
  mt.__tostring = function(h) return name .. " $" .. object.methods.id(h) end
  return mt
end

--- The `me` of a kind's methods: me(h, method) -> h's directory and reference, after
-- checking that h is a handle of kind mt (otherwise an error at the method's caller).
function kinds.self_check(mt)
  return function(h, method)
    if getmetatable(h) ~= mt then
      error(("calling '%s' on bad self (%s expected)"):format(method, mt.__name), 3)
    end
    return h:directory(), h:ref()
  end
end

--- The handle of object id in dir, of the kind mt.
function kinds.handle(mt, dir, id)
  return setmetatable(object.handle(dir, id), mt)
end

return kinds
