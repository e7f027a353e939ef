-- directory_spec.lua — CreateDirectory, GetDirectory, ListDirectories, the directory state
-- machine, ApplySchema, ListAppliedSchemaArns, GetAppliedSchemaVersion (semantics §1, §2.2, §9).
local helper = require "spec.helper"
local expect_error = helper.expect_error

local PREFIX = "arn:aws:clouddirectory:us-east-1:123456789012:"
local UNKNOWN_DIRECTORY = PREFIX .. "directory/AQAAAAAAAAAAAAAAAAAAAAA"

-- URL-safe base64 decoding, to look inside identifiers.
local function b64url_decode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  local bits, out = 0, {}
  local acc = 0
  for ch in s:gmatch(".") do
    acc = (acc << 6) | (alphabet:find(ch, 1, true) - 1)
    bits = bits + 6
    if bits >= 8 then
      bits = bits - 8
      out[#out + 1] = string.char((acc >> bits) & 0xff)
    end
  end
  return table.concat(out)
end

describe("directories", function()
  local cd, fx
  before_each(function()
    cd = helper.client()
    fx = helper.fixture(cd, { schema = "org", directory = false })
  end)
  after_each(helper.cleanup)

  local function create(name, arn)
    return cd:CreateDirectory{ Name = name, SchemaArn = arn or fx.published_arn }
  end

  describe("CreateDirectory", function()
    it("creates an enabled directory with the schema applied and a root", function()
      local before = os.time()
      local r = create("people")
      local id = r.DirectoryArn:match("^" .. PREFIX:gsub("%-", "%%-") .. "directory/([%w_-]+)$")
      assert.is_string(id)
      assert.equal(23, #id)
      local raw = b64url_decode(id)
      assert.equal(17, #raw)
      assert.equal(1, raw:byte(1))
      assert.equal("people", r.Name)
      assert.equal(r.DirectoryArn .. "/schema/org/1", r.AppliedSchemaArn)
      assert.matches("^[%w_-]+$", r.ObjectIdentifier)
      local d = cd:GetDirectory{ DirectoryArn = r.DirectoryArn }.Directory
      assert.equal("ENABLED", d.State)
      assert.equal("people", d.Name)
      assert.equal(r.DirectoryArn, d.DirectoryArn)
      -- a wide window: this test machine's clock has been seen to step by seconds
      assert.is_true(d.CreationDateTime >= before - 300 and d.CreationDateTime <= os.time() + 300)
    end)

    it("gives every directory its own id", function()
      local a, b = create("a"), create("b")
      assert.not_equal(a.DirectoryArn, b.DirectoryArn)
    end)

    it("refuses a name a live directory has", function()
      create("people")
      local e = expect_error("DirectoryAlreadyExistsException", cd.CreateDirectory, cd,
        { Name = "people", SchemaArn = fx.published_arn })
      assert.matches("people", e.message)
    end)

    it("lets a deleted directory's name be used again", function()
      local old = create("people").DirectoryArn
      cd:DisableDirectory{ DirectoryArn = old }
      cd:DeleteDirectory{ DirectoryArn = old }
      local new = create("people").DirectoryArn
      assert.not_equal(old, new)
      assert.equal("DELETED", cd:GetDirectory{ DirectoryArn = old }.Directory.State)
    end)

    it("needs a published schema ARN", function()
      local e = expect_error("InvalidArnException", cd.CreateDirectory, cd,
        { Name = "d", SchemaArn = fx.schema_arn })
      assert.matches("published schema ARN", e.message)
      local d = create("d")
      expect_error("InvalidArnException", cd.CreateDirectory, cd,
        { Name = "e", SchemaArn = d.AppliedSchemaArn })
      expect_error("InvalidArnException", cd.CreateDirectory, cd,
        { Name = "e", SchemaArn = "not an arn" })
    end)

    it("raises ResourceNotFoundException for an unknown published schema", function()
      expect_error("ResourceNotFoundException", cd.CreateDirectory, cd,
        { Name = "d", SchemaArn = PREFIX .. "schema/published/org/9" })
      expect_error("ResourceNotFoundException", cd.CreateDirectory, cd,
        { Name = "d", SchemaArn = PREFIX .. "schema/published/org/1/7" })
      expect_error("ResourceNotFoundException", cd.CreateDirectory, cd,
        { Name = "d", SchemaArn = "arn:aws:clouddirectory:eu-west-1:123456789012:" ..
                                  "schema/published/org/1" })
    end)

    it("allows 100 live directories under limits = aws; deleted ones free their place",
       function()
      local fast = helper.client{ sync = false }
      local f = helper.fixture(fast, { directory = false })
      local first
      for i = 1, 100 do
        local arn = fast:CreateDirectory{ Name = "d" .. i, SchemaArn = f.published_arn }
                      .DirectoryArn
        first = first or arn
      end
      local e = expect_error("LimitExceededException", fast.CreateDirectory, fast,
        { Name = "d101", SchemaArn = f.published_arn })
      assert.matches("100", e.message)
      fast:DisableDirectory{ DirectoryArn = first }
      expect_error("LimitExceededException", fast.CreateDirectory, fast,
        { Name = "d101", SchemaArn = f.published_arn })
      fast:DeleteDirectory{ DirectoryArn = first }
      fast:CreateDirectory{ Name = "d101", SchemaArn = f.published_arn }
      local free = helper.client{ sync = false, limits = "none" }
      local g = helper.fixture(free, { directory = false })
      for i = 1, 101 do free:CreateDirectory{ Name = "d" .. i, SchemaArn = g.published_arn } end
    end)

    it("writes nothing when it fails", function()
      pcall(cd.CreateDirectory, cd, { Name = "d", SchemaArn = PREFIX .. "schema/published/x/1" })
      assert.same({}, cd:ListDirectories{}.Directories)
    end)
  end)

  describe("GetDirectory", function()
    it("raises AccessDeniedException for an unknown directory", function()
      expect_error("AccessDeniedException", cd.GetDirectory, cd,
        { DirectoryArn = UNKNOWN_DIRECTORY })
    end)

    it("raises InvalidArnException for a malformed or non-directory ARN", function()
      expect_error("InvalidArnException", cd.GetDirectory, cd,
        { DirectoryArn = PREFIX .. "directory/" })
      expect_error("InvalidArnException", cd.GetDirectory, cd,
        { DirectoryArn = fx.published_arn })
      expect_error("InvalidArnException", cd.GetDirectory, cd,
        { DirectoryArn = "arn:aws:clouddirectory:us-east-1:123456789012" })
    end)
  end)

  describe("ListDirectories", function()
    it("returns an empty list on an empty store", function()
      assert.same({ Directories = {} }, cd:ListDirectories{})
    end)

    it("lists in creation order, deleted ones included", function()
      local names = { "zeta", "alpha", "mid" }
      local arns = {}
      for i, n in ipairs(names) do arns[i] = create(n).DirectoryArn end
      cd:DisableDirectory{ DirectoryArn = arns[2] }
      cd:DeleteDirectory{ DirectoryArn = arns[2] }
      local got = cd:ListDirectories{}.Directories
      assert.equal(3, #got)
      for i, d in ipairs(got) do
        assert.equal(names[i], d.Name)
        assert.equal(arns[i], d.DirectoryArn)
        assert.is_number(d.CreationDateTime)
      end
      assert.same({ "ENABLED", "DELETED", "ENABLED" },
        { got[1].State, got[2].State, got[3].State })
    end)

    it("filters by state", function()
      local a, b, c = create("a").DirectoryArn, create("b").DirectoryArn, create("c").DirectoryArn
      cd:DisableDirectory{ DirectoryArn = b }
      cd:DisableDirectory{ DirectoryArn = c }
      cd:DeleteDirectory{ DirectoryArn = c }
      local function names(state)
        local t = {}
        for _, d in ipairs(cd:ListDirectories{ state = state }.Directories) do t[#t + 1] = d.Name end
        return t
      end
      assert.same({ "a" }, names("ENABLED"))
      assert.same({ "b" }, names("DISABLED"))
      assert.same({ "c" }, names("DELETED"))
      assert.equal(a, cd:ListDirectories{ state = "ENABLED" }.Directories[1].DirectoryArn)
      expect_error("ValidationException", cd.ListDirectories, cd, { state = "GONE" })
    end)

    it("pages, also with a filter", function()
      local arns = {}
      for i = 1, 7 do arns[i] = create("d" .. i).DirectoryArn end
      for i = 1, 7, 2 do cd:DisableDirectory{ DirectoryArn = arns[i] } end   -- 1 3 5 7
      local all, pages = helper.all_pages(cd, "ListDirectories", { MaxResults = 3 }, "Directories")
      assert.equal(7, #all)
      assert.equal(3, pages)
      local disabled
      disabled, pages = helper.all_pages(cd, "ListDirectories",
        { MaxResults = 2, state = "DISABLED" }, "Directories")
      assert.same({ "d1", "d3", "d5", "d7" },
        { disabled[1].Name, disabled[2].Name, disabled[3].Name, disabled[4].Name })
      assert.equal(2, pages)
    end)

    it("rejects a NextToken minted for another filter", function()
      for i = 1, 3 do create("d" .. i) end
      local t = cd:ListDirectories{ MaxResults = 1, state = "ENABLED" }.NextToken
      assert.is_string(t)
      expect_error("InvalidNextTokenException", cd.ListDirectories, cd,
        { NextToken = t, state = "DISABLED" })
      expect_error("InvalidNextTokenException", cd.ListDirectories, cd, { NextToken = t })
      expect_error("InvalidNextTokenException", cd.ListDirectories, cd, { NextToken = "x" })
    end)
  end)

  describe("state machine", function()
    local arn
    before_each(function() arn = create("d").DirectoryArn end)
    local function state() return cd:GetDirectory{ DirectoryArn = arn }.Directory.State end

    it("disables and enables, idempotently, returning the DirectoryArn", function()
      assert.same({ DirectoryArn = arn }, cd:DisableDirectory{ DirectoryArn = arn })
      assert.equal("DISABLED", state())
      assert.same({ DirectoryArn = arn }, cd:DisableDirectory{ DirectoryArn = arn })
      assert.equal("DISABLED", state())
      assert.same({ DirectoryArn = arn }, cd:EnableDirectory{ DirectoryArn = arn })
      assert.equal("ENABLED", state())
      assert.same({ DirectoryArn = arn }, cd:EnableDirectory{ DirectoryArn = arn })
      assert.equal("ENABLED", state())
    end)

    it("deletes only a disabled directory", function()
      expect_error("DirectoryNotDisabledException", cd.DeleteDirectory, cd, { DirectoryArn = arn })
      assert.equal("ENABLED", state())
      cd:DisableDirectory{ DirectoryArn = arn }
      assert.same({ DirectoryArn = arn }, cd:DeleteDirectory{ DirectoryArn = arn })
      assert.equal("DELETED", state())
    end)

    it("refuses facet changes to a deleted directory's applied schemas", function()
      -- deletion is irreversible (semantics §1.3); ApplySchema treats it as gone, and so do
      -- the facet operations on its applied schemas
      local applied = arn .. "/schema/org/1"
      cd:CreateFacet{ SchemaArn = applied, Name = "Before", ObjectType = "NODE" }
      cd:DisableDirectory{ DirectoryArn = arn }
      cd:DeleteDirectory{ DirectoryArn = arn }
      local attr = { { Name = "a", Type = "STRING", RequiredBehavior = "REQUIRED_ALWAYS" } }
      for op, req in pairs{
        CreateFacet = { SchemaArn = applied, Name = "G", ObjectType = "NODE" },
        UpdateFacet = { SchemaArn = applied, Name = "Before", AttributeUpdates = {} },
        CreateTypedLinkFacet = { SchemaArn = applied, Facet = { Name = "L", Attributes = attr,
                                                                IdentityAttributeOrder = { "a" } } },
        UpdateTypedLinkFacet = { SchemaArn = applied, Name = "L", AttributeUpdates = {},
                                 IdentityAttributeOrder = { "a" } },
      } do
        local e = expect_error("ResourceNotFoundException", cd.call, cd, op, req)
        assert.matches("has been deleted", e.message, 1, true)
      end
      -- reading it still works
      assert.is_table(cd:GetFacet{ SchemaArn = applied, Name = "Before" }.Facet)
    end)

    it("refuses every transition of a deleted directory", function()
      cd:DisableDirectory{ DirectoryArn = arn }
      cd:DeleteDirectory{ DirectoryArn = arn }
      expect_error("DirectoryDeletedException", cd.DeleteDirectory, cd, { DirectoryArn = arn })
      expect_error("DirectoryDeletedException", cd.EnableDirectory, cd, { DirectoryArn = arn })
      expect_error("DirectoryDeletedException", cd.DisableDirectory, cd, { DirectoryArn = arn })
      assert.equal("DELETED", state())
    end)

    it("raises ResourceNotFoundException for an unknown directory", function()
      for _, op in ipairs{ "DisableDirectory", "EnableDirectory", "DeleteDirectory" } do
        expect_error("ResourceNotFoundException", cd.call, cd, op,
          { DirectoryArn = UNKNOWN_DIRECTORY })
      end
    end)

    it("raises InvalidArnException for a non-directory ARN", function()
      for _, op in ipairs{ "DisableDirectory", "EnableDirectory", "DeleteDirectory" } do
        expect_error("InvalidArnException", cd.call, cd, op, { DirectoryArn = fx.published_arn })
      end
    end)

    it("treats another region or account as not found", function()
      local foreign = arn:gsub("us%-east%-1", "eu-west-1")
      expect_error("ResourceNotFoundException", cd.DisableDirectory, cd,
        { DirectoryArn = foreign })
    end)
  end)

  describe("ApplySchema", function()
    local dir, other_pub
    before_each(function()
      dir = create("d")
      local hr = helper.fixture(cd, { schema = "hr", directory = false, minor = "3" })
      other_pub = hr.published_arn
    end)

    it("applies a second schema and returns its applied ARN", function()
      local r = cd:ApplySchema{ PublishedSchemaArn = other_pub, DirectoryArn = dir.DirectoryArn }
      assert.same({ AppliedSchemaArn = dir.DirectoryArn .. "/schema/hr/1",
                    DirectoryArn = dir.DirectoryArn }, r)
      assert.same({ dir.DirectoryArn .. "/schema/hr/1", dir.DirectoryArn .. "/schema/org/1" },
        cd:ListAppliedSchemaArns{ DirectoryArn = dir.DirectoryArn }.SchemaArns)
      assert.equal("Person", cd:GetFacet{ SchemaArn = r.AppliedSchemaArn, Name = "Person" }
                               .Facet.Name)
    end)

    it("refuses the same schema twice with InvalidAttachmentException", function()
      expect_error("InvalidAttachmentException", cd.ApplySchema, cd,
        { PublishedSchemaArn = fx.published_arn, DirectoryArn = dir.DirectoryArn })
    end)

    it("refuses another revision of an applied name/major with SchemaAlreadyExists", function()
      cd:DeleteSchema{ SchemaArn = fx.published_arn }
      local again = cd:PublishSchema{ DevelopmentSchemaArn = fx.schema_arn, Version = "1" }
                      .PublishedSchemaArn
      expect_error("SchemaAlreadyExistsException", cd.ApplySchema, cd,
        { PublishedSchemaArn = again, DirectoryArn = dir.DirectoryArn })
    end)

    it("applies at most 5 schemas under limits = aws", function()
      for i = 2, 5 do
        cd:ApplySchema{ DirectoryArn = dir.DirectoryArn, PublishedSchemaArn =
          cd:PublishSchema{ DevelopmentSchemaArn = fx.schema_arn, Version = tostring(i) }
            .PublishedSchemaArn }
      end
      expect_error("LimitExceededException", cd.ApplySchema, cd,
        { PublishedSchemaArn = other_pub, DirectoryArn = dir.DirectoryArn })
    end)

    it("copies: later changes to the development schema do not reach it", function()
      cd:CreateFacet{ SchemaArn = fx.schema_arn, Name = "Later", ObjectType = "NODE" }
      expect_error("FacetNotFoundException", cd.GetFacet, cd,
        { SchemaArn = dir.AppliedSchemaArn, Name = "Later" })
    end)

    it("raises ResourceNotFoundException for an unknown schema or directory", function()
      expect_error("ResourceNotFoundException", cd.ApplySchema, cd,
        { PublishedSchemaArn = PREFIX .. "schema/published/nope/1",
          DirectoryArn = dir.DirectoryArn })
      expect_error("ResourceNotFoundException", cd.ApplySchema, cd,
        { PublishedSchemaArn = other_pub, DirectoryArn = UNKNOWN_DIRECTORY })
    end)

    it("raises InvalidArnException for the wrong kinds of ARN", function()
      expect_error("InvalidArnException", cd.ApplySchema, cd,
        { PublishedSchemaArn = fx.schema_arn, DirectoryArn = dir.DirectoryArn })
      expect_error("InvalidArnException", cd.ApplySchema, cd,
        { PublishedSchemaArn = other_pub, DirectoryArn = other_pub })
    end)

    it("does not apply to a deleted directory", function()
      cd:DisableDirectory{ DirectoryArn = dir.DirectoryArn }
      cd:DeleteDirectory{ DirectoryArn = dir.DirectoryArn }
      expect_error("ResourceNotFoundException", cd.ApplySchema, cd,
        { PublishedSchemaArn = other_pub, DirectoryArn = dir.DirectoryArn })
    end)
  end)

  describe("ListAppliedSchemaArns and GetAppliedSchemaVersion", function()
    local dir
    before_each(function() dir = create("d") end)

    it("lists majors only, never the base schema", function()
      assert.same({ SchemaArns = { dir.AppliedSchemaArn } },
        cd:ListAppliedSchemaArns{ DirectoryArn = dir.DirectoryArn })
    end)

    it("pages", function()
      for i = 2, 4 do
        cd:ApplySchema{ DirectoryArn = dir.DirectoryArn, PublishedSchemaArn =
          cd:PublishSchema{ DevelopmentSchemaArn = fx.schema_arn, Version = tostring(i) }
            .PublishedSchemaArn }
      end
      local all, pages = helper.all_pages(cd, "ListAppliedSchemaArns",
        { DirectoryArn = dir.DirectoryArn, MaxResults = 3 }, "SchemaArns")
      assert.equal(4, #all)
      assert.equal(2, pages)
    end)

    it("lists the minor version in use given a major ARN", function()
      local hr = helper.fixture(cd, { schema = "hr", directory = false, minor = "3" })
      local applied = cd:ApplySchema{ PublishedSchemaArn = hr.published_arn,
                                      DirectoryArn = dir.DirectoryArn }.AppliedSchemaArn
      assert.same({ applied .. "/3" },
        cd:ListAppliedSchemaArns{ DirectoryArn = dir.DirectoryArn, SchemaArn = applied }
          .SchemaArns)
      -- without a minor version the major is the version in use
      assert.same({ dir.AppliedSchemaArn },
        cd:ListAppliedSchemaArns{ DirectoryArn = dir.DirectoryArn,
                                  SchemaArn = dir.AppliedSchemaArn }.SchemaArns)
    end)

    it("GetAppliedSchemaVersion includes the minor version in use", function()
      assert.same({ AppliedSchemaArn = dir.AppliedSchemaArn },
        cd:GetAppliedSchemaVersion{ SchemaArn = dir.AppliedSchemaArn })
      local hr = helper.fixture(cd, { schema = "hr", directory = false, minor = "3" })
      local applied = cd:ApplySchema{ PublishedSchemaArn = hr.published_arn,
                                      DirectoryArn = dir.DirectoryArn }.AppliedSchemaArn
      assert.same({ AppliedSchemaArn = applied .. "/3" },
        cd:GetAppliedSchemaVersion{ SchemaArn = applied })
      assert.same({ AppliedSchemaArn = applied .. "/3" },
        cd:GetAppliedSchemaVersion{ SchemaArn = applied .. "/3" })
    end)

    it("the base schema is in use everywhere but never listed", function()
      local base = dir.DirectoryArn .. "/schema/CloudDirectory/1.0"
      assert.same({ AppliedSchemaArn = base }, cd:GetAppliedSchemaVersion{ SchemaArn = base })
      local e = expect_error("InvalidArnException", cd.GetAppliedSchemaVersion, cd,
        { SchemaArn = base .. "/1" })
      assert.matches("no minor version", e.message)
      expect_error("InvalidArnException", cd.ListAppliedSchemaArns, cd,
        { DirectoryArn = dir.DirectoryArn, SchemaArn = base })
    end)

    it("raise ResourceNotFoundException for unknown directories and schemas", function()
      expect_error("ResourceNotFoundException", cd.ListAppliedSchemaArns, cd,
        { DirectoryArn = UNKNOWN_DIRECTORY })
      expect_error("ResourceNotFoundException", cd.ListAppliedSchemaArns, cd,
        { DirectoryArn = dir.DirectoryArn, SchemaArn = dir.DirectoryArn .. "/schema/nope/1" })
      expect_error("ResourceNotFoundException", cd.GetAppliedSchemaVersion, cd,
        { SchemaArn = dir.DirectoryArn .. "/schema/nope/1" })
      expect_error("ResourceNotFoundException", cd.GetAppliedSchemaVersion, cd,
        { SchemaArn = UNKNOWN_DIRECTORY .. "/schema/org/1" })
      expect_error("ResourceNotFoundException", cd.GetAppliedSchemaVersion, cd,
        { SchemaArn = dir.AppliedSchemaArn .. "/9" })
    end)

    it("ListAppliedSchemaArns needs the major version ARN, without a minor", function()
      local hr = helper.fixture(cd, { schema = "hr", directory = false, minor = "3" })
      local applied = cd:ApplySchema{ PublishedSchemaArn = hr.published_arn,
                                      DirectoryArn = dir.DirectoryArn }.AppliedSchemaArn
      for _, minor in ipairs{ "3", "9" } do
        local e = expect_error("InvalidArnException", cd.ListAppliedSchemaArns, cd,
          { DirectoryArn = dir.DirectoryArn, SchemaArn = applied .. "/" .. minor })
        assert.matches(applied, e.message, 1, true)
      end
    end)

    it("raise InvalidArnException for the wrong kinds of ARN", function()
      expect_error("InvalidArnException", cd.GetAppliedSchemaVersion, cd,
        { SchemaArn = fx.published_arn })
      expect_error("InvalidArnException", cd.ListAppliedSchemaArns, cd,
        { DirectoryArn = dir.DirectoryArn, SchemaArn = fx.published_arn })
      local other = create("other")
      expect_error("InvalidArnException", cd.ListAppliedSchemaArns, cd,
        { DirectoryArn = dir.DirectoryArn, SchemaArn = other.AppliedSchemaArn })
      expect_error("InvalidNextTokenException", cd.ListAppliedSchemaArns, cd,
        { DirectoryArn = dir.DirectoryArn, NextToken = "zz" })
    end)
  end)

  describe("in another region and account", function()
    it("builds every ARN from the store's options", function()
      local other = helper.client{ region = "ap-south-1", account = "000011112222" }
      local f = helper.fixture(other)
      local p = "^arn:aws:clouddirectory:ap%-south%-1:000011112222:"
      assert.matches(p .. "schema/development/", f.schema_arn)
      assert.matches(p .. "schema/published/", f.published_arn)
      assert.matches(p .. "directory/[%w_-]+$", f.directory_arn)
      assert.matches(p .. "directory/[%w_-]+/schema/org%-%d+/1$", f.applied_arn)
      expect_error("ResourceNotFoundException", other.DisableDirectory, other,
        { DirectoryArn = f.directory_arn:gsub("ap%-south%-1:000011112222",
                                              "us-east-1:123456789012") })
    end)
  end)
end)
