-- graph_api_spec.lua — the idiomatic Lua API for the graph side: typed links (Link values,
-- obj:link_to, obj:links_out/links_in), range expressions (clouddir.range, clouddir.prefix,
-- clouddir.MISSING, bounds tables), indexes (Index handles) and policies (Policy handles,
-- lookup_policy).
local clouddir = require "clouddir"
local helper = require "spec.helper"
local ranges = require "clouddir.ranges"

local E = helper.expect_error

local REG = {
  facets = {
    Device = { type = "LEAF_NODE", attributes = {
      serial = { type = "STRING", required = true },
      model = "STRING", weight = "NUMBER", bought = "DATETIME", active = "BOOLEAN", fw = "BINARY",
    } },
    Owner = { type = "NODE", attributes = { name = { type = "STRING", required = true } } },
    Folder = { type = "NODE" },
    Access = { type = "POLICY", attributes = { note = "STRING" } },
  },
  typed_links = {
    Owns = { attributes = { role = { type = "STRING", required = true },
                            since = { type = "DATETIME", required = true },
                            note = "STRING", level = "NUMBER" },
             identity = { "role", "since" } },
    Tag = { attributes = { k = { type = "BINARY", required = true } }, identity = { "k" } },
    Rank = { attributes = { n = { type = "NUMBER", required = true } }, identity = { "n" } },
  },
}

-- A store with schema reg published as "1" and directory "reg" using it.
local function registry(opts)
  local o = { sync = false }
  for k, v in pairs(opts or {}) do o[k] = v end
  local store, path = helper.store(o)
  local pub = store:schema("reg", REG):publish("1")
  return store:create_directory("reg", pub), store, path
end

-- Replaces dir's client with one that counts calls per operation; returns the counts.
local function count_calls(dir)
  local real, counts = dir.client, {}
  local proxy = {}
  function proxy.call(_, op, req)
    counts[op] = (counts[op] or 0) + 1
    return real:call(op, req)
  end
  setmetatable(proxy, { __index = function(_, op)
    return function(self, req) return self:call(op, req) end
  end })
  dir.client = proxy
  return counts
end

local dump = require("spec.data_fixtures").dump

-- Asserts fn(...) raises the error value `code` and leaves the store as it was.
local function unchanged(path, code, fn, ...)
  local before = dump(path)
  local e = E(code, fn, ...)
  assert.equal(before, dump(path))
  return e
end

