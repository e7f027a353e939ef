-- managed_schema_spec.lua — the managed QuickStart schema (semantics §2.4):
-- ListManagedSchemaArns, CreateDirectory / ApplySchema with its ARN, its facets through the
-- schema reads, objects with DynamicObjectFacet (VARIANT values of every type) beside a base
-- facet, and typed links with DynamicTypedLinkFacet.
local helper = require "spec.helper"
local clouddir = require "clouddir"
local F = require "spec.data_fixtures"

local expect = helper.expect_error
local MANAGED = "arn:aws:clouddirectory:::schema/managed/quick_start/1.0/001"
local MAJOR = "arn:aws:clouddirectory:::schema/managed/quick_start/1.0"

-- A directory created with the managed schema: ctx { cd, dir, root, base, path }.
local function quick_start(schema_arn)
  local cd, _, path = helper.client()
  local d = cd:CreateDirectory{ Name = helper.unique("qs"), SchemaArn = schema_arn or MANAGED }
  return { cd = cd, dir = d.DirectoryArn, root = d.ObjectIdentifier, applied = d.AppliedSchemaArn,
           base = d.DirectoryArn .. "/schema/CloudDirectory/1.0", path = path }
end

local function dynamic() return { SchemaArn = MAJOR, FacetName = "DynamicObjectFacet" } end
local function node(ctx) return { SchemaArn = ctx.base, FacetName = "NODE" } end
local function key(name) return { SchemaArn = MAJOR, FacetName = "DynamicObjectFacet", Name = name } end
local function sel(id) return { Selector = "$" .. id } end

local VALUES = {
  s = { StringValue = "text" },
  b = { BinaryValue = "\0\1\2" },
  t = { BooleanValue = true },
  n = { NumberValue = "12.5" },
  d = { DatetimeValue = 1500000000 },
}

