-- serve_awscli_spec.lua — `clouddir serve` driven by an unmodified aws-cli v2 (Debian's
-- awscli) through every group of operations: schemas and facets, publish and directories,
-- objects and hierarchy with the CLI's own paginator, batch writes (references, a failing
-- batch), typed links with filters, indexes with ranges, policy lookup, schema JSON, tags.
-- The server runs as $CLOUDDIR_BIN on a free loopback port with a temporary store.
local json = require "dkjson"

local BIN = os.getenv("CLOUDDIR_BIN") or "build/bin/clouddir"
local AWS = "/usr/bin/aws"   -- Debian's aws-cli v2 (a pip-installed v1 may come first in PATH)

local helper = require "spec.helper"
local read, write = helper.read_file, helper.write_file

local function sleep(s) os.execute("sleep " .. s) end

local have_aws = io.open(AWS, "r") ~= nil

describe("clouddir serve with aws-cli v2", function()
  local tmp = os.tmpname()
  os.remove(tmp)
  os.execute("mkdir -p " .. tmp)
  local store, out, err, rcfile = tmp .. "/store", tmp .. "/out", tmp .. "/err", tmp .. "/rc"
  local url, server_pid
  local calls = 0

  -- Runs `aws clouddirectory CMD` with input (a table sent as --cli-input-json) and extra
  -- arguments; returns the decoded output (or nil), the exit code and stderr's text.  The
  -- sanitizer run preloads its runtimes into Lua: Python must not inherit them.
  local function aws(cmd, input, extra)
    calls = calls + 1
    local args = { AWS, "--endpoint-url", url, "--no-cli-pager", "--output", "json",
                   "clouddirectory", cmd }
    if input then
      local file = tmp .. "/in" .. calls .. ".json"
      write(file, json.encode(input))
      args[#args + 1] = "--cli-input-json"
      args[#args + 1] = "file://" .. file
    end
    for _, a in ipairs(extra or {}) do args[#args + 1] = a end
    for i, a in ipairs(args) do args[i] = "'" .. a:gsub("'", "'\\''") .. "'" end
    local errfile = tmp .. "/stderr" .. calls
    local cmdline = "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS AWS_ACCESS_KEY_ID=x " ..
                    "AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= " ..
                    "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null " ..
                    table.concat(args, " ") .. " 2>" .. errfile
    local p = assert(io.popen(cmdline, "r"))
    local text = p:read("a")
    local _, _, code = p:close()
    local stderr = read(errfile) or ""
    local value = nil
    if text:match("%S") then value = json.decode(text, 1, json.null) end
    return value, code, stderr
  end

  -- aws(...) that must succeed.
  local function ok(cmd, input, extra)
    local v, code, stderr = aws(cmd, input, extra)
    assert(code == 0, cmd .. " failed (" .. tostring(code) .. "): " .. stderr)
    return v or {}
  end

  -- aws(...) that must fail with the named exception.
  local function fails(name, cmd, input, extra)
    local _, code, stderr = aws(cmd, input, extra)
    assert(code ~= 0, cmd .. " should have failed with " .. name)
    assert(stderr:find("(" .. name .. ")", 1, true),
           cmd .. ": expected " .. name .. " in: " .. stderr)
    return stderr
  end

  setup(function()
    if not have_aws then return end
    local port
    port, server_pid = helper.start_serve(BIN, store, out, err, rcfile)
    url = port and "http://127.0.0.1:" .. port
  end)

  teardown(function()
    if server_pid and not read(rcfile) then os.execute("kill -KILL " .. server_pid) end
    os.execute("rm -rf " .. tmp)
  end)

  local dev, published, dir, root
  local S = {}   -- values later steps use

  local function key(facet, name, schema)
    return { SchemaArn = schema or S.applied, FacetName = facet, Name = name }
  end
  local function sel(path) return { Selector = path } end

  it("starts, says it accepts any signature, and listens on loopback", function()
    assert.is_true(have_aws, "aws-cli v2 is missing: apt-get install awscli")
    assert.truthy(url, "the server did not start: " .. (read(err) or ""))
    assert.truthy((read(out) or ""):find("any signature is accepted", 1, true))
  end)

  it("schemas and facets", function()
    dev = ok("create-schema", { Name = "org" }).SchemaArn
    assert.truthy(dev:find(":schema/development/org$"))
    ok("create-facet", { SchemaArn = dev, Name = "Group", ObjectType = "NODE", Attributes = {
      { Name = "name", AttributeDefinition = { Type = "STRING" }, RequiredBehavior = "NOT_REQUIRED" },
    } })
    ok("create-facet", { SchemaArn = dev, Name = "Person", ObjectType = "LEAF_NODE", Attributes = {
      { Name = "email", AttributeDefinition = { Type = "STRING" }, RequiredBehavior = "REQUIRED_ALWAYS" },
      { Name = "age", AttributeDefinition = { Type = "NUMBER" }, RequiredBehavior = "NOT_REQUIRED" },
      { Name = "photo", AttributeDefinition = { Type = "BINARY" }, RequiredBehavior = "NOT_REQUIRED" },
      { Name = "born", AttributeDefinition = { Type = "DATETIME" }, RequiredBehavior = "NOT_REQUIRED" },
    } })
    ok("create-facet", { SchemaArn = dev, Name = "Rule", ObjectType = "POLICY" })
    ok("create-typed-link-facet", { SchemaArn = dev, Facet = { Name = "Follows",
      Attributes = { { Name = "since", Type = "NUMBER", RequiredBehavior = "REQUIRED_ALWAYS" } },
      IdentityAttributeOrder = { "since" } } })
    local names = ok("list-facet-names", { SchemaArn = dev }).FacetNames
    table.sort(names)
    assert.same({ "Group", "Person", "Rule" }, names)
    local f = ok("get-facet", { SchemaArn = dev, Name = "Person" }).Facet
    assert.same({ Name = "Person", ObjectType = "LEAF_NODE", FacetStyle = f.FacetStyle }, f)
    -- An error by name, with its 400 status: the facet exists already.
    fails("FacetAlreadyExistsException", "create-facet",
          { SchemaArn = dev, Name = "Rule", ObjectType = "POLICY" })
    -- No body at all on the wire (Content-Length: 0): GetSchemaAsJson.
    local doc = json.decode(ok("get-schema-as-json", nil, { "--schema-arn", dev }).Document)
    assert.truthy(doc.facets.Person)
  end)

  it("schema JSON put and get", function()
    local copy = ok("create-schema", { Name = "copy" }).SchemaArn
    local doc = ok("get-schema-as-json", nil, { "--schema-arn", dev }).Document
    ok("put-schema-from-json", { SchemaArn = copy, Document = doc })
    local names = ok("list-facet-names", { SchemaArn = copy }).FacetNames
    table.sort(names)
    assert.same({ "Group", "Person", "Rule" }, names)
    fails("InvalidSchemaDocException", "put-schema-from-json",
          { SchemaArn = copy, Document = "{not json" })
  end)

  it("publish and create a directory", function()
    published = ok("publish-schema", { DevelopmentSchemaArn = dev, Version = "1" }).PublishedSchemaArn
    assert.truthy(published:find(":schema/published/org/1$"))
    local d = ok("create-directory", { Name = "corp", SchemaArn = published })
    dir, root, S.applied = d.DirectoryArn, d.ObjectIdentifier, d.AppliedSchemaArn
    local got = ok("get-directory", nil, { "--directory-arn", dir }).Directory
    assert.equal("corp", got.Name)
    assert.equal("ENABLED", got.State)
    assert.truthy(got.CreationDateTime)   -- a timestamp the CLI could parse
    local listed = ok("list-directories").Directories
    assert.equal(1, #listed)
    assert.same({ S.applied }, ok("list-applied-schema-arns", { DirectoryArn = dir }).SchemaArns)
    fails("AccessDeniedException", "get-directory", nil,
          { "--directory-arn", (dir:gsub("directory/.*", "directory/AAAAAAAAAAAAAAAAAAAAAAAAAA")) })
  end)

  it("objects and hierarchy; the CLI's paginator walks every page", function()
    ok("create-object", { DirectoryArn = dir, SchemaFacets = { { SchemaArn = S.applied, FacetName = "Group" } },
       ObjectAttributeList = { { Key = key("Group", "name"), Value = { StringValue = "people" } } },
       ParentReference = sel("/"), LinkName = "people" })
    -- A blob goes out and comes back as the same base64; a datetime as epoch seconds.
    S.ann = ok("create-object", { DirectoryArn = dir,
       SchemaFacets = { { SchemaArn = S.applied, FacetName = "Person" } },
       ObjectAttributeList = {
         { Key = key("Person", "email"), Value = { StringValue = "ann@example.com" } },
         { Key = key("Person", "age"), Value = { NumberValue = "41" } },
         { Key = key("Person", "photo"), Value = { BinaryValue = "AAEC/w==" } },
         { Key = key("Person", "born"), Value = { DatetimeValue = 1600000000.5 } },
       }, ParentReference = sel("/people"), LinkName = "ann" }).ObjectIdentifier
    local attrs = ok("list-object-attributes", { DirectoryArn = dir, ObjectReference = sel("/people/ann") })
    local byname = {}
    for _, a in ipairs(attrs.Attributes) do byname[a.Key.Name] = a.Value end
    assert.equal("AAEC/w==", byname.photo.BinaryValue)
    assert.equal("41", byname.age.NumberValue)
    assert.equal("ann@example.com", byname.email.StringValue)
    assert.truthy(byname.born.DatetimeValue)
    local info = ok("get-object-information", { DirectoryArn = dir, ObjectReference = sel("/people/ann"),
                                                ConsistencyLevel = "SERIALIZABLE" })
    assert.equal(S.ann, info.ObjectIdentifier)
    assert.same({ "people" }, (function()
      local r = {}
      for k in pairs(ok("list-object-children", { DirectoryArn = dir, ObjectReference = sel("/") }).Children) do
        r[#r + 1] = k
      end
      return r
    end)())
    fails("ResourceNotFoundException", "get-object-information",
          { DirectoryArn = dir, ObjectReference = sel("/people/nobody") })
  end)

  it("batch-write with references; the CLI pages through 33 children", function()
    -- Two batches of 16 people: each created unattached under a reference, then attached.
    for b = 0, 1 do
      local ops = {}
      for i = 1, 16 do
        local n = b * 16 + i
        local ref = "p" .. n
        ops[#ops + 1] = { CreateObject = { SchemaFacet = { { SchemaArn = S.applied, FacetName = "Person" } },
          ObjectAttributeList = {
            { Key = key("Person", "email"), Value = { StringValue = "p" .. n .. "@example.com" } },
            { Key = key("Person", "age"), Value = { NumberValue = tostring(n) } } },
          BatchReferenceName = ref } }
        ops[#ops + 1] = { AttachObject = { ParentReference = sel("/people"), ChildReference = sel("#" .. ref),
                                           LinkName = string.format("p%02d", n) } }
      end
      local r = ok("batch-write", { DirectoryArn = dir, Operations = ops })
      assert.equal(32, #r.Responses)
    end
    -- ListObjectChildren has no paginator in the CLI: walk its pages by hand.  Tokens
    -- never repeat, and the last page has none.
    local n, pages, token, seen = 0, 0, nil, {}
    repeat
      local extra = { "--max-results", "5" }
      if token then extra[3], extra[4] = "--next-token", token end
      local r = ok("list-object-children", { DirectoryArn = dir, ObjectReference = sel("/people") }, extra)
      for _ in pairs(r.Children) do n = n + 1 end
      pages = pages + 1
      token = r.NextToken
      assert.is_nil(token and seen[token])
      if token then seen[token] = true end
    until not token
    assert.equal(33, n)
    assert.equal(7, pages)
  end)

  it("a failing batch changes nothing and names BatchWriteException", function()
    local stderr = fails("BatchWriteException", "batch-write", { DirectoryArn = dir, Operations = {
      { CreateObject = { SchemaFacet = { { SchemaArn = S.applied, FacetName = "Group" } },
                         ObjectAttributeList = {}, ParentReference = sel("/"), LinkName = "ghost" } },
      { AttachObject = { ParentReference = sel("/people"), ChildReference = sel("/nowhere"), LinkName = "x" } },
    } })
    assert.truthy(stderr:find("BatchWrite", 1, true))
    fails("ResourceNotFoundException", "get-object-information",
          { DirectoryArn = dir, ObjectReference = sel("/ghost") })
  end)

  it("typed links with filters", function()
    local function tl_key(n) return { SchemaArn = S.applied, TypedLinkName = "Follows" } end
    for _, pair in ipairs({ { "p01", "p02", "2019" }, { "p01", "p03", "2021" }, { "p02", "p03", "2020" } }) do
      ok("attach-typed-link", { DirectoryArn = dir, SourceObjectReference = sel("/people/" .. pair[1]),
         TargetObjectReference = sel("/people/" .. pair[2]), TypedLinkFacet = tl_key(),
         Attributes = { { AttributeName = "since", Value = { NumberValue = pair[3] } } } })
    end
    local out_links = ok("list-outgoing-typed-links", { DirectoryArn = dir, ObjectReference = sel("/people/p01"),
      FilterTypedLink = tl_key(),
      FilterAttributeRanges = { { AttributeName = "since", Range = {
        StartMode = "INCLUSIVE", StartValue = { NumberValue = "2020" },
        EndMode = "INCLUSIVE", EndValue = { NumberValue = "2030" } } } } }).TypedLinkSpecifiers
    assert.equal(1, #out_links)
    assert.equal("2021", out_links[1].IdentityAttributeValues[1].Value.NumberValue)
    local incoming = ok("list-incoming-typed-links", { DirectoryArn = dir, ObjectReference = sel("/people/p03"),
                                                       FilterTypedLink = tl_key() }).LinkSpecifiers
    assert.equal(2, #incoming)
    local attrs = ok("get-link-attributes", { DirectoryArn = dir, TypedLinkSpecifier = out_links[1],
                                              AttributeNames = { "since" } }).Attributes
    assert.equal("2021", attrs[1].Value.NumberValue)
  end)

  it("indexes with ranges", function()
    S.index = ok("create-index", { DirectoryArn = dir, IsUnique = false,
      OrderedIndexedAttributeList = { key("Person", "age") },
      ParentReference = sel("/"), LinkName = "byage" }).ObjectIdentifier
    ok("attach-to-index", { DirectoryArn = dir, IndexReference = sel("/byage"),
                            TargetReference = sel("/people/p01") })
    for first = 2, 32, 16 do   -- at most 20 written objects per batch
      local ops = {}
      for i = first, math.min(first + 15, 32) do
        ops[#ops + 1] = { AttachToIndex = { IndexReference = sel("/byage"),
                                            TargetReference = sel(string.format("/people/p%02d", i)) } }
      end
      ok("batch-write", { DirectoryArn = dir, Operations = ops })
    end
    -- The CLI's own paginator: 32 attachments in pages of 5, merged into one list.
    local all = ok("list-index", { DirectoryArn = dir, IndexReference = sel("/byage") },
                   { "--page-size", "5" })
    assert.equal(32, #all.IndexAttachments)
    assert.is_nil(all.NextToken)
    local r = ok("list-index", { DirectoryArn = dir, IndexReference = sel("/byage"),
      RangesOnIndexedValues = { { AttributeKey = key("Person", "age"), Range = {
        StartMode = "INCLUSIVE", StartValue = { NumberValue = "3" },
        EndMode = "EXCLUSIVE", EndValue = { NumberValue = "8" } } } } }, { "--page-size", "2" })
    assert.equal(5, #r.IndexAttachments)
    assert.equal("3", r.IndexAttachments[1].IndexedAttributes[1].Value.NumberValue)
    local idx = ok("list-attached-indices", { DirectoryArn = dir, TargetReference = sel("/people/p05") })
    assert.equal(S.index, idx.IndexAttachments[1].ObjectIdentifier)
  end)

  it("policy lookup", function()
    ok("create-object", { DirectoryArn = dir, SchemaFacets = { { SchemaArn = S.applied, FacetName = "Rule" } },
       ObjectAttributeList = {
         { Key = key("Rule", "policy_type"), Value = { StringValue = "access" } },
         { Key = key("Rule", "policy_document"), Value = { BinaryValue = "e30=" } } },
       ParentReference = sel("/"), LinkName = "rule" })
    ok("attach-policy", { DirectoryArn = dir, PolicyReference = sel("/rule"), ObjectReference = sel("/people") })
    local paths = ok("lookup-policy", { DirectoryArn = dir, ObjectReference = sel("/people/ann") }).PolicyToPathList
    local found = false
    for _, p in ipairs(paths) do
      for _, pol in ipairs(p.Policies or {}) do
        if pol.PolicyType == "access" then found = true end
      end
    end
    assert.is_true(found)
    fails("NotPolicyException", "attach-policy",
          { DirectoryArn = dir, PolicyReference = sel("/people"), ObjectReference = sel("/rule") })
  end)

  it("tags", function()
    ok("tag-resource", { ResourceArn = dir, Tags = { { Key = "env", Value = "test" }, { Key = "team", Value = "id" } } })
    local tags = ok("list-tags-for-resource", { ResourceArn = dir }).Tags
    assert.equal(2, #tags)
    ok("untag-resource", { ResourceArn = dir, TagKeys = { "team" } })
    assert.same({ { Key = "env", Value = "test" } }, ok("list-tags-for-resource", { ResourceArn = dir }).Tags)
  end)

  it("stops cleanly on SIGTERM (exit 0, store closed)", function()
    assert.truthy(server_pid)
    os.execute("kill -TERM " .. server_pid)
    for _ = 1, 200 do
      if read(rcfile) then break end
      sleep(0.05)
    end
    assert.equal("0", (read(rcfile) or "(still running)"):match("%S+"))
    local errors = read(err) or ""
    assert.is_nil(errors:find("ERROR", 1, true), errors)
    assert.is_nil(errors:find("runtime error", 1, true), errors)
  end)
end)
