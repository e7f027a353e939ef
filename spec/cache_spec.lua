-- cache_spec.lua — each store handle keeps the directory and facets it read last, valid only
-- for the store snapshot it read them in.  A change by another handle or another process
-- must be seen by the very next call.
local helper = require "spec.helper"
local clouddir = require "clouddir"

local function get_info(cd, fx)
  return cd:GetObjectInformation{ DirectoryArn = fx.directory_arn,
                                  ObjectReference = { Selector = "/" } }
end

describe("the per-handle caches", function()
  after_each(helper.cleanup)

  it("see a directory disabled through another handle at once", function()
    local store, path = helper.store()
    local cd = store:client()
    local fx = helper.fixture(cd)
    get_info(cd, fx)                          -- fills this handle's cache
    local other = clouddir.open(path)          -- a second handle on the same environment
    other:client():DisableDirectory{ DirectoryArn = fx.directory_arn }
    helper.expect_error("DirectoryNotEnabledException", get_info, cd, fx)
    other:client():EnableDirectory{ DirectoryArn = fx.directory_arn }
    assert.is_table(get_info(cd, fx).SchemaFacets)
    other:close()
  end)

  it("see a directory disabled by another process at once", function()
    local store, path = helper.store()
    local cd = store:client()
    local fx = helper.fixture(cd)
    get_info(cd, fx)
    local script = ([[
      local c = require "clouddir"
      local s = c.open(%q)
      s:client():DisableDirectory{ DirectoryArn = %q }
      s:close()
    ]]):format(path, fx.directory_arn)
    local cmd = ("LUA_PATH=%q LUA_CPATH=%q lua5.4 -e %q"):format(package.path, package.cpath, script)
    assert.is_true(os.execute(cmd))
    helper.expect_error("DirectoryNotEnabledException", get_info, cd, fx)
  end)

  it("see a facet added to the applied schema through another handle", function()
    local store, path = helper.store()
    local cd = store:client()
    local fx = helper.fixture(cd)
    local function create(facet)
      return cd:CreateObject{ DirectoryArn = fx.directory_arn,
        SchemaFacets = { { SchemaArn = fx.applied_arn, FacetName = facet } } }
    end
    create("Group")                           -- caches the applied schema's facets
    helper.expect_error("FacetValidationException", create, "Late")
    local other = clouddir.open(path)
    other:client():CreateFacet{ SchemaArn = fx.applied_arn, Name = "Late", ObjectType = "NODE" }
    assert.is_string(create("Late").ObjectIdentifier)
    other:close()
  end)
end)
