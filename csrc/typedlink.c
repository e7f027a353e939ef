/* typedlink.c — typed links between objects (semantics §5): attach, detach, attributes,
 * listings with range filters, and the DeleteObject check.
 *
 * Storage.  A link is kept under both of its ends, as an ordered entry (ordkey.h) whose
 * encoding is the link's identity without the end it is kept under:
 *
 *   O | source oid | 'T' | F | I  suffix: target oid (8)  ->  payload (with attributes)
 *   O | target oid | 't' | F | I  suffix: source oid (8)  ->  payload (identity only)
 *
 *   F = ordkey STRING(facet name) | sid (4, BE)   the typed-link facet: prefix-free, and it
 *                                                 fixes the arity of what follows
 *   I = ordkey(v1) | ... | ordkey(vk)             identity values in IdentityAttributeOrder
 *
 * So one object's links in one direction sort by facet name, schema, identity values, peer
 * number (§13 #17), a filtered listing is one scan (F and the exact values are the scan's
 * exact bytes, the one qualifying range its range), and the identity of a link in each
 * direction is exactly one key: a duplicate attach finds it, the opposite direction is
 * another object's key.  cd_ordentry_* keep keys within the store's limit when identity
 * values are long (limits = "none").
 *
 * Payload: format (1) = 1 | peer tag (8) | n (varint) | n x (varint len | stored value)
 *          | m (varint) | m x (varint len | attribute name | varint len | stored value)
 * The n identity values are kept as given (a NUMBER keeps its spelling: "1.50" is listed
 * as "1.50" though it is the same identity as "1.5"); the m non-identity values sit only in
 * the source's entry ('t' entries have m = 0), so GetLinkAttributes and UpdateLinkAttributes
 * are one get (and one put).  Stored values are attribute.h's stored form.
 *
 * Decisions on UNCONFIRMED points: unknown facet, unknown/missing/wrong-typed attribute,
 * rule violations and identity updates are FacetValidationException; a filter that breaks
 * §5.4 is ValidationException (§13 #9); the 64-byte identity limit (limits = "aws") counts
 * UTF-8 / raw bytes of STRING, BINARY and NUMBER text, 1 for a BOOLEAN, 8 for a DATETIME and
 * is ValidationException (§13 #19); self-links are allowed; identity attributes must be
 * given (their defaults are not applied), omitted non-identity attributes take their
 * defaults; immutable non-identity attributes cannot be changed by UpdateLinkAttributes. */
#include <string.h>
#include "graph.h"
#include "keys.h"
#include "ordkey.h"
#include "selector.h"
#include "schema_model.h"
#include "token.h"

#define AWS_IDENTITY_MAX 64
#define PAYLOAD_FORMAT 1
#define SELECTOR_LEN (1 + CD_OBJECT_ID_LEN)

/* ================================================================ facets */

/* A typed-link facet ready for use: its identity definitions and key bytes. */
typedef struct linkfacet {
    cd_link_facet *f;
    const cd_attrdef **idef;      /* identity attributes, in IdentityAttributeOrder */
    unsigned char *fid;           /* F (see the top) */
    size_t fid_len;
    cd_facet label;               /* names the facet in value-check messages */
    cd_value *ref;                /* {SchemaArn, TypedLinkName} for responses (shared) */
    cd_value *idname;             /* listings: identity attribute names as values (shared) */
    cd_attrval *idval;            /* listings: one entry's decoded identity values */
} linkfacet;

static const cd_attrdef *attr_of(const cd_link_facet *f, const char *name, size_t *at)
{
    for (size_t i = 0; i < f->nattrs; i++)
        if (strcmp(f->attrs[i].name, name) == 0) {
            if (at)
                *at = i;
            return &f->attrs[i];
        }
    return NULL;
}

/* Position of name in the identity order, or -1. */
static long identity_at(const cd_link_facet *f, const char *name)
{
    for (size_t i = 0; i < f->nidentity; i++)
        if (strcmp(f->identity[i], name) == 0)
            return (long)i;
    return -1;
}

static int prepare(cd_ctx *c, cd_link_facet *f, linkfacet *lf)
{
    memset(lf, 0, sizeof *lf);
    lf->f = f;
    lf->idef = cd_arena_alloc(c->a, (f->nidentity ? f->nidentity : 1) * sizeof *lf->idef);
    if (!lf->idef)
        return cd_oom(c);
    for (size_t i = 0; i < f->nidentity; i++)
        if (!(lf->idef[i] = attr_of(f, f->identity[i], NULL)))
            return cd_damaged(c, "a typed link facet names an identity attribute it lacks");
    cd_buf b;
    cd_buf_init(&b, c->a);
    cd_attrval name = {.type = CD_ATTR_STRING, .p = f->name, .n = strlen(f->name)};
    if (!cd_ordkey_put(&b, &name) || !cd_buf_u32be(&b, f->sid))
        return cd_oom(c);
    lf->fid = b.p;
    lf->fid_len = b.len;
    lf->label = (cd_facet){.sid = f->sid, .schema_arn = f->schema_arn, .name = f->name,
                           .object_type = CD_OT_NONE};
    lf->ref = cd_map(c->a);
    if (!lf->ref || !cd_map_set(c->a, lf->ref, "SchemaArn", cd_strz(c->a, f->schema_arn)) ||
        !cd_map_set(c->a, lf->ref, "TypedLinkName", cd_strz(c->a, f->name)))
        return cd_oom(c);
    return 0;
}

/* find_facet for the managed schema's ARN (managed.c): it must be applied to d. */
static int find_managed_facet(cd_ctx *c, const cd_directory *d, const cd_arn *arn,
                              const char *name, const char *what, linkfacet *lf)
{
    bool applied;
    cd_link_facet *f;
    int rc = cd_managed_applied(c, d, &applied);
    if (rc)
        return rc;
    if (!applied || !cd_managed_is(arn))
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s: schema '%s' is not applied to directory %s", what, arn->text, d->id);
    rc = cd_managed_link_facet(c, name, &f);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s: the managed schema has no typed link facet named '%s' (it has %s)",
                       what, name, CD_MANAGED_LINK_FACET);
    return rc ? rc : prepare(c, f, lf);
}

/* The typed-link facet a TypedLinkSchemaAndFacetName names: an applied schema of d (no minor
 * version).  None of the typed-link operations lists FacetNotFoundException, so an unknown
 * facet, or a schema not applied to d, is a FacetValidationException. */
