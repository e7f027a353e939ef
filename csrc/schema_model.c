/* schema_model.c — storage of schemas, facets and typed-link facets; the catalog lookups
 * of catalog.h; the record codec and the listing pager the control plane shares.
 *
 * Key layouts (numbers big-endian, names raw bytes; names never contain NUL):
 *
 *   S sid(4)                          -> schema record
 *        u8 format(1) u8 kind('D','P','A') u32 dirnum u32 source
 *        str name, str version, str minor, value minors (list of strings; applied only)
 *   s 'D' name                        -> sid(4)   development schema by name
 *   s 'P' name 0 version 0 minor      -> sid(4)   published revision (minor "" when none)
 *   s 'A' dirnum(4) name 0 version    -> sid(4)   schema applied to a directory (by major)
 *   F sid(4) facetname                -> facet record
 *        u8 format(1) u8 object_type+1 (0 none) u8 flags(1 dynamic) varint nattrs
 *        per attribute, sorted by name: str name, u8 flags(ATTR_*),
 *          reference:  str target facet, str target attribute
 *          definition: u8 type, [value default], [value rules]
 *   L sid(4) linkname                 -> typed-link facet record
 *        u8 format(1) varint nattrs, attributes as above (definitions only),
 *        varint nidentity, str identity attribute...
 *
 * "str" is a varint length plus bytes; "value" is a varint length plus cd_value_encode.
 * A facet record is decoded straight into one arena block: loading a facet is on the path
 * of every CreateObject and attribute read.  The base schema (sid 0) is built in. */
#include <stdlib.h>
#include <string.h>
#include "schema_model.h"
#include "keys.h"
#include "token.h"
#include "store.h"

#define SCHEMA_FORMAT 1
#define FACET_FORMAT 1
#define LINK_FORMAT 1

enum { ATTR_REQUIRED = 1, ATTR_REFERENCE = 2, ATTR_IMMUTABLE = 4, ATTR_DEFAULT = 8,
       ATTR_RULES = 16 };

/* ================================================================ record codec */

bool cd_buf_str(cd_buf *b, const char *s, size_t n)
{
    return cd_buf_varint(b, n) && cd_buf_put(b, s, n);
}

bool cd_buf_strz(cd_buf *b, const char *s) { return cd_buf_str(b, s ? s : "", s ? strlen(s) : 0); }

bool cd_buf_value(cd_buf *b, const cd_value *v)
{
    cd_buf tmp;
    cd_buf_init(&tmp, b->a);
    return cd_value_encode(&tmp, v) && cd_buf_varint(b, tmp.len) && cd_buf_put(b, tmp.p, tmp.len);
}

void cd_rd_init(cd_rd *r, cd_arena *a, cd_slice s)
{
    r->p = s.p;
    r->end = r->p + s.n;
    r->a = a;
    r->bad = false;
}

/* The next n bytes, or NULL (setting bad) when fewer are left. */
static const unsigned char *rd_take(cd_rd *r, uint64_t n)
{
    if (r->bad || (uint64_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *p = r->p;
    r->p += n;
    return p;
}

unsigned cd_rd_u8(cd_rd *r)
{
    const unsigned char *p = rd_take(r, 1);
    return p ? *p : 0;
}

uint32_t cd_rd_u32(cd_rd *r)
{
    const unsigned char *p = rd_take(r, 4);
    return p ? cd_get_u32be(p) : 0;
}

uint64_t cd_rd_u64(cd_rd *r)
{
    const unsigned char *p = rd_take(r, 8);
    return p ? cd_get_u64be(p) : 0;
}

uint64_t cd_rd_varint(cd_rd *r)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && !r->bad; shift += 7) {
        if (r->p >= r->end)
            break;
        unsigned char ch = *r->p++;
        x |= (uint64_t)(ch & 0x7f) << shift;
        if (!(ch & 0x80))
            return x;
    }
    r->bad = true;
    return 0;
}

cd_slice cd_rd_bytes(cd_rd *r)
{
    uint64_t len = cd_rd_varint(r);
    const unsigned char *p = rd_take(r, len);
    return p ? (cd_slice){p, (size_t)len} : (cd_slice){"", 0};
}

const char *cd_rd_str(cd_rd *r, size_t *n)
{
    cd_slice b = cd_rd_bytes(r);
    char *s = r->bad ? NULL : cd_arena_strndup(r->a, b.p, b.n);
    if (!s) {
        r->bad = true;
        return "";
    }
    if (n)
        *n = b.n;
    return s;
}

cd_value *cd_rd_value(cd_rd *r)
{
    cd_slice b = cd_rd_bytes(r);
    cd_value *v = r->bad ? NULL : cd_value_decode(r->a, b.p, b.n);
    if (!v)
        r->bad = true;
    return v;
}

int cd_corrupt(cd_ctx *c, const char *what)
{
    return cd_fail(c->err, CD_E_InternalServiceException,
                   "the store holds a damaged %s record (or one written by a newer clouddir)",
                   what);
}

/* ================================================================ names */

