-- schema_evolution_spec.lua — schemas that change: UpdateFacet (development, applied,
-- published), UpdateSchema, minor versions (PublishSchema with MinorVersion,
-- UpgradePublishedSchema, UpgradeAppliedSchema, GetAppliedSchemaVersion, the listings with a
-- major-version ARN), the compatibility rules of semantics §2.3 and DryRun.
local helper = require "spec.helper"
local F = require "spec.data_fixtures"

local attr, ref = helper.attr, helper.ref
local expect = helper.expect_error

local function update(name, facet, action) return { Action = action or "CREATE_OR_UPDATE", Attribute = facet } end

-- The attributes of a facet as { name = FacetAttribute }.
local function attributes(cd, arn, facet)
  local out = {}
  local list = helper.all_pages(cd, "ListFacetAttributes", { SchemaArn = arn, Name = facet },
                                "Attributes")
  for _, a in ipairs(list) do out[a.Name] = a end
  return out
end

-- A development schema with the default facets and typed-link facet (helper.fixture).
local function dev_schema(cd)
  return helper.fixture(cd, { publish = false })
end

local function upd(cd, arn, facet, updates, object_type)
  return cd:UpdateFacet{ SchemaArn = arn, Name = facet, AttributeUpdates = updates,
                         ObjectType = object_type }
end