static int find_facet(cd_ctx *c, const cd_directory *d, const cd_value *tlf, const char *what,
                      linkfacet *lf)
{
    size_t an;
    const char *arn_text = cd_get_str(tlf, "SchemaArn", &an);
    const char *name = cd_get_str(tlf, "TypedLinkName", NULL);
    if (!arn_text || !name)
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s needs SchemaArn and TypedLinkName", what);
    const char *member = cd_arena_printf(c->a, "%s.SchemaArn", what);
    cd_arn arn;
    int rc = cd_arn_parse(c, member ? member : what, arn_text, an,
                          CD_ARN_APPLIED | CD_ARN_BASE | CD_ARN_MANAGED, &arn);
    if (rc)
        return rc;
    if (arn.kind == CD_ARN_MANAGED && !arn.minor)
        return find_managed_facet(c, d, &arn, name, what, lf);
    if (arn.minor)
        return cd_fail(c->err, CD_E_InvalidArnException,
                       "%s.SchemaArn '%s' names minor version %s; data-plane requests name "
                       "the applied schema without one", what, arn.text, arn.minor);
    if (strcmp(arn.directory_id, d->id) != 0)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s.SchemaArn '%s' belongs to another directory than %s", what,
                       arn.text, d->id);
    if (arn.kind == CD_ARN_BASE)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s: the base schema has no typed link facets (no '%s')", what, name);
    cd_schema s;
    rc = cd_schema_from_arn(c, what, &arn, &s);
    if (rc == CD_E_ResourceNotFoundException)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s: schema %s/%s is not applied to directory %s", what, arn.name,
                       arn.version, d->id);
    cd_link_facet *f;
    if (rc || (rc = cd_link_facet_read(c, &s, name, &f))) {
        if (rc == CD_E_FacetNotFoundException)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: schema '%s' has no typed link facet named '%s'", what, s.arn,
                           name);
        return rc;
    }
    return prepare(c, f, lf);
}

/* ================================================================ keys and payloads */

/* The scan layout of one object's links in one direction. */
static void layout_of(unsigned char prefix[CD_OBJECT_SUB], uint64_t oid, bool outgoing,
                      cd_ordlayout *l)
{
    cd_object_sub_prefix(prefix, oid, outgoing ? CDO_TYPED_OUT : CDO_TYPED_IN);
    *l = (cd_ordlayout){.prefix = prefix, .prefix_len = CD_OBJECT_SUB, .suffix_len = 8};
}

/* A link's values: identity values in identity order, and the non-identity ones it has. */
typedef struct linkvals {
    cd_attrval *id;               /* nidentity */
    size_t nother;
    const char **other_name;      /* names point into the facet or the arena */
    cd_attrval *other;
} linkvals;

static bool put_value(cd_buf *b, cd_buf *tmp, const cd_attrval *v)
{
    tmp->len = 0;
    return cd_attrval_encode(tmp, v) && cd_buf_varint(b, tmp->len) && cd_buf_put(b, tmp->p, tmp->len);
}

static int make_payload(cd_ctx *c, const unsigned char tag[8], const linkfacet *lf,
                        const linkvals *lv, bool with_others, cd_buf *b)
{
    cd_buf tmp;
    cd_buf_init(b, c->a);
    cd_buf_init(&tmp, c->a);
    bool ok = cd_buf_byte(b, PAYLOAD_FORMAT) && cd_buf_put(b, tag, 8) &&
              cd_buf_varint(b, lf->f->nidentity);
    for (size_t i = 0; ok && i < lf->f->nidentity; i++)
        ok = put_value(b, &tmp, &lv->id[i]);
    size_t m = with_others ? lv->nother : 0;
    ok = ok && cd_buf_varint(b, m);
    for (size_t i = 0; ok && i < m; i++)
        ok = cd_buf_strz(b, lv->other_name[i]) && put_value(b, &tmp, &lv->other[i]);
    return ok ? 0 : cd_oom(c);
}

/* Reads a payload's peer tag and leaves r at the identity values (after their count). */
static bool payload_open(cd_slice pl, cd_rd *r, const unsigned char **tag, uint64_t *nid)
{
    cd_rd_init(r, NULL, pl);   /* no arena: only in-place reads (cd_rd_bytes) */
    if (pl.n < 9 || *r->p != PAYLOAD_FORMAT)
        return false;
    *tag = r->p + 1;
    r->p += 9;
    *nid = cd_rd_varint(r);
    return !r->bad;
}

/* Decodes a whole payload into lv (values point into pl; names are copied). */
static int payload_read(cd_ctx *c, cd_slice pl, const linkfacet *lf, linkvals *lv)
{
    cd_rd r;
    const unsigned char *tag;
    uint64_t nid;
    if (!payload_open(pl, &r, &tag, &nid) || nid != lf->f->nidentity)
        return cd_damaged(c, "a typed link entry is malformed");
    lv->id = cd_arena_alloc(c->a, (nid ? nid : 1) * sizeof *lv->id);
    if (!lv->id)
        return cd_oom(c);
    for (size_t i = 0; i < nid; i++) {
        cd_slice s = cd_rd_bytes(&r);
        if (r.bad || !cd_attrval_decode(s.p, s.n, &lv->id[i]))
            return cd_damaged(c, "a typed link entry is malformed");
    }
    uint64_t m = cd_rd_varint(&r);
    if (r.bad || m > pl.n)
        return cd_damaged(c, "a typed link entry is malformed");
    lv->nother = (size_t)m;
    /* Room for every attribute of the facet: UpdateLinkAttributes may add some. */
    size_t cap = lv->nother + lf->f->nattrs + 1;
    lv->other_name = cd_arena_alloc(c->a, cap * sizeof *lv->other_name);
    lv->other = cd_arena_alloc(c->a, cap * sizeof *lv->other);
    if (!lv->other_name || !lv->other)
        return cd_oom(c);
    for (size_t i = 0; i < lv->nother; i++) {
        cd_slice nm = cd_rd_bytes(&r), s = cd_rd_bytes(&r);
        if (r.bad || !cd_attrval_decode(s.p, s.n, &lv->other[i]) ||
            !(lv->other_name[i] = cd_arena_strndup(c->a, nm.p, nm.n)))
            return r.bad ? cd_damaged(c, "a typed link entry is malformed") : cd_oom(c);
    }
    return r.p == r.end ? 0 : cd_damaged(c, "a typed link entry is malformed");
}

/* ================================================================ requests */

static const char *label(cd_ctx *c, const char *fmt, const char *a, size_t i)
{
    const char *s = cd_arena_printf(c->a, fmt, a, i);
    return s ? s : a;
}

