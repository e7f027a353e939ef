/* index.c — indexes (semantics §6): CreateIndex, AttachToIndex, DetachFromIndex, ListIndex,
 * ListAttachedIndices, and the upkeep of index entries when attached objects change (the
 * graph.h hooks object.c calls inside the same transaction).
 *
 * An index is an object of type INDEX with the one base facet CloudDirectory/1.0 INDEX.
 * Its definition is kept where GetObjectAttributes shows it, in the base INDEX slots:
 *   index_is_unique             BOOLEAN
 *   ordered_indexed_attributes  STRING "<SchemaArn>*<FacetName>*<AttributeName>"
 * (the facet-based index: "<DirectoryArn>/schema/CloudDirectory/1.0*facets*facets").
 * CreateIndex writes them directly; any later write to them is refused (value_changed), so
 * the definition never changes under its entries.
 *
 * Keys (O = CDK_OBJECT, numbers big-endian; sub-key tags from keys.h):
 *
 *   O | index oid | 'X' | enc | target oid        -> target tag (8) | stored value
 *       the entries, an ordkey.h entry set (prefix O|index|'X', suffix the target's number,
 *       long encodings overflow into the value as ordkey.h describes).  enc is the ordkey
 *       encoding of the target's value, or the "missing" slot (0xF0) when it has none;
 *       the payload keeps the value in its stored form (attribute.h), so ListIndex returns
 *       it verbatim (a NUMBER as written) without reading the target.  A missing entry's
 *       payload is the tag alone.  A facet-based index has one entry per facet of the
 *       target, each a STRING "<SchemaName>/<Version>/<FacetName>".
 *   O | target oid | 'I' | index oid              -> index tag (8) | flags (1) | sid (4) |
 *       facet | 0 | attribute | 0 | count (2) | count × (len (4) | enc)
 *       one per attachment: how to find the target's entries again (their encodings) and
 *       which slot they follow.  flags: 1 unique, 2 facet-based (slot then empty).
 *
 * Upkeep.  Every value write or delete of an object calls cd_index_value_changed: one seek
 * on O|oid|'I' when the object is in no index.  Otherwise each attachment following the
 * slot moves its entry to the new encoding (a deleted value makes it a missing-value
 * entry).  AddFacetToObject / RemoveFacetFromObject call cd_index_facets_changed, which
 * moves the entries of facet-based indexes.  When an object loses every facet that carries
 * an indexed attribute, its entry stays, as a missing-value entry (its values were deleted
 * with the facet): the attachment is explicit, so only DetachFromIndex ends it.
 *
 * Decisions on UNCONFIRMED points (semantics §6, §13):
 *   - unique indexes: two present equal values (equal encodings: "1" and "1.0" are equal)
 *     clash with LinkNameAlreadyInUseException, at attach and on update; missing values
 *     never clash;
 *   - attaching an object already attached: LinkNameAlreadyInUseException (§13 #10);
 *   - INDEX and POLICY objects cannot be index targets: InvalidAttachmentException;
 *   - IndexedAttributeMissingException only when no facet of the target defines or
 *     references the indexed attribute; with such a facet but no value: a missing entry;
 *   - under limits = "aws": at most 3 unique indexes per object, indexed values of at most
 *     512 bytes (LimitExceededException, at attach and on update);
 *   - ListIndex ranges: at most one, naming the indexed attribute (AttributeKey may be left
 *     out); another key is a FacetValidationException, a second range or a bad range a
 *     ValidationException.  For a REQUIRED_ALWAYS attribute LAST_BEFORE_MISSING_VALUES is
 *     LAST (§6.4), so its rare missing entries (facet removed) are then included;
 *   - missing values are listed with Value = {} (a TypedAttributeValue with no member, the
 *     "all null" value AWS shows);
 *   - ListAttachedIndices: IndexedAttributes holds the target's indexed value(s) for that
 *     index (Value = {} when missing), ordered by index. */
#include <string.h>
#include "graph.h"
#include "selector.h"
#include "hierarchy.h"
#include "keys.h"
#include "token.h"
#include "ordkey.h"
#include "arn.h"
#include "schema_model.h"   /* cd_object_type_name */

#define AWS_MAX_UNIQUE_INDEXES 3
#define AWS_MAX_INDEXED_VALUE 512
#define FLAG_UNIQUE 1
#define FLAG_FACETS 2
#define ATTACH_KEY (CD_OBJECT_SUB + 8)   /* O | target | 'I' | index */

static const char facets_name[] = "facets";

/* ---------------------------------------------------------------- small helpers */

static size_t attach_key(unsigned char k[ATTACH_KEY], uint64_t target, uint64_t index)
{
    cd_object_sub_prefix(k, target, CDO_INDEX_OF);
    cd_put_u64be(k + CD_OBJECT_SUB, index);
    return ATTACH_KEY;
}

/* The entry set of one index; prefix must hold CD_OBJECT_SUB bytes. */
static cd_ordlayout entry_layout(unsigned char *prefix, uint64_t index)
{
    cd_object_sub_prefix(prefix, index, CDO_INDEX_ENTRY);
    return (cd_ordlayout){prefix, CD_OBJECT_SUB, 8};
}

/* ---------------------------------------------------------------- definitions */

typedef struct index_def {
    bool unique, facets;
    cd_attr_type type;        /* STRING for the facet-based index */
    bool optional;            /* whether missing values have their own place (§6.4) */
    cd_slot slot;             /* the indexed slot (attribute indexes) */
    const char *arn, *facet, *name;   /* the key as responses show it */
} index_def;

static const cd_slot slot_unique = {CD_BASE_SCHEMA_SID, "INDEX", "index_is_unique"};
static const cd_slot slot_spec = {CD_BASE_SCHEMA_SID, "INDEX", "ordered_indexed_attributes"};

static bool is_facets_key(const char *base, const char *arn, const char *facet,
                          const char *name)
{
    return strcmp(arn, base) == 0 && strcmp(facet, facets_name) == 0 &&
           strcmp(name, facets_name) == 0;
}