describe("UpdateFacet", function()
  after_each(helper.cleanup)

  describe("on a development schema", function()
    it("creates, replaces and deletes attributes and changes the object type", function()
      local cd = helper.client()
      local fx = dev_schema(cd)
      local r = upd(cd, fx.schema_arn, "Person", {
        update(nil, attr("phone", "STRING", { rules = {
          len = { Type = "STRING_LENGTH", Parameters = { min = "3", max = "20" } } } })),
        update(nil, attr("age", "STRING")),                       -- NUMBER -> STRING
        update(nil, { Name = "photo" }, "DELETE"),
      })
      assert.same({}, r)
      local a = attributes(cd, fx.schema_arn, "Person")
      assert.is_nil(a.photo)
      assert.equal("STRING", a.age.AttributeDefinition.Type)
      assert.equal("STRING_LENGTH", a.phone.AttributeDefinition.Rules.len.Type)
      assert.equal("NOT_REQUIRED", a.phone.RequiredBehavior)
      upd(cd, fx.schema_arn, "Group", nil, "LEAF_NODE")
      assert.equal("LEAF_NODE", cd:GetFacet{ SchemaArn = fx.schema_arn, Name = "Group" }.Facet.ObjectType)
      -- an empty update changes nothing
      upd(cd, fx.schema_arn, "Group")
      assert.equal("LEAF_NODE", cd:GetFacet{ SchemaArn = fx.schema_arn, Name = "Group" }.Facet.ObjectType)
      -- references: add one, and delete it again
      upd(cd, fx.schema_arn, "Group", { update(nil, ref("mail", "Person", "email")) })
      assert.equal("email", attributes(cd, fx.schema_arn, "Group").mail.AttributeReference.TargetAttributeName)
      upd(cd, fx.schema_arn, "Group", { update(nil, { Name = "mail" }, "DELETE") })
      assert.is_nil(attributes(cd, fx.schema_arn, "Group").mail)
    end)

    it("raises the exception each bad update deserves, and changes nothing", function()
      local cd, _, path = helper.client()
      local fx = dev_schema(cd)
      local before = F.dump(path)
      local S = fx.schema_arn
      expect("FacetNotFoundException", upd, cd, S, "Nope", {})
      expect("InvalidFacetUpdateException", upd, cd, S, "Person",
             { update(nil, { Name = "ghost" }, "DELETE") })
      expect("InvalidFacetUpdateException", upd, cd, S, "Person",
             { update(nil, attr("x")), update(nil, { Name = "x" }, "DELETE") })
      expect("InvalidRuleException", upd, cd, S, "Person", { update(nil, attr("x", "NUMBER",
        { rules = { r = { Type = "STRING_LENGTH", Parameters = { min = "1" } } } })) })
      expect("InvalidRuleException", upd, cd, S, "Person", { update(nil, attr("x", "STRING",
        { rules = { r = { Type = "STRING_LENGTH", Parameters = { least = "1" } } } })) })
      expect("FacetValidationException", upd, cd, S, "Person", { update(nil, attr("x", "NUMBER",
        { default = { StringValue = "one" } })) })
      expect("FacetValidationException", upd, cd, S, "Person", { update(nil, { Name = "x",
        RequiredBehavior = "NOT_REQUIRED" }) })
      expect("FacetValidationException", upd, cd, S, "Group",
             { update(nil, ref("r", "Nope", "x")) })
      expect("FacetValidationException", upd, cd, S, "Group",
             { update(nil, ref("r", "Person", "nick")) })   -- a reference to a reference
      -- Person.nick refers to Person.email: email cannot go, nor become a reference
      local e = expect("InvalidFacetUpdateException", upd, cd, S, "Person",
                       { update(nil, { Name = "email" }, "DELETE") })
      assert.matches("nick", e.message, 1, true)
      expect("InvalidFacetUpdateException", upd, cd, S, "Person",
             { update(nil, ref("email", "Group", "name")) })
      -- a static facet keeps an object type; the enum is shape-checked
      expect("ValidationException", upd, cd, S, "Person", nil, "TREE")
      expect("ValidationException", upd, cd, S, "Person", { { Attribute = attr("x") } })
      assert.equal(before, F.dump(path))
    end)

    it("keeps the per-facet limits", function()
      local cd = helper.client()
      local fx = dev_schema(cd)
      local rules = {}
      for i = 1, 6 do rules["r" .. i] = { Type = "STRING_LENGTH", Parameters = { min = "1" } } end
      expect("LimitExceededException", upd, cd, fx.schema_arn, "Person",
             { update(nil, attr("x", "STRING", { rules = rules })) })
    end)
  end)

  describe("on an applied schema", function()
    it("adds NOT_REQUIRED attributes, which objects can then use", function()
      local cd = helper.client()
      local fx = helper.fixture(cd)
      local id = cd:CreateObject{ DirectoryArn = fx.directory_arn,
        SchemaFacets = { { SchemaArn = fx.applied_arn, FacetName = "Person" } },
        ObjectAttributeList = { { Key = { SchemaArn = fx.applied_arn, FacetName = "Person",
          Name = "email" }, Value = { StringValue = "a@x" } } } }.ObjectIdentifier
      upd(cd, fx.applied_arn, "Person", { update(nil, attr("phone")) })
      -- re-stating an attribute as it is changes nothing and is accepted
      upd(cd, fx.applied_arn, "Person", { update(nil, attr("age", "NUMBER")) }, "LEAF_NODE")
      cd:UpdateObjectAttributes{ DirectoryArn = fx.directory_arn, ObjectReference = { Selector = "$" .. id },
        AttributeUpdates = { { ObjectAttributeKey = { SchemaArn = fx.applied_arn,
          FacetName = "Person", Name = "phone" }, ObjectAttributeAction = {
          ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = {
            StringValue = "555" } } } } }
      local got = cd:GetObjectAttributes{ DirectoryArn = fx.directory_arn,
        ObjectReference = { Selector = "$" .. id }, SchemaFacet = { SchemaArn = fx.applied_arn,
        FacetName = "Person" }, AttributeNames = { "phone", "email" } }.Attributes
      assert.equal(2, #got)
      -- the published schema it came from is unchanged
      assert.is_nil(attributes(cd, fx.published_arn, "Person").phone)
    end)

    it("refuses every other change with InvalidFacetUpdateException", function()
      local cd, _, path = helper.client()
      local fx = helper.fixture(cd)
      local A = fx.applied_arn
      local before = F.dump(path)
      expect("InvalidFacetUpdateException", upd, cd, A, "Person",
             { update(nil, attr("x", "STRING", { required = true })) })
      expect("InvalidFacetUpdateException", upd, cd, A, "Person", { update(nil, attr("age", "STRING")) })
      expect("InvalidFacetUpdateException", upd, cd, A, "Person",
             { update(nil, attr("age", "NUMBER", { immutable = true })) })
      expect("InvalidFacetUpdateException", upd, cd, A, "Person", { update(nil, { Name = "age" }, "DELETE") })
      expect("InvalidFacetUpdateException", upd, cd, A, "Group", nil, "LEAF_NODE")
      expect("FacetNotFoundException", upd, cd, A, "Nope", {})
      assert.equal(before, F.dump(path))
    end)
  end)

  it("cannot change a published or managed schema (InvalidArnException)", function()
    local cd = helper.client()
    local fx = helper.fixture(cd, { directory = false })
    expect("InvalidArnException", upd, cd, fx.published_arn, "Person", { update(nil, attr("x")) })
    expect("InvalidArnException", upd, cd,
           "arn:aws:clouddirectory:::schema/managed/quick_start/1.0/001", "DynamicObjectFacet", {})
    expect("InvalidArnException", upd, cd, "not an arn", "Person", {})
  end)
end)

describe("UpdateSchema", function()
  after_each(helper.cleanup)

  it("renames a development schema: new ARN, facets move with it, the old name is free", function()
    local cd = helper.client()
    local fx = dev_schema(cd)
    local r = cd:UpdateSchema{ SchemaArn = fx.schema_arn, Name = "renamed" }
    assert.equal(fx.schema_arn:gsub("/[^/]+$", "/renamed"), r.SchemaArn)
    assert.same({ "Group", "Person", "Rule" },
                cd:ListFacetNames{ SchemaArn = r.SchemaArn }.FacetNames)
    assert.same({ "Friend" }, cd:ListTypedLinkFacetNames{ SchemaArn = r.SchemaArn }.FacetNames)
    expect("ResourceNotFoundException", cd.GetFacet, cd, { SchemaArn = fx.schema_arn, Name = "Group" })
    local arns = cd:ListDevelopmentSchemaArns{}.SchemaArns
    assert.same({ r.SchemaArn }, arns)
    local again = cd:CreateSchema{ Name = fx.schema_name }.SchemaArn   -- the old name is free
    assert.equal(fx.schema_arn, again)
    assert.same({}, cd:ListFacetNames{ SchemaArn = again }.FacetNames)
    -- the same name is a no-op; a taken one is refused
    assert.equal(r.SchemaArn, cd:UpdateSchema{ SchemaArn = r.SchemaArn, Name = "renamed" }.SchemaArn)
    expect("SchemaAlreadyExistsException", cd.UpdateSchema, cd, { SchemaArn = again, Name = "renamed" })
    -- the renamed schema publishes under its new name
    local pub = cd:PublishSchema{ DevelopmentSchemaArn = r.SchemaArn, Version = "1" }.PublishedSchemaArn
    assert.equal(":schema/published/renamed/1", pub:sub(-#":schema/published/renamed/1"))
  end)

  it("renames development schemas only", function()
    local cd = helper.client()
    local fx = helper.fixture(cd)
    expect("InvalidArnException", cd.UpdateSchema, cd, { SchemaArn = fx.published_arn, Name = "x" })
    expect("InvalidArnException", cd.UpdateSchema, cd, { SchemaArn = fx.applied_arn, Name = "x" })
    expect("ResourceNotFoundException", cd.UpdateSchema, cd,
           { SchemaArn = fx.schema_arn:gsub("/[^/]+$", "/nope"), Name = "x" })
    expect("ValidationException", cd.UpdateSchema, cd, { SchemaArn = fx.schema_arn, Name = "bad name" })
  end)
end)

-- A store with org 1.0 (minor "a") published and applied to a directory, plus the
-- development schema it came from: ctx { cd, path, dev, pub, major, dir, applied }.
local function versioned(options)
  local cd, store, path = helper.client(options)
  local fx = helper.fixture(cd, { schema = "org", version = "1.0", minor = "a" })
  return { cd = cd, store = store, path = path, dev = fx.schema_arn, pub = fx.published_arn,
           major = fx.published_arn:gsub("/a$", ""), dir = fx.directory_arn,
           applied = fx.applied_arn, root = fx.root }
end

local function upgrade_pub(ctx, minor, dry)
  return ctx.cd:UpgradePublishedSchema{ DevelopmentSchemaArn = ctx.dev,
    PublishedSchemaArn = ctx.major, MinorVersion = minor, DryRun = dry }
end

local function upgrade_dir(ctx, pub, dry)
  return ctx.cd:UpgradeAppliedSchema{ PublishedSchemaArn = pub, DirectoryArn = ctx.dir,
                                     DryRun = dry }
end

-- The compatible changes: a new facet, a new NOT_REQUIRED attribute, a new typed-link facet
-- and a new NOT_REQUIRED typed-link attribute.
local function compatible_changes(ctx)
  local cd = ctx.cd
  cd:CreateFacet{ SchemaArn = ctx.dev, Name = "Badge", ObjectType = "LEAF_NODE",
                  Attributes = { attr("code", "STRING", { required = true }) } }
  upd(cd, ctx.dev, "Person", { update(nil, attr("phone", "STRING",
    { default = { StringValue = "none" } })) })
  cd:CreateTypedLinkFacet{ SchemaArn = ctx.dev, Facet = { Name = "Knows", Attributes = {
    { Name = "how", Type = "STRING", RequiredBehavior = "REQUIRED_ALWAYS" } },
    IdentityAttributeOrder = { "how" } } }
  cd:UpdateTypedLinkFacet{ SchemaArn = ctx.dev, Name = "Friend", IdentityAttributeOrder = { "since" },
    AttributeUpdates = { { Action = "CREATE_OR_UPDATE", Attribute = {
      Name = "weight", Type = "NUMBER", RequiredBehavior = "NOT_REQUIRED" } } } }
end

describe("minor versions", function()
  after_each(helper.cleanup)

  it("PublishSchema with MinorVersion starts a major version with that revision", function()
    local ctx = versioned()
    assert.equal(":schema/published/org/1.0/a", ctx.pub:sub(-#":schema/published/org/1.0/a"))
    assert.same({ ctx.major }, ctx.cd:ListPublishedSchemaArns{}.SchemaArns)
    assert.same({ ctx.pub }, ctx.cd:ListPublishedSchemaArns{ SchemaArn = ctx.major }.SchemaArns)
    assert.equal(ctx.dir .. "/schema/org/1.0/a",
                 ctx.cd:GetAppliedSchemaVersion{ SchemaArn = ctx.applied }.AppliedSchemaArn)
    assert.same({ ctx.dir .. "/schema/org/1.0/a" },
                ctx.cd:ListAppliedSchemaArns{ DirectoryArn = ctx.dir, SchemaArn = ctx.applied }.SchemaArns)
  end)

  describe("UpgradePublishedSchema", function()
    it("adds a revision of the major version from the development schema", function()
      local ctx = versioned()
      compatible_changes(ctx)
      local r = upgrade_pub(ctx, "b")
      assert.equal(ctx.major .. "/b", r.UpgradedSchemaArn)
      assert.same({ ctx.pub, ctx.major .. "/b" },
                  ctx.cd:ListPublishedSchemaArns{ SchemaArn = ctx.major }.SchemaArns)
      assert.same({ ctx.major }, ctx.cd:ListPublishedSchemaArns{}.SchemaArns)
      -- the revision has the new content, the old one is unchanged; the major ARN names the newest
      assert.same({ "Badge", "Group", "Person", "Rule" },
                  ctx.cd:ListFacetNames{ SchemaArn = r.UpgradedSchemaArn }.FacetNames)
      assert.same({ "Group", "Person", "Rule" }, ctx.cd:ListFacetNames{ SchemaArn = ctx.pub }.FacetNames)
      assert.same({ "Badge", "Group", "Person", "Rule" },
                  ctx.cd:ListFacetNames{ SchemaArn = ctx.major }.FacetNames)
      -- naming the minor version it builds on works as well
      upd(ctx.cd, ctx.dev, "Group", { update(nil, attr("motto")) })
      assert.equal(ctx.major .. "/c", ctx.cd:UpgradePublishedSchema{ DevelopmentSchemaArn = ctx.dev,
        PublishedSchemaArn = ctx.major .. "/b", MinorVersion = "c" }.UpgradedSchemaArn)
    end)

    it("DryRun checks and changes nothing", function()
      local ctx = versioned()
      compatible_changes(ctx)
      local before = F.dump(ctx.path)
      assert.equal(ctx.major .. "/b", upgrade_pub(ctx, "b", true).UpgradedSchemaArn)
      assert.equal(before, F.dump(ctx.path))
      upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("age", "STRING")) })
      before = F.dump(ctx.path)
      expect("IncompatibleSchemaException", upgrade_pub, ctx, "b", true)
      assert.equal(before, F.dump(ctx.path))
    end)

    -- Each incompatible change, made to a fresh development schema.
    local incompatible = {
      ["a changed type"] = { "age", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("age", "STRING")) }) end },
      ["a removed facet"] = { "Group", function(ctx)
        ctx.cd:DeleteFacet{ SchemaArn = ctx.dev, Name = "Group" } end },
      ["a removed attribute"] = { "photo", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, { Name = "photo" }, "DELETE") }) end },
      ["a new REQUIRED attribute"] = { "REQUIRED_ALWAYS", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("x", "STRING", { required = true })) }) end },
      ["an attribute made required"] = { "age", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("age", "NUMBER", { required = true })) }) end },
      ["changed rules"] = { "rules", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("age", "NUMBER", { rules = {
          r = { Type = "NUMBER_COMPARISON", Parameters = { min = "0" } } } })) }) end },
      ["a changed default"] = { "default", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("age", "NUMBER",
          { default = { NumberValue = "1" } })) }) end },
      ["changed immutability"] = { "immutable", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, attr("age", "NUMBER", { immutable = true })) }) end },
      ["a changed reference target"] = { "nick", function(ctx)
        upd(ctx.cd, ctx.dev, "Person", { update(nil, ref("nick", "Group", "name")) }) end },
      ["a changed object type"] = { "object type", function(ctx)
        upd(ctx.cd, ctx.dev, "Group", nil, "LEAF_NODE") end },
      ["a changed facet style"] = { "style", function(ctx)
        ctx.cd:DeleteFacet{ SchemaArn = ctx.dev, Name = "Rule" }
        ctx.cd:CreateFacet{ SchemaArn = ctx.dev, Name = "Rule", ObjectType = "POLICY",
                            FacetStyle = "DYNAMIC" } end },
      ["a removed typed link facet"] = { "Friend", function(ctx)
        ctx.cd:DeleteTypedLinkFacet{ SchemaArn = ctx.dev, Name = "Friend" } end },
      ["a changed identity order"] = { "identity order", function(ctx)
        ctx.cd:UpdateTypedLinkFacet{ SchemaArn = ctx.dev, Name = "Friend",
          IdentityAttributeOrder = {}, AttributeUpdates = {} } end },
      ["a changed typed link attribute"] = { "note", function(ctx)
        ctx.cd:UpdateTypedLinkFacet{ SchemaArn = ctx.dev, Name = "Friend",
          IdentityAttributeOrder = { "since" }, AttributeUpdates = { { Action = "CREATE_OR_UPDATE",
            Attribute = { Name = "note", Type = "NUMBER", RequiredBehavior = "NOT_REQUIRED" } } } } end },
    }
    for what, case in pairs(incompatible) do
      it("refuses " .. what .. " with IncompatibleSchemaException, naming it", function()
        local ctx = versioned()
        case[2](ctx)
        local before = F.dump(ctx.path)
        local e = expect("IncompatibleSchemaException", upgrade_pub, ctx, "b")
        assert.matches(case[1], e.message, 1, true)
        assert.equal(before, F.dump(ctx.path))
      end)
    end

    it("raises for an existing minor version, unknown schemas and wrong ARNs", function()
      local ctx = versioned()
      local cd = ctx.cd
      expect("SchemaAlreadyPublishedException", upgrade_pub, ctx, "a")
      expect("ResourceNotFoundException", cd.UpgradePublishedSchema, cd, { DevelopmentSchemaArn = ctx.dev,
        PublishedSchemaArn = ctx.major:gsub("/1.0$", "/9"), MinorVersion = "b" })
      expect("ResourceNotFoundException", cd.UpgradePublishedSchema, cd, { DevelopmentSchemaArn = ctx.dev,
        PublishedSchemaArn = ctx.major .. "/zz", MinorVersion = "b" })
      expect("InvalidArnException", cd.UpgradePublishedSchema, cd, { DevelopmentSchemaArn = ctx.pub,
        PublishedSchemaArn = ctx.major, MinorVersion = "b" })
      expect("InvalidArnException", cd.UpgradePublishedSchema, cd, { DevelopmentSchemaArn = ctx.dev,
        PublishedSchemaArn = ctx.dev, MinorVersion = "b" })
      expect("ValidationException", cd.UpgradePublishedSchema, cd, { DevelopmentSchemaArn = ctx.dev,
        PublishedSchemaArn = ctx.major })
    end)

    it("allows at most 5 minor versions of a major version (limits = \"aws\")", function()
      local ctx = versioned()
      for _, m in ipairs{ "b", "c", "d", "e" } do upgrade_pub(ctx, m) end
      assert.equal(5, #ctx.cd:ListPublishedSchemaArns{ SchemaArn = ctx.major }.SchemaArns)
      local before = F.dump(ctx.path)
      expect("LimitExceededException", upgrade_pub, ctx, "f")
      assert.equal(before, F.dump(ctx.path))
      local none = versioned{ limits = "none" }
      for _, m in ipairs{ "b", "c", "d", "e", "f", "g" } do upgrade_pub(none, m) end
      assert.equal(7, #none.cd:ListPublishedSchemaArns{ SchemaArn = none.major }.SchemaArns)
    end)
  end)

  describe("UpgradeAppliedSchema", function()
    it("moves a directory to a revision in place; objects before and after keep working", function()
      local ctx = versioned()
      local cd = ctx.cd
      local function key(facet, name) return { SchemaArn = ctx.applied, FacetName = facet, Name = name } end
      local function person(email, parent_link, extra)
        local list = { { Key = key("Person", "email"), Value = { StringValue = email } } }
        for _, kv in ipairs(extra or {}) do list[#list + 1] = kv end
        return cd:CreateObject{ DirectoryArn = ctx.dir, ParentReference = { Selector = "/" },
          LinkName = parent_link, ObjectAttributeList = list,
          SchemaFacets = { { SchemaArn = ctx.applied, FacetName = "Person" } } }.ObjectIdentifier
      end
      local old = person("old@x", "old", { { Key = key("Person", "age"), Value = { NumberValue = "40" } } })
      local other = person("other@x", "other")
      cd:AttachTypedLink{ DirectoryArn = ctx.dir, SourceObjectReference = { Selector = "$" .. old },
        TargetObjectReference = { Selector = "$" .. other }, TypedLinkFacet = { SchemaArn = ctx.applied,
        TypedLinkName = "Friend" }, Attributes = { { AttributeName = "since", Value = { StringValue = "2020" } } } }

      compatible_changes(ctx)
      local b = upgrade_pub(ctx, "b").UpgradedSchemaArn
      local r = upgrade_dir(ctx, b)
      assert.same({ UpgradedSchemaArn = ctx.dir .. "/schema/org/1.0/b", DirectoryArn = ctx.dir }, r)
      assert.equal(ctx.dir .. "/schema/org/1.0/b",
                   cd:GetAppliedSchemaVersion{ SchemaArn = ctx.applied }.AppliedSchemaArn)
      assert.same({ ctx.dir .. "/schema/org/1.0/a", ctx.dir .. "/schema/org/1.0/b" },
                  cd:ListAppliedSchemaArns{ DirectoryArn = ctx.dir, SchemaArn = ctx.applied }.SchemaArns)
      assert.same({ ctx.applied }, cd:ListAppliedSchemaArns{ DirectoryArn = ctx.dir }.SchemaArns)
      -- the applied ARN stays the same; the new facets and attributes are there
      assert.same({ "Badge", "Group", "Person", "Rule" }, cd:ListFacetNames{ SchemaArn = ctx.applied }.FacetNames)
      assert.same({ "Friend", "Knows" }, cd:ListTypedLinkFacetNames{ SchemaArn = ctx.applied }.FacetNames)

      -- the object written before reads as before and takes the new optional attribute
      local ctxf = { cd = cd, dir = ctx.dir }
      local v = F.values(ctxf, "$" .. old)
      assert.same({ StringValue = "old@x" }, v["Person.email"])
      assert.same({ NumberValue = "40" }, v["Person.age"])
      cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = { Selector = "$" .. old },
        AttributeUpdates = { { ObjectAttributeKey = key("Person", "phone"), ObjectAttributeAction = {
          ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = { StringValue = "555" } } },
          { ObjectAttributeKey = key("Person", "age"), ObjectAttributeAction = {
          ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = { NumberValue = "41" } } } } }
      v = F.values(ctxf, "$" .. old)
      assert.same({ StringValue = "555" }, v["Person.phone"])
      assert.same({ NumberValue = "41" }, v["Person.age"])
      -- its typed link is still there, and links of the new optional attribute work
      local links = cd:ListOutgoingTypedLinks{ DirectoryArn = ctx.dir,
        ObjectReference = { Selector = "$" .. old } }.TypedLinkSpecifiers
      assert.equal(1, #links)
      cd:AttachTypedLink{ DirectoryArn = ctx.dir, SourceObjectReference = { Selector = "$" .. other },
        TargetObjectReference = { Selector = "$" .. old }, TypedLinkFacet = { SchemaArn = ctx.applied,
        TypedLinkName = "Friend" }, Attributes = { { AttributeName = "since", Value = { StringValue = "2021" } },
        { AttributeName = "weight", Value = { NumberValue = "3" } } } }
      -- an object written after the upgrade gets the new default, and the new facet works
      local new = person("new@x", "new")
      assert.same({ StringValue = "none" }, F.values(ctxf, "$" .. new)["Person.phone"])
      cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = { { SchemaArn = ctx.applied, FacetName = "Badge" } },
        ObjectAttributeList = { { Key = key("Badge", "code"), Value = { StringValue = "B1" } } } }
      -- and the objects of before are still listed in the hierarchy
      assert.same({ "new", "old", "other" }, (function()
        local names = {}
        for n in pairs(cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = { Selector = "/" } }.Children) do
          names[#names + 1] = n
        end
        table.sort(names)
        return names
      end)())
    end)

    it("DryRun checks and changes nothing", function()
      local ctx = versioned()
      compatible_changes(ctx)
      local b = upgrade_pub(ctx, "b").UpgradedSchemaArn
      local before = F.dump(ctx.path)
      local r = upgrade_dir(ctx, b, true)
      assert.equal(ctx.dir .. "/schema/org/1.0/b", r.UpgradedSchemaArn)
      assert.equal(before, F.dump(ctx.path))
      assert.equal(ctx.dir .. "/schema/org/1.0/a",
                   ctx.cd:GetAppliedSchemaVersion{ SchemaArn = ctx.applied }.AppliedSchemaArn)
    end)

    it("raises SchemaAlreadyExistsException at the same revision, and for unknown ones", function()
      local ctx = versioned()
      local cd = ctx.cd
      expect("SchemaAlreadyExistsException", upgrade_dir, ctx, ctx.pub)
      expect("SchemaAlreadyExistsException", upgrade_dir, ctx, ctx.major)   -- the newest is /a
      expect("ResourceNotFoundException", upgrade_dir, ctx, ctx.major .. "/zz")
      -- a schema the directory does not have applied
      local other = cd:CreateSchema{ Name = "other" }.SchemaArn
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = other, Version = "1" }.PublishedSchemaArn
      expect("ResourceNotFoundException", upgrade_dir, ctx, pub)
      expect("InvalidArnException", upgrade_dir, ctx, ctx.applied)
      expect("InvalidArnException", cd.UpgradeAppliedSchema, cd, { PublishedSchemaArn = ctx.pub,
        DirectoryArn = ctx.pub })
      expect("ResourceNotFoundException", cd.UpgradeAppliedSchema, cd, { PublishedSchemaArn = ctx.pub,
        DirectoryArn = ctx.dir:gsub("/[^/]+$", "/AfMr4qym1kZTvwqOafAYfqI") })
    end)

    it("refuses a revision that lacks something the applied schema has", function()
      local ctx = versioned()
      local cd = ctx.cd
      -- a facet added to the applied schema in place, which revision b does not have
      cd:CreateFacet{ SchemaArn = ctx.applied, Name = "Local", ObjectType = "NODE" }
      local b = upgrade_pub(ctx, "b").UpgradedSchemaArn
      local before = F.dump(ctx.path)
      local e = expect("IncompatibleSchemaException", upgrade_dir, ctx, b)
      assert.matches("Local", e.message, 1, true)
      assert.equal(before, F.dump(ctx.path))
      -- once the development schema has it too, the next revision applies
      cd:CreateFacet{ SchemaArn = ctx.dev, Name = "Local", ObjectType = "NODE" }
      upgrade_dir(ctx, upgrade_pub(ctx, "c").UpgradedSchemaArn)
      -- an older revision lacks what the newer one added: going back is incompatible
      expect("IncompatibleSchemaException", upgrade_dir, ctx, b)
    end)

    it("keeps the 5 most recent minor versions of the applied schema", function()
      local ctx = versioned{ limits = "none" }
      local cd = ctx.cd
      for i, m in ipairs{ "b", "c", "d", "e", "f", "g" } do
        upd(cd, ctx.dev, "Group", { update(nil, attr("x" .. i)) })
        upgrade_dir(ctx, upgrade_pub(ctx, m).UpgradedSchemaArn)
      end
      local want = {}
      for _, m in ipairs{ "c", "d", "e", "f", "g" } do want[#want + 1] = ctx.dir .. "/schema/org/1.0/" .. m end
      assert.same(want, cd:ListAppliedSchemaArns{ DirectoryArn = ctx.dir, SchemaArn = ctx.applied }.SchemaArns)
      assert.equal(want[5], cd:GetAppliedSchemaVersion{ SchemaArn = ctx.applied }.AppliedSchemaArn)
      -- an applied ARN with a minor version it remembers works, one it dropped does not
      assert.same({ "Group", "Person", "Rule" },
                  cd:ListFacetNames{ SchemaArn = ctx.applied .. "/c" }.FacetNames)
      expect("ResourceNotFoundException", cd.ListFacetNames, cd, { SchemaArn = ctx.applied .. "/a" })
      -- paging through the minor versions
      local all, pages = helper.all_pages(cd, "ListAppliedSchemaArns",
        { DirectoryArn = ctx.dir, SchemaArn = ctx.applied, MaxResults = 2 }, "SchemaArns")
      assert.same(want, all)
      assert.equal(3, pages)
    end)
  end)
end)
