/* batch.c — BatchWrite and BatchRead: the items run through the single operations' own
 * handlers (cd_engine_dispatch) inside the one transaction the engine opened for the call.
 *
 * BatchWrite: items run in order in one write transaction, each seeing the earlier ones'
 * effects.  The first item that fails stops the batch; the engine then aborts the
 * transaction, so nothing is written, and the error becomes a BatchWriteException:
 *
 *   code BatchWriteException, index = the item's 0-based position, type = its exception,
 *   message "Operation <index> <Type>: <Kind>: <the item's own message>"
 *
 * (space-separated with the index as 2nd token and "<Type>:" as 3rd, the shape real
 * clients parse).  Request-level failures (no such directory, not enabled, the per-call
 * limits below) and store failures are raised as themselves.
 *
 * BatchReferenceName (CreateObject, CreateIndex, DetachObject) names the created object,
 * created index or detached child; later items select it with "#name" (selector.c calls
 * back into resolve_name through c->batch).  A name given twice is a ValidationException at
 * the second item; a name no earlier item defined is a ResourceNotFoundException at the
 * item using it.  Both are reported through BatchWriteException like any item error.
 *
 * Per-call limits under limits = "aws" (semantics §8.1, §10), checked as items run, raised
 * as a top-level LimitExceededException (nothing is written):
 *   - at most 20 distinct written objects: each item writes the objects listed in its
 *     kind's `written` (request references, resolved just before the item runs) and
 *     `written_resp` (an object the response names, e.g. the created one).  Both ends of a
 *     link count; an object written by several items counts once.
 *   - at most 1,000 written attribute values: the items of the request member `values`
 *     (ObjectAttributeList, AttributeUpdates, Attributes), summed over the batch.
 *   - at most 200 read objects: every item counts the objects its references read, from
 *     the selector text before it runs, as BatchRead does below ("/a/b" reads a and b; "/",
 *     "$id" and "#name" one each), with repeats.  A write answers no attribute values, so
 *     BatchRead's read-value cap has nothing to count here.
 * Under limits = "none" nothing is counted and a batch may hold millions of items: each item
 * runs in a scratch arena that is emptied before the next, so memory grows only by the
 * response list and the reference names.
 *
 * BatchRead: one read snapshot; each item succeeds ({SuccessfulResponse = {Kind = ...}}) or
 * fails ({ExceptionResponse = {Type, Message}}) on its own.  Only a missing or disabled
 * directory (checked before any item), the per-call limits below and store failures fail
 * the whole call.
 *
 * Per-call read limits under limits = "aws" (semantics §8.1, §8.2, §10), summed over the
 * items with repeats (the same object read twice counts twice), raised as a top-level
 * LimitExceededException as soon as a count passes its cap:
 *   - at most 200 read objects.  Every item counts the objects its references read, taken
 *     from the selector text before it runs, whether it then succeeds or not: a path counts
 *     each link it follows ("/a/b" reads a and b), "/" the root, "$id" one.  A successful
 *     item adds the objects its answer lists (its kind's `entries`: children, parents,
 *     index entries, attached indices or policies, policy attachments, the other end of
 *     each typed link, the objects of each parent path, the objects on each LookupPolicy
 *     path plus its policies).
 *   - at most 1,000 read attribute values: the values a successful item's answer lists
 *     (Attributes, the IndexedAttributes of index entries, the IdentityAttributeValues of
 *     typed links).
 * Counting looks only at the request and the answers, never at the store.  Under
 * limits = "none" nothing is counted. */
#include <string.h>
#include "selector.h"
#include "store.h"

/* ------------------------------------------------------------------ mapping tables */

/* NULL-ended lists of pairs: {from, to}. */
typedef const char *const pairs[];

typedef struct write_kind {
    const char *name;          /* BatchWriteOperation member = the single operation's name */
    int op;
    const char *const *req;    /* batch item member -> single request member */
    const char *const *resp;   /* single response member -> batch response member */
    const char *ref;           /* single response member naming the object a
                                  BatchReferenceName names (NULL: no BatchReferenceName) */
    const char *const *written;  /* request references ("A" or "A.B") to objects it writes */
    const char *written_resp;  /* single response member naming an object it writes */
    const char *values;        /* request member listing the attribute values it writes */
    const char *const *read;   /* request references it only reads, beside `written` */
} write_kind;

#define NONE ((pairs){NULL})
#define LIST(...) ((pairs){__VA_ARGS__, NULL})

/* The 15 kinds.  Requests differ from the single operations only where listed: the batch
 * has no DirectoryArn (the engine adds the batch's), CreateObject's facets are `SchemaFacet`
 * (SchemaFacets alone), and BatchReferenceName is the batch's own.  Responses differ in
 * AttachObject / DetachObject's lower-case member names. */
