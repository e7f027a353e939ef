-- Policies: AttachPolicy, DetachPolicy, ListObjectPolicies, ListPolicyAttachments,
-- LookupPolicy, their errors and limits, and how attachments keep objects from deletion.
local F = require "data_fixtures"

describe("policies", function()
  local ctx, cd

  before_each(function()
    ctx = F.setup()
    cd = ctx.cd
  end)
  after_each(F.cleanup)

  -- A policy object of the given type (Rule facet, values under its own key form).
  local function policy(ptype, parent, link)
    return F.create(ctx, "Rule", F.attrs(ctx, "Rule", { policy_type = { StringValue = ptype },
                                                        policy_document = { BinaryValue = "{}" } }),
                    parent, link)
  end
  -- The same through the base facet CloudDirectory/1.0 POLICY.
  local function base_policy(ptype)
    return F.create(ctx, { F.sf(ctx, "POLICY", ctx.base) },
                    F.attrs(ctx, "POLICY", { policy_type = { StringValue = ptype },
                                             policy_document = { BinaryValue = "doc" } }, ctx.base))
  end
  local function sel(x)   -- a path or selector as is, else an id
    if x:find("^[/$]") then return F.sel(x) end
    return F.id(x)
  end
  local function attach(pol, obj)
    return cd:AttachPolicy{ DirectoryArn = ctx.dir, PolicyReference = sel(pol), ObjectReference = sel(obj) }
  end
  local function detach(pol, obj)
    return cd:DetachPolicy{ DirectoryArn = ctx.dir, PolicyReference = sel(pol), ObjectReference = sel(obj) }
  end
  local function policies_of(obj, n, token)
    return cd:ListObjectPolicies{ DirectoryArn = ctx.dir, ObjectReference = sel(obj), MaxResults = n,
                                  NextToken = token }
  end
  local function attachments(pol, n, token)
    return cd:ListPolicyAttachments{ DirectoryArn = ctx.dir, PolicyReference = sel(pol),
                                     MaxResults = n, NextToken = token }
  end
  local function lookup(obj, n, token)
    return cd:LookupPolicy{ DirectoryArn = ctx.dir, ObjectReference = sel(obj), MaxResults = n,
                            NextToken = token }
  end
  local function delete(obj)
    return cd:DeleteObject{ DirectoryArn = ctx.dir, ObjectReference = sel(obj) }
  end
  local function set(list)
    local s = {}
    for _, v in ipairs(list) do s[v] = true end
    return s
  end

  describe("policy objects", function()
    it("read policy_type and policy_document under both key forms", function()
      local p, q = policy("acl"), base_policy("quota")
      for _, id in ipairs{ p, q } do
        local own = cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(id),
          SchemaFacet = id == p and F.sf(ctx, "Rule") or F.sf(ctx, "POLICY", ctx.base),
          AttributeNames = { "policy_type" } }
        local base = cd:GetObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(id),
          SchemaFacet = F.sf(ctx, "POLICY", ctx.base), AttributeNames = { "policy_type", "policy_document" } }
        assert.same(own.Attributes[1].Value, base.Attributes[1].Value)
        assert.equal(2, #base.Attributes)
      end
      -- both forms make policy objects that attach and report their type
      local g = F.node(ctx, "/", "g")
      attach(p, g)
      attach(q, g)
      local r = lookup("/g").PolicyToPathList
      assert.equal(1, #r)
      local types = {}
      for _, e in ipairs(r[1].Policies) do
        if e.PolicyId then types[e.PolicyId] = e.PolicyType end
      end
      assert.same({ [p] = "acl", [q] = "quota" }, types)
    end)
  end)

  describe("AttachPolicy and DetachPolicy", function()
    it("attach a policy to nodes, leaf nodes and the root, with empty responses", function()
      local p = policy("acl")
      local g, leaf = F.node(ctx, "/", "g"), F.person(ctx, "Ann", "/g", "ann")
      assert.same({}, attach(p, "/"))
      assert.same({}, attach(p, g))
      assert.same({}, attach(p, "/g/ann"))
      assert.same({ p }, policies_of("/").AttachedPolicyIds)
      assert.same({ p }, policies_of(leaf).AttachedPolicyIds)
      assert.same(set{ ctx.root, g, leaf }, set(attachments(p).ObjectIdentifiers))
      assert.same({}, detach(p, g))
      assert.same({}, policies_of(g).AttachedPolicyIds)
      assert.same(set{ ctx.root, leaf }, set(attachments(p).ObjectIdentifiers))
    end)

    it("accept both selector forms of the policy", function()
      local p = policy("acl", "/", "policies")
      local g = F.node(ctx, "/", "g")
      attach("/policies", "/g")
      assert.same({ p }, policies_of(g).AttachedPolicyIds)
      detach("$\"" .. p .. "\"", "/g")
      assert.same({}, policies_of(g).AttachedPolicyIds)
    end)

    it("raise NotPolicyException when PolicyReference is not a policy", function()
      local g, h = F.node(ctx, "/", "g"), F.node(ctx, "/", "h")
      local leaf = F.person(ctx, "Ann")
      F.expect_error("NotPolicyException", attach, g, h)
      F.expect_error("NotPolicyException", attach, leaf, h)
      F.expect_error("NotPolicyException", detach, g, h)
      F.expect_error("NotPolicyException", attachments, g)
      F.expect_error("NotPolicyException", attachments, "/")
    end)

    it("raise ResourceNotFoundException for missing objects", function()
      local p = policy("acl")
      F.expect_error("ResourceNotFoundException", attach, "/nope", "/")
      F.expect_error("ResourceNotFoundException", attach, p, "/nope")
      F.expect_error("ResourceNotFoundException", detach, p, "/nope")
      F.expect_error("ResourceNotFoundException", policies_of, "/nope")
      F.expect_error("ResourceNotFoundException", attachments, "/nope")
      F.expect_error("ResourceNotFoundException", lookup, "/nope")
    end)

    it("refuse policy and index objects as targets (ValidationException: AttachPolicy lists no InvalidAttachmentException)", function()
      local p, q = policy("acl"), policy("quota")
      F.expect_error("ValidationException", attach, p, q)
      F.expect_error("ValidationException", attach, p, p)
    end)

    it("refuse attaching the same policy twice (InvalidAttachmentException)", function()
      local p = policy("acl")
      local g = F.node(ctx, "/", "g")
      attach(p, g)
      local e = F.expect_error("InvalidAttachmentException", attach, p, g)
      assert.matches("already attached", e.message, 1, true)
      assert.same({ p }, policies_of(g).AttachedPolicyIds)
    end)

    it("allow one policy of each policy_type per object (InvalidAttachmentException)", function()
      local a1, a2, b = policy("acl"), base_policy("acl"), policy("quota")
      local g, h = F.node(ctx, "/", "g"), F.node(ctx, "/", "h")
      attach(a1, g)
      local e = F.expect_error("InvalidAttachmentException", attach, a2, g)
      assert.matches("acl", e.message, 1, true)
      attach(b, g)         -- another type is fine
      attach(a2, h)        -- the same type on another object is fine
      detach(a1, g)
      attach(a2, g)        -- room again once the first is detached
      assert.same(set{ a2, b }, set(policies_of(g).AttachedPolicyIds))
    end)

    it("checks the current policy_type, which UpdateObjectAttributes can change", function()
      local a, b = policy("acl"), policy("quota")
      local g = F.node(ctx, "/", "g")
      attach(a, g)
      cd:UpdateObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.id(a), AttributeUpdates = {
        { ObjectAttributeKey = F.key(ctx, "POLICY", "policy_type", ctx.base),
          ObjectAttributeAction = { ObjectAttributeActionType = "CREATE_OR_UPDATE",
                                    ObjectAttributeUpdateValue = { StringValue = "quota" } } } } }
      F.expect_error("InvalidAttachmentException", attach, b, g)
      local r = lookup("/g").PolicyToPathList[1].Policies
      assert.equal("quota", r[2].PolicyType)
    end)

    it("allow 4 policies per object under limits = 'aws'", function()
      local g = F.node(ctx, "/", "g")
      for i = 1, 4 do attach(policy("t" .. i), g) end
      local fifth = policy("t5")
      local e = F.expect_error("LimitExceededException", attach, fifth, g)
      assert.matches("4", e.message, 1, true)
      assert.equal(4, #policies_of(g).AttachedPolicyIds)
    end)

    it("allow more under limits = 'none'", function()
      ctx = F.setup{ limits = "none" }
      cd = ctx.cd
      local g = F.node(ctx, "/", "g")
      local ids = {}
      for i = 1, 7 do
        ids[i] = policy("t" .. i)
        attach(ids[i], g)
      end
      assert.same(ids, policies_of(g, 100).AttachedPolicyIds)
      F.expect_error("InvalidAttachmentException", attach, policy("t3"), g)
    end)

    it("raise ResourceNotFoundException when detaching a policy that is not attached", function()
      local p, q = policy("acl"), policy("quota")
      local g = F.node(ctx, "/", "g")
      attach(p, g)
      local e = F.expect_error("ResourceNotFoundException", detach, q, g)
      assert.matches("not attached", e.message, 1, true)
      detach(p, g)
      F.expect_error("ResourceNotFoundException", detach, p, g)
    end)

    it("change nothing when they fail", function()
      local p, a2 = policy("acl"), policy("acl")
      local g, h = F.node(ctx, "/", "g"), F.node(ctx, "/", "h")
      attach(p, g)
      for i = 1, 4 do attach(policy("t" .. i), h) end
      local before = F.dump(ctx.path)
      F.expect_error("InvalidAttachmentException", attach, p, g)
      F.expect_error("InvalidAttachmentException", attach, a2, g)
      F.expect_error("ValidationException", attach, p, a2)
      F.expect_error("LimitExceededException", attach, p, h)
      F.expect_error("NotPolicyException", attach, g, h)
      F.expect_error("NotPolicyException", detach, g, h)
      F.expect_error("ResourceNotFoundException", detach, a2, g)
      F.expect_error("ResourceNotFoundException", attach, p, "/missing")
      F.expect_error("StillContainsLinksException", delete, p)
      F.expect_error("ValidationException", function()
        cd:AttachPolicy{ DirectoryArn = ctx.dir, PolicyReference = F.id(p) }
      end)
      assert.equal(before, F.dump(ctx.path))
    end)
  end)

  describe("ListObjectPolicies and ListPolicyAttachments", function()
    it("page through ids (without $) in a stable order", function()
      ctx = F.setup{ limits = "none" }
      cd = ctx.cd
      local g = F.node(ctx, "/", "g")
      local ids = {}
      for i = 1, 5 do
        ids[i] = policy("t" .. i)
        attach(ids[i], g)
      end
      local got, pages = F.helper.all_pages(cd, "ListObjectPolicies",
        { DirectoryArn = ctx.dir, ObjectReference = F.id(g), MaxResults = 2 }, "AttachedPolicyIds")
      assert.same(ids, got)
      assert.equal(3, pages)
      for _, id in ipairs(got) do assert.not_matches("^%$", id) end

      local objs = {}
      for i = 1, 5 do
        objs[i] = F.node(ctx, "/", "n" .. i)
        attach(ids[1], objs[i])
      end
      table.insert(objs, 1, g)
      got, pages = F.helper.all_pages(cd, "ListPolicyAttachments",
        { DirectoryArn = ctx.dir, PolicyReference = F.id(ids[1]), MaxResults = 4 }, "ObjectIdentifiers")
      assert.same(objs, got)
      assert.equal(2, pages)
    end)

    it("return empty lists, and accept ConsistencyLevel", function()
      local p = policy("acl")
      local g = F.node(ctx, "/", "g")
      assert.same({ AttachedPolicyIds = {} }, policies_of(g))
      assert.same({ ObjectIdentifiers = {} }, attachments(p))
      assert.same({ AttachedPolicyIds = {} }, policies_of(p))   -- any object has a list
      assert.same({ ObjectIdentifiers = {} }, cd:ListPolicyAttachments{ DirectoryArn = ctx.dir,
        PolicyReference = F.id(p), ConsistencyLevel = "SERIALIZABLE" })
      assert.same({ AttachedPolicyIds = {} }, cd:ListObjectPolicies{ DirectoryArn = ctx.dir,
        ObjectReference = F.id(g), ConsistencyLevel = "EVENTUAL" })
    end)

    it("refuse tokens of another object or operation", function()
      ctx = F.setup{ limits = "none" }
      cd = ctx.cd
      local g, h = F.node(ctx, "/", "g"), F.node(ctx, "/", "h")
      local p = policy("a")
      attach(p, g)
      attach(policy("b"), g)
      attach(p, h)
      local t = policies_of(g, 1).NextToken
      assert.truthy(t)
      F.expect_error("InvalidNextTokenException", policies_of, h, 1, t)
      F.expect_error("InvalidNextTokenException", attachments, p, 1, t)
      F.expect_error("InvalidNextTokenException", policies_of, g, 1, "garbage")
      local t2 = attachments(p, 1).NextToken
      assert.truthy(t2)
      F.expect_error("InvalidNextTokenException", lookup, g, 1, t2)
    end)
  end)

  describe("LookupPolicy", function()
    -- Entries of one path as { "id", "id:policy:type", ... } for short comparisons.
    local function flat(entries)
      local out = {}
      for _, e in ipairs(entries) do
        out[#out + 1] = e.PolicyId and (e.ObjectIdentifier .. ":" .. e.PolicyId .. ":" .. e.PolicyType)
                        or e.ObjectIdentifier
      end
      return out
    end

    it("returns one path top-down, with an entry per policy and per object without one", function()
      local p, q, r = policy("acl"), policy("quota"), policy("acl")
      local a = F.node(ctx, "/", "a")
      local b = F.node(ctx, "/a", "b")
      local leaf = F.person(ctx, "Ann", "/a/b", "ann")
      attach(p, a)
      attach(q, a)
      attach(r, leaf)
      local res = lookup("/a/b/ann")
      assert.is_nil(res.NextToken)
      assert.equal(1, #res.PolicyToPathList)
      assert.equal("/a/b/ann", res.PolicyToPathList[1].Path)
      assert.same({ ctx.root, a .. ":" .. p .. ":acl", a .. ":" .. q .. ":quota", b,
                    leaf .. ":" .. r .. ":acl" }, flat(res.PolicyToPathList[1].Policies))
      -- the entries without a policy carry only ObjectIdentifier
      assert.same({ ObjectIdentifier = ctx.root }, res.PolicyToPathList[1].Policies[1])
    end)

    it("reports the path of the starting object, also when it carries the policy", function()
      local p = policy("acl")
      local s = F.node(ctx, "/", "sensor")
      attach(p, s)
      assert.same({ { Path = "/sensor", Policies = {
        { ObjectIdentifier = ctx.root },
        { PolicyId = p, ObjectIdentifier = s, PolicyType = "acl" } } } }, lookup("/sensor").PolicyToPathList)
      attach(p, "/")
      assert.same({ { Path = "/", Policies = {
        { PolicyId = p, ObjectIdentifier = ctx.root, PolicyType = "acl" } } } }, lookup("/").PolicyToPathList)
    end)

    it("returns an empty list when no policy is attached on any path", function()
      F.node(ctx, "/", "g")
      F.person(ctx, "Ann", "/g", "ann")
      assert.same({ PolicyToPathList = {} }, lookup("/g/ann"))
      assert.same({ PolicyToPathList = {} }, lookup("/"))
    end)

    it("follows every parent of a leaf, in ListObjectParentPaths' order, paged by path", function()
      local p1, p2, p3 = policy("acl"), policy("quota"), policy("audit")
      local a, b, c, d = F.node(ctx, "/", "a"), F.node(ctx, "/", "b"), F.node(ctx, "/", "c"),
                         F.node(ctx, "/", "d")
      local leaf = F.person(ctx, "Ann")
      for _, parent in ipairs{ "/a", "/b", "/c", "/d" } do
        cd:AttachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel(parent),
                         ChildReference = F.id(leaf), LinkName = "ann" }
      end
      attach(p1, a)
      attach(p2, c)
      attach(p3, d)
      -- a policy merely attached as a child is not returned
      policy("ignored", "/b", "pol")
      -- the order of ListObjectParentPaths, without /b/ann (no policy on that path)
      local order = {}
      for _, e in ipairs(cd:ListObjectParentPaths{ DirectoryArn = ctx.dir,
                                                   ObjectReference = F.id(leaf) }.PathToObjectIdentifiersList) do
        if e.Path ~= "/b/ann" then order[#order + 1] = e.Path end
      end
      assert.equal(3, #order)
      local all = lookup(leaf).PolicyToPathList
      local paths = {}
      for i, e in ipairs(all) do paths[i] = e.Path end
      assert.same(order, paths)
      local want = { ["/a/ann"] = { ctx.root, a .. ":" .. p1 .. ":acl", leaf },
                     ["/c/ann"] = { ctx.root, c .. ":" .. p2 .. ":quota", leaf },
                     ["/d/ann"] = { ctx.root, d .. ":" .. p3 .. ":audit", leaf } }
      for _, e in ipairs(all) do assert.same(want[e.Path], flat(e.Policies)) end
      -- one path per page
      local got, token, pages = {}, nil, 0
      repeat
        local r = lookup(leaf, 1, token)
        pages = pages + 1
        assert.is_true(#r.PolicyToPathList <= 1)
        for _, e in ipairs(r.PolicyToPathList) do got[#got + 1] = e end
        token = r.NextToken
      until not token
      assert.same(all, got)
      assert.equal(3, pages)   -- no empty last page: a token only when a path follows
      -- the same with a bigger page
      local r = lookup(leaf, 2)
      assert.equal(2, #r.PolicyToPathList)
      assert.same({ all[3] }, lookup(leaf, 2, r.NextToken).PolicyToPathList)
      -- a token belongs to its object
      F.expect_error("InvalidNextTokenException", lookup, "/a", 1, r.NextToken)
    end)

    it("ignores routes that do not reach the root, and detached policies", function()
      local p, q = policy("acl"), policy("quota")
      F.node(ctx, "/", "a")
      local x = F.node(ctx)                     -- a detached node
      local leaf = F.person(ctx, "Ann", "/a", "ann")
      cd:AttachObject{ DirectoryArn = ctx.dir, ParentReference = F.id(x), ChildReference = F.id(leaf),
                       LinkName = "ann" }
      attach(p, x)
      attach(q, "/a")
      local r = lookup(leaf).PolicyToPathList
      assert.equal(1, #r)
      assert.equal("/a/ann", r[1].Path)
      detach(q, "/a")
      assert.same({}, lookup(leaf).PolicyToPathList)
      -- a subtree detached from the root loses its paths
      attach(q, "/a")
      cd:DetachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel("/"), LinkName = "a" }
      assert.same({}, lookup(leaf).PolicyToPathList)
    end)

    it("ignores typed links", function()
      local fx = F.helper.fixture(cd)   -- the default fixture has the Friend link facet
      local lctx = { cd = cd, dir = fx.directory_arn, schema = fx.applied_arn, base = fx.base_arn }
      local function mk(facet, values, parent, link)
        return F.create(lctx, facet, values, parent, link)
      end
      local p = mk("Rule", F.attrs(lctx, "Rule", { policy_type = { StringValue = "acl" },
                                                   policy_document = { BinaryValue = "d" } }))
      local g = mk("Group", nil, "/", "g")
      local other = mk("Group")
      -- (typed links are another file's work: whether or not this succeeds yet, `other`
      -- must never appear on g's path)
      pcall(cd.AttachTypedLink, cd, { DirectoryArn = lctx.dir,
        SourceObjectReference = F.id(other), TargetObjectReference = F.id(g),
        TypedLinkFacet = { SchemaArn = lctx.schema, TypedLinkName = "Friend" },
        Attributes = { { AttributeName = "since", Value = { StringValue = "2020" } } } })
      cd:AttachPolicy{ DirectoryArn = lctx.dir, PolicyReference = F.id(p), ObjectReference = F.id(other) }
      assert.same({}, cd:LookupPolicy{ DirectoryArn = lctx.dir, ObjectReference = F.sel("/g") }.PolicyToPathList)
    end)

    it("works on policy and leaf objects attached as children", function()
      local p = policy("acl", "/", "pol")
      attach(p, "/")
      local r = lookup("/pol").PolicyToPathList
      assert.same({ { Path = "/pol", Policies = {
        { PolicyId = p, ObjectIdentifier = ctx.root, PolicyType = "acl" }, { ObjectIdentifier = p } } } }, r)
    end)
  end)

  describe("DeleteObject", function()
    it("refuses an object with policies and an attached policy until DetachPolicy", function()
      local p = policy("acl")
      local g = F.node(ctx)
      attach(p, g)
      local before = F.dump(ctx.path)
      local e = F.expect_error("StillContainsLinksException", delete, g)
      assert.matches("DetachPolicy", e.message, 1, true)
      e = F.expect_error("StillContainsLinksException", delete, p)
      assert.matches("DetachPolicy", e.message, 1, true)
      assert.equal(before, F.dump(ctx.path))
      detach(p, g)
      assert.same({}, delete(p))
      assert.same({}, delete(g))
      F.expect_error("ResourceNotFoundException", policies_of, g)
    end)

    it("still applies the hierarchy rules first", function()
      local p = policy("acl", "/", "pol")
      F.expect_error("ObjectNotDetachedException", delete, p)
    end)
  end)
end)