/* Checks a value's type against the attribute's (before anything else looks at it). */
static int check_type(cd_ctx *c, const linkfacet *lf, const cd_attrdef *def,
                      const cd_attrval *v, const char *what)
{
    static const char *const type_names[] = {"STRING", "BINARY", "BOOLEAN", "NUMBER",
                                             "DATETIME", "VARIANT"};
    if (def->type == CD_ATTR_VARIANT || def->type == v->type)
        return 0;
    return cd_fail(c->err, CD_E_FacetValidationException,
                   "%s: attribute '%s' of typed link facet '%s' is %s; a %s value was given",
                   what, def->name, lf->f->name, type_names[def->type], type_names[v->type]);
}

/* Reads an AttributeNameAndValue list: vals[i] / given[i] by position in f->attrs.
 * identity_only: a TypedLinkSpecifier's IdentityAttributeValues. */
static int read_named_values(cd_ctx *c, const linkfacet *lf, const cd_value *list,
                             const char *what, bool identity_only, cd_attrval *vals,
                             bool *given)
{
    const cd_link_facet *f = lf->f;
    memset(given, 0, (f->nattrs ? f->nattrs : 1) * sizeof *given);
    for (size_t i = 0; i < cd_len(list); i++) {
        const cd_value *item = list->u.list.items[i];
        const char *iw = label(c, "%s[%zu]", what, i);
        const char *name = cd_get_str(item, "AttributeName", NULL);
        const cd_value *tv = cd_get(item, "Value");
        if (!name || !tv)
            return cd_fail(c->err, CD_E_ValidationException, "%s needs AttributeName and Value",
                           iw);
        size_t at = 0;
        const cd_attrdef *def = attr_of(f, name, &at);
        if (!def)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: typed link facet '%s' has no attribute '%s'", iw, f->name, name);
        if (identity_only && identity_at(f, name) < 0)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: '%s' is not an identity attribute of typed link facet '%s' "
                           "(a specifier gives exactly the identity attributes)",
                           iw, name, f->name);
        if (given[at])
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: attribute '%s' is given twice", iw, name);
        int rc = cd_attrval_read(c, tv, iw, &vals[at]);
        if (rc || (rc = check_type(c, lf, def, &vals[at], iw)))
            return rc;
        given[at] = true;
    }
    for (size_t i = 0; i < f->nidentity; i++) {
        size_t at = 0;
        attr_of(f, f->identity[i], &at);
        if (!given[at])
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: identity attribute '%s' of typed link facet '%s' is missing "
                           "(identity attributes: all of IdentityAttributeOrder)",
                           what, f->identity[i], f->name);
    }
    return 0;
}

/* The identity encoding F | I of values vals (by attribute position). */
static int identity_enc(cd_ctx *c, const linkfacet *lf, const cd_attrval *vals, cd_attrval *id,
                        cd_buf *enc)
{
    cd_buf_init(enc, c->a);
    if (!cd_buf_put(enc, lf->fid, lf->fid_len))
        return cd_oom(c);
    for (size_t i = 0; i < lf->f->nidentity; i++) {
        size_t at = 0;
        attr_of(lf->f, lf->f->identity[i], &at);
        id[i] = vals[at];
        if (!cd_ordkey_put(enc, &id[i]))
            return cd_oom(c);
    }
    return 0;
}

/* A link a TypedLinkSpecifier names, resolved (it need not exist). */
typedef struct linkref {
    linkfacet lf;
    cd_object src, tgt;
    cd_buf enc;
    cd_attrval *id;
    unsigned char src_be[8], tgt_be[8];
    const char *schema_arn_given;   /* the specifier's SchemaArn text */
} linkref;

static int resolve_specifier(cd_ctx *c, const cd_directory *d, const cd_value *spec,
                             linkref *lr)
{
    const cd_value *tlf = cd_get(spec, "TypedLinkFacet");
    int rc = find_facet(c, d, tlf, "TypedLinkSpecifier.TypedLinkFacet", &lr->lf);
    if (rc ||
        (rc = cd_select(c, d, cd_get(spec, "SourceObjectReference"),
                        "TypedLinkSpecifier.SourceObjectReference", &lr->src)) ||
        (rc = cd_select(c, d, cd_get(spec, "TargetObjectReference"),
                        "TypedLinkSpecifier.TargetObjectReference", &lr->tgt)))
        return rc;
    lr->schema_arn_given = cd_get_str(tlf, "SchemaArn", NULL);
    size_t na = lr->lf.f->nattrs ? lr->lf.f->nattrs : 1;
    cd_attrval *vals = cd_arena_alloc(c->a, na * sizeof *vals);
    bool *given = cd_arena_alloc(c->a, na * sizeof *given);
    lr->id = cd_arena_alloc(c->a, (lr->lf.f->nidentity + 1) * sizeof *lr->id);
    if (!vals || !given || !lr->id)
        return cd_oom(c);
    if ((rc = read_named_values(c, &lr->lf, cd_get(spec, "IdentityAttributeValues"),
                                "TypedLinkSpecifier.IdentityAttributeValues", true, vals, given)) ||
        (rc = identity_enc(c, &lr->lf, vals, lr->id, &lr->enc)))
        return rc;
    cd_put_u64be(lr->src_be, lr->src.oid);
    cd_put_u64be(lr->tgt_be, lr->tgt.oid);
    return 0;
}

/* The source's entry of a resolved link: its payload, or ResourceNotFoundException. */
static int get_link(cd_ctx *c, linkref *lr, cd_slice *payload)
{
    unsigned char prefix[CD_OBJECT_SUB];
    cd_ordlayout l;
    layout_of(prefix, lr->src.oid, true, &l);
    int rc = cd_ordentry_get(c, &l, lr->enc.p, lr->enc.len, lr->tgt_be, payload);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "TypedLinkSpecifier: there is no typed link '%s' from that source to "
                       "that target with these identity values",
                       lr->lf.f->name);
    return rc;
}

/* The link a request's TypedLinkSpecifier names, and its values (GetLinkAttributes,
 * UpdateLinkAttributes). */
static int read_link(cd_ctx *c, const cd_directory *d, const cd_value *req, linkref *lr,
                     linkvals *lv)
{
    cd_slice pl;
    int rc = resolve_specifier(c, d, cd_get(req, "TypedLinkSpecifier"), lr);
    if (rc == 0)
        rc = get_link(c, lr, &pl);
    return rc ? rc : payload_read(c, pl, &lr->lf, lv);
}

