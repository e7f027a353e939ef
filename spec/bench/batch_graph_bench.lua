-- batch_graph_bench.lua — batches (issue 4) and the graph side (issue 3) measured from Lua,
-- on a store of its own (STORE_DIR, empty at the start):
--
--   lua_bulk_load_batch_write     N objects through BatchWrite, batches of 10,000 CreateObject,
--                                 limits = "none", sync = false; each object has two facets
--                                 (Item: name STRING, size NUMBER; Stamp: serial NUMBER,
--                                 zone STRING), four attributes, and a parent link (one folder
--                                 per batch).  ns per object; objects/s, peak memory beyond
--                                 the map and store bytes per object as info lines.
--   lua_bulk_load_loader          the same N objects loaded with dir:loader (rows built in C,
--                                 batches of 10,000 written on a worker thread) into a store
--                                 of their own: ns per object
--   lua_bulk_attach_to_index      the N objects attached to a non-unique index on Stamp.serial
--                                 (BatchWrite AttachToIndex, batches of 10,000): ns per entry
--   lua_list_index_range_1000     ListIndex, INCLUSIVE range of 1,000 consecutive serials of
--                                 the N-entry index, MaxResults 1,000: ns per call
--   lua_bulk_attach_typed_link    100,000 typed links out of one object (BatchWrite
--                                 AttachTypedLink, batches of 10,000): ns per link
--   lua_list_outgoing_typed_links_1000  ListOutgoingTypedLinks on that object: kind = "k1"
--                                 exactly, seq in a range holding 1,000 of them: ns per call
--   lua_lookup_policy_depth10     LookupPolicy on a leaf at depth 10 with 3 parents (3 paths of
--                                 11 objects, one policy attached to each: 33 entries)
--   lua_attach_to_index           AttachToIndex, one call per object, sync = false
--   lua_attach_typed_link         AttachTypedLink, one call per link, sync = false
--   lua_batch_read_100            BatchRead of 100 GetObjectAttributes (random objects)
--   lua_batch_write_20_durable    BatchWrite of 20 CreateObject, sync = true: median latency
--
-- usage: lua5.4 batch_graph_bench.lua STORE_DIR N REPS SCAN_PAGE POLICY_ENTRIES [FIXTURE_FILE]
-- (FIXTURE_FILE: where to write what `cd_bench --graph` needs to measure the three range
-- figures from C on this store)
-- prints: result <name> <ns>, info <name> <value>, and "skip <name> <reason>" for a figure
-- whose operation the engine does not have yet.
-- (LUA_PATH must reach lua/, LUA_CPATH clouddir.core and bench_clock.)
-- For profiling (perf record on lua5.4 running this script): BENCH_ONLY=loader stops after
-- the dir:loader load, BENCH_ONLY=load after the BatchWrite load (skipping the loader);
-- BENCH_ONLY=<figure name> runs only that figure, with ten times the calls.

local clouddir = require "clouddir"
local clock = require "bench_clock"

local store_dir, n, reps, scan_page, policy_entries, fixture_file =
  arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5]), arg[6]
assert(store_dir and n and reps and scan_page and policy_entries,
       "usage: batch_graph_bench.lua STORE_DIR N REPS SCAN_PAGE POLICY_ENTRIES")
assert(n >= scan_page, "N must be at least SCAN_PAGE")

local BATCH = 10000          -- operations per BatchWrite while loading
local LINKS = 100000         -- typed links out of the hub object
local KINDS = 4              -- identity values of "kind": the exact filter keeps one in four
local DURABLE_BATCHES = 100  -- durable 20-operation BatchWrites (median latency)
local POOL = 20000           -- sampled object ids: reads, targets, single attaches
local only = os.getenv("BENCH_ONLY")
if only == "" then only = nil end