-- Collects an iterator's first values (or f(...) of each step).
local function collect(f, step, s, ctl, closing)
  local out = {}
  for a, b in step, s, ctl, closing do out[#out + 1] = f and f(a, b) or a end
  return out
end

describe("the graph API", function()
  after_each(function()
    helper.cleanup()
    collectgarbage()
  end)

  describe("module", function()
    it("adds range expressions and the new handle classes", function()
      assert.is_function(clouddir.range)
      assert.is_function(clouddir.prefix)
      assert.equal("clouddir.Range", getmetatable(clouddir.MISSING).__name)
      assert.equal("clouddir.Link", clouddir.api.Link.__name)
      assert.equal("clouddir.Index", clouddir.api.Index.__name)
      assert.equal("clouddir.Policy", clouddir.api.Policy.__name)
    end)
  end)

  -- {==================================================== range expressions

  describe("range expressions", function()
    local function api(x, t) return ranges.to_api(x, t or "STRING", "test", 1) end
    local function R(sm, sv, em, ev)
      return { StartMode = sm, StartValue = sv and { StringValue = sv },
               EndMode = em, EndValue = ev and { StringValue = ev } }
    end
    local L = "LAST_BEFORE_MISSING_VALUES"

    it("turn a plain value into an exact match, converted by the attribute's type", function()
      assert.same(R("INCLUSIVE", "a", "INCLUSIVE", "a"), api("a"))
      assert.same({ StartMode = "INCLUSIVE", StartValue = { NumberValue = "10.5" },
                    EndMode = "INCLUSIVE", EndValue = { NumberValue = "10.5" } }, api(10.5, "NUMBER"))
      assert.same({ StartMode = "INCLUSIVE", StartValue = { BinaryValue = "\0" },
                    EndMode = "INCLUSIVE", EndValue = { BinaryValue = "\0" } }, api("\0", "BINARY"))
      local t = os.time{ year = 2024, month = 1, day = 2, hour = 12 }
      assert.same({ DatetimeValue = t }, api({ year = 2024, month = 1, day = 2, hour = 12 }, "DATETIME").StartValue)
      assert.same({ BooleanValue = false }, api(false, "BOOLEAN").EndValue)
      assert.same({ NumberValue = "3" }, api(clouddir.number(3), nil).StartValue)
    end)

    it("map every comparison to its modes; comparisons leave out missing values", function()
      assert.same(R("INCLUSIVE", "a", "INCLUSIVE", "a"), api(clouddir.range("==", "a")))
      assert.same(R("EXCLUSIVE", "a", L), api(clouddir.range(">", "a")))
      assert.same(R("INCLUSIVE", "a", L), api(clouddir.range(">=", "a")))
      assert.same(R("FIRST", nil, "EXCLUSIVE", "a"), api(clouddir.range("<", "a")))
      assert.same(R("FIRST", nil, "INCLUSIVE", "a"), api(clouddir.range("<=", "a")))
      assert.same(R("INCLUSIVE", "a", "EXCLUSIVE", "m"), api(clouddir.range(">=", "a", "<", "m")))
      assert.same(R("EXCLUSIVE", "a", "INCLUSIVE", "m"), api(clouddir.range("<=", "m", ">", "a")))
      assert.equal("clouddir.range(INCLUSIVE a .. EXCLUSIVE m)", tostring(clouddir.range(">=", "a", "<", "m")))
      assert.equal(clouddir.range(">", 1), clouddir.range{ after = 1 })
    end)

    it("read tables of bounds: from/after, to/before, missing", function()
      assert.same(R("INCLUSIVE", "a", "INCLUSIVE", "b"), api{ from = "a", to = "b" })
      assert.same(R("EXCLUSIVE", "a", "EXCLUSIVE", "b"), api{ after = "a", before = "b" })
      assert.same(R("INCLUSIVE", "a", L), api{ from = "a" })
      assert.same(R("FIRST", nil, "EXCLUSIVE", "b"), api{ before = "b" })
      assert.same(R("EXCLUSIVE", "a", "LAST"), api{ after = "a", missing = true })
      assert.same(R("FIRST", nil, "LAST"), api{ missing = true })
      assert.same(R("FIRST", nil, L), api{ missing = false })
      assert.same(R("FIRST", nil, L), api(clouddir.range{ missing = false }))
    end)

    it("have prefixes, MISSING and the API's own form", function()
      assert.same(R("INCLUSIVE", "Jo", "EXCLUSIVE", "Jp"), api(clouddir.prefix("Jo")))
      assert.same(R("INCLUSIVE", "a\255\255", "EXCLUSIVE", "b"), api(clouddir.prefix("a\255\255")))
      assert.same(R("INCLUSIVE", "\255", L), api(clouddir.prefix("\255")))
      assert.same(R("FIRST", nil, L), api(clouddir.prefix("")))
      assert.same(R(L, nil, "LAST"), api(clouddir.MISSING))
      assert.same(R("FIRST", nil, "FIRST"), api{ StartMode = "FIRST", EndMode = "FIRST" })
      assert.same(R("EXCLUSIVE", "x", "LAST"), api{ StartMode = "EXCLUSIVE", StartValue = "x", EndMode = "LAST" })
    end)

    it("raise plain errors for misuse", function()
      local function msg(f, ...)
        local ok, e = pcall(f, ...)
        assert.is_false(ok)
        assert.is_string(e)
        return e
      end
      assert.matches("bad argument #1 to 'range' %(unknown comparison \"~=\"", msg(clouddir.range, "~=", 1))
      assert.matches("two bounds on the same side", msg(clouddir.range, ">", 1, ">=", 2))
      assert.matches("\"==\" takes no second comparison", msg(clouddir.range, "==", 1, "<", 2))
      assert.matches("#2 to 'range' %(value expected", msg(clouddir.range, ">", nil))
      assert.matches("one lower bound", msg(clouddir.range, { from = 1, after = 2 }))
      assert.matches("one upper bound", msg(clouddir.range, { to = 1, before = 2 }))
      assert.matches("needs a range without an upper bound", msg(clouddir.range, { to = 1, missing = true }))
      assert.matches("#1 to 'prefix' %(string expected", msg(clouddir.prefix, 5))
      assert.matches("range or value expected", msg(api, clouddir.NULL))
    end)
  end)

  -- }====================================================
  -- {==================================================== typed links

  describe("typed links", function()
    local dir, store, path, ann, bob, d1, d2
    before_each(function()
      dir, store, path = registry()
      dir:create("/owners", { Folder = {} })
      ann = dir:create("/owners/ann", { Owner = { name = "Ann" } })
      bob = dir:create("/owners/bob", { Owner = { name = "Bob" } })
      d1 = dir:create(nil, { Device = { serial = "SN-1" } })
      d2 = dir:create(nil, { Device = { serial = "SN-2" } })
    end)

    it("link_to returns a Link value naming the new link", function()
      local l = ann:link_to(d1, "Owns", { role = "primary", since = 100, note = "n", level = 2 })
      assert.equal("clouddir.Link", getmetatable(l).__name)
      assert.equal("Owns", l.facet)
      assert.equal(ann, l.source)
      assert.equal(d1, l.target)
      assert.same({ role = "primary", since = 100 }, l.identity)
      assert.equal(("clouddir.Link Owns(%s -> %s, role=primary, since=100)"):format(ann:ref(), d1:ref()),
                   tostring(l))
      local spec = l:specifier()
      assert.equal("$" .. ann:id(), spec.SourceObjectReference.Selector)
      assert.same({ { AttributeName = "role", Value = { StringValue = "primary" } },
                    { AttributeName = "since", Value = { DatetimeValue = 100 } } },
                  spec.IdentityAttributeValues)
      spec.TypedLinkFacet = nil                        -- a copy: the link keeps its own
      assert.is_table(l:specifier().TypedLinkFacet)
    end)

    it("take attribute types from the schema (BINARY and NUMBER identities)", function()
      local t = ann:link_to(d1, "Tag", { k = "\0\1" })
      assert.same({ { AttributeName = "k", Value = { BinaryValue = "\0\1" } } },
                  t:specifier().IdentityAttributeValues)
      local r = ann:link_to(d1, "Rank", { n = 10.5 })
      assert.same({ NumberValue = "10.5" }, r:specifier().IdentityAttributeValues[1].Value)
      assert.equal(10.5, r.identity.n)
      assert.equal("\0\1", t.identity.k)
    end)

    it("accept any reference, on the directory too", function()
      local l = dir:link("/owners/ann", d1:id(), "Owns", { role = "r", since = 1 })
      assert.equal(ann, l.source)
      local l2 = bob:link_to("$" .. d2:id(), "Owns", { role = "r", since = 1 })
      assert.equal(d2, l2.target)
      local l3 = d2:link_to(l.source, "Tag", { k = "x" })    -- a link's ends are handles
      assert.equal(ann, l3.target)
      assert.equal(l, (ann:links_out("Owns")()))             -- == by identity
      assert.are_not.equal(l, l2)
    end)

    it("read and update attributes; identity attributes cannot change", function()
      local l = ann:link_to(d1, "Owns", { role = "r", since = 5, note = "hi" })
      assert.same({ role = "r", since = 5, note = "hi" }, l:attributes())
      assert.equal(l, l:update{ note = clouddir.NULL, level = 3 })
      assert.same({ role = "r", since = 5, level = 3 }, l:attributes())
      unchanged(path, "FacetValidationException", l.update, l, { role = "s" })
      unchanged(path, "FacetValidationException", l.update, l, { bogus = 1 })
      assert.has_error(function() l:update(5) end,
        "bad argument #1 to 'update' (attribute values table expected ({ attribute = value | clouddir.NULL }))")
    end)

    it("detach and unlink, on objects and directories", function()
      local l = ann:link_to(d1, "Owns", { role = "r", since = 5 })
      l:detach()
      unchanged(path, "ResourceNotFoundException", l.detach, l)
      unchanged(path, "ResourceNotFoundException", l.attributes, l)
      ann:link_to(d1, "Owns", { role = "r", since = 5 })
      ann:link_to(d2, "Owns", { role = "r", since = 5 })
      unchanged(path, "ResourceNotFoundException", ann.unlink, ann, d1, "Owns", { role = "r", since = 6 })
      unchanged(path, "FacetValidationException", ann.unlink, ann, d1, "Owns", { role = "r" })
      unchanged(path, "FacetValidationException", ann.unlink, ann, d1, "Owns",
                { role = "r", since = 5, note = "x" })
      assert.equal(ann, ann:unlink(d1, "Owns", { role = "r", since = 5 }))
      assert.equal(dir, dir:unlink("/owners/ann", d2, "Owns", { since = 5, role = "r" }))
      assert.same({}, collect(nil, ann:links_out()))
    end)

    it("raise the client's errors and change nothing", function()
      ann:link_to(d1, "Owns", { role = "r", since = 5 })
      unchanged(path, "InvalidAttachmentException", ann.link_to, ann, d1, "Owns", { role = "r", since = 5 })
      unchanged(path, "FacetValidationException", ann.link_to, ann, d1, "Owns", { role = "r" })
      unchanged(path, "ValidationException", ann.link_to, ann, d1, "Owns", { role = 5, since = 5 })
      local e = unchanged(path, "FacetValidationException", ann.link_to, ann, d1, "Nope", {})
      assert.matches("no schema applied to directory reg has a typed%-link facet named Nope", e.message)
      unchanged(path, "ResourceNotFoundException", ann.link_to, ann, "/nowhere", "Owns", { role = "r", since = 1 })
      assert.equal(clouddir.error_mt, getmetatable(e))
    end)

    it("raise plain errors for misuse", function()
      assert.has_error(function() ann:link_to(42, "Owns", {}) end,
        "bad argument #1 to 'link_to' (object reference expected (path, id or object handle), got number)")
      assert.has_error(function() ann:link_to(d1, nil, {}) end,
        "bad argument #2 to 'link_to' (typed-link facet name expected)")
      assert.has_error(function() ann:link_to(d1, "Owns", "x") end,
        "bad argument #3 to 'link_to' (attribute values table expected ({ attribute = value }))")
      assert.has_error(function() dir:link(ann, d1, "Owns", 1) end,
        "bad argument #4 to 'link' (attribute values table expected ({ attribute = value }))")
      assert.has_error(function() ann:links_out(5) end,
        "bad argument #1 to 'links_out' (typed-link facet name or nil expected)")
      assert.has_error(function() ann:links_out("Owns", "x") end,
        "bad argument #2 to 'links_out' (filter table expected ({ attribute = value }))")
      assert.has_error(function() dir:links_in(ann, "Owns", nil, { size = 1 }) end,
        "bad argument #4 to 'links_in' (unknown option 'size')")
      assert.has_error(function() ann.links_out({}) end,
        "calling 'links_out' on bad self (clouddir.Object expected)")
      assert.has_error(function() clouddir.api.Link.detach({}) end,
        "calling 'detach' on bad self (clouddir.Link expected)")
    end)

    it("keep objects with links from deletion", function()
      local l = ann:link_to(d1, "Owns", { role = "r", since = 5 })
      unchanged(path, "StillContainsLinksException", d1.delete, d1)
      l:detach()
      d1:delete()
    end)

    describe("listings", function()
      -- ann owns d1 (primary 100, 200; backup 150), d2 (primary 300); bob -> d1 (primary 100)
      before_each(function()
        ann:link_to(d1, "Owns", { role = "primary", since = 100 })
        ann:link_to(d1, "Owns", { role = "primary", since = 200 })
        ann:link_to(d1, "Owns", { role = "backup", since = 150 })
        ann:link_to(d2, "Owns", { role = "primary", since = 300 })
        bob:link_to(d1, "Owns", { role = "primary", since = 100 })
        ann:link_to(d2, "Tag", { k = "\1" })
      end)
      local function key(link, peer)
        return ("%s %s %s %s"):format(link.facet, link.identity.role or link.identity.k,
                                      tostring(link.identity.since), peer.Device and peer.Device.serial
                                      or peer.Owner.name)
      end

      it("yield link, peer: outgoing by facet and identity, incoming by source", function()
        assert.same({ "Owns backup 150 SN-1", "Owns primary 100 SN-1", "Owns primary 200 SN-1",
                      "Owns primary 300 SN-2", "Tag \1 nil SN-2" }, collect(key, ann:links_out()))
        assert.same({ "Tag \1 nil SN-2" }, collect(key, ann:links_out("Tag")))
        local srcs = collect(key, d1:links_in("Owns"))
        table.sort(srcs)
        assert.same({ "Owns backup 150 Ann", "Owns primary 100 Ann", "Owns primary 100 Bob",
                      "Owns primary 200 Ann" }, srcs)
        assert.same(collect(key, ann:links_out()), collect(key, dir:links_out("/owners/ann")))
        assert.same(collect(key, d2:links_in()), collect(key, dir:links_in(d2)))
      end)

      it("filter with exact values and range expressions in identity order", function()
        local function out(f) return collect(key, ann:links_out("Owns", f)) end
        assert.same({ "Owns primary 100 SN-1", "Owns primary 200 SN-1", "Owns primary 300 SN-2" },
                    out{ role = "primary" })
        assert.same({ "Owns primary 200 SN-1" }, out{ role = "primary", since = 200 })
        assert.same({ "Owns primary 200 SN-1", "Owns primary 300 SN-2" },
                    out{ since = clouddir.range(">", 100), role = "primary" })
        assert.same({ "Owns primary 100 SN-1", "Owns primary 200 SN-1" },
                    out{ role = "primary", since = { from = 100, before = 300 } })
        assert.same({ "Owns primary 100 SN-1" }, out{ role = "primary", since = clouddir.range("<=", 100) })
        assert.same({ "Owns backup 150 SN-1" }, out{ role = clouddir.prefix("b") })
        assert.same({ "Owns primary 100 SN-1", "Owns primary 200 SN-1", "Owns primary 300 SN-2" },
                    out{ role = { after = "backup", missing = true } })
        assert.same({}, out{ role = clouddir.MISSING })              -- identity values are never missing
        assert.same({ "Owns primary 300 SN-2" },
                    out{ role = "primary", since = { StartMode = "EXCLUSIVE", StartValue = 200, EndMode = "LAST" } })
        assert.same({ "Tag \1 nil SN-2" }, collect(key, ann:links_out("Tag", { k = { from = "\0", to = "\1" } })))
        assert.same({ "Owns primary 100 Ann", "Owns primary 100 Bob" },
                    collect(key, d1:links_in("Owns", { role = "primary", since = 100 })))
      end)

      it("raise ValidationException for filters the engine refuses, changing nothing", function()
        local function bad(code, k, f)
          unchanged(path, code, function() for _ in ann:links_out(k, f) do end end)
        end
        bad("ValidationException", "Owns", { since = 100 })                       -- role is full first
        bad("ValidationException", "Owns", { role = clouddir.range(">", "a"), since = 1 })
        bad("ValidationException", "Owns", { note = "x" })                       -- not identity
        bad("ValidationException", "Owns", { bogus = "x" })
        bad("ValidationException", "Owns", { role = { from = "z", to = "a" } })  -- inverted
        bad("ValidationException", "Owns", { role = { after = "a", to = "a" } })
        bad("ValidationException", "Owns", { role = 5 })                         -- type
        local e = E("ValidationException", ann.links_out, ann, nil, { role = "r" })
        assert.matches("needs its facet", e.message)
        bad("FacetValidationException", "Nope", {})
        E("NotNodeException", function() for _ in d1:children() do end end)     -- unrelated sanity
      end)

      it("page internally and close on break", function()
        for i = 1, 21 do ann:link_to(d2, "Rank", { n = i }) end
        local counts = count_calls(dir)
        local ns = collect(function(l) return l.identity.n end, ann:links_out("Rank", nil, { page_size = 4 }))
        assert.equal(21, #ns)
        for i = 1, 21 do assert.equal(i, ns[i]) end
        assert.equal(6, counts.ListOutgoingTypedLinks)
        assert.same({ 4, 5, 6, 7, 8 }, collect(function(l) return l.identity.n end,
          ann:links_out("Rank", { n = { from = 4, to = 8 } }, { page_size = 2 })))
        counts.ListOutgoingTypedLinks = 0
        local step, s, c, closing = ann:links_out("Rank", nil, { page_size = 4 })
        assert.equal("clouddir.Iterator", getmetatable(closing).__name)
        local n = 0
        for _ in step, s, c, closing do
          n = n + 1
          if n == 5 then break end
        end
        assert.equal(2, counts.ListOutgoingTypedLinks)
        assert.is_nil(step())
        assert.equal(2, counts.ListOutgoingTypedLinks)
        counts.ListIncomingTypedLinks = 0
        local m = 0
        for _ in d2:links_in("Rank", nil, { page_size = 10 }) do m = m + 1 end
        assert.equal(21, m)
        assert.equal(3, counts.ListIncomingTypedLinks)
      end)
    end)

    it("name a facet two applied schemas share as schema/Facet", function()
      local other = store:schema("other", { typed_links = {
        Owns = { attributes = { k = { type = "STRING", required = true } }, identity = { "k" } } } })
      dir:apply(other:publish("1"))
      local e = E("FacetValidationException", ann.link_to, ann, d1, "Owns", { k = "x" })
      assert.matches("write one of other/Owns, reg/Owns", e.message, 1, true)
      local l = ann:link_to(d1, "other/Owns", { k = "x" })
      assert.equal("other/Owns", l.facet)
      local l2 = ann:link_to(d1, "reg/Owns", { role = "r", since = 1 })
      assert.equal("reg/Owns", l2.facet)
      local keys = collect(function(x) return x.facet end, ann:links_out())
      table.sort(keys)
      assert.same({ "other/Owns", "reg/Owns" }, keys)
    end)
  end)

  -- }====================================================
  -- {==================================================== indexes

  describe("indexes", function()
    local dir, path
    before_each(function()
      dir, _, path = registry()
      dir:create("/indexes", { Folder = {} })
    end)

    local function device(serial, vals)
      local v = { serial = serial }
      for k, x in pairs(vals or {}) do v[k] = x end
      return dir:create(nil, { Device = v })
    end
    local function serials(...) return collect(function(_, o) return o.Device.serial end, ...) end

    it("create_index returns an Index handle, which is an Object handle", function()
      local idx = dir:create_index{ facet = "Device", attribute = "serial", unique = true,
                                    path = "/indexes/serials" }
      assert.equal("clouddir.Index", getmetatable(idx).__name)
      assert.matches("^clouddir.Index %$", tostring(idx))
      assert.equal(dir:object("/indexes/serials"), idx)
      assert.equal(idx, dir:object("/indexes/serials"))
      assert.equal("INDEX", idx:type())
      assert.is_true(idx.INDEX.index_is_unique)
      assert.same({ facet = "Device", attribute = "serial", unique = true,
                    schema = dir:schema("reg").arn }, idx:definition())
      assert.equal("/indexes/serials", idx:path())
      local p = dir:create_index{ facet = "Device", attribute = "model", parent = dir:object("/indexes"),
                                  name = "models" }
      assert.same({ facet = "Device", attribute = "model", unique = false, schema = dir:schema("reg").arn },
                  p:definition())
      assert.equal("/indexes/models", p:path())
      local loose = dir:create_index{ facets = true }
      assert.same({ facets = true, unique = false }, loose:definition())
      assert.is_nil(loose:path())
      assert.equal(idx, dir:index("/indexes/serials"))
      assert.equal("clouddir.Index", getmetatable(dir:index(p)).__name)
    end)

    it("raise the client's errors when an index cannot be made, changing nothing", function()
      dir:create_index{ facet = "Device", attribute = "serial", path = "/indexes/serials" }
      unchanged(path, "LinkNameAlreadyInUseException", dir.create_index, dir,
                { facet = "Device", attribute = "model", path = "/indexes/serials" })
      unchanged(path, "FacetValidationException", dir.create_index, dir, { facet = "Nope", attribute = "x" })
      unchanged(path, "FacetValidationException", dir.create_index, dir, { facet = "Device", attribute = "x" })
      unchanged(path, "ResourceNotFoundException", dir.create_index, dir,
                { facet = "Device", attribute = "model", path = "/nowhere/x" })
      unchanged(path, "ValidationException", dir.create_index, dir,
                { facet = "Device", attribute = "model", parent = "/indexes" })
      unchanged(path, "NotIndexException", dir.index, dir, "/indexes")
      unchanged(path, "ResourceNotFoundException", dir.index, dir, "/nope")
    end)

    it("raise plain errors for misuse", function()
      assert.has_error(function() dir:create_index{ facet = "Device", attribute = "serial", uniq = true } end,
                       "bad argument #1 to 'create_index' (unknown option 'uniq')")
      assert.has_error(function() dir:create_index{ facet = "Device" } end,
        "bad argument #1 to 'create_index' ('facet' and 'attribute' (strings) expected, or 'facets = true')")
      assert.has_error(function() dir:create_index{ facets = true, facet = "Device" } end,
        "bad argument #1 to 'create_index' (the facet-based index ('facets = true') takes no facet or attribute)")
      assert.has_error(function() dir:create_index{ facets = true, path = "/a", name = "b" } end,
        "bad argument #1 to 'create_index' ('path', or 'parent' and 'name')")
      assert.has_error(function() dir:create_index{ facets = true, path = "/" } end,
        "bad argument #1 to 'create_index' ('path' must end with the index's link name)")
      local idx = dir:create_index{ facets = true }
      assert.has_error(function() idx:attach(3) end,
        "bad argument #1 to 'attach' (object reference expected (path, id or object handle), got number)")
      assert.has_error(function() idx:entries(nil, { pages = 1 }) end,
        "bad argument #2 to 'entries' (unknown option 'pages')")
      assert.has_error(function() clouddir.api.Index.__index(idx, "entries")(dir:root()) end,
        "calling 'entries' on bad self (clouddir.Index expected)")
    end)

    it("attach and detach objects; obj:indexes lists them", function()
      local idx = dir:create_index{ facet = "Device", attribute = "serial", path = "/indexes/serials" }
      local other = dir:create_index{ facet = "Device", attribute = "model" }
      local d = device("SN-1", { model = "X" })
      dir:create("/indexes/d", { Device = { serial = "SN-2" } })
      assert.equal(d, idx:attach(d))
      assert.equal(dir:object("/indexes/d"), idx:attach("/indexes/d"))
      other:attach(d:id())
      assert.same({ "SN-1", "SN-2" }, serials(idx:entries()))
      local attached = collect(nil, d:indexes())
      table.sort(attached, function(a, b) return a:id() < b:id() end)
      local want = { idx, other }
      table.sort(want, function(a, b) return a:id() < b:id() end)
      assert.same(want, attached)
      assert.equal("clouddir.Index", getmetatable(attached[1]).__name)
      assert.equal(1, #collect(nil, dir:indexes("/indexes/d")))
      assert.equal(d, idx:detach(d))
      assert.same({ "SN-2" }, serials(idx:entries()))
      unchanged(path, "ObjectAlreadyDetachedException", idx.detach, idx, d)
      -- handles of every kind stand for references
      local p = dir:create_policy(nil, { type = "t", document = "" })
      unchanged(path, "InvalidAttachmentException", idx.attach, idx, p)
      unchanged(path, "InvalidAttachmentException", idx.attach, idx, other)
    end)

    it("raise the client's errors on attach, changing nothing", function()
      local idx = dir:create_index{ facet = "Device", attribute = "serial", unique = true }
      local a, b = device("SN-1"), device("SN-1")
      idx:attach(a)
      unchanged(path, "LinkNameAlreadyInUseException", idx.attach, idx, b)
      unchanged(path, "LinkNameAlreadyInUseException", idx.attach, idx, a)
      unchanged(path, "IndexedAttributeMissingException", idx.attach, idx, "/indexes")
      unchanged(path, "ResourceNotFoundException", idx.attach, idx, "/none")
      unchanged(path, "ObjectNotDetachedException", function() a:delete() end)
      -- a plain handle on a non-index, used as an index
      local fake = clouddir.api.Index.__index(idx, "attach")
      unchanged(path, "NotIndexException", fake, setmetatable(dir:object("/indexes"), clouddir.api.Index), a)
    end)

    it("list entries in value order, converted by type, NULL for missing values", function()
      local idx = dir:create_index{ facet = "Device", attribute = "model" }
      local none = device("SN-0")
      for _, m in ipairs{ "b", "a", "c" } do idx:attach(device("SN-" .. m, { model = m })) end
      idx:attach(none)
      local got = collect(function(v, o) return { v, o.Device.serial } end, idx:entries())
      assert.same({ { "a", "SN-a" }, { "b", "SN-b" }, { "c", "SN-c" }, { clouddir.NULL, "SN-0" } }, got)
      -- and the entries move when values change
      none:update{ Device = { model = "aa" } }
      assert.same({ "SN-a", "SN-0", "SN-b", "SN-c" }, serials(idx:entries()))
    end)

    -- Every range mode at each end, on each type.  vals: five values in order; the sixth
    -- device has no value.
    local types = {
      { "model", "STRING", { "a", "b", "c", "d", "e" } },
      { "fw", "BINARY", { "\0", "\1", "\1\0", "\2", "\255" } },
      { "weight", "NUMBER", { -2, 9, 10, "10.5", "1e3" } },
      { "bought", "DATETIME", { -50.5, 0, 1000, 1000.25, 1700000000 } },
    }
    for _, t in ipairs(types) do
      local attr, type_name, vals = t[1], t[2], t[3]
      it("select every range mode on " .. type_name, function()
        local idx = dir:create_index{ facet = "Device", attribute = attr }
        for i = 5, 1, -1 do idx:attach(device("S" .. i, { [attr] = vals[i] })) end
        idx:attach(device("S6"))
        local function q(r) return table.concat(serials(idx:entries(r)), " ") end
        assert.equal("S1 S2 S3 S4 S5 S6", q(nil))
        assert.equal("S3", q(vals[3]))
        assert.equal("S3", q(clouddir.range("==", vals[3])))
        assert.equal("S4 S5", q(clouddir.range(">", vals[3])))
        assert.equal("S3 S4 S5", q(clouddir.range(">=", vals[3])))
        assert.equal("S1 S2", q(clouddir.range("<", vals[3])))
        assert.equal("S1 S2 S3", q(clouddir.range("<=", vals[3])))
        assert.equal("S2 S3", q(clouddir.range(">=", vals[2], "<", vals[4])))
        assert.equal("S3 S4", q{ after = vals[2], to = vals[4] })
        assert.equal("S4 S5 S6", q{ after = vals[3], missing = true })
        assert.equal("S1 S2 S3 S4 S5 S6", q{ missing = true })
        assert.equal("S1 S2 S3 S4 S5", q{ missing = false })
        assert.equal("S6", q(clouddir.MISSING))
        local function api(sm, sv, em, ev)
          return q{ StartMode = sm, StartValue = sv, EndMode = em, EndValue = ev }
        end
        local L = "LAST_BEFORE_MISSING_VALUES"
        assert.equal("", api("FIRST", nil, "FIRST"))
        assert.equal("", api("LAST", nil, "LAST"))
        assert.equal("", api(L, nil, L))
        assert.equal("S1 S2 S3 S4 S5", api("FIRST", nil, L))
        assert.equal("S5 S6", api("EXCLUSIVE", vals[4], "LAST"))
        assert.equal("S1 S2 S3 S4", api("FIRST", nil, "EXCLUSIVE", vals[5]))
        assert.equal("S5", api("INCLUSIVE", vals[5], L))
        unchanged(path, "ValidationException", q, { after = vals[3], to = vals[3] })  -- inverted
        unchanged(path, "ValidationException", q, { from = vals[4], to = vals[2] })
        unchanged(path, "ValidationException", q, { StartMode = "LAST", EndMode = "FIRST" })
        local wrong = type_name == "NUMBER" and true or type_name == "DATETIME" and "x" or 5
        unchanged(path, "ValidationException", q, wrong)
      end)
    end

    it("select BOOLEAN values and prefixes of STRING and BINARY values", function()
      local on = dir:create_index{ facet = "Device", attribute = "active" }
      local m = dir:create_index{ facet = "Device", attribute = "model" }
      local fw = dir:create_index{ facet = "Device", attribute = "fw" }
      local rows = { { "Jo", true, "\1\255" }, { "John", false, "\1\255\0" }, { "Jp", true, "\2" },
                     { "J", false, "\1" } }
      for i, r in ipairs(rows) do
        local d = device("S" .. i, { model = r[1], active = r[2], fw = r[3] })
        on:attach(d); m:attach(d); fw:attach(d)
      end
      local function q(idx, r) return table.concat(serials(idx:entries(r)), " ") end
      assert.equal("S2 S4", q(on, false))
      assert.equal("S1 S3", q(on, clouddir.range(">", false)))
      assert.equal("S1 S2", q(m, clouddir.prefix("Jo")))
      assert.equal("S4 S1 S2 S3", q(m, clouddir.prefix("J")))
      assert.equal("S1 S2", q(fw, clouddir.prefix("\1\255")))
      assert.equal("S4 S1 S2 S3", q(fw, clouddir.prefix("")))
    end)

    it("list the facet-based index by <schema>/<version>/<facet>", function()
      local idx = dir:create_index{ facets = true, path = "/indexes/kinds" }
      local d = device("SN-1")
      idx:attach(d)
      idx:attach("/indexes")
      local got = collect(function(v, o) return v .. " " .. (o == d and "d" or "folder") end, idx:entries())
      assert.same({ "reg/1/Device d", "reg/1/Folder folder" }, got)
      assert.same({ "reg/1/Folder" }, collect(nil, idx:entries("reg/1/Folder")))
      assert.same({ "reg/1/Device" }, collect(nil, idx:entries(clouddir.prefix("reg/1/D"))))
    end)

    it("page internally and close on break", function()
      local idx = dir:create_index{ facet = "Device", attribute = "weight" }
      for i = 1, 23 do idx:attach(device("S" .. i, { weight = i })) end
      local counts = count_calls(dir)
      local got = collect(nil, idx:entries(nil, { page_size = 5 }))
      assert.equal(23, #got)
      for i = 1, 23 do assert.equal(i, got[i]) end
      assert.equal(5, counts.ListIndex)
      assert.same({ 11, 12, 13 }, collect(nil, idx:entries({ after = 10, before = 14 }, { page_size = 2 })))
      counts.ListIndex = 0
      local step, s, c, closing = idx:entries(nil, { page_size = 5 })
      local n = 0
      for _ in step, s, c, closing do
        n = n + 1
        if n == 6 then break end
      end
      assert.equal(2, counts.ListIndex)
      assert.is_nil(step())
      assert.equal(2, counts.ListIndex)
      -- obj:indexes pages too
      local d = device("X", { weight = 1 })
      for _ = 1, 3 do dir:create_index{ facet = "Device", attribute = "weight" }:attach(d) end
      counts.ListAttachedIndices = 0
      assert.equal(3, #collect(nil, d:indexes{ page_size = 2 }))
      assert.equal(2, counts.ListAttachedIndices)
    end)
  end)

  -- }====================================================
  -- {==================================================== policies

  describe("policies", function()
    local dir, path
    before_each(function()
      dir, _, path = registry()
      dir:create("/policies", { Folder = {} })
      dir:create("/site", { Folder = {} })
      dir:create("/site/rack", { Folder = {} })
    end)

    it("create_policy makes Policy handles, under the base POLICY facet or a schema's own", function()
      local a = dir:create_policy("/policies/acl", { type = "acl", document = "{\"read\":true}" })
      assert.equal("clouddir.Policy", getmetatable(a).__name)
      assert.matches("^clouddir.Policy %$", tostring(a))
      assert.equal("POLICY", a:type())
      assert.equal("acl", a:policy_type())
      assert.equal("{\"read\":true}", a:document())
      assert.same({ policy_type = "acl", policy_document = "{\"read\":true}" }, a.POLICY)
      local q = dir:create_policy(dir:object("/policies"), "quota",
        { type = "quota", document = "\0\1\255", facet = "Access", values = { note = "n" } })
      assert.equal("quota", q:policy_type())
      assert.equal("\0\1\255", q:document())
      assert.equal("n", q.Access.note)
      assert.equal("/policies/quota", q:path())
      local loose = dir:create_policy(nil, { type = "t", document = "" })
      assert.is_nil(loose:path())
      assert.equal(a, dir:policy("/policies/acl"))
      assert.equal("clouddir.Policy", getmetatable(dir:policy(q:id())).__name)
      -- the base attributes work through the plain object API too
      local c = dir:create("/policies/c", { Access = { policy_type = "c", policy_document = "\0" } })
      assert.equal("\0", dir:policy(c):document())
    end)

    it("raise the client's errors when a policy cannot be made, changing nothing", function()
      dir:create_policy("/policies/acl", { type = "acl", document = "" })
      unchanged(path, "LinkNameAlreadyInUseException", dir.create_policy, dir, "/policies/acl",
                { type = "acl", document = "" })
      unchanged(path, "FacetValidationException", dir.create_policy, dir, nil, { document = "" })
      unchanged(path, "FacetValidationException", dir.create_policy, dir, nil,
                { type = "t", document = "", facet = "Nope" })
      unchanged(path, "NotPolicyException", dir.policy, dir, "/site")
      assert.has_error(function() dir:create_policy(nil, { type = "t", doc = "" }) end,
                       "bad argument #2 to 'create_policy' (unknown option 'doc')")
      assert.has_error(function() dir:create_policy("/policies", "x", { values = 1 }) end,
        "bad argument #3 to 'create_policy' ('values' must be a table of attribute = value)")
    end)

    it("attach and detach both ways, and list both sides", function()
      local acl = dir:create_policy("/policies/acl", { type = "acl", document = "" })
      local quota = dir:create_policy("/policies/quota", { type = "quota", document = "" })
      local site, rack = dir:object("/site"), dir:object("/site/rack")
      assert.equal(site, acl:attach("/site"))
      assert.equal(rack, acl:attach(rack))
      assert.equal(rack, rack:attach_policy(quota))
      local ids = collect(function(p) return p:policy_type() end, rack:policies())
      table.sort(ids)
      assert.same({ "acl", "quota" }, ids)
      assert.equal("clouddir.Policy", getmetatable((rack:policies())()).__name)
      local objs = collect(nil, acl:attachments())
      assert.equal(2, #objs)
      assert.is_true(objs[1] == site and objs[2] == rack or objs[1] == rack and objs[2] == site)
      assert.equal(2, #collect(nil, dir:policies("/site/rack")))
      assert.equal(rack, acl:detach("/site/rack"))
      assert.equal(rack, rack:detach_policy(quota))
      assert.same({}, collect(nil, rack:policies()))
      assert.equal(dir, dir:attach_policy(quota, "/site"))
      assert.equal(dir, dir:detach_policy("/policies/quota", site))
      assert.same({ site }, collect(nil, acl:attachments()))
    end)

    it("raise the client's errors on attach and detach, changing nothing", function()
      local acl = dir:create_policy("/policies/acl", { type = "acl", document = "" })
      local acl2 = dir:create_policy("/policies/acl2", { type = "acl", document = "" })
      local site = dir:object("/site")
      acl:attach(site)
      unchanged(path, "InvalidAttachmentException", acl.attach, acl, site)
      unchanged(path, "InvalidAttachmentException", site.attach_policy, site, acl2)
      unchanged(path, "NotPolicyException", site.attach_policy, site, "/site/rack")
      unchanged(path, "ResourceNotFoundException", acl2.detach, acl2, site)
      unchanged(path, "ResourceNotFoundException", acl.attach, acl, "/gone")
      unchanged(path, "ValidationException", acl2.attach, acl2, acl)   -- a policy as target
      for i = 1, 3 do dir:create_policy(nil, { type = "t" .. i, document = "" }):attach(site) end
      local t4 = dir:create_policy(nil, { type = "t4", document = "" })
      unchanged(path, "LimitExceededException", t4.attach, t4, "/site")
      local fake = setmetatable(dir:object("/site/rack"), clouddir.api.Policy)
      unchanged(path, "NotPolicyException", function() for _ in fake:attachments() do end end)
    end)

    it("keep attached policies and objects with policies from deletion", function()
      local p = dir:create_policy(nil, { type = "acl", document = "" })
      local o = dir:create(nil, { Folder = {} })
      p:attach(o)
      unchanged(path, "StillContainsLinksException", p.delete, p)
      unchanged(path, "StillContainsLinksException", o.delete, o)
      p:detach(o)
      p:delete()
      o:delete()
    end)

    it("lookup_policy yields each path from the root with its policies, top-down", function()
      local acl = dir:create_policy("/policies/acl", { type = "acl", document = "" })
      local quota = dir:create_policy("/policies/quota", { type = "quota", document = "" })
      local site, rack = dir:object("/site"), dir:object("/site/rack")
      local dev = dir:create("/site/rack/dev", { Device = { serial = "S" } })
      dir:attach("/", "spare", dev)                     -- a second path, without policies
      acl:attach(site)
      quota:attach(rack)
      acl:attach(dev)
      local names = { [site:id()] = "site", [rack:id()] = "rack", [dev:id()] = "dev" }
      local function lookup(...)
        local got = {}
        for p, found in ... do
          local list = {}
          for i, f in ipairs(found) do
            list[i] = f.type .. " on " .. names[f.object:id()]
            assert.equal("clouddir.Policy", getmetatable(f.policy).__name)
            assert.equal(f.type, f.policy:policy_type())
          end
          got[#got + 1] = { p, list }
        end
        return got
      end
      local want = { { "/spare", { "acl on dev" } },     -- in ListObjectParentPaths' order
                     { "/site/rack/dev", { "acl on site", "quota on rack", "acl on dev" } } }
      assert.same(want, lookup(dir:lookup_policy(dev)))
      assert.same(want, lookup(dev:lookup_policy()))
      assert.same({}, lookup(dir:lookup_policy("/policies")))
    end)

    it("lookup_policy pages by path and closes on break", function()
      local acl = dir:create_policy(nil, { type = "acl", document = "" })
      local dev = dir:create(nil, { Device = { serial = "S" } })
      for i = 1, 5 do
        local f = dir:create("/f" .. i, { Folder = {} })
        f:attach("dev", dev)
        acl:attach(f)
      end
      local counts = count_calls(dir)
      local paths = collect(nil, dev:lookup_policy{ page_size = 2 })
      assert.same({ "/f1/dev", "/f2/dev", "/f3/dev", "/f4/dev", "/f5/dev" }, paths)
      assert.equal(3, counts.LookupPolicy)
      counts.LookupPolicy = 0
      local step, s, c, closing = dir:lookup_policy(dev, { page_size = 1 })
      for p in step, s, c, closing do if p == "/f2/dev" then break end end
      assert.equal(2, counts.LookupPolicy)
      assert.is_nil(step())
      assert.equal(2, counts.LookupPolicy)
      -- obj:policies and p:attachments page too
      counts.ListPolicyAttachments = 0
      assert.equal(5, #collect(nil, acl:attachments{ page_size = 2 }))
      assert.equal(3, counts.ListPolicyAttachments)
      assert.has_error(function() dev:lookup_policy{ size = 2 } end,
                       "bad argument #1 to 'lookup_policy' (unknown option 'size')")
      assert.has_error(function() dir:lookup_policy(dev, 5) end,
                       "bad argument #2 to 'lookup_policy' (options table expected, got number)")
    end)
  end)

  -- }====================================================
end)