/* ================================================================ responses */

static cd_value *object_ref(cd_ctx *c, const char idp[CD_OBJECT_ID_PREFIX], uint64_t oid,
                            const unsigned char tag[8])
{
    char sel[SELECTOR_LEN + 1];
    sel[0] = '$';
    cd_object_id_format_with(idp, oid, tag, sel + 1);
    cd_value *m = cd_map(c->a);
    return m && cd_map_set(c->a, m, "Selector", cd_str(c->a, sel, SELECTOR_LEN)) ? m : NULL;
}

static cd_value *name_and_value(cd_ctx *c, const char *name, const cd_attrval *v)
{
    cd_value *m = cd_map(c->a);
    return m && cd_map_set(c->a, m, "AttributeName", cd_strz(c->a, name)) &&
                   cd_map_set(c->a, m, "Value", cd_attrval_typed(c->a, v))
               ? m
               : NULL;
}

static cd_value *specifier(cd_ctx *c, const linkfacet *lf, cd_value *src, cd_value *tgt,
                           cd_value *ids)
{
    cd_value *m = cd_map(c->a);
    return m && src && tgt && ids && cd_map_set(c->a, m, "TypedLinkFacet", lf->ref) &&
                   cd_map_set(c->a, m, "SourceObjectReference", src) &&
                   cd_map_set(c->a, m, "TargetObjectReference", tgt) &&
                   cd_map_set(c->a, m, "IdentityAttributeValues", ids)
               ? m
               : NULL;
}

/* ================================================================ AttachTypedLink */

static int identity_size_check(cd_ctx *c, const linkfacet *lf, const cd_attrval *id)
{
    if (!cd_aws_limits(c))
        return 0;
    size_t total = 0;
    for (size_t i = 0; i < lf->f->nidentity; i++)
        total += id[i].type == CD_ATTR_BOOLEAN ? 1 : id[i].type == CD_ATTR_DATETIME ? 8 : id[i].n;
    if (total > AWS_IDENTITY_MAX)
        return cd_fail(c->err, CD_E_ValidationException,
                       "the identity attribute values of a typed link '%s' have %zu bytes "
                       "together; at most %d are allowed (limits = \"aws\")",
                       lf->f->name, total, AWS_IDENTITY_MAX);
    return 0;
}

static cd_attrref ref_of(const linkfacet *lf, const cd_attrdef *def)
{
    return (cd_attrref){.facet = &lf->label, .def = def,
                        .slot = {lf->f->sid, lf->f->name, def->name}, .type = def->type,
                        .on_object = true};
}

static int attach(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_object src, tgt;
    linkfacet lf;
    int rc = cd_request_directory(c, req, &d);
    if (rc ||
        (rc = cd_select(c, d, cd_get(req, "SourceObjectReference"), "SourceObjectReference",
                        &src)) ||
        (rc = cd_select(c, d, cd_get(req, "TargetObjectReference"), "TargetObjectReference",
                        &tgt)) ||
        (rc = find_facet(c, d, cd_get(req, "TypedLinkFacet"), "TypedLinkFacet", &lf)))
        return rc;
    const cd_link_facet *f = lf.f;
    size_t na = f->nattrs ? f->nattrs : 1;
    cd_attrval *vals = cd_arena_alloc(c->a, na * sizeof *vals);
    bool *given = cd_arena_alloc(c->a, na * sizeof *given);
    linkvals lv = {.id = cd_arena_alloc(c->a, (f->nidentity + 1) * sizeof *lv.id),
                   .other_name = cd_arena_alloc(c->a, na * sizeof *lv.other_name),
                   .other = cd_arena_alloc(c->a, na * sizeof *lv.other)};
    if (!vals || !given || !lv.id || !lv.other_name || !lv.other)
        return cd_oom(c);
    if ((rc = read_named_values(c, &lf, cd_get(req, "Attributes"), "Attributes", false, vals,
                                given)))
        return rc;
    /* Non-identity attributes: defaults for omitted ones, and REQUIRED_ALWAYS. */
    for (size_t i = 0; i < f->nattrs; i++) {
        const cd_attrdef *def = &f->attrs[i];
        if (given[i] || identity_at(f, def->name) >= 0)
            continue;
        if (def->default_value) {
            if ((rc = cd_attrval_read(c, def->default_value, def->name, &vals[i])))
                return rc;
            given[i] = true;
        } else if (def->required) {
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "Attributes: attribute '%s' of typed link facet '%s' is "
                           "REQUIRED_ALWAYS and has no default; give it a value",
                           def->name, f->name);
        }
    }
    cd_buf enc;
    if ((rc = identity_enc(c, &lf, vals, lv.id, &enc)) ||
        (rc = identity_size_check(c, &lf, lv.id)))
        return rc;
    for (size_t i = 0; i < f->nattrs; i++) {
        if (!given[i])
            continue;
        cd_attrref r = ref_of(&lf, &f->attrs[i]);
        if ((rc = cd_attr_check_value(c, &r, &vals[i])))
            return rc;
        if (identity_at(f, f->attrs[i].name) < 0) {
            lv.other_name[lv.nother] = f->attrs[i].name;
            lv.other[lv.nother++] = vals[i];
        }
    }

    unsigned char pout[CD_OBJECT_SUB], pin[CD_OBJECT_SUB], src_be[8], tgt_be[8];
    cd_ordlayout lout, lin;
    layout_of(pout, src.oid, true, &lout);
    layout_of(pin, tgt.oid, false, &lin);
    cd_put_u64be(src_be, src.oid);
    cd_put_u64be(tgt_be, tgt.oid);
    rc = cd_ordentry_get(c, &lout, enc.p, enc.len, tgt_be, NULL);
    if (rc == 0)
        return cd_fail(c->err, CD_E_InvalidAttachmentException,
                       "a typed link '%s' with these identity values already goes from the "
                       "source to the target",
                       f->name);
    if (rc != CD_KV_NOTFOUND)
        return rc;
    cd_buf out_pl, in_pl;
    if ((rc = make_payload(c, tgt.tag, &lf, &lv, true, &out_pl)) ||
        (rc = make_payload(c, src.tag, &lf, &lv, false, &in_pl)) ||
        (rc = cd_ordentry_put(c, &lout, enc.p, enc.len, tgt_be, out_pl.p, out_pl.len)) ||
        (rc = cd_ordentry_put(c, &lin, enc.p, enc.len, src_be, in_pl.p, in_pl.len)))
        return rc;

    char idp[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, idp);
    cd_value *ids = cd_list(c->a);
    for (size_t i = 0; ids && i < f->nidentity; i++)
        if (!cd_list_push(c->a, ids, name_and_value(c, f->identity[i], &lv.id[i])))
            ids = NULL;
    cd_value *spec = specifier(c, &lf, object_ref(c, idp, src.oid, src.tag),
                               object_ref(c, idp, tgt.oid, tgt.tag), ids);
    if (!spec || !(*resp = cd_map(c->a)) || !cd_map_set(c->a, *resp, "TypedLinkSpecifier", spec))
        return cd_oom(c);
    return 0;
}