const char *cd_attr_type_name(cd_attr_type t)
{
    static const char *const names[] = {"STRING", "BINARY", "BOOLEAN", "NUMBER", "DATETIME",
                                        "VARIANT"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "VARIANT";
}

const char *cd_object_type_name(cd_object_type t)
{
    static const char *const names[] = {"NODE", "LEAF_NODE", "POLICY", "INDEX"};
    return t >= 0 && (unsigned)t < sizeof names / sizeof *names ? names[t] : NULL;
}

/* ================================================================ schema records */

static size_t key_schema(unsigned char *k, uint32_t sid)
{
    k[0] = CDK_SCHEMA;
    cd_put_u32be(k + 1, sid);
    return 5;
}

static size_t put_name(unsigned char *k, size_t at, const char *s)
{
    size_t n = strlen(s);
    memcpy(k + at, s, n);
    return at + n;
}

size_t cd_key_dev_name(unsigned char *k, const char *name)
{
    k[0] = CDK_SCHEMA_NAME;
    k[1] = CD_SCHEMA_DEVELOPMENT;
    return put_name(k, 2, name);
}

size_t cd_key_pub_family(unsigned char *k, const char *name, const char *version)
{
    k[0] = CDK_SCHEMA_NAME;
    k[1] = CD_SCHEMA_PUBLISHED;
    size_t n = put_name(k, 2, name);
    k[n++] = 0;
    n = put_name(k, n, version);
    k[n++] = 0;
    return n;
}

size_t cd_key_applied(unsigned char *k, uint32_t dirnum, const char *name, const char *version)
{
    k[0] = CDK_SCHEMA_NAME;
    k[1] = CD_SCHEMA_APPLIED;
    cd_put_u32be(k + 2, dirnum);
    size_t n = put_name(k, 6, name);
    k[n++] = 0;
    return put_name(k, n, version);
}

/* The name-index key of a schema record. */
static size_t key_schema_name(unsigned char *k, const cd_schema *s)
{
    switch (s->kind) {
    case CD_SCHEMA_DEVELOPMENT: return cd_key_dev_name(k, s->name);
    case CD_SCHEMA_PUBLISHED: {
        size_t n = cd_key_pub_family(k, s->name, s->version);
        return put_name(k, n, s->minor);
    }
    default: return cd_key_applied(k, s->dirnum, s->name, s->version);
    }
}

int cd_schema_new_sid(cd_ctx *c, uint32_t *sid)
{
    uint64_t id;
    int rc = cd_next_id(c, "schema", &id);
    if (rc)
        return rc;
    if (id >= CD_MANAGED_SCHEMA_SID)   /* that number is the managed schema's */
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "this store has used up its %u schema numbers", UINT32_MAX);
    *sid = (uint32_t)id;
    return 0;
}

int cd_schema_get(cd_ctx *c, uint32_t sid, cd_schema *out)
{
    if (sid == CD_MANAGED_SCHEMA_SID) {   /* built in (managed.c) */
        cd_managed_get(out);
        return 0;
    }
    unsigned char k[5];
    cd_slice v;
    int rc = cd_get_key(c, k, key_schema(k, sid), &v);
    if (rc)
        return rc;
    cd_rd r;
    cd_rd_init(&r, c->a, v);
    memset(out, 0, sizeof *out);
    out->sid = sid;
    unsigned fmt = cd_rd_u8(&r);
    out->kind = (cd_schema_kind)cd_rd_u8(&r);
    out->dirnum = cd_rd_u32(&r);
    out->source = cd_rd_u32(&r);
    out->name = cd_rd_str(&r, NULL);
    out->version = cd_rd_str(&r, NULL);
    out->minor = cd_rd_str(&r, NULL);
    out->minors = cd_rd_value(&r);
    if (r.bad || fmt != SCHEMA_FORMAT || r.p != r.end)
        return cd_corrupt(c, "schema");
    return 0;
}

int cd_schema_put(cd_ctx *c, const cd_schema *s)
{
    cd_buf b;
    cd_buf_init(&b, c->a);
    cd_value *minors = s->minors ? s->minors : cd_list(c->a);
    if (!minors || !cd_buf_byte(&b, SCHEMA_FORMAT) || !cd_buf_byte(&b, (unsigned char)s->kind) ||
        !cd_buf_u32be(&b, s->dirnum) || !cd_buf_u32be(&b, s->source) ||
        !cd_buf_strz(&b, s->name) || !cd_buf_strz(&b, s->version) ||
        !cd_buf_strz(&b, s->minor) || !cd_buf_value(&b, minors))
        return cd_oom(c);
    unsigned char k[5], nk[CD_SCHEMA_KEY_MAX], sid[4];
    cd_put_u32be(sid, s->sid);
    int rc = cd_put_key(c, k, key_schema(k, s->sid), b.p, b.len);
    if (rc == 0)
        rc = cd_put_key(c, nk, key_schema_name(nk, s), sid, 4);
    return rc;
}

/* Deletes every key starting with prefix. */
static int delete_prefix(cd_ctx *c, const unsigned char *prefix, size_t pn)
{
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){prefix, pn}, &k, &v, c->err);
    while (rc == 0 && k.n >= pn && memcmp(k.p, prefix, pn) == 0) {
        rc = cd_cursor_del(cur, c->err);
        if (rc == 0)  /* after a delete the cursor rests on the next key */
            rc = cd_cursor_seek(cur, (cd_slice){prefix, pn}, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_schema_drop(cd_ctx *c, const cd_schema *s)
{
    unsigned char k[CD_SCHEMA_KEY_MAX];
    int rc = cd_del_key(c, k, key_schema(k, s->sid));
    if (rc == 0)
        rc = cd_del_key(c, k, key_schema_name(k, s));
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    k[0] = CDK_FACET;
    cd_put_u32be(k + 1, s->sid);
    if ((rc = delete_prefix(c, k, 5)))
        return rc;
    k[0] = CDK_LINK_FACET;
    return delete_prefix(c, k, 5);
}

/* Copies the records under prefix+from(4) to prefix+to(4), keeping the rest of the key. */
static int copy_prefix(cd_ctx *c, unsigned char which, uint32_t from, uint32_t to)
{
    unsigned char p[5];
    p[0] = which;
    cd_put_u32be(p + 1, from);
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    /* Collect first: writing while iterating would move a read cursor. */
    typedef struct item { unsigned char *k; size_t kn; void *v; size_t vn; } item;
    item *items = NULL;
    size_t n = 0, cap = 0;
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){p, 5}, &k, &v, c->err);
    while (rc == 0 && k.n >= 5 && memcmp(k.p, p, 5) == 0) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            item *ni = cd_arena_alloc(c->a, ncap * sizeof *ni);
            if (!ni) {
                rc = cd_oom(c);
                break;
            }
            if (n)
                memcpy(ni, items, n * sizeof *ni);
            items = ni;
            cap = ncap;
        }
        items[n].k = cd_arena_alloc(c->a, k.n);
        items[n].v = cd_arena_alloc(c->a, v.n ? v.n : 1);
        if (!items[n].k || !items[n].v) {
            rc = cd_oom(c);
            break;
        }
        memcpy(items[n].k, k.p, k.n);
        memcpy(items[n].v, v.p, v.n);
        items[n].kn = k.n;
        items[n].vn = v.n;
        n++;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    for (size_t i = 0; i < n; i++) {
        cd_put_u32be(items[i].k + 1, to);
        if ((rc = cd_put_key(c, items[i].k, items[i].kn, items[i].v, items[i].vn)))
            return rc;
    }
    return 0;
}

