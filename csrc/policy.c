/* policy.c — policy attachments (semantics §7): AttachPolicy, DetachPolicy,
 * ListObjectPolicies, ListPolicyAttachments, LookupPolicy, and the DeleteObject rule for
 * them (graph.h).
 *
 * Policy objects are ordinary objects with a POLICY facet; their policy_type and
 * policy_document live in the slots of the base facet CloudDirectory/1.0 POLICY
 * (schema_model.c), so every POLICY facet and the base form read the same values.
 *
 * An attachment link (policy -> object) is kept under both ends (keys.h, object.h):
 *
 *   O | object oid(8) | 'Y' | policy oid(8)  -> policy tag(8)
 *   O | policy oid(8) | 'y' | object oid(8)  -> object tag(8)
 *
 * The tags let listings spell ids without loading records.  The policy_type is not copied
 * into the link: it is an ordinary, updatable attribute, so AttachPolicy and LookupPolicy
 * read it from the policy (one get per attached policy) and always see the current one.
 *
 * Decisions (semantics §7, §13 #11, #14; the UNCONFIRMED points):
 *   - policies attach to NODE and LEAF_NODE objects (the root included); a POLICY or
 *     INDEX target is an InvalidAttachmentException;
 *   - attaching a policy that is already attached, or a second policy of the same
 *     policy_type, is an InvalidAttachmentException;
 *   - under limits = "aws" an object carries at most 4 policies (LimitExceededException);
 *     under "none" any number;
 *   - detaching a policy that is not attached is a ResourceNotFoundException;
 *   - listings run in object-number order (creation order), paged by resume key;
 *   - LookupPolicy enumerates the paths of ListObjectParentPaths (hierarchy.h: child links
 *     only, same stable order, paths that do not reach the root skipped), one page item per
 *     path, and leaves out paths without any attached policy. */
#include <string.h>
#include "graph.h"
#include "hierarchy.h"
#include "selector.h"
#include "keys.h"
#include "token.h"
#include "schema_model.h"   /* cd_object_type_name */

#define AWS_MAX_POLICIES 4
#define LINK_KEY (CD_OBJECT_SUB + 8)   /* O | oid | 'Y' or 'y' | other oid */

static size_t link_key(unsigned char k[LINK_KEY], uint64_t oid, unsigned char tag,
                       uint64_t other)
{
    cd_object_sub_prefix(k, oid, tag);
    cd_put_u64be(k + CD_OBJECT_SUB, other);
    return LINK_KEY;
}

/* The object named by member must be a policy object. */
static int select_policy(cd_ctx *c, const cd_directory *d, const cd_value *req,
                         const char *member, cd_object *out)
{
    int rc = cd_select(c, d, cd_get(req, member), member, out);
    if (rc == 0 && out->type != CD_OT_POLICY)
        rc = cd_fail(c->err, CD_E_NotPolicyException,
                     "%s: the object is a %s, not a policy (policy objects are created with a "
                     "POLICY facet)", member, cd_object_type_name(out->type));
    return rc;
}

/* The policy_type of policy object oid (points into the transaction's memory). */
static int policy_type(cd_ctx *c, uint64_t oid, cd_slice *out)
{
    static const cd_slot slot = {CD_BASE_SCHEMA_SID, "POLICY", "policy_type"};
    unsigned char key[CD_SLOT_KEY_MAX];
    cd_slice v;
    cd_attrval val;
    int rc = cd_get_key(c, key, cd_slot_key(key, oid, &slot), &v);
    if (rc == CD_KV_NOTFOUND) {   /* required, so never missing; read it as empty */
        *out = (cd_slice){"", 0};
        return 0;
    }
    if (rc)
        return rc;
    if (!cd_attrval_decode(v.p, v.n, &val) || val.type != CD_ATTR_STRING)
        return cd_damaged(c, "a policy_type value does not decode");
    *out = (cd_slice){val.p, val.n};
    return 0;
}

/* ---------------------------------------------------------------- DeleteObject (graph.h) */

int cd_policy_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    (void)d;
    unsigned char prefix[CD_OBJECT_SUB];
    bool any;
    int rc = cd_prefix_exists(c, prefix, cd_object_sub_prefix(prefix, o->oid, CDO_POLICY_ON),
                              &any);
    if (rc)
        return rc;
    if (any)
        return cd_fail(c->err, CD_E_StillContainsLinksException,
                       "ObjectReference: the object still has policies attached; detach them "
                       "first (DetachPolicy)");
    if (o->type != CD_OT_POLICY)
        return 0;
    if ((rc = cd_prefix_exists(c, prefix, cd_object_sub_prefix(prefix, o->oid, CDO_POLICY_TO),
                               &any)))
        return rc;
    if (any)
        return cd_fail(c->err, CD_E_StillContainsLinksException,
                       "ObjectReference: the policy is still attached to objects; detach it "
                       "first (DetachPolicy; ListPolicyAttachments lists them)");
    return 0;
}

