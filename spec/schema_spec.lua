-- schema_spec.lua — CreateSchema, DeleteSchema, PublishSchema, ListDevelopmentSchemaArns,
-- ListPublishedSchemaArns, and the ARN rules they share (semantics §1.1, §2).
local helper = require "spec.helper"
local expect_error = helper.expect_error

local PREFIX = "arn:aws:clouddirectory:us-east-1:123456789012:"

describe("schemas", function()
  local cd
  before_each(function() cd = helper.client() end)
  after_each(helper.cleanup)

  describe("CreateSchema", function()
    it("creates a development schema and returns its ARN", function()
      local r = cd:CreateSchema{ Name = "org" }
      assert.same({ SchemaArn = PREFIX .. "schema/development/org" }, r)
      assert.same({ PREFIX .. "schema/development/org" },
        cd:ListDevelopmentSchemaArns{}.SchemaArns)
    end)

    it("builds ARNs from the store's region and account", function()
      local other = helper.client{ region = "eu-west-1", account = "111122223333" }
      assert.equal("arn:aws:clouddirectory:eu-west-1:111122223333:schema/development/org",
        other:CreateSchema{ Name = "org" }.SchemaArn)
    end)

    it("refuses a name a development schema already has", function()
      cd:CreateSchema{ Name = "org" }
      local e = expect_error("SchemaAlreadyExistsException", cd.CreateSchema, cd, { Name = "org" })
      assert.matches("org", e.message)
    end)

    it("refuses a development name even after it was published", function()
      local arn = cd:CreateSchema{ Name = "org" }.SchemaArn
      cd:PublishSchema{ DevelopmentSchemaArn = arn, Version = "1" }
      expect_error("SchemaAlreadyExistsException", cd.CreateSchema, cd, { Name = "org" })
    end)

    it("allows the name again once the development schema is deleted", function()
      local arn = cd:CreateSchema{ Name = "org" }.SchemaArn
      cd:DeleteSchema{ SchemaArn = arn }
      assert.equal(arn, cd:CreateSchema{ Name = "org" }.SchemaArn)
    end)

    it("rejects a malformed name", function()
      expect_error("ValidationException", cd.CreateSchema, cd, { Name = "has space" })
    end)

    it("allows 20 development schemas under limits = aws, any number under none", function()
      for i = 1, 20 do cd:CreateSchema{ Name = "s" .. i } end
      expect_error("LimitExceededException", cd.CreateSchema, cd, { Name = "s21" })
      assert.equal(20, #cd:ListDevelopmentSchemaArns{ MaxResults = 30 }.SchemaArns)
      cd:DeleteSchema{ SchemaArn = PREFIX .. "schema/development/s1" }
      cd:CreateSchema{ Name = "s21" }   -- a deleted schema frees its place
      local free = helper.client{ limits = "none" }
      for i = 1, 21 do free:CreateSchema{ Name = "s" .. i } end
    end)
  end)

  describe("ListDevelopmentSchemaArns", function()
    it("returns an empty list on an empty store", function()
      local r = cd:ListDevelopmentSchemaArns{}
      assert.same({}, r.SchemaArns)
      assert.is_nil(r.NextToken)
    end)

    it("lists by name and pages with MaxResults and NextToken", function()
      for _, n in ipairs{ "e", "b", "d", "a", "c" } do cd:CreateSchema{ Name = n } end
      local p1 = cd:ListDevelopmentSchemaArns{ MaxResults = 2 }
      assert.same({ PREFIX .. "schema/development/a", PREFIX .. "schema/development/b" },
        p1.SchemaArns)
      assert.is_string(p1.NextToken)
      local p2 = cd:ListDevelopmentSchemaArns{ MaxResults = 2, NextToken = p1.NextToken }
      assert.same({ PREFIX .. "schema/development/c", PREFIX .. "schema/development/d" },
        p2.SchemaArns)
      local p3 = cd:ListDevelopmentSchemaArns{ MaxResults = 2, NextToken = p2.NextToken }
      assert.same({ PREFIX .. "schema/development/e" }, p3.SchemaArns)
      assert.is_nil(p3.NextToken)
    end)

    it("uses pages of 10 by default", function()
      for i = 1, 12 do cd:CreateSchema{ Name = string.format("s%02d", i) } end
      local p1 = cd:ListDevelopmentSchemaArns{}
      assert.equal(10, #p1.SchemaArns)
      local p2 = cd:ListDevelopmentSchemaArns{ NextToken = p1.NextToken }
      assert.equal(2, #p2.SchemaArns)
      assert.is_nil(p2.NextToken)
    end)

    -- (limits = "aws" allows 20 development schemas, too few to show the clamp to 30:
    -- facet_spec shows it on ListFacetAttributes.)
    it("honours any page size under limits = none", function()
      local free = helper.client{ limits = "none" }
      for i = 1, 35 do free:CreateSchema{ Name = string.format("s%02d", i) } end
      assert.equal(35, #free:ListDevelopmentSchemaArns{ MaxResults = 100 }.SchemaArns)
    end)

    it("does not list published schemas", function()
      local arn = cd:CreateSchema{ Name = "org" }.SchemaArn
      cd:PublishSchema{ DevelopmentSchemaArn = arn, Version = "1" }
      assert.same({ arn }, cd:ListDevelopmentSchemaArns{}.SchemaArns)
    end)

    it("keeps paging right when schemas are added between pages", function()
      for _, n in ipairs{ "a", "c", "e" } do cd:CreateSchema{ Name = n } end
      local p1 = cd:ListDevelopmentSchemaArns{ MaxResults = 2 }
      cd:CreateSchema{ Name = "b" }   -- before the resume point: not seen
      cd:CreateSchema{ Name = "d" }   -- after it: seen
      local p2 = cd:ListDevelopmentSchemaArns{ MaxResults = 5, NextToken = p1.NextToken }
      assert.same({ PREFIX .. "schema/development/d", PREFIX .. "schema/development/e" },
        p2.SchemaArns)
    end)

    it("rejects a forged NextToken", function()
      expect_error("InvalidNextTokenException", cd.ListDevelopmentSchemaArns, cd,
        { NextToken = "garbage" })
    end)

    it("rejects a NextToken minted by another listing", function()
      for _, n in ipairs{ "a", "b", "c" } do
        local arn = cd:CreateSchema{ Name = n }.SchemaArn
        cd:PublishSchema{ DevelopmentSchemaArn = arn, Version = "1" }
      end
      local t = cd:ListPublishedSchemaArns{ MaxResults = 1 }.NextToken
      assert.is_string(t)
      expect_error("InvalidNextTokenException", cd.ListDevelopmentSchemaArns, cd,
        { NextToken = t })
    end)
  end)

  describe("DeleteSchema", function()
    it("deletes a development schema and returns its ARN", function()
      local arn = cd:CreateSchema{ Name = "org" }.SchemaArn
      assert.same({ SchemaArn = arn }, cd:DeleteSchema{ SchemaArn = arn })
      assert.same({}, cd:ListDevelopmentSchemaArns{}.SchemaArns)
      expect_error("ResourceNotFoundException", cd.GetFacet, cd,
        { SchemaArn = arn, Name = "x" })
    end)

    it("deletes the schema's facets with it", function()
      local fx = helper.fixture(cd, { schema = "org", publish = false })
      cd:DeleteSchema{ SchemaArn = fx.schema_arn }
      local arn = cd:CreateSchema{ Name = "org" }.SchemaArn
      assert.same({}, cd:ListFacetNames{ SchemaArn = arn }.FacetNames)
      assert.same({}, cd:ListTypedLinkFacetNames{ SchemaArn = arn }.FacetNames)
    end)

    it("deletes a published schema; the development schema stays", function()
      local fx = helper.fixture(cd, { directory = false })
      cd:DeleteSchema{ SchemaArn = fx.published_arn }
      assert.same({}, cd:ListPublishedSchemaArns{}.SchemaArns)
      assert.same({ fx.schema_arn }, cd:ListDevelopmentSchemaArns{}.SchemaArns)
      expect_error("ResourceNotFoundException", cd.GetFacet, cd,
        { SchemaArn = fx.published_arn, Name = "Person" })
    end)

    it("leaves directories that use a deleted published schema working", function()
      local fx = helper.fixture(cd)
      cd:DeleteSchema{ SchemaArn = fx.published_arn }
      assert.equal("Person",
        cd:GetFacet{ SchemaArn = fx.applied_arn, Name = "Person" }.Facet.Name)
    end)

    it("raises ResourceNotFoundException for an unknown schema", function()
      expect_error("ResourceNotFoundException", cd.DeleteSchema, cd,
        { SchemaArn = PREFIX .. "schema/development/nope" })
      expect_error("ResourceNotFoundException", cd.DeleteSchema, cd,
        { SchemaArn = PREFIX .. "schema/published/nope/1" })
    end)

    it("refuses applied schemas and other ARNs with InvalidArnException", function()
      local fx = helper.fixture(cd)
      expect_error("InvalidArnException", cd.DeleteSchema, cd, { SchemaArn = fx.applied_arn })
      expect_error("InvalidArnException", cd.DeleteSchema, cd, { SchemaArn = fx.base_arn })
      expect_error("InvalidArnException", cd.DeleteSchema, cd, { SchemaArn = fx.directory_arn })
      local e = expect_error("InvalidArnException", cd.DeleteSchema, cd,
        { SchemaArn = "arn:aws:s3:::bucket" })
      assert.matches("arn:aws:s3:::bucket", e.message, 1, true)
      assert.matches("schema/development/<Name>", e.message, 1, true)
    end)

    it("treats another region or account as not found", function()
      cd:CreateSchema{ Name = "org" }
      expect_error("ResourceNotFoundException", cd.DeleteSchema, cd,
        { SchemaArn = "arn:aws:clouddirectory:eu-west-1:123456789012:schema/development/org" })
      expect_error("ResourceNotFoundException", cd.DeleteSchema, cd,
        { SchemaArn = "arn:aws:clouddirectory:us-east-1:999999999999:schema/development/org" })
    end)
  end)

  describe("PublishSchema", function()
    local dev
    before_each(function()
      dev = helper.fixture(cd, { schema = "org", publish = false })
    end)

    it("publishes under the development schema's name and the major version", function()
      local r = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1" }
      assert.same({ PublishedSchemaArn = PREFIX .. "schema/published/org/1" }, r)
    end)

    it("adds the minor version to the ARN when one is given", function()
      local r = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1",
                                  MinorVersion = "0" }
      assert.equal(PREFIX .. "schema/published/org/1/0", r.PublishedSchemaArn)
    end)

    it("publishes under another name when Name is given", function()
      local r = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "2",
                                  Name = "people" }
      assert.equal(PREFIX .. "schema/published/people/2", r.PublishedSchemaArn)
    end)

    it("copies the facets and typed-link facets; the development schema stays", function()
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1" }
                    .PublishedSchemaArn
      assert.same({ "Group", "Person", "Rule" }, cd:ListFacetNames{ SchemaArn = pub }.FacetNames)
      assert.same({ "Friend" }, cd:ListTypedLinkFacetNames{ SchemaArn = pub }.FacetNames)
      assert.same(cd:ListFacetAttributes{ SchemaArn = dev.schema_arn, Name = "Person" },
                  cd:ListFacetAttributes{ SchemaArn = pub, Name = "Person" })
      assert.same({ dev.schema_arn }, cd:ListDevelopmentSchemaArns{}.SchemaArns)
    end)

    it("is a snapshot: later development changes do not reach it", function()
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1" }
                    .PublishedSchemaArn
      cd:CreateFacet{ SchemaArn = dev.schema_arn, Name = "Later", ObjectType = "NODE" }
      cd:DeleteFacet{ SchemaArn = dev.schema_arn, Name = "Group" }
      assert.same({ "Group", "Person", "Rule" }, cd:ListFacetNames{ SchemaArn = pub }.FacetNames)
    end)

    it("refuses a version that is already published", function()
      cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1" }
      expect_error("SchemaAlreadyPublishedException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = dev.schema_arn, Version = "1" })
      -- a new minor of a published major is UpgradePublishedSchema's job
      expect_error("SchemaAlreadyPublishedException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = dev.schema_arn, Version = "1", MinorVersion = "1" })
      -- another major is fine
      cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "2" }
    end)

    it("can publish the same version again after the published schema is deleted", function()
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1" }
                    .PublishedSchemaArn
      cd:DeleteSchema{ SchemaArn = pub }
      assert.equal(pub, cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn,
                                          Version = "1" }.PublishedSchemaArn)
    end)

    it("refuses CloudDirectory/1.0, the name and version of every directory's base schema",
       function()
      local e = expect_error("SchemaAlreadyPublishedException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = dev.schema_arn, Version = "1.0", Name = "CloudDirectory" })
      assert.matches("base schema", e.message)
      local own = cd:CreateSchema{ Name = "CloudDirectory" }.SchemaArn
      expect_error("SchemaAlreadyPublishedException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = own, Version = "1.0" })
      -- other versions of that name are ordinary schemas
      assert.equal(PREFIX .. "schema/published/CloudDirectory/1.1",
        cd:PublishSchema{ DevelopmentSchemaArn = own, Version = "1.1" }.PublishedSchemaArn)
    end)

    it("allows 20 published schemas under limits = aws, any number under none", function()
      for i = 1, 20 do
        cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = tostring(i) }
      end
      local e = expect_error("LimitExceededException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = dev.schema_arn, Version = "21" })
      assert.matches("20", e.message)
      assert.equal(20, #cd:ListPublishedSchemaArns{ MaxResults = 30 }.SchemaArns)
      local free = helper.client{ limits = "none" }
      local arn = free:CreateSchema{ Name = "org" }.SchemaArn
      for i = 1, 21 do free:PublishSchema{ DevelopmentSchemaArn = arn, Version = tostring(i) } end
    end)

    it("raises ResourceNotFoundException for an unknown development schema", function()
      expect_error("ResourceNotFoundException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = PREFIX .. "schema/development/nope", Version = "1" })
    end)

    it("needs a development schema ARN", function()
      local pub = cd:PublishSchema{ DevelopmentSchemaArn = dev.schema_arn, Version = "1" }
                    .PublishedSchemaArn
      expect_error("InvalidArnException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = pub, Version = "2" })
      expect_error("InvalidArnException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = PREFIX .. "schema/development/a/b", Version = "2" })
    end)

    it("checks Version against the model", function()
      expect_error("ValidationException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = dev.schema_arn, Version = "12345678901" })
      expect_error("ValidationException", cd.PublishSchema, cd,
        { DevelopmentSchemaArn = dev.schema_arn })
    end)
  end)

  describe("ListPublishedSchemaArns", function()
    local function publish(name, version, minor)
      local arn = PREFIX .. "schema/development/" .. name
      if not pcall(cd.CreateSchema, cd, { Name = name }) then end
      return cd:PublishSchema{ DevelopmentSchemaArn = arn, Version = version,
                               MinorVersion = minor }.PublishedSchemaArn
    end

    it("returns an empty list on an empty store", function()
      assert.same({ SchemaArns = {} }, cd:ListPublishedSchemaArns{})
    end)

    it("lists one major-version ARN per family", function()
      publish("org", "1", "0")
      publish("org", "2")
      publish("hr", "1", "5")
      assert.same({ PREFIX .. "schema/published/hr/1", PREFIX .. "schema/published/org/1",
                    PREFIX .. "schema/published/org/2" },
        cd:ListPublishedSchemaArns{}.SchemaArns)
    end)

    it("pages over families", function()
      for i = 1, 5 do publish("s" .. i, "1", "0") end
      local all, pages = helper.all_pages(cd, "ListPublishedSchemaArns", { MaxResults = 2 },
        "SchemaArns")
      assert.equal(5, #all)
      assert.equal(3, pages)
      assert.equal(PREFIX .. "schema/published/s5/1", all[5])
    end)

    it("lists the revisions of a family given its major-version ARN", function()
      publish("org", "1", "0")
      publish("org", "2")
      assert.same({ PREFIX .. "schema/published/org/1/0" },
        cd:ListPublishedSchemaArns{ SchemaArn = PREFIX .. "schema/published/org/1" }.SchemaArns)
      assert.same({ PREFIX .. "schema/published/org/2" },
        cd:ListPublishedSchemaArns{ SchemaArn = PREFIX .. "schema/published/org/2" }.SchemaArns)
    end)

    it("raises ResourceNotFoundException for an unknown family", function()
      expect_error("ResourceNotFoundException", cd.ListPublishedSchemaArns, cd,
        { SchemaArn = PREFIX .. "schema/published/nope/1" })
    end)

    it("needs a major-version published ARN as SchemaArn", function()
      publish("org", "1", "0")
      expect_error("InvalidArnException", cd.ListPublishedSchemaArns, cd,
        { SchemaArn = PREFIX .. "schema/published/org/1/0" })
      expect_error("InvalidArnException", cd.ListPublishedSchemaArns, cd,
        { SchemaArn = PREFIX .. "schema/development/org" })
    end)

    it("rejects a forged NextToken", function()
      expect_error("InvalidNextTokenException", cd.ListPublishedSchemaArns, cd,
        { NextToken = "AAAA" })
    end)
  end)

  describe("published ARN without a minor version", function()
    it("names the family's revision (CreateDirectory, GetFacet)", function()
      local fx = helper.fixture(cd, { minor = "0", directory = false })
      local major = fx.published_arn:gsub("/0$", "")
      assert.equal("Person", cd:GetFacet{ SchemaArn = major, Name = "Person" }.Facet.Name)
      local d = cd:CreateDirectory{ Name = "d", SchemaArn = major }
      assert.equal(d.AppliedSchemaArn .. "/0",
        cd:GetAppliedSchemaVersion{ SchemaArn = d.AppliedSchemaArn }.AppliedSchemaArn)
    end)
  end)
end)