/* ================================================================ DetachTypedLink */

static int detach(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    linkref lr;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = resolve_specifier(c, d, cd_get(req, "TypedLinkSpecifier"), &lr)))
        return rc;
    unsigned char pout[CD_OBJECT_SUB], pin[CD_OBJECT_SUB];
    cd_ordlayout lout, lin;
    layout_of(pout, lr.src.oid, true, &lout);
    layout_of(pin, lr.tgt.oid, false, &lin);
    rc = cd_ordentry_del(c, &lout, lr.enc.p, lr.enc.len, lr.tgt_be);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "TypedLinkSpecifier: there is no typed link '%s' from that source to "
                       "that target with these identity values",
                       lr.lf.f->name);
    if (rc)
        return rc;
    rc = cd_ordentry_del(c, &lin, lr.enc.p, lr.enc.len, lr.src_be);
    if (rc == CD_KV_NOTFOUND)
        return cd_damaged(c, "a typed link is missing under its target");
    if (rc)
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ================================================================ link attributes */

static int get_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    linkref lr;
    linkvals lv;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = read_link(c, d, req, &lr, &lv)))
        return rc;
    const cd_link_facet *f = lr.lf.f;
    const cd_value *names = cd_get(req, "AttributeNames");
    cd_value *list = cd_list(c->a);
    if (!list)
        return cd_oom(c);
    for (size_t i = 0; i < cd_len(names); i++) {
        const cd_value *nv = names->u.list.items[i];
        const char *name = cd_is(nv, CDV_STRING) ? nv->u.s.p : "";
        if (!attr_of(f, name, NULL))
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "AttributeNames[%zu]: typed link facet '%s' has no attribute '%s'", i,
                           f->name, name);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = cd_is(names->u.list.items[j], CDV_STRING) &&
                  strcmp(names->u.list.items[j]->u.s.p, name) == 0;
        if (dup)
            continue;
        const cd_attrval *v = NULL;
        long at = identity_at(f, name);
        if (at >= 0)
            v = &lv.id[at];
        for (size_t j = 0; !v && j < lv.nother; j++)
            if (strcmp(lv.other_name[j], name) == 0)
                v = &lv.other[j];
        if (!v)
            continue;   /* no value: left out */
        cd_value *key = cd_map(c->a), *item = cd_map(c->a);
        if (!key || !item || !cd_map_set(c->a, key, "SchemaArn", cd_strz(c->a, f->schema_arn)) ||
            !cd_map_set(c->a, key, "FacetName", cd_strz(c->a, f->name)) ||
            !cd_map_set(c->a, key, "Name", cd_strz(c->a, name)) ||
            !cd_map_set(c->a, item, "Key", key) ||
            !cd_map_set(c->a, item, "Value", cd_attrval_typed(c->a, v)) ||
            !cd_list_push(c->a, list, item))
            return cd_oom(c);
    }
    if (!(*resp = cd_map(c->a)) || !cd_map_set(c->a, *resp, "Attributes", list))
        return cd_oom(c);
    return 0;
}

/* Whether an AttributeKey's {SchemaArn, FacetName} names the link's facet. */
static int key_names_facet(cd_ctx *c, const cd_directory *d, const linkref *lr,
                           const cd_value *key, const char *what)
{
    const char *arn = cd_get_str(key, "SchemaArn", NULL);
    const char *fname = cd_get_str(key, "FacetName", NULL);
    const cd_link_facet *f = lr->lf.f;
    if (!arn || !fname || !cd_get_str(key, "Name", NULL))
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s.AttributeKey needs SchemaArn, FacetName and Name", what);
    bool same = strcmp(fname, f->name) == 0 &&
                (strcmp(arn, f->schema_arn) == 0 ||
                 (lr->schema_arn_given && strcmp(arn, lr->schema_arn_given) == 0));
    if (!same && strcmp(fname, f->name) == 0) {
        /* Another spelling of an ARN (or another schema): find what it names. */
        cd_value *tlf = cd_map(c->a);
        linkfacet other;
        if (!tlf || !cd_map_set(c->a, tlf, "SchemaArn", cd_strz(c->a, arn)) ||
            !cd_map_set(c->a, tlf, "TypedLinkName", cd_strz(c->a, fname)))
            return cd_oom(c);
        const char *kw = cd_arena_printf(c->a, "%s.AttributeKey", what);
        int rc = find_facet(c, d, tlf, kw ? kw : what, &other);
        if (rc)
            return rc;
        same = other.f->sid == f->sid;
    }
    if (!same)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s.AttributeKey names facet '%s' of schema '%s', but the link is of "
                       "typed link facet '%s' of schema '%s'",
                       what, fname, arn, f->name, f->schema_arn);
    return 0;
}