int cd_schema_copy_contents(cd_ctx *c, uint32_t from, uint32_t to)
{
    int rc = copy_prefix(c, CDK_FACET, from, to);
    return rc ? rc : copy_prefix(c, CDK_LINK_FACET, from, to);
}

int cd_count_prefix(cd_ctx *c, const void *prefix, size_t pn, size_t stop, size_t *out)
{
    cd_cursor *cur;
    *out = 0;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){prefix, pn}, &k, &v, c->err);
    while (rc == 0 && k.n >= pn && memcmp(k.p, prefix, pn) == 0 && (!stop || *out < stop)) {
        ++*out;
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

/* sid stored under an index key. */
static int lookup_sid(cd_ctx *c, const unsigned char *k, size_t kn, uint32_t *sid)
{
    cd_slice v;
    int rc = cd_get_key(c, k, kn, &v);
    if (rc)
        return rc;
    if (v.n != 4)
        return cd_corrupt(c, "schema index");
    *sid = cd_get_u32be(v.p);
    return 0;
}

/* The newest revision (highest schema number) of a published major family. */
static int newest_in_family(cd_ctx *c, const char *name, const char *version, uint32_t *sid)
{
    unsigned char k[CD_SCHEMA_KEY_MAX];
    size_t kn = cd_key_pub_family(k, name, version);
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice key, v;
    bool found = false;
    rc = cd_cursor_seek(cur, (cd_slice){k, kn}, &key, &v, c->err);
    while (rc == 0 && key.n >= kn && memcmp(key.p, k, kn) == 0) {
        if (v.n == 4 && (!found || cd_get_u32be(v.p) > *sid)) {
            *sid = cd_get_u32be(v.p);
            found = true;
        }
        rc = cd_cursor_next(cur, &key, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    return found ? 0 : CD_KV_NOTFOUND;
}

int cd_schema_from_arn(cd_ctx *c, const char *member, const cd_arn *arn, cd_schema *out)
{
    memset(out, 0, sizeof *out);
    unsigned char k[CD_SCHEMA_KEY_MAX];
    uint32_t sid = 0;
    int rc;
    switch (arn->kind) {
    case CD_ARN_DEVELOPMENT:
        rc = lookup_sid(c, k, cd_key_dev_name(k, arn->name), &sid);
        if (rc == CD_KV_NOTFOUND)
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "%s '%s': there is no development schema named '%s'", member,
                           arn->text, arn->name);
        break;
    case CD_ARN_PUBLISHED:
        if (arn->minor) {
            size_t kn = cd_key_pub_family(k, arn->name, arn->version);
            rc = lookup_sid(c, k, put_name(k, kn, arn->minor), &sid);
        } else {
            rc = newest_in_family(c, arn->name, arn->version, &sid);
        }
        if (rc == CD_KV_NOTFOUND)
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "%s '%s': schema '%s' is not published with version %s%s%s", member,
                           arn->text, arn->name, arn->version, arn->minor ? "/" : "",
                           arn->minor ? arn->minor : "");
        break;
    case CD_ARN_APPLIED:
    case CD_ARN_BASE:
        if ((rc = cd_directory_by_id(c, arn->directory_id, &out->dir))) {
            if (rc == CD_E_ResourceNotFoundException)
                cd_fail(c->err, rc, "%s '%s': there is no directory '%s'", member, arn->text,
                        arn->directory_id);
            return rc;
        }
        if (arn->kind == CD_ARN_BASE) {
            out->sid = CD_BASE_SCHEMA_SID;
            out->kind = CD_SCHEMA_BASE;
            out->name = CD_BASE_SCHEMA_NAME;
            out->version = CD_BASE_SCHEMA_VERSION;
            out->minor = "";
            out->dirnum = out->dir->num;
            out->arn = cd_arn_base(c, out->dir->arn);
            return out->arn ? 0 : cd_oom(c);
        }
        rc = lookup_sid(c, k, cd_key_applied(k, out->dir->num, arn->name, arn->version), &sid);
        if (rc == CD_KV_NOTFOUND)
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "%s '%s': schema %s/%s is not applied to directory '%s'", member,
                           arn->text, arn->name, arn->version, arn->directory_id);
        break;
    case CD_ARN_MANAGED:
        return cd_managed_schema(c, member, arn, out);
    default:
        return cd_fail(c->err, CD_E_InvalidArnException, "%s '%s' is not a schema ARN", member,
                       arn->text);
    }
    if (rc)
        return rc;
    cd_directory *dir = out->dir;
    if ((rc = cd_schema_get(c, sid, out)))
        return rc == CD_KV_NOTFOUND ? cd_corrupt(c, "schema index") : rc;
    out->dir = dir;
    if (out->kind == CD_SCHEMA_APPLIED && arn->minor) {
        /* An applied ARN may name a minor version the directory has (had) applied. */
        bool known = false;
        for (size_t i = 0; i < cd_len(out->minors); i++) {
            const cd_value *m = out->minors->u.list.items[i];
            if (cd_is(m, CDV_STRING) && strcmp(m->u.s.p, arn->minor) == 0)
                known = true;
        }
        if (!known)
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "%s '%s': directory '%s' has schema %s/%s applied, but not minor "
                           "version %s",
                           member, arn->text, arn->directory_id, arn->name, arn->version,
                           arn->minor);
    }
    switch (out->kind) {
    case CD_SCHEMA_DEVELOPMENT: out->arn = cd_arn_development(c, out->name); break;
    case CD_SCHEMA_PUBLISHED:
        out->arn = cd_arn_published(c, out->name, out->version, out->minor);
        break;
    default: out->arn = cd_arn_applied(c, out->dir->arn, out->name, out->version, NULL); break;
    }
    return out->arn ? 0 : cd_oom(c);
}

int cd_schema_open(cd_ctx *c, const cd_value *req, const char *member, unsigned kinds,
                   cd_schema *out)
{
    cd_arn arn;
    int rc = cd_arn_member(c, req, member, kinds, &arn);
    return rc ? rc : cd_schema_from_arn(c, member, &arn, out);
}

/* ================================================================ facets */