local function clamp(x, lo, hi) return math.max(lo, math.min(hi, x)) end
local function median(v)
  table.sort(v)
  local k = #v
  return k % 2 == 1 and v[(k + 1) // 2] or (v[k // 2] + v[k // 2 + 1]) / 2
end
local function result(name, ns) print(string.format("result %s %.1f", name, ns)) end
local function info(name, v) print(string.format("info %s %s", name, v)) end
local function note(fmt, ...) io.stderr:write("batch_graph_bench: ", string.format(fmt, ...), "\n") end

local fast_store <close> = clouddir.open(store_dir, { sync = false, limits = "none" })
local durable_store <close> = clouddir.open(store_dir, { limits = "none" })
local cd, durable = fast_store:client(), durable_store:client()

-- Runs fn; an error whose code is NotImplementedException means the engine lacks the
-- operation (returns false), anything else is re-raised.
local function available(fn)
  local ok, e = pcall(fn)
  if ok then return true end
  if clouddir.is_error(e) and e.code == "NotImplementedException" then return false end
  error(e, 0)
end

-- {====================================================== schema and directory

local function fattr(name, type_)
  return { Name = name, AttributeDefinition = { Type = type_ }, RequiredBehavior = "NOT_REQUIRED" }
end
-- The "bulk" schema (Folder, Item, Stamp, Policy and the Edge typed link) and a directory
-- "bulk" of it, made through client c: directory ARN, applied schema ARN, links available,
-- the root's ObjectIdentifier.
local function setup(c)
  local dev = c:CreateSchema{ Name = "bulk" }.SchemaArn
  c:CreateFacet{ SchemaArn = dev, Name = "Folder", ObjectType = "NODE", Attributes = {} }
  c:CreateFacet{ SchemaArn = dev, Name = "Item", ObjectType = "LEAF_NODE",
                 Attributes = { fattr("name", "STRING"), fattr("size", "NUMBER") } }
  c:CreateFacet{ SchemaArn = dev, Name = "Stamp", ObjectType = "LEAF_NODE",
                 Attributes = { fattr("serial", "NUMBER"), fattr("zone", "STRING") } }
  c:CreateFacet{ SchemaArn = dev, Name = "Policy", ObjectType = "POLICY", Attributes = {} }
  local links = available(function()
    c:CreateTypedLinkFacet{ SchemaArn = dev, Facet = { Name = "Edge",
      Attributes = { { Name = "kind", Type = "STRING", RequiredBehavior = "REQUIRED_ALWAYS" },
                     { Name = "seq", Type = "NUMBER", RequiredBehavior = "REQUIRED_ALWAYS" } },
      IdentityAttributeOrder = { "kind", "seq" } } }
  end)
  local published = c:PublishSchema{ DevelopmentSchemaArn = dev, Version = "1" }.PublishedSchemaArn
  local made = c:CreateDirectory{ Name = "bulk", SchemaArn = published }
  return made.DirectoryArn, made.AppliedSchemaArn, links, made.ObjectIdentifier
end
local dir, schema, have_links, root_id = setup(cd)

local item_sf = { SchemaArn = schema, FacetName = "Item" }
local stamp_sf = { SchemaArn = schema, FacetName = "Stamp" }
local both_sf = { item_sf, stamp_sf }
local keys = {
  name = { SchemaArn = schema, FacetName = "Item", Name = "name" },
  size = { SchemaArn = schema, FacetName = "Item", Name = "size" },
  serial = { SchemaArn = schema, FacetName = "Stamp", Name = "serial" },
  zone = { SchemaArn = schema, FacetName = "Stamp", Name = "zone" },
}
local zones = { { StringValue = "north" }, { StringValue = "south" }, { StringValue = "east" },
                { StringValue = "west" } }

local function sel(s) return { Selector = s } end
local function id_sel(id) return { Selector = "$" .. id } end

-- The CreateObject item of object i (0-based): two facets, four attributes, parent and link.
local function create_item(i, parent)
  return { CreateObject = {
    SchemaFacet = both_sf,
    ObjectAttributeList = {
      { Key = keys.name, Value = { StringValue = "item-" .. i } },
      { Key = keys.size, Value = { NumberValue = tostring(i * 37 % 100000) } },
      { Key = keys.serial, Value = { NumberValue = tostring(i) } },
      { Key = keys.zone, Value = zones[i % 4 + 1] },
    },
    ParentReference = parent, LinkName = string.format("o%08d", i) } }
end

local function batch(client, ops)
  return client:BatchWrite{ DirectoryArn = dir, Operations = ops }.Responses
end

-- }======================================================

-- {====================================================== bulk load with dir:loader

-- The same N objects (same facets, values, link names, one folder per BATCH) loaded with
-- dir:loader into a store of their own: each row's CreateObject is built in C and every
-- BATCH operations go to the store as one BatchWrite, written on a worker thread while Lua
-- builds the next.  Measured first, in a fresh heap; the store is removed afterwards.
local nfolders = (n + BATCH - 1) // BATCH
if not only or only == "loader" then
  local path = store_dir .. "-loader"
  local st <close> = clouddir.open(path, { sync = false, limits = "none" })
  setup(st:client())
  local ldir = st:directory("bulk")
  local lfolders = {}
  do
    local bulk = ldir:create("/bulk", { Folder = {} })
    local fl <close> = ldir:loader{ on_commit = function(first, ids)
      for k, id in ipairs(ids) do lfolders[first + k - 1] = id end
    end }
    for f = 1, nfolders do fl:create(bulk, string.format("f%04d", f - 1), { Folder = {} }) end
    fl:finish()
  end
  local zone_names = { "north", "south", "east", "west" }
  collectgarbage()
  local used0 = st:stat()
  local sampler = clock.sampler(2)
  note("loading %d objects with dir:loader, %d per batch...", n, BATCH)
  local t0 = clock.now()
  local load <close> = ldir:loader{ batch = BATCH }
  for f = 1, nfolders do
    local parent, first = "$" .. lfolders[f], (f - 1) * BATCH
    for i = first, math.min(n, first + BATCH) - 1 do
      load:create(parent, string.format("o%08d", i), {
        Item = { name = "item-" .. i, size = i * 37 % 100000 },
        Stamp = { serial = i, zone = zone_names[i % 4 + 1] } })
    end
  end
  local written = load:finish()
  local ns = clock.now() - t0
  local peak_anon = sampler:stop()
  local mem = clock.memory()
  local map_rss = clock.mapped_rss_kib("/data.mdb")
  assert(written == n, "the loader wrote " .. written .. " operations, not " .. n)
  result("lua_bulk_load_loader", ns / n)
  info("loader_load_seconds", string.format("%.3f", ns / 1e9))
  info("loader_peak_beyond_map_kib", peak_anon + mem.file + math.max(mem.shmem, 0) - map_rss)
  info("loader_bytes_per_object", string.format("%.1f", (st:stat() - used0) / n))
end
os.remove(store_dir .. "-loader/data.mdb")
os.remove(store_dir .. "-loader/lock.mdb")
os.remove(store_dir .. "-loader")
collectgarbage()
if only == "loader" then return end

-- {====================================================== bulk load (issue 4 item 7)

-- One folder per batch, made up front (not timed): /bulk/f0000, /bulk/f0001, ...
local folders = {}
do
  local bulk = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = { { SchemaArn = schema,
    FacetName = "Folder" } }, ParentReference = sel("/"), LinkName = "bulk" }.ObjectIdentifier
  local ops = {}
  for f = 1, nfolders do
    ops[f] = { CreateObject = { SchemaFacet = { { SchemaArn = schema, FacetName = "Folder" } },
      ObjectAttributeList = {}, ParentReference = id_sel(bulk), LinkName = string.format("f%04d", f - 1) } }
  end
  for f, r in ipairs(batch(cd, ops)) do folders[f] = r.CreateObject.ObjectIdentifier end
end

collectgarbage()
local used0 = fast_store:stat()
local sampler = clock.sampler(2)
note("loading %d objects through BatchWrite, %d per batch...", n, BATCH)
local in_call = 0
local t0 = clock.now()
for f = 1, nfolders do
  local parent, first = id_sel(folders[f]), (f - 1) * BATCH
  local ops = {}
  for i = first, math.min(n, first + BATCH) - 1 do ops[#ops + 1] = create_item(i, parent) end
  local c0 = clock.now()
  local responses = batch(cd, ops)
  in_call = in_call + (clock.now() - c0)
  assert(#responses == #ops, "BatchWrite answered a different number of responses")
end
local load_ns = clock.now() - t0
local peak_anon = sampler:stop()
local mem = clock.memory()
local map_rss = clock.mapped_rss_kib("/data.mdb")
local used1 = fast_store:stat()
result("lua_bulk_load_batch_write", load_ns / n)
info("bulk_load_objects", n)
info("bulk_load_seconds", string.format("%.3f", load_ns / 1e9))
info("bulk_load_call_share", string.format("%.3f", in_call / load_ns))
-- Beyond the map: the peak of anonymous memory (heap: Lua, the engine's arenas, malloc)
-- plus the file-backed pages that are not the store (the program and its libraries).
local other_file = mem.file + math.max(mem.shmem, 0) - map_rss
info("bulk_peak_beyond_map_kib", peak_anon + other_file)
info("bulk_peak_anon_kib", peak_anon)
info("bulk_map_rss_kib", map_rss)
info("bulk_hwm_kib", mem.hwm)
info("bulk_bytes_per_object", string.format("%.1f", (used1 - used0) / n))
if only == "load" then return end

-- }======================================================

-- A sample of the objects spread over every folder (POOL ids in random order), and the
-- 1M-entry index: each folder's children listed in one page and attached in one batch.
local pool = {}
local per_folder = (POOL + nfolders - 1) // nfolders
local index = cd:CreateIndex{ DirectoryArn = dir, IsUnique = false,
  OrderedIndexedAttributeList = { keys.serial }, ParentReference = sel("/"),
  LinkName = "serials" }.ObjectIdentifier
note("attaching %d objects to an index...", n)
local attach_ns = 0
for f = 1, nfolders do
  local children = cd:ListObjectChildren{ DirectoryArn = dir, ObjectReference = id_sel(folders[f]),
                                          MaxResults = BATCH }.Children
  local ops, taken = {}, 0
  for _, id in pairs(children) do
    ops[#ops + 1] = { AttachToIndex = { IndexReference = id_sel(index), TargetReference = id_sel(id) } }
    if taken < per_folder and #pool < POOL then pool[#pool + 1] = id; taken = taken + 1 end
  end
  local c0 = clock.now()
  batch(cd, ops)
  attach_ns = attach_ns + (clock.now() - c0)
end
result("lua_bulk_attach_to_index", attach_ns / n)
do -- shuffle the sample (deterministically)
  local seed = 12345
  for i = #pool, 2, -1 do
    seed = (seed * 1103515245 + 12345) % 2147483648
    local j = seed % i + 1
    pool[i], pool[j] = pool[j], pool[i]
  end
end

-- {====================================================== the figures

local figures = {}
local function figure(name, ops, fn)
  if only and only ~= name then return end
  figures[#figures + 1] = { name = name, ops = only and ops * 10 or ops, fn = fn, runs = {} }
end
local function skip(name, why) print(string.format("skip %s %s", name, why)) end

local rng = 987654321
local function random(k) -- 0 .. k-1
  rng = (rng * 6364136223846793005 + 1442695040888963407)
  return ((rng >> 33) % k)
end
-- The start of range number i (1-based) of a listing figure: at random, or in order while
-- warming up (sweep).
local sweep = false
local function start(i, k) return sweep and (i - 1) * scan_page % k or random(k) end

-- ListIndex: serials s .. s + SCAN_PAGE - 1 (every serial is one object).
local serial_key = keys.serial
figure("lua_list_index_range_" .. scan_page, 20, function(ops)
  for k = 1, ops do
    local s = start(k, n - scan_page + 1)
    local r = cd:ListIndex{ DirectoryArn = dir, IndexReference = id_sel(index), MaxResults = scan_page,
      RangesOnIndexedValues = { { AttributeKey = serial_key, Range = {
        StartMode = "INCLUSIVE", StartValue = { NumberValue = tostring(s) },
        EndMode = "INCLUSIVE", EndValue = { NumberValue = tostring(s + scan_page - 1) } } } } }
    if k == 1 and (#r.IndexAttachments ~= scan_page or r.NextToken) then
      error(string.format("ListIndex returned %d entries (token %s), not %d",
                          #r.IndexAttachments, tostring(r.NextToken), scan_page))
    end
  end
end)

-- LookupPolicy: /c1/.../c8 (depth 8), q1, q2, q3 under c8, the leaf under all three;
-- one policy attached to every object on the paths, the root included.
local leaf
do
  local folder = { { SchemaArn = schema, FacetName = "Folder" } }
  local path, chain = "/", {}
  for k = 1, 8 do
    chain[k] = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = folder,
                                ParentReference = sel(path), LinkName = "c" .. k }.ObjectIdentifier
    path = (k == 1 and "/" or path .. "/") .. "c" .. k
  end
  local qs = {}
  for k = 1, 3 do
    qs[k] = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = folder, ParentReference = sel(path),
                             LinkName = "q" .. k }.ObjectIdentifier
  end
  leaf = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = both_sf, ObjectAttributeList = {},
                          ParentReference = id_sel(qs[1]), LinkName = "leaf" }.ObjectIdentifier
  for k = 2, 3 do
    cd:AttachObject{ DirectoryArn = dir, ParentReference = id_sel(qs[k]), ChildReference = id_sel(leaf),
                     LinkName = "leaf" }
  end
  local on_paths = { root_id, leaf }
  for _, x in ipairs(chain) do on_paths[#on_paths + 1] = x end
  for _, x in ipairs(qs) do on_paths[#on_paths + 1] = x end
  local pkey = { SchemaArn = schema, FacetName = "Policy", Name = "policy_type" }
  local dkey = { SchemaArn = schema, FacetName = "Policy", Name = "policy_document" }
  for k, x in ipairs(on_paths) do
    local p = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = { { SchemaArn = schema, FacetName = "Policy" } },
      ObjectAttributeList = { { Key = pkey, Value = { StringValue = "acl" } },
                              { Key = dkey, Value = { BinaryValue = "{\"rule\":" .. k .. "}" } } } }.ObjectIdentifier
    cd:AttachPolicy{ DirectoryArn = dir, PolicyReference = id_sel(p), ObjectReference = id_sel(x) }
  end
end
figure("lua_lookup_policy_depth10", 2000, function(ops)
  for k = 1, ops do
    local r = cd:LookupPolicy{ DirectoryArn = dir, ObjectReference = id_sel(leaf), MaxResults = 10 }
    if k == 1 then
      local entries = 0
      for _, p in ipairs(r.PolicyToPathList) do entries = entries + #p.Policies end
      if #r.PolicyToPathList ~= 3 or entries ~= policy_entries or r.NextToken then
        error(string.format("LookupPolicy returned %d paths and %d entries, not 3 and %d",
                            #r.PolicyToPathList, entries, policy_entries))
      end
    end
  end
end)

-- Typed links: LINKS links out of /hub to pool objects, identity (kind, seq), seq = j and
-- kind = "k" .. j % KINDS; the listing asks kind = "k1" and seq in [s, s + KINDS*SCAN_PAGE),
-- s a multiple of KINDS: exactly SCAN_PAGE links.
local edge = { SchemaArn = schema, TypedLinkName = "Edge" }
local kinds = {}
for k = 0, KINDS - 1 do kinds[k] = { StringValue = "k" .. k } end
local function link_attrs(j)
  return { { AttributeName = "kind", Value = kinds[j % KINDS] },
           { AttributeName = "seq", Value = { NumberValue = tostring(j) } } }
end
local hub, hub2
if have_links then
  local folder = { { SchemaArn = schema, FacetName = "Folder" } }
  hub = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = folder, ParentReference = sel("/"),
                         LinkName = "hub" }.ObjectIdentifier
  hub2 = cd:CreateObject{ DirectoryArn = dir, SchemaFacets = folder, ParentReference = sel("/"),
                          LinkName = "hub2" }.ObjectIdentifier
  note("attaching %d typed links...", LINKS)
  local link_ns, hub_sel = 0, id_sel(hub)
  for first = 0, LINKS - 1, BATCH do
    local ops = {}
    for j = first, math.min(LINKS, first + BATCH) - 1 do
      ops[#ops + 1] = { AttachTypedLink = { SourceObjectReference = hub_sel,
        TargetObjectReference = id_sel(pool[j % #pool + 1]), TypedLinkFacet = edge,
        Attributes = link_attrs(j) } }
    end
    local c0 = clock.now()
    batch(cd, ops)
    link_ns = link_ns + (clock.now() - c0)
  end
  result("lua_bulk_attach_typed_link", link_ns / LINKS)
  local exact = { StartMode = "INCLUSIVE", StartValue = kinds[1], EndMode = "INCLUSIVE", EndValue = kinds[1] }
  figure("lua_list_outgoing_typed_links_" .. scan_page, 20, function(ops)
    for k = 1, ops do
      local s = start(k, (LINKS - KINDS * scan_page) // KINDS + 1) * KINDS
      local r = cd:ListOutgoingTypedLinks{ DirectoryArn = dir, ObjectReference = hub_sel,
        MaxResults = scan_page, FilterTypedLink = edge, FilterAttributeRanges = {
          { AttributeName = "kind", Range = exact },
          { AttributeName = "seq", Range = { StartMode = "INCLUSIVE", StartValue = { NumberValue = tostring(s) },
            EndMode = "EXCLUSIVE", EndValue = { NumberValue = tostring(s + KINDS * scan_page) } } } } }
      if k == 1 and (#r.TypedLinkSpecifiers ~= scan_page or r.NextToken) then
        error(string.format("ListOutgoingTypedLinks returned %d links (token %s), not %d",
                            #r.TypedLinkSpecifiers, tostring(r.NextToken), scan_page))
      end
    end
  end)
else
  skip("lua_bulk_attach_typed_link", "(not available)")
  skip("lua_list_outgoing_typed_links_" .. scan_page, "(not available)")
  skip("lua_attach_typed_link", "(not available)")
end

-- Single calls from Lua: AttachToIndex of pool objects to a second index (each object once),
-- AttachTypedLink out of /hub2 (a new seq each time).
local single = clamp(#pool // reps, 1, 2000)
local small = cd:CreateIndex{ DirectoryArn = dir, IsUnique = false,
  OrderedIndexedAttributeList = { keys.serial } }.ObjectIdentifier
local next_attach = 0
figure("lua_attach_to_index", single, function(ops)
  local index_sel = id_sel(small)
  for _ = 1, ops do
    next_attach = next_attach + 1
    cd:AttachToIndex{ DirectoryArn = dir, IndexReference = index_sel,
                      TargetReference = id_sel(pool[next_attach]) }
  end
end)
if have_links then
  local next_seq, hub2_sel = 0, id_sel(hub2)
  figure("lua_attach_typed_link", single, function(ops)
    for _ = 1, ops do
      next_seq = next_seq + 1
      cd:AttachTypedLink{ DirectoryArn = dir, SourceObjectReference = hub2_sel,
        TargetObjectReference = id_sel(pool[next_seq % #pool + 1]), TypedLinkFacet = edge,
        Attributes = link_attrs(next_seq) }
    end
  end)
end

-- BatchRead of 100 GetObjectAttributes: the two Stamp attributes of 100 random objects.
local stamp_names = { "serial", "zone" }
local next_read = 0
figure("lua_batch_read_100", 500, function(ops)
  for k = 1, ops do
    local items = {}
    for m = 1, 100 do
      next_read = next_read % #pool + 1
      items[m] = { GetObjectAttributes = { ObjectReference = id_sel(pool[next_read]),
                                           SchemaFacet = stamp_sf, AttributeNames = stamp_names } }
    end
    local r = cd:BatchRead{ DirectoryArn = dir, Operations = items }.Responses
    if k == 1 then
      for m = 1, 100 do
        local ok = r[m].SuccessfulResponse
        if not ok or #ok.GetObjectAttributes.Attributes ~= 2 then
          error("BatchRead item " .. m .. " did not return 2 attributes")
        end
      end
    end
  end
end)

-- The hand-over to `cd_bench --graph` (the same range figures from C, on this store, after
-- this process ends): directory, applied schema, index, typed-link hub ("-": none), leaf.
if fixture_file then
  local f = assert(io.open(fixture_file, "w"))
  f:write(dir, "\n", schema, "\n", "$" .. index, "\n", hub and "$" .. hub or "-", "\n",
          "$" .. leaf, "\n")
  f:close()
end

-- Warm-up, unmeasured, as `cd_bench --graph` does: the raw floor's scans read its whole
-- store in every repetition, so it is measured with every page resident; one sweep over
-- the index and the typed links first compares like with like.
sweep = true
for _, f in ipairs(figures) do
  if f.name == "lua_list_index_range_" .. scan_page then f.fn(n // scan_page + 1)
  elseif f.name == "lua_list_outgoing_typed_links_" .. scan_page then f.fn(LINKS // (KINDS * scan_page) + 1)
  end
end
sweep = false

-- Repetitions go round the figures, so a burst of other work spoils one repetition of
-- several figures rather than every repetition of one.
for _ = 1, reps do
  for _, f in ipairs(figures) do
    local c0 = clock.now()
    f.fn(f.ops)
    f.runs[#f.runs + 1] = (clock.now() - c0) / f.ops
  end
end
for _, f in ipairs(figures) do result(f.name, median(f.runs)) end
for _, f in ipairs(figures) do
  if f.name == "lua_batch_read_100" then result("lua_batch_read_100_per_item", median(f.runs) / 100) end
end
if only then return end

-- Durable 20-operation BatchWrite: 20 objects like the bulk ones under /durable.  The first
-- call also flushes what the sync = false calls left dirty: unmeasured.
do
  local parent = id_sel(cd:CreateObject{ DirectoryArn = dir, SchemaFacets = { { SchemaArn = schema,
    FacetName = "Folder" } }, ParentReference = sel("/"), LinkName = "durable" }.ObjectIdentifier)
  -- After each batch, unmeasured by it, one raw durable commit: the floor at the same
  -- moments (bench_clock.raw_store; cd_bench.lua does the same for CreateObject).
  local raw = clock.raw_store(store_dir .. "-raw", n)
  local lat, raw_lat, i = {}, {}, n
  for k = 0, DURABLE_BATCHES do
    local ops = {}
    for m = 1, 20 do ops[m] = create_item(i, parent); i = i + 1 end
    local c0 = clock.now()
    batch(durable, ops)
    if k > 0 then
      lat[k] = clock.now() - c0
      raw_lat[k] = raw:commit()
    end
  end
  raw:close()
  result("lua_raw_commit_durable_batch", median(raw_lat))
  result("lua_batch_write_20_durable", median(lat))
end

info("batch_peak_rss_kib", clock.peak_rss_kib())
