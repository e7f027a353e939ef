-- tags_spec.lua — TagResource, UntagResource, ListTagsForResource (semantics §9).
local helper = require "spec.helper"
local expect_error = helper.expect_error

local PREFIX = "arn:aws:clouddirectory:us-east-1:123456789012:"

describe("tags", function()
  local cd, fx
  before_each(function()
    cd = helper.client()
    fx = helper.fixture(cd)
  end)
  after_each(helper.cleanup)

  local function tags(arn)
    return cd:ListTagsForResource{ ResourceArn = arn or fx.directory_arn }.Tags
  end

  local function many(n, from)
    local t = {}
    for i = 1, n do t[i] = { Key = string.format("k%03d", (from or 0) + i), Value = "v" } end
    return t
  end

  it("a new directory has no tags", function()
    assert.same({ Tags = {} }, cd:ListTagsForResource{ ResourceArn = fx.directory_arn })
  end)

  it("tags a directory; ListTagsForResource returns every tag by key", function()
    assert.same({}, cd:TagResource{ ResourceArn = fx.directory_arn, Tags = {
      { Key = "team", Value = "core" }, { Key = "env", Value = "test" } } })
    assert.same({ { Key = "env", Value = "test" }, { Key = "team", Value = "core" } }, tags())
  end)

  it("overwrites the value of a key tagged again", function()
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = { { Key = "env", Value = "a" } } }
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = { { Key = "env", Value = "b" } } }
    assert.same({ { Key = "env", Value = "b" } }, tags())
  end)

  it("keeps empty values and tags without a value", function()
    cd:TagResource{ ResourceArn = fx.directory_arn,
                    Tags = { { Key = "empty", Value = "" }, { Key = "none" } } }
    assert.same({ { Key = "empty", Value = "" }, { Key = "none" } }, tags())
  end)

  it("keeps each directory's tags apart", function()
    local other = cd:CreateDirectory{ Name = "other", SchemaArn = fx.published_arn }.DirectoryArn
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = { { Key = "a", Value = "1" } } }
    cd:TagResource{ ResourceArn = other, Tags = { { Key = "b", Value = "2" } } }
    assert.same({ { Key = "a", Value = "1" } }, tags())
    assert.same({ { Key = "b", Value = "2" } }, tags(other))
  end)

  it("untags keys; keys that are not there are ignored", function()
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = many(3) }
    assert.same({}, cd:UntagResource{ ResourceArn = fx.directory_arn,
                                       TagKeys = { "k002", "missing" } })
    assert.same({ { Key = "k001", Value = "v" }, { Key = "k003", Value = "v" } }, tags())
  end)

  it("returns all 50 tags in one call", function()
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = many(50) }
    local r = cd:ListTagsForResource{ ResourceArn = fx.directory_arn }
    assert.equal(50, #r.Tags)
    assert.is_nil(r.NextToken)
  end)

  it("allows at most 50 tags per directory under limits = aws", function()
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = many(40) }
    expect_error("InvalidTaggingRequestException", cd.TagResource, cd,
      { ResourceArn = fx.directory_arn, Tags = many(11, 40) })
    assert.equal(40, #tags())   -- nothing of the failed call was kept
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = many(10, 40) }
    -- overwriting existing keys does not count twice
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = many(50) }
    assert.equal(50, #tags())
    expect_error("InvalidTaggingRequestException", cd.TagResource, cd,
      { ResourceArn = fx.directory_arn, Tags = { { Key = "one-more", Value = "x" } } })
  end)

  it("has no tag cap under limits = none, and pages when asked", function()
    local free = helper.client{ limits = "none" }
    local f = helper.fixture(free)
    free:TagResource{ ResourceArn = f.directory_arn, Tags = many(120) }
    assert.equal(120, #free:ListTagsForResource{ ResourceArn = f.directory_arn }.Tags)
    local all, pages = helper.all_pages(free, "ListTagsForResource",
      { ResourceArn = f.directory_arn, MaxResults = 50 }, "Tags")
    assert.equal(120, #all)
    assert.equal(3, pages)
    assert.equal("k120", all[120].Key)
  end)

  it("tags only directories", function()
    for _, arn in ipairs{ fx.schema_arn, fx.published_arn, fx.applied_arn } do
      expect_error("InvalidTaggingRequestException", cd.TagResource, cd,
        { ResourceArn = arn, Tags = { { Key = "a", Value = "b" } } })
      expect_error("InvalidTaggingRequestException", cd.ListTagsForResource, cd,
        { ResourceArn = arn })
      expect_error("InvalidTaggingRequestException", cd.UntagResource, cd,
        { ResourceArn = arn, TagKeys = { "a" } })
    end
  end)

  it("raises InvalidTaggingRequestException for a directory that does not exist", function()
    local unknown = PREFIX .. "directory/AQAAAAAAAAAAAAAAAAAAAAA"
    expect_error("InvalidTaggingRequestException", cd.TagResource, cd,
      { ResourceArn = unknown, Tags = { { Key = "a", Value = "b" } } })
    expect_error("InvalidTaggingRequestException", cd.ListTagsForResource, cd,
      { ResourceArn = unknown })
    expect_error("InvalidTaggingRequestException", cd.UntagResource, cd,
      { ResourceArn = unknown, TagKeys = { "a" } })
    local foreign = fx.directory_arn:gsub("us%-east%-1", "eu-west-1")
    expect_error("InvalidTaggingRequestException", cd.ListTagsForResource, cd,
      { ResourceArn = foreign })
  end)

  it("raises InvalidArnException for a malformed ARN", function()
    expect_error("InvalidArnException", cd.TagResource, cd,
      { ResourceArn = "arn:aws:iam::123456789012:user/x", Tags = { { Key = "a", Value = "b" } } })
    expect_error("InvalidArnException", cd.ListTagsForResource, cd,
      { ResourceArn = PREFIX .. "directory" })
  end)

  it("keeps the tags of a deleted directory listable, and unchangeable", function()
    cd:TagResource{ ResourceArn = fx.directory_arn, Tags = { { Key = "a", Value = "b" } } }
    cd:DisableDirectory{ DirectoryArn = fx.directory_arn }
    cd:DeleteDirectory{ DirectoryArn = fx.directory_arn }
    assert.same({ { Key = "a", Value = "b" } }, tags())
    local e = expect_error("InvalidTaggingRequestException", cd.TagResource, cd,
      { ResourceArn = fx.directory_arn, Tags = { { Key = "c", Value = "d" } } })
    assert.matches("has been deleted", e.message, 1, true)
    expect_error("InvalidTaggingRequestException", cd.UntagResource, cd,
      { ResourceArn = fx.directory_arn, TagKeys = { "a" } })
    assert.same({ { Key = "a", Value = "b" } }, tags())
  end)

  it("answers a bad NextToken with ValidationException (the only listed code that fits)", function()
    expect_error("ValidationException", cd.ListTagsForResource, cd,
      { ResourceArn = fx.directory_arn, NextToken = "abc" })
  end)

  it("rejects a tag without a Key, keeping none of the call's tags", function()
    expect_error("ValidationException", cd.TagResource, cd,
      { ResourceArn = fx.directory_arn, Tags = { { Value = "b" } } })
    expect_error("ValidationException", cd.TagResource, cd,
      { ResourceArn = fx.directory_arn, Tags = { { Key = "a", Value = "1" }, { Value = "b" } } })
    assert.same({}, tags())
  end)
end)
