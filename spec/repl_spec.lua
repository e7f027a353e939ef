-- The clouddir binary: options, store, scripts, stdin, error reports, the prompt's
-- printing and continuation lines, and Ctrl-C.  Runs the built binary in a shell:
-- CLOUDDIR_BIN names it (default build/bin/clouddir, relative to the project root).

local BIN = os.getenv("CLOUDDIR_BIN") or "build/bin/clouddir"
if not BIN:match("^/") then
  local pwd = assert(io.popen("pwd"))
  BIN = pwd:read("l") .. "/" .. BIN
  pwd:close()
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

local helper = require "spec.helper"
local read_file, write_file = helper.read_file, helper.write_file

local function exists(path)
  return os.execute("test -e " .. quote(path)) == true
end

-- A fresh folder for the whole file: os.tmpname makes a file; a folder takes its name.
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. quote(dir)))
local store = dir .. "/store"

-- Runs the binary with the argument list args.  opts.stdin: text fed to it (default:
-- nothing, from /dev/null); opts.env: "NAME=value ..." put before the command;
-- opts.prefix: a command that wraps it (timeout ...); opts.cwd: a folder to create and run
-- in (default dir).  Returns stdout, stderr, exit code.
local function run(args, opts)
  opts = opts or {}
  local words = {}
  for i, a in ipairs(args) do words[i] = quote(a) end
  local input = "/dev/null"
  if opts.stdin then
    input = dir .. "/stdin.txt"
    write_file(input, opts.stdin)
  end
  local cwd = opts.cwd or dir
  local cmd = string.format("mkdir -p %s && cd %s && %s %s %s %s >%s 2>%s <%s", quote(cwd), quote(cwd),
    opts.env or "", opts.prefix or "", quote(BIN), table.concat(words, " "),
    quote(dir .. "/out.txt"), quote(dir .. "/err.txt"), quote(input))
  local _, how, code = os.execute(cmd)
  if how == "signal" then code = 128 + code end
  return read_file(dir .. "/out.txt"), read_file(dir .. "/err.txt"), code
end

local MISSING_DIRECTORY = "arn:aws:clouddirectory:us-east-1:123456789012:directory/nope"

