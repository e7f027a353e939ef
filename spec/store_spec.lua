-- store_spec.lua — the store itself: durability options, map growth, reopening, sharing.
local helper = require "spec.helper"
local clouddir = require "clouddir"

describe("a store", function()
  after_each(helper.cleanup)

  it("grows its map when it is full, with no error and nothing lost", function()
    -- 256 KiB is a few dozen pages: the facets below need many times that.
    local store, path = helper.store({ map_size = 256 * 1024, sync = false, limits = "none" })
    local cd = store:client()
    local arn = cd:CreateSchema{ Name = "big" }.SchemaArn
    local attrs = {}
    for i = 1, 200 do
      attrs[i] = { Name = ("attribute_%03d"):format(i), RequiredBehavior = "NOT_REQUIRED",
                   AttributeDefinition = { Type = "STRING" } }
    end
    for i = 1, 100 do
      cd:CreateFacet{ SchemaArn = arn, Name = "F" .. i, ObjectType = "NODE", Attributes = attrs }
    end
    local _, map = store:stat()
    assert.is_true(map > 256 * 1024)
    store:close()
    local again = clouddir.open(path)
    local r = again:client():ListFacetAttributes{ SchemaArn = arn, Name = "F100",
                                                 MaxResults = 30 }
    assert.equal("attribute_001", r.Attributes[1].Name)
    again:close()
  end)

  it("keeps what a sync = false handle committed once it syncs and closes", function()
    local store, path = helper.store({ sync = false })
    store:client():CreateSchema{ Name = "fast" }
    store:sync()
    store:close()
    local again = clouddir.open(path)
    local r = again:client():ListDevelopmentSchemaArns{}
    assert.equal(1, #r.SchemaArns)
    assert.matches("schema/development/fast$", r.SchemaArns[1])
    again:close()
  end)

  it("reports its options", function()
    local store = helper.store({ sync = false, limits = "none", region = "eu-west-1",
                                 account = "000000000042" })
    local o = store:options()
    assert.equal(false, o.sync)
    assert.equal("none", o.limits)
    assert.equal("eu-west-1", o.region)
    local arn = store:client():CreateSchema{ Name = "x" }.SchemaArn
    assert.equal("arn:aws:clouddirectory:eu-west-1:000000000042:schema/development/x", arn)
  end)

  it("leaves the store exactly as it was when a write fails", function()
    local cd = helper.client()
    cd:CreateSchema{ Name = "one" }
    helper.expect_error("SchemaAlreadyExistsException", cd.CreateSchema, cd, { Name = "one" })
    assert.equal(1, #cd:ListDevelopmentSchemaArns{}.SchemaArns)
  end)
end)
