-- device_registry.lua — a device registry in clouddir's idiomatic Lua API: typed links between
-- devices and their owners, an index on serial numbers, and policies along the tree.
--
-- Devices are leaves under /sites/<site>; owners are people and teams under /owners.  A typed
-- link Owns (identity: role, since) says who owns which device in what role since when; a
-- unique index finds devices by serial number (ranges, prefixes); policies attached to sites
-- and devices are found with lookup_policy.
--
--   build/bin/clouddir ./registry.cdir examples/device_registry.lua   (globals clouddir, store)
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" lua5.4 examples/device_registry.lua
--
-- Run again on the same store, it replaces the "registry" directory from the last run.
local clouddir = clouddir or require "clouddir"          -- luacheck: ignore (global in clouddir)
local store = store                                     -- luacheck: ignore (global in clouddir)
local own_store = store == nil
if own_store then                                       -- plain lua5.4: a temporary store
  local path = os.tmpname()
  os.remove(path)
  store = clouddir.open(path)
  print("(a new store in " .. path .. "; it is kept: explore it with `clouddir " .. path .. "`)")
end

-- 1. The schema: object facets, a POLICY facet and the typed link Owns.
local schema = store:schema("registry", {
  facets = {
    Folder = { type = "NODE" },
    Site = { type = "NODE", attributes = { city = { type = "STRING", required = true } } },
    Owner = { type = "NODE", attributes = {
      name = { type = "STRING", required = true },
      kind = { type = "STRING", default = "person",
               rules = { kinds = { "STRING_FROM_SET", allowedValues = { "person", "team" } } } },
    } },
    Device = { type = "LEAF_NODE", attributes = {
      serial = { type = "STRING", required = true, immutable = true },
      model = { type = "STRING", required = true },
      firmware = { type = "NUMBER" },
      commissioned = { type = "DATETIME" },
    } },
    Rule = { type = "POLICY", attributes = { comment = { type = "STRING" } } },
  },
  typed_links = {
    Owns = { attributes = {
               role = { type = "STRING", required = true },     -- identity, most significant
               since = { type = "DATETIME", required = true },  -- identity
               note = { type = "STRING" },                      -- may change later
             },
             identity = { "role", "since" } },
  },
})
local published = store:schema("registry", "1") or schema:publish("1")

-- 2. A fresh directory (the one from an earlier run is disabled and deleted first).
local old = store:directory("registry")
if old then
  if old:state() == "ENABLED" then old:disable() end
  old:delete()
end
local dir = store:create_directory("registry", published)

-- 3. The tree: sites with devices, owners, and an index on serial numbers under /indexes.
local sites = dir:create("/sites", { Folder = {} })
local owners = dir:create("/owners", { Folder = {} })
dir:create("/indexes", { Folder = {} })
local by_serial = dir:create_index{ facet = "Device", attribute = "serial", unique = true,
                                    path = "/indexes/serials" }

local berlin = sites:create("berlin", { Site = { city = "Berlin" } })
local lyon = sites:create("lyon", { Site = { city = "Lyon" } })

local function day(y, m, d) return os.time{ year = y, month = m, day = d, hour = 12 } end

local devices = {}
local function install(site, serial, model, firmware, commissioned)
  local d = site:create(serial:lower(), { Device = { serial = serial, model = model,
                                                     firmware = firmware, commissioned = commissioned } })
  by_serial:attach(d)                     -- indexes are filled explicitly
  devices[serial] = d
  return d
end
install(berlin, "SN-1001", "gateway", 2.4, day(2023, 3, 1))
install(berlin, "SN-1002", "sensor", 1.9, day(2023, 5, 12))
install(berlin, "SN-1017", "sensor", 2.0, day(2024, 1, 8))
install(lyon, "SN-2001", "gateway", 2.4, day(2024, 2, 20))
install(lyon, "SN-2002", "camera", "3.10", day(2024, 6, 2))   -- a decimal string, kept verbatim

local ada = owners:create("ada", { Owner = { name = "Ada" } })
local ops = owners:create("ops", { Owner = { name = "Ops team", kind = "team" } })

