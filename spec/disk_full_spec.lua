-- disk_full_spec.lua — a full disk is a clean error, never a crash or a damaged store.
-- The store lives on a 2 MiB tmpfs mounted for the test (root only; pending otherwise).
local helper = require "spec.helper"
local clouddir = require "clouddir"

describe("a store on a full disk", function()
  local mnt, opened = nil, {}
  local function open(path, options)
    local s = clouddir.open(path, options)
    opened[#opened + 1] = s
    return s
  end
  before_each(function()
    mnt = helper.tmpdir()
    os.execute("mkdir -p '" .. mnt .. "'")
    if not os.execute("mount -t tmpfs -o size=2m tmpfs '" .. mnt .. "' 2>/dev/null") then
      mnt = nil
    end
  end)
  after_each(function()
    for i = #opened, 1, -1 do opened[i]:close(); opened[i] = nil end
    if mnt then os.execute("umount '" .. mnt .. "'") end
    helper.cleanup()
  end)

  it("raises StoreError when the map cannot grow, and keeps what was committed", function()
    if not mnt then pending("mounting a tmpfs needs root") return end
    local path = mnt .. "/store"
    local store = open(path, { map_size = 1024 * 1024, limits = "none", sync = false })
    local cd = store:client()
    local arn = cd:CreateSchema{ Name = "big" }.SchemaArn
    local attrs = {}
    for i = 1, 200 do
      attrs[i] = { Name = ("attribute_%03d"):format(i), RequiredBehavior = "NOT_REQUIRED",
                   AttributeDefinition = { Type = "STRING" } }
    end
    local made, failure = 0, nil
    for i = 1, 1000 do
      local ok, e = pcall(cd.CreateFacet, cd, { SchemaArn = arn, Name = "F" .. i,
                                               ObjectType = "NODE", Attributes = attrs })
      if not ok then failure = e break end
      made = i
    end
    assert.is_true(clouddir.is_error(failure), "the disk never filled up")
    assert.equal("StoreError", failure.code)
    assert.matches("No space left", failure.message, 1, true)
    assert.is_true(made > 0)
    store:close()
    -- The store opens again and holds exactly the facets that were committed.
    local again = open(path)
    local names = helper.all_pages(again:client(), "ListFacetNames",
                                   { SchemaArn = arn, MaxResults = 30 }, "FacetNames")
    assert.equal(made, #names)
  end)
end)