/* ---------------------------------------------------------------- AttachPolicy */

/* The rules an object's existing policies impose on one more (see the header). */
static int check_room(cd_ctx *c, const cd_directory *d, const cd_object *o,
                      const cd_object *pol)
{
    cd_slice type;
    int rc = policy_type(c, pol->oid, &type);
    if (rc)
        return rc;
    /* policy_type points into the transaction: keep a copy while the scan reads more. */
    char *want = cd_arena_strndup(c->a, type.p, type.n);
    if (!want)
        return cd_oom(c);
    size_t wn = type.n, count = 0;
    unsigned char prefix[CD_OBJECT_SUB];
    cd_object_sub_prefix(prefix, o->oid, CDO_POLICY_ON);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){prefix, CD_OBJECT_SUB}, &k, &v, c->err);
    while (rc == 0 && k.n == LINK_KEY && memcmp(k.p, prefix, CD_OBJECT_SUB) == 0) {
        uint64_t other = cd_get_u64be((const unsigned char *)k.p + CD_OBJECT_SUB);
        if (v.n != 8) {
            rc = cd_damaged(c, "a policy attachment is malformed");
            break;
        }
        unsigned char tag[8];
        memcpy(tag, v.p, 8);
        if ((rc = policy_type(c, other, &type)))
            break;
        if (type.n == wn && memcmp(type.p, want, wn) == 0) {
            char id[CD_OBJECT_ID_LEN + 1];
            cd_object_id_format(d, other, tag, id);
            rc = cd_fail(c->err, CD_E_InvalidAttachmentException,
                         "ObjectReference: the object already has a policy of type '%.*s' "
                         "(%s); an object carries at most one policy of each type",
                         (int)(wn > 100 ? 100 : wn), want, id);
            break;
        }
        count++;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (cd_aws_limits(c) && count >= AWS_MAX_POLICIES)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "ObjectReference: the object already has %zu policies attached; at most "
                       "%d are allowed (limits = \"aws\")", count, AWS_MAX_POLICIES);
    return 0;
}

static int attach_policy(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object pol, o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = select_policy(c, d, req, "PolicyReference", &pol)) ||
        (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    /* ValidationException: AttachPolicy does not list InvalidAttachmentException (the
     * specification recommends it only for a second policy of one type, below). */
    if (o.type != CD_OT_NODE && o.type != CD_OT_LEAF_NODE)
        return cd_fail(c->err, CD_E_ValidationException,
                       "ObjectReference: policies attach to NODE and LEAF_NODE objects; this "
                       "one is a %s", cd_object_type_name(o.type));
    unsigned char key[LINK_KEY];
    cd_slice v;
    rc = cd_get_key(c, key, link_key(key, o.oid, CDO_POLICY_ON, pol.oid), &v);
    if (rc == 0)
        return cd_fail(c->err, CD_E_InvalidAttachmentException,
                       "PolicyReference: the policy is already attached to the object");
    if (rc != CD_KV_NOTFOUND)
        return rc;
    if ((rc = check_room(c, d, &o, &pol)) ||
        (rc = cd_put_key(c, key, link_key(key, o.oid, CDO_POLICY_ON, pol.oid), pol.tag, 8)) ||
        (rc = cd_put_key(c, key, link_key(key, pol.oid, CDO_POLICY_TO, o.oid), o.tag, 8)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- DetachPolicy */

static int detach_policy(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object pol, o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = select_policy(c, d, req, "PolicyReference", &pol)) ||
        (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    unsigned char key[LINK_KEY];
    rc = cd_del_key(c, key, link_key(key, o.oid, CDO_POLICY_ON, pol.oid));
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "PolicyReference: the policy is not attached to the object");
    if (rc)
        return rc;
    rc = cd_del_key(c, key, link_key(key, pol.oid, CDO_POLICY_TO, o.oid));
    if (rc == CD_KV_NOTFOUND)
        return cd_damaged(c, "a policy attachment is kept under one end only");
    if (rc)
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- ListObjectPolicies,
 *                                                                  ListPolicyAttachments */

/* The ids under O | oid | tag, one page: the token resumes at the next one's number. */
static int list_links(cd_ctx *c, const cd_value *req, const cd_directory *d, uint64_t oid,
                      unsigned char tag, const char *member, cd_value **resp)
{
    unsigned char start[LINK_KEY];
    const unsigned char *resume;
    size_t rn;
    cd_object_sub_prefix(start, oid, tag);
    int rc = cd_token_read(c, req, start + 1, 8, &resume, &rn);
    if (rc)
        return rc;
    if (rn != 0 && rn != 8)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    if (rn)
        memcpy(start + CD_OBJECT_SUB, resume, 8);
    int page = cd_page_size(c, req), count = 0;
    cd_value *ids = cd_list(c->a);
    if (!ids || !(*resp = cd_map(c->a)))
        return cd_oom(c);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    char id[CD_OBJECT_ID_LEN + 1], idp[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, idp);
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){start, CD_OBJECT_SUB + rn}, &k, &v, c->err);
    while (rc == 0 && k.n >= CD_OBJECT_SUB && memcmp(k.p, start, CD_OBJECT_SUB) == 0) {
        const unsigned char *other = (const unsigned char *)k.p + CD_OBJECT_SUB;
        if (k.n != LINK_KEY || v.n != 8) {
            rc = cd_damaged(c, "a policy attachment is malformed");
            break;
        }
        if (count == page) {
            char *t = cd_token_make(c, start + 1, 8, other, 8);
            if (!t || !cd_map_set(c->a, *resp, "NextToken", cd_strz(c->a, t)))
                rc = cd_oom(c);
            break;
        }
        cd_object_id_format_with(idp, cd_get_u64be(other), v.p, id);
        if (!cd_list_push(c->a, ids, cd_str(c->a, id, CD_OBJECT_ID_LEN))) {
            rc = cd_oom(c);
            break;
        }
        count++;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    return cd_map_set(c->a, *resp, member, ids) ? 0 : cd_oom(c);
}

static int list_object_policies(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    return list_links(c, req, d, o.oid, CDO_POLICY_ON, "AttachedPolicyIds", resp);
}

static int list_policy_attachments(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object pol;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = select_policy(c, d, req, "PolicyReference", &pol)))
        return rc;
    return list_links(c, req, d, pol.oid, CDO_POLICY_TO, "ObjectIdentifiers", resp);
}

