-- crash_child.lua — the writer that spec/crash_spec.lua kills with SIGKILL (not a spec:
-- busted only runs *_spec.lua).
--
--   lua5.4 spec/crash_child.lua STORE DIRECTORY_ARN SCHEMA_ARN K sync|nosync
--
-- Applies batches forever, each one BatchWrite of about 3K operations:
--   CreateIndex /indexes/x<n> (unique on Item.seq)      BatchReferenceName "ix"
--   CreateObject Batch {n, size = K} as /batches/b<n>   BatchReferenceName "b"
--   K times: CreateObject Item {batch = "b<n>", seq = i} as /batches/b<n>/i<i>,
--            AttachToIndex #ix <- the item,
--            AttachTypedLink Next{seq = i} from item i-1 to item i (i > 1)
--   UpdateObjectAttributes /ledger: count += K, last = n
-- Batch numbers continue from the ledger's `last`, so after a crash the next batch is the
-- one after the last committed one.  After each commit it prints "committed <n>" and
-- flushes: the parent checks that every batch reported committed survived the kill.
local clouddir = require "clouddir"

local path, dir, schema, K, mode = arg[1], arg[2], arg[3], tonumber(arg[4]), arg[5]
assert(path and dir and schema and K and (mode == "sync" or mode == "nosync"),
  "usage: crash_child.lua STORE DIRECTORY_ARN SCHEMA_ARN K sync|nosync")

local store = clouddir.open(path, { sync = mode == "sync", limits = "none" })
local cd = store:client()

local function key(facet, name) return { SchemaArn = schema, FacetName = facet, Name = name } end
local function sel(s) return { Selector = s } end
local function num(x) return { NumberValue = tostring(x) } end
local function str(x) return { StringValue = x } end

local ledger = cd:GetObjectAttributes{ DirectoryArn = dir, ObjectReference = sel("/ledger"),
  SchemaFacet = { SchemaArn = schema, FacetName = "Ledger" }, AttributeNames = { "count", "last" } }
local values = {}
for _, a in ipairs(ledger.Attributes) do values[a.Key.Name] = tonumber(a.Value.NumberValue) end
local count, last = values.count or 0, values.last or 0

local item_facet = { { SchemaArn = schema, FacetName = "Item" } }
local next_facet = { SchemaArn = schema, TypedLinkName = "Next" }

local function batch(n)
  local ops = {
    { CreateIndex = { OrderedIndexedAttributeList = { key("Item", "seq") }, IsUnique = true,
        ParentReference = sel("/indexes"), LinkName = "x" .. n, BatchReferenceName = "ix" } },
    { CreateObject = { SchemaFacet = { { SchemaArn = schema, FacetName = "Batch" } },
        ObjectAttributeList = { { Key = key("Batch", "n"), Value = num(n) },
                                { Key = key("Batch", "size"), Value = num(K) } },
        ParentReference = sel("/batches"), LinkName = "b" .. n, BatchReferenceName = "b" } },
  }
  for i = 1, K do
    ops[#ops + 1] = { CreateObject = { SchemaFacet = item_facet,
      ObjectAttributeList = { { Key = key("Item", "batch"), Value = str("b" .. n) },
                              { Key = key("Item", "seq"), Value = num(i) } },
      ParentReference = sel("#b"), LinkName = "i" .. i, BatchReferenceName = "i" .. i } }
    ops[#ops + 1] = { AttachToIndex = { IndexReference = sel("#ix"), TargetReference = sel("#i" .. i) } }
    if i > 1 then
      ops[#ops + 1] = { AttachTypedLink = { SourceObjectReference = sel("#i" .. (i - 1)),
        TargetObjectReference = sel("#i" .. i), TypedLinkFacet = next_facet,
        Attributes = { { AttributeName = "seq", Value = str(tostring(i)) } } } }
    end
  end
  ops[#ops + 1] = { UpdateObjectAttributes = { ObjectReference = sel("/ledger"), AttributeUpdates = {
    { ObjectAttributeKey = key("Ledger", "count"), ObjectAttributeAction = {
        ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = num(count + K) } },
    { ObjectAttributeKey = key("Ledger", "last"), ObjectAttributeAction = {
        ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = num(n) } },
  } } }
  return ops
end

io.stdout:write("started after ", last, "\n")
io.stdout:flush()
local limit = tonumber(arg[6])   -- optional: stop after this many batches (for timing runs)
local done = 0
while not limit or done < limit do
  local n = last + 1
  cd:BatchWrite{ DirectoryArn = dir, Operations = batch(n) }
  last, count, done = n, count + K, done + 1
  io.stdout:write("committed ", n, "\n")
  io.stdout:flush()
end
store:close()
