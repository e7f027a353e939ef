-- orgchart.lua — an org chart in clouddir's idiomatic Lua API.
--
-- Departments and projects are nodes; people are leaves with several parents (a person
-- sits in one department, works on projects, and is listed under /people).  Attributes of
-- every type; listings printed as a tree, by person and by path.
--
--   build/bin/clouddir ./acme.cdir examples/orgchart.lua      (globals clouddir, store, cd)
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" lua5.4 examples/orgchart.lua
--
-- Run again on the same store, it replaces the "orgchart" directory from the last run.
local clouddir = clouddir or require "clouddir"          -- luacheck: ignore (global in clouddir)
local store = store                                     -- luacheck: ignore (global in clouddir)
local own_store = store == nil
if own_store then                                       -- plain lua5.4: a temporary store
  local path = os.tmpname()
  os.remove(path)
  store = clouddir.open(path)
  print("(a new store in " .. path .. "; it is kept: explore it with `clouddir " .. path .. "`)")
end

-- 1. The schema, declared as a table.  store:schema creates the development schema, or
--    brings an existing one in line with the declaration.
local schema = store:schema("orgchart", {
  facets = {
    Department = { type = "NODE", attributes = {
      name = { type = "STRING", required = true,
               rules = { length = { "STRING_LENGTH", min = 1, max = 64 } } },
      budget = { type = "NUMBER", default = 0 },
      cost_center = { type = "STRING" },
    } },
    Project = { type = "NODE", attributes = {
      name = { type = "STRING", required = true },
      deadline = { type = "DATETIME" },
      open = { type = "BOOLEAN", default = true },
    } },
    Folder = { type = "NODE" },
    Person = { type = "LEAF_NODE", attributes = {
      email = { type = "STRING", required = true, immutable = true },
      name = { type = "STRING", required = true },
      title = { type = "STRING" },
      level = { type = "NUMBER",
                rules = { range = { "NUMBER_COMPARISON", min = 1, max = 10 } } },
      salary = { type = "NUMBER" },
      hired = { type = "DATETIME" },
      remote = { type = "BOOLEAN", default = false },
      photo = { type = "BINARY", rules = { size = { "BINARY_LENGTH", max = 1024 } } },
    } },
  },
})
local published = store:schema("orgchart", "1") or schema:publish("1")

-- 2. A fresh directory (the one from an earlier run is disabled and deleted first).
local old = store:directory("orgchart")
if old then
  if old:state() == "ENABLED" then old:disable() end
  old:delete()
end
local dir = store:create_directory("orgchart", published)
dir:tag{ owner = "people-ops", example = "orgchart" }

-- 3. The tree: folders, departments, projects.
local depts = dir:create("/departments", { Folder = {} })
local projects = dir:create("/projects", { Folder = {} })
local people = dir:create("/people", { Folder = {} })

local eng = depts:create("engineering", { Department = { name = "Engineering", budget = 2500000,
                                                         cost_center = "CC-100" } })
local platform = eng:create("platform", { Department = { name = "Platform", budget = "750000.50" } })
local sales = depts:create("sales", { Department = { name = "Sales", budget = 900000 } })
local apollo = projects:create("apollo", { Project = { name = "Apollo",
  deadline = { year = 2026, month = 6, day = 30, hour = 12 } } })
local zeus = projects:create("zeus", { Project = { name = "Zeus", open = false } })

-- 4. People: created detached, then linked wherever they belong.
local function hire(login, home, fields)
  fields.email = login .. "@acme.example"
  local p = dir:create(nil, { Person = fields })
  people:attach(login, p)
  home:attach(login, p)
  return p
end

local ada = hire("ada", platform, { name = "Ada Lovelace", title = "Principal Engineer", level = 9,
                                     salary = 185000, hired = os.time{ year = 2019, month = 3, day = 1 },
                                     photo = "\137PNG\r\n\26\n" })
local grace = hire("grace", eng, { name = "Grace Hopper", title = "VP Engineering", level = 10,
                                    hired = os.time{ year = 2015, month = 9, day = 14 }, remote = true })
local alan = hire("alan", sales, { name = "Alan Turing", title = "Account Executive", level = 5,
                                    salary = "98000.00" })
apollo:attach("ada", ada)
apollo:attach("lead", grace)                  -- one person, several roles
zeus:attach("alan", alan)
zeus:attach("ada", ada)

-- 5. Listings.
print("\n== the tree")
local function show(node, indent)
  for name, child in node:children() do
    local kind = child:type()
    local label = kind == "LEAF_NODE" and child.Person.name
               or (child.Department or child.Project or {}).name or ""
    print(("%s%-12s %-10s %s"):format(indent, name, kind, label))
    if kind == "NODE" then show(child, indent .. "  ") end
  end
end
show(dir:root(), "  ")

print("\n== where Ada appears")
for path in ada:paths() do print("  " .. path) end
for link, parent in ada:parents() do
  local p = parent:get()
  local what = (p.Department or p.Project or {}).name or (parent:path() or "?")
  print(("  linked as %-6s under %s"):format(link, what))
end

print("\n== Engineering's people, with their attributes")
local function people_under(node, out)
  for _, child in node:children() do
    if child:type() == "NODE" then people_under(child, out) else out[#out + 1] = child end
  end
  return out
end
for _, person in ipairs(people_under(eng, {})) do
  local p = person.Person
  print(("  %-13s %-19s level %-2s %-9s hired %s%s"):format(p.name, p.title, tostring(p.level),
    p.salary and ("$" .. p.salary) or "-", p.hired and os.date("%Y-%m-%d", p.hired) or "?",
    p.remote and ", remote" or ""))
end

-- 6. Changes: a promotion, a removed photo, a transfer, a closed project.
ada:update{ Person = { title = "Distinguished Engineer", level = 10, photo = clouddir.NULL } }
sales:detach("alan")
eng:attach("alan", alan)
apollo:update{ Project = { open = false } }

print("\n== after the changes")
print(("  Ada: %s, level %d, photo %s"):format(ada.Person.title, ada.Person.level,
                                               ada.Person.photo and "kept" or "removed"))
for path in alan:paths() do print("  Alan at " .. path) end
print("  Apollo open: " .. tostring(apollo.Project.open))
print("  Platform budget (a decimal string, verbatim): " .. platform.Department.budget)

-- 7. Errors are values with a code, the same as the AWS-shaped client raises.
local ok, err = pcall(ada.update, ada, { Person = { email = "ada@elsewhere" } })
print("\n== an immutable attribute: " .. (ok and "changed?!" or err.code))
ok, err = pcall(eng.create, eng, "platform", { Department = { name = "Again" } })
print("== a link name in use:     " .. (ok and "created?!" or err.code))

local dirs = {}
for name, _, info in store:directories("ENABLED") do dirs[#dirs + 1] = name .. " (" .. info.state .. ")" end
print("\n== directories: " .. table.concat(dirs, ", "))
local tags = dir:tags()
print("== tags: owner=" .. tags.owner .. " example=" .. tags.example)

if own_store then store:close() end