/* ---------------------------------------------------------------- LookupPolicy */

/* What one object on a path contributes: its PolicyAttachment entries, read once per call
 * (paths of one object share their upper part; responses are read-only trees, so the
 * entries are shared too). */
typedef struct held {
    uint64_t oid;           /* 0: free slot (object numbers start at 1) */
    size_t npolicies;       /* 0: one entry naming the object only */
    size_t n;
    cd_value **entries;
} held;

typedef struct lookup {
    const cd_directory *d;
    uint64_t oid;           /* the object looked up: the token's scope */
    char idp[CD_OBJECT_ID_PREFIX];
    cd_cursor *cur;         /* for the 'Y' scans */
    held *tab;              /* open addressing by object number */
    size_t cap, used;
    cd_value *resp, *list;
    int page, count;
} lookup;

static size_t slot_of(const lookup *lk, uint64_t oid)
{
    size_t i = (size_t)((oid * 0x9E3779B97F4A7C15ull) >> 20) & (lk->cap - 1);
    while (lk->tab[i].oid && lk->tab[i].oid != oid)
        i = (i + 1) & (lk->cap - 1);
    return i;
}

static int grow(cd_ctx *c, lookup *lk)
{
    size_t old = lk->cap;
    held *t = lk->tab;
    lk->cap = old ? old * 2 : 64;
    if (!(lk->tab = cd_arena_alloc(c->a, lk->cap * sizeof *lk->tab)))
        return cd_oom(c);
    memset(lk->tab, 0, lk->cap * sizeof *lk->tab);
    for (size_t i = 0; i < old; i++)
        if (t[i].oid)
            lk->tab[slot_of(lk, t[i].oid)] = t[i];
    return 0;
}

/* The entries of object s: one per attached policy (PolicyId, ObjectIdentifier,
 * PolicyType), or one naming the object alone. */
