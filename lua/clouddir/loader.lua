--- clouddir.loader — bulk loading in the idiomatic API: dir:loader([options]).
--
--   local load <close> = dir:loader{ batch = 10000 }
--   for row in rows do
--     load:create("/people", row.login, { Person = { name = row.name, age = row.age } })
--   end
--   local written = load:finish()
--
-- The loader is store:loader (clouddir.core, csrc/lua_loader.c) with the idiomatic API's
-- facet names and values: each row's CreateObject is built in C, every `batch` operations
-- go to the store as one BatchWrite, written by a worker thread while Lua builds the next
-- batch.  Each batch is atomic; batches are not atomic together (see the README).
--
-- Options: batch (operations per BatchWrite, default 10,000), on_commit (function(first,
-- ids) after each batch is written: first is the step number of its first operation, ids
-- the ObjectIdentifier of each operation, false for operations without one).
local support = require "clouddir.support"
local values = require "clouddir.values"
local facets = require "clouddir.facets"
local directory = require "clouddir.directory"

local Directory = directory.Directory

local loader_options = { batch = true, on_commit = true }

--- dir:loader([options]) -> a loader (create, add, finish, count, close; to-be-closed).
function Directory:loader(opts)
  support.check(getmetatable(self) == Directory, "loader", 0,
                "a directory expected as self: call it as dir:loader{...}")
  -- An unknown key (a misspelt 'batch', say) is misuse, as for the other options tables.
  opts = support.options(opts, loader_options, "loader", 1)
  local dir = self
  local entries = {}   -- facet name -> catalog entry
  local o = {
    batch = opts.batch,
    on_commit = opts.on_commit,
    null = values.NULL,
    to_api = values.to_api,
    -- describe(facet) -> schema ARN, facet name; describe(facet, attribute) -> its type
    describe = function(key, attr)
      local e = entries[key]
      if not e then
        e = facets.resolve(dir, key)
        entries[key] = e
      end
      if attr == nil then return e.arn, e.name end
      local t = facets.attribute_type(dir, e, attr)
      return t or nil
    end,
  }
  return self.store:loader(self.arn, o)
end

return { Directory = Directory }