static const write_kind write_kinds[] = {
    {"CreateObject", CD_OP_CreateObject,
     LIST("SchemaFacet", "SchemaFacets", "ObjectAttributeList", "ObjectAttributeList",
          "ParentReference", "ParentReference", "LinkName", "LinkName"),
     LIST("ObjectIdentifier", "ObjectIdentifier"), "ObjectIdentifier",
     LIST("ParentReference"), "ObjectIdentifier", "ObjectAttributeList", NONE},
    {"AttachObject", CD_OP_AttachObject,
     LIST("ParentReference", "ParentReference", "ChildReference", "ChildReference",
          "LinkName", "LinkName"),
     LIST("AttachedObjectIdentifier", "attachedObjectIdentifier"), NULL,
     LIST("ParentReference", "ChildReference"), NULL, NULL, NONE},
    {"DetachObject", CD_OP_DetachObject,
     LIST("ParentReference", "ParentReference", "LinkName", "LinkName"),
     LIST("DetachedObjectIdentifier", "detachedObjectIdentifier"), "DetachedObjectIdentifier",
     LIST("ParentReference"), "DetachedObjectIdentifier", NULL, NONE},
    {"UpdateObjectAttributes", CD_OP_UpdateObjectAttributes,
     LIST("ObjectReference", "ObjectReference", "AttributeUpdates", "AttributeUpdates"),
     LIST("ObjectIdentifier", "ObjectIdentifier"), NULL,
     NONE, "ObjectIdentifier", "AttributeUpdates", LIST("ObjectReference")},
    {"DeleteObject", CD_OP_DeleteObject,
     LIST("ObjectReference", "ObjectReference"), NONE, NULL,
     LIST("ObjectReference"), NULL, NULL, NONE},
    {"AddFacetToObject", CD_OP_AddFacetToObject,
     LIST("SchemaFacet", "SchemaFacet", "ObjectAttributeList", "ObjectAttributeList",
          "ObjectReference", "ObjectReference"), NONE, NULL,
     LIST("ObjectReference"), NULL, "ObjectAttributeList", NONE},
    {"RemoveFacetFromObject", CD_OP_RemoveFacetFromObject,
     LIST("SchemaFacet", "SchemaFacet", "ObjectReference", "ObjectReference"), NONE, NULL,
     LIST("ObjectReference"), NULL, NULL, NONE},
    {"AttachPolicy", CD_OP_AttachPolicy,
     LIST("PolicyReference", "PolicyReference", "ObjectReference", "ObjectReference"), NONE,
     NULL, LIST("PolicyReference", "ObjectReference"), NULL, NULL, NONE},
    {"DetachPolicy", CD_OP_DetachPolicy,
     LIST("PolicyReference", "PolicyReference", "ObjectReference", "ObjectReference"), NONE,
     NULL, LIST("PolicyReference", "ObjectReference"), NULL, NULL, NONE},
    {"CreateIndex", CD_OP_CreateIndex,
     LIST("OrderedIndexedAttributeList", "OrderedIndexedAttributeList", "IsUnique", "IsUnique",
          "ParentReference", "ParentReference", "LinkName", "LinkName"),
     LIST("ObjectIdentifier", "ObjectIdentifier"), "ObjectIdentifier",
     LIST("ParentReference"), "ObjectIdentifier", NULL, NONE},
    {"AttachToIndex", CD_OP_AttachToIndex,
     LIST("IndexReference", "IndexReference", "TargetReference", "TargetReference"),
     LIST("AttachedObjectIdentifier", "AttachedObjectIdentifier"), NULL,
     LIST("IndexReference", "TargetReference"), NULL, NULL, NONE},
    {"DetachFromIndex", CD_OP_DetachFromIndex,
     LIST("IndexReference", "IndexReference", "TargetReference", "TargetReference"),
     LIST("DetachedObjectIdentifier", "DetachedObjectIdentifier"), NULL,
     LIST("IndexReference", "TargetReference"), NULL, NULL, NONE},
    {"AttachTypedLink", CD_OP_AttachTypedLink,
     LIST("SourceObjectReference", "SourceObjectReference", "TargetObjectReference",
          "TargetObjectReference", "TypedLinkFacet", "TypedLinkFacet", "Attributes",
          "Attributes"),
     LIST("TypedLinkSpecifier", "TypedLinkSpecifier"), NULL,
     LIST("SourceObjectReference", "TargetObjectReference"), NULL, "Attributes", NONE},
    {"DetachTypedLink", CD_OP_DetachTypedLink,
     LIST("TypedLinkSpecifier", "TypedLinkSpecifier"), NONE, NULL,
     LIST("TypedLinkSpecifier.SourceObjectReference",
          "TypedLinkSpecifier.TargetObjectReference"), NULL, NULL, NONE},
    {"UpdateLinkAttributes", CD_OP_UpdateLinkAttributes,
     LIST("TypedLinkSpecifier", "TypedLinkSpecifier", "AttributeUpdates", "AttributeUpdates"),
     NONE, NULL,
     LIST("TypedLinkSpecifier.SourceObjectReference",
          "TypedLinkSpecifier.TargetObjectReference"), NULL, "AttributeUpdates", NONE},
};