static int held_by(cd_ctx *c, lookup *lk, const cd_path_step *s, const held **out)
{
    int rc;
    if ((lk->used + 1) * 2 > lk->cap && (rc = grow(c, lk)))
        return rc;
    held *h = &lk->tab[slot_of(lk, s->oid)];
    if (h->oid) {
        *out = h;
        return 0;
    }
    char id[CD_OBJECT_ID_LEN + 1];
    cd_object_id_format_with(lk->idp, s->oid, s->tag, id);
    cd_value *self = cd_str(c->a, id, CD_OBJECT_ID_LEN);
    if (!self)
        return cd_oom(c);
    unsigned char prefix[CD_OBJECT_SUB];
    cd_object_sub_prefix(prefix, s->oid, CDO_POLICY_ON);
    cd_value **ents = NULL;
    size_t n = 0, cap = 0;
    cd_slice k, v;
    rc = cd_cursor_seek(lk->cur, (cd_slice){prefix, CD_OBJECT_SUB}, &k, &v, c->err);
    while (rc == 0 && k.n >= CD_OBJECT_SUB && memcmp(k.p, prefix, CD_OBJECT_SUB) == 0) {
        if (k.n != LINK_KEY || v.n != 8)
            return cd_damaged(c, "a policy attachment is malformed");
        uint64_t pol = cd_get_u64be((const unsigned char *)k.p + CD_OBJECT_SUB);
        cd_slice type;
        cd_object_id_format_with(lk->idp, pol, v.p, id);
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            cd_value **e = cd_arena_alloc(c->a, cap * sizeof *e);
            if (!e)
                return cd_oom(c);
            if (n)
                memcpy(e, ents, n * sizeof *e);
            ents = e;
        }
        cd_value *m = cd_map(c->a);
        if ((rc = policy_type(c, pol, &type)))   /* a get: the cursor stays where it is */
            return rc;
        if (!m || !cd_map_set(c->a, m, "PolicyId", cd_str(c->a, id, CD_OBJECT_ID_LEN)) ||
            !cd_map_set(c->a, m, "ObjectIdentifier", self) ||
            !cd_map_set(c->a, m, "PolicyType", cd_str(c->a, type.p, type.n)))
            return cd_oom(c);
        ents[n++] = m;
        rc = cd_cursor_next(lk->cur, &k, &v, c->err);
    }
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    h->oid = s->oid;
    h->npolicies = n;
    if (n == 0) {
        if (!(ents = cd_arena_alloc(c->a, sizeof *ents)) || !(ents[0] = cd_map(c->a)) ||
            !cd_map_set(c->a, ents[0], "ObjectIdentifier", self))
            return cd_oom(c);
        n = 1;
    }
    h->n = n;
    h->entries = ents;
    lk->used++;
    *out = h;
    return 0;
}

/* One path: its entries top-down, unless no object on it carries a policy. */
static int lookup_visit(cd_ctx *c, void *arg, const cd_path *p, const unsigned char *at,
                        size_t an, bool *stop)
{
    lookup *lk = arg;
    cd_value *policies = cd_list(c->a);
    bool any = false;
    if (!policies)
        return cd_oom(c);
    for (size_t i = p->n; i-- > 0;) {
        const held *h = NULL;
        int rc = held_by(c, lk, &p->s[i], &h);
        if (rc)
            return rc;
        any |= h->npolicies > 0;
        for (size_t j = 0; j < h->n; j++)
            if (!cd_list_push(c->a, policies, h->entries[j]))
                return cd_oom(c);
    }
    if (!any)
        return 0;   /* paths without policies are left out (§13 #14) */
    if (lk->count == lk->page) {   /* another path to show: the next page starts here */
        *stop = true;
        return cd_paths_token_set(c, lk->resp, lk->oid, at, an);
    }
    cd_value *m = cd_map(c->a);
    if (!m || !cd_map_set(c->a, m, "Path", cd_path_text(c, p)) ||
        !cd_map_set(c->a, m, "Policies", policies) || !cd_list_push(c->a, lk->list, m))
        return cd_oom(c);
    lk->count++;
    return 0;
}

static int lookup_policy(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    const unsigned char *resume;
    size_t rn;
    if ((rc = cd_paths_token_read(c, req, o.oid, &resume, &rn)))
        return rc;
    lookup lk = {.d = d, .oid = o.oid, .resp = cd_map(c->a), .list = cd_list(c->a),
                 .page = cd_page_size(c, req)};
    if (!lk.resp || !lk.list)
        return cd_oom(c);
    cd_object_id_prefix(d, lk.idp);
    if ((rc = cd_kv_cursor(c->txn, &lk.cur, c->err)))
        return rc;
    rc = cd_parent_paths(c, d, &o, resume, rn, lookup_visit, &lk);
    cd_cursor_close(lk.cur);
    if (rc)
        return rc;
    *resp = lk.resp;
    return cd_map_set(c->a, *resp, "PolicyToPathList", lk.list) ? 0 : cd_oom(c);
}

const cd_handler_entry cd_policy_handlers[] = {
    {CD_OP_AttachPolicy, attach_policy},
    {CD_OP_DetachPolicy, detach_policy},
    {CD_OP_ListObjectPolicies, list_object_policies},
    {CD_OP_ListPolicyAttachments, list_policy_attachments},
    {CD_OP_LookupPolicy, lookup_policy},
    {-1, NULL},
};
