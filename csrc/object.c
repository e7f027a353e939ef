/* object.c — objects: their records and identifiers (layout in object.h), and the
 * operations CreateObject, DeleteObject, AddFacetToObject, RemoveFacetFromObject,
 * UpdateObjectAttributes, GetObjectInformation, GetObjectAttributes, ListObjectAttributes. */
#include <string.h>
#include "graph.h"
#include "selector.h"
#include "hierarchy.h"
#include "keys.h"
#include "token.h"
#include "arn.h"
#include "schema_model.h"   /* cd_object_type_name */
#include "store.h"          /* cd_call_memo */

#define RECORD_FORMAT 1
#define TOMBSTONE 0x00   /* the record value of a deleted last object (object.h) */
#define AWS_MAX_FACETS 5
#define AWS_MAX_DELETED_VALUES 30

/* ---------------------------------------------------------------- small helpers */

static size_t object_key(unsigned char k[CD_OBJECT_KEY], uint64_t oid)
{
    k[0] = CDK_OBJECT;
    cd_put_u64be(k + 1, oid);
    return CD_OBJECT_KEY;
}

size_t cd_object_sub_prefix(unsigned char *k, uint64_t oid, unsigned char tag)
{
    object_key(k, oid);
    k[CD_OBJECT_KEY] = tag;
    return CD_OBJECT_SUB;
}

size_t cd_child_key(unsigned char *k, uint64_t parent, const char *name, size_t n)
{
    k[0] = CDK_CHILD;
    cd_put_u64be(k + 1, parent);
    memcpy(k + CD_CHILD_NAME_AT, name, n);
    return CD_CHILD_NAME_AT + n;
}

size_t cd_parent_key(unsigned char *k, uint64_t child, uint64_t parent, const char *name,
                     size_t n)
{
    cd_object_sub_prefix(k, child, CDO_PARENT);
    cd_put_u64be(k + CD_PARENT_AT, parent);
    memcpy(k + CD_PARENT_NAME_AT, name, n);
    return CD_PARENT_NAME_AT + n;
}

int cd_prefix_exists(cd_ctx *c, const void *prefix, size_t n, bool *out)
{
    cd_cursor *cur;
    cd_slice k, v;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    rc = cd_cursor_seek(cur, (cd_slice){prefix, n}, &k, &v, c->err);
    *out = rc == 0 && k.n >= n && memcmp(k.p, prefix, n) == 0;
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_damaged(cd_ctx *c, const char *what)
{
    return cd_fail(c->err, CD_E_InternalServiceException, "the store is damaged: %s", what);
}

static int corrupt(cd_ctx *c, uint64_t oid)
{
    return cd_fail(c->err, CD_E_InternalServiceException,
                   "the store is damaged: the record of object #%llu does not decode",
                   (unsigned long long)oid);
}

static const char *dir_arn(const cd_directory *d) { return d->arn ? d->arn : ""; }

/* head + tail[0..n) in the arena (cheaper than a printf on every record read). */
static char *concat(cd_arena *a, const char *head, const char *tail, size_t n)
{
    size_t hn = strlen(head);
    char *s = cd_arena_alloc(a, hn + n + 1);
    if (s) {
        memcpy(s, head, hn);
        memcpy(s + hn, tail, n);
        s[hn + n] = '\0';
    }
    return s;
}

/* "member[i]" for messages, without printf: it is built for every item of a request. */
static const char *item_label(cd_ctx *c, const char *member, size_t i)
{
    char digits[24];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    size_t mn = strlen(member);
    char *s = cd_arena_alloc(c->a, mn + nd + 3);
    if (!s)
        return member;
    memcpy(s, member, mn);
    s[mn] = '[';
    for (size_t k = 0; k < nd; k++)
        s[mn + 1 + k] = digits[nd - 1 - k];
    s[mn + 1 + nd] = ']';
    s[mn + 2 + nd] = '\0';
    return s;
}

/* ---------------------------------------------------------------- identifiers */

/* 0x01 and the directory's 17 bytes are 18 bytes, a whole number of base64 groups: every
 * id of a directory starts with the same 24 characters, and only the last 22 (oid and tag)
 * need encoding or decoding. */
void cd_object_id_prefix(const cd_directory *d, char out[CD_OBJECT_ID_PREFIX])
{
    unsigned char raw[24];
    size_t n = d->id ? strlen(d->id) : 0;
    raw[0] = 0x01;
    if (n != 23 || cd_b64url_decode(d->id, n, raw + 1) != 17)
        memset(raw + 1, 0, 17);
    cd_b64url_encode(raw, 18, out);
}

void cd_object_id_format_with(const char prefix[CD_OBJECT_ID_PREFIX], uint64_t oid,
                              const unsigned char tag[8], char out[CD_OBJECT_ID_LEN + 1])
{
    unsigned char raw[16];
    memcpy(out, prefix, CD_OBJECT_ID_PREFIX);
    cd_put_u64be(raw, oid);
    memcpy(raw + 8, tag, 8);
    out[CD_OBJECT_ID_PREFIX + cd_b64url_encode(raw, 16, out + CD_OBJECT_ID_PREFIX)] = '\0';
}

void cd_object_id_format(const cd_directory *d, uint64_t oid, const unsigned char tag[8],
                         char out[CD_OBJECT_ID_LEN + 1])
{
    char prefix[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, prefix);
    cd_object_id_format_with(prefix, oid, tag, out);
}

char *cd_object_id(cd_ctx *c, const cd_directory *d, uint64_t oid, const unsigned char tag[8])
{
    char *s = cd_arena_alloc(c->a, CD_OBJECT_ID_LEN + 1);
    if (s)
        cd_object_id_format(d, oid, tag, s);
    return s;
}

int cd_object_id_member(cd_ctx *c, const cd_directory *d, cd_value *resp, const char *member,
                        uint64_t oid, const unsigned char tag[8])
{
    char id[CD_OBJECT_ID_LEN + 1];
    cd_object_id_format(d, oid, tag, id);
    return cd_map_set(c->a, resp, member, cd_str(c->a, id, CD_OBJECT_ID_LEN)) ? 0 : cd_oom(c);
}

bool cd_object_id_parse(const cd_directory *d, const char *id, size_t n, uint64_t *oid,
                        unsigned char tag[8])
{
    char prefix[CD_OBJECT_ID_PREFIX];
    unsigned char raw[18];
    if (n != CD_OBJECT_ID_LEN)
        return false;
    cd_object_id_prefix(d, prefix);
    if (memcmp(id, prefix, CD_OBJECT_ID_PREFIX) != 0 ||
        cd_b64url_decode(id + CD_OBJECT_ID_PREFIX, n - CD_OBJECT_ID_PREFIX, raw) != 16)
        return false;
    *oid = cd_get_u64be(raw);
    memcpy(tag, raw + 8, 8);
    return true;
}

int cd_object_identifier(cd_ctx *c, const cd_directory *d, uint64_t oid, const char **id)
{
    cd_object o;
    int rc = cd_object_load(c, d, oid, &o);
    if (rc)
        return rc;
    *id = cd_object_id(c, d, oid, o.tag);
    return *id ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- records */

int cd_object_load(cd_ctx *c, const cd_directory *d, uint64_t oid, cd_object *out)
{
    unsigned char key[CD_OBJECT_KEY];
    cd_slice v;
    int rc = cd_get_key(c, key, object_key(key, oid), &v);
    if (rc == 0 && v.n == 1 && *(const unsigned char *)v.p == TOMBSTONE)
        rc = CD_KV_NOTFOUND;
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "no such object in directory %s", d->id);
    if (rc)
        return rc;
    const unsigned char *p = v.p, *end = p + v.n;
    if (v.n < 15 || p[0] != RECORD_FORMAT)
        return corrupt(c, oid);
    memset(out, 0, sizeof *out);
    out->oid = oid;
    out->depth = -1;
    out->dir = cd_get_u32be(p + 1);
    if (out->dir != d->num)   /* another directory's object: not found here */
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "no such object in directory %s", d->id);
    memcpy(out->tag, p + 5, 8);
    if (p[13] > CD_OT_INDEX)   /* so every loaded object has a cd_object_type_name */
        return corrupt(c, oid);
    out->type = (cd_object_type)p[13];
    out->nfacets = p[14];
    out->facets = cd_arena_alloc(c->a, (out->nfacets ? out->nfacets : 1) * sizeof *out->facets);
    if (!out->facets)
        return cd_oom(c);
    p += 15;
    for (size_t i = 0; i < out->nfacets; i++) {
        cd_objfacet *f = &out->facets[i];
        if (end - p < 5)
            return corrupt(c, oid);
        f->sid = cd_get_u32be(p);
        size_t nn = p[4];
        p += 5;
        if ((size_t)(end - p) < nn + 3)
            return corrupt(c, oid);
        f->name = cd_arena_strndup(c->a, (const char *)p, nn);
        p += nn;
        unsigned form = p[0];
        size_t an = (size_t)p[1] << 8 | p[2];
        p += 3;
        if ((size_t)(end - p) < an)
            return corrupt(c, oid);
        f->schema_arn = form == 0 ? concat(c->a, dir_arn(d), (const char *)p, an)
                                  : cd_arena_strndup(c->a, (const char *)p, an);
        p += an;
        if (!f->name || !f->schema_arn)
            return cd_oom(c);
    }
    return p == end ? 0 : corrupt(c, oid);
}