/* Resolves an indexed attribute key (arn, facet, name) into def.  FacetValidationException
 * for an unknown facet or attribute, UnsupportedIndexTypeException for a reference. */
static int resolve_key(cd_ctx *c, const cd_directory *d, const char *arn, const char *facet,
                       const char *name, const char *what, index_def *def)
{
    const char *base = cd_arn_base(c, d->arn);
    if (!base)
        return cd_oom(c);
    def->arn = arn;
    def->facet = facet;
    def->name = name;
    if (is_facets_key(base, arn, facet, name)) {
        def->facets = true;
        def->type = CD_ATTR_STRING;
        def->optional = false;   /* every object has a facet: no missing values */
        def->slot = (cd_slot){0, "", ""};
        return 0;
    }
    cd_value *sf = cd_map(c->a);
    if (!sf || !cd_map_set(c->a, sf, "SchemaArn", cd_strz(c->a, arn)) ||
        !cd_map_set(c->a, sf, "FacetName", cd_strz(c->a, facet)))
        return cd_oom(c);
    cd_facet *f;
    int rc = cd_facet_find(c, d, sf, &f);
    if (rc)
        return rc;
    def->arn = f->schema_arn;
    if (f->dynamic) {
        if (!*name)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: the attribute name is empty", what);
        def->slot = (cd_slot){f->sid, f->name, name};
        def->type = CD_ATTR_VARIANT;
        def->optional = true;
        return 0;
    }
    const cd_attrdef *a = cd_facet_attr(f, name);
    if (!a)
        return cd_fail(c->err, CD_E_FacetValidationException, "%s: facet '%s' has no attribute "
                       "'%s'", what, f->name, name);
    if (a->is_reference)
        return cd_fail(c->err, CD_E_UnsupportedIndexTypeException,
                       "%s: %s is an attribute reference; index the attribute it refers to "
                       "(%s.%s)", what, cd_attr_label(c, f, name), a->target_facet,
                       a->target_attr);
    def->slot = cd_attr_slot(f, a);
    def->type = a->type;
    def->optional = !a->required;
    return 0;
}

/* Reads one base INDEX value of an index object. */
static int read_builtin(cd_ctx *c, uint64_t oid, const cd_slot *s, cd_attrval *v)
{
    unsigned char key[CD_SLOT_KEY_MAX];
    cd_slice got;
    int rc = cd_get_key(c, key, cd_slot_key(key, oid, s), &got);
    if (rc == CD_KV_NOTFOUND)
        return cd_damaged(c, "an index object has no definition");
    if (rc)
        return rc;
    if (!cd_attrval_decode(got.p, got.n, v))
        return cd_damaged(c, "an index definition does not decode");
    return 0;
}

/* The definition of index object idx (its type checked by the caller). */
static int load_def(cd_ctx *c, const cd_directory *d, const cd_object *idx, index_def *def)
{
    cd_attrval u, spec;
    int rc = read_builtin(c, idx->oid, &slot_unique, &u);
    if (rc || (rc = read_builtin(c, idx->oid, &slot_spec, &spec)))
        return rc;
    memset(def, 0, sizeof *def);
    def->unique = u.type == CD_ATTR_BOOLEAN && u.b;
    /* <SchemaArn>*<FacetName>*<AttributeName>: names have no '*', so split at the last two. */
    char *s = cd_arena_strndup(c->a, spec.p, spec.n);
    if (!s)
        return cd_oom(c);
    char *star2 = strrchr(s, '*');
    if (!star2 || star2 == s)
        return cd_damaged(c, "an index definition does not parse");
    *star2 = '\0';
    char *star1 = strrchr(s, '*');
    if (!star1)
        return cd_damaged(c, "an index definition does not parse");
    *star1 = '\0';
    return resolve_key(c, d, s, star1 + 1, star2 + 1, "ordered_indexed_attributes", def);
}

/* Resolves the request member `member` to an index object and its definition. */
static int select_index(cd_ctx *c, const cd_directory *d, const cd_value *req,
                        const char *member, cd_object *idx, index_def *def)
{
    int rc = cd_select(c, d, cd_get(req, member), member, idx);
    if (rc)
        return rc;
    if (idx->type != CD_OT_INDEX)
        return cd_fail(c->err, CD_E_NotIndexException, "%s: the object is a %s, not an index",
                       member, cd_object_type_name(idx->type));
    return load_def(c, d, idx, def);
}

/* {SchemaArn, FacetName, Name} of the indexed attribute. */
static cd_value *def_key(cd_ctx *c, const index_def *def)
{
    cd_value *k = cd_map(c->a);
    if (!k || !cd_map_set(c->a, k, "SchemaArn", cd_strz(c->a, def->arn)) ||
        !cd_map_set(c->a, k, "FacetName", cd_strz(c->a, def->facet)) ||
        !cd_map_set(c->a, k, "Name", cd_strz(c->a, def->name)))
        return NULL;
    return k;
}

/* ---------------------------------------------------------------- a target's values */

/* One value a target holds for an index: its encoding and the entry payload. */
typedef struct ival {
    cd_buf enc, payload;
} ival;

/* The value list of a target for def: n values in out (arena).  Attribute indexes give
 * one (perhaps missing); facet-based ones one per facet. */
typedef struct ivals {
    ival *v;
    size_t n;
} ivals;

static int check_size(cd_ctx *c, const index_def *def, const cd_attrval *v)
{
    if (cd_aws_limits(c) && v->type != CD_ATTR_BOOLEAN && v->type != CD_ATTR_DATETIME &&
        v->n > AWS_MAX_INDEXED_VALUE)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "the value of %s.%s has %zu bytes; an indexed value has at most %d "
                       "(limits = \"aws\")", def->facet, def->name, v->n,
                       AWS_MAX_INDEXED_VALUE);
    return 0;
}

/* "<SchemaName>/<Version>/<FacetName>" of one facet of an object. */
static const char *facet_value(cd_ctx *c, const cd_objfacet *f)
{
    const char *s = strstr(f->schema_arn, "/schema/");
    s = s ? s + 8 : f->schema_arn;
    return cd_arena_printf(c->a, "%s/%s", s, f->name);
}

