-- schema_cli_spec.lua — the clouddir binary's schema commands: schema list, dump, load,
-- show, help; where the command word may stand; errors as "clouddir: Code: message" with
-- exit status 1.  CLOUDDIR_BIN names the binary (default build/bin/clouddir).
local clouddir = require "clouddir"

local BIN = os.getenv("CLOUDDIR_BIN") or "build/bin/clouddir"
local ROOT
do
  local pwd = assert(io.popen("pwd"))
  ROOT = pwd:read("l")
  pwd:close()
end
if not BIN:match("^/") then BIN = ROOT .. "/" .. BIN end

local function quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

local helper = require "spec.helper"
local read_file, write_file = helper.read_file, helper.write_file

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. quote(dir)))

-- Runs the binary in dir with args (a list); returns stdout, stderr, exit status.
local function run(args, env)
  local words = {}
  for i, a in ipairs(args) do words[i] = quote(a) end
  local cmd = ("cd %s && %s %s %s >%s 2>%s </dev/null"):format(quote(dir), env or "", quote(BIN),
    table.concat(words, " "), quote(dir .. "/out.txt"), quote(dir .. "/err.txt"))
  local _, _, code = os.execute(cmd)
  return read_file(dir .. "/out.txt"), read_file(dir .. "/err.txt"), code
end

local store_n = 0
local function fresh_store()
  store_n = store_n + 1
  return dir .. "/store-" .. store_n
end

local INVENTORY_LUA = ROOT .. "/examples/schema/inventory.lua"
local INVENTORY_JSON = ROOT .. "/examples/schema/inventory.json"

