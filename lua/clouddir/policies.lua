--- clouddir.policies — policy objects as Policy handles, their attachments, LookupPolicy.
--
--   local acl = dir:create_policy("/policies/acl", { type = "acl", document = '{"read":"*"}' })
--   acl:attach(device)                       -- or device:attach_policy(acl)
--   for p in device:policies() do print(p:policy_type(), p:document()) end
--   for obj in acl:attachments() do ... end
--   for path, found in dir:lookup_policy(device) do       -- found: { { policy =, object =, type = } }
--     for _, f in ipairs(found) do print(path, f.type, f.object) end
--   end
--
-- A Policy handle is an Object handle (see clouddir.kinds) with policy methods first.
-- Every policy carries policy_type and policy_document, the attributes of the service's
-- POLICY facet (CloudDirectory/1.0); a POLICY facet of your schema has them as well.
local support = require "clouddir.support"
local values = require "clouddir.values"
local object = require "clouddir.object"
local directory = require "clouddir.directory"
local kinds = require "clouddir.kinds"

local policies = {}

local methods = {}
local Policy = kinds.define("clouddir.Policy", methods)
policies.Policy, policies.methods = Policy, methods

local base_arn = support.base_schema_arn

--- The Policy handle of object id in dir.
function policies.handle(dir, id) return kinds.handle(Policy, dir, id) end

local me = kinds.self_check(Policy)

local function me_obj(obj, method)
  if not object.is_handle(obj) then
    error(("calling '%s' on bad self (clouddir.Object expected)"):format(method), 3)
  end
  return obj:directory(), obj:ref()
end

local page_options = { page_size = true }

-- A paged listing: op's request req, each page's list in field, each item made by make.
local function listing(dir, op, req, field, make, opts, method, n)
  opts = support.options(opts, page_options, method, n)
  req.DirectoryArn, req.MaxResults = dir.arn, opts.page_size
  return support.iterate(function(token)
    req.NextToken = token
    local r = dir.client:call(op, req)
    local items = {}
    for i, x in ipairs(r[field] or {}) do items[i] = table.pack(make(x)) end
    return items, r.NextToken
  end)
end

-- Attachments -------------------------------------------------------------------------------

local function attach(dir, policy, obj)
  dir.client:AttachPolicy{ DirectoryArn = dir.arn, PolicyReference = { Selector = policy },
                           ObjectReference = { Selector = obj } }
end

local function detach(dir, policy, obj)
  dir.client:DetachPolicy{ DirectoryArn = dir.arn, PolicyReference = { Selector = policy },
                           ObjectReference = { Selector = obj } }
end

-- The handle of a reference: itself when it is one, else resolved (one read).
local function handle_of(dir, ref, sel)
  if object.is_handle(ref) then return ref end
  return object.handle(dir, object.ops.info(dir, sel).ObjectIdentifier)
end

--- p:attach(obj) -> obj's handle.  NotPolicyException, InvalidAttachmentException (already
-- attached, or the object has a policy of this type), LimitExceededException.
function methods.attach(p, target)
  local dir, sel = me(p, "attach")
  local obj = support.check_ref(target, "attach", 1)
  attach(dir, sel, obj)
  return handle_of(dir, target, obj)
end

--- p:detach(obj) -> obj's handle (ResourceNotFoundException when not attached).
function methods.detach(p, target)
  local dir, sel = me(p, "detach")
  local obj = support.check_ref(target, "detach", 1)
  local h = handle_of(dir, target, obj)
  detach(dir, sel, obj)
  return h
end

--- for obj in p:attachments([{ page_size = n }]): the objects the policy is attached to.
function methods.attachments(p, opts)
  local dir, sel = me(p, "attachments")
  return listing(dir, "ListPolicyAttachments", { PolicyReference = { Selector = sel } },
    "ObjectIdentifiers", function(id) return object.handle(dir, id) end, opts, "attachments", 1)
end

-- The policy's base attributes: { policy_type =, policy_document = }.
local function base_values(p, method)
  local dir, sel = me(p, method)
  local r = dir.client:GetObjectAttributes{ DirectoryArn = dir.arn, ObjectReference = { Selector = sel },
    SchemaFacet = { SchemaArn = base_arn(dir), FacetName = "POLICY" },
    AttributeNames = { "policy_type", "policy_document" } }
  local out = {}
  for _, kv in ipairs(r.Attributes or {}) do out[kv.Key.Name] = values.from_api(kv.Value) end
  return out
end

--- p:policy_type() -> the policy's type (a string).
function methods.policy_type(p) return base_values(p, "policy_type").policy_type end
--- p:document() -> the policy document (a string of bytes).
function methods.document(p) return base_values(p, "document").policy_document end

-- Creating ----------------------------------------------------------------------------------

local spec_keys = { type = true, document = true, facet = true, values = true }

