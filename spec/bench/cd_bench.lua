-- cd_bench.lua — clouddir measured from Lua through the AWS-shaped client (store:client()).
--
-- Reuses the store the C bench built (cd_bench.c): the same directory, the same /items
-- folder and /l1/l2/l3/l4/l5 chain, a sample of the leaf ids.  Prints the same figures
-- as the C bench with the prefix lua_:
--   result <name> <ns per op>   (median of REPS repetitions; durable: median latency)
--   info lua_peak_rss_kib <KiB>
--
-- usage: lua5.4 cd_bench.lua STORE_DIR N REPS FIXTURE_FILE IDS_FILE
-- (LUA_PATH must reach lua/, LUA_CPATH clouddir.core and bench_clock.)

local clouddir = require "clouddir"
local clock = require "bench_clock"

local store_dir, n, reps, fixture_file, ids_file = arg[1], tonumber(arg[2]), tonumber(arg[3]),
    arg[4], arg[5]
assert(store_dir and n and reps and fixture_file and ids_file,
       "usage: cd_bench.lua STORE_DIR N REPS FIXTURE_FILE IDS_FILE")

local DURABLE_CREATES = 200

local function lines_of(path)
    local t = {}
    for line in io.lines(path) do t[#t + 1] = line end
    return t
end

local fixture = lines_of(fixture_file)
local dir_arn, schema_arn, items_ref = fixture[1], fixture[2], fixture[3]
local ids = lines_of(ids_file)

local function clamp(x, lo, hi) return math.max(lo, math.min(hi, x)) end
local reads = clamp(n // 10, 10000, 100000)

local function median(v)
    table.sort(v)
    local k = #v
    return k % 2 == 1 and v[(k + 1) // 2] or (v[k // 2] + v[k // 2 + 1]) / 2
end

-- The figures, each a loop of ops calls timed as a whole; the loop after them repeats them.
local figures = {}
local function figure(name, ops, fn)
    figures[#figures + 1] = { name = name, ops = ops, fn = fn, runs = {} }
end

local fast_store <close> = clouddir.open(store_dir, { sync = false, limits = "none" })
local durable_store <close> = clouddir.open(store_dir)
local fast, durable = fast_store:client(), durable_store:client()

-- The ids file is a random sample in random order: walk it.
local next_id = 0
figure("lua_get_object_information_id", reads, function(ops)
    for _ = 1, ops do
        next_id = next_id % #ids + 1
        local id = ids[next_id]
        local r = fast:GetObjectInformation{ DirectoryArn = dir_arn,
                                             ObjectReference = { Selector = "$" .. id } }
        if r.ObjectIdentifier ~= id then error("GetObjectInformation returned another object") end
    end
end)

local item_facet = { SchemaArn = schema_arn, FacetName = "Item" }
local attribute_names = { "name", "size", "created", "active" }
figure("lua_get_object_attributes_path5", reads, function(ops)
    for _ = 1, ops do
        local r = fast:GetObjectAttributes{ DirectoryArn = dir_arn,
                                            ObjectReference = { Selector = "/l1/l2/l3/l4/l5" },
                                            SchemaFacet = item_facet,
                                            AttributeNames = attribute_names }
        if #r.Attributes ~= 4 then error("GetObjectAttributes returned " .. #r.Attributes) end
    end
end)

local token -- the walk over /items goes on across repetitions
figure("lua_list_object_children_30", reads // 10, function(ops)
    for _ = 1, ops do
        local r = fast:ListObjectChildren{ DirectoryArn = dir_arn,
                                           ObjectReference = { Selector = items_ref },
                                           MaxResults = 30, NextToken = token }
        token = r.NextToken
    end
end)

local next_name = 0
local function create_request(prefix)
    next_name = next_name + 1
    local i = next_name
    local function attr(name, value)
        return { Key = { SchemaArn = schema_arn, FacetName = "Item", Name = name }, Value = value }
    end
    return {
        DirectoryArn = dir_arn,
        SchemaFacets = { item_facet },
        ObjectAttributeList = {
            attr("name", { StringValue = "Item-" .. i }),
            attr("size", { NumberValue = tostring(i * 37 % 100000) }),
            attr("created", { DatetimeValue = 1700000000 + i }),
            attr("active", { BooleanValue = i % 2 == 1 }),
        },
        ParentReference = { Selector = items_ref },
        LinkName = string.format("%s%08d", prefix, i),
    }
end

figure("lua_create_object_nosync", clamp(n // 50, 2000, 20000), function(ops)
    for _ = 1, ops do fast:CreateObject(create_request("lc")) end
end)

-- Repetitions go round the figures, so a burst of other work on the machine spoils one
-- repetition of several figures rather than every repetition of one.
for r = 1, reps do
    for _, f in ipairs(figures) do
        local t0 = clock.now()
        f.fn(f.ops)
        f.runs[r] = (clock.now() - t0) / f.ops
    end
end
for _, f in ipairs(figures) do
    print(string.format("result %s %.1f", f.name, median(f.runs)))
end

-- The first durable call also flushes what the sync = false calls left dirty: unmeasured.
-- After each durable call, unmeasured by it, one raw durable commit (an appended put into
-- an N-key store through kv.c, as cd_bench.c makes them): the floor, taken at the same
-- moments, since disk latency drifts over minutes.
local raw = clock.raw_store(store_dir .. "-raw", n)
local lat, raw_lat = {}, {}
for i = 0, DURABLE_CREATES do
    local t0 = clock.now()
    durable:CreateObject(create_request("ld"))
    if i > 0 then
        lat[i] = clock.now() - t0
        raw_lat[i] = raw:commit()
    end
end
raw:close()
print(string.format("result lua_raw_commit_durable %.1f", median(raw_lat)))
print(string.format("result lua_create_object_durable %.1f", median(lat)))
print(string.format("info lua_peak_rss_kib %d", clock.peak_rss_kib()))
print(string.format("info lua_heap_kib %d", math.floor(collectgarbage("count"))))
