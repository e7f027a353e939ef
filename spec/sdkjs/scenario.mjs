// scenario.mjs — `clouddir serve` driven by the unmodified AWS SDK for JavaScript v3
// (@aws-sdk/client-clouddirectory) with Signature Version 4 checked for real.  Emits TAP
// (one "ok"/"not ok" line per step) for spec/run_tests.sh.
//
//   node spec/sdkjs/scenario.mjs CLOUDDIR_BIN
//
// Starts the server on a free loopback port with a temporary store and a fresh key pair,
// walks every group of operations (schemas, facets, publish, directory, objects with
// paging, batch writes with references, typed links, index ranges, policies, tags), checks
// errors by exception class, and checks that a client with a wrong secret gets 403.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import * as CD from "@aws-sdk/client-clouddirectory";

const bin = process.argv[2] || "build/bin/clouddir";
const accessKeyId = "AKID" + randomBytes(8).toString("hex").toUpperCase();
const secretAccessKey = randomBytes(20).toString("base64");
const tmp = mkdtempSync(join(tmpdir(), "clouddir-sdkjs-"));

let n = 0;
function report(ok, name, detail) {
  n++;
  console.log(`${ok ? "ok" : "not ok"} ${n} - sdkjs: ${name}`);
  if (!ok && detail) for (const line of String(detail).split("\n")) console.log(`# ${line}`);
}
function assert(cond, msg) { if (!cond) throw new Error(msg || "assertion failed"); }
function eq(a, b, msg) {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`${msg || "values differ"}: got ${sa}, expected ${sb}`);
}
// Runs one step; later steps still run after a failure (they may fail in turn).
async function step(name, fn) {
  try { await fn(); report(true, name); } catch (e) { report(false, name, e && e.stack || e); }
}
// Expects fn to throw the named exception; returns the error.
async function throwsNamed(cls, fn) {
  try { await fn(); } catch (e) {
    if (typeof cls === "function") {
      assert(e instanceof cls, `expected ${cls.name}, got ${e.name}: ${e.message}`);
    } else {
      assert(e.name === cls, `expected ${cls}, got ${e.name}: ${e.message}`);
    }
    return e;
  }
  throw new Error(`expected ${typeof cls === "function" ? cls.name : cls}, but it succeeded`);
}

// ---------------------------------------------------------------- the server
const server = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--workers", "2",
                           "--access-key", accessKeyId, "--secret-key", secretAccessKey,
                           join(tmp, "store")], { stdio: ["ignore", "pipe", "pipe"] });
let out = "", err = "";
server.stdout.on("data", (d) => { out += d; });
server.stderr.on("data", (d) => { err += d; });
process.on("exit", () => { if (server.exitCode === null) server.kill("SIGKILL"); });  // never leave it behind
server.on("error", (e) => { err += `cannot start ${bin}: ${e.message}\n`; });
const exited = new Promise((resolve) => server.on("exit", (code, sig) => resolve({ code, sig })));
const port = await new Promise((resolve) => {
  const t0 = Date.now();
  const poll = setInterval(() => {
    const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (m || Date.now() - t0 > 10000 || server.exitCode !== null || err.includes("cannot start")) {
      clearInterval(poll);
      resolve(m ? m[1] : null);
    }
  }, 20);
});
const endpoint = `http://127.0.0.1:${port}`;
const clientWith = (creds) => new CD.CloudDirectoryClient({
  endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1 });
const cd = clientWith({ accessKeyId, secretAccessKey });
const send = (Command, input) => cd.send(new Command(input));

await step("the server starts with signature checking on", async () => {
  assert(port, `no port in: ${out} ${err}`);
  assert(!/any signature is accepted/.test(out), "it says it accepts any signature");
});
if (!port) {
  console.log(`1..${n}`);
  process.exit(0);
}

// ---------------------------------------------------------------- the scenario
const S = {};
const sel = (path) => ({ Selector: path });
const key = (facet, name) => ({ SchemaArn: S.applied, FacetName: facet, Name: name });
const photo = Uint8Array.from([0, 1, 2, 255, 128]);