--- dir:create_policy("/parent/link", spec) | dir:create_policy(parent, "link", spec) |
--- dir:create_policy(nil, spec) -> the new Policy handle.
-- spec: { type = "acl", document = "...", facet = "AccessPolicy" (a POLICY facet; the
-- service's own POLICY facet when left out), values = { the facet's other attributes } }.
local function create_policy(dir, a1, a2, a3)
  local by_link = type(a2) == "string"
  local spec = by_link and a3 or a2
  local n = by_link and 3 or 2
  spec = support.options(spec, spec_keys, "create_policy", n)
  support.check(spec.facet == nil or type(spec.facet) == "string", "create_policy", n,
                "'facet' must be a facet name")
  support.check(spec.values == nil or type(spec.values) == "table", "create_policy", n,
                "'values' must be a table of attribute = value")
  local vals = {}
  for k, v in pairs(spec.values or {}) do vals[k] = v end
  vals.policy_type, vals.policy_document = spec.type, spec.document
  local by_facet = { [spec.facet or "POLICY"] = vals }
  local obj
  if by_link then obj = object.ops.create(dir, a1, a2, by_facet)
  else obj = object.ops.create(dir, a1, by_facet) end
  return policies.handle(dir, obj:id())
end

-- LookupPolicy ------------------------------------------------------------------------------

-- for path, found in lookup(dir, sel): one path from the root to the object per step, with
-- the policies attached along it, top-down: { { policy =, object =, type = }, ... }.
local function lookup(dir, sel, opts, method, n)
  return listing(dir, "LookupPolicy", { ObjectReference = { Selector = sel } }, "PolicyToPathList",
    function(pp)
      local found = {}
      for _, e in ipairs(pp.Policies or {}) do
        if e.PolicyId then
          found[#found + 1] = { policy = policies.handle(dir, e.PolicyId),
                                object = object.handle(dir, e.ObjectIdentifier), type = e.PolicyType }
        end
      end
      return pp.Path, found
    end, opts, method, n)
end

local function attached_policies(dir, sel, opts, method, n)
  return listing(dir, "ListObjectPolicies", { ObjectReference = { Selector = sel } },
    "AttachedPolicyIds", function(id) return policies.handle(dir, id) end, opts, method, n)
end

-- Methods on objects and directories ---------------------------------------------------------

local O, Directory = object.methods, directory.Directory

--- obj:attach_policy(policy) -> obj
function O.attach_policy(obj, policy)
  local dir, sel = me_obj(obj, "attach_policy")
  attach(dir, support.check_ref(policy, "attach_policy", 1), sel)
  return obj
end

--- obj:detach_policy(policy) -> obj
function O.detach_policy(obj, policy)
  local dir, sel = me_obj(obj, "detach_policy")
  detach(dir, support.check_ref(policy, "detach_policy", 1), sel)
  return obj
end

--- for p in obj:policies([{ page_size = n }]): the policies attached to the object.
function O.policies(obj, opts)
  local dir, sel = me_obj(obj, "policies")
  return attached_policies(dir, sel, opts, "policies", 1)
end

--- for path, found in obj:lookup_policy([{ page_size = n }]): see dir:lookup_policy.
function O.lookup_policy(obj, opts)
  local dir, sel = me_obj(obj, "lookup_policy")
  return lookup(dir, sel, opts, "lookup_policy", 1)
end

Directory.create_policy = create_policy

--- dir:policy(ref) -> the Policy handle of that policy object (NotPolicyException otherwise).
function Directory:policy(ref)
  local sel = support.check_ref(ref, "policy", 1)
  if object.ops.type(self, sel) ~= "POLICY" then
    support.raise("NotPolicyException", "object %s is not a policy", sel)
  end
  return policies.handle(self, object.ops.info(self, sel).ObjectIdentifier)
end

--- for path, found in dir:lookup_policy(ref [, { page_size = n }]): every path from the root
-- to the object that has policies attached along it; found lists them top-down as
-- { policy = Policy handle, object = the object it is attached to, type = policy_type }.
function Directory:lookup_policy(ref, opts)
  return lookup(self, support.check_ref(ref, "lookup_policy", 1), opts, "lookup_policy", 2)
end

--- dir:policies(ref), dir:attach_policy(policy, ref), dir:detach_policy(policy, ref).
function Directory:policies(ref, opts)
  return attached_policies(self, support.check_ref(ref, "policies", 1), opts, "policies", 2)
end
function Directory:attach_policy(policy, ref)
  attach(self, support.check_ref(policy, "attach_policy", 1), support.check_ref(ref, "attach_policy", 2))
  return self
end
function Directory:detach_policy(policy, ref)
  detach(self, support.check_ref(policy, "detach_policy", 1), support.check_ref(ref, "detach_policy", 2))
  return self
end

return policies