int cd_object_store(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    cd_buf b;
    cd_buf_init(&b, c->a);
    bool ok = cd_buf_byte(&b, RECORD_FORMAT) && cd_buf_u32be(&b, d->num) &&
              cd_buf_put(&b, o->tag, 8) && cd_buf_byte(&b, (unsigned char)o->type) &&
              cd_buf_byte(&b, (unsigned char)o->nfacets);
    if (o->nfacets > 255)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "an object can have at most 255 facets");
    size_t dn = strlen(dir_arn(d));
    for (size_t i = 0; ok && i < o->nfacets; i++) {
        const cd_objfacet *f = &o->facets[i];
        size_t nn = strlen(f->name), an = strlen(f->schema_arn);
        bool tail = dn && an >= dn && memcmp(f->schema_arn, dir_arn(d), dn) == 0;
        const char *arn = tail ? f->schema_arn + dn : f->schema_arn;
        if (tail)
            an -= dn;
        if (nn > 255 || an > 0xffff)
            return cd_fail(c->err, CD_E_ValidationException, "facet name or schema ARN too long");
        ok = cd_buf_u32be(&b, f->sid) && cd_buf_byte(&b, (unsigned char)nn) &&
             cd_buf_put(&b, f->name, nn) && cd_buf_byte(&b, tail ? 0 : 1) &&
             cd_buf_byte(&b, (unsigned char)(an >> 8)) && cd_buf_byte(&b, (unsigned char)an) &&
             cd_buf_put(&b, arn, an);
    }
    if (!ok)
        return cd_oom(c);
    unsigned char key[CD_OBJECT_KEY];
    return cd_put_key(c, key, object_key(key, o->oid), b.p, b.len);
}

int cd_object_facets(cd_ctx *c, cd_directory *d, const cd_object *o, cd_facetset *fs)
{
    fs->d = d;
    fs->n = 0;
    fs->what = NULL;
    fs->f = cd_arena_alloc(c->a, (o->nfacets + 1) * sizeof *fs->f);
    if (!fs->f)
        return cd_oom(c);
    for (size_t i = 0; i < o->nfacets; i++) {
        int rc = cd_facet_by_sid(c, d, o->facets[i].sid, o->facets[i].name, &fs->f[fs->n]);
        if (rc)
            return rc;
        fs->n++;
    }
    return 0;
}

