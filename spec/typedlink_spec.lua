-- typedlink_spec.lua — typed links (semantics §5, §6.4 ranges, §4.5 deletion, §13):
-- AttachTypedLink, DetachTypedLink, GetLinkAttributes, UpdateLinkAttributes,
-- ListOutgoingTypedLinks, ListIncomingTypedLinks and UpdateTypedLinkFacet.
local helper = require "spec.helper"
local F = require "spec.data_fixtures"

local E = helper.expect_error

-- {====================================================== fixture

local function lattr(name, type_, required, extra)
  local a = { Name = name, Type = type_, RequiredBehavior = required and "REQUIRED_ALWAYS"
              or "NOT_REQUIRED" }
  for k, v in pairs(extra or {}) do a[k] = v end
  return a
end

-- One facet per identity type (k), a multi-attribute one (Role) and a strict one.
local function link_facets()
  local fs = {
    { Name = "Friend", Attributes = { lattr("since", "STRING", true), lattr("note", "STRING") },
      IdentityAttributeOrder = { "since" } },
    { Name = "Role", Attributes = {
        lattr("status", "STRING", true), lattr("role", "STRING", true),
        lattr("created", "DATETIME", true),
        lattr("weight", "NUMBER", false, { Rules = { w = { Type = "NUMBER_COMPARISON",
                                                           Parameters = { max = "10" } } } }),
        lattr("label", "STRING", false, { DefaultValue = { StringValue = "none" } }),
        lattr("fixed", "STRING", false, { IsImmutable = true }),
        lattr("tag", "STRING"),
      }, IdentityAttributeOrder = { "status", "role", "created" } },
    { Name = "Strict", Attributes = {
        lattr("id", "STRING", true, { Rules = { len = { Type = "STRING_LENGTH",
                                                        Parameters = { max = "5" } } } }),
        lattr("must", "NUMBER", true),
      }, IdentityAttributeOrder = { "id" } },
  }
  for _, t in ipairs{ { "ByS", "STRING" }, { "ByB", "BINARY" }, { "ByO", "BOOLEAN" },
                      { "ByN", "NUMBER" }, { "ByT", "DATETIME" }, { "ByV", "VARIANT" } } do
    fs[#fs + 1] = { Name = t[1], Attributes = { lattr("k", t[2], true) },
                    IdentityAttributeOrder = { "k" } }
  end
  return fs
end

local function object_facets()
  return {
    { Name = "Person", ObjectType = "LEAF_NODE", Attributes = { helper.attr("name") } },
    { Name = "Group", ObjectType = "NODE", Attributes = {} },
  }
end

local function setup(options)
  local cd, _, path = helper.client(options)
  local fx = helper.fixture(cd, { facets = object_facets(), link_facets = link_facets() })
  return { cd = cd, path = path, dir = fx.directory_arn, schema = fx.applied_arn, fx = fx }
end

-- A Person; under the root as `link` when given, else detached.
local function obj(ctx, link)
  return ctx.cd:CreateObject{ DirectoryArn = ctx.dir,
    SchemaFacets = { { SchemaArn = ctx.schema, FacetName = "Person" } },
    ParentReference = link and { Selector = "/" } or nil, LinkName = link }.ObjectIdentifier
end

local function ref(id) return { Selector = "$" .. id } end
local function tlf(ctx, name) return { SchemaArn = ctx.schema, TypedLinkName = name } end

-- { name = TypedAttributeValue } -> AttributeNameAndValue list (sorted by name).
local function nv(values)
  local names, list = {}, {}
  for n in pairs(values) do names[#names + 1] = n end
  table.sort(names)
  for _, n in ipairs(names) do list[#list + 1] = { AttributeName = n, Value = values[n] } end
  return list
end

local function attach(ctx, src, tgt, facet, values)
  return ctx.cd:AttachTypedLink{ DirectoryArn = ctx.dir, SourceObjectReference = ref(src),
    TargetObjectReference = ref(tgt), TypedLinkFacet = tlf(ctx, facet),
    Attributes = nv(values) }.TypedLinkSpecifier
end

local function attach_req(ctx, src, tgt, facet, values)
  return { DirectoryArn = ctx.dir, SourceObjectReference = ref(src),
           TargetObjectReference = ref(tgt), TypedLinkFacet = tlf(ctx, facet),
           Attributes = nv(values) }
end

local function spec_of(ctx, src, tgt, facet, ids)
  return { TypedLinkFacet = tlf(ctx, facet), SourceObjectReference = ref(src),
           TargetObjectReference = ref(tgt), IdentityAttributeValues = nv(ids) }
end

-- Every specifier of a listing (all pages).
local function list(ctx, op, id, extra)
  local req = { DirectoryArn = ctx.dir, ObjectReference = ref(id), MaxResults = 30 }
  for k, v in pairs(extra or {}) do req[k] = v end
  return (helper.all_pages(ctx.cd, op, req,
    op == "ListOutgoingTypedLinks" and "TypedLinkSpecifiers" or "LinkSpecifiers"))
end
local function outgoing(ctx, id, extra) return list(ctx, "ListOutgoingTypedLinks", id, extra) end
local function incoming(ctx, id, extra) return list(ctx, "ListIncomingTypedLinks", id, extra) end

-- The first identity value of each specifier.
local function firsts(specs)
  local out = {}
  for i, s in ipairs(specs) do out[i] = s.IdentityAttributeValues[1].Value end
  return out
end

local function range(sm, sv, em, ev)
  return { StartMode = sm, StartValue = sv, EndMode = em, EndValue = ev }
end
local function incl(v) return range("INCLUSIVE", v, "INCLUSIVE", v) end

local function filter(ctx, facet, ranges)
  local list_ = {}
  for i, r in ipairs(ranges or {}) do list_[i] = { AttributeName = r[1], Range = r[2] } end
  return { FilterTypedLink = tlf(ctx, facet), FilterAttributeRanges = list_ }
end

-- Asserts fn(...) raises code and the store did not change.
local function unchanged(ctx, code, fn, ...)
  local before = F.dump(ctx.path)
  local e = E(code, fn, ...)
  assert.are.equal(before, F.dump(ctx.path))
  return e
end

-- }======================================================

describe("typed links", function()
  after_each(helper.cleanup)

  describe("AttachTypedLink", function()
    it("returns a specifier with $id selectors, identity values in identity order and the "
       .. "applied schema ARN", function()
      local ctx = setup()
      local a, b = obj(ctx, "a"), obj(ctx, "b")
      local s = ctx.cd:AttachTypedLink{ DirectoryArn = ctx.dir,
        SourceObjectReference = { Selector = "/a" }, TargetObjectReference = { Selector = "/b" },
        TypedLinkFacet = tlf(ctx, "Role"), Attributes = {
          { AttributeName = "created", Value = { DatetimeValue = 100 } },
          { AttributeName = "tag", Value = { StringValue = "t" } },
          { AttributeName = "role", Value = { StringValue = "Driver" } },
          { AttributeName = "status", Value = { StringValue = "Active" } },
        } }.TypedLinkSpecifier
      assert.same({
        TypedLinkFacet = { SchemaArn = ctx.schema, TypedLinkName = "Role" },
        SourceObjectReference = { Selector = "$" .. a },
        TargetObjectReference = { Selector = "$" .. b },
        IdentityAttributeValues = {
          { AttributeName = "status", Value = { StringValue = "Active" } },
          { AttributeName = "role", Value = { StringValue = "Driver" } },
          { AttributeName = "created", Value = { DatetimeValue = 100 } },
        },
      }, s)
      assert.same({ s }, outgoing(ctx, a))
      assert.same({ s }, incoming(ctx, b))
      assert.same({}, incoming(ctx, a))
      assert.same({}, outgoing(ctx, b))
    end)

    it("links objects outside the tree, and an object to itself", function()
      local ctx = setup()
      local a, b = obj(ctx), obj(ctx)
      attach(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      attach(ctx, a, a, "Friend", { since = { StringValue = "self" } })
      assert.are.equal(2, #outgoing(ctx, a))
      assert.are.equal(1, #incoming(ctx, a))
      assert.are.equal(1, #incoming(ctx, b))
    end)

    it("is unique per direction: same identity rejected, opposite direction, other facets, "
       .. "other values and other targets allowed", function()
      local ctx = setup()
      local a, b, c = obj(ctx, "a"), obj(ctx, "b"), obj(ctx, "c")
      attach(ctx, a, b, "Friend", { since = { StringValue = "2020" } })
      unchanged(ctx, "InvalidAttachmentException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "Friend", { since = { StringValue = "2020" } }))
      -- non-identity values do not make a link different
      unchanged(ctx, "InvalidAttachmentException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "Friend", { since = { StringValue = "2020" },
                                          note = { StringValue = "other" } }))
      attach(ctx, b, a, "Friend", { since = { StringValue = "2020" } })     -- opposite
      attach(ctx, a, b, "ByS", { k = { StringValue = "2020" } })            -- other facet
      attach(ctx, a, b, "Friend", { since = { StringValue = "2021" } })     -- other value
      attach(ctx, a, c, "Friend", { since = { StringValue = "2020" } })     -- other target
      assert.are.equal(4, #outgoing(ctx, a))
      -- equal numbers are one identity
      attach(ctx, a, b, "ByN", { k = { NumberValue = "1" } })
      E("InvalidAttachmentException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "ByN", { k = { NumberValue = "1.0" } }))
      E("InvalidAttachmentException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "ByN", { k = { NumberValue = "10e-1" } }))
      -- differing in one of several identity values
      local r = { status = { StringValue = "A" }, role = { StringValue = "R" },
                  created = { DatetimeValue = 1 } }
      attach(ctx, a, b, "Role", r)
      r.created = { DatetimeValue = 2 }
      attach(ctx, a, b, "Role", r)
      E("InvalidAttachmentException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "Role", r))
    end)

    it("validates attributes like object attributes and changes nothing on error", function()
      local ctx = setup()
      local a, b = obj(ctx, "a"), obj(ctx, "b")
      local cd = ctx.cd
      local function bad(code, facet, values)
        return unchanged(ctx, code, cd.AttachTypedLink, cd, attach_req(ctx, a, b, facet, values))
      end
      local role = function(extra)
        local v = { status = { StringValue = "A" }, role = { StringValue = "R" },
                    created = { DatetimeValue = 1 } }
        for k, x in pairs(extra) do v[k] = x end
        return v
      end
      bad("FacetValidationException", "Friend", {})                                  -- identity missing
      bad("FacetValidationException", "Friend", { note = { StringValue = "n" } })
      bad("FacetValidationException", "Friend", { since = { StringValue = "x" },
                                                  bogus = { StringValue = "y" } })  -- unknown
      bad("FacetValidationException", "Friend", { since = { NumberValue = "1" } })   -- type
      bad("FacetValidationException", "Friend", { since = { StringValue = "x" },
                                                  note = { BooleanValue = true } })
      bad("FacetValidationException", "ByN", { k = { NumberValue = "1x" } })
      bad("FacetValidationException", "Strict", { id = { StringValue = "toolong" },
                                                  must = { NumberValue = "1" } })  -- rule
      bad("FacetValidationException", "Strict", { id = { StringValue = "ok" } })  -- required
      bad("FacetValidationException", "Role", role{ weight = { NumberValue = "11" } })
      bad("FacetValidationException", "Nope", { k = { StringValue = "x" } })      -- facet
      bad("ValidationException", "Friend", { since = {} })                        -- no value
      -- the same attribute twice
      local req = attach_req(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      req.Attributes[2] = req.Attributes[1]
      unchanged(ctx, "FacetValidationException", cd.AttachTypedLink, cd, req)
      -- unknown objects
      req = attach_req(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      req.TargetObjectReference = { Selector = "/nobody" }
      unchanged(ctx, "ResourceNotFoundException", cd.AttachTypedLink, cd, req)
      req.TargetObjectReference = ref(b)
      req.SourceObjectReference = { Selector = "$AAAA" }
      unchanged(ctx, "ResourceNotFoundException", cd.AttachTypedLink, cd, req)
      -- schema ARNs: development (not applied) and malformed
      req = attach_req(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      req.TypedLinkFacet.SchemaArn = ctx.fx.schema_arn
      unchanged(ctx, "InvalidArnException", cd.AttachTypedLink, cd, req)
      req.TypedLinkFacet.SchemaArn = ctx.schema .. "/7"
      unchanged(ctx, "InvalidArnException", cd.AttachTypedLink, cd, req)
      req.TypedLinkFacet.SchemaArn = ctx.fx.base_arn
      unchanged(ctx, "FacetValidationException", cd.AttachTypedLink, cd, req)
      req.TypedLinkFacet.SchemaArn = ctx.dir .. "/schema/other/1"
      unchanged(ctx, "FacetValidationException", cd.AttachTypedLink, cd, req)
      -- another directory's applied schema
      local other = cd:CreateDirectory{ Name = helper.unique("d"),
                                        SchemaArn = ctx.fx.published_arn }
      req.TypedLinkFacet.SchemaArn = other.AppliedSchemaArn
      unchanged(ctx, "FacetValidationException", cd.AttachTypedLink, cd, req)
    end)

    it("applies defaults of omitted attributes and keeps given values", function()
      local ctx = setup()
      local a, b = obj(ctx), obj(ctx)
      local s = attach(ctx, a, b, "Role", { status = { StringValue = "A" },
        role = { StringValue = "R" }, created = { DatetimeValue = 5 },
        fixed = { StringValue = "f" } })
      local got = ctx.cd:GetLinkAttributes{ DirectoryArn = ctx.dir, TypedLinkSpecifier = s,
        AttributeNames = { "label", "fixed", "tag", "weight" } }.Attributes
      assert.same({
        { Key = { SchemaArn = ctx.schema, FacetName = "Role", Name = "label" },
          Value = { StringValue = "none" } },
        { Key = { SchemaArn = ctx.schema, FacetName = "Role", Name = "fixed" },
          Value = { StringValue = "f" } },
      }, got)
    end)

    it("limits identity values to 64 bytes together under limits = \"aws\" only", function()
      local ctx = setup()
      local a, b = obj(ctx), obj(ctx)
      attach(ctx, a, b, "ByS", { k = { StringValue = ("x"):rep(64) } })
      attach(ctx, a, b, "ByS", { k = { StringValue = ("é"):rep(32) } })       -- 64 bytes
      local e = unchanged(ctx, "ValidationException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "ByS", { k = { StringValue = ("x"):rep(65) } }))
      assert.matches("64", e.message)
      unchanged(ctx, "ValidationException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "ByB", { k = { BinaryValue = ("\0"):rep(65) } }))
      -- together: 30 + 30 + 8 (a DATETIME) > 64
      unchanged(ctx, "ValidationException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "Role", { status = { StringValue = ("s"):rep(30) },
          role = { StringValue = ("r"):rep(30) }, created = { DatetimeValue = 1 } }))
      attach(ctx, a, b, "Role", { status = { StringValue = ("s"):rep(28) },
        role = { StringValue = ("r"):rep(28) }, created = { DatetimeValue = 1 } })
      -- non-identity values: 2 KB
      unchanged(ctx, "LimitExceededException", ctx.cd.AttachTypedLink, ctx.cd,
        attach_req(ctx, a, b, "Friend", { since = { StringValue = "1" },
                                          note = { StringValue = ("n"):rep(2049) } }))

      local big = setup{ limits = "none" }
      local x, y = obj(big), obj(big)
      local long = {}
      for i = 1, 5 do long[i] = ("v"):rep(600) .. i end
      for i = 5, 1, -1 do attach(big, x, y, "ByS", { k = { StringValue = long[i] } }) end
      attach(big, x, y, "ByS", { k = { StringValue = "short" } })
      local got = firsts(outgoing(big, x))
      assert.same({ { StringValue = "short" }, { StringValue = long[1] },
                    { StringValue = long[2] }, { StringValue = long[3] },
                    { StringValue = long[4] }, { StringValue = long[5] } }, got)
      assert.same({ { StringValue = long[3] } },
        firsts(outgoing(big, x, filter(big, "ByS", { { "k", incl{ StringValue = long[3] } } }))))
      E("InvalidAttachmentException", big.cd.AttachTypedLink, big.cd,
        attach_req(big, x, y, "ByS", { k = { StringValue = long[2] } }))
      big.cd:DetachTypedLink{ DirectoryArn = big.dir,
        TypedLinkSpecifier = spec_of(big, x, y, "ByS", { k = { StringValue = long[2] } }) }
      assert.are.equal(5, #outgoing(big, x))
      assert.are.equal(5, #incoming(big, y))
    end)
  end)

  describe("DetachTypedLink", function()
    it("removes both ends; specifiers may use any selector form", function()
      local ctx = setup()
      local a, b = obj(ctx, "a"), obj(ctx, "b")
      attach(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      local s = spec_of(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      s.SourceObjectReference = { Selector = "/a" }
      s.TargetObjectReference = { Selector = '$"' .. b .. '"' }
      assert.same({}, ctx.cd:DetachTypedLink{ DirectoryArn = ctx.dir, TypedLinkSpecifier = s })
      assert.same({}, outgoing(ctx, a))
      assert.same({}, incoming(ctx, b))
      unchanged(ctx, "ResourceNotFoundException", ctx.cd.DetachTypedLink, ctx.cd,
        { DirectoryArn = ctx.dir, TypedLinkSpecifier = s })
    end)

    it("reports missing links, bad specifiers and changes nothing", function()
      local ctx = setup()
      local a, b = obj(ctx, "a"), obj(ctx, "b")
      attach(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      local function bad(code, s)
        unchanged(ctx, code, ctx.cd.DetachTypedLink, ctx.cd,
                  { DirectoryArn = ctx.dir, TypedLinkSpecifier = s })
      end
      bad("ResourceNotFoundException", spec_of(ctx, a, b, "Friend", { since = { StringValue = "y" } }))
      bad("ResourceNotFoundException", spec_of(ctx, b, a, "Friend", { since = { StringValue = "x" } }))
      bad("ResourceNotFoundException", spec_of(ctx, a, b, "ByS", { k = { StringValue = "x" } }))
      bad("FacetValidationException", spec_of(ctx, a, b, "Friend", {}))
      bad("FacetValidationException", spec_of(ctx, a, b, "Friend",
        { since = { StringValue = "x" }, note = { StringValue = "n" } }))
      bad("FacetValidationException", spec_of(ctx, a, b, "Friend", { since = { NumberValue = "1" } }))
      bad("FacetValidationException", spec_of(ctx, a, b, "Nope", { since = { StringValue = "x" } }))
      local s = spec_of(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      s.TargetObjectReference = { Selector = "/gone" }
      bad("ResourceNotFoundException", s)
    end)
  end)

  describe("link attributes", function()
    local ctx, a, b, s
    before_each(function()
      ctx = setup()
      a, b = obj(ctx, "a"), obj(ctx, "b")
      s = attach(ctx, a, b, "Role", { status = { StringValue = "A" }, role = { StringValue = "R" },
        created = { DatetimeValue = 7 }, tag = { StringValue = "t1" },
        fixed = { StringValue = "f" } })
    end)

    local function get(names)
      local out = {}
      for _, kv in ipairs(ctx.cd:GetLinkAttributes{ DirectoryArn = ctx.dir,
          TypedLinkSpecifier = s, AttributeNames = names }.Attributes) do
        assert.same({ SchemaArn = ctx.schema, FacetName = "Role", Name = kv.Key.Name }, kv.Key)
        out[kv.Key.Name] = kv.Value
      end
      return out
    end
    local function upd(name, action, value)
      return { AttributeKey = { SchemaArn = ctx.schema, FacetName = "Role", Name = name },
               AttributeAction = { AttributeActionType = action, AttributeUpdateValue = value } }
    end
    local function update(...)
      return ctx.cd:UpdateLinkAttributes{ DirectoryArn = ctx.dir, TypedLinkSpecifier = s,
                                          AttributeUpdates = { ... } }
    end

    it("GetLinkAttributes returns identity and other values, leaving out unset ones", function()
      assert.same({ status = { StringValue = "A" }, created = { DatetimeValue = 7 },
                    tag = { StringValue = "t1" }, label = { StringValue = "none" } },
                  get{ "status", "created", "tag", "label", "weight", "tag" })
      assert.same({}, get{})
      E("FacetValidationException", get, { "bogus" })
      s = spec_of(ctx, a, b, "Role", { status = { StringValue = "A" },
        role = { StringValue = "R" }, created = { DatetimeValue = 8 } })
      E("ResourceNotFoundException", get, { "tag" })
    end)

    it("UpdateLinkAttributes sets and deletes non-identity values", function()
      assert.same({}, update(upd("tag", "CREATE_OR_UPDATE", { StringValue = "t2" }),
                             upd("weight", "CREATE_OR_UPDATE", { NumberValue = "9.5" }),
                             upd("label", "DELETE")))
      assert.same({ tag = { StringValue = "t2" }, weight = { NumberValue = "9.5" } },
                  get{ "tag", "weight", "label" })
      update(upd("tag", "DELETE"), upd("weight", "DELETE"))
      assert.same({}, get{ "tag", "weight" })
      -- identity and listings unchanged
      assert.same({ s }, outgoing(ctx, a))
    end)

    it("UpdateLinkAttributes refuses identity, immutable, unknown and bad values", function()
      local function bad(code, u)
        unchanged(ctx, code, update, u)
      end
      bad("FacetValidationException", upd("status", "CREATE_OR_UPDATE", { StringValue = "B" }))
      bad("FacetValidationException", upd("created", "DELETE"))
      bad("FacetValidationException", upd("fixed", "CREATE_OR_UPDATE", { StringValue = "g" }))
      bad("FacetValidationException", upd("bogus", "CREATE_OR_UPDATE", { StringValue = "g" }))
      bad("FacetValidationException", upd("weight", "CREATE_OR_UPDATE", { NumberValue = "11" }))
      bad("FacetValidationException", upd("weight", "CREATE_OR_UPDATE", { StringValue = "1" }))
      bad("ValidationException", upd("tag", "CREATE_OR_UPDATE"))
      -- without an action (or its type) the message says that, not "CREATE_OR_UPDATE needs"
      local function no_action(u, pattern)
        local e = unchanged(ctx, "ValidationException", update, u)
        assert.matches(pattern, e.message)
        assert.is_nil(e.message:find("CREATE_OR_UPDATE needs", 1, true))
      end
      local bare = upd("tag")
      bare.AttributeAction = nil
      no_action(bare, "^AttributeUpdates%[0%]: AttributeAction is missing")
      no_action(upd("tag"), "^AttributeUpdates%[0%]: AttributeAction%.AttributeActionType is missing")
      local u = upd("tag", "CREATE_OR_UPDATE", { StringValue = "x" })
      u.AttributeKey.FacetName = "Friend"
      bad("FacetValidationException", u)
      u.AttributeKey.FacetName = "Role"
      u.AttributeKey.SchemaArn = ctx.fx.schema_arn
      bad("InvalidArnException", u)
      -- a later bad update undoes earlier good ones
      unchanged(ctx, "FacetValidationException", ctx.cd.UpdateLinkAttributes, ctx.cd,
        { DirectoryArn = ctx.dir, TypedLinkSpecifier = s, AttributeUpdates = {
          upd("tag", "CREATE_OR_UPDATE", { StringValue = "ok" }),
          upd("status", "CREATE_OR_UPDATE", { StringValue = "B" }) } })
      -- REQUIRED_ALWAYS non-identity attributes cannot be deleted
      local st = attach(ctx, a, b, "Strict", { id = { StringValue = "i" }, must = { NumberValue = "1" } })
      unchanged(ctx, "FacetValidationException", ctx.cd.UpdateLinkAttributes, ctx.cd,
        { DirectoryArn = ctx.dir, TypedLinkSpecifier = st, AttributeUpdates = {
          { AttributeKey = { SchemaArn = ctx.schema, FacetName = "Strict", Name = "must" },
            AttributeAction = { AttributeActionType = "DELETE" } } } })
      -- a link that does not exist
      s = spec_of(ctx, b, a, "Role", { status = { StringValue = "A" },
        role = { StringValue = "R" }, created = { DatetimeValue = 7 } })
      bad("ResourceNotFoundException", upd("tag", "CREATE_OR_UPDATE", { StringValue = "t" }))
    end)
  end)

  describe("DeleteObject", function()
    it("is blocked by outgoing and incoming links until they are detached", function()
      local ctx = setup()
      local a, b = obj(ctx), obj(ctx)
      attach(ctx, a, b, "Friend", { since = { StringValue = "x" } })
      unchanged(ctx, "StillContainsLinksException", ctx.cd.DeleteObject, ctx.cd,
        { DirectoryArn = ctx.dir, ObjectReference = ref(a) })
      unchanged(ctx, "StillContainsLinksException", ctx.cd.DeleteObject, ctx.cd,
        { DirectoryArn = ctx.dir, ObjectReference = ref(b) })
      ctx.cd:DetachTypedLink{ DirectoryArn = ctx.dir,
        TypedLinkSpecifier = spec_of(ctx, a, b, "Friend", { since = { StringValue = "x" } }) }
      ctx.cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = ref(a) }
      ctx.cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = ref(b) }
    end)
  end)

  describe("listings", function()
    it("order by facet name, identity values, then peer", function()
      local ctx = setup()
      local a = obj(ctx)
      local p = { obj(ctx), obj(ctx), obj(ctx) }
      attach(ctx, a, p[3], "Friend", { since = { StringValue = "b" } })
      attach(ctx, a, p[2], "Friend", { since = { StringValue = "a" } })
      attach(ctx, a, p[1], "Friend", { since = { StringValue = "b" } })
      attach(ctx, a, p[1], "ByS", { k = { StringValue = "z" } })
      attach(ctx, a, p[2], "ByN", { k = { NumberValue = "3" } })
      local got = {}
      for i, s in ipairs(outgoing(ctx, a)) do
        got[i] = s.TypedLinkFacet.TypedLinkName .. ":" ..
                 (s.IdentityAttributeValues[1].Value.StringValue or
                  s.IdentityAttributeValues[1].Value.NumberValue) .. ":" ..
                 s.TargetObjectReference.Selector
      end
      assert.same({ "ByN:3:$" .. p[2], "ByS:z:$" .. p[1], "Friend:a:$" .. p[2],
                    "Friend:b:$" .. p[1], "Friend:b:$" .. p[3] }, got)
      -- a facet filter alone
      assert.are.equal(3, #outgoing(ctx, a, { FilterTypedLink = tlf(ctx, "Friend") }))
      assert.are.equal(0, #outgoing(ctx, a, { FilterTypedLink = tlf(ctx, "Strict") }))
      -- incoming: the peer is the source
      local inc = incoming(ctx, p[1])
      assert.are.equal(2, #inc)
      assert.are.equal("$" .. a, inc[1].SourceObjectReference.Selector)
      assert.are.equal("$" .. p[1], inc[1].TargetObjectReference.Selector)
    end)

    -- Values of each type in ascending order (at least 4).
    local typed = {
      { "ByS", { { StringValue = "" }, { StringValue = "a" }, { StringValue = "ab" },
                 { StringValue = "b" }, { StringValue = "z" }, { StringValue = "é" } },
        { NumberValue = "1" } },
      { "ByB", { { BinaryValue = "\0" }, { BinaryValue = "\0\0" }, { BinaryValue = "\1" },
                 { BinaryValue = "a" }, { BinaryValue = "\255" } }, { StringValue = "a" } },
      { "ByN", { { NumberValue = "-5" }, { NumberValue = "-0.5" }, { NumberValue = "0" },
                 { NumberValue = "9" }, { NumberValue = "10" }, { NumberValue = "10.5" },
                 { NumberValue = "1e3" } }, { StringValue = "9" } },
      { "ByT", { { DatetimeValue = -86400 }, { DatetimeValue = 0 }, { DatetimeValue = 1500000000 },
                 { DatetimeValue = 1500000000.5 }, { DatetimeValue = 2000000000 } },
        { NumberValue = "0" } },
      { "ByV", { { StringValue = "z" }, { BinaryValue = "a" }, { BooleanValue = false },
                 { NumberValue = "-1" }, { NumberValue = "2" }, { DatetimeValue = 0 } }, nil },
    }
    for _, t in ipairs(typed) do
      local facet, vs, wrong = t[1], t[2], t[3]
      it("filter every range mode on " .. facet, function()
        local ctx = setup()
        local a, b = obj(ctx), obj(ctx)
        -- attach in a scrambled order
        for i = #vs, 1, -2 do attach(ctx, a, b, facet, { k = vs[i] }) end
        for i = #vs - 1, 1, -2 do attach(ctx, a, b, facet, { k = vs[i] }) end
        local n = #vs
        local function q(r) return firsts(outgoing(ctx, a, filter(ctx, facet, { { "k", r } }))) end
        local function slice(i, j)
          local out = {}
          for x = i, j do out[#out + 1] = vs[x] end
          return out
        end
        assert.same(vs, firsts(outgoing(ctx, a)))
        assert.same(vs, firsts(incoming(ctx, b)))
        assert.same({ vs[2] }, q(incl(vs[2])))
        assert.same(slice(2, 3), q(range("INCLUSIVE", vs[2], "EXCLUSIVE", vs[4])))
        assert.same(slice(3, 4), q(range("EXCLUSIVE", vs[2], "INCLUSIVE", vs[4])))
        assert.same(slice(3, 3), q(range("EXCLUSIVE", vs[2], "EXCLUSIVE", vs[4])))
        assert.same(slice(1, 2), q(range("FIRST", nil, "INCLUSIVE", vs[2])))
        assert.same(slice(1, 1), q(range("FIRST", nil, "EXCLUSIVE", vs[2])))
        assert.same(slice(n, n), q(range("EXCLUSIVE", vs[n - 1], "LAST")))
        assert.same(slice(n - 1, n), q(range("INCLUSIVE", vs[n - 1], "LAST_BEFORE_MISSING_VALUES")))
        assert.same(vs, q(range("FIRST", nil, "LAST")))
        assert.same(vs, q(range("FIRST", nil, "LAST_BEFORE_MISSING_VALUES")))
        assert.same({}, q(range("LAST_BEFORE_MISSING_VALUES", nil, "LAST")))
        assert.same({}, q(range("FIRST", nil, "FIRST")))
        assert.same({}, q(range("LAST", nil, "LAST")))
        -- a value given with FIRST, LAST or LAST_BEFORE_MISSING_VALUES is ignored (§6.4:
        -- those modes need none), even one of another type
        local other = wrong or vs[1]
        assert.same(vs, q(range("FIRST", vs[n], "LAST", vs[1])))
        assert.same(vs, q(range("FIRST", other, "LAST_BEFORE_MISSING_VALUES", other)))
        assert.same({}, q(range("LAST_BEFORE_MISSING_VALUES", vs[1], "LAST", vs[n])))
        assert.same(slice(n, n), q(range("EXCLUSIVE", vs[n - 1], "LAST", vs[1])))
        assert.same(slice(1, 2), q(range("FIRST", vs[n], "INCLUSIVE", vs[2])))
        assert.same(vs, firsts(incoming(ctx, b, filter(ctx, facet,
          { { "k", range("FIRST", other, "LAST", other) } }))))
        -- inverted ranges are errors, not empty results
        local function bad(r)
          unchanged(ctx, "ValidationException", ctx.cd.ListOutgoingTypedLinks, ctx.cd,
            { DirectoryArn = ctx.dir, ObjectReference = ref(a),
              FilterTypedLink = tlf(ctx, facet),
              FilterAttributeRanges = { { AttributeName = "k", Range = r } } })
        end
        bad(range("INCLUSIVE", vs[3], "INCLUSIVE", vs[2]))
        bad(range("EXCLUSIVE", vs[2], "INCLUSIVE", vs[2]))
        bad(range("INCLUSIVE", vs[2], "EXCLUSIVE", vs[2]))
        bad(range("LAST", nil, "INCLUSIVE", vs[2]))
        bad(range("INCLUSIVE", vs[2], "FIRST"))
        bad(range("INCLUSIVE", nil, "LAST"))
        bad(range("INCLUSIVE", nil, "LAST", vs[n]))
        bad(range("FIRST", vs[1], "EXCLUSIVE", nil))
        bad(range("LAST", vs[1], "FIRST", vs[n]))
        if wrong then bad(range("INCLUSIVE", wrong, "LAST")) end
      end)
    end

    it("filter booleans", function()
      local ctx = setup()
      local a, b = obj(ctx), obj(ctx)
      attach(ctx, a, b, "ByO", { k = { BooleanValue = true } })
      attach(ctx, a, b, "ByO", { k = { BooleanValue = false } })
      local function q(r) return firsts(outgoing(ctx, a, filter(ctx, "ByO", { { "k", r } }))) end
      assert.same({ { BooleanValue = false }, { BooleanValue = true } }, firsts(outgoing(ctx, a)))
      assert.same({ { BooleanValue = true } }, q(incl{ BooleanValue = true }))
      assert.same({ { BooleanValue = true } }, q(range("EXCLUSIVE", { BooleanValue = false }, "LAST")))
      assert.same({ { BooleanValue = false } }, q(range("FIRST", nil, "EXCLUSIVE", { BooleanValue = true })))
      E("ValidationException", q, range("INCLUSIVE", { BooleanValue = true }, "INCLUSIVE",
                                        { BooleanValue = false }))
      E("ValidationException", q, incl{ StringValue = "true" })
    end)

    describe("multi-attribute filters (§5.4)", function()
      local ctx, a, b
      local rows = {
        { "Active", "Admin", 100 }, { "Active", "Driver", 100 }, { "Active", "Driver", 200 },
        { "Active", "Zed", 50 }, { "Blocked", "Driver", 300 }, { "Closed", "Driver", 100 },
      }
      before_each(function()
        ctx = setup()
        a, b = obj(ctx), obj(ctx)
        for i = #rows, 1, -1 do
          local r = rows[i]
          attach(ctx, a, b, "Role", { status = { StringValue = r[1] }, role = { StringValue = r[2] },
                                      created = { DatetimeValue = r[3] } })
        end
      end)
      local function S(v) return { StringValue = v } end
      local function q(ranges)
        local out = {}
        for i, s in ipairs(outgoing(ctx, a, filter(ctx, "Role", ranges))) do
          local v = s.IdentityAttributeValues
          assert.same({ "status", "role", "created" },
                      { v[1].AttributeName, v[2].AttributeName, v[3].AttributeName })
          out[i] = { v[1].Value.StringValue, v[2].Value.StringValue, v[3].Value.DatetimeValue }
        end
        return out
      end
      local function pick(...)
        local out = {}
        for i, x in ipairs{ ... } do out[i] = rows[x] end
        return out
      end

      it("accepts exact* qualifying? full*, in identity order whatever the request order", function()
        assert.same(pick(2, 3), q{ { "status", incl(S"Active") }, { "role", incl(S"Driver") } })
        assert.same(pick(2, 3), q{ { "role", incl(S"Driver") }, { "status", incl(S"Active") } })
        assert.same(pick(3), q{ { "created", range("EXCLUSIVE", { DatetimeValue = 150 }, "LAST") },
                                { "status", incl(S"Active") }, { "role", incl(S"Driver") } })
        assert.same(pick(1, 2, 3, 4), q{ { "status", incl(S"Active") } })
        assert.same(pick(1, 2, 3), q{ { "status", incl(S"Active") },
                                      { "role", range("INCLUSIVE", S"A", "INCLUSIVE", S"M") } })
        assert.same(pick(1, 2, 3, 4, 5, 6), q{})
        assert.same(pick(5, 6), q{ { "status", range("EXCLUSIVE", S"Active", "LAST") } })
        assert.same(pick(2, 3), q{ { "status", incl(S"Active") }, { "role", incl(S"Driver") },
                                   { "created", range("FIRST", nil, "LAST") } })
        -- values given with FIRST and LAST are ignored: still the full range
        assert.same(pick(2, 3), q{ { "status", incl(S"Active") }, { "role", incl(S"Driver") },
                                   { "created", range("FIRST", { DatetimeValue = 150 }, "LAST",
                                                      { DatetimeValue = 50 }) } })
        assert.same(pick(5), q{ { "status", range("EXCLUSIVE", S"Active", "EXCLUSIVE", S"Closed") },
                                { "role", range("FIRST", nil, "LAST_BEFORE_MISSING_VALUES") },
                                { "created", range("FIRST", nil, "LAST") } })
        assert.same(pick(2), q{ { "status", incl(S"Active") }, { "role", incl(S"Driver") },
                                { "created", incl{ DatetimeValue = 100 } } })
      end)

      it("rejects other shapes, other attributes and ranges without a facet", function()
        local function bad(extra)
          local req = { DirectoryArn = ctx.dir, ObjectReference = ref(a) }
          for k, v in pairs(extra) do req[k] = v end
          return unchanged(ctx, "ValidationException", ctx.cd.ListOutgoingTypedLinks, ctx.cd, req)
        end
        bad(filter(ctx, "Role", { { "status", range("INCLUSIVE", S"A", "INCLUSIVE", S"C") },
                                  { "role", incl(S"Driver") } }))
        bad(filter(ctx, "Role", { { "role", incl(S"Driver") } }))
        bad(filter(ctx, "Role", { { "status", incl(S"Active") },
                                  { "created", incl{ DatetimeValue = 100 } } }))
        bad(filter(ctx, "Role", { { "status", range("FIRST", nil, "INCLUSIVE", S"B") },
                                  { "role", range("FIRST", nil, "INCLUSIVE", S"B") } }))
        bad(filter(ctx, "Role", { { "weight", incl{ NumberValue = "1" } } }))   -- not identity
        bad(filter(ctx, "Role", { { "bogus", incl(S"x") } }))                  -- unknown
        bad(filter(ctx, "Role", { { "status", incl(S"A") }, { "status", incl(S"A") } }))
        bad(filter(ctx, "Role", { { "created", incl(S"100") } }))                -- type
        local f = filter(ctx, "Role", { { "status", incl(S"A") } })
        f.FilterTypedLink = nil
        bad(f)
        f = filter(ctx, "Role", { { "status", incl(S"A") } })
        f.FilterAttributeRanges[1].AttributeName = nil
        bad(f)
        -- an unknown facet in the filter
        unchanged(ctx, "FacetValidationException", ctx.cd.ListIncomingTypedLinks, ctx.cd,
          { DirectoryArn = ctx.dir, ObjectReference = ref(b), FilterTypedLink = tlf(ctx, "Nope") })
        -- incoming listings take the same filters
        assert.same(2, #incoming(ctx, b, filter(ctx, "Role", { { "status", incl(S"Active") },
                                                               { "role", incl(S"Driver") } })))
        E("ValidationException", incoming, ctx, b, filter(ctx, "Role", { { "role", incl(S"Driver") } }))
      end)
    end)

    it("page with tokens that survive changes between pages", function()
      local ctx = setup()
      local a, b = obj(ctx), obj(ctx)
      local function key(i) return { StringValue = ("%03d"):format(i) } end
      for i = 2, 50, 2 do attach(ctx, a, b, "ByS", { k = key(i) }) end       -- 25 links
      local all, pages = helper.all_pages(ctx.cd, "ListOutgoingTypedLinks",
        { DirectoryArn = ctx.dir, ObjectReference = ref(a), MaxResults = 10 }, "TypedLinkSpecifiers")
      assert.are.equal(25, #all)
      assert.are.equal(3, pages)
      assert.same(firsts(outgoing(ctx, a)), firsts(all))
      -- default page size 10; MaxResults above 30 clamps to 30 (limits = "aws")
      local r = ctx.cd:ListOutgoingTypedLinks{ DirectoryArn = ctx.dir, ObjectReference = ref(a) }
      assert.are.equal(10, #r.TypedLinkSpecifiers)
      for i = 51, 60 do attach(ctx, a, b, "ByS", { k = key(i) }) end
      r = ctx.cd:ListOutgoingTypedLinks{ DirectoryArn = ctx.dir, ObjectReference = ref(a),
                                         MaxResults = 100 }
      assert.are.equal(30, #r.TypedLinkSpecifiers)
      -- changes between pages
      local p1 = ctx.cd:ListOutgoingTypedLinks{ DirectoryArn = ctx.dir, ObjectReference = ref(a),
                                                MaxResults = 5 }
      assert.same(key(10), p1.TypedLinkSpecifiers[5].IdentityAttributeValues[1].Value)
      attach(ctx, a, b, "ByS", { k = key(3) })    -- before the resume point: not seen
      attach(ctx, a, b, "ByS", { k = key(11) })   -- after: seen
      ctx.cd:DetachTypedLink{ DirectoryArn = ctx.dir,
        TypedLinkSpecifier = spec_of(ctx, a, b, "ByS", { k = key(12) }) }
      ctx.cd:DetachTypedLink{ DirectoryArn = ctx.dir,     -- the last one returned
        TypedLinkSpecifier = spec_of(ctx, a, b, "ByS", { k = key(10) }) }
      local p2 = ctx.cd:ListOutgoingTypedLinks{ DirectoryArn = ctx.dir, ObjectReference = ref(a),
                                                MaxResults = 3, NextToken = p1.NextToken }
      assert.same({ key(11), key(14), key(16) }, firsts(p2.TypedLinkSpecifiers))
      -- with a filter
      local f = filter(ctx, "ByS", { { "k", range("INCLUSIVE", key(20), "EXCLUSIVE", key(30)) } })
      f.DirectoryArn, f.ObjectReference, f.MaxResults = ctx.dir, ref(a), 2
      local got = helper.all_pages(ctx.cd, "ListOutgoingTypedLinks", f, "TypedLinkSpecifiers")
      assert.same({ key(20), key(22), key(24), key(26), key(28) }, firsts(got))
      -- the last page has no token
      r = ctx.cd:ListIncomingTypedLinks{ DirectoryArn = ctx.dir, ObjectReference = ref(b),
                                         MaxResults = 30, NextToken = nil }
      assert.is_string(r.NextToken)
      -- forged and foreign tokens
      local req = { DirectoryArn = ctx.dir, ObjectReference = ref(a), NextToken = "forged" }
      unchanged(ctx, "InvalidNextTokenException", ctx.cd.ListOutgoingTypedLinks, ctx.cd, req)
      req.NextToken = p1.NextToken:sub(1, -2) .. (p1.NextToken:sub(-1) == "A" and "B" or "A")
      E("InvalidNextTokenException", ctx.cd.ListOutgoingTypedLinks, ctx.cd, req)
      req.NextToken = p1.NextToken
      E("InvalidNextTokenException", ctx.cd.ListIncomingTypedLinks, ctx.cd, req)
      req.ObjectReference = ref(b)
      E("InvalidNextTokenException", ctx.cd.ListOutgoingTypedLinks, ctx.cd, req)
    end)

    it("reports unknown objects", function()
      local ctx = setup()
      E("ResourceNotFoundException", ctx.cd.ListOutgoingTypedLinks, ctx.cd,
        { DirectoryArn = ctx.dir, ObjectReference = { Selector = "/nobody" } })
      E("ResourceNotFoundException", ctx.cd.ListIncomingTypedLinks, ctx.cd,
        { DirectoryArn = ctx.dir, ObjectReference = { Selector = "/nobody" } })
    end)
  end)

  describe("UpdateTypedLinkFacet", function()
    local function info(cd, arn, name)
      local attrs = helper.all_pages(cd, "ListTypedLinkFacetAttributes",
        { SchemaArn = arn, Name = name }, "Attributes")
      local out = {}
      for _, a in ipairs(attrs) do out[a.Name] = a end
      return out, cd:GetTypedLinkFacetInformation{ SchemaArn = arn, Name = name }
        .IdentityAttributeOrder
    end
    local function upd(attr, action) return { Attribute = attr, Action = action } end

    it("changes attributes and the identity order of a development schema", function()
      local cd = helper.client()
      local fx = helper.fixture(cd, { publish = false, facets = object_facets(),
                                      link_facets = link_facets() })
      assert.same({}, cd:UpdateTypedLinkFacet{ SchemaArn = fx.schema_arn, Name = "Friend",
        AttributeUpdates = {
          upd(lattr("rank", "NUMBER", true, { Rules = { r = { Type = "NUMBER_COMPARISON",
                                                              Parameters = { min = "0" } } } }),
              "CREATE_OR_UPDATE"),
          upd(lattr("note", "BINARY"), "CREATE_OR_UPDATE"),
          upd(lattr("since", "STRING"), "DELETE"),
        }, IdentityAttributeOrder = { "rank" } })
      local attrs, order = info(cd, fx.schema_arn, "Friend")
      assert.same({ "rank" }, order)
      assert.is_nil(attrs.since)
      assert.are.equal("BINARY", attrs.note.Type)
      assert.are.equal("REQUIRED_ALWAYS", attrs.rank.RequiredBehavior)
      -- the new definition is what the published schema's links use
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = fx.schema_arn, Version = "1" }
        .PublishedSchemaArn
      local d = cd:CreateDirectory{ Name = helper.unique("d"), SchemaArn = pub }
      local ctx = { cd = cd, dir = d.DirectoryArn, schema = d.AppliedSchemaArn }
      local a, b = obj(ctx), obj(ctx)
      E("FacetValidationException", cd.AttachTypedLink, cd,
        attach_req(ctx, a, b, "Friend", { since = { StringValue = "x" } }))
      E("FacetValidationException", cd.AttachTypedLink, cd,
        attach_req(ctx, a, b, "Friend", { rank = { NumberValue = "-1" } }))
      local s = attach(ctx, a, b, "Friend", { rank = { NumberValue = "2" } })
      assert.same({ { AttributeName = "rank", Value = { NumberValue = "2" } } },
                  s.IdentityAttributeValues)
    end)

    it("rejects bad updates, other schema kinds and unknown facets, changing nothing", function()
      local cd, _, path = helper.client()
      local fx = helper.fixture(cd, { link_facets = link_facets() })
      local ctx = { path = path }
      local function bad(code, req)
        req.SchemaArn = req.SchemaArn or fx.schema_arn
        req.Name = req.Name or "Role"
        req.AttributeUpdates = req.AttributeUpdates or {}
        req.IdentityAttributeOrder = req.IdentityAttributeOrder or { "status", "role", "created" }
        return unchanged(ctx, code, cd.UpdateTypedLinkFacet, cd, req)
      end
      bad("InvalidFacetUpdateException", { AttributeUpdates = { upd(lattr("nope", "STRING"), "DELETE") } })
      bad("InvalidFacetUpdateException", { AttributeUpdates = {
        upd(lattr("tag", "STRING"), "CREATE_OR_UPDATE"), upd(lattr("tag", "STRING"), "DELETE") } })
      bad("FacetValidationException", { IdentityAttributeOrder = { "status", "nope" } })
      bad("FacetValidationException", { IdentityAttributeOrder = { "status", "tag" } })   -- optional
      bad("FacetValidationException", { IdentityAttributeOrder = { "status", "status" } })
      bad("FacetValidationException", { AttributeUpdates = { upd(lattr("role", "STRING"), "DELETE") } })
      bad("FacetValidationException", { AttributeUpdates = {
        upd(lattr("role", "STRING", false), "CREATE_OR_UPDATE") } })                  -- now optional
      bad("FacetValidationException", { AttributeUpdates = { upd(lattr("x", "NUMBER", false,
        { DefaultValue = { StringValue = "1" } }), "CREATE_OR_UPDATE") } })
      -- a default its rules refuse: new attribute, or new rules over a kept default
      local e = bad("FacetValidationException", { AttributeUpdates = { upd(lattr("x", "NUMBER",
        false, { DefaultValue = { NumberValue = "0" },
                 Rules = { pos = { Type = "NUMBER_COMPARISON", Parameters = { min = "1" } } } }),
        "CREATE_OR_UPDATE") } })
      assert.matches("DefaultValue.*attribute 'x'.*rule 'pos'", e.message)
      bad("FacetValidationException", { AttributeUpdates = { upd(lattr("label", "STRING", false,
        { DefaultValue = { StringValue = "none" },
          Rules = { len = { Type = "STRING_LENGTH", Parameters = { max = "3" } } } }),
        "CREATE_OR_UPDATE") } })
      bad("InvalidRuleException", { AttributeUpdates = { upd(lattr("x", "NUMBER", false,
        { Rules = { r = { Type = "STRING_LENGTH", Parameters = { max = "1" } } } }),
        "CREATE_OR_UPDATE") } })
      bad("InvalidRuleException", { AttributeUpdates = { upd(lattr("x", "STRING", false,
        { Rules = { r = { Type = "STRING_LENGTH", Parameters = { most = "1" } } } }),
        "CREATE_OR_UPDATE") } })
      bad("FacetNotFoundException", { Name = "Nope" })
      bad("InvalidArnException", { SchemaArn = fx.published_arn })
      bad("InvalidFacetUpdateException", { SchemaArn = fx.applied_arn })
      bad("FacetNotFoundException", { SchemaArn = fx.applied_arn, Name = "Nope" })
      bad("InvalidArnException", { SchemaArn = fx.base_arn })
      bad("ResourceNotFoundException", { SchemaArn = fx.schema_arn .. "x" })
    end)
  end)
end)
