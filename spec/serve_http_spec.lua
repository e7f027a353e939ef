-- serve_http_spec.lua — `clouddir serve` at the HTTP level, with requests no SDK sends:
-- conflicting message framing (RFC 9112 §6.3), whitespace around header values (RFC 9110
-- §5.5) and percent-encoded paths.  Each request is written byte for byte and sent on a
-- fresh connection by a few lines of Python (python3 comes with aws-cli, in `make deps`).
-- The server runs as $CLOUDDIR_BIN on a free loopback port with a temporary store.
local json = require "dkjson"

local BIN = os.getenv("CLOUDDIR_BIN") or "build/bin/clouddir"
local PYTHON = "/usr/bin/python3"
local BASE = "/amazonclouddirectory/2017-01-11"

local helper = require "spec.helper"
local read, write = helper.read_file, helper.write_file

local function sleep(s) os.execute("sleep " .. s) end

-- Sends the file argv[2] to 127.0.0.1:argv[1], reads one response (by its Content-Length)
-- and copies it to stdout; with argv[3] == "1", then waits up to 2 s to see whether the
-- server closes the connection.  The last line says "--closed--" or "--open--".
local SENDER = [[
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(open(sys.argv[2], "rb").read())
buf, closed = b"", False
def more():
    global buf, closed
    try:
        d = s.recv(65536)
    except ConnectionResetError:
        d = b""
    if not d:
        closed = True
    buf += d
while b"\r\n\r\n" not in buf and not closed:
    more()
head = buf.split(b"\r\n\r\n", 1)[0]
want = len(head) + 4
for line in head.split(b"\r\n")[1:]:
    k, _, v = line.partition(b":")
    if k.strip().lower() == b"content-length":
        want += int(v)
while len(buf) < want and not closed:
    more()
if sys.argv[3] == "1" and not closed:
    s.settimeout(2)
    try:
        more()
    except socket.timeout:
        pass
sys.stdout.buffer.write(buf + (b"\n--closed--\n" if closed else b"\n--open--\n"))
]]

local have_python = io.open(PYTHON, "r") ~= nil