/* The next object number: 1 + the number in the last key of the O range (object.h).  A
 * tombstone there is dropped: the new record takes over keeping the highest number. */
static int find_next_oid(cd_ctx *c, uint64_t *oid);

/* Within one BatchWrite the number is kept in the call's memo after the first lookup: only
 * the batch's own creates move the end of the range (and a removed record forgets it). */
static int next_oid(cd_ctx *c, uint64_t *oid)
{
    if (c->memo && c->memo->next_oid) {
        *oid = c->memo->next_oid++;
        return 0;
    }
    int rc = find_next_oid(c, oid);
    if (rc == 0 && c->memo && *oid < UINT64_MAX)
        c->memo->next_oid = *oid + 1;
    return rc;
}

static int find_next_oid(cd_ctx *c, uint64_t *oid)
{
    static const unsigned char after[1] = {CDK_OBJECT + 1};
    cd_cursor *cur;
    cd_slice k, v;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    rc = cd_cursor_seek(cur, (cd_slice){after, 1}, &k, &v, c->err);
    if (rc == 0)
        rc = cd_cursor_prev(cur, &k, &v, c->err);
    else if (rc == CD_KV_NOTFOUND)
        rc = cd_cursor_last(cur, &k, &v, c->err);
    *oid = 1;
    if (rc == 0 && k.n >= CD_OBJECT_KEY && *(const unsigned char *)k.p == CDK_OBJECT) {
        uint64_t last = cd_get_u64be((const unsigned char *)k.p + 1);
        if (last == UINT64_MAX)
            rc = cd_fail(c->err, CD_E_LimitExceededException, "no object numbers are left");
        *oid = last + 1;
        if (rc == 0 && k.n == CD_OBJECT_KEY && v.n == 1 &&
            *(const unsigned char *)v.p == TOMBSTONE)
            rc = cd_cursor_del(cur, c->err);
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_object_new(cd_ctx *c, const cd_directory *d, cd_object *o)
{
    int rc = next_oid(c, &o->oid);
    if (rc == 0)
        rc = cd_random(c, o->tag, sizeof o->tag);
    return rc ? rc : cd_object_store(c, d, o);
}

/* Removes the record of oid (its sub-keys are gone already), leaving a tombstone when it
 * is the last key of the O range, so its number is never given again (object.h). */
static int remove_record(cd_ctx *c, uint64_t oid)
{
    unsigned char key[CD_OBJECT_KEY];
    cd_cursor *cur;
    cd_slice k, v;
    bool last = oid == UINT64_MAX;
    int rc = 0;
    if (c->memo)
        c->memo->next_oid = 0;   /* a tombstone may take the end of the range */
    if (!last) {
        if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
            return rc;
        rc = cd_cursor_seek(cur, (cd_slice){key, object_key(key, oid + 1)}, &k, &v, c->err);
        last = rc == CD_KV_NOTFOUND || (rc == 0 && *(const unsigned char *)k.p != CDK_OBJECT);
        cd_cursor_close(cur);
        if (rc && rc != CD_KV_NOTFOUND)
            return rc;
    }
    object_key(key, oid);
    if (last) {
        static const unsigned char tomb[1] = {TOMBSTONE};
        return cd_put_key(c, key, CD_OBJECT_KEY, tomb, 1);
    }
    rc = cd_del_key(c, key, CD_OBJECT_KEY);
    return rc == CD_KV_NOTFOUND ? corrupt(c, oid) : rc;
}

int cd_object_create_root(cd_ctx *c, cd_directory *d, uint64_t *root)
{
    cd_object o = {.type = CD_OT_NODE, .nfacets = 1, .dir = d->num};
    cd_objfacet f = {CD_BASE_SCHEMA_SID, "NODE", cd_arn_base(c, dir_arn(d))};
    if (!f.schema_arn)
        return cd_oom(c);
    o.facets = &f;
    int rc = cd_object_new(c, d, &o);
    if (rc == 0)
        *root = o.oid;
    return rc;
}

/* ---------------------------------------------------------------- graph hooks (graph.h) */

/* Typed links, policy attachments and index attachments keep an object alive (§4.5). */
static int delete_blocked_by_links(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    int rc = cd_typedlink_check_delete(c, d, o);
    if (rc == 0)
        rc = cd_policy_check_delete(c, d, o);
    if (rc == 0)
        rc = cd_index_check_delete(c, d, o);
    return rc;
}

/* ---------------------------------------------------------------- write sets */

/* The values one request writes, by slot: aliases of one slot must agree. */
typedef struct wentry {
    cd_attrref ref;
    cd_attrval val;
    bool del;
} wentry;

typedef struct wset {
    wentry *e;
    size_t n, cap;
} wset;

static wentry *wset_find(wset *w, const cd_slot *s)
{
    for (size_t i = 0; i < w->n; i++)
        if (cd_slot_equal(&w->e[i].ref.slot, s))
            return &w->e[i];
    return NULL;
}

static int wset_add(cd_ctx *c, wset *w, const cd_attrref *r, const cd_attrval *v, bool del,
                    const char *what)
{
    wentry *old = wset_find(w, &r->slot);
    if (old) {
        if (old->del == del && (del || cd_attrval_equal(&old->val, v)))
            return 0;
        const char *name = r->def ? r->def->name : r->slot.attr;
        const char *old_name = old->ref.def ? old->ref.def->name : old->ref.slot.attr;
        if (old->ref.facet == r->facet && strcmp(old_name, name) == 0)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: %s is given twice in one request, with different %s: give "
                           "each attribute once", what, cd_attr_label(c, r->facet, name),
                           old->del != del ? "actions" : "values");
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s: %s and %s name one stored value (one references the other) and "
                       "are written with different values: they must agree", what,
                       cd_attr_label(c, old->ref.facet, old_name), cd_attr_label(c, r->facet, name));
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        wentry *e = cd_arena_alloc(c->a, cap * sizeof *e);
        if (!e)
            return cd_oom(c);
        if (w->n)
            memcpy(e, w->e, w->n * sizeof *e);
        w->e = e;
        w->cap = cap;
    }
    wentry *e = &w->e[w->n++];
    e->ref = *r;
    e->del = del;
    if (v)
        e->val = *v;
    else
        memset(&e->val, 0, sizeof e->val);
    return 0;
}