await step("schemas and facets", async () => {
  S.dev = (await send(CD.CreateSchemaCommand, { Name: "org" })).SchemaArn;
  assert(/:schema\/development\/org$/.test(S.dev), S.dev);
  await send(CD.CreateFacetCommand, { SchemaArn: S.dev, Name: "Group", ObjectType: "NODE",
    Attributes: [{ Name: "name", AttributeDefinition: { Type: "STRING" }, RequiredBehavior: "NOT_REQUIRED" }] });
  await send(CD.CreateFacetCommand, { SchemaArn: S.dev, Name: "Person", ObjectType: "LEAF_NODE",
    Attributes: [
      { Name: "email", AttributeDefinition: { Type: "STRING" }, RequiredBehavior: "REQUIRED_ALWAYS" },
      { Name: "age", AttributeDefinition: { Type: "NUMBER" }, RequiredBehavior: "NOT_REQUIRED" },
      { Name: "photo", AttributeDefinition: { Type: "BINARY" }, RequiredBehavior: "NOT_REQUIRED" },
      { Name: "born", AttributeDefinition: { Type: "DATETIME" }, RequiredBehavior: "NOT_REQUIRED" },
    ] });
  await send(CD.CreateFacetCommand, { SchemaArn: S.dev, Name: "Rule", ObjectType: "POLICY" });
  await send(CD.CreateTypedLinkFacetCommand, { SchemaArn: S.dev, Facet: { Name: "Follows",
    Attributes: [{ Name: "since", Type: "NUMBER", RequiredBehavior: "REQUIRED_ALWAYS" }],
    IdentityAttributeOrder: ["since"] } });
  const names = [];
  for await (const page of CD.paginateListFacetNames({ client: cd, pageSize: 2 }, { SchemaArn: S.dev }))
    names.push(...page.FacetNames);
  eq(names.sort(), ["Group", "Person", "Rule"], "facet names over pages of 2");
  const f = (await send(CD.GetFacetCommand, { SchemaArn: S.dev, Name: "Person" })).Facet;
  eq([f.Name, f.ObjectType], ["Person", "LEAF_NODE"]);
  const e = await throwsNamed(CD.FacetAlreadyExistsException, () =>
    send(CD.CreateFacetCommand, { SchemaArn: S.dev, Name: "Rule", ObjectType: "POLICY" }));
  eq(e.$metadata.httpStatusCode, 400, "FacetAlreadyExistsException status");
  const doc = JSON.parse((await send(CD.GetSchemaAsJsonCommand, { SchemaArn: S.dev })).Document);
  assert(doc.facets.Person, "the schema document has Person");
});

await step("publish and create a directory", async () => {
  S.published = (await send(CD.PublishSchemaCommand, { DevelopmentSchemaArn: S.dev, Version: "1" })).PublishedSchemaArn;
  assert(/:schema\/published\/org\/1$/.test(S.published), S.published);
  const d = await send(CD.CreateDirectoryCommand, { Name: "corp", SchemaArn: S.published });
  S.dir = d.DirectoryArn;
  S.applied = d.AppliedSchemaArn;
  const got = (await send(CD.GetDirectoryCommand, { DirectoryArn: S.dir })).Directory;
  eq([got.Name, got.State], ["corp", "ENABLED"]);
  assert(got.CreationDateTime instanceof Date && !isNaN(got.CreationDateTime),
         "CreationDateTime is a Date");
  assert(Math.abs(got.CreationDateTime - Date.now()) < 600000, "CreationDateTime is now");
  const dirs = (await send(CD.ListDirectoriesCommand, {})).Directories;
  eq(dirs.map((x) => x.Name), ["corp"]);
  await throwsNamed(CD.ResourceNotFoundException, () =>
    send(CD.GetSchemaAsJsonCommand, { SchemaArn: S.dev.replace(/org$/, "nothing") }));
});

