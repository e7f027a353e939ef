--- clouddir.catalog — the facets of one kind (facets or typed-link facets) in the schemas
-- applied to a directory, by name.
--
-- A catalog is { entries = { [arn .. "\0" .. name] = entry }, by_name = { [name] = { entry... } } };
-- an entry starts as { arn, schema (the schema's name), name } and its module adds what it
-- reads later.  clouddir.facets and clouddir.links each keep one per directory handle.
local support = require "clouddir.support"

local catalog = {}

--- The entry for (schema ARN, facet name) in cat, added when it is not there yet.
function catalog.entry(cat, arn, schema_name, name)
  local key = arn .. "\0" .. name
  local e = cat.entries[key]
  if not e then
    e = { arn = arn, schema = schema_name, name = name }
    cat.entries[key] = e
    local same = cat.by_name[name] or {}
    same[#same + 1] = e
    cat.by_name[name] = same
  end
  return e
end

--- A new catalog of dir: every applied schema's facet names, as the list operation
-- names_op ("ListFacetNames" or "ListTypedLinkFacetNames") gives them.
function catalog.load(dir, names_op)
  local cat = { entries = {}, by_name = {} }
  for _, arn in ipairs(support.list_all(dir.client, "ListAppliedSchemaArns",
                                        { DirectoryArn = dir.arn }, "SchemaArns")) do
    local _, schema_name = support.parse_schema_arn(arn)
    for _, name in ipairs(support.list_all(dir.client, names_op, { SchemaArn = arn }, "FacetNames")) do
      catalog.entry(cat, arn, schema_name, name)
    end
  end
  return cat
end

--- The entries of cat a key names: "Name" (every schema's), or "schema/Name".
function catalog.find(cat, key)
  local schema_name, name = key:match("^([^/]+)/(.+)$")
  name = name or key
  local found = {}
  for _, e in ipairs(cat.by_name[name] or {}) do
    if not schema_name or e.schema == schema_name then found[#found + 1] = e end
  end
  return found
end

return catalog