/* Reads an ObjectAttributeList (AttributeKeyAndValue items) into w, resolving each key
 * against fs and checking each value. */
static int read_attribute_list(cd_ctx *c, const cd_facetset *fs, const cd_value *list,
                               const char *member, wset *w)
{
    for (size_t i = 0; i < cd_len(list); i++) {
        const cd_value *item = list->u.list.items[i];
        const char *what = item_label(c, member, i);
        cd_attrref r;
        cd_attrval v;
        int rc = cd_attr_resolve(c, fs, cd_get(item, "Key"), what, &r);
        if (rc == 0)
            rc = cd_attrval_read(c, cd_get(item, "Value"), what, &v);
        if (rc == 0)
            rc = cd_attr_check_value(c, &r, &v);
        if (rc == 0)
            rc = wset_add(c, w, &r, &v, false, what);
        if (rc)
            return rc;
    }
    return 0;
}

/* Whether the object already has a value in slot s. */
static int slot_has_value(cd_ctx *c, uint64_t oid, const cd_slot *s, bool *out)
{
    unsigned char key[CD_SLOT_KEY_MAX];
    size_t kn = cd_slot_key(key, oid, s);
    cd_slice v;
    if (!kn) {
        *out = false;
        return 0;
    }
    int rc = cd_get_key(c, key, kn, &v);
    *out = rc == 0;
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

/* For each attribute of facets f[0..n): when its slot is not written by w, apply its default
 * or, when it is REQUIRED_ALWAYS, refuse.  `existing` (may be NULL) is an object whose
 * stored values also count as given (AddFacetToObject). */
static int fill_defaults(cd_ctx *c, cd_facet *const *f, size_t n, wset *w,
                         const cd_object *existing)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < f[i]->nattrs; j++) {
            const cd_attrdef *a = &f[i]->attrs[j];
            cd_slot s = cd_attr_slot(f[i], a);
            if (wset_find(w, &s))
                continue;
            if (existing) {
                bool has;
                int rc = slot_has_value(c, existing->oid, &s, &has);
                if (rc)
                    return rc;
                if (has)
                    continue;
            }
            cd_attrref r = {.facet = f[i], .def = a, .slot = s, .type = a->type,
                            .on_object = true};
            if (a->default_value) {
                cd_attrval v;
                int rc = cd_attrval_read(c, a->default_value, a->name, &v);
                if (rc == 0)
                    rc = wset_add(c, w, &r, &v, false, a->name);
                if (rc)
                    return rc;
            } else if (a->required) {
                return cd_fail(c->err, CD_E_FacetValidationException,
                               "%s is REQUIRED_ALWAYS and has no default: give it a value",
                               cd_attr_label(c, f[i], a->name));
            }
        }
    return 0;
}

/* Writes (or deletes) every entry of w on object o.  A `fresh` object (created by this
 * request) is in no index yet, so index upkeep is skipped for it. */