await step("objects: typed values round-trip, errors by class", async () => {
  await send(CD.CreateObjectCommand, { DirectoryArn: S.dir,
    SchemaFacets: [{ SchemaArn: S.applied, FacetName: "Group" }],
    ObjectAttributeList: [{ Key: key("Group", "name"), Value: { StringValue: "people" } }],
    ParentReference: sel("/"), LinkName: "people" });
  const born = new Date(Date.UTC(2001, 0, 2, 3, 4, 5));
  S.ann = (await send(CD.CreateObjectCommand, { DirectoryArn: S.dir,
    SchemaFacets: [{ SchemaArn: S.applied, FacetName: "Person" }],
    ObjectAttributeList: [
      { Key: key("Person", "email"), Value: { StringValue: "ann@example.com" } },
      { Key: key("Person", "age"), Value: { NumberValue: "41" } },
      { Key: key("Person", "photo"), Value: { BinaryValue: photo } },
      { Key: key("Person", "born"), Value: { DatetimeValue: born } },
    ], ParentReference: sel("/people"), LinkName: "ann" })).ObjectIdentifier;
  const attrs = (await send(CD.ListObjectAttributesCommand, { DirectoryArn: S.dir,
    ObjectReference: sel("/people/ann") })).Attributes;
  const v = Object.fromEntries(attrs.map((a) => [a.Key.Name, a.Value]));
  eq(Array.from(v.photo.BinaryValue), Array.from(photo), "BinaryValue bytes");
  eq(v.age.NumberValue, "41");
  eq(v.born.DatetimeValue.getTime(), born.getTime(), "DatetimeValue");
  const info = await send(CD.GetObjectInformationCommand, { DirectoryArn: S.dir,
    ObjectReference: sel("/people/ann"), ConsistencyLevel: "SERIALIZABLE" });
  eq(info.ObjectIdentifier, S.ann);
  eq(info.SchemaFacets.map((f) => f.FacetName), ["Person"]);
  const e = await throwsNamed(CD.LinkNameAlreadyInUseException, () =>
    send(CD.CreateObjectCommand, { DirectoryArn: S.dir,
      SchemaFacets: [{ SchemaArn: S.applied, FacetName: "Group" }],
      ParentReference: sel("/"), LinkName: "people" }));
  assert(e instanceof CD.CloudDirectoryServiceException, "a CloudDirectoryServiceException");
  eq(e.name, "LinkNameAlreadyInUseException");
  assert(e.message.length > 0, "the error has a message");
  await throwsNamed(CD.ResourceNotFoundException, () =>
    send(CD.GetObjectInformationCommand, { DirectoryArn: S.dir, ObjectReference: sel("/people/nobody") }));
  await throwsNamed(CD.FacetValidationException, () =>
    send(CD.CreateObjectCommand, { DirectoryArn: S.dir,
      SchemaFacets: [{ SchemaArn: S.applied, FacetName: "Person" }],
      ParentReference: sel("/people"), LinkName: "noemail" }));
});

await step("batch write with references; the SDK paginator walks the children", async () => {
  for (let b = 0; b < 2; b++) {
    const ops = [];
    for (let i = 1; i <= 10; i++) {
      const k = b * 10 + i, ref = `p${k}`;
      ops.push({ CreateObject: { SchemaFacet: [{ SchemaArn: S.applied, FacetName: "Person" }],
        ObjectAttributeList: [
          { Key: key("Person", "email"), Value: { StringValue: `${ref}@example.com` } },
          { Key: key("Person", "age"), Value: { NumberValue: String(k) } }],
        BatchReferenceName: ref } });
      ops.push({ AttachObject: { ParentReference: sel("/people"), ChildReference: sel(`#${ref}`),
                                 LinkName: `p${String(k).padStart(2, "0")}` } });
    }
    const r = await send(CD.BatchWriteCommand, { DirectoryArn: S.dir, Operations: ops });
    eq(r.Responses.length, 20, "responses in the batch");
    assert(r.Responses[0].CreateObject.ObjectIdentifier, "CreateObject's identifier");
  }
  const names = [];
  let pages = 0;
  for await (const page of CD.paginateListObjectChildren({ client: cd, pageSize: 4 },
      { DirectoryArn: S.dir, ObjectReference: sel("/people") })) {
    pages++;
    names.push(...Object.keys(page.Children || {}));
  }
  eq(names.length, 21, "children of /people");
  eq(new Set(names).size, 21, "no child twice");
  eq(pages, 6, "pages of 4");
  const parents = (await send(CD.ListObjectParentsCommand, { DirectoryArn: S.dir,
    ObjectReference: sel("/people/p07") })).Parents;
  eq(Object.values(parents), ["p07"]);
});

