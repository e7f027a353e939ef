-- operations_spec.lua — the one request path: all 66 operations exist on the client, every
-- request is shape-checked before anything runs, and operations of later issues say so.
local helper = require "spec.helper"
local clouddir = require "clouddir"

-- The model's operations with no required request member.
local no_required = {
  ListDevelopmentSchemaArns = true, ListDirectories = true, ListManagedSchemaArns = true,
  ListPublishedSchemaArns = true,
}

-- Operations this release does not implement yet (typed links, indexes, policies,
-- batches, schema evolution and documents, the managed schema).
local later = {
}

-- A shape-valid request for each later operation (nothing needs to exist: the shape check
-- passes and the operation then reports that it is not available).
local D = "arn:aws:clouddirectory:us-east-1:123456789012:directory/AfMr4qym1kZTvwqOafAYfqI"
local S = "arn:aws:clouddirectory:us-east-1:123456789012:schema/development/org"
local ref = { Selector = "/" }
local valid = {
  AttachPolicy = { DirectoryArn = D, PolicyReference = ref, ObjectReference = ref },
  AttachToIndex = { DirectoryArn = D, IndexReference = ref, TargetReference = ref },
  AttachTypedLink = { DirectoryArn = D, SourceObjectReference = ref, TargetObjectReference = ref,
    TypedLinkFacet = { SchemaArn = S, TypedLinkName = "t" }, Attributes = {} },
  CreateIndex = { DirectoryArn = D, IsUnique = true,
    OrderedIndexedAttributeList = { { SchemaArn = S, FacetName = "f", Name = "a" } } },
  DetachFromIndex = { DirectoryArn = D, IndexReference = ref, TargetReference = ref },
  DetachPolicy = { DirectoryArn = D, PolicyReference = ref, ObjectReference = ref },
  DetachTypedLink = { DirectoryArn = D, TypedLinkSpecifier = {
    TypedLinkFacet = { SchemaArn = S, TypedLinkName = "t" }, SourceObjectReference = ref,
    TargetObjectReference = ref, IdentityAttributeValues = {} } },
  GetLinkAttributes = { DirectoryArn = D, AttributeNames = { "a" }, TypedLinkSpecifier = {
    TypedLinkFacet = { SchemaArn = S, TypedLinkName = "t" }, SourceObjectReference = ref,
    TargetObjectReference = ref, IdentityAttributeValues = {} } },
  GetSchemaAsJson = { SchemaArn = S },
  ListAttachedIndices = { DirectoryArn = D, TargetReference = ref },
  ListIncomingTypedLinks = { DirectoryArn = D, ObjectReference = ref },
  ListIndex = { DirectoryArn = D, IndexReference = ref },
  ListManagedSchemaArns = {},
  ListObjectPolicies = { DirectoryArn = D, ObjectReference = ref },
  ListOutgoingTypedLinks = { DirectoryArn = D, ObjectReference = ref },
  ListPolicyAttachments = { DirectoryArn = D, PolicyReference = ref },
  LookupPolicy = { DirectoryArn = D, ObjectReference = ref },
  PutSchemaFromJson = { SchemaArn = S, Document = "{}" },
  UpdateFacet = { SchemaArn = S, Name = "f" },
  UpdateLinkAttributes = { DirectoryArn = D, AttributeUpdates = {}, TypedLinkSpecifier = {
    TypedLinkFacet = { SchemaArn = S, TypedLinkName = "t" }, SourceObjectReference = ref,
    TargetObjectReference = ref, IdentityAttributeValues = {} } },
  UpdateSchema = { SchemaArn = S, Name = "n" },
  UpdateTypedLinkFacet = { SchemaArn = S, Name = "t", AttributeUpdates = {},
    IdentityAttributeOrder = {} },
  UpgradeAppliedSchema = { PublishedSchemaArn = S, DirectoryArn = D },
  UpgradePublishedSchema = { DevelopmentSchemaArn = S, PublishedSchemaArn = S,
    MinorVersion = "1" },
}

describe("the request path", function()
  after_each(helper.cleanup)

  it("offers all 66 operations of the API on the client", function()
    local cd = helper.client()
    assert.equal(66, #clouddir.operations)
    for _, op in ipairs(clouddir.operations) do
      assert.is_function(cd[op], op)
    end
  end)

  it("checks every operation's request shape before running it", function()
    local cd = helper.client()
    for _, op in ipairs(clouddir.operations) do
      if not no_required[op] then
        local e = helper.expect_error("ValidationException", cd.call, cd, op, {})
        assert.matches("at '", e.message, 1, true)   -- names the missing member
      end
      -- an unknown member is rejected for every operation, naming the member
      local e = helper.expect_error("ValidationException", cd.call, cd, op, { Bogus = 1 })
      assert.matches("Bogus", e.message, 1, true)
      -- a request that is not a table
      helper.expect_error("ValidationException", cd.call, cd, op, "nope")
    end
  end)

  it("names operations of later releases as not yet available, after the shape check", function()
    local cd = helper.client()
    for _, op in ipairs(later) do
      assert.is_table(valid[op], op)
      local e = helper.expect_error("NotImplementedException", cd.call, cd, op, valid[op])
      assert.matches(op, e.message, 1, true)
    end
    -- the shape check still runs first for them
    local e = helper.expect_error("ValidationException", cd.AttachPolicy, cd,
      { DirectoryArn = D, PolicyReference = ref })
    assert.matches("ObjectReference", e.message, 1, true)
  end)

  it("checks enums, patterns and lengths, naming the member", function()
    local cd = helper.client()
    local e = helper.expect_error("ValidationException", cd.ListDirectories, cd, { state = "GONE" })
    assert.matches("state", e.message, 1, true)
    e = helper.expect_error("ValidationException", cd.CreateSchema, cd, { Name = "bad name" })
    assert.matches("Name", e.message, 1, true)
    e = helper.expect_error("ValidationException", cd.CreateSchema, cd, { Name = ("x"):rep(33) })
    assert.matches("Name", e.message, 1, true)
    e = helper.expect_error("ValidationException", cd.ListDirectories, cd, { MaxResults = 0 })
    assert.matches("MaxResults", e.message, 1, true)
    e = helper.expect_error("ValidationException", cd.ListDirectories, cd, { MaxResults = 2.5 })
    assert.matches("MaxResults", e.message, 1, true)
    e = helper.expect_error("ValidationException", cd.CreateSchema, cd, { Name = 42 })
    assert.matches("Name", e.message, 1, true)
  end)
end)