-- 4. Typed links: owner -> device, with identity (role, since) and a changeable note.
ada:link_to(devices["SN-1001"], "Owns", { role = "primary", since = day(2023, 3, 1) })
ada:link_to(devices["SN-2001"], "Owns", { role = "primary", since = day(2024, 2, 20) })
ops:link_to(devices["SN-1001"], "Owns", { role = "support", since = day(2023, 4, 1) })
ops:link_to(devices["SN-1002"], "Owns", { role = "primary", since = day(2023, 5, 12) })
ops:link_to(devices["SN-1017"], "Owns", { role = "primary", since = day(2024, 1, 8) })
local cam = ops:link_to(devices["SN-2002"], "Owns", { role = "primary", since = day(2024, 6, 2),
                                                      note = "on loan" })

local function date(t) return os.date("%Y-%m-%d", t) end

print("\n== every device Ops owns, in (role, since) order")
for link, device in ops:links_out("Owns") do
  print(("  %-8s since %s  %s %-8s %s"):format(link.identity.role, date(link.identity.since),
        device.Device.serial, device.Device.model, link:attributes().note or ""))
end

print("\n== Ops' primary devices since 2024 (an exact role, then a range on since)")
for _, device in ops:links_out("Owns", { role = "primary", since = clouddir.range(">=", day(2024, 1, 1)) }) do
  print("  " .. device.Device.serial)
end

print("\n== who owns SN-1001")
for link, owner in devices["SN-1001"]:links_in("Owns") do
  print(("  %-8s %s (%s)"):format(owner.Owner.name, link.identity.role, owner.Owner.kind))
end

-- 5. Changing links: a note changes in place; a role change is a new link.
cam:update{ note = clouddir.NULL }
ops:unlink(devices["SN-1001"], "Owns", { role = "support", since = day(2023, 4, 1) })
ops:link_to(devices["SN-1001"], "Owns", { role = "backup", since = day(2024, 7, 1) })

-- 6. The serial-number index: exact values, prefixes, ranges; entries come in value order.
print("\n== devices by serial number")
for serial, device in by_serial:entries() do
  print(("  %s  %-8s firmware %s, at %s"):format(serial, device.Device.model,
        tostring(device.Device.firmware), device:path()))
end
print("\n== serials starting with SN-10, and from SN-1010 up to (not including) SN-2002")
for serial in by_serial:entries(clouddir.prefix("SN-10")) do io.write("  ", serial) end
print()
for serial in by_serial:entries{ from = "SN-1010", before = "SN-2002" } do io.write("  ", serial) end
print()
local _, found = by_serial:entries("SN-2001")()
print("== SN-2001 is at " .. found:path())

-- 7. Policies on sites and devices; lookup_policy walks every path from the root.
local policies = dir:create("/policies", { Folder = {} })
local maint = dir:create_policy(policies, "maintenance", {
  type = "maintenance", document = '{"window":"Sun 02:00-04:00"}', facet = "Rule",
  values = { comment = "weekly window" } })
local firewall = dir:create_policy("/policies/firewall", { type = "firewall", document = '{"allow":[443]}' })
maint:attach(berlin)
firewall:attach(sites)
devices["SN-1002"]:attach_policy(dir:create_policy(nil, { type = "calibration", document = "yearly" }))

print("\n== policies that apply to SN-1002")
for path, found in dir:lookup_policy(devices["SN-1002"]) do
  for _, f in ipairs(found) do
    print(("  %-40s %-12s from %s: %s"):format(path, f.type, f.object:path() or f.object:id(),
                                               f.policy:document()))
  end
end
for p in devices["SN-1002"]:policies() do print("  attached to the device itself: " .. p:policy_type()) end

-- 8. Errors are the client's error values.
local ok, err = pcall(lyon.create, lyon, "dup", { Device = { serial = "SN-2001", model = "x" } })
if ok then ok, err = pcall(by_serial.attach, by_serial, err) end
print("\n== a second SN-2001 in the unique index:  " .. (ok and "attached?!" or err.code))
ok, err = pcall(ada.link_to, ada, devices["SN-1001"], "Owns", { role = "primary", since = day(2023, 3, 1) })
print("== the same link twice:                   " .. (ok and "linked?!" or err.code))
ok, err = pcall(function() for _ in ops:links_out("Owns", { since = day(2024, 1, 8) }) do end end)
print("== a filter on since without role:        " .. (ok and "listed?!" or err.code))
local retired = lyon:detach("sn-2001")          -- out of the tree and the index, but still owned
by_serial:detach(retired)
ok, err = pcall(retired.delete, retired)
print("== deleting a device that is still owned: " .. (ok and "deleted?!" or err.code))
for link in retired:links_in() do link:detach() end
retired:delete()
print("== after its links are detached:          deleted")

if own_store then store:close() end