static int target_values(cd_ctx *c, const index_def *def, const cd_object *t, ivals *out)
{
    out->n = def->facets ? t->nfacets : 1;
    out->v = cd_arena_alloc(c->a, (out->n ? out->n : 1) * sizeof *out->v);
    if (!out->v)
        return cd_oom(c);
    for (size_t i = 0; i < out->n; i++) {
        ival *x = &out->v[i];
        cd_buf_init(&x->enc, c->a);
        cd_buf_init(&x->payload, c->a);
        if (!cd_buf_put(&x->payload, t->tag, 8))
            return cd_oom(c);
        if (def->facets) {
            const char *s = facet_value(c, &t->facets[i]);
            cd_attrval v = {.type = CD_ATTR_STRING, .p = s, .n = s ? strlen(s) : 0};
            if (!s || !cd_ordkey_put(&x->enc, &v) || !cd_attrval_encode(&x->payload, &v))
                return cd_oom(c);
            continue;
        }
        unsigned char key[CD_SLOT_KEY_MAX];
        size_t kn = cd_slot_key(key, t->oid, &def->slot);
        cd_slice got;
        int rc = kn ? cd_get_key(c, key, kn, &got) : CD_KV_NOTFOUND;
        if (rc == CD_KV_NOTFOUND) {
            if (!cd_ordkey_put_missing(&x->enc))
                return cd_oom(c);
            continue;
        }
        cd_attrval v;
        if (rc)
            return rc;
        if (!cd_attrval_decode(got.p, got.n, &v))
            return cd_damaged(c, "an attribute value does not decode");
        if ((rc = check_size(c, def, &v)))
            return rc;
        if (!cd_ordkey_put(&x->enc, &v) || !cd_buf_put(&x->payload, got.p, got.n))
            return cd_oom(c);
    }
    return 0;
}

static bool is_missing(const cd_buf *enc)
{
    return enc->len == 1 && enc->p[0] == CD_ORD_TAG_MISSING;
}

/* ---------------------------------------------------------------- entries */