static int apply_wset(cd_ctx *c, const cd_directory *d, const cd_object *o, const wset *w,
                      bool fresh)
{
    unsigned char key[CD_SLOT_KEY_MAX];
    for (size_t i = 0; i < w->n; i++) {
        const wentry *e = &w->e[i];
        size_t kn = cd_slot_key(key, o->oid, &e->ref.slot);
        if (!kn)
            return cd_fail(c->err, CD_E_ValidationException, "attribute name too long");
        int rc;
        if (e->del) {
            rc = cd_del_key(c, key, kn);
            if (rc == CD_KV_NOTFOUND)
                continue;   /* deleting a missing value changes nothing */
        } else {
            cd_buf b;
            cd_buf_init(&b, c->a);
            if (!cd_attrval_encode(&b, &e->val))
                return cd_oom(c);
            rc = cd_put_key(c, key, kn, b.p, b.len);
        }
        if (rc == 0 && !fresh)
            rc = cd_index_value_changed(c, d, o, &e->ref.slot);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- shared request steps */

static bool is_facet(const cd_objfacet *of, const cd_facet *f)
{
    return of->sid == f->sid && strcmp(of->name, f->name) == 0;
}

static bool object_has_facet(const cd_object *o, const cd_facet *f)
{
    for (size_t i = 0; i < o->nfacets; i++)
        if (is_facet(&o->facets[i], f))
            return true;
    return false;
}

static int facet_limit(cd_ctx *c, size_t n)
{
    if (cd_aws_limits(c) && n > AWS_MAX_FACETS)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "an object can have at most %d facets (limits = \"aws\"); %zu were given",
                       AWS_MAX_FACETS, n);
    return 0;
}

static cd_value *new_response(cd_ctx *c, cd_value **resp)
{
    *resp = cd_map(c->a);
    return *resp;
}

/* ---------------------------------------------------------------- CreateObject */

static int create_object(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = cd_request_directory(c, req, &d);
    if (rc)
        return rc;
    const cd_value *sfs = cd_get(req, "SchemaFacets");
    size_t nf = cd_len(sfs);
    if (nf == 0)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacets: an object needs at least one facet");
    if ((rc = facet_limit(c, nf)))
        return rc;
    const cd_value *parent_ref = cd_get(req, "ParentReference");
    size_t ln;
    const char *link = cd_get_str(req, "LinkName", &ln);
    if (!parent_ref != !link)
        return cd_fail(c->err, CD_E_ValidationException,
                       "ParentReference and LinkName go together: give both or neither");

    /* The facets, and the object type they agree on. */
    cd_facetset fs = {d, 0, cd_arena_alloc(c->a, nf * sizeof(cd_facet *)),
                      "the SchemaFacets the object is created with"};
    cd_object o = {.type = CD_OT_NONE, .dir = d->num, .nfacets = nf,
                   .facets = cd_arena_alloc(c->a, nf * sizeof(cd_objfacet))};
    if (!fs.f || !o.facets)
        return cd_oom(c);
    for (size_t i = 0; i < nf; i++) {
        cd_facet *f;
        if ((rc = cd_facet_find(c, d, sfs->u.list.items[i], &f)))
            return rc;
        if (f->object_type == CD_OT_INDEX)
            return cd_fail(c->err, CD_E_UnsupportedIndexTypeException,
                           "SchemaFacets[%zu]: %s is an INDEX facet; indexes are created with "
                           "CreateIndex", i, cd_attr_label(c, f, NULL));
        for (size_t j = 0; j < i; j++)
            if (is_facet(&o.facets[j], f))
                return cd_fail(c->err, CD_E_FacetValidationException,
                               "SchemaFacets[%zu]: %s is listed twice", i,
                               cd_attr_label(c, f, NULL));
        if (f->object_type != CD_OT_NONE) {
            if (o.type != CD_OT_NONE && o.type != f->object_type)
                return cd_fail(c->err, CD_E_FacetValidationException,
                               "SchemaFacets[%zu]: %s makes a %s but the other facets make a "
                               "%s; an object has one type", i, cd_attr_label(c, f, NULL),
                               cd_object_type_name(f->object_type), cd_object_type_name(o.type));
            o.type = f->object_type;
        }
        fs.f[fs.n++] = f;
        o.facets[i] = (cd_objfacet){f->sid, f->name, f->schema_arn};
    }
    if (o.type == CD_OT_NONE)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacets: no facet gives the object a type (NODE, LEAF_NODE or "
                       "POLICY); add one, e.g. the base schema's NODE facet");

    /* The values: given ones, then defaults; required ones must be there. */
    wset w = {0};
    if ((rc = read_attribute_list(c, &fs, cd_get(req, "ObjectAttributeList"),
                                  "ObjectAttributeList", &w)))
        return rc;
    if ((rc = fill_defaults(c, fs.f, fs.n, &w, NULL)))
        return rc;

    /* The parent, when the object is created in place. */
    cd_object parent;
    if (parent_ref) {
        if ((rc = cd_select(c, d, parent_ref, "ParentReference", &parent)))
            return rc;
        if ((rc = cd_hierarchy_check_parent(c, d, &parent, "ParentReference",
                                             CD_E_ValidationException)))
            return rc;
        if ((rc = cd_hierarchy_check_depth(c, d, &parent, 0)))
            return rc;
    }

    if ((rc = cd_object_new(c, d, &o)) || (rc = apply_wset(c, d, &o, &w, true)))
        return rc;
    if (parent_ref && (rc = cd_link_add(c, &parent, &o, link, ln)))
        return rc;
    if (!new_response(c, resp))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "ObjectIdentifier", o.oid, o.tag);
}

/* ---------------------------------------------------------------- DeleteObject */

static int delete_object(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    if (o.oid == d->root)
        return cd_fail(c->err, CD_E_ObjectNotDetachedException,
                       "ObjectReference: the root of a directory cannot be deleted");
    unsigned char prefix[CD_OBJECT_SUB];
    bool any;
    if ((rc = cd_prefix_exists(c, prefix, cd_object_sub_prefix(prefix, o.oid, CDO_PARENT),
                               &any)))
        return rc;
    if (any)
        return cd_fail(c->err, CD_E_ObjectNotDetachedException,
                       "ObjectReference: the object is still attached to a parent; detach it "
                       "first (DetachObject)");
    if ((rc = cd_prefix_exists(c, prefix, cd_child_key(prefix, o.oid, "", 0), &any)))
        return rc;
    if (any)
        return cd_fail(c->err, CD_E_ObjectNotDetachedException,
                       "ObjectReference: the object still has children; detach them first");
    if ((rc = delete_blocked_by_links(c, d, &o)))
        return rc;

    /* Collect the object's sub-keys first (its values: it has no parent links now, and
     * links of later kinds block deletion above): deleting under a cursor would skip
     * entries.  The record itself is the first key of the range. */
    unsigned char op[CD_OBJECT_KEY];
    object_key(op, o.oid);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice k, v, *keys = NULL;
    size_t n = 0, cap = 0, nvalues = 0;
    rc = cd_cursor_seek(cur, (cd_slice){op, CD_OBJECT_KEY}, &k, &v, c->err);
    if (rc == 0 && k.n == CD_OBJECT_KEY)
        rc = cd_cursor_next(cur, &k, &v, c->err);
    while (rc == 0 && k.n > CD_OBJECT_KEY && memcmp(k.p, op, CD_OBJECT_KEY) == 0) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            cd_slice *nk = cd_arena_alloc(c->a, cap * sizeof *nk);
            if (!nk) {
                rc = cd_oom(c);
                break;
            }
            if (n)
                memcpy(nk, keys, n * sizeof *nk);
            keys = nk;
        }
        void *copy = cd_arena_alloc(c->a, k.n);
        if (!copy) {
            rc = cd_oom(c);
            break;
        }
        memcpy(copy, k.p, k.n);
        keys[n++] = (cd_slice){copy, k.n};
        nvalues += ((const unsigned char *)k.p)[CD_OBJECT_KEY] == CDO_VALUE;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (cd_aws_limits(c) && nvalues > AWS_MAX_DELETED_VALUES)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "ObjectReference: the object has %zu attribute values; DeleteObject "
                       "removes at most %d (limits = \"aws\"); delete some with "
                       "UpdateObjectAttributes first", nvalues, AWS_MAX_DELETED_VALUES);
    for (size_t i = 0; i < n; i++)
        if ((rc = cd_del_key(c, keys[i].p, keys[i].n)) && rc != CD_KV_NOTFOUND)
            return rc;
    if ((rc = remove_record(c, o.oid)))
        return rc;
    return new_response(c, resp) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- AddFacetToObject */

