-- concurrency_child.lua — a writer or a reader process of spec/concurrency_spec.lua (not a
-- spec: busted only runs *_spec.lua).
--
--   lua5.4 spec/concurrency_child.lua writer ID STORE DIRECTORY_ARN SCHEMA_ARN ACCOUNTS STOPFILE sync|nosync
--   lua5.4 spec/concurrency_child.lua reader ID STORE DIRECTORY_ARN SCHEMA_ARN ACCOUNTS STOPFILE
--
-- The directory holds accounts /accounts/a1..aN (Account: balance, version), /audit and
-- /locks.  Both roles run until STOPFILE exists, then print one line and exit 0.
--
-- A writer moves tokens: it reads two accounts (balance, version) in one BatchRead, then
-- BatchWrite
--   0, 1  CreateObject Lock /locks/a<x>-v<version+1> for both accounts
--   2, 3  UpdateObjectAttributes: the balances (total unchanged), versions + 1
--   4     CreateObject Audit /audit/w<ID>-<n>
-- The lock links make the batch a compare-and-swap: if another writer changed an account
-- since the read, its lock link for that version exists and the batch fails
-- (LinkNameAlreadyInUseException at 0 or 1), writes nothing, and the writer tries again.
-- Prints "committed <n> conflicts <c>".
--
-- A reader reads, in one BatchRead (one snapshot), every balance and version and the
-- children of /audit and /locks, and checks: the total is exactly ACCOUNTS * 1000, no
-- balance is negative, sum(version) == #locks == 2 * #audit, and #audit never goes down
-- from one read to the next.  Prints "reads <n> audits <last #audit>"; on a broken
-- invariant it prints it to stderr and exits 2.
local clouddir = require "clouddir"

local role, id, path, dir, schema, accounts, stopfile, mode =
  arg[1], arg[2], arg[3], arg[4], arg[5], tonumber(arg[6]), arg[7], arg[8]
assert((role == "writer" or role == "reader") and id and path and dir and schema and accounts
  and stopfile, "usage: see the head of concurrency_child.lua")

local store = clouddir.open(path, { sync = mode ~= "nosync", limits = "none" })
local cd = store:client()

local function sel(s) return { Selector = s } end
local function key(facet, name) return { SchemaArn = schema, FacetName = facet, Name = name } end
local function num(x) return { NumberValue = tostring(x) } end
local function set(facet, name, value)
  return { ObjectAttributeKey = key(facet, name), ObjectAttributeAction = {
    ObjectAttributeActionType = "CREATE_OR_UPDATE", ObjectAttributeUpdateValue = value } }
end
local account_facet = { SchemaArn = schema, FacetName = "Account" }

local function stopped()
  local f = io.open(stopfile)
  if f then f:close() end
  return f ~= nil
end

local function fail(fmt, ...)
  io.stderr:write(role, " ", id, ": ", string.format(fmt, ...), "\n")
  os.exit(2)
end

local function get_account(x)
  return { GetObjectAttributes = { ObjectReference = sel("/accounts/a" .. x),
    SchemaFacet = account_facet, AttributeNames = { "balance", "version" } } }
end

-- { balance =, version = } from a BatchRead item's response.
local function account_of(item, x)
  local ok = item.SuccessfulResponse
  if not ok then
    fail("reading a%d: %s", x, item.ExceptionResponse and item.ExceptionResponse.Message or "?")
  end
  local v = {}
  for _, a in ipairs(ok.GetObjectAttributes.Attributes) do v[a.Key.Name] = tonumber(a.Value.NumberValue) end
  return v
end

local function count_children(item, what)
  local ok = item.SuccessfulResponse
  if not ok then fail("listing %s: %s", what, item.ExceptionResponse.Message) end
  local n = 0
  for _ in pairs(ok.ListObjectChildren.Children) do n = n + 1 end
  if ok.ListObjectChildren.NextToken then fail("listing %s: more than one page", what) end
  return n
end