size_t cd_key_facet(unsigned char *k, uint32_t sid, const char *name)
{
    size_t n = strlen(name);
    if (n > CD_FACET_NAME_MAX)
        n = CD_FACET_NAME_MAX;   /* callers check the length first (too_long) */
    k[0] = CDK_FACET;
    cd_put_u32be(k + 1, sid);
    memcpy(k + 5, name, n);
    return 5 + n;
}

size_t cd_key_link_facet(unsigned char *k, uint32_t sid, const char *name, size_t n)
{
    k[0] = CDK_LINK_FACET;
    cd_put_u32be(k + 1, sid);
    memcpy(k + 5, name, n);
    return 5 + n;
}

static bool put_attrdef(cd_buf *b, const cd_attrdef *a)
{
    unsigned flags = (a->required ? ATTR_REQUIRED : 0) | (a->is_reference ? ATTR_REFERENCE : 0) |
                     (a->immutable ? ATTR_IMMUTABLE : 0) |
                     (a->default_value ? ATTR_DEFAULT : 0) | (a->rules ? ATTR_RULES : 0);
    if (a->is_reference)
        flags &= ATTR_REQUIRED | ATTR_REFERENCE;
    if (!cd_buf_strz(b, a->name) || !cd_buf_byte(b, (unsigned char)flags))
        return false;
    if (a->is_reference)
        return cd_buf_strz(b, a->target_facet) && cd_buf_strz(b, a->target_attr);
    return cd_buf_byte(b, (unsigned char)a->type) &&
           (!a->default_value || cd_buf_value(b, a->default_value)) &&
           (!a->rules || cd_buf_value(b, a->rules));
}

/* Reads one attribute; a definition's slot is itself (facet `owner`, schema sid). */
static void read_attrdef(cd_rd *r, cd_attrdef *a, const char *owner, uint32_t sid)
{
    memset(a, 0, sizeof *a);
    a->name = cd_rd_str(r, NULL);
    unsigned flags = cd_rd_u8(r);
    a->required = flags & ATTR_REQUIRED;
    a->target_sid = sid;
    if (flags & ATTR_REFERENCE) {
        a->is_reference = true;
        a->target_facet = cd_rd_str(r, NULL);
        a->target_attr = cd_rd_str(r, NULL);
        a->type = CD_ATTR_VARIANT;   /* until resolved */
        return;
    }
    a->target_facet = owner;
    a->target_attr = a->name;
    unsigned t = cd_rd_u8(r);
    if (t > CD_ATTR_VARIANT)
        r->bad = true;
    a->type = (cd_attr_type)t;
    a->immutable = flags & ATTR_IMMUTABLE;
    if (flags & ATTR_DEFAULT)
        a->default_value = cd_rd_value(r);
    if (flags & ATTR_RULES)
        a->rules = cd_rd_value(r);
}

static bool too_long(const char *name) { return strlen(name) > CD_FACET_NAME_MAX; }

int cd_facet_write(cd_ctx *c, uint32_t sid, const cd_facet *f)
{
    if (too_long(f->name))
        return cd_fail(c->err, CD_E_ValidationException,
                       "facet names are at most %d bytes", CD_FACET_NAME_MAX);
    cd_buf b;
    cd_buf_init(&b, c->a);
    if (!cd_buf_byte(&b, FACET_FORMAT) || !cd_buf_byte(&b, (unsigned char)(f->object_type + 1)) ||
        !cd_buf_byte(&b, f->dynamic ? 1 : 0) || !cd_buf_varint(&b, f->nattrs))
        return cd_oom(c);
    for (size_t i = 0; i < f->nattrs; i++)
        if (!put_attrdef(&b, &f->attrs[i]))
            return cd_oom(c);
    unsigned char k[CD_FACET_KEY_MAX];
    return cd_put_key(c, k, cd_key_facet(k, sid, f->name), b.p, b.len);
}