await step("a failing batch: BatchWriteException with Index and Type, nothing written", async () => {
  const e = await throwsNamed(CD.BatchWriteException, () =>
    send(CD.BatchWriteCommand, { DirectoryArn: S.dir, Operations: [
      { CreateObject: { SchemaFacet: [{ SchemaArn: S.applied, FacetName: "Group" }],
                        ObjectAttributeList: [], ParentReference: sel("/"), LinkName: "ghost" } },
      { AttachObject: { ParentReference: sel("/people"), ChildReference: sel("/people/ann"),
                        LinkName: "p01" } },
    ] }));
  eq(e.Index, 1, "Index of the failing operation");
  eq(e.Type, "LinkNameAlreadyInUseException", "Type");
  await throwsNamed(CD.ResourceNotFoundException, () =>
    send(CD.GetObjectInformationCommand, { DirectoryArn: S.dir, ObjectReference: sel("/ghost") }));
});

await step("typed links with filters", async () => {
  const facet = { SchemaArn: S.applied, TypedLinkName: "Follows" };
  for (const [a, b, since] of [["p01", "p02", "2019"], ["p01", "p03", "2021"], ["p02", "p03", "2020"]])
    await send(CD.AttachTypedLinkCommand, { DirectoryArn: S.dir, SourceObjectReference: sel(`/people/${a}`),
      TargetObjectReference: sel(`/people/${b}`), TypedLinkFacet: facet,
      Attributes: [{ AttributeName: "since", Value: { NumberValue: since } }] });
  const outgoing = (await send(CD.ListOutgoingTypedLinksCommand, { DirectoryArn: S.dir,
    ObjectReference: sel("/people/p01"), FilterTypedLink: facet,
    FilterAttributeRanges: [{ AttributeName: "since", Range: {
      StartMode: "INCLUSIVE", StartValue: { NumberValue: "2020" },
      EndMode: "INCLUSIVE", EndValue: { NumberValue: "2030" } } }] })).TypedLinkSpecifiers;
  eq(outgoing.length, 1, "links from p01 since 2020");
  eq(outgoing[0].IdentityAttributeValues[0].Value.NumberValue, "2021");
  const incoming = (await send(CD.ListIncomingTypedLinksCommand, { DirectoryArn: S.dir,
    ObjectReference: sel("/people/p03"), FilterTypedLink: facet })).LinkSpecifiers;
  eq(incoming.length, 2, "links into p03");
  await throwsNamed(CD.InvalidAttachmentException, () =>
    send(CD.AttachTypedLinkCommand, { DirectoryArn: S.dir, SourceObjectReference: sel("/people/p01"),
      TargetObjectReference: sel("/people/p03"), TypedLinkFacet: facet,
      Attributes: [{ AttributeName: "since", Value: { NumberValue: "2021" } }] }));
  await send(CD.DetachTypedLinkCommand, { DirectoryArn: S.dir, TypedLinkSpecifier: outgoing[0] });
  const after = (await send(CD.ListIncomingTypedLinksCommand, { DirectoryArn: S.dir,
    ObjectReference: sel("/people/p03") })).LinkSpecifiers;
  eq(after.length, 1, "links into p03 after the detach");
});

await step("indexes with ranges", async () => {
  S.index = (await send(CD.CreateIndexCommand, { DirectoryArn: S.dir, IsUnique: false,
    OrderedIndexedAttributeList: [key("Person", "age")], ParentReference: sel("/"),
    LinkName: "byage" })).ObjectIdentifier;
  for (let first = 1; first <= 20; first += 10) {  // the index counts as a written object too
    const ops = [];
    for (let i = first; i < first + 10; i++)
      ops.push({ AttachToIndex: { IndexReference: sel("/byage"),
                                  TargetReference: sel(`/people/p${String(i).padStart(2, "0")}`) } });
    await send(CD.BatchWriteCommand, { DirectoryArn: S.dir, Operations: ops });
  }
  const all = [];
  for await (const page of CD.paginateListIndex({ client: cd, pageSize: 6 },
      { DirectoryArn: S.dir, IndexReference: sel("/byage") }))
    all.push(...page.IndexAttachments);
  eq(all.length, 20, "attachments over pages of 6");
  const r = await send(CD.ListIndexCommand, { DirectoryArn: S.dir, IndexReference: sel("/byage"),
    RangesOnIndexedValues: [{ AttributeKey: key("Person", "age"), Range: {
      StartMode: "INCLUSIVE", StartValue: { NumberValue: "3" },
      EndMode: "EXCLUSIVE", EndValue: { NumberValue: "8" } } }] });
  eq(r.IndexAttachments.map((a) => a.IndexedAttributes[0].Value.NumberValue),
     ["3", "4", "5", "6", "7"], "ages in [3, 8)");
  const idx = (await send(CD.ListAttachedIndicesCommand, { DirectoryArn: S.dir,
    TargetReference: sel("/people/p05") })).IndexAttachments;
  eq(idx.map((a) => a.ObjectIdentifier), [S.index]);
});