/* Whether another object than `self` has an entry with encoding enc in the index. */
static int unique_clash(cd_ctx *c, uint64_t index, const void *enc, size_t n, uint64_t self,
                        bool *clash)
{
    unsigned char prefix[CD_OBJECT_SUB];
    cd_ordlayout l = entry_layout(prefix, index);
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_ordscan s;
    cd_ordentry e;
    *clash = false;
    rc = cd_ordscan_open(c, &s, cur, &l, enc, n, NULL, NULL, 0, NULL);
    /* Encodings are prefix-free: entries starting with enc have exactly enc. */
    while (rc == 0 && (rc = cd_ordscan_next(&s, &e)) == 0)
        if (cd_get_u64be(e.suffix) != self) {
            *clash = true;
            break;
        }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

static int clash_error(cd_ctx *c, const index_def *def, const cd_buf *enc, const char *what)
{
    cd_attrval v;
    bool missing;
    const char *shown = "";
    if (cd_ordkey_get(c->a, enc->p, enc->len, &v, &missing) && !missing &&
        (v.type == CD_ATTR_STRING || v.type == CD_ATTR_NUMBER))
        shown = cd_arena_printf(c->a, " ('%.*s')", (int)(v.n > 100 ? 100 : v.n), v.p);
    return cd_fail(c->err, CD_E_LinkNameAlreadyInUseException,
                   "%s: the index is unique and another object already has this value of "
                   "%s.%s%s", what, def->facet, def->name, shown ? shown : "");
}

/* Checks that none of vals clashes in a unique index (missing values never clash). */
static int check_unique(cd_ctx *c, const index_def *def, uint64_t index, uint64_t self,
                        const ivals *vals, const char *what)
{
    if (!def->unique)
        return 0;
    for (size_t i = 0; i < vals->n; i++) {
        bool clash;
        if (is_missing(&vals->v[i].enc))
            continue;
        int rc = unique_clash(c, index, vals->v[i].enc.p, vals->v[i].enc.len, self, &clash);
        if (rc)
            return rc;
        if (clash)
            return clash_error(c, def, &vals->v[i].enc, what);
    }
    return 0;
}

static int put_entry(cd_ctx *c, uint64_t index, uint64_t target, const ival *x)
{
    unsigned char prefix[CD_OBJECT_SUB], suffix[8];
    cd_ordlayout l = entry_layout(prefix, index);
    cd_put_u64be(suffix, target);
    return cd_ordentry_put(c, &l, x->enc.p, x->enc.len, suffix, x->payload.p, x->payload.len);
}

static int del_entry(cd_ctx *c, uint64_t index, uint64_t target, const void *enc, size_t n)
{
    unsigned char prefix[CD_OBJECT_SUB], suffix[8];
    cd_ordlayout l = entry_layout(prefix, index);
    cd_put_u64be(suffix, target);
    int rc = cd_ordentry_del(c, &l, enc, n, suffix);
    return rc == CD_KV_NOTFOUND ? cd_damaged(c, "an index entry is missing") : rc;
}

/* ---------------------------------------------------------------- attachments */

/* One attachment record (O | target | 'I' | index), decoded. */
typedef struct attachment {
    uint64_t index;
    unsigned char index_tag[8];
    unsigned flags;
    cd_slot slot;
    size_t n;                  /* encodings */
    const unsigned char **enc;
    size_t *enc_len;
} attachment;

/* Decodes value v (copied into the arena first: callers write afterwards). */
static int attachment_decode(cd_ctx *c, uint64_t index, cd_slice v, attachment *a)
{
    unsigned char *p = cd_arena_alloc(c->a, v.n + 1);
    if (!p)
        return cd_oom(c);
    memcpy(p, v.p, v.n);
    const unsigned char *end = p + v.n;
    memset(a, 0, sizeof *a);
    a->index = index;
    if (v.n < 13)
        return cd_damaged(c, "an index attachment does not decode");
    memcpy(a->index_tag, p, 8);
    a->flags = p[8];
    a->slot.sid = cd_get_u32be(p + 9);
    p += 13;
    unsigned char *z = memchr(p, 0, (size_t)(end - p));
    if (!z)
        return cd_damaged(c, "an index attachment does not decode");
    a->slot.facet = (const char *)p;
    p = z + 1;
    z = memchr(p, 0, (size_t)(end - p));
    if (!z || end - z < 3)
        return cd_damaged(c, "an index attachment does not decode");
    a->slot.attr = (const char *)p;
    p = z + 1;
    a->n = (size_t)p[0] << 8 | p[1];
    p += 2;
    a->enc = cd_arena_alloc(c->a, (a->n + 1) * sizeof *a->enc);
    a->enc_len = cd_arena_alloc(c->a, (a->n + 1) * sizeof *a->enc_len);
    if (!a->enc || !a->enc_len)
        return cd_oom(c);
    for (size_t i = 0; i < a->n; i++) {
        if (end - p < 4 || (size_t)(end - p - 4) < cd_get_u32be(p))
            return cd_damaged(c, "an index attachment does not decode");
        a->enc_len[i] = cd_get_u32be(p);
        a->enc[i] = p + 4;
        p += 4 + a->enc_len[i];
    }
    return p == end ? 0 : cd_damaged(c, "an index attachment does not decode");
}

/* Writes the attachment of target to index with the current values. */
static int attachment_put(cd_ctx *c, uint64_t target, uint64_t index,
                          const unsigned char index_tag[8], unsigned flags, const cd_slot *slot,
                          const ivals *vals)
{
    cd_buf b;
    cd_buf_init(&b, c->a);
    if (vals->n > 0xFFFF)
        return cd_fail(c->err, CD_E_LimitExceededException, "too many indexed values");
    bool ok = cd_buf_put(&b, index_tag, 8) && cd_buf_byte(&b, (unsigned char)flags) &&
              cd_buf_u32be(&b, slot->sid) && cd_buf_put(&b, slot->facet, strlen(slot->facet)) &&
              cd_buf_byte(&b, 0) && cd_buf_put(&b, slot->attr, strlen(slot->attr)) &&
              cd_buf_byte(&b, 0) && cd_buf_byte(&b, (unsigned char)(vals->n >> 8)) &&
              cd_buf_byte(&b, (unsigned char)vals->n);
    for (size_t i = 0; ok && i < vals->n; i++)
        ok = cd_buf_u32be(&b, (uint32_t)vals->v[i].enc.len) &&
             cd_buf_put(&b, vals->v[i].enc.p, vals->v[i].enc.len);
    if (!ok)
        return cd_oom(c);
    unsigned char key[ATTACH_KEY];
    return cd_put_key(c, key, attach_key(key, target, index), b.p, b.len);
}

/* Every attachment of object oid (usually none: one seek). */
static int attachments_of(cd_ctx *c, uint64_t oid, attachment **out, size_t *n)
{
    unsigned char prefix[CD_OBJECT_SUB];
    cd_object_sub_prefix(prefix, oid, CDO_INDEX_OF);
    cd_cursor *cur;
    cd_slice k, v;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    for (rc = cd_cursor_seek(cur, (cd_slice){prefix, CD_OBJECT_SUB}, &k, &v, c->err);
         rc == 0 && k.n == ATTACH_KEY && memcmp(k.p, prefix, CD_OBJECT_SUB) == 0;
         rc = cd_cursor_next(cur, &k, &v, c->err)) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 4;
            attachment *a = cd_arena_alloc(c->a, cap * sizeof *a);
            if (!a) {
                rc = cd_oom(c);
                break;
            }
            if (*n)
                memcpy(a, *out, *n * sizeof *a);
            *out = a;
        }
        uint64_t index = cd_get_u64be((const unsigned char *)k.p + CD_OBJECT_SUB);
        if ((rc = attachment_decode(c, index, v, &(*out)[*n])))
            break;
        (*n)++;
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

/* Replaces the entries of attachment a by vals (the target's current values). */
static int move_entries(cd_ctx *c, const index_def *def, const attachment *a, uint64_t target,
                        const ivals *vals, const char *what)
{
    /* Values leaving the index, and values joining it (equal encodings stay, but their
     * payload is rewritten: "1" and "1.0" share an encoding, not a spelling). */
    for (size_t i = 0; i < a->n; i++) {
        bool kept = false;
        for (size_t j = 0; j < vals->n && !kept; j++)
            kept = cd_ordkey_cmp(a->enc[i], a->enc_len[i], vals->v[j].enc.p,
                                 vals->v[j].enc.len) == 0;
        int rc = kept ? 0 : del_entry(c, a->index, target, a->enc[i], a->enc_len[i]);
        if (rc)
            return rc;
    }
    int rc = check_unique(c, def, a->index, target, vals, what);
    for (size_t j = 0; rc == 0 && j < vals->n; j++)
        rc = put_entry(c, a->index, target, &vals->v[j]);
    if (rc == 0)
        rc = attachment_put(c, target, a->index, a->index_tag, a->flags, &a->slot, vals);
    return rc;
}

/* The definition an attachment implies (for the upkeep hooks: no catalog read). */
static void attachment_def(const attachment *a, index_def *def)
{
    memset(def, 0, sizeof *def);
    def->unique = a->flags & FLAG_UNIQUE;
    def->facets = a->flags & FLAG_FACETS;
    def->slot = a->slot;
    def->facet = def->facets ? facets_name : a->slot.facet;
    def->name = def->facets ? facets_name : a->slot.attr;
}

/* ---------------------------------------------------------------- graph.h hooks */

int cd_index_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    (void)d;
    unsigned char prefix[CD_OBJECT_SUB];
    bool any;
    int rc = cd_prefix_exists(c, prefix, cd_object_sub_prefix(prefix, o->oid, CDO_INDEX_OF),
                              &any);
    if (rc)
        return rc;
    if (any)
        return cd_fail(c->err, CD_E_ObjectNotDetachedException,
                       "ObjectReference: the object is attached to an index; detach it first "
                       "(DetachFromIndex; ListAttachedIndices shows which)");
    if (o->type != CD_OT_INDEX)
        return 0;
    if ((rc = cd_prefix_exists(c, prefix, cd_object_sub_prefix(prefix, o->oid, CDO_INDEX_ENTRY),
                               &any)))
        return rc;
    if (any)
        return cd_fail(c->err, CD_E_ObjectNotDetachedException,
                       "ObjectReference: the index still has attached objects; detach them "
                       "first (DetachFromIndex; ListIndex shows which)");
    return 0;
}

