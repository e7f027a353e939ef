-- inventory.lua — a schema declared as one Lua table (see README "Schemas as tables").
--
-- Sites hold racks; devices are leaves that may sit in several places; a typed link
-- InstalledIn (identity: slot) records where a device is mounted.  Load it with
--
--   build/bin/clouddir STORE schema load inventory examples/schema/inventory.lua
--   local decl = dofile("examples/schema/inventory.lua")        -- from Lua
--
-- examples/schema/inventory.json is the same schema as a JSON document (PutSchemaFromJson's
-- format), written by clouddir.schema_to_json(decl, { pretty = true }).
return {
  facets = {
    Site = { type = "NODE", attributes = {
      name = { type = "STRING", required = true,
               rules = { length = { "STRING_LENGTH", min = 1, max = 64 } } },
      opened = { type = "DATETIME" },
    } },
    Rack = { type = "NODE", attributes = {
      label = { type = "STRING", required = true, immutable = true },
      units = { type = "NUMBER", default = 42,
                rules = { range = { "NUMBER_COMPARISON", min = 1, max = 60 } } },
    } },
    Device = { type = "LEAF_NODE", attributes = {
      serial = { type = "STRING", required = true, immutable = true,
                 rules = { length = { "STRING_LENGTH", min = 4, max = 32 } } },
      model = { type = "STRING", required = true },
      state = { type = "STRING", default = "NEW",
                rules = { states = { "STRING_FROM_SET", allowedValues = { "NEW", "ACTIVE", "RETIRED" } } } },
      powered = { type = "BOOLEAN", default = false },
      key = { type = "BINARY", rules = { size = { "BINARY_LENGTH", max = 256 } } },
    } },
    -- A label printed on the device: its serial, by reference to Device.serial.
    Label = { type = "LEAF_NODE", attributes = {
      serial = { ref = { facet = "Device", attribute = "serial" }, required = true },
    } },
    Notes = { type = "LEAF_NODE", style = "DYNAMIC" },
  },
  typed_links = {
    InstalledIn = {
      attributes = {
        slot = { type = "NUMBER", required = true },
        since = { type = "DATETIME" },
      },
      identity = { "slot" },
    },
  },
}
