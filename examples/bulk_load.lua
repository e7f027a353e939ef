-- bulk_load.lua — loads a generated org chart from a CSV file in ONE atomic batch (or,
-- given `loader` after the count, with dir:loader: one atomic BatchWrite per 10,000).
--
-- It writes a CSV of `count` people (id, name, email, department, manager id; 100,000
-- unless told otherwise) to a temporary file, then loads it into a fresh directory with a
-- single dir:batch: the departments (NODE objects under /departments), every person (a
-- leaf under its department), a ReportsTo typed link from each person to their manager, and
-- a unique index on email with every person in it.  All of it is one BatchWrite, so the
-- directory holds the whole org chart or, if any row is bad, nothing at all.
--
--   build/bin/clouddir --no-sync --limits none ./big.cdir examples/bulk_load.lua [count]
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" lua5.4 examples/bulk_load.lua [count]
--
-- A batch of this size needs limits = "none" (the service caps a BatchWrite at 20 objects);
-- sync = false makes the one commit cheap.  Under plain lua5.4 the script opens a temporary
-- store that way itself.  Run again on the same store, it replaces the directory.
local clouddir = clouddir or require "clouddir"          -- luacheck: ignore (global in clouddir)
local store = store                                     -- luacheck: ignore (global in clouddir)
local count = math.tointeger(tonumber((...) or "")) or 100000
local mode = select(2, ...)                             -- "loader": use dir:loader
local own_store = store == nil
if own_store then
  local path = os.tmpname()
  os.remove(path)
  store = clouddir.open(path, { sync = false, limits = "none", map_size = 1 << 30 })
  print("(a new store in " .. path .. "; it is kept: explore it with "
        .. "`clouddir --limits none " .. path .. "`)")
elseif store:options().limits ~= "none" then
  error("a batch of this size needs the store opened with limits = \"none\": run "
        .. "`clouddir --no-sync --limits none STORE examples/bulk_load.lua`", 0)
end

local clock = os.clock                                  -- CPU seconds
local function elapsed(t0) return math.max(clock() - t0, 1e-6) end

-- 1. The CSV: managers come before their reports (person i reports to person (i-2)//8+1,
--    an eight-way tree), departments round-robin.
local DEPARTMENTS = { "engineering", "sales", "marketing", "finance", "legal", "support",
                      "research", "operations", "people", "design" }
local FIRST = { "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken",
                "Margaret", "Dennis", "Radia", "John", "Hedy", "Niklaus", "Sophie", "Tim" }
local LAST = { "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen",
               "Thompson", "Hamilton", "Ritchie", "Perlman", "McCarthy", "Lamarr", "Wirth" }