/* The request member whose values reach the index, for a clash message: AddFacetToObject
 * (alone or in a BatchWrite, where c->op is the item's operation) brings its values in
 * ObjectAttributeList; UpdateObjectAttributes in AttributeUpdates.  RemoveFacetFromObject
 * only deletes values, and a missing value never clashes. */
static const char *values_member(const cd_ctx *c)
{
    return c->op == CD_OP_AddFacetToObject ? "ObjectAttributeList" : "AttributeUpdates";
}

int cd_index_value_changed(cd_ctx *c, const cd_directory *d, const cd_object *o,
                           const cd_slot *slot)
{
    (void)d;
    if (o->type == CD_OT_INDEX && slot->sid == CD_BASE_SCHEMA_SID &&
        strcmp(slot->facet, "INDEX") == 0)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s is the definition of the index and cannot change; create another "
                       "index instead", slot->attr);
    attachment *as;
    size_t n;
    int rc = attachments_of(c, o->oid, &as, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if ((as[i].flags & FLAG_FACETS) || !cd_slot_equal(&as[i].slot, slot))
            continue;
        index_def def;
        ivals vals;
        attachment_def(&as[i], &def);
        if ((rc = target_values(c, &def, o, &vals)) == 0)
            rc = move_entries(c, &def, &as[i], o->oid, &vals, values_member(c));
    }
    return rc;
}

int cd_index_facets_changed(cd_ctx *c, const cd_directory *d, const cd_object *before,
                            const cd_object *after)
{
    (void)d, (void)before;
    attachment *as;
    size_t n;
    int rc = attachments_of(c, after->oid, &as, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!(as[i].flags & FLAG_FACETS))
            continue;   /* attribute indexes follow values (cd_index_value_changed) */
        index_def def;
        ivals vals;
        attachment_def(&as[i], &def);
        if ((rc = target_values(c, &def, after, &vals)) == 0)
            rc = move_entries(c, &def, &as[i], after->oid, &vals, "SchemaFacet");
    }
    return rc;
}

/* ---------------------------------------------------------------- CreateIndex */

static int set_builtin(cd_ctx *c, uint64_t oid, const cd_slot *s, const cd_attrval *v)
{
    unsigned char key[CD_SLOT_KEY_MAX];
    cd_buf b;
    cd_buf_init(&b, c->a);
    if (!cd_attrval_encode(&b, v))
        return cd_oom(c);
    return cd_put_key(c, key, cd_slot_key(key, oid, s), b.p, b.len);
}

static int create_index(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = cd_request_directory(c, req, &d);
    if (rc)
        return rc;
    const cd_value *keys = cd_get(req, "OrderedIndexedAttributeList");
    if (cd_len(keys) != 1)
        return cd_fail(c->err, CD_E_UnsupportedIndexTypeException,
                       "OrderedIndexedAttributeList: an index covers exactly one attribute; "
                       "%zu were given", cd_len(keys));
    const cd_value *key = keys->u.list.items[0];
    const char *arn = cd_get_str(key, "SchemaArn", NULL);
    const char *facet = cd_get_str(key, "FacetName", NULL);
    const char *name = cd_get_str(key, "Name", NULL);
    if (!arn || !facet || !name)
        return cd_fail(c->err, CD_E_ValidationException,
                       "OrderedIndexedAttributeList[0] must have SchemaArn, FacetName and Name");
    index_def def;
    memset(&def, 0, sizeof def);
    if ((rc = resolve_key(c, d, arn, facet, name, "OrderedIndexedAttributeList[0]", &def)))
        return rc;
    def.unique = cd_get_bool(req, "IsUnique", false);

    const cd_value *parent_ref = cd_get(req, "ParentReference");
    size_t ln;
    const char *link = cd_get_str(req, "LinkName", &ln);
    if (!parent_ref != !link)
        return cd_fail(c->err, CD_E_ValidationException,
                       "ParentReference and LinkName go together: give both or neither");
    cd_object parent;
    if (parent_ref && ((rc = cd_select(c, d, parent_ref, "ParentReference", &parent)) ||
                       (rc = cd_hierarchy_check_parent(c, d, &parent, "ParentReference",
                                                       CD_E_ValidationException)) ||
                       (rc = cd_hierarchy_check_depth(c, d, &parent, 0))))
        return rc;

    cd_objfacet f = {CD_BASE_SCHEMA_SID, "INDEX", cd_arn_base(c, d->arn)};
    const char *spec = cd_arena_printf(c->a, "%s*%s*%s", def.arn, def.facet, def.name);
    if (!f.schema_arn || !spec)
        return cd_oom(c);
    cd_object o = {.type = CD_OT_INDEX, .dir = d->num, .nfacets = 1, .facets = &f,
                   .depth = -1};
    cd_attrval unique = {.type = CD_ATTR_BOOLEAN, .b = def.unique};
    cd_attrval specv = {.type = CD_ATTR_STRING, .p = spec, .n = strlen(spec)};
    if ((rc = cd_object_new(c, d, &o)) || (rc = set_builtin(c, o.oid, &slot_unique, &unique)) ||
        (rc = set_builtin(c, o.oid, &slot_spec, &specv)))
        return rc;
    if (parent_ref && (rc = cd_link_add(c, &parent, &o, link, ln)))
        return rc;
    if (!(*resp = cd_map(c->a)))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "ObjectIdentifier", o.oid, o.tag);
}

/* ---------------------------------------------------------------- AttachToIndex */

/* Unique indexes target is attached to. */
static int unique_count(cd_ctx *c, uint64_t target, size_t *count)
{
    attachment *as;
    size_t n;
    int rc = attachments_of(c, target, &as, &n);
    *count = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        *count += (as[i].flags & FLAG_UNIQUE) != 0;
    return rc;
}