static int add_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    cd_facet *f;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)) ||
        (rc = cd_facet_find(c, d, cd_get(req, "SchemaFacet"), &f)))
        return rc;
    if (object_has_facet(&o, f))
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacet: the object already has %s", cd_attr_label(c, f, NULL));
    if (f->object_type != CD_OT_NONE && f->object_type != o.type)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacet: %s is for %s objects; this object is a %s",
                       cd_attr_label(c, f, NULL), cd_object_type_name(f->object_type), cd_object_type_name(o.type));
    /* Dynamic facets go on NODE, LEAF_NODE and POLICY objects only (semantics §3.1). */
    if (f->object_type == CD_OT_NONE && o.type == CD_OT_INDEX)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacet: %s is a facet without an object type, and an INDEX object "
                       "takes none (dynamic facets go on NODE, LEAF_NODE and POLICY objects)",
                       cd_attr_label(c, f, NULL));
    if ((rc = facet_limit(c, o.nfacets + 1)))
        return rc;

    /* Values may only name the new facet's attributes (or slots it shares). */
    cd_facetset only = {d, 1, &f, "the facet this request adds (AddFacetToObject sets only "
                                  "that facet's values)"};
    wset w = {0};
    if ((rc = read_attribute_list(c, &only, cd_get(req, "ObjectAttributeList"),
                                  "ObjectAttributeList", &w)))
        return rc;
    /* A slot the object already holds (shared with another facet) keeps an immutable value. */
    cd_facetset fs;
    if ((rc = cd_object_facets(c, d, &o, &fs)))
        return rc;
    for (size_t i = 0; i < w.n; i++) {
        bool imm = w.e[i].ref.def && w.e[i].ref.def->immutable, imm2 = false;
        cd_facetset_covers(&fs, &w.e[i].ref.slot, NULL, &imm2);
        if (!imm && !imm2)
            continue;
        unsigned char key[CD_SLOT_KEY_MAX];
        size_t kn = cd_slot_key(key, o.oid, &w.e[i].ref.slot);
        cd_slice v;
        cd_attrval old;
        rc = cd_get_key(c, key, kn, &v);
        if (rc == CD_KV_NOTFOUND)
            continue;
        if (rc)
            return rc;
        if (!cd_attrval_decode(v.p, v.n, &old) || !cd_attrval_equal(&old, &w.e[i].val))
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "ObjectAttributeList: %s is immutable and already has a value",
                           cd_attr_label(c, f, w.e[i].ref.slot.attr));
    }
    if ((rc = fill_defaults(c, &f, 1, &w, &o)))
        return rc;

    cd_objfacet *nf = cd_arena_alloc(c->a, (o.nfacets + 1) * sizeof *nf);
    if (!nf)
        return cd_oom(c);
    cd_object before = o;   /* for facet-based indexes (graph.h) */
    memcpy(nf, o.facets, o.nfacets * sizeof *nf);
    nf[o.nfacets++] = (cd_objfacet){f->sid, f->name, f->schema_arn};
    o.facets = nf;
    if ((rc = cd_object_store(c, d, &o)) || (rc = apply_wset(c, d, &o, &w, false)) ||
        (rc = cd_index_facets_changed(c, d, &before, &o))) {
        /* AddFacetToObject does not list LinkNameAlreadyInUseException: a value that a
         * unique index the object is in already holds fails the facet's validation. */
        if (rc == CD_E_LinkNameAlreadyInUseException)
            c->err->code = rc = CD_E_FacetValidationException;
        return rc;
    }
    return new_response(c, resp) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- RemoveFacetFromObject */

static int remove_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    cd_facet *f;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)) ||
        (rc = cd_facet_find(c, d, cd_get(req, "SchemaFacet"), &f)))
        return rc;
    if (!object_has_facet(&o, f))
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacet: the object does not have %s", cd_attr_label(c, f, NULL));

    /* The facets that stay, and whether one of them still gives the object its type. */
    cd_object rest = o;
    rest.facets = cd_arena_alloc(c->a, o.nfacets * sizeof *rest.facets);
    if (!rest.facets)
        return cd_oom(c);
    rest.nfacets = 0;
    for (size_t i = 0; i < o.nfacets; i++)
        if (!is_facet(&o.facets[i], f))
            rest.facets[rest.nfacets++] = o.facets[i];
    cd_facetset fs;
    if ((rc = cd_object_facets(c, d, &rest, &fs)))
        return rc;
    bool typed = false;
    for (size_t i = 0; i < fs.n; i++)
        typed |= fs.f[i]->object_type == o.type;
    if (!typed)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "SchemaFacet: %s is the last facet giving the object its type (%s); an "
                       "object keeps at least one", cd_attr_label(c, f, NULL),
                       cd_object_type_name(o.type));

    /* Drop the facet's values unless a remaining facet defines or references their slot:
     * first the slots under the facet itself, then those its references point at. */
    unsigned char prefix[CD_SLOT_KEY_MAX];
    size_t pn = cd_slot_prefix(prefix, o.oid, f->sid, f->name);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    wset w = {0};
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){prefix, pn}, &k, &v, c->err);
    while (rc == 0 && k.n >= pn && memcmp(k.p, prefix, pn) == 0) {
        cd_attrref r = {.facet = f};
        if (!cd_slot_parse((const unsigned char *)k.p + CD_SLOT_AT, k.n - CD_SLOT_AT, &r.slot, c->a)) {
            rc = corrupt(c, o.oid);
            break;
        }
        if (!cd_facetset_covers(&fs, &r.slot, NULL, NULL) &&
            (rc = wset_add(c, &w, &r, NULL, true, "SchemaFacet")))
            break;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    for (size_t j = 0; j < f->nattrs; j++) {
        cd_attrref r = {.facet = f, .def = &f->attrs[j], .slot = cd_attr_slot(f, &f->attrs[j])};
        if (!cd_facetset_covers(&fs, &r.slot, NULL, NULL) &&
            (rc = wset_add(c, &w, &r, NULL, true, "SchemaFacet")))
            return rc;
    }
    if ((rc = cd_object_store(c, d, &rest)) || (rc = apply_wset(c, d, &rest, &w, false)) ||
        (rc = cd_index_facets_changed(c, d, &o, &rest)))
        return rc;
    return new_response(c, resp) ? 0 : cd_oom(c);
}