describe("clouddir serve at the HTTP level", function()
  local tmp = os.tmpname()
  os.remove(tmp)
  os.execute("mkdir -p " .. tmp)
  local store, out, err, rcfile = tmp .. "/store", tmp .. "/out", tmp .. "/err", tmp .. "/rc"
  local sender = tmp .. "/send.py"
  local port, server_pid
  local sent = 0

  -- Sends raw (the whole request, bytes as given) and returns the response as
  -- { status, headers (names lower-cased), body (decoded JSON or the text), closed }.
  -- check_close: wait to see whether the server closes the connection afterwards.
  local function send(raw, check_close)
    sent = sent + 1
    local file = tmp .. "/req" .. sent
    write(file, raw)
    -- The sanitizer run preloads its runtimes into Lua: Python must not inherit them.
    local p = assert(io.popen(string.format(
      "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS %s %s %s %s %s",
      PYTHON, sender, port, file, check_close and "1" or "0"), "r"))
    local text = p:read("a")
    p:close()
    local r = { headers = {}, closed = text:sub(-11) == "--closed--\n" }
    local head, body = text:match("^(.-)\r\n\r\n(.*)\n%-%-%a+%-%-\n$")
    assert(head, "no HTTP response in: " .. text)
    r.status = tonumber(head:match("^HTTP/1%.1 (%d+)"))
    for name, value in head:gmatch("\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
      r.headers[name:lower()] = value
    end
    r.body = body:match("^%s*{") and json.decode(body) or body
    return r
  end

  -- A request with a JSON body and a correct Content-Length, plus extra header lines.
  local function request(method, path, body, extra)
    return method .. " " .. path .. " HTTP/1.1\r\nHost: 127.0.0.1\r\n" .. (extra or "") ..
           "Content-Length: " .. #body .. "\r\n\r\n" .. body
  end

  local function development_schemas()
    local r = send(request("POST", BASE .. "/schema/development", ""))
    assert.equal(200, r.status)
    return r.body.SchemaArns
  end

  local function has_schema(name)
    for _, arn in ipairs(development_schemas()) do
      if arn:match("/development/" .. name .. "$") then return true end
    end
    return false
  end

  -- The AWS error form every refusal of the server takes.
  local function assert_aws_error(r, status, name)
    assert.equal(status, r.status, "status; body: " .. json.encode(r.body))
    assert.equal(name, r.headers["x-amzn-errortype"])
    assert.equal("table", type(r.body))
    assert.equal(name, r.body.__type)
    assert.equal("string", type(r.body.Message))
  end

  setup(function()
    if not have_python then return end
    write(sender, SENDER)
    port, server_pid = helper.start_serve(BIN, store, out, err, rcfile)
  end)

  teardown(function()
    if server_pid and not read(rcfile) then
      os.execute("kill -TERM " .. server_pid)
      for _ = 1, 100 do
        if read(rcfile) then break end
        sleep(0.05)
      end
      if not read(rcfile) then os.execute("kill -KILL " .. server_pid) end
    end
    os.execute("rm -rf " .. tmp)
  end)

  it("starts", function()
    assert.is_true(have_python, PYTHON .. " is missing (it comes with awscli: make deps)")
    assert.truthy(port, "the server did not start: " .. (read(err) or ""))
  end)

  it("refuses Content-Length headers that disagree: 400, then closes", function()
    -- The same length twice is one length (RFC 9110 §8.6): accepted.
    local body = '{"Name":"twice"}'
    local r = send(request("PUT", BASE .. "/schema/create", body,
                           "Content-Length: " .. #body .. "\r\n"))
    assert.equal(200, r.status)
    -- The body's length, then 5: libmicrohttpd took the first and ran the call; a proxy in
    -- front that takes the last would send the rest on as the start of another request.
    body = '{"Name":"smuggled"}'
    local line = "PUT " .. BASE .. "/schema/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    r = send(line .. "Content-Length: " .. #body .. "\r\nContent-Length: 5\r\n\r\n" .. body, true)
    assert_aws_error(r, 400, "SerializationException")
    assert.truthy(r.body.Message:find("Content-Length", 1, true))
    assert.is_true(r.closed, "the connection should be closed")
    -- A second header that is no number at all is no agreement either.
    r = send(line .. "Content-Length: " .. #body .. "\r\ncontent-length: 1x\r\n\r\n" .. body, true)
    assert_aws_error(r, 400, "SerializationException")
    assert.is_true(r.closed)
    assert.is_false(has_schema("smuggled"))
  end)

  it("refuses Content-Length with Transfer-Encoding, and codings other than chunked", function()
    local body = '{"Name":"chunky"}'
    local chunked = string.format("%x\r\n%s\r\n0\r\n\r\n", #body, body)
    local line = "PUT " .. BASE .. "/schema/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    -- Both: which one frames the body is a matter of opinion between hops.
    local r = send(line .. "Content-Length: " .. #body .. "\r\nTransfer-Encoding: chunked\r\n\r\n" ..
                   chunked, true)
    assert_aws_error(r, 400, "SerializationException")
    assert.truthy(r.body.Message:find("Transfer-Encoding", 1, true))
    assert.is_true(r.closed)
    -- A coding the server cannot decode would be read until the client hangs up.
    r = send(line .. "Transfer-Encoding: gzip, chunked\r\n\r\n" .. chunked, true)
    assert_aws_error(r, 400, "SerializationException")
    assert.is_true(r.closed)
    assert.is_false(has_schema("chunky"))
    -- Chunked alone is fine.
    r = send(line .. "Transfer-Encoding: chunked\r\n\r\n" .. chunked)
    assert.equal(200, r.status)
    assert.truthy(has_schema("chunky"))
  end)

  it("reads header members without the whitespace around them", function()
    local arn = send(request("PUT", BASE .. "/schema/create", '{"Name":"spaced"}')).body.SchemaArn
    assert.truthy(arn)
    for _, v in ipairs({ arn, arn .. " ", arn .. " \t ", "\t " .. arn .. "  " }) do
      local r = send(request("POST", BASE .. "/schema/json", "",
                             "x-amz-data-partition: " .. v .. "\r\n"))
      assert.equal(200, r.status, "partition '" .. v .. "': " .. json.encode(r.body))
      assert.equal(arn, json.decode(r.body.Document).sourceSchemaArn)
    end
  end)

  it("routes on the path as sent: percent-encoded paths are no operation", function()
    for i, path in ipairs({
      BASE .. "/schema/create%00junk",
      BASE .. "/schema/cre%61te",
      "/amazonclouddirectory%2F2017-01-11%2Fschema%2Fcreate",
      "/amazonclouddirectory/2017-01-11/schema%2Fcreate",
    }) do
      local r = send(request("PUT", path, '{"Name":"escaped' .. i .. '"}'))
      assert_aws_error(r, 404, "UnknownOperationException")
      assert.truthy(r.body.Message:find(path, 1, true), r.body.Message)
    end
    for _, arn in ipairs(development_schemas()) do
      assert.falsy(arn:find("/escaped", 1, true), arn)
    end
    -- A query string is not part of the path: the operation is still found.
    local r = send(request("PUT", BASE .. "/schema/create?x=%41", '{"Name":"queried"}'))
    assert.equal(200, r.status)
  end)

  it("refuses a port that is not a number from 0 to 65535 (exit 2), and names a store once", function()
    for _, listen in ipairs({ "127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:nope", "70000" }) do
      local ok, how, n = os.execute(string.format("%s serve --listen %s %s/unused >%s 2>%s",
                                                  BIN, listen, tmp, out, err))
      assert.is_nil(ok, listen)
      assert.equal("exit", how)
      assert.equal(2, n, listen)
      assert.truthy(read(err):find("0 (any free port) to 65535", 1, true), read(err))
    end
    local ok, _, n = os.execute(string.format("%s serve %s/no/such/store >%s 2>%s", BIN, tmp, out, err))
    assert.is_nil(ok)
    assert.equal(1, n)
    local e = read(err)
    local _, count = e:gsub("cannot open store", "")
    assert.equal(1, count, e)
  end)
end)