await step("policies", async () => {
  await send(CD.CreateObjectCommand, { DirectoryArn: S.dir,
    SchemaFacets: [{ SchemaArn: S.applied, FacetName: "Rule" }],
    ObjectAttributeList: [
      { Key: key("Rule", "policy_type"), Value: { StringValue: "access" } },
      { Key: key("Rule", "policy_document"), Value: { BinaryValue: new TextEncoder().encode("{}") } }],
    ParentReference: sel("/"), LinkName: "rule" });
  await send(CD.AttachPolicyCommand, { DirectoryArn: S.dir, PolicyReference: sel("/rule"),
                                       ObjectReference: sel("/people") });
  const found = [];
  for await (const page of CD.paginateLookupPolicy({ client: cd },
      { DirectoryArn: S.dir, ObjectReference: sel("/people/ann") }))
    for (const p of page.PolicyToPathList)
      for (const pol of p.Policies || []) if (pol.PolicyId) found.push(pol.PolicyType);
  eq(found, ["access"], "policies on the way to ann");
  await throwsNamed(CD.NotPolicyException, () =>
    send(CD.AttachPolicyCommand, { DirectoryArn: S.dir, PolicyReference: sel("/people"),
                                   ObjectReference: sel("/rule") }));
});

await step("tags", async () => {
  await send(CD.TagResourceCommand, { ResourceArn: S.dir,
    Tags: [{ Key: "env", Value: "test" }, { Key: "team", Value: "id" }] });
  eq((await send(CD.ListTagsForResourceCommand, { ResourceArn: S.dir })).Tags.length, 2);
  await send(CD.UntagResourceCommand, { ResourceArn: S.dir, TagKeys: ["team"] });
  eq((await send(CD.ListTagsForResourceCommand, { ResourceArn: S.dir })).Tags,
     [{ Key: "env", Value: "test" }]);
});

await step("a wrong secret key gets 403 InvalidSignatureException", async () => {
  const bad = clientWith({ accessKeyId, secretAccessKey: secretAccessKey + "x" });
  const e = await throwsNamed("InvalidSignatureException", () =>
    bad.send(new CD.ListDirectoriesCommand({})));
  eq(e.$metadata.httpStatusCode, 403, "status");
  assert(e instanceof CD.CloudDirectoryServiceException, "a CloudDirectoryServiceException");
  const e2 = await throwsNamed("InvalidSignatureException", () =>
    bad.send(new CD.CreateSchemaCommand({ Name: "sneaky" })));
  eq(e2.$metadata.httpStatusCode, 403, "status");
  const names = (await send(CD.ListDevelopmentSchemaArnsCommand, {})).SchemaArns;
  assert(!names.some((a) => a.endsWith("/sneaky")), "the refused CreateSchema wrote nothing");
});

await step("an unknown access key gets 403 UnrecognizedClientException", async () => {
  const stranger = clientWith({ accessKeyId: "AKIDSTRANGER", secretAccessKey });
  const e = await throwsNamed("UnrecognizedClientException", () =>
    stranger.send(new CD.ListDirectoriesCommand({})));
  eq(e.$metadata.httpStatusCode, 403, "status");
});

await step("the server stops cleanly on SIGTERM", async () => {
  server.kill("SIGTERM");
  const { code, sig } = await exited;
  eq([code, sig], [0, null], "exit status");
});

if (server.exitCode === null) server.kill("SIGKILL");
// Sanitizer reports from an instrumented server go out as they are: run_tests.sh counts them.
if (err.trim()) for (const line of err.trim().split("\n")) console.log(line.startsWith("==") || /runtime error:/.test(line) ? line : `# server: ${line}`);
rmSync(tmp, { recursive: true, force: true });
console.log(`1..${n}`);
// Failures are in the TAP lines; a nonzero status means the scenario itself broke.
process.exit(0);
