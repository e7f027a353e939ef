-- error_lists.lua — a busted helper (.busted loads it before the specs): every error an
-- operation raises in any spec must be one the API model lists for that operation, so a
-- program written against the service meets the exceptions it knows.  It wraps
-- store:call, which the AWS-shaped client and the idiomatic API both go through; an error
-- outside the list is replaced by a plain Lua error naming the operation and the code, and
-- the spec expecting it fails.  BatchWrite's `type` and BatchRead's item Types are checked
-- against the model's two enums.
local core = require "clouddir.core"

local model_path = "../shared/reference/clouddirectory-2017-01-11.service.json"
local f = assert(io.open(model_path), "the API model is not at " .. model_path)
local model = core.json_decode(f:read("a"))
f:close()

local function set(list, field)
  local s = {}
  for _, v in ipairs(list or {}) do s[field and v[field] or v] = true end
  return s
end

local allowed = {}
for op, def in pairs(model.operations) do allowed[op] = set(def.errors, "shape") end
local write_types = set(model.shapes.BatchWriteExceptionType.enum)
local read_types = set(model.shapes.BatchReadExceptionType.enum)

-- Codes raised outside an operation's list on purpose (README, "Behaviour the service does
-- not document"): the specification's recommendations, and two choices explained there.
local extra = {
  ["*"] = { StoreError = true },                               -- the store itself
  BatchRead = { ResourceNotFoundException = true },            -- unknown directory (§13.2)
  BatchWrite = { ResourceNotFoundException = true },
  DeleteObject = { StillContainsLinksException = true },       -- §13.8
  AttachPolicy = { InvalidAttachmentException = true },        -- §13.11
  UpdateSchema = { SchemaAlreadyExistsException = true },      -- README, Schemas
  UpgradePublishedSchema = { SchemaAlreadyPublishedException = true },
}

local function check(op, e)
  local list = allowed[op]
  if not list or type(e) ~= "table" or e.code == nil then return end   -- not an API call
  local code = e.code
  if code == "BatchWriteException" and op == "BatchWrite" then
    if not write_types[e.type] then
      error(("BatchWrite raised type %s, which BatchWriteExceptionType does not list (%s)")
            :format(tostring(e.type), tostring(e.message)), 0)
    end
  elseif not (list[code] or extra["*"][code] or (extra[op] or {})[code]) then
    error(("%s raised %s, which its error list in the model does not have (%s)")
          :format(op, code, tostring(e.message)), 0)
  end
end

local methods = core.store_methods
local call = methods.call
methods.call = function(store, op, req)
  local r = table.pack(pcall(call, store, op, req))
  if not r[1] then
    check(op, r[2])
    error(r[2], 0)
  end
  if op == "BatchRead" and type(r[2]) == "table" then
    for i, item in ipairs(r[2].Responses or {}) do
      local t = item.ExceptionResponse and item.ExceptionResponse.Type
      if t and not read_types[t] then
        error(("BatchRead item %d has type %s, which BatchReadExceptionType does not list")
              :format(i, t), 0)
      end
    end
  end
  return table.unpack(r, 2, r.n)
end