describe("clouddir binary", function()
  teardown(function()
    os.execute("rm -rf " .. quote(dir))
  end)

  it("is built (set CLOUDDIR_BIN to test another build)", function()
    assert.is_true(exists(BIN), BIN .. " does not exist; run make first")
  end)

  describe("options", function()
    it("-v prints clouddir's, Lua's and LMDB's versions, and creates no store", function()
      local out, err, code = run({ "-v" }, { cwd = dir .. "/version" })
      assert.equal(0, code)
      assert.equal("", err)
      assert.matches("^clouddir 0%.1%.0 %(Lua 5%.4[%.%d]*, LMDB %d+%.%d+%.%d+%)\n$", out)
      assert.is_false(exists(dir .. "/version/clouddir.store"))
    end)

    it("-h prints the usage, including where the default store is", function()
      local out, _, code = run({ "-h" })
      assert.equal(0, code)
      assert.matches("^usage: clouddir %[options%] %[store%] %[script%.lua %[args%.%.%.%]%]", out)
      assert.truthy(out:find("$CLOUDDIR_STORE", 1, true))
      assert.truthy(out:find("./clouddir.store", 1, true))
      assert.truthy(out:find("--no-sync", 1, true))
      assert.truthy(out:find("\n       clouddir serve [options] STORE\n", 1, true))
    end)

    it("runs serve after --no-sync and --limits, handing them on; refuses serve elsewhere", function()
      local cwd = dir .. "/serve-order"
      -- serve's own usage errors (exit 2) prove that serve, not the interpreter, read argv
      local out, err, code = run({ "--no-sync", "--limits", "none", "serve", "--workers", "0", "sv" },
                                 { cwd = cwd })
      assert.equal(2, code)
      assert.matches("^clouddir serve: %-%-workers wants 1 to", err)
      _, err, code = run({ "--limits=bogus", "serve", "sv" }, { cwd = cwd })
      assert.equal(2, code)
      assert.matches("^clouddir serve: %-%-limits must be 'aws' or 'none'\n$", err)
      out, _, code = run({ "--no-sync", "serve", "--help" }, { cwd = cwd })
      assert.equal(0, code)
      assert.matches("^usage: clouddir serve %[options%] STORE\n", out)
      -- and it serves, with the options in force
      out, err = run({ "--no-sync", "--limits", "none", "serve", "--listen", "127.0.0.1:0", "--workers", "1", "sv" },
                   { cwd = cwd, prefix = "timeout -s TERM 2" })
      assert.matches("clouddir serve: listening on http://127%.0%.0%.1:%d+ %(store sv,", err .. out)
      -- anywhere else serve is refused in one line, before any store is made
      for _, args in ipairs{ { "-E", "serve", "sv" }, { "sv", "serve" }, { "-e", "x=1", "serve", "sv" } } do
        out, err, code = run(args, { cwd = cwd })
        assert.equal(2, code, table.concat(args, " "))
        assert.equal("", out)
        assert.equal("clouddir: put `serve` first: clouddir serve [options] STORE\n", err)
      end
      assert.is_false(exists(cwd .. "/serve"))
      assert.is_false(exists(cwd .. "/clouddir.store"))
    end)

    it("rejects an unknown option with the usage on stderr and status 1", function()
      local out, err, code = run({ "-x" })
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^clouddir: '%-x': unrecognized option\nusage: clouddir", err)
    end)

    it("rejects an option without its argument and a bad --limits", function()
      local _, err, code = run({ store, "-e" })
      assert.equal(1, code)
      assert.truthy(err:find("needs an argument", 1, true))
      _, err, code = run({ "--limits", "some", store, "-e", "" })
      assert.equal(1, code)
      assert.truthy(err:find("clouddir: '--limits': must be 'aws' or 'none'", 1, true))
    end)

    it("accepts --no-sync and --limits none", function()
      local out, err, code = run({ "--no-sync", "--limits", "none", store, "-e", "print('ok')" })
      assert.equal("", err)
      assert.equal(0, code)
      assert.equal("ok\n", out)
    end)
  end)

  describe("-e and -l", function()
    it("runs -e with the globals clouddir, store and cd bound", function()
      local out, err, code = run({ store, "-e",
        "print(type(clouddir), type(clouddir.open), store ~= nil, cd ~= nil)" })
      assert.equal("", err)
      assert.equal(0, code)
      assert.equal("table\tfunction\ttrue\ttrue\n", out)
      assert.is_true(exists(store))
    end)

    it("runs -e and -l in order; -l binds the last part of a dotted name", function()
      local out, _, code = run({ store, "-e", "print(pretty)", "-l", "clouddir.pretty",
        "-e", "print(pretty.format({1}))", "-l", "pp=clouddir.pretty", "-e", "print(pp == pretty)" })
      assert.equal(0, code)
      assert.equal("nil\n{ 1 }\ntrue\n", out)
    end)

    it("exits 1 when -l cannot find the module", function()
      local _, err, code = run({ store, "-l", "no_such_module_here" })
      assert.equal(1, code)
      assert.truthy(err:find("module 'no_such_module_here' not found", 1, true))
    end)

    it("lets os.exit choose the status", function()
      local _, _, code = run({ store, "-e", "os.exit(3)" })
      assert.equal(3, code)
    end)
  end)

  describe("scripts", function()
    local script = dir .. "/args.lua"
    setup(function()
      write_file(script, "print(select('#', ...), ...)\nprint(arg[0], arg[1], arg[2], arg[-1])\n")
    end)

    it("gets its arguments as ... and as arg, with arg[0] the script", function()
      local out, err, code = run({ store, script, "a", "b c" })
      assert.equal("", err)
      assert.equal(0, code)
      assert.equal("2\ta\tb c\n" .. script .. "\ta\tb c\t" .. store .. "\n", out)
    end)

    it("takes a first argument ending in .lua as the script, with $CLOUDDIR_STORE", function()
      local out, _, code = run({ script, "x" }, { env = "CLOUDDIR_STORE=" .. quote(dir .. "/envstore") })
      assert.equal(0, code)
      assert.equal("1\tx\n" .. script .. "\tx\tnil\t" .. BIN .. "\n", out)
      assert.is_true(exists(dir .. "/envstore"))
    end)

    it("uses ./clouddir.store when no store is named and $CLOUDDIR_STORE is unset", function()
      local _, _, code = run({ "-e", "print(1)" },
        { env = "env -u CLOUDDIR_STORE", cwd = dir .. "/default" })
      assert.equal(0, code)
      assert.is_true(exists(dir .. "/default/clouddir.store"))
    end)

    it("reports a script that cannot be opened", function()
      local _, err, code = run({ store, dir .. "/missing.lua" })
      assert.equal(1, code)
      assert.matches("^clouddir: cannot open ", err)
    end)

    it("reports a syntax error with the script's name", function()
      write_file(dir .. "/bad.lua", "x = = 1\n")
      local _, err, code = run({ store, dir .. "/bad.lua" })
      assert.equal(1, code)
      assert.truthy(err:find("bad.lua:1:", 1, true))
    end)
  end)

  describe("stdin", function()
    it("runs stdin as the script when it is not a terminal", function()
      local out, err, code = run({ store }, { stdin = "print(1 + 1)\nprint(cd ~= nil)\n" })
      assert.equal("", err)
      assert.equal(0, code)
      assert.equal("2\ntrue\n", out)
    end)

    it("runs stdin with arguments for '-'", function()
      local out, _, code = run({ store, "-", "p", "q" }, { stdin = "print(...)" })
      assert.equal(0, code)
      assert.equal("p\tq\n", out)
    end)
  end)

  describe("errors", function()
    it("exits 1 and prints a Lua error with a traceback", function()
      local out, err, code = run({ store, "-e", "error('boom')" })
      assert.equal(1, code)
      assert.equal("", out)
      assert.matches("^clouddir: %(command line%):1: boom\nstack traceback:\n", err)
    end)

    it("prints a clouddir error as 'clouddir: Code: message'", function()
      local _, err, code = run({ store, "-e",
        'cd:GetDirectory{DirectoryArn="' .. MISSING_DIRECTORY .. '"}' })
      assert.equal(1, code)
      assert.matches("^clouddir: %u%a+Exception: [^\n]+\n", err)
    end)

    it("writes control bytes of a message as \\xHH, so a name cannot drive the terminal", function()
      local _, err, code = run({ store, "-e", [[
        local d = store:create_directory("esc", store:schema("esc", { facets = { F = { type = "NODE" } } }):publish("1"))
        d:object("/\27[31mred\1x"):info()]] })
      assert.equal(1, code)
      assert.matches("^clouddir: ResourceNotFoundException: ", err)
      assert.truthy(err:find("/\\x1B[31mred", 1, true), err)
      assert.falsy(err:find("\27", 1, true))
      assert.truthy(err:find("\nstack traceback:\n", 1, true))   -- newlines stay
    end)

    it("shows where a script raised a clouddir error", function()
      write_file(dir .. "/fails.lua", 'local x = 1\ncd:GetDirectory{DirectoryArn="' .. MISSING_DIRECTORY .. '"}\n')
      local _, err, code = run({ store, dir .. "/fails.lua" })
      assert.equal(1, code)
      assert.matches("^clouddir: %u%a+Exception: ", err)
      assert.truthy(err:find("fails.lua:2:", 1, true))
    end)

    it("describes an error value that is neither a string nor a clouddir error", function()
      local _, err, code = run({ store, "-e", "error({})" })
      assert.equal(1, code)
      assert.matches("^clouddir: %(error object is a table value%)", err)
    end)

    it("reports a store that cannot be opened, naming it", function()
      local file = dir .. "/plain-file"
      write_file(file, "not a store\n")
      local _, err, code = run({ file .. "/sub", "-e", "print('ran')" })
      assert.equal(1, code)
      assert.matches("^clouddir: ", err)
      assert.truthy(err:find(file, 1, true))
    end)
  end)

  describe("the prompt (-i, input piped)", function()
    local function repl(input, ...)
      return run({ store, "-i", ... }, { stdin = input })
    end

    it("prints the version, prompts, and expression values", function()
      local out, err, code = repl("1 + 1\n'text'\nnil, 2\n")
      assert.equal("", err)
      assert.equal(0, code)
      assert.matches("^clouddir 0%.1%.0 ", out)
      assert.truthy(out:find("clouddir> 2\n", 1, true))
      assert.truthy(out:find('clouddir> "text"\n', 1, true))
      assert.truthy(out:find("clouddir> nil\t2\n", 1, true))
    end)

    it("keeps reading continuation lines until the chunk is complete", function()
      local out, _, code = repl("for i = 1, 3 do\n  print(i * 10)\nend\nx = {\n  answer = 42,\n}\nx.answer\n")
      assert.equal(0, code)
      assert.truthy(out:find("clouddir> >> >> 10\n20\n30\n", 1, true))
      assert.truthy(out:find("clouddir> >> >> clouddir> 42\n", 1, true))
    end)

    it("pretty-prints nested tables with sorted keys and binary strings escaped", function()
      local out = repl('{ name = "x", bin = "\\0\\1\\255", nested = { list = { 1, 2 }, ok = true } }\n')
      assert.truthy(out:find('{ bin = "\\x00\\x01\\xFF", name = "x", nested = { list = { 1, 2 }, ok = true } }\n', 1, true), out)
    end)

    it("spreads long tables over indented lines and marks cycles", function()
      local out = repl('t = { long = string.rep("a", 80), inner = { n = 1 } }; t.inner.up = t\nt\n')
      assert.truthy(out:find('{\n  inner = { n = 1, up = <cycle: table: 0x%x+> },\n  long = "a+"\n}\n'), out)
    end)

    it("prints clouddir errors as 'Code: message' and goes on", function()
      local out, err, code = repl('cd:GetDirectory{DirectoryArn="' .. MISSING_DIRECTORY .. '"}\n1 + 2\n')
      assert.equal(0, code)
      assert.matches("^%u%a+Exception: [^\n]+\n$", err)
      assert.truthy(out:find("clouddir> 3\n", 1, true))
    end)

    it("reports an unfinished chunk at the end of input", function()
      local _, err = repl("function f(\n")
      assert.truthy(err:find("<eof>", 1, true))
    end)

    it("runs the script and -e before the prompt", function()
      local out = repl("seen\n", "-e", "seen = 'yes'")
      assert.truthy(out:find('clouddir> "yes"\n', 1, true))
    end)
  end)

  describe("Ctrl-C", function()
    local has_timeout = os.execute("command -v timeout >/dev/null 2>&1") == true
    -- --foreground: signal only clouddir, once (a second SIGINT would end it, as in lua)
    local prefix = "timeout --foreground --preserve-status -k 5 -s INT 0.5"

    it("interrupts a running statement and exits 1", function()
      if not has_timeout then pending("no timeout command") return end
      local _, err, code = run({ store, "-e", "while true do end" }, { prefix = prefix })
      assert.equal(1, code)
      assert.truthy(err:find("interrupted!", 1, true))
    end)

    it("at the prompt stops only the running statement", function()
      if not has_timeout then pending("no timeout command") return end
      local out, err, code = run({ store, "-i" },
        { prefix = prefix, stdin = "while true do end\nprint('after')\n" })
      assert.equal(0, code)
      assert.truthy(err:find("interrupted!", 1, true))
      assert.truthy(out:find("after\n", 1, true))
    end)

    -- A real terminal, through script(1): keys are typed with pauses so readline sees
    -- them one step at a time.  Takes about four seconds.
    it("at a terminal clears the line, abandons a continuation, stops a statement", function()
      local has_script = os.execute("command -v script >/dev/null 2>&1") == true
      if not (has_timeout and has_script) then pending("no script or timeout command") return end
      local keys = {
        { 1.0, "abc" }, { 0.3, "\\003" }, { 0.3, "10*10\\r" },
        { 0.3, "for i = 1, 2 do\\r" }, { 0.3, "\\003" }, { 0.3, "'fresh'\\r" },
        { 0.3, "while true do end\\r" }, { 0.5, "\\003" }, { 0.5, "'alive'\\r" },
        { 0.3, "\\004" }, { 0.5, "" },
      }
      local typing = {}
      for i, k in ipairs(keys) do
        typing[i] = string.format("sleep %s; printf %s", k[1], quote(k[2]))
      end
      local home = dir .. "/home"
      os.execute("mkdir -p " .. quote(home))
      -- script(1) itself runs without the sanitizer preload of the ASan pass (its own
      -- allocations are not ours to check); the binary under test is linked with ASan.
      local cmd = string.format("(%s) | HOME=%s TERM=dumb timeout 30 env -u LD_PRELOAD script -qec %s /dev/null | tr -d '\\r'",
        table.concat(typing, "; "), quote(home), quote(quote(BIN) .. " " .. quote(store)))
      local p = assert(io.popen(cmd))
      local out = p:read("a")
      p:close()
      assert.truthy(out:find("clouddir> abc^C\nclouddir> 10*10\n100\n", 1, true), out)
      assert.truthy(out:find(">> ^C\nclouddir> 'fresh'\n\"fresh\"\n", 1, true), out)
      assert.truthy(out:find("interrupted!", 1, true), out)
      assert.truthy(out:find("clouddir> 'alive'\n\"alive\"\n", 1, true), out)
      local history = read_file(home .. "/.clouddir_history") or ""
      assert.matches("#%d+\n'alive'\n", history)
      assert.is_nil(history:find("abc", 1, true))
    end)
  end)
end)