if role == "writer" then
  local committed, conflicts = 0, 0
  while not stopped() do
    local x = math.random(accounts)
    local y = math.random(accounts - 1)
    if y >= x then y = y + 1 end
    local r = cd:BatchRead{ DirectoryArn = dir, Operations = { get_account(x), get_account(y) } }
    local a, b = account_of(r.Responses[1], x), account_of(r.Responses[2], y)
    if a.balance > 0 then
      local amount = math.random(math.min(a.balance, 50))
      local n = committed + 1
      local ok, e = pcall(cd.BatchWrite, cd, { DirectoryArn = dir, Operations = {
        { CreateObject = { SchemaFacet = { { SchemaArn = schema, FacetName = "Lock" } },
            ObjectAttributeList = {}, ParentReference = sel("/locks"),
            LinkName = "a" .. x .. "-v" .. (a.version + 1) } },
        { CreateObject = { SchemaFacet = { { SchemaArn = schema, FacetName = "Lock" } },
            ObjectAttributeList = {}, ParentReference = sel("/locks"),
            LinkName = "a" .. y .. "-v" .. (b.version + 1) } },
        { UpdateObjectAttributes = { ObjectReference = sel("/accounts/a" .. x), AttributeUpdates = {
            set("Account", "balance", num(a.balance - amount)),
            set("Account", "version", num(a.version + 1)) } } },
        { UpdateObjectAttributes = { ObjectReference = sel("/accounts/a" .. y), AttributeUpdates = {
            set("Account", "balance", num(b.balance + amount)),
            set("Account", "version", num(b.version + 1)) } } },
        { CreateObject = { SchemaFacet = { { SchemaArn = schema, FacetName = "Audit" } },
            ObjectAttributeList = {
              { Key = key("Audit", "from"), Value = { StringValue = "a" .. x } },
              { Key = key("Audit", "to"), Value = { StringValue = "a" .. y } },
              { Key = key("Audit", "amount"), Value = num(amount) } },
            ParentReference = sel("/audit"), LinkName = "w" .. id .. "-" .. n } },
      } })
      if ok then
        committed = n
      elseif clouddir.is_error(e) and e.code == "BatchWriteException"
          and e.type == "LinkNameAlreadyInUseException" and (e.index == 0 or e.index == 1) then
        conflicts = conflicts + 1   -- another writer moved first: read again
      else
        error(e, 0)
      end
    end
  end
  print(("committed %d conflicts %d"):format(committed, conflicts))
else
  local reads, last_audits = 0, 0
  local ops = {}
  for x = 1, accounts do ops[x] = get_account(x) end
  ops[accounts + 1] = { ListObjectChildren = { ObjectReference = sel("/audit"), MaxResults = 1000000 } }
  ops[accounts + 2] = { ListObjectChildren = { ObjectReference = sel("/locks"), MaxResults = 1000000 } }
  repeat   -- at least one read, even when the stop file is already there
    local r = cd:BatchRead{ DirectoryArn = dir, Operations = ops }
    local total, versions = 0, 0
    for x = 1, accounts do
      local v = account_of(r.Responses[x], x)
      if v.balance < 0 then fail("a%d has a negative balance %d", x, v.balance) end
      total, versions = total + v.balance, versions + v.version
    end
    local audits = count_children(r.Responses[accounts + 1], "/audit")
    local locks = count_children(r.Responses[accounts + 2], "/locks")
    if total ~= accounts * 1000 then
      fail("read %d: total %d, expected %d (half a batch visible, or a lost update)", reads + 1, total, accounts * 1000)
    end
    if versions ~= locks or locks ~= 2 * audits then
      fail("read %d: sum of versions %d, locks %d, audits %d: expected v == l == 2a",
           reads + 1, versions, locks, audits)
    end
    if audits < last_audits then
      fail("read %d: %d audits after %d: a later snapshot lost commits", reads + 1, audits, last_audits)
    end
    reads, last_audits = reads + 1, audits
  until stopped()
  print(("reads %d audits %d"):format(reads, last_audits))
end
store:close()
