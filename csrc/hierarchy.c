/* hierarchy.c — child links: AttachObject, DetachObject, ListObjectChildren,
 * ListObjectParents, ListObjectParentPaths, and the attachment rules of hierarchy.h.
 *
 * Keys (object.h):  C | parent | name -> child oid | child tag | child type
 *                   O | child | 'P' | parent | name -> parent tag
 * Listings are cursor scans over one of these ranges; a page token carries the key suffix
 * of the first entry not returned, bound to the object listed, so a page resumes at the
 * right place even when links were added or removed in between. */
#include <string.h>
#include "hierarchy.h"
#include "selector.h"
#include "keys.h"
#include "token.h"
#include "schema_model.h"   /* cd_object_type_name */

#define AWS_PATH_DEPTH CD_AWS_PATH_DEPTH
/* The service counts a link name's length in UTF-8 bytes (the model's 64 characters are
 * the request check's). */
#define AWS_LINK_NAME_BYTES 64
#define WALK_LIMIT 1000000   /* more links than any directory can hold: a damaged store */

/* The first parent link of oid: *found false when it has none. */
static int first_parent(cd_ctx *c, cd_cursor *cur, uint64_t oid, bool *found, uint64_t *parent,
                        cd_slice *name, const unsigned char **ptag)
{
    unsigned char key[CD_OBJECT_SUB];
    cd_slice k, v;
    cd_object_sub_prefix(key, oid, CDO_PARENT);
    int rc = cd_cursor_seek(cur, (cd_slice){key, CD_OBJECT_SUB}, &k, &v, c->err);
    *found = rc == 0 && k.n >= CD_PARENT_NAME_AT && memcmp(k.p, key, CD_OBJECT_SUB) == 0;
    if (rc == CD_KV_NOTFOUND || (rc == 0 && !*found))
        return 0;
    if (rc)
        return rc;
    if (v.n != 8)
        return cd_damaged(c, "a parent link is malformed");
    *parent = cd_get_u64be((const unsigned char *)k.p + CD_PARENT_AT);
    if (name)
        *name = (cd_slice){(const unsigned char *)k.p + CD_PARENT_NAME_AT,
                           k.n - CD_PARENT_NAME_AT};
    if (ptag)
        *ptag = v.p;
    return 0;
}

/* Walks up from oid through first parents (a node has at most one) until an object without
 * a parent.  *steps: links walked; *hit: `stop` was met on the way. */
static int walk_up(cd_ctx *c, uint64_t oid, uint64_t stop, int *steps, uint64_t *top, bool *hit)
{
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    *steps = 0;
    *hit = oid == stop;
    for (;;) {
        bool found;
        uint64_t parent;
        if ((rc = first_parent(c, cur, oid, &found, &parent, NULL, NULL)) || !found)
            break;
        oid = parent;
        *hit |= oid == stop;
        if (++*steps > WALK_LIMIT) {
            rc = cd_damaged(c, "the parent links form a cycle");
            break;
        }
    }
    cd_cursor_close(cur);
    *top = oid;
    return rc;
}

/* Height of the subtree under node oid (0 when it has no children), exploring no deeper
 * than limit + 1 levels: the result is > limit exactly when the subtree is too tall. */