static int attach_to_index(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object idx, t;
    index_def def;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = select_index(c, d, req, "IndexReference", &idx, &def)) ||
        (rc = cd_select(c, d, cd_get(req, "TargetReference"), "TargetReference", &t)))
        return rc;
    if (t.type == CD_OT_INDEX || t.type == CD_OT_POLICY)
        return cd_fail(c->err, CD_E_InvalidAttachmentException,
                       "TargetReference: the object is a %s; only NODE and LEAF_NODE objects "
                       "can be attached to indexes", cd_object_type_name(t.type));
    unsigned char key[ATTACH_KEY];
    cd_slice v;
    rc = cd_get_key(c, key, attach_key(key, t.oid, idx.oid), &v);
    if (rc == 0)
        return cd_fail(c->err, CD_E_LinkNameAlreadyInUseException,
                       "TargetReference: the object is already attached to this index");
    if (rc != CD_KV_NOTFOUND)
        return rc;
    if (!def.facets) {
        cd_facetset fs;
        if ((rc = cd_object_facets(c, d, &t, &fs)))
            return rc;
        if (!cd_facetset_covers(&fs, &def.slot, NULL, NULL))
            return cd_fail(c->err, CD_E_IndexedAttributeMissingException,
                           "TargetReference: the object has no facet with the indexed "
                           "attribute %s.%s; add the facet first", def.facet, def.name);
    }
    if (def.unique && cd_aws_limits(c)) {
        size_t count;
        if ((rc = unique_count(c, t.oid, &count)))
            return rc;
        if (count >= AWS_MAX_UNIQUE_INDEXES)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "TargetReference: the object is already attached to %zu unique "
                           "indexes; at most %d are allowed (limits = \"aws\")", count,
                           AWS_MAX_UNIQUE_INDEXES);
    }
    ivals vals;
    if ((rc = target_values(c, &def, &t, &vals)) ||
        (rc = check_unique(c, &def, idx.oid, t.oid, &vals, "TargetReference")))
        return rc;
    for (size_t i = 0; i < vals.n; i++)
        if ((rc = put_entry(c, idx.oid, t.oid, &vals.v[i])))
            return rc;
    unsigned flags = (def.unique ? FLAG_UNIQUE : 0) | (def.facets ? FLAG_FACETS : 0);
    if ((rc = attachment_put(c, t.oid, idx.oid, idx.tag, flags, &def.slot, &vals)))
        return rc;
    if (!(*resp = cd_map(c->a)))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "AttachedObjectIdentifier", t.oid, t.tag);
}

/* ---------------------------------------------------------------- DetachFromIndex */

static int detach_from_index(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object idx, t;
    index_def def;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = select_index(c, d, req, "IndexReference", &idx, &def)) ||
        (rc = cd_select(c, d, cd_get(req, "TargetReference"), "TargetReference", &t)))
        return rc;
    unsigned char key[ATTACH_KEY];
    cd_slice v;
    attachment a;
    rc = cd_get_key(c, key, attach_key(key, t.oid, idx.oid), &v);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ObjectAlreadyDetachedException,
                       "TargetReference: the object is not attached to this index");
    if (rc || (rc = attachment_decode(c, idx.oid, v, &a)))
        return rc;
    for (size_t i = 0; i < a.n; i++)
        if ((rc = del_entry(c, idx.oid, t.oid, a.enc[i], a.enc_len[i])))
            return rc;
    if ((rc = cd_del_key(c, key, ATTACH_KEY)))
        return rc;
    if (!(*resp = cd_map(c->a)))
        return cd_oom(c);
    return cd_object_id_member(c, d, *resp, "DetachedObjectIdentifier", t.oid, t.tag);
}

/* ---------------------------------------------------------------- ListIndex */

/* The range of the request (at most one, on the indexed attribute), or the full range. */
static int read_ranges(cd_ctx *c, const cd_value *req, const index_def *def, cd_ordrange *r)
{
    const cd_value *list = cd_get(req, "RangesOnIndexedValues");
    cd_ordrange_full(r);
    if (cd_len(list) > 1)
        return cd_fail(c->err, CD_E_ValidationException,
                       "RangesOnIndexedValues: the index covers one attribute, so at most one "
                       "range can be given; %zu were", cd_len(list));
    if (cd_len(list) == 0)
        return 0;
    const cd_value *item = list->u.list.items[0];
    const cd_value *key = cd_get(item, "AttributeKey");
    if (key) {
        const char *arn = cd_get_str(key, "SchemaArn", NULL);
        const char *facet = cd_get_str(key, "FacetName", NULL);
        const char *name = cd_get_str(key, "Name", NULL);
        if (!arn || !facet || !name || strcmp(arn, def->arn) != 0 ||
            strcmp(facet, def->facet) != 0 || strcmp(name, def->name) != 0)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "RangesOnIndexedValues[0].AttributeKey: the index covers only %s*%s*%s",
                           def->arn, def->facet, def->name);
    }
    const cd_value *range = cd_get(item, "Range");
    if (!range)
        return 0;
    return cd_ordrange_from(c, range, def->type, def->optional, "RangesOnIndexedValues[0].Range",
                            r);
}

/* Appends {Key, Value} to list; stored is a value in stored form, or NULL when missing. */
static bool push_indexed(cd_ctx *c, cd_value *list, cd_value *key, const void *stored,
                         size_t n)
{
    cd_value *value;
    if (stored) {
        cd_attrval v;
        if (!cd_attrval_decode(stored, n, &v))
            return false;
        value = cd_attrval_typed(c->a, &v);
    } else {
        value = cd_map(c->a);   /* a TypedAttributeValue with no member: "all null" */
    }
    cd_value *kv = cd_map(c->a);
    return kv && value && cd_map_set(c->a, kv, "Key", key) &&
           cd_map_set(c->a, kv, "Value", value) && cd_list_push(c->a, list, kv);
}

