-- batch_read_limits_spec.lua — BatchRead's per-call caps under limits = "aws": at most 200
-- read objects and 1,000 read attribute values, summed over the items (a path counts each
-- link it follows, an answer the objects and values it lists); beyond them the whole call
-- fails with a top-level LimitExceededException.  limits = "none" counts nothing.
local F = require "spec.data_fixtures"
local helper = F.helper
local sel = F.sel

local function read(ctx, ops) return ctx.cd:BatchRead{ DirectoryArn = ctx.dir, Operations = ops } end

local function info(selector) return { GetObjectInformation = { ObjectReference = sel(selector) } } end

--- n copies of item, then the items of `more`.
local function ops_of(n, item, more)
  local ops = {}
  for i = 1, n do ops[i] = item end
  for _, extra in ipairs(more or {}) do ops[#ops + 1] = extra end
  return ops
end

--- Every item of a BatchRead response succeeded.
local function all_succeed(r, n)
  assert.equal(n, #r.Responses)
  for i, item in ipairs(r.Responses) do
    assert(item.SuccessfulResponse, ("item %d failed: %s"):format(i,
      item.ExceptionResponse and item.ExceptionResponse.Message or "?"))
  end
end

--- The call fails as a whole with LimitExceededException naming the cap.
local function over_cap(ctx, ops, cap)
  local e = helper.expect_error("LimitExceededException", read, ctx, ops)
  assert.is_nil(e.index)
  assert.matches(cap, e.message, 1, true)
  assert.matches('limits = "aws"', e.message, 1, true)
  assert.matches("split the batch", e.message, 1, true)
  return e
end

--- /n (Group) with the DYNAMIC facet Extra and its attributes a1 .. a100 set.
local function hundred_values(ctx)
  local values = {}
  for j = 1, 100 do values["a" .. j] = { StringValue = "v" .. j } end
  F.create(ctx, { "Group", "Extra" }, F.attrs(ctx, "Extra", values), "/", "n")
  local names = {}
  for j = 1, 100 do names[j] = "a" .. j end
  return { GetObjectAttributes = { ObjectReference = sel("/n"), SchemaFacet = F.sf(ctx, "Extra"),
                                   AttributeNames = names } }
end

describe("BatchRead limits", function()
  after_each(F.cleanup)

  it("reads 200 objects in one call and refuses 201 under limits = \"aws\"", function()
    local ctx = F.setup()
    all_succeed(read(ctx, ops_of(200, info("/"))), 200)
    local e = over_cap(ctx, ops_of(201, info("/")), "200 objects")
    assert.matches("operation 200 brings it to 201", e.message, 1, true)
    -- an id reads one object
    all_succeed(read(ctx, ops_of(200, info("$" .. ctx.root))), 200)
    over_cap(ctx, ops_of(200, info("$" .. ctx.root), { info("/") }), "200 objects")
  end)

  it("counts each link a path follows", function()
    local ctx = F.setup()
    F.node(ctx, "/", "a")
    F.node(ctx, "/a", "b")
    F.node(ctx, "/a/b", "c")
    -- 66 * 3 + 2 = 200
    all_succeed(read(ctx, ops_of(66, info("/a/b/c"), { info("/a/b") })), 67)
    over_cap(ctx, ops_of(66, info("/a/b/c"), { info("/a/b/") , info("/") }), "200 objects")
    over_cap(ctx, ops_of(67, info("/a/b/c")), "200 objects")
  end)

  it("counts the references of an item that fails on its own", function()
    local ctx = F.setup()
    local r = read(ctx, ops_of(199, info("/"), { info("/nowhere") }))
    assert.equal(200, #r.Responses)
    assert.equal("ResourceNotFoundException", r.Responses[200].ExceptionResponse.Type)
    over_cap(ctx, ops_of(199, info("/"), { info("/nowhere/x") }), "200 objects")
  end)

  it("counts the objects an answer lists", function()
    local ctx = F.setup()
    F.node(ctx, "/", "g")
    for i = 1, 30 do F.node(ctx, "/g", "c" .. i) end
    local list = { ListObjectChildren = { ObjectReference = sel("/g"), MaxResults = 30 } }
    -- 6 * (1 + 30) + 14 = 200
    all_succeed(read(ctx, ops_of(6, list, ops_of(14, info("/")))), 20)
    over_cap(ctx, ops_of(6, list, ops_of(15, info("/"))), "200 objects")
  end)

  it("reads 1,000 attribute values in one call and refuses 1,001", function()
    local ctx = F.setup()
    local get = hundred_values(ctx)
    local r = read(ctx, ops_of(10, get))
    all_succeed(r, 10)
    assert.equal(100, #r.Responses[10].SuccessfulResponse.GetObjectAttributes.Attributes)
    local one = { GetObjectAttributes = { ObjectReference = sel("/n"),
                                          SchemaFacet = F.sf(ctx, "Extra"), AttributeNames = { "a1" } } }
    local e = over_cap(ctx, ops_of(10, get, { one }), "1000 attribute values")
    assert.matches("operation 10 brings it to 1001", e.message, 1, true)
    -- ListObjectAttributes counts the values it lists (30 a page)
    local list = { ListObjectAttributes = { ObjectReference = sel("/n"), MaxResults = 30 } }
    all_succeed(read(ctx, ops_of(9, get, { list, list, list })), 12)
    over_cap(ctx, ops_of(9, get, { list, list, list, list }), "1000 attribute values")
  end)

  it("counts nothing under limits = \"none\"", function()
    local ctx = F.setup{ limits = "none" }
    F.node(ctx, "/", "a")
    F.node(ctx, "/a", "b")
    local get = hundred_values(ctx)
    all_succeed(read(ctx, ops_of(500, info("/a/b"), ops_of(20, get))), 520)
  end)
end)