static int subtree_height(cd_ctx *c, uint64_t oid, int limit, int *height)
{
    unsigned char key[CD_CHILD_NAME_AT];
    cd_cursor *cur;
    cd_slice k, v;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    *height = 0;
    const size_t kn = CD_CHILD_NAME_AT;
    cd_child_key(key, oid, "", 0);
    rc = cd_cursor_seek(cur, (cd_slice){key, kn}, &k, &v, c->err);
    while (rc == 0 && k.n >= kn && memcmp(k.p, key, kn) == 0) {
        if (*height < 1)
            *height = 1;
        if (*height > limit)
            break;   /* already too tall */
        if (v.n >= 17 && ((const unsigned char *)v.p)[16] == CD_OT_NODE) {
            int h;
            if ((rc = subtree_height(c, cd_get_u64be(v.p), limit - 1, &h)))
                break;
            if (h + 1 > *height)
                *height = h + 1;
            if (*height > limit)
                break;
        }
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_hierarchy_check_parent(cd_ctx *c, const cd_directory *d, const cd_object *parent,
                              const char *member, int code)
{
    (void)d;
    if (parent->type != CD_OT_NODE)
        return cd_fail(c->err, code,
                       "%s: only NODE objects have children; this one is a %s", member,
                       cd_object_type_name(parent->type));
    return 0;
}

/* Links from the top of parent's chain (the root, or a detached node) to parent. */
static int parent_depth(cd_ctx *c, const cd_object *parent, int *depth)
{
    if (parent->depth >= 0) {   /* found by a path: that is its only path */
        *depth = parent->depth;
        return 0;
    }
    uint64_t top;
    bool hit;
    return walk_up(c, parent->oid, 0, depth, &top, &hit);
}

int cd_hierarchy_check_depth(cd_ctx *c, const cd_directory *d, const cd_object *parent,
                             int height)
{
    (void)d;
    if (!cd_aws_limits(c))
        return 0;
    int depth;
    int rc = parent_depth(c, parent, &depth);
    if (rc)
        return rc;
    /* The child's height is only measured up to what the limit allows: "at least". */
    if (depth + 1 + height > AWS_PATH_DEPTH)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "the attachment would make a path of at least %d links; at most %d are "
                       "allowed (limits = \"aws\")", depth + 1 + height, AWS_PATH_DEPTH);
    return 0;
}

int cd_link_add(cd_ctx *c, const cd_object *parent, const cd_object *child, const char *name,
                size_t n)
{
    unsigned char key[CD_LINK_KEY_MAX], val[17];
    if (n > CD_LINK_NAME_BYTES)
        return cd_fail(c->err, CD_E_ValidationException, "LinkName is too long");
    if (n > AWS_LINK_NAME_BYTES && cd_aws_limits(c))
        return cd_fail(c->err, CD_E_ValidationException,
                       "LinkName '%.*s' is %zu bytes long in UTF-8; the service allows at most "
                       "%d bytes (limits = \"aws\")", (int)n, name, n, AWS_LINK_NAME_BYTES);
    size_t kn = cd_child_key(key, parent->oid, name, n);
    cd_put_u64be(val, child->oid);
    memcpy(val + 8, child->tag, 8);
    val[16] = (unsigned char)child->type;
    int rc = cd_put_new_key(c, key, kn, val, 17);
    if (rc == CD_KV_EXISTS)
        return cd_fail(c->err, CD_E_LinkNameAlreadyInUseException,
                       "LinkName: the parent already has a child linked as '%.*s'", (int)n, name);
    if (rc)
        return rc;
    kn = cd_parent_key(key, child->oid, parent->oid, name, n);
    return cd_put_key(c, key, kn, parent->tag, 8);
}

/* ---------------------------------------------------------------- shared steps */

/* The start key of a page: prefix, then the token's resume bytes. */
static int page_start(cd_ctx *c, const cd_value *req, const unsigned char *prefix, size_t pn,
                      const void *scope, size_t sn, unsigned char **start, size_t *n)
{
    const unsigned char *resume;
    size_t rn;
    int rc = cd_token_read(c, req, scope, sn, &resume, &rn);
    if (rc)
        return rc;
    if (pn + rn > CD_KV_MAX_KEY)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    *start = cd_arena_alloc(c->a, pn + rn + 1);
    if (!*start)
        return cd_oom(c);
    memcpy(*start, prefix, pn);
    if (rn)
        memcpy(*start + pn, resume, rn);
    *n = pn + rn;
    return 0;
}

static bool set_token(cd_ctx *c, cd_value *resp, const void *scope, size_t sn,
                      const void *resume, size_t rn)
{
    char *t = cd_token_make(c, scope, sn, resume, rn);
    return t && cd_map_set(c->a, resp, "NextToken", cd_strz(c->a, t));
}

/* ---------------------------------------------------------------- AttachObject */

static int attach_object(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object parent, child;
    size_t ln;
    const char *link = cd_get_str(req, "LinkName", &ln);
    int rc = cd_request_directory(c, req, &d);
    if (rc ||
        (rc = cd_select(c, d, cd_get(req, "ParentReference"), "ParentReference", &parent)) ||
        (rc = cd_select(c, d, cd_get(req, "ChildReference"), "ChildReference", &child)))
        return rc;
    if (!link)
        return cd_fail(c->err, CD_E_ValidationException, "LinkName is required");
    if ((rc = cd_hierarchy_check_parent(c, d, &parent, "ParentReference",
                                        CD_E_InvalidAttachmentException)))
        return rc;
    if (child.oid == d->root)
        return cd_fail(c->err, CD_E_InvalidAttachmentException,
                       "ChildReference: the root of a directory cannot be attached anywhere");
    if (child.oid == parent.oid)
        return cd_fail(c->err, CD_E_InvalidAttachmentException,
                       "ChildReference: an object cannot be attached to itself");
    if (ln > CD_LINK_NAME_BYTES)
        return cd_fail(c->err, CD_E_ValidationException, "LinkName is too long");
    unsigned char key[CD_LINK_KEY_MAX];
    cd_slice v;
    rc = cd_get_key(c, key, cd_child_key(key, parent.oid, link, ln), &v);
    if (rc == 0)
        return cd_fail(c->err, CD_E_LinkNameAlreadyInUseException,
                       "LinkName: the parent already has a child linked as '%s'", link);
    if (rc != CD_KV_NOTFOUND)
        return rc;

    int height = 0;
    if (child.type != CD_OT_LEAF_NODE) {
        /* Nodes, policies and indexes have at most one parent. */
        unsigned char prefix[CD_OBJECT_SUB];
        bool has;
        if ((rc = cd_prefix_exists(c, prefix,
                                   cd_object_sub_prefix(prefix, child.oid, CDO_PARENT), &has)))
            return rc;
        if (has)
            return cd_fail(c->err, CD_E_InvalidAttachmentException,
                           "ChildReference: the object is a %s and already has a parent; only "
                           "LEAF_NODE objects can have several (detach it first)",
                           child.type == CD_OT_NODE ? "NODE"
                           : child.type == CD_OT_POLICY ? "POLICY" : "INDEX");
    }
    if (child.type == CD_OT_NODE) {
        /* A node with children: it must not be an ancestor of the parent. */
        int steps;
        uint64_t top;
        bool hit;
        if ((rc = walk_up(c, parent.oid, child.oid, &steps, &top, &hit)))
            return rc;
        if (hit)
            return cd_fail(c->err, CD_E_InvalidAttachmentException,
                           "ChildReference: the object is an ancestor of the parent; attaching "
                           "it would make a cycle");
        if (parent.depth < 0)
            parent.depth = steps;   /* the walk measured it: no second walk below */
        if (cd_aws_limits(c) &&
            (rc = subtree_height(c, child.oid, AWS_PATH_DEPTH - parent.depth - 1, &height)))
            return rc;
    }
    if ((rc = cd_hierarchy_check_depth(c, d, &parent, height)) ||
        (rc = cd_link_add(c, &parent, &child, link, ln)))
        return rc;
    if (!(*resp = cd_map(c->a)))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "AttachedObjectIdentifier", child.oid, child.tag);
}