int cd_facet_delete(cd_ctx *c, uint32_t sid, const char *name)
{
    unsigned char k[CD_FACET_KEY_MAX];
    if (too_long(name))
        return 0;
    int rc = cd_del_key(c, k, cd_key_facet(k, sid, name));
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_facet_exists(cd_ctx *c, uint32_t sid, const char *name, bool *out)
{
    unsigned char k[CD_FACET_KEY_MAX];
    cd_slice v;
    *out = false;
    if (too_long(name))
        return 0;
    int rc = cd_get_key(c, k, cd_key_facet(k, sid, name), &v);
    *out = rc == 0;
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

/* Decodes a facet record into one arena block. */
static int decode_facet(cd_ctx *c, cd_slice v, uint32_t sid, const char *schema_arn,
                        const char *name, cd_facet **out)
{
    cd_rd r;
    cd_rd_init(&r, c->a, v);
    unsigned fmt = cd_rd_u8(&r);
    unsigned ot = cd_rd_u8(&r);
    unsigned flags = cd_rd_u8(&r);
    uint64_t n = cd_rd_varint(&r);
    if (r.bad || fmt != FACET_FORMAT || ot > CD_OT_INDEX + 1 || n > v.n)
        return cd_corrupt(c, "facet");
    cd_facet *f = cd_arena_alloc(c->a, sizeof *f + (size_t)n * sizeof(cd_attrdef));
    if (!f)
        return cd_oom(c);
    f->sid = sid;
    f->schema_arn = schema_arn;
    f->name = name;
    f->object_type = (cd_object_type)((int)ot - 1);
    f->dynamic = flags & 1;
    f->nattrs = (size_t)n;
    f->attrs = (cd_attrdef *)(f + 1);
    for (size_t i = 0; i < f->nattrs; i++)
        read_attrdef(&r, &f->attrs[i], name, sid);
    if (r.bad || r.p != r.end)
        return cd_corrupt(c, "facet");
    *out = f;
    return 0;
}

/* A stored facet of schema sid, or CD_KV_NOTFOUND (no message). */
static int load_facet(cd_ctx *c, uint32_t sid, const char *schema_arn, const char *name,
                      cd_facet **out)
{
    unsigned char k[CD_FACET_KEY_MAX];
    cd_slice v;
    if (too_long(name))
        return CD_KV_NOTFOUND;
    int rc = cd_get_key(c, k, cd_key_facet(k, sid, name), &v);
    if (rc)
        return rc;
    const char *nm = cd_arena_strndup(c->a, name, strlen(name));
    return nm ? decode_facet(c, v, sid, schema_arn, nm, out) : cd_oom(c);
}

/* ---- the base schema: NODE, LEAF_NODE, POLICY, INDEX ---- */

const char *const cd_base_facet_names[] = {"INDEX", "LEAF_NODE", "NODE", "POLICY", NULL};

static const cd_attrdef base_policy_attrs[] = {
    {.name = "policy_document", .required = true, .target_facet = "POLICY",
     .target_attr = "policy_document", .target_sid = CD_BASE_SCHEMA_SID, .type = CD_ATTR_BINARY},
    {.name = "policy_type", .required = true, .target_facet = "POLICY",
     .target_attr = "policy_type", .target_sid = CD_BASE_SCHEMA_SID, .type = CD_ATTR_STRING},
};

static const cd_attrdef base_index_attrs[] = {
    {.name = "index_is_unique", .target_facet = "INDEX", .target_attr = "index_is_unique",
     .target_sid = CD_BASE_SCHEMA_SID, .type = CD_ATTR_BOOLEAN},
    {.name = "ordered_indexed_attributes", .target_facet = "INDEX",
     .target_attr = "ordered_indexed_attributes", .target_sid = CD_BASE_SCHEMA_SID,
     .type = CD_ATTR_STRING},
};

/* Builds a base facet; arn is the base schema's ARN. */
static int base_facet(cd_ctx *c, const char *arn, const char *name, cd_facet **out)
{
    static const struct { const char *name; cd_object_type ot; const cd_attrdef *attrs;
                          size_t n; } base[] = {
        {"INDEX", CD_OT_INDEX, base_index_attrs, 2},
        {"LEAF_NODE", CD_OT_LEAF_NODE, NULL, 0},
        {"NODE", CD_OT_NODE, NULL, 0},
        {"POLICY", CD_OT_POLICY, base_policy_attrs, 2},
    };
    for (size_t i = 0; i < sizeof base / sizeof *base; i++) {
        if (strcmp(base[i].name, name) != 0)
            continue;
        cd_facet *f = cd_arena_alloc(c->a, sizeof *f + base[i].n * sizeof(cd_attrdef));
        if (!f)
            return cd_oom(c);
        f->sid = CD_BASE_SCHEMA_SID;
        f->schema_arn = arn;
        f->name = base[i].name;
        f->object_type = base[i].ot;
        f->dynamic = false;
        f->nattrs = base[i].n;
        f->attrs = (cd_attrdef *)(f + 1);
        if (base[i].n)
            memcpy(f->attrs, base[i].attrs, base[i].n * sizeof(cd_attrdef));
        *out = f;
        return 0;
    }
    return CD_KV_NOTFOUND;
}

int cd_base_facet(cd_ctx *c, const cd_directory *d, const char *name, cd_facet **out)
{
    const char *arn = cd_arn_base(c, d->arn);
    if (!arn)
        return cd_oom(c);
    return base_facet(c, arn, name, out);
}

int cd_facet_read(cd_ctx *c, const cd_schema *s, const char *name, cd_facet **out)
{
    int rc = s->kind == CD_SCHEMA_BASE      ? base_facet(c, s->arn, name, out)
             : s->kind == CD_SCHEMA_MANAGED ? cd_managed_facet(c, name, out)
                                            : load_facet(c, s->sid, s->arn, name, out);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_FacetNotFoundException,
                       "schema '%s' has no facet named '%s'", s->arn, name);
    return rc;
}

int cd_attrdef_cmp(const void *x, const void *y)
{
    return strcmp(((const cd_attrdef *)x)->name, ((const cd_attrdef *)y)->name);
}

const cd_attrdef *cd_facet_attr(const cd_facet *f, const char *name)
{
    size_t lo = 0, hi = f->nattrs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(name, f->attrs[mid].name);
        if (cmp == 0)
            return &f->attrs[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Resolves references (type, default, rules, immutability from their targets) and adds the
 * base policy attributes to POLICY facets: what the data plane sees. */
static int resolve_facet(cd_ctx *c, cd_facet *f)
{
    /* Targets in other facets: each loaded once per call. */
    cd_facet *other[8];
    size_t nother = 0;
    for (size_t i = 0; i < f->nattrs; i++) {
        cd_attrdef *a = &f->attrs[i];
        if (!a->is_reference)
            continue;
        cd_facet *tf = NULL;
        if (strcmp(a->target_facet, f->name) == 0) {
            tf = f;
        } else {
            for (size_t j = 0; j < nother && !tf; j++)
                if (strcmp(other[j]->name, a->target_facet) == 0)
                    tf = other[j];
            if (!tf) {
                int rc = load_facet(c, a->target_sid, f->schema_arn, a->target_facet, &tf);
                if (rc && rc != CD_KV_NOTFOUND)
                    return rc;
                if (tf && nother < sizeof other / sizeof *other)
                    other[nother++] = tf;
            }
        }
        const cd_attrdef *t = tf ? cd_facet_attr(tf, a->target_attr) : NULL;
        if (!t || t->is_reference)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "attribute '%s' of facet '%s' refers to %s.%s, which is not an "
                           "attribute definition of schema '%s'",
                           a->name, f->name, a->target_facet, a->target_attr, f->schema_arn);
        a->type = t->type;
        a->immutable = t->immutable;
        a->default_value = t->default_value;
        a->rules = t->rules;
    }
    if (f->object_type != CD_OT_POLICY || f->sid == CD_BASE_SCHEMA_SID)
        return 0;
    /* Every POLICY facet reaches the base POLICY facet's two attributes (same slots). */
    size_t add = 0;
    for (size_t i = 0; i < 2; i++)
        if (!cd_facet_attr(f, base_policy_attrs[i].name))
            add++;
    if (!add)
        return 0;
    cd_attrdef *attrs = cd_arena_alloc(c->a, (f->nattrs + add) * sizeof *attrs);
    if (!attrs)
        return cd_oom(c);
    if (f->nattrs)
        memcpy(attrs, f->attrs, f->nattrs * sizeof *attrs);
    size_t n = f->nattrs;
    for (size_t i = 0; i < 2; i++)
        if (!cd_facet_attr(f, base_policy_attrs[i].name)) {
            attrs[n] = base_policy_attrs[i];
            attrs[n].is_reference = true;
            n++;
        }
    qsort(attrs, n, sizeof *attrs, cd_attrdef_cmp);
    f->attrs = attrs;
    f->nattrs = n;
    return 0;
}

/* ---- the handle's facet cache (store.h) ---- */

/* The cache, emptied first when it holds another snapshot.  A write transaction has only
 * the memo of its BatchWrite call, if any (store.h): NULL otherwise. */
static cd_facet_cache *facet_cache(cd_ctx *c)
{
    uint64_t snap = cd_kv_snapshot(c->txn);
    cd_facet_cache *fc = &c->store->facet_cache;
    if (!snap)
        return c->memo ? &c->memo->facets : NULL;
    if (fc->snapshot != snap) {
        if (fc->a)
            cd_arena_reset(fc->a);
        fc->n = 0;
        fc->snapshot = snap;
    }
    return fc;
}

/* A cached facet as the caller's own: the struct, its attributes and their values are
 * copied into the call's arena (the caller may change them); strings are shared. */
static int facet_from_cache(cd_ctx *c, const cd_facet *cf, cd_facet **out)
{
    cd_facet *f = cd_arena_alloc(c->a, sizeof *f + cf->nattrs * sizeof(cd_attrdef));
    if (!f)
        return cd_oom(c);
    *f = *cf;
    f->attrs = (cd_attrdef *)(f + 1);
    for (size_t i = 0; i < cf->nattrs; i++) {
        cd_attrdef *a = &f->attrs[i];
        *a = cf->attrs[i];
        if ((a->default_value && !(a->default_value = cd_value_copy(c->a, a->default_value))) ||
            (a->rules && !(a->rules = cd_value_copy(c->a, a->rules))))
            return cd_oom(c);
    }
    *out = f;
    return 0;
}

static const char *cache_str(cd_arena *a, const char *s)
{
    return s ? cd_arena_strndup(a, s, strlen(s)) : NULL;
}

/* Adds facet f, which SchemaArn schema_arn names in directory dirnum; when memory is short
 * or the cache is full it is just not added. */
static void cache_facet(cd_facet_cache *fc, uint32_t dirnum, const char *schema_arn,
                        size_t schema_arn_len, const cd_facet *f)
{
    if (fc->n == CD_FACET_CACHE_N || (!fc->a && !(fc->a = cd_arena_new())))
        return;
    cd_arena *a = fc->a;
    cd_facet *cf = cd_arena_alloc(a, sizeof *cf + f->nattrs * sizeof(cd_attrdef));
    if (!cf)
        return;
    *cf = *f;
    cf->attrs = (cd_attrdef *)(cf + 1);
    bool ok = (cf->schema_arn = cache_str(a, f->schema_arn)) && (cf->name = cache_str(a, f->name));
    for (size_t i = 0; ok && i < f->nattrs; i++) {
        const cd_attrdef *s = &f->attrs[i];
        cd_attrdef *t = &cf->attrs[i];
        *t = *s;
        ok = (t->name = cache_str(a, s->name)) &&
             (!s->target_facet || (t->target_facet = cache_str(a, s->target_facet))) &&
             (!s->target_attr || (t->target_attr = cache_str(a, s->target_attr))) &&
             (!s->default_value || (t->default_value = cd_value_copy(a, s->default_value))) &&
             (!s->rules || (t->rules = cd_value_copy(a, s->rules)));
    }
    const char *sa = cd_arena_strndup(a, schema_arn, schema_arn_len);
    if (!ok || !sa)
        return;   /* what was copied stays in the arena until the snapshot changes */
    fc->e[fc->n].dirnum = dirnum;
    fc->e[fc->n].schema_arn = sa;
    fc->e[fc->n].schema_arn_len = schema_arn_len;
    fc->e[fc->n].facet = cf->name;
    fc->e[fc->n].f = cf;
    fc->n++;
}

/* ---- catalog.h ---- */

/* Facet `name` of schema sid, applied to d as schema/version, loaded and resolved. */
static int load_applied_facet(cd_ctx *c, const cd_directory *d, uint32_t sid,
                              const char *schema, const char *version, const char *name,
                              cd_facet **out)
{
    const char *sarn = cd_arn_applied(c, d->arn, schema, version, NULL);
    if (!sarn)
        return cd_oom(c);
    int rc = load_facet(c, sid, sarn, name, out);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_FacetNotFoundException, "schema '%s' has no facet named '%s'",
                       sarn, name);
    return rc ? rc : resolve_facet(c, *out);
}

static int find_facet(cd_ctx *c, const cd_directory *d, const cd_value *schema_facet,
                      cd_facet **out)
{
    size_t an;
    const char *arn_text = cd_get_str(schema_facet, "SchemaArn", &an);
    const char *name = cd_get_str(schema_facet, "FacetName", NULL);
    if (!arn_text || !name)
        return cd_fail(c->err, CD_E_ValidationException,
                       "a SchemaFacet needs both SchemaArn and FacetName");
    /* Data-plane reads find the facets they use in the handle's cache while the store has
     * not changed (same snapshot, see store.h), a BatchWrite's items in the call's memo;
     * other write transactions always read them.  An
     * entry is keyed by the request's own SchemaArn text, which parsed and passed every
     * check below for this directory and handle when the entry was made. */
    cd_facet_cache *fc = facet_cache(c);
    for (size_t i = 0; fc && i < fc->n; i++)
        if (fc->e[i].dirnum == d->num && strcmp(fc->e[i].facet, name) == 0 &&
            fc->e[i].schema_arn_len == an && memcmp(fc->e[i].schema_arn, arn_text, an) == 0)
            return facet_from_cache(c, fc->e[i].f, out);
    cd_arn arn;
    int rc = cd_arn_parse(c, "SchemaArn", arn_text, an,
                          CD_ARN_APPLIED | CD_ARN_BASE | CD_ARN_MANAGED, &arn);
    if (rc)
        return rc;
    if (arn.kind == CD_ARN_MANAGED)
        return cd_managed_find_facet(c, d, &arn, name, out);
    if (arn.minor)
        return cd_fail(c->err, CD_E_InvalidArnException,
                       "SchemaArn '%s' names minor version %s; data-plane requests name the "
                       "applied schema without one (%.*s), and use the minor version in use",
                       arn.text, arn.minor,
                       (int)(strlen(arn.text) - strlen(arn.minor) - 1), arn.text);
    if (strcmp(arn.directory_id, d->id) != 0)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "schema '%s' belongs to another directory; directory '%s' can use its "
                       "own applied schemas (%s/schema/<Name>/<Version>) and its base schema",
                       arn.text, d->id, d->arn);
    if (arn.kind == CD_ARN_BASE) {
        rc = cd_base_facet(c, d, name, out);
        if (rc == CD_KV_NOTFOUND)
            return cd_fail(c->err, CD_E_FacetNotFoundException,
                           "the base schema '%s' has no facet named '%s' (it has NODE, "
                           "LEAF_NODE, POLICY and INDEX)", arn.text, name);
        return rc;
    }
    unsigned char k[CD_SCHEMA_KEY_MAX];
    uint32_t sid = 0;
    /* An applied-schema ARN of this directory that names no applied schema is an unknown
     * ARN: ResourceNotFoundException (semantics §4.3 rule 1). */
    rc = lookup_sid(c, k, cd_key_applied(k, d->num, arn.name, arn.version), &sid);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "schema %s/%s is not applied to directory '%s' (SchemaArn '%s')",
                       arn.name, arn.version, d->id, arn.text);
    if (rc)
        return rc;
    if ((rc = load_applied_facet(c, d, sid, arn.name, arn.version, name, out)))
        return rc;
    if (fc)
        cache_facet(fc, d->num, arn_text, an, *out);
    return 0;
}

