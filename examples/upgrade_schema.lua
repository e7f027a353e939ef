-- upgrade_schema.lua — evolving the schema of a live directory in place.
--
-- The schema comes from a Lua file (examples/schema/inventory.lua) and is stored in one
-- PutSchemaFromJson.  A directory is created with it and filled; then the development schema
-- gains a facet (Warranty) and an optional attribute (Device.firmware), the change is
-- published as a minor revision of the same major version (UpgradePublishedSchema) and the
-- directory is moved to it (UpgradeAppliedSchema) — each time with a DryRun first.  The
-- objects written before the upgrade keep their values and can take the new attribute.
--
--   build/bin/clouddir ./inventory.cdir examples/upgrade_schema.lua   (globals clouddir, store)
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/lib/?.so;;" lua5.4 examples/upgrade_schema.lua
--
-- Run again on the same store, it publishes the next major version and replaces the
-- "inventory" directory from the last run.
local clouddir = clouddir or require "clouddir"          -- luacheck: ignore (global in clouddir)
local store = store                                     -- luacheck: ignore (global in clouddir)
if store == nil then                                    -- plain lua5.4: a temporary store
  local path = os.tmpname()
  os.remove(path)
  store = clouddir.open(path)
  print("(a new store in " .. path .. "; it is kept: explore it with `clouddir " .. path .. "`)")
end
local cd = store:client()

-- The schema file sits next to this script.
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local decl = dofile(here .. "/schema/inventory.lua")

-- 1. The development schema "inventory", its whole content replaced from the declaration
--    (schema:load_json converts it with clouddir.schema_to_json and calls PutSchemaFromJson).
local dev = store:schema("inventory") or store:create_schema("inventory")
dev:load_json(decl)
print("== 1. development schema " .. dev.arn)
print(("   %d facets, %d typed-link facet(s), declared in %s/schema/inventory.lua"):format(
  #dev:facet_names(), #dev:typed_link_names(), here))

-- 2. Publish it as major version N (the first unused), minor revision "0", and build a
--    directory on it.
local major = 1
while store:schema("inventory", tostring(major)) do major = major + 1 end
local v1 = dev:publish(tostring(major), "0")
print("== 2. published " .. v1.arn)

local old = store:directory("inventory")
if old then
  if old:state() == "ENABLED" then old:disable() end
  old:delete()
end
local dir = store:create_directory("inventory", v1)
local site = dir:create("/paris", { Site = { name = "Paris" } })
local rack = site:create("r1", { Rack = { label = "R1" } })
local switch = rack:create("sw1", { Device = { serial = "SW-0001", model = "edge-48" } })
dir:create("/paris/r1/fw1", { Device = { serial = "FW-0002", model = "guard-8", state = "ACTIVE" } })
print("   directory " .. dir.arn)
print("   Device sw1 before: " .. clouddir.json_encode(switch:get("Device")))

-- 3. Evolve the development schema: a new facet and a new NOT_REQUIRED attribute are the
--    compatible changes a minor revision may carry.  define() adds what the table declares.
dev:define{ facets = {
  Device = { type = "LEAF_NODE", attributes = (function()
    local attrs = {}
    for name, a in pairs(decl.facets.Device.attributes) do attrs[name] = a end
    attrs.firmware = { type = "STRING", default = "unknown" }          -- optional, with a default
    return attrs
  end)() },
  Warranty = { type = "LEAF_NODE", attributes = {
    expires = { type = "DATETIME", required = true },
    vendor = { type = "STRING" },
  } },
} }
print("== 3. development schema now has " .. table.concat(dev:facet_names(), ", "))

-- 4. Publish the change as minor revision "1" of the same major version.  DryRun checks
--    compatibility and changes nothing.
local major_arn = v1.arn:gsub("/0$", "")
cd:UpgradePublishedSchema{ DevelopmentSchemaArn = dev.arn, PublishedSchemaArn = major_arn,
                           MinorVersion = "1", DryRun = true }
print("== 4. UpgradePublishedSchema DryRun: compatible; revisions still: "
      .. #cd:ListPublishedSchemaArns{ SchemaArn = major_arn }.SchemaArns)
local v1_1 = cd:UpgradePublishedSchema{ DevelopmentSchemaArn = dev.arn, PublishedSchemaArn = major_arn,
                                        MinorVersion = "1" }.UpgradedSchemaArn
print("   published " .. v1_1)

-- 5. Move the directory to the new revision: DryRun first, then for real.
local applied = dir.arn .. "/schema/inventory/" .. tostring(major)
local function applied_version()
  return cd:GetAppliedSchemaVersion{ SchemaArn = applied }.AppliedSchemaArn
end
cd:UpgradeAppliedSchema{ PublishedSchemaArn = v1_1, DirectoryArn = dir.arn, DryRun = true }
print("== 5. UpgradeAppliedSchema DryRun: directory still on " .. applied_version())
cd:UpgradeAppliedSchema{ PublishedSchemaArn = v1_1, DirectoryArn = dir.arn }
print("   directory now on " .. applied_version())

-- 6. The objects written before the upgrade: unchanged, and they take the new attribute
--    and the new facet.
print("== 6. Device sw1 after:  " .. clouddir.json_encode(switch:get("Device"))
      .. "  (no firmware yet: a default applies when an object is created)")
switch:update{ Device = { firmware = "4.2.1" } }
switch:add_facet("Warranty", { expires = os.time{ year = 2030, month = 1, day = 1, hour = 0 },
                               vendor = "Acme" })
print("   after update + add_facet:")
print("     Device   " .. clouddir.json_encode(switch:get("Device")))
print("     Warranty " .. clouddir.json_encode(switch:get("Warranty")))
local fw1 = dir:object("/paris/r1/fw1")
print("   fw1 (untouched): " .. clouddir.json_encode(fw1:get("Device")))
local created = dir:create("/paris/r1/ap1", { Device = { serial = "AP-0003", model = "air-2" } })
print("   a device created after the upgrade: " .. clouddir.json_encode(created:get("Device")))