/* ---------------------------------------------------------------- UpdateObjectAttributes */

static int update_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    cd_facetset fs;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)) ||
        (rc = cd_object_facets(c, d, &o, &fs)))
        return rc;
    const cd_value *ups = cd_get(req, "AttributeUpdates");
    wset w = {0};
    for (size_t i = 0; i < cd_len(ups); i++) {
        const cd_value *u = ups->u.list.items[i];
        const char *what = item_label(c, "AttributeUpdates", i);
        const cd_value *key = cd_get(u, "ObjectAttributeKey");
        const cd_value *act = cd_get(u, "ObjectAttributeAction");
        const cd_value *val = cd_get(act, "ObjectAttributeUpdateValue");
        const char *type = cd_get_str(act, "ObjectAttributeActionType", NULL);
        if (!key)
            return cd_fail(c->err, CD_E_ValidationException, "%s.ObjectAttributeKey is required",
                           what);
        bool del = type && strcmp(type, "DELETE") == 0;
        if (!del && !val)
            return cd_fail(c->err, CD_E_ValidationException,
                           !act ? "%s: ObjectAttributeAction is missing; give it "
                                  "ObjectAttributeActionType CREATE_OR_UPDATE with an "
                                  "ObjectAttributeUpdateValue, or DELETE"
                           : !type ? "%s: ObjectAttributeAction.ObjectAttributeActionType is "
                                     "missing; give CREATE_OR_UPDATE with an "
                                     "ObjectAttributeUpdateValue, or DELETE"
                           : "%s: CREATE_OR_UPDATE needs ObjectAttributeAction."
                             "ObjectAttributeUpdateValue", what);
        cd_attrref r;
        cd_attrval v;
        if ((rc = cd_attr_resolve(c, &fs, key, what, &r)))
            return rc;
        bool required = false, immutable = false;
        cd_facetset_covers(&fs, &r.slot, &required, &immutable);
        if (r.def) {
            required |= r.def->required;
            immutable |= r.def->immutable;
        }
        if (immutable)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: %s is immutable; it can only be given when the object or facet "
                           "is created", what,
                           cd_attr_label(c, r.facet, r.def ? r.def->name : r.slot.attr));
        if (del && required)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: %s is REQUIRED_ALWAYS and cannot be deleted", what,
                           cd_attr_label(c, r.facet, r.def ? r.def->name : r.slot.attr));
        if (!del && ((rc = cd_attrval_read(c, val, what, &v)) ||
                     (rc = cd_attr_check_value(c, &r, &v))))
            return rc;
        if ((rc = wset_add(c, &w, &r, del ? NULL : &v, del, what)))
            return rc;
    }
    if ((rc = apply_wset(c, d, &o, &w, false)))
        return rc;
    if (!new_response(c, resp))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "ObjectIdentifier", o.oid, o.tag);
}

/* ---------------------------------------------------------------- reads */

static int get_information(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    cd_value *list = cd_list(c->a);
    if (!list || !new_response(c, resp))
        return cd_oom(c);
    for (size_t i = 0; i < o.nfacets; i++) {
        cd_value *sf = cd_map(c->a);
        if (!sf || !cd_map_set(c->a, sf, "SchemaArn", cd_strz(c->a, o.facets[i].schema_arn)) ||
            !cd_map_set(c->a, sf, "FacetName", cd_strz(c->a, o.facets[i].name)) ||
            !cd_list_push(c->a, list, sf))
            return cd_oom(c);
    }
    if (!cd_map_set(c->a, *resp, "SchemaFacets", list))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "ObjectIdentifier", o.oid, o.tag);
}

/* {SchemaArn, FacetName, Name}.  Keys of one facet share their SchemaArn and FacetName
 * nodes (responses are read-only trees), which saves copying them for every value. */
static cd_value *attribute_key(cd_ctx *c, cd_value *arn, cd_value *facet, const char *name)
{
    cd_value *k = cd_map(c->a);
    if (!k || !arn || !facet || !cd_map_set(c->a, k, "SchemaArn", arn) ||
        !cd_map_set(c->a, k, "FacetName", facet) ||
        !cd_map_set(c->a, k, "Name", cd_strz(c->a, name)))
        return NULL;
    return k;
}

static bool push_attribute(cd_ctx *c, cd_value *list, cd_value *key, const cd_attrval *v)
{
    cd_value *kv = cd_map(c->a);
    return key && kv && cd_map_set(c->a, kv, "Key", key) &&
           cd_map_set(c->a, kv, "Value", cd_attrval_typed(c->a, v)) &&
           cd_list_push(c->a, list, kv);
}