static int update_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    linkref lr;
    linkvals lv;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = read_link(c, d, req, &lr, &lv)))
        return rc;
    const cd_link_facet *f = lr.lf.f;
    const cd_value *ups = cd_get(req, "AttributeUpdates");
    for (size_t i = 0; i < cd_len(ups); i++) {
        const cd_value *u = ups->u.list.items[i];
        const char *what = label(c, "%s[%zu]", "AttributeUpdates", i);
        const cd_value *key = cd_get(u, "AttributeKey");
        const cd_value *act = cd_get(u, "AttributeAction");
        const char *type = cd_get_str(act, "AttributeActionType", NULL);
        const cd_value *val = cd_get(act, "AttributeUpdateValue");
        if (!key)
            return cd_fail(c->err, CD_E_ValidationException, "%s.AttributeKey is required",
                           what);
        if ((rc = key_names_facet(c, d, &lr, key, what)))
            return rc;
        const char *name = cd_get_str(key, "Name", NULL);
        const cd_attrdef *def = attr_of(f, name, NULL);
        if (!def)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: typed link facet '%s' has no attribute '%s'", what, f->name,
                           name);
        if (identity_at(f, name) >= 0)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: '%s' is an identity attribute of typed link facet '%s'; only "
                           "the other attributes can be updated (detach the link and attach "
                           "a new one instead)",
                           what, name, f->name);
        if (def->immutable)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: attribute '%s' of typed link facet '%s' is immutable; it can "
                           "only be given when the link is attached",
                           what, name, f->name);
        bool del = type && strcmp(type, "DELETE") == 0;
        if (del && def->required)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: attribute '%s' of typed link facet '%s' is REQUIRED_ALWAYS and "
                           "cannot be deleted",
                           what, name, f->name);
        cd_attrval v;
        if (!del) {
            cd_attrref r = ref_of(&lr.lf, def);
            /* No DELETE: an action with a value is CREATE_OR_UPDATE; say what is missing. */
            if (!act)
                return cd_fail(c->err, CD_E_ValidationException,
                               "%s: AttributeAction is missing; give it AttributeActionType "
                               "CREATE_OR_UPDATE with an AttributeUpdateValue, or DELETE", what);
            if (!val && !type)
                return cd_fail(c->err, CD_E_ValidationException,
                               "%s: AttributeAction.AttributeActionType is missing; give "
                               "CREATE_OR_UPDATE with an AttributeUpdateValue, or DELETE", what);
            if (!val)
                return cd_fail(c->err, CD_E_ValidationException,
                               "%s: CREATE_OR_UPDATE needs AttributeAction.AttributeUpdateValue",
                               what);
            if ((rc = cd_attrval_read(c, val, what, &v)) ||
                (rc = check_type(c, &lr.lf, def, &v, what)) || (rc = cd_attr_check_value(c, &r, &v)))
                return rc;
        }
        size_t at = lv.nother;
        for (size_t j = 0; j < lv.nother; j++)
            if (strcmp(lv.other_name[j], name) == 0)
                at = j;
        if (del) {
            if (at < lv.nother) {
                lv.other_name[at] = lv.other_name[lv.nother - 1];
                lv.other[at] = lv.other[--lv.nother];
            }
        } else {
            if (at == lv.nother) {
                if (lv.nother >= f->nattrs)
                    return cd_damaged(c, "a typed link has more values than attributes");
                lv.other_name[lv.nother++] = def->name;
            }
            lv.other[at] = v;
        }
    }
    unsigned char prefix[CD_OBJECT_SUB];
    cd_ordlayout l;
    cd_buf b;
    layout_of(prefix, lr.src.oid, true, &l);
    if ((rc = make_payload(c, lr.tgt.tag, &lr.lf, &lv, true, &b)) ||
        (rc = cd_ordentry_put(c, &l, lr.enc.p, lr.enc.len, lr.tgt_be, b.p, b.len)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ================================================================ listings */

/* A listing builds up to a page (1,000) of TypedLinkSpecifiers: each one is built in one
 * arena block, with constant member names, the facet's shared TypedLinkFacet map and its
 * shared attribute-name strings, instead of a dozen small allocations and key copies per
 * entry.  Responses are read-only trees, so the sharing is safe. */
typedef struct spec_block {
    cd_value spec, peer, sel;
    cd_value ids;
    cd_mapent spec_ents[4], peer_ents[1];
    char sel_text[SELECTOR_LEN + 1];
} spec_block;

/* One {AttributeName, Value = {<member>}} of IdentityAttributeValues. */
typedef struct idval_block {
    cd_value nv, value, member;
    cd_mapent nv_ents[2], value_ents[1];
} idval_block;

static const char *const member_names[] = {"StringValue", "BinaryValue", "BooleanValue",
                                           "NumberValue", "DatetimeValue"};

#define BLOCK_ALIGN(n) (((n) + 15) & ~(size_t)15)

static void set_ent(cd_mapent *e, const char *key, size_t n, cd_value *val)
{
    e->key = key;
    e->keylen = n;
    e->val = val;
}
#define SET_ENT(e, literal, val) set_ent(e, literal, sizeof literal - 1, val)

/* What a listing keeps per facet besides prepare()'s: the identity names as values, and room
 * to decode one entry's identity values. */
static int prepare_listing(cd_ctx *c, linkfacet *lf)
{
    size_t ni = lf->f->nidentity;
    lf->idname = cd_arena_alloc(c->a, (ni ? ni : 1) * sizeof *lf->idname);
    lf->idval = cd_arena_alloc(c->a, (ni ? ni : 1) * sizeof *lf->idval);
    if (!lf->idname || !lf->idval)
        return cd_oom(c);
    for (size_t i = 0; i < ni; i++)
        lf->idname[i] = (cd_value){.type = CDV_STRING,
                                   .u.s = {lf->f->identity[i], strlen(lf->f->identity[i])}};
    return 0;
}

/* The TypedLinkSpecifier of one listed entry: r is at its identity values; self is the listed
 * object's shared reference, the peer is (peer, tag). */
static int listed_specifier(cd_ctx *c, const linkfacet *lf, cd_rd *r, cd_value *self,
                            const char idp[CD_OBJECT_ID_PREFIX], uint64_t peer,
                            const unsigned char tag[8], bool outgoing, cd_value **out)
{
    size_t nid = lf->f->nidentity, text = 0;
    for (size_t i = 0; i < nid; i++) {
        cd_slice v = cd_rd_bytes(r);
        cd_attrval *av = &lf->idval[i];
        if (r->bad || !cd_attrval_decode(v.p, v.n, av) || av->type == CD_ATTR_VARIANT)
            return cd_damaged(c, "a typed link entry is malformed");
        if (av->type != CD_ATTR_BOOLEAN && av->type != CD_ATTR_DATETIME)
            text += av->n + 1;
    }
    size_t items_at = BLOCK_ALIGN(sizeof(spec_block));
    size_t vals_at = BLOCK_ALIGN(items_at + nid * sizeof(cd_value *));
    size_t text_at = vals_at + nid * sizeof(idval_block);
    char *base = cd_arena_alloc(c->a, text_at + text);
    if (!base)
        return cd_oom(c);
    spec_block *b = (spec_block *)base;
    cd_value **items = (cd_value **)(base + items_at);
    idval_block *iv = (idval_block *)(base + vals_at);
    char *p = base + text_at;
    for (size_t i = 0; i < nid; i++) {
        const cd_attrval *av = &lf->idval[i];
        idval_block *x = &iv[i];
        switch (av->type) {
        case CD_ATTR_BOOLEAN: x->member = (cd_value){.type = CDV_BOOL, .u.b = av->b}; break;
        case CD_ATTR_DATETIME: x->member = (cd_value){.type = CDV_TIME, .u.i = av->ms}; break;
        default:
            if (av->n)
                memcpy(p, av->p, av->n);
            p[av->n] = '\0';
            x->member = (cd_value){.type = av->type == CD_ATTR_BINARY ? CDV_BYTES : CDV_STRING,
                                   .u.s = {p, av->n}};
            p += av->n + 1;
        }
        set_ent(&x->value_ents[0], member_names[av->type], strlen(member_names[av->type]),
                &x->member);
        x->value = (cd_value){.type = CDV_MAP, .u.map = {x->value_ents, 1, 1}};
        SET_ENT(&x->nv_ents[0], "AttributeName", &lf->idname[i]);
        SET_ENT(&x->nv_ents[1], "Value", &x->value);
        x->nv = (cd_value){.type = CDV_MAP, .u.map = {x->nv_ents, 2, 2}};
        items[i] = &x->nv;
    }
    b->ids = (cd_value){.type = CDV_LIST, .u.list = {items, nid, nid}};
    b->sel_text[0] = '$';
    cd_object_id_format_with(idp, peer, tag, b->sel_text + 1);
    b->sel = (cd_value){.type = CDV_STRING, .u.s = {b->sel_text, SELECTOR_LEN}};
    SET_ENT(&b->peer_ents[0], "Selector", &b->sel);
    b->peer = (cd_value){.type = CDV_MAP, .u.map = {b->peer_ents, 1, 1}};
    SET_ENT(&b->spec_ents[0], "TypedLinkFacet", lf->ref);
    SET_ENT(&b->spec_ents[1], "SourceObjectReference", outgoing ? self : &b->peer);
    SET_ENT(&b->spec_ents[2], "TargetObjectReference", outgoing ? &b->peer : self);
    SET_ENT(&b->spec_ents[3], "IdentityAttributeValues", &b->ids);
    b->spec = (cd_value){.type = CDV_MAP, .u.map = {b->spec_ents, 4, 4}};
    *out = &b->spec;
    return 0;
}

/* The facets met in one listing (few: one per typed-link facet the object uses). */
typedef struct facet_memo {
    linkfacet *lf;
    size_t n, cap;
} facet_memo;

/* The facet of an entry whose encoding starts with F. */
static int facet_of_entry(cd_ctx *c, const cd_directory *d, facet_memo *m,
                          const unsigned char *enc, size_t n, const linkfacet **out)
{
    size_t sl = cd_ordkey_len(enc, n);
    if (!sl || sl < 3 || enc[0] != CD_ORD_TAG_STRING || sl + 4 > n)
        return cd_damaged(c, "a typed link key is malformed");
    size_t fl = sl + 4;
    for (size_t i = 0; i < m->n; i++)
        if (m->lf[i].fid_len == fl && memcmp(m->lf[i].fid, enc, fl) == 0) {
            *out = &m->lf[i];
            return 0;
        }
    /* Facet names cannot hold 0x00 (their pattern), so the STRING encoding is the name
     * between the tag and the two-byte terminator. */
    const char *name = cd_arena_strndup(c->a, (const char *)enc + 1, sl - 3);
    uint32_t sid = cd_get_u32be(enc + sl);
    cd_schema s;
    int rc = name ? cd_schema_get(c, sid, &s) : cd_oom(c);
    if (rc == CD_KV_NOTFOUND)
        return cd_damaged(c, "a typed link names a schema that does not exist");
    if (rc)
        return rc;
    s.arn = s.kind == CD_SCHEMA_MANAGED ? cd_managed_arn(c, false)
                                        : cd_arn_applied(c, d->arn, s.name, s.version, NULL);
    cd_link_facet *f;
    if (!s.arn)
        return cd_oom(c);
    if ((rc = cd_link_facet_read(c, &s, name, &f))) {
        if (rc == CD_E_FacetNotFoundException)
            return cd_damaged(c, "a typed link names a typed link facet that does not exist");
        return rc;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 4;
        linkfacet *g = cd_arena_alloc(c->a, cap * sizeof *g);
        if (!g)
            return cd_oom(c);
        if (m->n)
            memcpy(g, m->lf, m->n * sizeof *g);
        m->lf = g;
        m->cap = cap;
    }
    if ((rc = prepare(c, f, &m->lf[m->n])) || (rc = prepare_listing(c, &m->lf[m->n])))
        return rc;
    *out = &m->lf[m->n++];
    return 0;
}

/* Reads FilterTypedLink / FilterAttributeRanges into the scan's exact bytes and range
 * (semantics §5.4): ranges name identity attributes of the facet, and read in identity order
 * as exact* qualifying? full*. */
static int read_filter(cd_ctx *c, const cd_directory *d, const cd_value *req, cd_buf *exact,
                       cd_ordrange *range, bool *ranged)
{
    const cd_value *tlf = cd_get(req, "FilterTypedLink");
    const cd_value *ranges = cd_get(req, "FilterAttributeRanges");
    cd_buf_init(exact, c->a);
    *ranged = false;
    if (!tlf) {
        if (cd_len(ranges))
            return cd_fail(c->err, CD_E_ValidationException,
                           "FilterAttributeRanges needs FilterTypedLink: ranges apply to the "
                           "identity attributes of one typed link facet");
        return 0;
    }
    linkfacet lf;
    int rc = find_facet(c, d, tlf, "FilterTypedLink", &lf);
    if (rc)
        return rc;
    const cd_link_facet *f = lf.f;
    size_t ni = f->nidentity;
    cd_ordrange *rs = cd_arena_alloc(c->a, (ni ? ni : 1) * sizeof *rs);
    bool *set = cd_arena_alloc(c->a, (ni ? ni : 1) * sizeof *set);
    if (!rs || !set)
        return cd_oom(c);
    memset(set, 0, (ni ? ni : 1) * sizeof *set);
    for (size_t i = 0; i < cd_len(ranges); i++) {
        const cd_value *item = ranges->u.list.items[i];
        const char *name = cd_get_str(item, "AttributeName", NULL);
        const char *what = label(c, "%s[%zu]", "FilterAttributeRanges", i);
        if (!name)
            return cd_fail(c->err, CD_E_ValidationException,
                           "%s needs an AttributeName (an identity attribute of '%s')", what,
                           f->name);
        long at = identity_at(f, name);
        if (at < 0)
            return cd_fail(c->err, CD_E_ValidationException,
                           "%s names '%s', which is not an identity attribute of typed link "
                           "facet '%s'; ranges may only name its IdentityAttributeOrder",
                           what, name, f->name);
        if (set[at])
            return cd_fail(c->err, CD_E_ValidationException,
                           "%s: attribute '%s' has two ranges", what, name);
        const cd_attrdef *def = lf.idef[at];
        if ((rc = cd_ordrange_from(c, cd_get(item, "Range"), def->type, !def->required, what,
                                   &rs[at])))
            return rc;
        set[at] = true;
    }
    for (size_t i = 0; i < ni; i++)
        if (!set[i])
            cd_ordrange_full(&rs[i]);
    if (!cd_buf_put(exact, lf.fid, lf.fid_len))
        return cd_oom(c);
    size_t i = 0;
    for (; i < ni && cd_ordrange_is_exact(&rs[i]); i++)
        if (!cd_buf_put(exact, rs[i].lo.p, rs[i].lo.n))
            return cd_oom(c);
    size_t open = i;   /* the first attribute without an exact value */
    if (i < ni && !cd_ordrange_is_full(&rs[i])) {
        *range = rs[i];
        *ranged = true;
        i++;
    }
    for (; i < ni; i++)
        if (!cd_ordrange_is_full(&rs[i]))
            return cd_fail(c->err, CD_E_ValidationException,
                           "FilterAttributeRanges: in IdentityAttributeOrder the ranges must "
                           "read: exact values, then at most one other range, then none; "
                           "'%s' has a range, but '%s' before it is not an exact value",
                           f->identity[i], f->identity[open]);
    return 0;
}

static int list_links(cd_ctx *c, const cd_value *req, cd_value **resp, bool outgoing)
{
    cd_directory *d;
    cd_object o;
    cd_buf exact;
    cd_ordrange range;
    bool ranged;
    *resp = NULL;
    int rc = cd_request_directory(c, req, &d);
    if (rc || (rc = cd_select(c, d, cd_get(req, "ObjectReference"), "ObjectReference", &o)) ||
        (rc = read_filter(c, d, req, &exact, &range, &ranged)))
        return rc;
    /* Scope: directory, object (the operation is in the token's checksum already). */
    unsigned char scope[12];
    cd_put_u32be(scope, d->num);
    cd_put_u64be(scope + 4, o.oid);
    const unsigned char *resume;
    size_t rn;
    if ((rc = cd_token_read(c, req, scope, sizeof scope, &resume, &rn)))
        return rc;
    if (resume && rn < 8 + 1)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");

    unsigned char prefix[CD_OBJECT_SUB];
    cd_ordlayout l;
    layout_of(prefix, o.oid, outgoing, &l);
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_ordscan s;
    rc = cd_ordscan_open(c, &s, cur, &l, exact.p, exact.len, ranged ? &range : NULL, resume,
                         resume ? rn - 8 : 0, resume ? resume + rn - 8 : NULL);
    char idp[CD_OBJECT_ID_PREFIX];
    cd_object_id_prefix(d, idp);
    cd_value *self = object_ref(c, idp, o.oid, o.tag), *list = cd_list(c->a);
    if (!rc && (!self || !list))
        rc = cd_oom(c);
    int page = cd_page_size(c, req), count = 0;
    facet_memo memo = {0};
    unsigned char *last = NULL;
    size_t last_n = 0;
    cd_ordentry e;
    while (rc == 0 && (rc = cd_ordscan_next(&s, &e)) == 0) {
        if (count == page) {   /* one more exists: the next page resumes after the last */
            char *t = cd_token_make(c, scope, sizeof scope, last, last_n);
            if (!t || !(*resp = cd_map(c->a)) ||
                !cd_map_set(c->a, *resp, "NextToken", cd_strz(c->a, t)))
                rc = cd_oom(c);
            break;
        }
        const linkfacet *lf = NULL;
        cd_rd r;
        const unsigned char *tag;
        uint64_t nid;
        if ((rc = facet_of_entry(c, d, &memo, e.enc, e.enc_len, &lf)))
            break;
        if (!payload_open((cd_slice){e.payload, e.payload_len}, &r, &tag, &nid) ||
            nid != lf->f->nidentity) {
            rc = cd_damaged(c, "a typed link entry is malformed");
            break;
        }
        cd_value *spec = NULL;
        if ((rc = listed_specifier(c, lf, &r, self, idp, cd_get_u64be(e.suffix), tag, outgoing,
                                   &spec)))
            break;
        if (!cd_list_push(c->a, list, spec)) {
            rc = cd_oom(c);
            break;
        }
        if (++count == page) {
            last_n = e.enc_len + 8;
            if (!(last = cd_arena_alloc(c->a, last_n))) {
                rc = cd_oom(c);
                break;
            }
            memcpy(last, e.enc, e.enc_len);
            memcpy(last + e.enc_len, e.suffix, 8);
        }
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (!*resp && !(*resp = cd_map(c->a)))
        return cd_oom(c);
    if (!cd_map_set(c->a, *resp, outgoing ? "TypedLinkSpecifiers" : "LinkSpecifiers", list))
        return cd_oom(c);
    return 0;
}

static int list_outgoing(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    return list_links(c, req, resp, true);
}

static int list_incoming(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    return list_links(c, req, resp, false);
}

/* ================================================================ DeleteObject */

int cd_typedlink_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    (void)d;
    unsigned char k[CD_OBJECT_SUB];
    bool out = false, in = false;
    int rc = cd_prefix_exists(c, k, cd_object_sub_prefix(k, o->oid, CDO_TYPED_OUT), &out);
    if (rc || (!out && (rc = cd_prefix_exists(c, k, cd_object_sub_prefix(k, o->oid, CDO_TYPED_IN),
                                              &in))))
        return rc;
    if (out || in)
        return cd_fail(c->err, CD_E_StillContainsLinksException,
                       "the object still has %s typed links; detach them (DetachTypedLink) "
                       "before deleting it",
                       out ? "outgoing" : "incoming");
    return 0;
}

const cd_handler_entry cd_typedlink_handlers[] = {
    {CD_OP_AttachTypedLink, attach},
    {CD_OP_DetachTypedLink, detach},
    {CD_OP_GetLinkAttributes, get_attributes},
    {CD_OP_UpdateLinkAttributes, update_attributes},
    {CD_OP_ListOutgoingTypedLinks, list_outgoing},
    {CD_OP_ListIncomingTypedLinks, list_incoming},
    {-1, NULL},
};
