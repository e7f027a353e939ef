-- Fixtures for the data-plane specs (objects, hierarchy, values), on top of spec/helper.lua:
-- a schema "org" with facets covering every attribute type, rule, default, reference and
-- facet style, applied to a fresh directory, and short builders for requests.

local F = {}

-- {====================================================== stores and errors (spec/helper.lua)

local helper = require "spec.helper"

F.helper = helper
F.cleanup = helper.cleanup          -- after_each(F.cleanup)
F.expect_error = helper.expect_error

--- A new store in a fresh temporary folder (removed by F.cleanup): store, client, path.
function F.open(options)
  local store, path = helper.store(options)
  return store, store:client(), path
end

--- The whole content of a store as text (mdb_dump), to show a failed call wrote nothing.
-- mdb_dump runs without the sanitizer preload of the second test pass: there its leak
-- check ends the process before stdio is flushed, so a small dump came out empty and a
-- large one cut short.  A dump always has a header, so an empty one is an error.
function F.dump(path)
  local p = assert(io.popen("env -u LD_PRELOAD mdb_dump -p '" .. path .. "' 2>/dev/null"))
  local text = p:read("a")
  p:close()
  if text == "" then error("mdb_dump gave nothing for " .. path, 2) end
  return text
end

-- }======================================================

-- {====================================================== the schema

local function attr(name, type, extra)  -- extra: AttributeDefinition members, required
  local def = { Type = type }
  local required = "NOT_REQUIRED"
  for k, v in pairs(extra or {}) do
    if k == "required" then required = v and "REQUIRED_ALWAYS" or "NOT_REQUIRED"
    else def[k] = v end
  end
  return { Name = name, AttributeDefinition = def, RequiredBehavior = required }
end

F.facets = {
  Group = { ObjectType = "NODE", Attributes = { attr("title", "STRING") } },
  Person = { ObjectType = "LEAF_NODE", Attributes = {
    attr("name", "STRING", { required = true, Rules = {
      len = { Type = "STRING_LENGTH", Parameters = { min = "1", max = "10" } } } }),
    attr("age", "NUMBER", { Rules = {
      range = { Type = "NUMBER_COMPARISON", Parameters = { min = "0", max = "150.5" } } } }),
    attr("email", "STRING", { IsImmutable = true }),
    attr("color", "STRING", { Rules = {
      set = { Type = "STRING_FROM_SET",
              Parameters = { allowedValues = 'red,"with,comma",with"quote' } } } }),
    attr("photo", "BINARY", { Rules = {
      size = { Type = "BINARY_LENGTH", Parameters = { max = "16" } } } }),
    attr("active", "BOOLEAN", { DefaultValue = { BooleanValue = true } }),
    attr("status", "STRING", { DefaultValue = { StringValue = "new" } }),
    attr("born", "DATETIME"),
    attr("big", "NUMBER"),
    attr("blob", "BINARY"),
    attr("text", "STRING"),
    attr("anything", "VARIANT"),
  } },
  -- A second leaf facet sharing Person.name through a reference.
  Employee = { ObjectType = "LEAF_NODE", Attributes = {
    attr("badge", "STRING", { required = true }),
    helper.ref("person_name", "Person", "name"),
  } },
  -- A dynamic facet without an object type: any attribute name, any value type.
  Extra = { FacetStyle = "DYNAMIC" },
  -- More NODE facets, to mix with Group; Tagged has a required attribute with a default.
  Tagged = { ObjectType = "NODE", Attributes = {
    attr("tag", "STRING", { required = true, DefaultValue = { StringValue = "none" } }),
  } },
  Team = { ObjectType = "NODE", Attributes = { attr("motto", "STRING") } },
  Unit = { ObjectType = "NODE", Attributes = { attr("code", "STRING") } },
  Rule = { ObjectType = "POLICY", Attributes = { attr("note", "STRING") } },
  Lookup = { ObjectType = "INDEX", Attributes = { attr("k", "STRING") } },
}

local published = setmetatable({}, { __mode = "k" })   -- client -> published org ARN

local function context(cd, d)
  return { cd = cd, dir = d.directory_arn, schema = d.applied_arn, base = d.base_arn,
           root = d.root }
end

--- Creates and publishes the org schema (once per client, with helper.fixture) and applies
--- it to a new directory.  Returns a context: { cd, dir = DirectoryArn, schema = applied
--- schema ARN, base = base schema ARN, root = root id }.
function F.directory(cd, name)
  if published[cd] then
    local d = cd:CreateDirectory{ Name = name or helper.unique("dir"), SchemaArn = published[cd] }
    return context(cd, { directory_arn = d.DirectoryArn, applied_arn = d.AppliedSchemaArn,
                         base_arn = d.DirectoryArn .. "/schema/CloudDirectory/1.0",
                         root = d.ObjectIdentifier })
  end
  -- Person before Employee: a reference needs its target to exist.
  local facets = {}
  for _, n in ipairs{ "Group", "Person", "Employee", "Extra", "Tagged", "Team", "Unit", "Rule",
                      "Lookup" } do
    local f = F.facets[n]
    facets[#facets + 1] = { Name = n, ObjectType = f.ObjectType, FacetStyle = f.FacetStyle,
                            Attributes = f.Attributes }
  end
  local fx = helper.fixture(cd, { schema = "org", facets = facets, link_facets = {},
                                  directory = name })
  published[cd] = fx.published_arn
  return context(cd, fx)
end

--- A store, its client and a directory with the org schema (limits as given).
function F.setup(options)
  local store, cd, path = F.open(options)
  local ctx = F.directory(cd)
  ctx.store, ctx.path = store, path
  return ctx
end

-- }======================================================