local csv_path = os.tmpname()
local t0 = clock()
do
  local f = assert(io.open(csv_path, "w"))
  f:write("id,name,email,department,manager_id\n")
  for i = 1, count do
    local first, last = FIRST[i % #FIRST + 1], LAST[(i * 7) % #LAST + 1]
    f:write(i, ",", first, " ", last, ",", first:lower(), ".", last:lower(), i, "@acme.example,",
            DEPARTMENTS[i % #DEPARTMENTS + 1], ",", i > 1 and (i - 2) // 8 + 1 or "", "\n")
  end
  f:close()
end
print(("wrote %d people to %s in %.2f s"):format(count, csv_path, elapsed(t0)))

-- 2. The schema and a fresh directory.
local schema = store:schema("bulk_orgchart", {
  facets = {
    Folder = { type = "NODE" },
    Department = { type = "NODE", attributes = { name = { type = "STRING", required = true } } },
    Person = { type = "LEAF_NODE", attributes = {
      employee_id = { type = "NUMBER", required = true },
      name = { type = "STRING", required = true },
      email = { type = "STRING", required = true },
    } },
    EmailIndex = { type = "INDEX" },
  },
  typed_links = { ReportsTo = { attributes = {}, identity = {} } },
})
local published = store:schema("bulk_orgchart", "1") or schema:publish("1")
local old = store:directory("bulk_orgchart")
if old then
  if old:state() == "ENABLED" then old:disable() end
  old:delete()
end
local dir = store:create_directory("bulk_orgchart", published)

-- 3. One batch: read the CSV row by row; every step may use the placeholders of earlier
--    steps (a department, a manager), and nothing is written until the batch commits.
-- The batch keeps every step until it commits: a large heap that only grows, which the
-- generational collector walks far less often than the incremental one.
collectgarbage("generational")
local t_build, t_commit
local objects = 0
local function one_batch()
dir:batch(function(b)
  local t = clock()
  local folder = b:create("/departments", { Folder = {} })
  local index = b:create_index{ path = "/by_email", facet = "Person", attribute = "email", unique = true }
  local depts, people = {}, {}
  for _, name in ipairs(DEPARTMENTS) do
    depts[name] = b:create(folder, name, { Department = { name = name:gsub("^%l", string.upper) } })
  end
  objects = 2 + #DEPARTMENTS
  local f = assert(io.open(csv_path))
  f:read("l")                                   -- the header
  for line in f:lines() do
    local id, name, email, dept, manager = line:match("^(%d+),([^,]*),([^,]*),([^,]*),(%d*)$")
    id = math.tointeger(id)
    local person = b:create(depts[dept], "p" .. id,
                            { Person = { employee_id = id, name = name, email = email } })
    people[id] = person
    b:attach_to_index(index, person)
    if manager ~= "" then b:link(person, people[math.tointeger(manager)], "ReportsTo") end
    objects = objects + 1
  end
  f:close()
  t_build = elapsed(t)
  print(("recorded %d steps (%d objects) in %.2f s"):format(#b, objects, t_build))
  t = clock()
  b:commit()
  t_commit = elapsed(t)
end)
end

-- 3b. With `loader` after the count: the same load through dir:loader, one BatchWrite per
--     10,000 operations written on a worker thread while Lua reads on.  Each batch is
--     atomic, the load as a whole is not.  Rows refer to their department and manager by
--     path, since a later batch cannot use an earlier batch's placeholders.
local function with_loader()
  local t = clock()
  dir:create("/departments", { Folder = {} })
  for _, name in ipairs(DEPARTMENTS) do
    dir:create("/departments/" .. name, { Department = { name = name:gsub("^%l", string.upper) } })
  end
  dir:create_index{ path = "/by_email", facet = "Person", attribute = "email", unique = true }
  objects = 2 + #DEPARTMENTS
  local applied = dir:schema("bulk_orgchart").arn
  local reports_to = { SchemaArn = applied, TypedLinkName = "ReportsTo" }
  local by_email, home = { Selector = "/by_email" }, {}
  local load <close> = dir:loader()
  local f = assert(io.open(csv_path))
  f:read("l")                                   -- the header
  for line in f:lines() do
    local id, name, email, dept, manager = line:match("^(%d+),([^,]*),([^,]*),([^,]*),(%d*)$")
    id = math.tointeger(id)
    local path = "/departments/" .. dept .. "/p" .. id
    home[id] = path
    load:create("/departments/" .. dept, "p" .. id,
                { Person = { employee_id = id, name = name, email = email } })
    load:add{ AttachToIndex = { IndexReference = by_email, TargetReference = { Selector = path } } }
    if manager ~= "" then
      load:add{ AttachTypedLink = { SourceObjectReference = { Selector = path },
        TargetObjectReference = { Selector = home[math.tointeger(manager)] },
        TypedLinkFacet = reports_to, Attributes = {} } }
    end
    objects = objects + 1
  end
  f:close()
  local steps = load:finish()
  t_build, t_commit = 0, elapsed(t)   -- reading and writing overlap: one figure
  print(("loaded %d operations (%d objects) with dir:loader"):format(steps, objects))
end

if mode == "loader" then with_loader() else one_batch() end
os.remove(csv_path)
if mode == "loader" then   -- os.clock counts the CPU time of both threads
  print(("loaded in %.2f CPU-seconds (both threads): %.0f objects per CPU-second")
        :format(t_commit, objects / t_commit))
else
  print(("committed in %.2f s: %.0f objects/s (recording and commit: %.0f objects/s)")
        :format(t_commit, objects / t_commit, objects / (t_build + t_commit)))
end

-- 4. A few lookups: by path, by email through the index, and the manager through the
--    ReportsTo typed link.
local cd = dir.client
local function check(cond, what) if not cond then error("lookup failed: " .. what, 0) end end
local applied = dir:schema("bulk_orgchart").arn
local picks = { 1, 2, count // 2 + 1, count }
for _, id in ipairs(picks) do
  if id >= 1 and id <= count then
    local dept = DEPARTMENTS[id % #DEPARTMENTS + 1]
    local person = dir:object("/departments/" .. dept .. "/p" .. id)
    local p = person.Person
    check(p.employee_id == id, "employee_id of p" .. id)
    local hit = cd:ListIndex{ DirectoryArn = dir.arn, IndexReference = { Selector = "/by_email" },
      RangesOnIndexedValues = { { AttributeKey = { SchemaArn = applied, FacetName = "Person",
                                                   Name = "email" },
        Range = { StartMode = "INCLUSIVE", StartValue = { StringValue = p.email },
                  EndMode = "INCLUSIVE", EndValue = { StringValue = p.email } } } } }.IndexAttachments
    check(#hit == 1 and hit[1].ObjectIdentifier == person:id(), "index entry of " .. p.email)
    local links = cd:ListOutgoingTypedLinks{ DirectoryArn = dir.arn,
      ObjectReference = { Selector = person:ref() } }.TypedLinkSpecifiers
    local boss = "-"
    if id > 1 then
      check(#links == 1, "manager link of p" .. id)
      boss = dir:object(links[1].TargetObjectReference.Selector).Person
      check(boss.employee_id == (id - 2) // 8 + 1, "manager of p" .. id)
      boss = boss.name .. " (" .. boss.employee_id .. ")"
    else
      check(#links == 0, "p1 has no manager")
    end
    print(("  p%-7d %-20s %-36s %-12s reports to %s"):format(id, p.name, p.email, dept, boss))
  end
end
print("lookups ok")

if own_store then store:close() end