/* No data-plane operation lists FacetNotFoundException: a SchemaFacet that names no facet
 * of its schema is a request the schema cannot validate (semantics §4.3 rule 1), and a
 * BatchWriteException or BatchRead item can only carry the types the model enumerates. */
int cd_facet_find(cd_ctx *c, const cd_directory *d, const cd_value *schema_facet,
                  cd_facet **out)
{
    int rc = find_facet(c, d, schema_facet, out);
    if (rc == CD_E_FacetNotFoundException)
        c->err->code = rc = CD_E_FacetValidationException;
    return rc;
}

int cd_facet_by_sid(cd_ctx *c, const cd_directory *d, uint32_t sid, const char *name,
                    cd_facet **out)
{
    if (sid == CD_BASE_SCHEMA_SID) {
        int rc = cd_base_facet(c, d, name, out);
        if (rc == CD_KV_NOTFOUND)
            return cd_fail(c->err, CD_E_FacetNotFoundException,
                           "the base schema has no facet named '%s'", name);
        return rc;
    }
    if (sid == CD_MANAGED_SCHEMA_SID) {
        int rc = cd_managed_facet(c, name, out);
        if (rc == CD_KV_NOTFOUND)
            return cd_fail(c->err, CD_E_FacetNotFoundException,
                           "the managed schema has no facet named '%s'", name);
        return rc;
    }
    cd_schema s;
    int rc = cd_schema_get(c, sid, &s);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_FacetNotFoundException,
                       "facet '%s' belongs to a schema that no longer exists", name);
    if (rc)
        return rc;
    return load_applied_facet(c, d, sid, s.name, s.version, name, out);
}