-- {====================================================== request builders

function F.sf(ctx, facet, schema)
  return { SchemaArn = schema or ctx.schema, FacetName = facet }
end

function F.key(ctx, facet, name, schema)
  return { SchemaArn = schema or ctx.schema, FacetName = facet, Name = name }
end

--- ObjectAttributeList from { name = TypedAttributeValue } of one facet.
function F.attrs(ctx, facet, values, schema)
  local list, names = {}, {}
  for n in pairs(values) do names[#names + 1] = n end
  table.sort(names)
  for _, n in ipairs(names) do
    list[#list + 1] = { Key = F.key(ctx, facet, n, schema), Value = values[n] }
  end
  return list
end

function F.sel(s) return { Selector = s } end
function F.id(id) return { Selector = "$" .. id } end

--- Creates an object.  facets: a facet name or a list of names (of the org schema) or of
--- SchemaFacet tables; values: { name = TypedAttributeValue } for the first facet or an
--- ObjectAttributeList; parent: a selector; link: the link name.
function F.create(ctx, facets, values, parent, link)
  local sfs = {}
  if type(facets) == "string" then facets = { facets } end
  for i, f in ipairs(facets) do
    sfs[i] = type(f) == "table" and f or F.sf(ctx, f)
  end
  local list = values
  if values and #values == 0 and next(values) ~= nil then
    list = F.attrs(ctx, sfs[1].FacetName, values, sfs[1].SchemaArn)
  end
  local r = ctx.cd:CreateObject{ DirectoryArn = ctx.dir, SchemaFacets = sfs,
                                 ObjectAttributeList = list,
                                 ParentReference = parent and F.sel(parent) or nil,
                                 LinkName = link }
  return r.ObjectIdentifier
end

--- A Group node under parent (a selector) named link.
function F.node(ctx, parent, link)
  return F.create(ctx, "Group", nil, parent, link)
end

--- A Person leaf, optionally under parent.
function F.person(ctx, name, parent, link, more)
  local values = { name = { StringValue = name } }
  for k, v in pairs(more or {}) do values[k] = v end
  return F.create(ctx, "Person", values, parent, link)
end

--- Every child of a node as { link = id }, paging through with page size n.
function F.children(ctx, selector, n)
  local all, token = {}, nil
  repeat
    local r = ctx.cd:ListObjectChildren{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                         MaxResults = n, NextToken = token }
    for k, v in pairs(r.Children) do all[k] = v end
    token = r.NextToken
  until not token
  return all
end

--- The values of an object as { ["Facet.name"] = TypedAttributeValue } (ListObjectAttributes).
function F.values(ctx, selector)
  local out, token = {}, nil
  repeat
    local r = ctx.cd:ListObjectAttributes{ DirectoryArn = ctx.dir, ObjectReference = F.sel(selector),
                                           NextToken = token, MaxResults = 30 }
    for _, kv in ipairs(r.Attributes) do
      out[kv.Key.FacetName .. "." .. kv.Key.Name] = kv.Value
    end
    token = r.NextToken
  until not token
  return out
end

-- }======================================================

return F