/* ---------------------------------------------------------------- DetachObject */

static int detach_object(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object parent;
    size_t ln;
    const char *link = cd_get_str(req, "LinkName", &ln);
    int rc = cd_request_directory(c, req, &d);
    if (rc ||
        (rc = cd_select(c, d, cd_get(req, "ParentReference"), "ParentReference", &parent)))
        return rc;
    if (!link)
        return cd_fail(c->err, CD_E_ValidationException, "LinkName is required");
    if (parent.type != CD_OT_NODE)
        return cd_fail(c->err, CD_E_NotNodeException,
                       "ParentReference: the object is not a NODE, so it has no children");
    unsigned char key[CD_LINK_KEY_MAX];
    size_t kn = ln > CD_LINK_NAME_BYTES ? 0 : cd_child_key(key, parent.oid, link, ln);
    cd_slice v;
    rc = kn ? cd_get_key(c, key, kn, &v) : CD_KV_NOTFOUND;   /* no link has a longer name */
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "LinkName: the parent has no child linked as '%s'", link);
    if (rc)
        return rc;
    if (v.n < 16)
        return cd_damaged(c, "a child link is malformed");
    uint64_t child = cd_get_u64be(v.p);
    unsigned char tag[8];
    memcpy(tag, (const unsigned char *)v.p + 8, 8);
    if ((rc = cd_del_key(c, key, kn)))
        return rc;
    kn = cd_parent_key(key, child, parent.oid, link, ln);
    if ((rc = cd_del_key(c, key, kn)) && rc != CD_KV_NOTFOUND)
        return rc;
    if (!(*resp = cd_map(c->a)))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "DetachedObjectIdentifier", child, tag);
}