typedef struct read_kind {
    const char *name;          /* BatchReadOperation member = the single operation's name */
    int op;
    const char *const *req;    /* batch item member -> single request member */
    const char *const *resp;   /* single response member -> batch response member */
    /* What the item reads, for the limits = "aws" counts (see the top of the file): */
    const char *const *refs;   /* request references ("A" or "A.B") it resolves */
    const char *entries;       /* response list or map of the objects it read */
    const char *entry_objects; /* NULL: each entry is one object; else the entry's list of them */
    const char *entry_path;    /* the entry's path text: the objects on it are read too */
    const char *entry_values;  /* the entry's list of attribute values */
    const char *values;        /* response list of attribute values */
} read_kind;

#define PAGED(...) LIST(__VA_ARGS__, "NextToken", "NextToken", "MaxResults", "MaxResults")

/* The 14 kinds.  Members keep their names; the batch has no DirectoryArn and one
 * ConsistencyLevel for all items (validated by the shape check; every read sees the latest
 * commit anyway).  ListObjectParents runs with IncludeAllLinksToEachParent = true and
 * answers only ParentLinks, the batch response's one member (semantics §8.2). */
static const read_kind read_kinds[] = {
    {"ListObjectAttributes", CD_OP_ListObjectAttributes,
     PAGED("ObjectReference", "ObjectReference", "FacetFilter", "FacetFilter"),
     LIST("Attributes", "Attributes", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .values = "Attributes"},
    {"ListObjectChildren", CD_OP_ListObjectChildren,
     PAGED("ObjectReference", "ObjectReference"),
     LIST("Children", "Children", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "Children"},
    {"ListAttachedIndices", CD_OP_ListAttachedIndices,
     PAGED("TargetReference", "TargetReference"),
     LIST("IndexAttachments", "IndexAttachments", "NextToken", "NextToken"),
     .refs = LIST("TargetReference"), .entries = "IndexAttachments",
     .entry_values = "IndexedAttributes"},
    {"ListObjectParentPaths", CD_OP_ListObjectParentPaths,
     PAGED("ObjectReference", "ObjectReference"),
     LIST("PathToObjectIdentifiersList", "PathToObjectIdentifiersList", "NextToken",
          "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "PathToObjectIdentifiersList",
     .entry_objects = "ObjectIdentifiers"},
    {"GetObjectInformation", CD_OP_GetObjectInformation,
     LIST("ObjectReference", "ObjectReference"),
     LIST("SchemaFacets", "SchemaFacets", "ObjectIdentifier", "ObjectIdentifier"),
     .refs = LIST("ObjectReference")},
    {"GetObjectAttributes", CD_OP_GetObjectAttributes,
     LIST("ObjectReference", "ObjectReference", "SchemaFacet", "SchemaFacet", "AttributeNames",
          "AttributeNames"),
     LIST("Attributes", "Attributes"),
     .refs = LIST("ObjectReference"), .values = "Attributes"},
    {"ListObjectParents", CD_OP_ListObjectParents,
     PAGED("ObjectReference", "ObjectReference"),
     LIST("ParentLinks", "ParentLinks", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "ParentLinks"},
    {"ListObjectPolicies", CD_OP_ListObjectPolicies,
     PAGED("ObjectReference", "ObjectReference"),
     LIST("AttachedPolicyIds", "AttachedPolicyIds", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "AttachedPolicyIds"},
    {"ListPolicyAttachments", CD_OP_ListPolicyAttachments,
     PAGED("PolicyReference", "PolicyReference"),
     LIST("ObjectIdentifiers", "ObjectIdentifiers", "NextToken", "NextToken"),
     .refs = LIST("PolicyReference"), .entries = "ObjectIdentifiers"},
    {"LookupPolicy", CD_OP_LookupPolicy,
     PAGED("ObjectReference", "ObjectReference"),
     LIST("PolicyToPathList", "PolicyToPathList", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "PolicyToPathList",
     .entry_objects = "Policies", .entry_path = "Path"},
    {"ListIndex", CD_OP_ListIndex,
     PAGED("IndexReference", "IndexReference", "RangesOnIndexedValues",
           "RangesOnIndexedValues"),
     LIST("IndexAttachments", "IndexAttachments", "NextToken", "NextToken"),
     .refs = LIST("IndexReference"), .entries = "IndexAttachments",
     .entry_values = "IndexedAttributes"},
    {"ListOutgoingTypedLinks", CD_OP_ListOutgoingTypedLinks,
     PAGED("ObjectReference", "ObjectReference", "FilterAttributeRanges",
           "FilterAttributeRanges", "FilterTypedLink", "FilterTypedLink"),
     LIST("TypedLinkSpecifiers", "TypedLinkSpecifiers", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "TypedLinkSpecifiers",
     .entry_values = "IdentityAttributeValues"},
    {"ListIncomingTypedLinks", CD_OP_ListIncomingTypedLinks,
     PAGED("ObjectReference", "ObjectReference", "FilterAttributeRanges",
           "FilterAttributeRanges", "FilterTypedLink", "FilterTypedLink"),
     LIST("LinkSpecifiers", "LinkSpecifiers", "NextToken", "NextToken"),
     .refs = LIST("ObjectReference"), .entries = "LinkSpecifiers",
     .entry_values = "IdentityAttributeValues"},
    {"GetLinkAttributes", CD_OP_GetLinkAttributes,
     LIST("TypedLinkSpecifier", "TypedLinkSpecifier", "AttributeNames", "AttributeNames"),
     LIST("Attributes", "Attributes"),
     .refs = LIST("TypedLinkSpecifier.SourceObjectReference",
                  "TypedLinkSpecifier.TargetObjectReference"),
     .values = "Attributes"},
};

#define N_WRITE_KINDS (sizeof write_kinds / sizeof *write_kinds)
#define N_READ_KINDS (sizeof read_kinds / sizeof *read_kinds)

/* An item's one member (the shape check made sure there is exactly one). */
static const cd_mapent *item_member(const cd_value *item)
{
    if (!cd_is(item, CDV_MAP))
        return NULL;
    for (size_t i = 0; i < item->u.map.n; i++)
        if (item->u.map.ents[i].val && item->u.map.ents[i].val->type != CDV_NULL)
            return &item->u.map.ents[i];
    return NULL;
}

/* A map of at most cap members whose keys are static strings (the mapping tables' names and
 * literals), which outlive every arena: stored as they are, not copied. */
static cd_value *static_map(cd_arena *a, size_t cap)
{
    cd_value *m = cd_arena_alloc(a, sizeof *m + cap * sizeof(cd_mapent));
    if (!m)
        return NULL;
    *m = (cd_value){.type = CDV_MAP, .u.map = {(cd_mapent *)(m + 1), 0, cap}};
    return m;
}

static void static_set(cd_value *m, const char *key, size_t keylen, cd_value *val)
{
    m->u.map.ents[m->u.map.n++] = (cd_mapent){key, keylen, val};
}

static size_t pairs_count(const char *const *map)
{
    size_t n = 0;
    while (map[2 * n])
        n++;
    return n;
}

/* The single operation's request: the batch's DirectoryArn plus the mapped members (shared
 * with the batch request, not copied: handlers only read them). */
static cd_value *single_request(cd_arena *a, const cd_value *dir_arn, const cd_value *body,
                                const char *const *map)
{
    cd_value *r = static_map(a, 1 + pairs_count(map));
    if (!r)
        return NULL;
    static_set(r, "DirectoryArn", 12, (cd_value *)dir_arn);
    for (size_t i = 0; map[i]; i += 2) {
        cd_value *v = cd_get(body, map[i]);
        if (v)
            static_set(r, map[i + 1], strlen(map[i + 1]), v);
    }
    return r;
}

/* The batch response member: the mapped members of the single response, copied into the
 * call's arena (the single response lives in the item's scratch arena). */
static cd_value *batch_response(cd_arena *a, const cd_value *single, const char *const *map)
{
    cd_value *r = static_map(a, pairs_count(map));
    if (!r)
        return NULL;
    for (size_t i = 0; map[i]; i += 2) {
        cd_value *v = cd_get(single, map[i]);
        if (!v)
            continue;
        cd_value *copy = cd_value_copy(a, v);
        if (!copy)
            return NULL;
        static_set(r, map[i + 1], strlen(map[i + 1]), copy);
    }
    return r;
}

/* { key = val } in a new map; key is a static string. */
static cd_value *wrap1(cd_arena *a, const char *key, size_t keylen, cd_value *val)
{
    cd_value *m = val ? static_map(a, 1) : NULL;
    if (m)
        static_set(m, key, keylen, val);
    return m;
}

/* ------------------------------------------------------------------ reference names */

typedef struct ref_entry {
    const char *name;          /* NULL: free slot */
    size_t n;
    uint64_t oid;
    size_t index;              /* the item that defined it */
} ref_entry;

#define WRITE_LIMIT_OBJECTS 20
#define WRITE_LIMIT_VALUES 1000
#define READ_LIMIT_OBJECTS 200    /* BatchWrite's references and BatchRead's items */

typedef struct batch_state {
    cd_batch_hook hook;        /* first: selector.c sees c->batch as a cd_batch_hook */
    const cd_directory *d;
    cd_arena *a;               /* the call's arena: names and the table live as long as it */
    ref_entry *refs;           /* open addressing, capacity a power of two */
    size_t nrefs, cap;
    /* limits = "aws" only: */
    uint64_t written[WRITE_LIMIT_OBJECTS];
    size_t nwritten;
    int64_t values;
    int64_t read;              /* objects its references read, with repeats */
} batch_state;

static uint64_t name_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603u;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    return h;
}

static ref_entry *ref_slot(ref_entry *t, size_t cap, const char *name, size_t n)
{
    size_t i = (size_t)name_hash(name, n) & (cap - 1);
    while (t[i].name && !(t[i].n == n && memcmp(t[i].name, name, n) == 0))
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static ref_entry *ref_find(const batch_state *st, const char *name, size_t n)
{
    if (!st->cap)
        return NULL;
    ref_entry *e = ref_slot(st->refs, st->cap, name, n);
    return e->name ? e : NULL;
}

/* Adds a name (not yet present); the table doubles at half full, the old one stays in the
 * arena (geometric, so at most as much again). */
static bool ref_add(batch_state *st, const char *name, size_t n, uint64_t oid, size_t index)
{
    if (2 * (st->nrefs + 1) > st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 16;
        ref_entry *t = cd_arena_alloc(st->a, cap * sizeof *t);
        if (!t)
            return false;
        memset(t, 0, cap * sizeof *t);
        for (size_t i = 0; i < st->cap; i++)
            if (st->refs[i].name)
                *ref_slot(t, cap, st->refs[i].name, st->refs[i].n) = st->refs[i];
        st->refs = t;
        st->cap = cap;
    }
    char *copy = cd_arena_strndup(st->a, name, n);
    if (!copy)
        return false;
    *ref_slot(st->refs, st->cap, name, n) = (ref_entry){copy, n, oid, index};
    st->nrefs++;
    return true;
}

/* cd_batch_hook.resolve: "#name" in a selector. */
static int resolve_name(cd_ctx *c, const char *name, size_t n, uint64_t *oid)
{
    const batch_state *st = c->batch;
    const ref_entry *e = ref_find(st, name, n);
    if (!e)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "no earlier operation of this batch has BatchReferenceName '%.*s' "
                       "(a name is defined by CreateObject, CreateIndex or DetachObject "
                       "before it is used as '#%.*s')",
                       (int)(n > 200 ? 200 : n), name, (int)(n > 200 ? 200 : n), name);
    *oid = e->oid;
    return 0;
}

/* ------------------------------------------------------------------ per-call limits */

/* The objects a selector or a path text reads: one per link a path follows ("/a/b" reads a
 * and b), the root alone for "/", one for an id or a "#name". */
static int64_t path_objects(const char *p, size_t n)
{
    if (!p)
        return 0;
    if (n == 0 || p[0] != '/')
        return 1;
    int64_t links = 0;
    for (size_t i = 0; i < n; i++)
        links += p[i] != '/' && (i == 0 || p[i - 1] == '/');
    return links ? links : 1;
}

/* Counts object oid as written; LimitExceededException beyond the cap. */
static int count_object(cd_ctx *c, batch_state *st, uint64_t oid, size_t index)
{
    for (size_t i = 0; i < st->nwritten; i++)
        if (st->written[i] == oid)
            return 0;
    if (st->nwritten == WRITE_LIMIT_OBJECTS)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "BatchWrite writes more than %d objects in one call (operation %zu "
                       "writes one more; limits = \"aws\"): split the batch",
                       WRITE_LIMIT_OBJECTS, index);
    st->written[st->nwritten++] = oid;
    return 0;
}

/* The reference at "A" or "A.B" of an item body, or NULL. */
static const cd_value *member_at(const cd_value *body, const char *path)
{
    const char *dot = strchr(path, '.');
    if (!dot)
        return cd_get(body, path);
    char outer[64];
    size_t n = (size_t)(dot - path);
    if (n >= sizeof outer)
        return NULL;
    memcpy(outer, path, n);
    outer[n] = '\0';
    return cd_get(cd_get(body, outer), dot + 1);
}

/* The objects the references refs ("A" or "A.B") of an item body read, from their selector
 * text: nothing is looked up.  BatchWrite and BatchRead count alike. */
static int64_t refs_read(const char *const *refs, const cd_value *body)
{
    int64_t n = 0;
    for (size_t i = 0; refs[i]; i++) {
        size_t len = 0;
        const char *sel = cd_get_str(member_at(body, refs[i]), "Selector", &len);
        n += path_objects(sel, len);
    }
    return n;
}

/* Adds the objects item body's references read to the call's count; LimitExceededException
 * beyond the cap. */
static int count_reads(cd_ctx *c, batch_state *st, const write_kind *k, const cd_value *body,
                       size_t index)
{
    st->read += refs_read(k->written, body) + refs_read(k->read, body);
    if (st->read > READ_LIMIT_OBJECTS)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "BatchWrite reads more than %d objects in one call (operation %zu "
                       "brings it to %lld, counting each link a path follows; limits = "
                       "\"aws\"): split the batch, or name objects by $id",
                       READ_LIMIT_OBJECTS, index, (long long)st->read);
    return 0;
}

/* The objects an item is about to write through its references, resolved in the state
 * before it runs (a reference that does not resolve is left out: the item will fail on it
 * itself).  Never fails; c->err is left as it was. */
static size_t written_before(cd_ctx *c, const batch_state *st, const write_kind *k,
                             const cd_value *body, uint64_t *oids)
{
    size_t n = 0;
    cd_error saved = *c->err;
    for (size_t i = 0; k->written[i]; i++) {
        const cd_value *ref = member_at(body, k->written[i]);
        cd_object o;
        if (ref && cd_select(c, st->d, ref, k->written[i], &o) == 0)
            oids[n++] = o.oid;
    }
    *c->err = saved;
    return n;
}

/* ------------------------------------------------------------------ BatchWrite */

/* Turns item index's error into the BatchWriteException (store failures and the full-map
 * signal pass through: the engine handles them for the whole call). */
static int item_failed(cd_ctx *c, size_t index, const char *kind, int rc)
{
    if (rc == CD_E_MAP_FULL || rc == CD_E_StoreError)
        return rc;
    int type = c->err->code > CD_OK ? c->err->code : rc;
    char msg[sizeof c->err->message];
    memcpy(msg, c->err->message, sizeof msg);
    cd_fail(c->err, CD_E_BatchWriteException, "Operation %zu %s: %s: %s", index,
            cd_code_name(type), kind, msg);
    c->err->index = (int64_t)index;
    c->err->type = type;
    return CD_E_BatchWriteException;
}

static const write_kind *write_kind_named(const char *name)
{
    for (size_t i = 0; i < N_WRITE_KINDS; i++)
        if (strcmp(write_kinds[i].name, name) == 0)
            return &write_kinds[i];
    return NULL;
}

/* Runs item `index` with c->a set to the item's scratch arena; the batch response member is
 * built in the call's arena (st->a). */
static int write_item(cd_ctx *c, batch_state *st, const cd_value *dir_arn, size_t index,
                      const cd_value *item, cd_value **out)
{
    const cd_mapent *m = item_member(item);
    const write_kind *k = m ? write_kind_named(m->key) : NULL;
    if (!k)
        return item_failed(c, index, m ? m->key : "?",
                           cd_fail(c->err, CD_E_ValidationException,
                                   "an operation must set exactly one of CreateObject, "
                                   "AttachObject, ... (BatchWriteOperation)"));
    const cd_value *body = m->val;

    size_t refn = 0;
    const char *refname = k->ref ? cd_get_str(body, "BatchReferenceName", &refn) : NULL;
    if (refname) {
        const ref_entry *e = refn ? ref_find(st, refname, refn) : NULL;
        if (!refn || e)
            return item_failed(
                c, index, k->name,
                !refn ? cd_fail(c->err, CD_E_ValidationException,
                                "BatchReferenceName is empty")
                      : cd_fail(c->err, CD_E_ValidationException,
                                "BatchReferenceName '%.*s' is already defined by operation "
                                "%zu of this batch", (int)(refn > 200 ? 200 : refn), refname,
                                e->index));
    }

    bool aws = cd_aws_limits(c);
    int rc;
    if (aws && (rc = count_reads(c, st, k, body, index)))
        return rc;
    uint64_t before[4];
    size_t nbefore = aws ? written_before(c, st, k, body, before) : 0;

    cd_value *req = single_request(c->a, dir_arn, body, k->req);
    if (!req)
        return cd_oom(c);
    cd_value *resp;
    rc = cd_engine_dispatch(c, k->op, req, &resp);
    if (rc)
        return item_failed(c, index, k->name, rc);

    /* The object the response names (created, detached, updated): for the reference name
     * and the written-object count. */
    const char *name_member = k->ref ? k->ref : k->written_resp;
    uint64_t named = 0;
    bool have_named = false;
    if (name_member && (refname || aws)) {
        size_t idn;
        const char *id = cd_get_str(resp, name_member, &idn);
        unsigned char tag[8];
        if (!id || !cd_object_id_parse(st->d, id, idn, &named, tag))
            return item_failed(c, index, k->name,
                               cd_fail(c->err, CD_E_InternalServiceException,
                                       "%s answered no valid %s", k->name, name_member));
        have_named = true;
    }
    if (refname && !ref_add(st, refname, refn, named, index))
        return cd_oom(c);

    if (aws) {
        for (size_t i = 0; i < nbefore; i++)
            if ((rc = count_object(c, st, before[i], index)))
                return rc;
        if (have_named && k->written_resp && (rc = count_object(c, st, named, index)))
            return rc;
        if (k->values) {
            st->values += (int64_t)cd_len(cd_get(body, k->values));
            if (st->values > WRITE_LIMIT_VALUES)
                return cd_fail(c->err, CD_E_LimitExceededException,
                               "BatchWrite writes more than %d attribute values in one call "
                               "(operation %zu brings it to %lld; limits = \"aws\"): split "
                               "the batch", WRITE_LIMIT_VALUES, index, (long long)st->values);
        }
    }

    cd_value *r = batch_response(st->a, resp, k->resp);
    if (!r || !(*out = wrap1(st->a, k->name, strlen(k->name), r)))
        return cd_oom(c);
    return 0;
}

/* ------------------------------------------------------------------ running the items */

/* Runs item `index` of a batch call in the scratch arena (c->a); *out, in the call's arena,
 * is its response.  Non-zero only for failures of the whole call. */
typedef int batch_item_fn(cd_ctx *c, void *ud, const cd_value *dir_arn, size_t index,
                          const cd_value *item, cd_value **out);

/* The request-level part of a batch call: the directory checked (*d), *resp set to
 * {"Responses": list}, *ops the Operations. */
static int begin_batch(cd_ctx *c, const cd_value *req, cd_directory **d, const cd_value **ops,
                       cd_value **list, cd_value **resp)
{
    int rc = cd_request_directory(c, req, d);
    if (rc)
        return rc;
    *ops = cd_get(req, "Operations");
    *list = cd_list(c->a);
    if (!*list || !(*resp = wrap1(c->a, "Responses", 9, *list)))
        return cd_oom(c);
    return 0;
}

/* Runs the n items of ops one by one, each in a fresh scratch arena (an item's garbage dies
 * with it), appending their responses to list; stops at the first failure of the call. */
static int run_items(cd_ctx *c, const cd_value *req, const cd_value *ops, size_t n,
                     cd_value *list, batch_item_fn *item, void *ud)
{
    cd_arena *call = c->a, *scratch = cd_arena_new();
    if (!scratch)
        return cd_oom(c);
    const cd_value *dir_arn = cd_get(req, "DirectoryArn");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        cd_arena_reset(scratch);
        c->a = scratch;
        cd_value *r = NULL;
        rc = item(c, ud, dir_arn, i, ops->u.list.items[i], &r);
        c->a = call;
        if (rc == 0 && !cd_list_push(call, list, r))
            rc = cd_oom(c);
    }
    cd_arena_free(scratch);
    return rc;
}

static int write_one(cd_ctx *c, void *ud, const cd_value *dir_arn, size_t index,
                     const cd_value *item, cd_value **out)
{
    return write_item(c, ud, dir_arn, index, item, out);
}

static int batch_write(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    const cd_value *ops = NULL;
    cd_value *list;
    int rc = begin_batch(c, req, &d, &ops, &list, resp);
    size_t n = cd_len(ops);
    if (rc || n == 0)
        return rc;

    batch_state st = {.hook = {resolve_name}, .d = d, .a = c->a};
    /* The items look up the same directory and facets again and again: the memo keeps
     * them for the call (no item changes the catalog; store.h). */
    cd_call_memo memo = {.facets = {.a = c->a}};
    struct cd_call_memo *outer_memo = c->memo;
    void *outer_batch = c->batch;
    c->batch = &st;
    c->memo = &memo;
    rc = run_items(c, req, ops, n, list, write_one, &st);
    c->batch = outer_batch;
    c->memo = outer_memo;
    return rc;
}

/* ------------------------------------------------------------------ BatchRead */

static const read_kind *read_kind_named(const char *name)
{
    for (size_t i = 0; i < N_READ_KINDS; i++)
        if (strcmp(read_kinds[i].name, name) == 0)
            return &read_kinds[i];
    return NULL;
}

#define READ_LIMIT_VALUES 1000

typedef struct read_state {
    cd_arena *a;               /* the call's arena: the responses live in it */
    bool aws;                  /* limits = "aws": count, else nothing below is used */
    int64_t objects, values;   /* read so far, summed over the items */
} read_state;

/* Adds what a successful item's response lists to *objects and *values. */
static void answer_counts(const read_kind *k, const cd_value *resp, int64_t *objects,
                          int64_t *values)
{
    const cd_value *list = k->entries ? cd_get(resp, k->entries) : NULL;
    if (cd_is(list, CDV_LIST) && (k->entry_objects || k->entry_path || k->entry_values)) {
        for (size_t i = 0; i < list->u.list.n; i++) {
            const cd_value *e = list->u.list.items[i];
            size_t len = 0;
            *objects += k->entry_objects ? (int64_t)cd_len(cd_get(e, k->entry_objects)) : 1;
            if (k->entry_path)
                *objects += path_objects(cd_get_str(e, k->entry_path, &len), len);
            if (k->entry_values)
                *values += (int64_t)cd_len(cd_get(e, k->entry_values));
        }
    } else {
        *objects += (int64_t)cd_len(list);
    }
    if (k->values)
        *values += (int64_t)cd_len(cd_get(resp, k->values));
}

/* LimitExceededException when the counts so far pass a cap (limits = "aws"). */
static int check_read_limits(cd_ctx *c, const read_state *st, size_t index)
{
    if (st->objects > READ_LIMIT_OBJECTS)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "BatchRead reads more than %d objects in one call (operation %zu brings "
                       "it to %lld, counting each link a path follows and each object an "
                       "answer lists; limits = \"aws\"): split the batch",
                       READ_LIMIT_OBJECTS, index, (long long)st->objects);
    if (st->values > READ_LIMIT_VALUES)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "BatchRead reads more than %d attribute values in one call (operation "
                       "%zu brings it to %lld; limits = \"aws\"): split the batch",
                       READ_LIMIT_VALUES, index, (long long)st->values);
    return 0;
}

/* Runs read item `index` in the scratch arena; *out (call arena, st->a) is its
 * BatchReadOperationResponse.  Returns non-zero only for failures of the whole call. */
static int read_item(cd_ctx *c, read_state *st, const cd_value *dir_arn, size_t index,
                     const cd_value *item, cd_value **out)
{
    cd_arena *a = st->a;
    const cd_mapent *m = item_member(item);
    const read_kind *k = m ? read_kind_named(m->key) : NULL;
    int rc;
    cd_value *single = NULL;
    if (!k) {
        rc = cd_fail(c->err, CD_E_ValidationException,
                     "an operation must set exactly one of ListObjectAttributes, "
                     "GetObjectInformation, ... (BatchReadOperation)");
    } else {
        /* The references are read whether or not the item then succeeds. */
        if (st->aws) {
            st->objects += refs_read(k->refs, m->val);
            if ((rc = check_read_limits(c, st, index)))
                return rc;
        }
        cd_value *req = single_request(c->a, dir_arn, m->val, k->req);
        if (!req)
            return cd_oom(c);
        if (k->op == CD_OP_ListObjectParents &&
            !cd_map_set(c->a, req, "IncludeAllLinksToEachParent", cd_bool(c->a, true)))
            return cd_oom(c);
        rc = cd_engine_dispatch(c, k->op, req, &single);
    }
    if (rc == CD_E_MAP_FULL || rc == CD_E_StoreError)
        return rc;
    cd_value *r;
    if (rc) {
        cd_value *e = cd_map(a);
        if (!e || !cd_map_set(a, e, "Type", cd_strz(a, cd_code_name(c->err->code > CD_OK
                                                                       ? c->err->code : rc))) ||
            !cd_map_set(a, e, "Message", cd_strz(a, c->err->message)) ||
            !(r = wrap1(a, "ExceptionResponse", 17, e)))
            return cd_oom(c);
        cd_error_clear(c->err);
    } else {
        if (st->aws) {
            answer_counts(k, single, &st->objects, &st->values);
            if ((rc = check_read_limits(c, st, index)))
                return rc;
        }
        cd_value *body = batch_response(a, single, k->resp);
        cd_value *s = body ? wrap1(a, k->name, strlen(k->name), body) : NULL;
        if (!s || !(r = wrap1(a, "SuccessfulResponse", 18, s)))
            return cd_oom(c);
    }
    *out = r;
    return 0;
}

static int read_one(cd_ctx *c, void *ud, const cd_value *dir_arn, size_t index,
                    const cd_value *item, cd_value **out)
{
    return read_item(c, ud, dir_arn, index, item, out);
}

static int batch_read(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    /* Request-level check first; d is not used afterwards (in a read snapshot it may
     * point into the handle's directory cache, which the items' own lookups refill). */
    cd_directory *d;
    const cd_value *ops = NULL;
    cd_value *list;
    int rc = begin_batch(c, req, &d, &ops, &list, resp);
    size_t n = cd_len(ops);
    if (rc || n == 0)
        return rc;
    read_state st = {.a = c->a, .aws = cd_aws_limits(c)};
    return run_items(c, req, ops, n, list, read_one, &st);
}

const cd_handler_entry cd_batch_handlers[] = {
    {CD_OP_BatchWrite, batch_write},
    {CD_OP_BatchRead, batch_read},
    {-1, NULL},
};