describe("the managed QuickStart schema", function()
  after_each(helper.cleanup)

  it("is listed by ListManagedSchemaArns", function()
    local cd = helper.client()
    assert.same({ SchemaArns = { MANAGED } }, cd:ListManagedSchemaArns{})
    assert.same({ SchemaArns = { MANAGED } }, cd:ListManagedSchemaArns{ SchemaArn = MAJOR })
    expect("InvalidArnException", cd.ListManagedSchemaArns, cd, { SchemaArn = MANAGED })
    expect("ResourceNotFoundException", cd.ListManagedSchemaArns, cd,
           { SchemaArn = "arn:aws:clouddirectory:::schema/managed/other/1.0" })
    expect("InvalidArnException", cd.ListManagedSchemaArns, cd,
           { SchemaArn = "arn:aws:clouddirectory:us-east-1:123456789012:schema/published/x/1" })
    expect("InvalidNextTokenException", cd.ListManagedSchemaArns, cd, { NextToken = "garbage" })
    -- not a published schema of the store
    assert.same({}, cd:ListPublishedSchemaArns{}.SchemaArns)
  end)

  it("describes its facets through the schema reads", function()
    local cd = helper.client()
    for _, arn in ipairs{ MANAGED, MAJOR } do
      assert.same({ "DynamicObjectFacet" }, cd:ListFacetNames{ SchemaArn = arn }.FacetNames)
      assert.same({ Name = "DynamicObjectFacet", FacetStyle = "DYNAMIC" },
                  cd:GetFacet{ SchemaArn = arn, Name = "DynamicObjectFacet" }.Facet)
      assert.same({}, cd:ListFacetAttributes{ SchemaArn = arn, Name = "DynamicObjectFacet" }.Attributes)
      assert.same({ "DynamicTypedLinkFacet" }, cd:ListTypedLinkFacetNames{ SchemaArn = arn }.FacetNames)
      assert.same({ "DynamicTypedLinkAttribute" }, cd:GetTypedLinkFacetInformation{ SchemaArn = arn,
        Name = "DynamicTypedLinkFacet" }.IdentityAttributeOrder)
      local a = cd:ListTypedLinkFacetAttributes{ SchemaArn = arn, Name = "DynamicTypedLinkFacet" }.Attributes
      assert.equal(1, #a)
      assert.equal("DynamicTypedLinkAttribute", a[1].Name)
      assert.equal("VARIANT", a[1].Type)
      assert.equal("REQUIRED_ALWAYS", a[1].RequiredBehavior)
      assert.is_false(a[1].IsImmutable)
    end
    expect("FacetNotFoundException", cd.GetFacet, cd, { SchemaArn = MANAGED, Name = "Nope" })
    expect("FacetNotFoundException", cd.GetTypedLinkFacetInformation, cd, { SchemaArn = MANAGED, Name = "Nope" })
    expect("ResourceNotFoundException", cd.GetFacet, cd,
           { SchemaArn = MAJOR .. "/002", Name = "DynamicObjectFacet" })
    -- it cannot change
    expect("InvalidArnException", cd.CreateFacet, cd, { SchemaArn = MANAGED, Name = "X", ObjectType = "NODE" })
    expect("InvalidArnException", cd.DeleteFacet, cd, { SchemaArn = MANAGED, Name = "DynamicObjectFacet" })
    expect("InvalidArnException", cd.DeleteSchema, cd, { SchemaArn = MANAGED })
  end)

  it("is described by GetSchemaAsJson as the developer guide prints it", function()
    local cd = helper.client()
    local doc = clouddir.json_decode(cd:GetSchemaAsJson{ SchemaArn = MANAGED }.Document)
    assert.equal(MANAGED, doc.sourceSchemaArn)
    assert.equal("DYNAMIC", doc.facets.DynamicObjectFacet.facetStyle)
    assert.is_nil(doc.facets.DynamicObjectFacet.objectType)
    local tl = doc.typedLinkFacets.DynamicTypedLinkFacet
    assert.same({ "DynamicTypedLinkAttribute" }, { table.unpack(tl.identityAttributeOrder) })
    local a = tl.facetAttributes.DynamicTypedLinkAttribute
    assert.equal("VARIANT", a.attributeDefinition.attributeType)
    assert.equal("REQUIRED_ALWAYS", a.requiredBehavior)
  end)

  it("makes directories with CreateDirectory, with or without the minor version", function()
    for _, arn in ipairs{ MANAGED, MAJOR } do
      local ctx = quick_start(arn)
      assert.equal(MAJOR, ctx.applied)
      assert.same({ MAJOR }, ctx.cd:ListAppliedSchemaArns{ DirectoryArn = ctx.dir }.SchemaArns)
      assert.same({ MANAGED }, ctx.cd:ListAppliedSchemaArns{ DirectoryArn = ctx.dir,
                                                             SchemaArn = MAJOR }.SchemaArns)
      assert.equal(MANAGED, ctx.cd:GetAppliedSchemaVersion{ SchemaArn = MAJOR }.AppliedSchemaArn)
      expect("InvalidAttachmentException", ctx.cd.ApplySchema, ctx.cd,
             { PublishedSchemaArn = MANAGED, DirectoryArn = ctx.dir })
      expect("SchemaAlreadyExistsException", ctx.cd.UpgradeAppliedSchema, ctx.cd,
             { PublishedSchemaArn = MANAGED, DirectoryArn = ctx.dir })
    end
    local cd = helper.client()
    expect("ResourceNotFoundException", cd.CreateDirectory, cd, { Name = "x",
      SchemaArn = "arn:aws:clouddirectory:::schema/managed/quick_start/1.0/002" })
    expect("ResourceNotFoundException", cd.CreateDirectory, cd, { Name = "x",
      SchemaArn = "arn:aws:clouddirectory:::schema/managed/other/1.0/001" })
    expect("InvalidArnException", cd.CreateDirectory, cd, { Name = "x",
      SchemaArn = "arn:aws:clouddirectory:us-east-1:123456789012:schema/managed/quick_start/1.0/001" })
  end)

  it("is applied with ApplySchema beside a schema of the store's own", function()
    local cd = helper.client()
    local fx = helper.fixture(cd)
    local r = cd:ApplySchema{ PublishedSchemaArn = MANAGED, DirectoryArn = fx.directory_arn }
    assert.same({ AppliedSchemaArn = MAJOR, DirectoryArn = fx.directory_arn }, r)
    local listed = cd:ListAppliedSchemaArns{ DirectoryArn = fx.directory_arn }.SchemaArns
    table.sort(listed)
    local want = { fx.applied_arn, MAJOR }
    table.sort(want)
    assert.same(want, listed)
    -- one object with a facet of each
    local id = cd:CreateObject{ DirectoryArn = fx.directory_arn, SchemaFacets = {
      { SchemaArn = fx.applied_arn, FacetName = "Group" },
      { SchemaArn = MAJOR, FacetName = "DynamicObjectFacet" } },
      ObjectAttributeList = { { Key = { SchemaArn = MAJOR, FacetName = "DynamicObjectFacet",
        Name = "color" }, Value = { StringValue = "red" } } } }.ObjectIdentifier
    local info = cd:GetObjectInformation{ DirectoryArn = fx.directory_arn, ObjectReference = sel(id) }
    assert.equal(2, #info.SchemaFacets)
    -- a directory without it cannot use it
    local other = cd:CreateDirectory{ Name = "other", SchemaArn = fx.published_arn }.DirectoryArn
    expect("FacetValidationException", cd.CreateObject, cd, { DirectoryArn = other,
      SchemaFacets = { { SchemaArn = other .. "/schema/CloudDirectory/1.0", FacetName = "NODE" },
                       { SchemaArn = MAJOR, FacetName = "DynamicObjectFacet" } } })
    expect("ResourceNotFoundException", cd.UpgradeAppliedSchema, cd,
           { PublishedSchemaArn = MANAGED, DirectoryArn = other })
    expect("ResourceNotFoundException", cd.ListAppliedSchemaArns, cd,
           { DirectoryArn = other, SchemaArn = MAJOR })
  end)

  it("holds objects with DynamicObjectFacet beside a base facet, with VARIANT values of every type", function()
    local ctx = quick_start()
    local cd = ctx.cd
    local list = {}
    for _, n in ipairs{ "b", "d", "n", "s", "t" } do list[#list + 1] = { Key = key(n), Value = VALUES[n] } end
    local id = cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { node(ctx), dynamic() },
      ObjectAttributeList = list, ParentReference = { Selector = "/" }, LinkName = "thing" }.ObjectIdentifier
    local v = F.values(ctx, "/thing")
    for n, want in pairs(VALUES) do assert.same(want, v["DynamicObjectFacet." .. n], n) end
    local info = cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = sel(id) }
    local facets = {}
    for _, sf in ipairs(info.SchemaFacets) do facets[#facets + 1] = sf.SchemaArn .. "#" .. sf.FacetName end
    table.sort(facets)
    assert.same({ MAJOR .. "#DynamicObjectFacet", ctx.base .. "#NODE" }, facets)
    -- a value may change its type; new names may appear
    cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = sel(id), AttributeUpdates = {
      { ObjectAttributeKey = key("s"), ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
        ObjectAttributeUpdateValue = { NumberValue = "7" } } },
      { ObjectAttributeKey = key("fresh"), ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
        ObjectAttributeUpdateValue = { BooleanValue = false } } },
      { ObjectAttributeKey = key("t"), ObjectAttributeAction = { ObjectAttributeActionType = "DELETE" } } } }
    v = F.values(ctx, "/thing")
    assert.same({ NumberValue = "7" }, v["DynamicObjectFacet.s"])
    assert.same({ BooleanValue = false }, v["DynamicObjectFacet.fresh"])
    assert.is_nil(v["DynamicObjectFacet.t"])
    local got = cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = sel(id),
      SchemaFacet = dynamic(), AttributeNames = { "n" } }.Attributes
    assert.same({ { Key = key("n"), Value = VALUES.n } }, got)
    -- the facet alone gives the object no type; a minor version in the data plane is refused
    expect("FacetValidationException", cd.CreateObject, cd, { DirectoryArn = ctx.dir,
      SchemaFacets = { dynamic() } })
    expect("InvalidArnException", cd.CreateObject, cd, { DirectoryArn = ctx.dir,
      SchemaFacets = { node(ctx), { SchemaArn = MANAGED, FacetName = "DynamicObjectFacet" } } })
    expect("FacetValidationException", cd.CreateObject, cd, { DirectoryArn = ctx.dir,
      SchemaFacets = { node(ctx), { SchemaArn = MAJOR, FacetName = "Nope" } } })
    -- the facet can be added to and removed from an existing object
    local leaf = cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = {
      { SchemaArn = ctx.base, FacetName = "LEAF_NODE" } } }.ObjectIdentifier
    cd:AddFacetToObject{ DirectoryArn = ctx.dir, ObjectReference = sel(leaf), SchemaFacet = dynamic(),
      ObjectAttributeList = { { Key = key("k"), Value = { StringValue = "v" } } } }
    assert.same({ StringValue = "v" }, F.values(ctx, "$" .. leaf)["DynamicObjectFacet.k"])
    cd:RemoveFacetFromObject{ DirectoryArn = ctx.dir, ObjectReference = sel(leaf), SchemaFacet = dynamic() }
    assert.is_nil(F.values(ctx, "$" .. leaf)["DynamicObjectFacet.k"])
  end)

  it("links objects with DynamicTypedLinkFacet, its identity a VARIANT of any type", function()
    local ctx = quick_start()
    local cd = ctx.cd
    local function obj(link)
      return cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { node(ctx), dynamic() },
        ParentReference = { Selector = "/" }, LinkName = link }.ObjectIdentifier
    end
    local a, b = obj("a"), obj("b")
    local tlf = { SchemaArn = MAJOR, TypedLinkName = "DynamicTypedLinkFacet" }
    local specs = {}
    for _, n in ipairs{ "b", "d", "n", "s", "t" } do
      local r = cd:AttachTypedLink{ DirectoryArn = ctx.dir, SourceObjectReference = sel(a),
        TargetObjectReference = sel(b), TypedLinkFacet = tlf,
        Attributes = { { AttributeName = "DynamicTypedLinkAttribute", Value = VALUES[n] } } }
      assert.same(tlf, r.TypedLinkSpecifier.TypedLinkFacet)
      specs[#specs + 1] = r.TypedLinkSpecifier
    end
    local out = helper.all_pages(cd, "ListOutgoingTypedLinks",
      { DirectoryArn = ctx.dir, ObjectReference = sel(a) }, "TypedLinkSpecifiers")
    assert.equal(5, #out)
    for _, s in ipairs(out) do assert.same(tlf, s.TypedLinkFacet) end
    local inc = helper.all_pages(cd, "ListIncomingTypedLinks",
      { DirectoryArn = ctx.dir, ObjectReference = sel(b), FilterTypedLink = tlf }, "LinkSpecifiers")
    assert.equal(5, #inc)
    -- the identity is required; the same identity twice is one link
    expect("FacetValidationException", cd.AttachTypedLink, cd, { DirectoryArn = ctx.dir,
      SourceObjectReference = sel(a), TargetObjectReference = sel(b), TypedLinkFacet = tlf, Attributes = {} })
    expect("InvalidAttachmentException", cd.AttachTypedLink, cd, { DirectoryArn = ctx.dir,
      SourceObjectReference = sel(a), TargetObjectReference = sel(b), TypedLinkFacet = tlf,
      Attributes = { { AttributeName = "DynamicTypedLinkAttribute", Value = VALUES.s } } })
    local got = cd:GetLinkAttributes{ DirectoryArn = ctx.dir, TypedLinkSpecifier = specs[4],
      AttributeNames = { "DynamicTypedLinkAttribute" } }.Attributes
    assert.same({ { Key = { SchemaArn = MAJOR, FacetName = "DynamicTypedLinkFacet",
      Name = "DynamicTypedLinkAttribute" }, Value = VALUES.s } }, got)
    cd:DetachTypedLink{ DirectoryArn = ctx.dir, TypedLinkSpecifier = specs[1] }
    assert.equal(4, #helper.all_pages(cd, "ListOutgoingTypedLinks",
      { DirectoryArn = ctx.dir, ObjectReference = sel(a) }, "TypedLinkSpecifiers"))
    -- a directory without the managed schema cannot use its typed link facet
    local cd2 = helper.client()
    local fx = helper.fixture(cd2)
    local x = cd2:CreateObject{ DirectoryArn = fx.directory_arn, SchemaFacets = {
      { SchemaArn = fx.applied_arn, FacetName = "Group" } } }.ObjectIdentifier
    expect("FacetValidationException", cd2.AttachTypedLink, cd2, { DirectoryArn = fx.directory_arn,
      SourceObjectReference = sel(x), TargetObjectReference = sel(x), TypedLinkFacet = tlf,
      Attributes = { { AttributeName = "DynamicTypedLinkAttribute", Value = VALUES.s } } })
  end)
end)