/* ================================================================ typed-link facets */

int cd_link_facet_write(cd_ctx *c, uint32_t sid, const cd_link_facet *f)
{
    cd_buf b;
    cd_buf_init(&b, c->a);
    if (!cd_buf_byte(&b, LINK_FORMAT) || !cd_buf_varint(&b, f->nattrs))
        return cd_oom(c);
    for (size_t i = 0; i < f->nattrs; i++)
        if (!put_attrdef(&b, &f->attrs[i]))
            return cd_oom(c);
    if (!cd_buf_varint(&b, f->nidentity))
        return cd_oom(c);
    for (size_t i = 0; i < f->nidentity; i++)
        if (!cd_buf_strz(&b, f->identity[i]))
            return cd_oom(c);
    unsigned char k[5 + CD_LINK_NAME_MAX];
    size_t n = strlen(f->name);
    if (n > CD_LINK_NAME_MAX)
        return cd_fail(c->err, CD_E_ValidationException,
                       "typed link facet names are at most %d bytes in clouddir",
                       CD_LINK_NAME_MAX);
    return cd_put_key(c, k, cd_key_link_facet(k, sid, f->name, n), b.p, b.len);
}

int cd_link_facet_delete(cd_ctx *c, uint32_t sid, const char *name)
{
    unsigned char k[5 + CD_LINK_NAME_MAX];
    size_t n = strlen(name);
    if (n > CD_LINK_NAME_MAX)
        return 0;
    int rc = cd_del_key(c, k, cd_key_link_facet(k, sid, name, n));
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_link_facet_exists(cd_ctx *c, uint32_t sid, const char *name, bool *out)
{
    unsigned char k[5 + CD_LINK_NAME_MAX];
    size_t n = strlen(name);
    *out = false;
    if (n > CD_LINK_NAME_MAX)
        return 0;
    cd_slice v;
    int rc = cd_get_key(c, k, cd_key_link_facet(k, sid, name, n), &v);
    *out = rc == 0;
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_link_facet_read(cd_ctx *c, const cd_schema *s, const char *name, cd_link_facet **out)
{
    unsigned char k[5 + CD_LINK_NAME_MAX];
    size_t n = strlen(name);
    cd_slice v;
    int rc = s->kind == CD_SCHEMA_MANAGED ? cd_managed_link_facet(c, name, out)
             : n > CD_LINK_NAME_MAX || s->kind == CD_SCHEMA_BASE
                 ? CD_KV_NOTFOUND
                 : cd_get_key(c, k, cd_key_link_facet(k, s->sid, name, n), &v);
    if (s->kind == CD_SCHEMA_MANAGED && rc != CD_KV_NOTFOUND)
        return rc;   /* built in (managed.c) */
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_FacetNotFoundException,
                       "schema '%s' has no typed link facet named '%s'", s->arn, name);
    if (rc)
        return rc;
    cd_rd r;
    cd_rd_init(&r, c->a, v);
    unsigned fmt = cd_rd_u8(&r);
    uint64_t na = cd_rd_varint(&r);
    if (r.bad || fmt != LINK_FORMAT || na > v.n)
        return cd_corrupt(c, "typed link facet");
    cd_link_facet *f = cd_arena_alloc(c->a, sizeof *f + (size_t)na * sizeof(cd_attrdef));
    const char *nm = cd_arena_strndup(c->a, name, n);
    if (!f || !nm)
        return cd_oom(c);
    f->sid = s->sid;
    f->schema_arn = s->arn;
    f->name = nm;
    f->nattrs = (size_t)na;
    f->attrs = (cd_attrdef *)(f + 1);
    for (size_t i = 0; i < f->nattrs; i++)
        read_attrdef(&r, &f->attrs[i], nm, s->sid);
    uint64_t ni = cd_rd_varint(&r);
    if (r.bad || ni > v.n)
        return cd_corrupt(c, "typed link facet");
    f->nidentity = (size_t)ni;
    f->identity = cd_arena_alloc(c->a, (ni ? (size_t)ni : 1) * sizeof *f->identity);
    if (!f->identity)
        return cd_oom(c);
    for (size_t i = 0; i < f->nidentity; i++)
        f->identity[i] = cd_rd_str(&r, NULL);
    if (r.bad || r.p != r.end)
        return cd_corrupt(c, "typed link facet");
    *out = f;
    return 0;
}

/* ================================================================ listings */

int cd_page_scan(cd_ctx *c, const cd_value *req, const void *prefix, size_t pn,
                 const void *scope, size_t sn, int limit, cd_page_fn fn, void *ud,
                 const char **token)
{
    *token = NULL;
    const unsigned char *resume;
    size_t resume_n;
    int rc = cd_token_read(c, req, scope, sn, &resume, &resume_n);
    if (rc)
        return rc;
    size_t seek_n = pn + resume_n;
    if (seek_n > CD_KV_MAX_KEY)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "NextToken is not valid here");
    unsigned char *seek = cd_arena_alloc(c->a, seek_n ? seek_n : 1);
    if (!seek)
        return cd_oom(c);
    memcpy(seek, prefix, pn);
    if (resume_n)
        memcpy(seek + pn, resume, resume_n);

    int size = limit > 0 ? limit : cd_page_size(c, req);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice k, v, last = {NULL, 0};
    bool more = false;
    int count = 0;
    rc = cd_cursor_seek(cur, (cd_slice){seek, seek_n}, &k, &v, c->err);
    if (rc == 0 && resume && k.n == seek_n && memcmp(k.p, seek, seek_n) == 0)
        rc = cd_cursor_next(cur, &k, &v, c->err);   /* resume strictly after the token's key */
    while (rc == 0 && k.n >= pn && memcmp(k.p, prefix, pn) == 0) {
        cd_slice key = {(const unsigned char *)k.p + pn, k.n - pn}, res = key;
        bool full = count >= size;
        int r = fn(c, key, v, full, ud, &res);
        if (r < 0 || r > 1) {
            rc = r;
            break;
        }
        if (r == 1 && full) {
            more = true;
            break;
        }
        if (r == 1) {
            count++;
            unsigned char *copy = cd_arena_alloc(c->a, res.n ? res.n : 1);
            if (!copy) {
                rc = cd_oom(c);
                break;
            }
            if (res.n)
                memcpy(copy, res.p, res.n);
            last = (cd_slice){copy, res.n};
        }
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (more) {
        *token = cd_token_make(c, scope, sn, last.p, last.n);
        if (!*token)
            return cd_oom(c);
    }
    return 0;
}

int cd_page_array(cd_ctx *c, const cd_value *req, const void *scope, size_t sn,
                  const char *const *names, size_t n, bool sorted, int limit, size_t *from,
                  size_t *to, const char **token)
{
    *token = NULL;
    const unsigned char *resume;
    size_t resume_n;
    int rc = cd_token_read(c, req, scope, sn, &resume, &resume_n);
    if (rc)
        return rc;
    size_t start = 0;
    if (resume && sorted) {
        /* first name > resume */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2, ln = strlen(names[mid]);
            int cmp = memcmp(names[mid], resume, ln < resume_n ? ln : resume_n);
            if (cmp < 0 || (cmp == 0 && ln <= resume_n))
                lo = mid + 1;
            else
                hi = mid;
        }
        start = lo;
    } else if (resume) {
        if (resume_n != 4)
            return cd_fail(c->err, CD_E_InvalidNextTokenException, "NextToken is not valid here");
        start = cd_get_u32be(resume);
        if (start > n)
            start = n;
    }
    size_t size = (size_t)(limit > 0 ? limit : cd_page_size(c, req));
    size_t end = n - start > size ? start + size : n;
    *from = start;
    *to = end;
    if (end < n) {
        unsigned char pos[4];
        cd_put_u32be(pos, (uint32_t)end);
        *token = sorted ? cd_token_make(c, scope, sn, names[end - 1], strlen(names[end - 1]))
                        : cd_token_make(c, scope, sn, pos, 4);
        if (!*token)
            return cd_oom(c);
    }
    return 0;
}