/* One IndexAttachment {IndexedAttributes = [{Key, Value}], ObjectIdentifier} for ListIndex,
 * built in one arena block: a page of 1,000 entries would otherwise make a dozen small
 * allocations (and key copies) per entry.  The keys point at constant strings; responses
 * are read-only trees. */
typedef struct item_block {
    cd_value item, list, kv, value, member, id;
    cd_mapent item_ents[2], kv_ents[2], value_ents[1];
    cd_value *list_items[1];
    char id_text[CD_OBJECT_ID_LEN + 1];
} item_block;

static const char *const member_names[] = {"StringValue", "BinaryValue", "BooleanValue",
                                           "NumberValue", "DatetimeValue"};

static void set_ent(cd_mapent *e, const char *key, size_t n, cd_value *val)
{
    e->key = key;
    e->keylen = n;
    e->val = val;
}
#define SET_ENT(e, literal, val) set_ent(e, literal, sizeof literal - 1, val)

static cd_value *fast_item(cd_ctx *c, cd_value *key, const char idprefix[CD_OBJECT_ID_PREFIX],
                           uint64_t oid, const unsigned char *tag, const void *stored, size_t n)
{
    cd_attrval v;
    if (stored && !cd_attrval_decode(stored, n, &v))
        return NULL;
    size_t extra = stored && v.type != CD_ATTR_BOOLEAN && v.type != CD_ATTR_DATETIME ? v.n + 1 : 0;
    item_block *b = cd_arena_alloc(c->a, sizeof *b + extra);
    if (!b)
        return NULL;
    cd_object_id_format_with(idprefix, oid, tag, b->id_text);
    b->id = (cd_value){.type = CDV_STRING, .u.s = {b->id_text, CD_OBJECT_ID_LEN}};
    b->value = (cd_value){.type = CDV_MAP, .u.map = {b->value_ents, 0, 1}};
    if (stored) {
        b->member.type = v.type == CD_ATTR_BINARY ? CDV_BYTES : v.type == CD_ATTR_BOOLEAN
                       ? CDV_BOOL : v.type == CD_ATTR_DATETIME ? CDV_TIME : CDV_STRING;
        if (v.type == CD_ATTR_BOOLEAN) {
            b->member.u.b = v.b;
        } else if (v.type == CD_ATTR_DATETIME) {
            b->member.u.i = v.ms;
        } else {
            char *p = (char *)(b + 1);
            if (v.n)
                memcpy(p, v.p, v.n);
            p[v.n] = '\0';
            b->member.u.s.p = p;
            b->member.u.s.len = v.n;
        }
        set_ent(&b->value_ents[0], member_names[v.type], strlen(member_names[v.type]),
                &b->member);
        b->value.u.map.n = 1;
    }
    b->kv = (cd_value){.type = CDV_MAP, .u.map = {b->kv_ents, 2, 2}};
    SET_ENT(&b->kv_ents[0], "Key", key);
    SET_ENT(&b->kv_ents[1], "Value", &b->value);
    b->list_items[0] = &b->kv;
    b->list = (cd_value){.type = CDV_LIST, .u.list = {b->list_items, 1, 1}};
    b->item = (cd_value){.type = CDV_MAP, .u.map = {b->item_ents, 2, 2}};
    SET_ENT(&b->item_ents[0], "IndexedAttributes", &b->list);
    SET_ENT(&b->item_ents[1], "ObjectIdentifier", &b->id);
    return &b->item;
}

static int list_index(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object idx;
    index_def def;
    cd_ordrange r;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = select_index(c, d, req, "IndexReference", &idx, &def)) ||
        (rc = read_ranges(c, req, &def, &r)))
        return rc;
    unsigned char prefix[CD_OBJECT_SUB];
    cd_ordlayout l = entry_layout(prefix, idx.oid);
    /* Token scope: the index; resume: the last entry's encoding and target number. */
    const unsigned char *resume;
    size_t rn;
    if ((rc = cd_token_read(c, req, prefix, CD_OBJECT_SUB, &resume, &rn)))
        return rc;
    if (resume && rn < 9)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    int page = cd_page_size(c, req);
    cd_value *items = cd_list(c->a), *key = def_key(c, &def);
    if (!items || !key || !(*resp = cd_map(c->a)))
        return cd_oom(c);
    char idprefix[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, idprefix);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_ordscan s;
    cd_ordentry e;
    cd_buf last;
    cd_buf_init(&last, c->a);
    int count = 0;
    const char *token = NULL;
    rc = cd_ordscan_open(c, &s, cur, &l, NULL, 0, &r, resume, resume ? rn - 8 : 0,
                         resume ? resume + rn - 8 : NULL);
    while (rc == 0 && (rc = cd_ordscan_next(&s, &e)) == 0) {
        if (count == page) {   /* one more exists: the page ends after the last one */
            token = cd_token_make(c, prefix, CD_OBJECT_SUB, last.p, last.len);
            if (!token)
                rc = last.len > 2000
                         ? cd_fail(c->err, CD_E_LimitExceededException,
                                   "the page ends on a value too long to resume after; use "
                                   "a larger MaxResults")
                         : cd_oom(c);
            break;
        }
        if (e.payload_len < 8) {
            rc = cd_damaged(c, "an index entry does not decode");
            break;
        }
        const unsigned char *pl = e.payload;
        cd_value *item = fast_item(c, key, idprefix, cd_get_u64be(e.suffix), pl,
                                   e.payload_len > 8 ? pl + 8 : NULL, e.payload_len - 8);
        if (!item || !cd_list_push(c->a, items, item)) {
            rc = item ? cd_oom(c) : cd_damaged(c, "an index entry does not decode");
            break;
        }
        if (++count == page) {
            last.len = 0;
            if (!cd_buf_put(&last, e.enc, e.enc_len) || !cd_buf_put(&last, e.suffix, 8)) {
                rc = cd_oom(c);
                break;
            }
        }
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (!cd_map_set(c->a, *resp, "IndexAttachments", items) ||
        (token && !cd_map_set(c->a, *resp, "NextToken", cd_strz(c->a, token))))
        return cd_oom(c);
    return 0;
}

/* ---------------------------------------------------------------- ListAttachedIndices */

