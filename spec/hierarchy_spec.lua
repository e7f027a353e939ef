-- The hierarchy: AttachObject, DetachObject, ListObjectChildren, ListObjectParents,
-- ListObjectParentPaths, their topology rules and paging.
local F = require "data_fixtures"

describe("hierarchy", function()
  local ctx, cd

  before_each(function()
    ctx = F.setup()
    cd = ctx.cd
  end)
  after_each(F.cleanup)

  local function attach(parent, child, link)
    return cd:AttachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel(parent),
                            ChildReference = F.sel(child), LinkName = link }
  end
  local function detach(parent, link)
    return cd:DetachObject{ DirectoryArn = ctx.dir, ParentReference = F.sel(parent), LinkName = link }
  end
  local function children(selector, n, token)
    return cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                  MaxResults = n, NextToken = token }
  end
  local function parents(selector, all, n, token)
    return cd:ListObjectParents{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                 IncludeAllLinksToEachParent = all, MaxResults = n, NextToken = token }
  end
  local function paths(selector, n, token)
    return cd:ListObjectParentPaths{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                     MaxResults = n, NextToken = token }
  end
  local function policy()
    return F.create(ctx, "Rule", F.attrs(ctx, "Rule", { policy_type = { StringValue = "t" },
                                                        policy_document = { BinaryValue = "d" } }))
  end

  describe("AttachObject", function()
    it("attaches and returns the child's id", function()
      local g = F.node(ctx)
      assert.same({ AttachedObjectIdentifier = g }, attach("/", "$" .. g, "g"))
      assert.same({ g = g }, F.children(ctx, "/"))
    end)

    it("lets a leaf have many parents, even several links to one parent", function()
      local a, b = F.node(ctx, "/", "a"), F.node(ctx, "/", "b")
      local p = F.person(ctx, "Ann")
      attach("/a", "$" .. p, "ann")
      attach("/b", "$" .. p, "ann")
      attach("/a", "$" .. p, "ann2")
      attach("/", "/a/ann", "top")
      local r = parents("$" .. p, true)
      assert.equal(4, #r.ParentLinks)
      local byparent = parents("$" .. p).Parents
      local n = 0
      for id, link in pairs(byparent) do
        n = n + 1
        if id == a then assert.equal("ann", link) end
        if id == b then assert.equal("ann", link) end
        if id == ctx.root then assert.equal("top", link) end
      end
      assert.equal(3, n)
    end)

    it("refuses a used link name", function()
      F.node(ctx, "/", "g")
      local e = F.expect_error("LinkNameAlreadyInUseException", attach, "/", "$" .. F.node(ctx), "g")
      assert.matches("'g'", e.message)
    end)

    it("refuses a second parent for nodes and policies", function()
      local g = F.node(ctx, "/", "a")
      F.node(ctx, "/", "b")
      F.expect_error("InvalidAttachmentException", attach, "/b", "$" .. g, "again")
      local p = policy()
      attach("/a", "$" .. p, "pol")
      F.expect_error("InvalidAttachmentException", attach, "/b", "$" .. p, "pol")
    end)

    it("refuses leaf and policy parents", function()
      F.person(ctx, "Ann", "/", "ann")
      F.expect_error("InvalidAttachmentException", attach, "/ann", "$" .. F.node(ctx), "x")
      attach("/", "$" .. policy(), "pol")
      F.expect_error("InvalidAttachmentException", attach, "/pol", "$" .. F.node(ctx), "x")
    end)

    it("refuses the root as a child and cycles", function()
      local a = F.node(ctx, "/", "a")
      F.node(ctx, "/a", "b")
      F.node(ctx, "/a/b", "c")
      F.expect_error("InvalidAttachmentException", attach, "/a", "/", "root")
      detach("/", "a")
      F.expect_error("InvalidAttachmentException", attach, "$" .. a, "$" .. a, "self")
      local e = F.expect_error("InvalidAttachmentException", attach, "$" .. a .. "", "$" .. a, "x")
      assert.truthy(e.message)
      -- a's subtree is detached; attaching a under its own grandchild is a cycle
      local c = cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = F.id(a) }.Children.b
      local cc = cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = F.id(c) }.Children.c
      F.expect_error("InvalidAttachmentException", attach, "$" .. cc, "$" .. a, "loop")
      attach("/", "$" .. a, "a")
    end)

    it("keeps paths within 15 links under limits = 'aws', subtrees included", function()
      local path = ""
      for i = 1, 14 do
        F.node(ctx, path == "" and "/" or path, "n" .. i)
        path = path .. "/n" .. i
      end
      -- a detached subtree two links tall
      local top = F.node(ctx)
      local mid = F.create(ctx, "Group", nil, "$" .. top, "mid")
      F.person(ctx, "Leaf", "$" .. mid, "leaf")
      F.expect_error("LimitExceededException", attach, path, "$" .. top, "sub")
      local p13 = path:match("^(.*)/n14$")
      F.expect_error("LimitExceededException", attach, p13, "$" .. top, "sub")
      attach(p13:match("^(.*)/n13$"), "$" .. top, "sub")
      -- a leaf fits at depth 15 exactly
      attach(path, "$" .. F.person(ctx, "Deep"), "deep")
    end)

    it("lifts the depth limit under limits = 'none'", function()
      local free = F.setup{ limits = "none" }
      local path = ""
      for i = 1, 20 do
        F.node(free, path == "" and "/" or path, "n" .. i)
        path = path .. "/n" .. i
      end
      local r = free.cd:ListObjectParentPaths{ DirectoryArn = free.dir, ObjectReference = F.sel(path) }
      assert.equal(path, r.PathToObjectIdentifiersList[1].Path)
      assert.equal(21, #r.PathToObjectIdentifiersList[1].ObjectIdentifiers)
    end)

    it("refuses unknown objects", function()
      F.expect_error("ResourceNotFoundException", attach, "/nope", "/", "x")
      F.expect_error("ResourceNotFoundException", attach, "/", "/nope", "x")
    end)

    it("writes nothing when it fails", function()
      local g = F.node(ctx, "/", "g")
      local before = F.dump(ctx.path)
      F.expect_error("InvalidAttachmentException", attach, "/", "$" .. g, "again")
      F.expect_error("LinkNameAlreadyInUseException", attach, "/", "$" .. F.person(ctx, "x"), "g")
      before = F.dump(ctx.path)
      F.expect_error("LinkNameAlreadyInUseException", attach, "/", "/g", "g")
      assert.equal(before, F.dump(ctx.path))
    end)
  end)

  describe("DetachObject", function()
    it("detaches and returns the child's id; the object lives on", function()
      local g = F.node(ctx, "/", "g")
      assert.same({ DetachedObjectIdentifier = g }, detach("/", "g"))
      assert.same({}, F.children(ctx, "/"))
      assert.equal(g, cd:GetObjectInformation{ DirectoryArn = ctx.dir, ObjectReference = F.id(g) }.ObjectIdentifier)
      assert.same({}, parents("$" .. g).Parents)
    end)

    it("detaches a node with children, which keep their links", function()
      local g = F.node(ctx, "/", "g")
      local p = F.person(ctx, "Ann", "/g", "ann")
      detach("/", "g")
      assert.same({ ann = p }, F.children(ctx, "$" .. g))
      assert.same({}, paths("$" .. p).PathToObjectIdentifiersList)
      attach("/", "$" .. g, "back")
      assert.equal("/back/ann", paths("$" .. p).PathToObjectIdentifiersList[1].Path)
    end)

    it("refuses unknown links and non-node parents", function()
      F.person(ctx, "Ann", "/", "ann")
      local e = F.expect_error("ResourceNotFoundException", detach, "/", "nobody")
      assert.matches("nobody", e.message)
      F.expect_error("NotNodeException", detach, "/ann", "x")
      F.expect_error("ResourceNotFoundException", detach, "/nope", "x")
    end)
  end)

  describe("ListObjectChildren", function()
    it("lists link names and ids, empty when there are none", function()
      local a = F.node(ctx, "/", "a")
      local b = F.person(ctx, "B", "/", "b")
      local r = children("/")
      assert.same({ a = a, b = b }, r.Children)
      assert.is_nil(r.NextToken)
      assert.same({}, children("/a").Children)
    end)

    it("refuses objects that are not nodes", function()
      F.person(ctx, "B", "/", "b")
      F.expect_error("NotNodeException", children, "/b")
      F.expect_error("ResourceNotFoundException", children, "/nope")
    end)

    it("pages 10 by default, clamps to 30 under limits = 'aws'", function()
      for i = 1, 45 do F.node(ctx, "/", ("c%02d"):format(i)) end
      local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end
      local r = children("/")
      assert.equal(10, count(r.Children))
      assert.truthy(r.NextToken)
      r = children("/", 100)
      assert.equal(30, count(r.Children))
      r = children("/", 100, r.NextToken)
      assert.equal(15, count(r.Children))
      assert.is_nil(r.NextToken)
      F.expect_error("ValidationException", children, "/", 0)
    end)

    it("honours any page size under limits = 'none'", function()
      local free = F.setup{ limits = "none" }
      for i = 1, 45 do F.node(free, "/", "c" .. i) end
      local r = free.cd:ListObjectChildren{ DirectoryArn = free.dir, ObjectReference = F.sel("/"), MaxResults = 100 }
      local n = 0
      for _ in pairs(r.Children) do n = n + 1 end
      assert.equal(45, n)
      assert.is_nil(r.NextToken)
    end)

    it("pages correctly while children come and go between pages", function()
      -- Children that exist throughout must each be seen once; others may or may not be.
      local stay, removable = {}, {}
      for i = 1, 40 do
        local name = ("k%03d"):format(i * 10)
        F.node(ctx, "/", name)
        if i % 3 == 0 then removable[#removable + 1] = name else stay[name] = true end
      end
      local seen, token, round = {}, nil, 0
      repeat
        local r = children("/", 7, token)
        for k in pairs(r.Children) do
          assert.is_nil(seen[k], "duplicate " .. k)
          seen[k] = true
        end
        round = round + 1
        for _, victim in ipairs{ table.remove(removable, 1), table.remove(removable) } do
          detach("/", victim)
        end
        F.node(ctx, "/", ("k%03dx"):format(round * 13 % 400))   -- in the middle
        F.node(ctx, "/", ("a%03d"):format(round))               -- before everything
        F.node(ctx, "/", ("z%03d"):format(round))               -- after everything
        token = r.NextToken
      until not token
      for name in pairs(stay) do assert.truthy(seen[name], "skipped " .. name) end
      assert.truthy(round >= 6)
    end)

    it("refuses forged tokens and tokens of another parent", function()
      for i = 1, 12 do F.node(ctx, "/", "c" .. i) end
      F.node(ctx, "/c1", "x")
      local token = children("/", 5).NextToken
      F.expect_error("InvalidNextTokenException", children, "/c1", 5, token)
      F.expect_error("InvalidNextTokenException", children, "/", 5, "AAAA")
      F.expect_error("InvalidNextTokenException", children, "/", 5, token .. "x")
      F.expect_error("InvalidNextTokenException", function()
        cd:ListObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel("/"), NextToken = token }
      end)
    end)
  end)

  describe("ListObjectParents", function()
    it("refuses the root", function()
      F.expect_error("CannotListParentOfRootException", parents, "/")
    end)

    it("pages by parent, or by link with IncludeAllLinksToEachParent", function()
      local leaf = F.person(ctx, "Ann")
      local ids = {}
      for i = 1, 12 do
        ids[i] = F.node(ctx, "/", "p" .. i)
        attach("/p" .. i, "$" .. leaf, "a")
        attach("/p" .. i, "$" .. leaf, "b")
      end
      local seen, token, pages = {}, nil, 0
      repeat
        local r = parents("$" .. leaf, false, 5, token)
        assert.is_nil(r.ParentLinks)
        for id, link in pairs(r.Parents) do
          assert.is_nil(seen[id])
          seen[id] = link
        end
        token, pages = r.NextToken, pages + 1
      until not token
      assert.equal(3, pages)
      for i = 1, 12 do assert.equal("a", seen[ids[i]]) end

      local links, pages2 = {}, 0
      token = nil
      repeat
        local r = parents("$" .. leaf, true, 5, token)
        assert.is_nil(r.Parents)
        for _, t in ipairs(r.ParentLinks) do
          links[#links + 1] = t.ObjectIdentifier .. "/" .. t.LinkName
        end
        token, pages2 = r.NextToken, pages2 + 1
      until not token
      assert.equal(24, #links)
      assert.equal(5, pages2)
    end)

    it("refuses a token of the other mode", function()
      local leaf = F.person(ctx, "Ann")
      for i = 1, 4 do
        F.node(ctx, "/", "p" .. i)
        attach("/p" .. i, "$" .. leaf, "a")
      end
      local token = parents("$" .. leaf, false, 2).NextToken
      F.expect_error("InvalidNextTokenException", parents, "$" .. leaf, true, 2, token)
      assert.truthy(parents("$" .. leaf, false, 2, token).Parents)
    end)
  end)

  describe("ListObjectParentPaths", function()
    it("gives the root's path as /", function()
      assert.same({ { Path = "/", ObjectIdentifiers = { ctx.root } } }, paths("/").PathToObjectIdentifiersList)
    end)

    it("lists one path per route to the root, ids from the root down", function()
      local a = F.node(ctx, "/", "a")
      local b = F.node(ctx, "/a", "b")
      local c = F.node(ctx, "/", "c")
      local leaf = F.person(ctx, "Ann", "/a/b", "ann")
      attach("/c", "$" .. leaf, "x")
      attach("/c", "$" .. leaf, "y")
      local r = paths("$" .. leaf)
      local got = {}
      for _, p in ipairs(r.PathToObjectIdentifiersList) do got[p.Path] = p.ObjectIdentifiers end
      assert.same({ ["/a/b/ann"] = { ctx.root, a, b, leaf }, ["/c/x"] = { ctx.root, c, leaf },
                    ["/c/y"] = { ctx.root, c, leaf } }, got)
      assert.same({ { Path = "/a/b", ObjectIdentifiers = { ctx.root, a, b } } },
                  paths("/a/b").PathToObjectIdentifiersList)
    end)

    it("spells every path in full when routes share the nodes above them", function()
      local a = F.node(ctx, "/", "a")
      local b = F.node(ctx, "/a", "b")
      local q = {}
      for i = 1, 3 do q[i] = F.node(ctx, "/a/b", "q" .. i) end
      local leaf = F.person(ctx, "Ann", "/a/b/q1", "ann")
      attach("/a/b/q2", "$" .. leaf, "ann")
      attach("/a/b/q3", "$" .. leaf, "ann")
      -- and two routes through a detached chain g -> h, which must both be left out
      local g = F.node(ctx)
      local h = F.node(ctx)
      attach("$" .. g, "$" .. h, "h")
      attach("$" .. h, "$" .. leaf, "d1")
      attach("$" .. h, "$" .. leaf, "d2")
      local got = {}
      for _, p in ipairs(paths("$" .. leaf, 30).PathToObjectIdentifiersList) do
        got[p.Path] = p.ObjectIdentifiers
      end
      assert.same({ ["/a/b/q1/ann"] = { ctx.root, a, b, q[1], leaf },
                    ["/a/b/q2/ann"] = { ctx.root, a, b, q[2], leaf },
                    ["/a/b/q3/ann"] = { ctx.root, a, b, q[3], leaf } }, got)
    end)

    it("skips routes that do not reach the root", function()
      local leaf = F.person(ctx, "Ann", "/", "ann")
      local g = F.node(ctx)
      attach("$" .. g, "$" .. leaf, "in_detached")
      local r = paths("$" .. leaf)
      assert.equal(1, #r.PathToObjectIdentifiersList)
      assert.equal("/ann", r.PathToObjectIdentifiersList[1].Path)
      assert.same({}, paths("$" .. g).PathToObjectIdentifiersList)
    end)

    it("pages by path in a stable order", function()
      local leaf = F.person(ctx, "Ann")
      for i = 1, 5 do
        F.node(ctx, "/", "p" .. i)
        attach("/p" .. i, "$" .. leaf, "l")
      end
      local g = F.node(ctx)             -- a detached parent in the middle of the order
      attach("$" .. g, "$" .. leaf, "l")
      F.node(ctx, "/", "p6")
      attach("/p6", "$" .. leaf, "l")
      local all = paths("$" .. leaf, 30).PathToObjectIdentifiersList
      assert.equal(6, #all)
      local token, got = nil, {}
      repeat
        local r = paths("$" .. leaf, 1, token)
        assert.equal(1, #r.PathToObjectIdentifiersList)
        got[#got + 1] = r.PathToObjectIdentifiersList[1]
        token = r.NextToken
      until not token
      assert.same(all, got)
      F.expect_error("InvalidNextTokenException", paths, "/", 1, "bogus")
    end)

    it("pages correctly while parents come and go between pages", function()
      local leaf = F.person(ctx, "Ann")
      for i = 1, 4 do
        F.node(ctx, "/", "p" .. i)
        attach("/p" .. i, "$" .. leaf, "l")
      end
      local r1 = paths("$" .. leaf, 2)
      assert.same({ "/p1/l", "/p2/l" }, { r1.PathToObjectIdentifiersList[1].Path,
                                          r1.PathToObjectIdentifiersList[2].Path })
      detach("/p3", "l")                 -- the path the token resumes at goes away
      F.node(ctx, "/", "p5")
      attach("/p5", "$" .. leaf, "l")    -- a later one appears
      attach("/p1", "$" .. leaf, "m")    -- an earlier one appears: not seen again
      local rest, token = {}, r1.NextToken
      repeat
        local r = paths("$" .. leaf, 2, token)
        for _, p in ipairs(r.PathToObjectIdentifiersList) do rest[#rest + 1] = p.Path end
        token = r.NextToken
      until not token
      assert.same({ "/p4/l", "/p5/l" }, rest)
    end)

    it("gives no token when only routes that miss the root remain", function()
      local leaf = F.person(ctx, "Ann", "/", "ann")
      attach("$" .. F.node(ctx), "$" .. leaf, "x")
      attach("$" .. F.node(ctx), "$" .. leaf, "y")
      local r = paths("$" .. leaf, 1)
      assert.equal(1, #r.PathToObjectIdentifiersList)
      assert.is_nil(r.NextToken)
    end)

    it("refuses a token of another listing of the same object", function()
      F.node(ctx, "/", "g")
      for i = 1, 3 do F.node(ctx, "/g", "c" .. i) end
      local t = children("/g", 1).NextToken
      F.expect_error("InvalidNextTokenException", paths, "/g", 1, t)
      F.expect_error("InvalidNextTokenException", parents, "/g", false, 1, t)
    end)
  end)
end)