describe("clouddir schema", function()
  teardown(function() os.execute("rm -rf " .. quote(dir)) end)

  it("help prints the commands; no command is an error", function()
    local out, err, code = run{ fresh_store(), "schema", "help" }
    assert.equal(0, code, err)
    assert.matches("usage: clouddir [options] [store] schema COMMAND", out, 1, true)
    for _, c in ipairs{ "list", "dump SCHEMA", "load NAME FILE", "show SCHEMA [FACET]" } do
      assert.matches(c, out, 1, true)
    end
    out, err, code = run{ fresh_store(), "schema" }
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("^clouddir: ValidationException: a schema command is needed", err)
    _, err, code = run{ fresh_store(), "schema", "frobnicate" }
    assert.equal(1, code)
    assert.matches("^clouddir: ValidationException: unknown schema command 'frobnicate'", err)
  end)

  it("prints help and usage errors without opening (or creating) a store", function()
    local cwd = dir .. "/nostore"
    assert(os.execute("mkdir -p " .. quote(cwd)))
    local function run_in(args, env)
      local words = {}
      for i, a in ipairs(args) do words[i] = quote(a) end
      local _, _, code = os.execute(("cd %s && %s %s %s >%s 2>%s </dev/null"):format(quote(cwd),
        env or "", quote(BIN), table.concat(words, " "), quote(dir .. "/out.txt"), quote(dir .. "/err.txt")))
      return read_file(dir .. "/out.txt"), read_file(dir .. "/err.txt"), code
    end
    local out, err, code = run_in{ "schema", "help" }
    assert.equal(0, code, err)
    assert.matches("^usage: clouddir %[options%] %[store%] schema COMMAND", out)
    for _, args in ipairs{ { "schema" }, { "schema", "frobnicate" }, { "schema", "list", "weird" },
                           { "schema", "dump" }, { "schema", "load", "x" }, { "schema", "show", "a", "b", "c" } } do
      out, err, code = run_in(args)
      assert.equal(1, code, table.concat(args, " "))
      assert.equal("", out)
      assert.matches("^clouddir: ValidationException: ", err)
    end
    assert.equal("", (io.popen("ls -A " .. quote(cwd)):read("a")))
    -- an unwritable store path does not stop help either
    out, err, code = run_in({ "schema", "help" }, "CLOUDDIR_STORE=/proc/no/store")
    assert.equal(0, code, err)
    assert.matches("^usage: ", out)
  end)

  it("--help mentions the schema commands", function()
    local out, _, code = run{ "--help" }
    assert.equal(0, code)
    assert.matches("[store] schema list|dump|load|show|help", out, 1, true)
  end)

  it("load creates a schema from a Lua declaration, then replaces it from JSON", function()
    local store = fresh_store()
    local out, err, code = run{ store, "schema", "load", "inventory", INVENTORY_LUA }
    assert.equal(0, code, err)
    assert.equal("", err)
    assert.matches("^created arn:aws:clouddirectory:[^ ]+:schema/development/inventory: 5 facets, "
                   .. "1 typed%-link facet\n$", out)
    out, err, code = run{ store, "schema", "load", "inventory", INVENTORY_JSON }
    assert.equal(0, code, err)
    assert.matches("^replaced ", out)
    -- what is stored is the declaration
    local s <close> = clouddir.open(store)
    assert.same(clouddir.normalize_schema(dofile(INVENTORY_LUA)), s:schema("inventory"):definition())
  end)

  it("load takes a .lua file returning JSON text, and replaces the whole content", function()
    local store = fresh_store()
    local f = dir .. "/small.lua"
    write_file(f, [[return '{"facets":{"Only":{"objectType":"NODE","facetAttributes":{}}}}']])
    assert.equal(0, select(3, run{ store, "schema", "load", "inventory", INVENTORY_LUA }))
    local out, err, code = run{ store, "schema", "load", "inventory", f }
    assert.equal(0, code, err)
    assert.matches(": 1 facet, 0 typed%-link facets\n$", out)
  end)

  it("load reports bad files and documents, and changes nothing", function()
    local store = fresh_store()
    local bad = dir .. "/bad.json"
    write_file(bad, '{"facets":{"F":{"objectType":"NODE","facetAttributes":{"a":{"attributeDefinition":'
      .. '{"attributeType":"STRING"}}}}}}')
    local out, err, code = run{ store, "schema", "load", "s", bad }
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("^clouddir: InvalidSchemaDocException: [^\n]*facets%.F%.facetAttributes%.a", err)
    -- the failed load created no schema
    out = run{ store, "schema", "list", "development" }
    assert.equal("", out)
    write_file(bad, "{ not json")
    _, err, code = run{ store, "schema", "load", "s", bad }
    assert.equal(1, code)
    assert.matches("^clouddir: InvalidSchemaDocException: ", err)
    _, err, code = run{ store, "schema", "load", "s", dir .. "/missing.json" }
    assert.equal(1, code)
    assert.matches("^clouddir: ResourceNotFoundException: cannot read ", err)
    local badlua = dir .. "/bad.lua"
    write_file(badlua, "return 42")
    _, err, code = run{ store, "schema", "load", "s", badlua }
    assert.equal(1, code)
    assert.matches("must return a schema declaration table", err, 1, true)
    write_file(badlua, "local t = {}\nerror('oops')\nreturn t")
    out, err, code = run{ store, "schema", "load", "s", badlua }
    assert.equal(1, code)
    assert.equal("", out)
    assert.equal("clouddir: InvalidSchemaDocException: " .. badlua .. ":2: oops\n", err)
    write_file(badlua, "\n\nerror({})")   -- no message and no position of its own
    _, err, code = run{ store, "schema", "load", "s", badlua }
    assert.equal(1, code)
    assert.equal("clouddir: InvalidSchemaDocException: " .. badlua .. ":3: (error object is a table value)\n", err)
    write_file(badlua, "return {")
    _, err, code = run{ store, "schema", "load", "s", badlua }
    assert.equal(1, code)
    assert.matches("^clouddir: InvalidSchemaDocException: ", err)
    _, err, code = run{ store, "schema", "load", "s" }
    assert.equal(1, code)
    assert.matches("usage: schema load NAME FILE", err, 1, true)
  end)

  describe("on a store with development, published and applied schemas", function()
    local store
    local dev_arn, pub_arn, dir_arn
    setup(function()
      store = fresh_store()
      local s <close> = clouddir.open(store)
      local dev = s:schema("inventory", dofile(INVENTORY_LUA))
      local pub = dev:publish("1", "0")
      local d = s:create_directory("racks", pub)
      dev_arn, pub_arn, dir_arn = dev.arn, pub.arn, d.arn
    end)

    it("list shows every kind, or one", function()
      local out, err, code = run{ store, "schema", "list" }
      assert.equal(0, code, err)
      assert.matches("development  " .. dev_arn .. "\n", out, 1, true)
      assert.matches("published    " .. pub_arn:gsub("/0$", "") .. "\n", out, 1, true)
      assert.matches("published    " .. pub_arn .. "\n", out, 1, true)
      assert.matches("applied      " .. dir_arn .. "/schema/inventory/1  (directory racks)\n", out, 1, true)
      assert.matches("managed      arn:aws:clouddirectory:::schema/managed/quick_start/1.0", out, 1, true)
      out = run{ store, "schema", "list", "managed" }
      assert.not_matches("development", out)
      local _, err2, code2 = run{ store, "schema", "list", "weird" }
      assert.equal(1, code2)
      assert.matches("^clouddir: ValidationException: unknown kind 'weird'", err2)
    end)

    it("dump prints the document, pretty or compact, by name, NAME@VERSION or ARN", function()
      local out, err, code = run{ store, "schema", "dump", "inventory" }
      assert.equal(0, code, err)
      assert.matches('^{\n  "sourceSchemaArn": "' .. dev_arn:gsub("%p", "%%%0") .. '",\n  "facets": {', out)
      assert.same(clouddir.normalize_schema(dofile(INVENTORY_LUA)), (clouddir.schema_from_json(out)))
      local compact = run{ store, "schema", "dump", "inventory@1", "--compact" }
      assert.matches('^{"sourceSchemaArn":"' .. pub_arn:gsub("%p", "%%%0") .. '"', compact)
      assert.equal(compact, (run{ store, "schema", "dump", "inventory@1/0", "--compact" }))
      assert.equal(compact, (run{ store, "schema", "dump", pub_arn, "--compact" }))
      local applied = run{ store, "schema", "dump", dir_arn .. "/schema/inventory/1" }
      assert.matches('"sourceSchemaArn": "' .. pub_arn:gsub("%p", "%%%0") .. '"', applied)
      local managed = run{ store, "schema", "dump", "arn:aws:clouddirectory:::schema/managed/quick_start/1.0/001" }
      assert.matches('^{\n  "sourceSchemaArn": "arn:aws:clouddirectory:::schema/managed/quick_start/1.0/001"', managed)
    end)

    it("dump and show explain a schema they cannot find", function()
      local out, err, code = run{ store, "schema", "dump", "nope" }
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^clouddir: ResourceNotFoundException: no development schema is named 'nope'", err)
      _, err = run{ store, "schema", "dump", "inventory@9" }
      assert.matches("^clouddir: ResourceNotFoundException: no published schema inventory@9", err)
      _, err = run{ store, "schema", "dump", "arn:aws:clouddirectory:us-east-1:123456789012:schema/development/zz" }
      assert.matches("^clouddir: ResourceNotFoundException: ", err)
      _, err = run{ store, "schema", "dump" }
      assert.matches("^clouddir: ValidationException: a schema is needed", err)
      _, err, code = run{ store, "schema", "show", "inventory", "Nope" }
      assert.equal(1, code)
      assert.matches("^clouddir: FacetNotFoundException: [^\n]* has no facet or typed%-link facet named 'Nope'", err)
    end)

    it("show prints a facet as a table: types, required, immutable, defaults, rules, references", function()
      local out, err, code = run{ store, "schema", "show", "inventory", "Device" }
      assert.equal(0, code, err)
      assert.matches("^Schema " .. dev_arn:gsub("%p", "%%%0") .. "\nFacet Device %(LEAF_NODE%)\n", out)
      assert.matches("  ATTRIBUTE%s+TYPE%s+REQUIRED%s+IMMUTABLE%s+DEFAULT%s+RULES\n", out)
      assert.matches("\n  serial%s+STRING%s+yes%s+yes%s+length: STRING_LENGTH max=32 min=4\n", out)
      assert.matches('\n  state%s+STRING%s+no%s+no%s+"NEW"%s+states: STRING_FROM_SET allowedValues=NEW|ACTIVE|RETIRED\n', out)
      assert.matches("\n  powered%s+BOOLEAN%s+no%s+no%s+false\n", out)
      out = run{ store, "schema", "show", "inventory@1", "Label" }
      assert.matches("\n  serial%s+%-> Device%.serial%s+yes\n", out)
      out = run{ store, "schema", "show", "inventory", "InstalledIn" }
      assert.matches("Typed%-link facet InstalledIn %(identity: slot%)\n", out)
      assert.matches("\n  slot%s+NUMBER%s+yes", out)
      out = run{ store, "schema", "show", "inventory", "Notes" }
      assert.matches("Facet Notes %(LEAF_NODE, DYNAMIC%)\n  %(dynamic", out)
    end)

    it("show without a facet prints every facet and typed-link facet", function()
      local out, err, code = run{ store, "schema", "show", "inventory" }
      assert.equal(0, code, err)
      local order = {}
      for name in out:gmatch("\nFacet (%w+)") do order[#order + 1] = name end
      assert.same({ "Device", "Label", "Notes", "Rack", "Site" }, order)
      assert.matches("\nTyped%-link facet InstalledIn", out)
    end)
  end)

  it("uses $CLOUDDIR_STORE when the command comes first", function()
    local store = fresh_store()
    local out, err, code = run({ "schema", "load", "inventory", INVENTORY_LUA }, "CLOUDDIR_STORE=" .. quote(store))
    assert.equal(0, code, err)
    assert.matches("^created ", out)
    out = run({ "schema", "list", "development" }, "CLOUDDIR_STORE=" .. quote(store))
    assert.matches("schema/development/inventory\n", out, 1, true)
  end)

  it("takes options before the store and leaves the command's arguments alone", function()
    local store = fresh_store()
    local out, err, code = run{ "--no-sync", "--limits", "none", store, "schema", "load", "x", INVENTORY_LUA }
    assert.equal(0, code, err)
    assert.matches("^created ", out)
    -- "-e" after the command word is the command's (here: an unexpected argument), not Lua
    out, err, code = run{ store, "schema", "dump", "x", "-e" }
    assert.equal(1, code)
    assert.matches("schema dump: unexpected '%-e'", err)
  end)

  it("still runs scripts and stdin as documented; ./schema is a store or a script", function()
    local store = fresh_store()
    write_file(dir .. "/t.lua", "print('script', ...)")
    local out, err, code = run{ store, "t.lua", "a", "b" }
    assert.equal(0, code, err)
    assert.equal("script\ta\tb\n", out)
    out, err, code = run{ "./schema", "-e", "print(store:path():match('[^/]+$'))" }
    assert.equal(0, code, err)
    assert.equal("schema\n", out)
    os.execute("rm -rf " .. quote(dir .. "/schema"))
    write_file(dir .. "/schema", "print('a script named schema')")
    out, err, code = run{ store, "./schema" }
    assert.equal(0, code, err)
    assert.equal("a script named schema\n", out)
  end)
end)