/* IndexedAttributes of one attachment: the target's value(s) for that index. */
static int attached_values(cd_ctx *c, cd_directory *d, const cd_object *t, const attachment *a,
                           cd_value **out)
{
    index_def def;
    attachment_def(a, &def);
    if (def.facets) {
        def.arn = cd_arn_base(c, d->arn);
    } else {
        cd_facet *f;
        int rc = cd_facet_by_sid(c, d, a->slot.sid, a->slot.facet, &f);
        if (rc)
            return rc;
        def.arn = f->schema_arn;
    }
    cd_value *key = def.arn ? def_key(c, &def) : NULL, *list = cd_list(c->a);
    if (!key || !list)
        return cd_oom(c);
    for (size_t i = 0; i < a->n; i++) {
        /* The stored value (verbatim), read from the target; facet names decode exactly. */
        cd_buf stored;
        cd_buf_init(&stored, c->a);
        bool missing = a->enc_len[i] == 1 && a->enc[i][0] == CD_ORD_TAG_MISSING;
        if (!missing && def.facets) {
            cd_attrval v;
            bool m;
            if (!cd_ordkey_get(c->a, a->enc[i], a->enc_len[i], &v, &m) ||
                !cd_attrval_encode(&stored, &v))
                return cd_damaged(c, "an index attachment does not decode");
        } else if (!missing) {
            unsigned char key2[CD_SLOT_KEY_MAX];
            cd_slice got;
            int rc = cd_get_key(c, key2, cd_slot_key(key2, t->oid, &a->slot), &got);
            if (rc)
                return rc == CD_KV_NOTFOUND ? cd_damaged(c, "an indexed value is missing") : rc;
            if (!cd_buf_put(&stored, got.p, got.n))
                return cd_oom(c);
        }
        if (!push_indexed(c, list, key, missing ? NULL : stored.p, stored.len))
            return cd_damaged(c, "an indexed value does not decode");
    }
    *out = list;
    return 0;
}

static int list_attached_indices(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object t;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "TargetReference"), "TargetReference", &t)))
        return rc;
    unsigned char prefix[CD_OBJECT_SUB], start[ATTACH_KEY];
    cd_object_sub_prefix(prefix, t.oid, CDO_INDEX_OF);
    const unsigned char *resume;
    size_t rn;
    /* ListAttachedIndices alone of the listings does not list InvalidNextTokenException: a
     * bad token is a bad request (ValidationException) here. */
    rc = cd_token_read(c, req, prefix, CD_OBJECT_SUB, &resume, &rn);
    if (rc == 0 && resume && rn != 8)
        rc = cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    if (rc == CD_E_InvalidNextTokenException)
        c->err->code = rc = CD_E_ValidationException;
    if (rc)
        return rc;
    memcpy(start, prefix, CD_OBJECT_SUB);
    if (resume)
        memcpy(start + CD_OBJECT_SUB, resume, 8);
    int page = cd_page_size(c, req);
    cd_value *items = cd_list(c->a);
    if (!items || !(*resp = cd_map(c->a)))
        return cd_oom(c);
    /* Read the page's attachments first: building values reads other keys. */
    attachment *as = cd_arena_alloc(c->a, (size_t)(page < 64 ? page : 64) * sizeof *as);
    size_t n = 0, cap = (size_t)(page < 64 ? page : 64);
    const char *token = NULL;
    cd_cursor *cur;
    cd_slice k, v;
    if (!as)
        return cd_oom(c);
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    for (rc = cd_cursor_seek(cur, (cd_slice){start, resume ? ATTACH_KEY : CD_OBJECT_SUB}, &k, &v,
                             c->err);
         rc == 0 && k.n == ATTACH_KEY && memcmp(k.p, prefix, CD_OBJECT_SUB) == 0;
         rc = cd_cursor_next(cur, &k, &v, c->err)) {
        const unsigned char *kp = k.p;
        if (resume && memcmp(kp + CD_OBJECT_SUB, resume, 8) <= 0)
            continue;   /* resume after the last index of the previous page */
        if ((int)n == page) {
            unsigned char last[8];
            cd_put_u64be(last, as[n - 1].index);
            token = cd_token_make(c, prefix, CD_OBJECT_SUB, last, 8);
            if (!token)
                rc = cd_oom(c);
            break;
        }
        if (n == cap) {
            cap *= 2;
            attachment *g = cd_arena_alloc(c->a, cap * sizeof *g);
            if (!g) {
                rc = cd_oom(c);
                break;
            }
            memcpy(g, as, n * sizeof *g);
            as = g;
        }
        if ((rc = attachment_decode(c, cd_get_u64be(kp + CD_OBJECT_SUB), v, &as[n])))
            break;
        n++;
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    char idprefix[CD_OBJECT_ID_PREFIX], id[CD_OBJECT_ID_LEN + 1];
    cd_object_id_prefix(d, idprefix);
    for (size_t i = 0; i < n; i++) {
        cd_value *vals = NULL, *item = cd_map(c->a);
        if ((rc = attached_values(c, d, &t, &as[i], &vals)))
            return rc;
        cd_object_id_format_with(idprefix, as[i].index, as[i].index_tag, id);
        if (!item || !cd_map_set(c->a, item, "IndexedAttributes", vals) ||
            !cd_map_set(c->a, item, "ObjectIdentifier", cd_str(c->a, id, CD_OBJECT_ID_LEN)) ||
            !cd_list_push(c->a, items, item))
            return cd_oom(c);
    }
    if (!cd_map_set(c->a, *resp, "IndexAttachments", items) ||
        (token && !cd_map_set(c->a, *resp, "NextToken", cd_strz(c->a, token))))
        return cd_oom(c);
    return 0;
}

const cd_handler_entry cd_index_handlers[] = {
    {CD_OP_CreateIndex, create_index},
    {CD_OP_AttachToIndex, attach_to_index},
    {CD_OP_DetachFromIndex, detach_from_index},
    {CD_OP_ListIndex, list_index},
    {CD_OP_ListAttachedIndices, list_attached_indices},
    {-1, NULL},
};