static int get_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    cd_facet *f;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)) ||
        (rc = cd_facet_find(c, d, cd_get(req, "SchemaFacet"), &f)))
        return rc;
    /* The usual case, a facet of the object, needs no other facet; otherwise every name must
     * share a slot with a facet of the object (e.g. the base POLICY form). */
    cd_facetset fs = {d, 1, &f, NULL};
    if (!object_has_facet(&o, f) && (rc = cd_object_facets(c, d, &o, &fs)))
        return rc;
    const cd_value *names = cd_get(req, "AttributeNames");
    cd_value *list = cd_list(c->a);
    if (!list || !new_response(c, resp))
        return cd_oom(c);
    unsigned char key[CD_SLOT_KEY_MAX];
    cd_value *arnv = cd_strz(c->a, f->schema_arn), *facetv = cd_strz(c->a, f->name);
    for (size_t i = 0; i < cd_len(names); i++) {
        const cd_value *nv = names->u.list.items[i];
        if (!cd_is(nv, CDV_STRING))
            return cd_fail(c->err, CD_E_ValidationException,
                           "AttributeNames[%zu] must be a string", i);
        const char *what = item_label(c, "AttributeNames", i);
        cd_attrref r;
        if ((rc = cd_attr_resolve_in(c, &fs, f, nv->u.s.p, what, &r)))
            return rc;
        size_t kn = cd_slot_key(key, o.oid, &r.slot);
        cd_slice v;
        cd_attrval val;
        rc = kn ? cd_get_key(c, key, kn, &v) : CD_KV_NOTFOUND;
        if (rc == CD_KV_NOTFOUND)
            continue;   /* unset attributes are left out */
        if (rc)
            return rc;
        if (!cd_attrval_decode(v.p, v.n, &val))
            return corrupt(c, o.oid);
        if (!push_attribute(c, list, attribute_key(c, arnv, facetv, nv->u.s.p), &val))
            return cd_oom(c);
    }
    return cd_map_set(c->a, *resp, "Attributes", list) ? 0 : cd_oom(c);
}

/* The schema ARN responses show for values stored under schema sid. */
static const char *slot_schema_arn(cd_ctx *c, cd_directory *d, const cd_object *o,
                                   const cd_slot *s)
{
    if (s->sid == CD_BASE_SCHEMA_SID)
        return cd_arn_base(c, dir_arn(d));
    for (size_t i = 0; i < o->nfacets; i++)
        if (o->facets[i].sid == s->sid)
            return o->facets[i].schema_arn;
    cd_facet *f;   /* a slot outside the object's schemas: ask the catalog */
    return cd_facet_by_sid(c, d, s->sid, s->facet, &f) == 0 ? f->schema_arn : "";
}

static int list_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object o;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)))
        return rc;
    /* The scan covers the object's values, or one facet's with FacetFilter. */
    unsigned char prefix[CD_SLOT_KEY_MAX];
    size_t pn = cd_slot_prefix(prefix, o.oid, 0, NULL);
    const cd_value *filter = cd_get(req, "FacetFilter");
    if (filter) {
        cd_facet *f;
        if ((rc = cd_facet_find(c, d, filter, &f)))
            return rc;
        pn = cd_slot_prefix(prefix, o.oid, f->sid, f->name);
    }
    /* Token scope: the prefix (object and filter); resume: the rest of the next key. */
    const unsigned char *resume;
    size_t rn;
    if ((rc = cd_token_read(c, req, prefix, pn, &resume, &rn)))
        return rc;
    int page = cd_page_size(c, req);
    cd_value *list = cd_list(c->a);
    if (!list || !new_response(c, resp))
        return cd_oom(c);
    unsigned char start[CD_SLOT_KEY_MAX + 300];
    if (rn > sizeof start - pn)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    memcpy(start, prefix, pn);
    if (rn)
        memcpy(start + pn, resume, rn);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice k, v;
    int count = 0;
    const char *token = NULL;
    cd_slot last = {0, "", ""};
    cd_value *arnv = NULL, *facetv = NULL;
    rc = cd_cursor_seek(cur, (cd_slice){start, pn + rn}, &k, &v, c->err);
    while (rc == 0 && k.n >= pn && memcmp(k.p, prefix, pn) == 0) {
        if (count == page) {
            token = cd_token_make(c, prefix, pn, (const unsigned char *)k.p + pn, k.n - pn);
            if (!token)
                rc = cd_oom(c);
            break;
        }
        cd_slot s;
        cd_attrval val;
        if (!cd_slot_parse((const unsigned char *)k.p + CD_SLOT_AT, k.n - CD_SLOT_AT, &s, c->a) ||
            !cd_attrval_decode(v.p, v.n, &val)) {
            rc = corrupt(c, o.oid);
            break;
        }
        if (!arnv || s.sid != last.sid || strcmp(s.facet, last.facet) != 0) {
            arnv = cd_strz(c->a, slot_schema_arn(c, d, &o, &s));
            facetv = cd_strz(c->a, s.facet);
            last = s;
        }
        if (!push_attribute(c, list, attribute_key(c, arnv, facetv, s.attr), &val)) {
            rc = cd_oom(c);
            break;
        }
        count++;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (!cd_map_set(c->a, *resp, "Attributes", list))
        return cd_oom(c);
    if (token && !cd_map_set(c->a, *resp, "NextToken", cd_strz(c->a, token)))
        return cd_oom(c);
    return 0;
}

const cd_handler_entry cd_object_handlers[] = {
    {CD_OP_CreateObject, create_object},
    {CD_OP_DeleteObject, delete_object},
    {CD_OP_AddFacetToObject, add_facet},
    {CD_OP_RemoveFacetFromObject, remove_facet},
    {CD_OP_UpdateObjectAttributes, update_attributes},
    {CD_OP_GetObjectInformation, get_information},
    {CD_OP_GetObjectAttributes, get_attributes},
    {CD_OP_ListObjectAttributes, list_attributes},
    {-1, NULL},
};