int cd_page_reply(cd_ctx *c, const char *member, cd_value *items, const char *token,
                  cd_value **resp)
{
    cd_value *r = cd_map(c->a);
    if (!r || !items || !cd_map_set(c->a, r, member, items) ||
        (token && !cd_map_set(c->a, r, "NextToken", cd_strz(c->a, token))))
        return cd_oom(c);
    *resp = r;
    return 0;
}

/* The names stored under prefix (F or L) + sid, in key (strcmp) order, in the arena. */
int cd_stored_names(cd_ctx *c, unsigned char prefix, uint32_t sid, const char ***names,
                    size_t *n)
{
    unsigned char p[5];
    p[0] = prefix;
    cd_put_u32be(p + 1, sid);
    size_t cap = 16;
    *n = 0;
    *names = cd_arena_alloc(c->a, cap * sizeof **names);
    if (!*names)
        return cd_oom(c);
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){p, 5}, &k, &v, c->err);
    while (rc == 0 && k.n >= 5 && memcmp(k.p, p, 5) == 0) {
        if (*n == cap) {
            const char **more = cd_arena_alloc(c->a, 2 * cap * sizeof *more);
            if (!more) {
                rc = cd_oom(c);
                break;
            }
            memcpy(more, *names, cap * sizeof *more);
            *names = more;
            cap *= 2;
        }
        if (!((*names)[(*n)++] = cd_arena_strndup(c->a, (const char *)k.p + 5, k.n - 5))) {
            rc = cd_oom(c);
            break;
        }
        rc = cd_cursor_next(cur, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}