/* ---------------------------------------------------------------- ListObjectChildren */

static int list_children(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    if (o.type != CD_OT_NODE)
        return cd_fail(c->err, CD_E_NotNodeException,
                       "ObjectReference: the object is not a NODE, so it has no children");
    unsigned char prefix[CD_CHILD_NAME_AT], *start;
    size_t sn, pn = CD_CHILD_NAME_AT;   /* C | parent: a constant for the scan below */
    cd_child_key(prefix, o.oid, "", 0);
    if ((rc = page_start(c, req, prefix, pn, prefix + 1, 8, &start, &sn)))
        return rc;
    int page = cd_page_size(c, req), count = 0;
    cd_value *children = cd_map(c->a);
    if (!children || !(*resp = cd_map(c->a)))
        return cd_oom(c);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice k, v;
    char id[CD_OBJECT_ID_LEN + 1], idp[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, idp);
    rc = cd_cursor_seek(cur, (cd_slice){start, sn}, &k, &v, c->err);
    while (rc == 0 && k.n >= pn && memcmp(k.p, prefix, pn) == 0) {
        const char *name = (const char *)k.p + pn;
        if (count == page) {
            if (!set_token(c, *resp, prefix + 1, 8, name, k.n - pn))
                rc = cd_oom(c);
            break;
        }
        if (v.n < 16) {
            rc = cd_damaged(c, "a child link is malformed");
            break;
        }
        cd_object_id_format_with(idp, cd_get_u64be(v.p), (const unsigned char *)v.p + 8, id);
        if (!cd_map_setn(c->a, children, name, k.n - pn, cd_str(c->a, id, CD_OBJECT_ID_LEN))) {
            rc = cd_oom(c);
            break;
        }
        count++;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    return cd_map_set(c->a, *resp, "Children", children) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- ListObjectParents */

static int list_parents(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    if (o.oid == d->root)
        return cd_fail(c->err, CD_E_CannotListParentOfRootException,
                       "ObjectReference: the root of a directory has no parent");
    bool all = cd_get_bool(req, "IncludeAllLinksToEachParent", false);
    /* Scope: the object and the mode, so a token of one mode is refused by the other. */
    unsigned char prefix[CD_OBJECT_SUB], scope[9], *start;
    size_t sn;
    cd_object_sub_prefix(prefix, o.oid, CDO_PARENT);
    memcpy(scope, prefix + 1, 8);
    scope[8] = all;
    if ((rc = page_start(c, req, prefix, CD_OBJECT_SUB, scope, 9, &start, &sn)))
        return rc;
    int page = cd_page_size(c, req), count = 0;
    cd_value *out = all ? cd_list(c->a) : cd_map(c->a);
    if (!out || !(*resp = cd_map(c->a)))
        return cd_oom(c);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice k, v;
    uint64_t last = 0;
    bool have_last = false;
    char id[CD_OBJECT_ID_LEN + 1], idp[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, idp);
    rc = cd_cursor_seek(cur, (cd_slice){start, sn}, &k, &v, c->err);
    while (rc == 0 && k.n >= CD_PARENT_NAME_AT && memcmp(k.p, prefix, CD_OBJECT_SUB) == 0) {
        uint64_t parent = cd_get_u64be((const unsigned char *)k.p + CD_PARENT_AT);
        const char *name = (const char *)k.p + CD_PARENT_NAME_AT;
        size_t nn = k.n - CD_PARENT_NAME_AT;
        if (!all && have_last && parent == last) {   /* one entry per parent */
            rc = cd_cursor_next(cur, &k, &v, c->err);
            continue;
        }
        if (count == page) {
            if (!set_token(c, *resp, scope, 9, (const unsigned char *)k.p + CD_PARENT_AT,
                           k.n - CD_PARENT_AT))
                rc = cd_oom(c);
            break;
        }
        if (v.n != 8) {
            rc = cd_damaged(c, "a parent link is malformed");
            break;
        }
        cd_object_id_format_with(idp, parent, v.p, id);
        bool ok;
        if (all) {
            cd_value *t = cd_map(c->a);
            ok = t && cd_map_set(c->a, t, "ObjectIdentifier", cd_str(c->a, id, CD_OBJECT_ID_LEN)) &&
                 cd_map_set(c->a, t, "LinkName", cd_str(c->a, name, nn)) &&
                 cd_list_push(c->a, out, t);
        } else {
            ok = cd_map_set(c->a, out, id, cd_str(c->a, name, nn));
        }
        if (!ok) {
            rc = cd_oom(c);
            break;
        }
        last = parent;
        have_last = true;
        count++;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    return cd_map_set(c->a, *resp, all ? "ParentLinks" : "Parents", out) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- paths from the root */

/* Room for `more` steps in p (the array doubles, from 16). */
static int path_reserve(cd_ctx *c, cd_path *p, size_t more)
{
    if (p->n + more <= p->cap)
        return 0;
    size_t cap = p->cap ? p->cap * 2 : 16;
    if (cap < p->n + more)
        cap = p->n + more;
    cd_path_step *s = cd_arena_alloc(c->a, cap * sizeof *s);
    if (!s)
        return cd_oom(c);
    if (p->n)
        memcpy(s, p->s, p->n * sizeof *s);
    p->s = s;
    p->cap = cap;
    return 0;
}

static int path_push(cd_ctx *c, cd_path *p, uint64_t oid, const unsigned char *tag,
                     const char *name, size_t n)
{
    int rc = path_reserve(c, p, 1);
    if (rc)
        return rc;
    char *copy = cd_arena_strndup(c->a, name ? name : "", n);
    if (!copy)
        return cd_oom(c);
    p->s[p->n++] = (cd_path_step){oid, {0}, copy, n};
    memcpy(p->s[p->n - 1].tag, tag, 8);
    return 0;
}

/* The first paths one cd_parent_paths call completed.  The paths of a leaf with several
 * parents soon meet (every node above has one parent), so a walk that reaches a node an
 * earlier path went through copies the rest of that path instead of seeking it again:
 * LookupPolicy's 3 paths of 11 need 12 seeks instead of 30. */
#define WALKED_PATHS 16
typedef struct walked {
    cd_path p[WALKED_PATHS];
    bool reaches[WALKED_PATHS];
    size_t n;
} walked;

/* Appends the steps of an earlier path from the one for oid upwards, when there is one. */
static int reuse_walk(cd_ctx *c, const walked *w, cd_path *p, uint64_t oid, bool *done,
                      bool *reaches)
{
    *done = false;
    for (size_t q = 0; q < w->n; q++)
        for (size_t j = 0; j < w->p[q].n; j++) {
            if (w->p[q].s[j].oid != oid)
                continue;
            size_t more = w->p[q].n - j;
            int rc = path_reserve(c, p, more);
            if (rc)
                return rc;
            memcpy(p->s + p->n, w->p[q].s + j, more * sizeof *p->s);   /* names are shared */
            p->n += more;
            *reaches = w->reaches[q];
            *done = true;
            return 0;
        }
    return 0;
}

/* Completes a path that ends with the link parent --name--> object: walks up from parent.
 * *reaches: whether it ends at the root (paths of detached subtrees are skipped). */
static int path_up(cd_ctx *c, cd_cursor *walk, const cd_directory *d, const walked *w,
                   cd_path *p, uint64_t parent, const unsigned char *ptag, bool *reaches)
{
    int rc;
    uint64_t cur = parent;
    unsigned char tag[8];
    memcpy(tag, ptag, 8);
    for (size_t steps = 0;; steps++) {
        bool found, done;
        uint64_t up;
        cd_slice name;
        const unsigned char *uptag;
        if (steps > WALK_LIMIT)
            return cd_damaged(c, "the parent links form a cycle");
        if ((rc = reuse_walk(c, w, p, cur, &done, reaches)) || done)
            return rc;
        if ((rc = first_parent(c, walk, cur, &found, &up, &name, &uptag)))
            return rc;
        if (!found) {
            *reaches = cur == d->root;
            return path_push(c, p, cur, tag, NULL, 0);
        }
        if ((rc = path_push(c, p, cur, tag, name.p, name.n)))
            return rc;
        cur = up;
        memcpy(tag, uptag, 8);
    }
}

int cd_parent_paths(cd_ctx *c, const cd_directory *d, const cd_object *o,
                    const unsigned char *resume, size_t rn, cd_path_visitor visit, void *arg)
{
    bool stop = false;
    int rc;
    if (o->oid == d->root) {   /* the root's one path is "/" */
        cd_path p = {0};
        if ((rc = path_push(c, &p, o->oid, o->tag, NULL, 0)))
            return rc;
        return visit(c, arg, &p, NULL, 0, &stop);
    }
    /* One candidate per parent link of the object, in key order; a resume point is the key
     * suffix (parent, link name) of the candidate to start at. */
    unsigned char prefix[CD_OBJECT_SUB], *start;
    cd_object_sub_prefix(prefix, o->oid, CDO_PARENT);
    if (CD_OBJECT_SUB + rn > CD_KV_MAX_KEY)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    if (!(start = cd_arena_alloc(c->a, CD_OBJECT_SUB + rn + 1)))
        return cd_oom(c);
    memcpy(start, prefix, CD_OBJECT_SUB);
    if (rn)
        memcpy(start + CD_OBJECT_SUB, resume, rn);
    cd_cursor *scan, *walk;
    if ((rc = cd_kv_cursor(c->txn, &scan, c->err)))
        return rc;
    if ((rc = cd_kv_cursor(c->txn, &walk, c->err))) {
        cd_cursor_close(scan);
        return rc;
    }
    cd_slice k, v;
    walked *w = cd_arena_alloc(c->a, sizeof *w);
    if (!w) {
        cd_cursor_close(walk);
        cd_cursor_close(scan);
        return cd_oom(c);
    }
    w->n = 0;
    rc = cd_cursor_seek(scan, (cd_slice){start, CD_OBJECT_SUB + rn}, &k, &v, c->err);
    while (rc == 0 && k.n >= CD_PARENT_NAME_AT && memcmp(k.p, prefix, CD_OBJECT_SUB) == 0) {
        if (v.n != 8) {
            rc = cd_damaged(c, "a parent link is malformed");
            break;
        }
        cd_path p = {0};
        bool reaches = false;
        if ((rc = path_push(c, &p, o->oid, o->tag, (const char *)k.p + CD_PARENT_NAME_AT,
                            k.n - CD_PARENT_NAME_AT)) ||
            (rc = path_up(c, walk, d, w, &p,
                          cd_get_u64be((const unsigned char *)k.p + CD_PARENT_AT), v.p,
                          &reaches)))
            break;
        if (w->n < WALKED_PATHS) {   /* from its second step: the object's own is per path */
            w->p[w->n] = (cd_path){p.s + 1, p.n - 1, p.n - 1};
            w->reaches[w->n++] = reaches;
        }
        if (reaches &&
            ((rc = visit(c, arg, &p, (const unsigned char *)k.p + CD_PARENT_AT,
                         k.n - CD_PARENT_AT, &stop)) || stop))
            break;
        rc = cd_cursor_next(scan, &k, &v, c->err);
    }
    cd_cursor_close(walk);
    cd_cursor_close(scan);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

cd_value *cd_path_text(cd_ctx *c, const cd_path *p)
{
    cd_buf b;
    cd_buf_init(&b, c->a);
    for (size_t i = p->n; i-- > 0;)
        if (i + 1 < p->n && (!cd_buf_byte(&b, '/') || !cd_buf_put(&b, p->s[i].name, p->s[i].n)))
            return NULL;
    return b.len ? cd_str(c->a, (const char *)b.p, b.len) : cd_strz(c->a, "/");
}

/* ---------------------------------------------------------------- ListObjectParentPaths */

int cd_paths_token_read(cd_ctx *c, const cd_value *req, uint64_t oid,
                        const unsigned char **resume, size_t *rn)
{
    unsigned char scope[8];
    cd_put_u64be(scope, oid);
    return cd_token_read(c, req, scope, 8, resume, rn);
}

int cd_paths_token_set(cd_ctx *c, cd_value *resp, uint64_t oid, const unsigned char *at,
                       size_t an)
{
    unsigned char scope[8];
    cd_put_u64be(scope, oid);
    return set_token(c, resp, scope, 8, at, an) ? 0 : cd_oom(c);
}

typedef struct paths_page {
    const cd_directory *d;
    const cd_object *o;
    cd_value *resp, *list;
    int page, count;
} paths_page;

/* {Path, ObjectIdentifiers}: the ids run from the root to the object. */
static int paths_visit(cd_ctx *c, void *arg, const cd_path *p, const unsigned char *at,
                       size_t an, bool *stop)
{
    paths_page *pg = arg;
    if (pg->count == pg->page) {
        *stop = true;
        return cd_paths_token_set(c, pg->resp, pg->o->oid, at, an);
    }
    cd_value *ids = cd_list(c->a), *m = cd_map(c->a);
    char id[CD_OBJECT_ID_LEN + 1], idp[CD_OBJECT_ID_PREFIX];
    if (!ids || !m)
        return cd_oom(c);
    cd_object_id_prefix(pg->d, idp);
    for (size_t i = p->n; i-- > 0;) {
        cd_object_id_format_with(idp, p->s[i].oid, p->s[i].tag, id);
        if (!cd_list_push(c->a, ids, cd_str(c->a, id, CD_OBJECT_ID_LEN)))
            return cd_oom(c);
    }
    if (!cd_map_set(c->a, m, "Path", cd_path_text(c, p)) ||
        !cd_map_set(c->a, m, "ObjectIdentifiers", ids) || !cd_list_push(c->a, pg->list, m))
        return cd_oom(c);
    pg->count++;
    return 0;
}

static int list_parent_paths(cd_ctx *c, const cd_value *req, cd_value **resp)
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
    paths_page pg = {d, &o, cd_map(c->a), cd_list(c->a), cd_page_size(c, req), 0};
    if (!pg.resp || !pg.list)
        return cd_oom(c);
    if ((rc = cd_parent_paths(c, d, &o, resume, rn, paths_visit, &pg)))
        return rc;
    *resp = pg.resp;
    return cd_map_set(c->a, *resp, "PathToObjectIdentifiersList", pg.list) ? 0 : cd_oom(c);
}

const cd_handler_entry cd_hierarchy_handlers[] = {
    {CD_OP_AttachObject, attach_object},
    {CD_OP_DetachObject, detach_object},
    {CD_OP_ListObjectChildren, list_children},
    {CD_OP_ListObjectParents, list_parents},
    {CD_OP_ListObjectParentPaths, list_parent_paths},
    {-1, NULL},
};
