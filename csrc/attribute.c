/* attribute.c — attribute values: reading them from requests, checking them against their
 * definitions, storing them, and finding the storage slot an attribute key names. */
#include <string.h>
#include "attribute.h"
#include "object.h"   /* cd_object_sub_prefix, cd_get_u64be */
#include "keys.h"
#include "rules.h"
#include "schema_model.h"   /* cd_attr_type_name */

static const char *const member_text[] = {"StringValue", "BinaryValue", "BooleanValue",
                                          "NumberValue", "DatetimeValue"};

/* ---------------------------------------------------------------- values */

int cd_attrval_read(cd_ctx *c, const cd_value *tv, const char *what, cd_attrval *out)
{
    memset(out, 0, sizeof *out);
    const cd_value *v;
    if ((v = cd_get(tv, "StringValue")) && (v->type == CDV_STRING || v->type == CDV_BYTES)) {
        out->type = CD_ATTR_STRING;
        out->p = v->u.s.p;
        out->n = v->u.s.len;
    } else if ((v = cd_get(tv, "BinaryValue")) &&
               (v->type == CDV_BYTES || v->type == CDV_STRING)) {
        out->type = CD_ATTR_BINARY;
        out->p = v->u.s.p;
        out->n = v->u.s.len;
    } else if ((v = cd_get(tv, "BooleanValue")) && v->type == CDV_BOOL) {
        out->type = CD_ATTR_BOOLEAN;
        out->b = v->u.b;
    } else if ((v = cd_get(tv, "NumberValue")) && v->type == CDV_STRING) {
        out->type = CD_ATTR_NUMBER;
        out->p = v->u.s.p;
        out->n = v->u.s.len;
        if (!cd_decimal_valid(out->p, out->n))
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: NumberValue '%.*s' is not a decimal number (expected e.g. "
                           "\"42\", \"-1.5\", \"1e3\")",
                           what, (int)(out->n > 100 ? 100 : out->n), out->p);
    } else if ((v = cd_get(tv, "DatetimeValue")) && v->type == CDV_TIME) {
        /* The shape checker has turned seconds into milliseconds, in requests and in the
         * DefaultValues facets keep alike. */
        out->type = CD_ATTR_DATETIME;
        out->ms = v->u.i;
    } else {
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s must have exactly one of StringValue, BinaryValue, BooleanValue, "
                       "NumberValue, DatetimeValue", what);
    }
    return 0;
}

cd_value *cd_attrval_typed(cd_arena *a, const cd_attrval *v)
{
    cd_value *m = cd_map(a), *x = NULL;
    if (!m)
        return NULL;
    switch (v->type) {
    case CD_ATTR_STRING:
    case CD_ATTR_NUMBER: x = cd_str(a, v->p, v->n); break;
    case CD_ATTR_BINARY: x = cd_bytes(a, v->p, v->n); break;
    case CD_ATTR_BOOLEAN: x = cd_bool(a, v->b); break;
    case CD_ATTR_DATETIME: x = cd_time_ms(a, v->ms); break;
    case CD_ATTR_VARIANT: return NULL;
    }
    return cd_map_set(a, m, member_text[v->type], x) ? m : NULL;
}

bool cd_attrval_equal(const cd_attrval *x, const cd_attrval *y)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case CD_ATTR_BOOLEAN: return x->b == y->b;
    case CD_ATTR_DATETIME: return x->ms == y->ms;
    default: return x->n == y->n && (x->n == 0 || memcmp(x->p, y->p, x->n) == 0);
    }
}

bool cd_attrval_encode(cd_buf *b, const cd_attrval *v)
{
    if (!cd_buf_byte(b, (unsigned char)v->type))
        return false;
    switch (v->type) {
    case CD_ATTR_BOOLEAN: return cd_buf_byte(b, v->b ? 1 : 0);
    case CD_ATTR_DATETIME: return cd_buf_u64be(b, (uint64_t)v->ms);
    case CD_ATTR_VARIANT: return false;
    default: return cd_buf_put(b, v->p, v->n);
    }
}

bool cd_attrval_decode(const void *src, size_t n, cd_attrval *out)
{
    const unsigned char *p = src;
    memset(out, 0, sizeof *out);
    if (n < 1)
        return false;
    out->type = (cd_attr_type)p[0];
    switch (out->type) {
    case CD_ATTR_STRING:
    case CD_ATTR_BINARY:
    case CD_ATTR_NUMBER:
        out->p = (const char *)p + 1;
        out->n = n - 1;
        return true;
    case CD_ATTR_BOOLEAN:
        out->b = n == 2 && p[1];
        return n == 2;
    case CD_ATTR_DATETIME:
        if (n != 9)
            return false;
        out->ms = (int64_t)cd_get_u64be(p + 1);
        return true;
    default: return false;
    }
}

/* ---------------------------------------------------------------- slots */

size_t cd_slot_prefix(unsigned char *buf, uint64_t oid, uint32_t sid, const char *facet)
{
    size_t n = cd_object_sub_prefix(buf, oid, CDO_VALUE);
    if (!facet)
        return n;
    buf[n] = (unsigned char)(sid >> 24);
    buf[n + 1] = (unsigned char)(sid >> 16);
    buf[n + 2] = (unsigned char)(sid >> 8);
    buf[n + 3] = (unsigned char)sid;
    n += 4;
    size_t fn = strlen(facet);
    if (fn > 64)
        return 0;
    memcpy(buf + n, facet, fn);
    buf[n + fn] = 0;
    return n + fn + 1;
}

size_t cd_slot_key(unsigned char *buf, uint64_t oid, const cd_slot *s)
{
    size_t n = cd_slot_prefix(buf, oid, s->sid, s->facet), an = strlen(s->attr);
    if (!n || an > 230)
        return 0;
    memcpy(buf + n, s->attr, an);
    return n + an;
}

bool cd_slot_parse(const unsigned char *k, size_t n, cd_slot *out, cd_arena *a)
{
    if (n < 5)
        return false;
    out->sid = cd_get_u32be(k);
    const unsigned char *z = memchr(k + 4, 0, n - 4);
    if (!z)
        return false;
    out->facet = cd_arena_strndup(a, (const char *)k + 4, (size_t)(z - k - 4));
    out->attr = cd_arena_strndup(a, (const char *)z + 1, (size_t)(k + n - z - 1));
    return out->facet && out->attr;
}

bool cd_slot_equal(const cd_slot *x, const cd_slot *y)
{
    return x->sid == y->sid && strcmp(x->facet, y->facet) == 0 && strcmp(x->attr, y->attr) == 0;
}

/* ---------------------------------------------------------------- resolving keys */

cd_slot cd_attr_slot(const cd_facet *f, const cd_attrdef *def)
{
    (void)f;
    return (cd_slot){def->target_sid, def->target_facet, def->target_attr};
}

const char *cd_attr_label(cd_ctx *c, const cd_facet *f, const char *attr)
{
    const char *arn = f->schema_arn ? f->schema_arn : "";
    const char *schema = strstr(arn, ":schema/");
    const char *applied = strstr(arn, "/schema/");
    if (applied)
        schema = applied + 8;
    else if (schema)
        schema += 8;
    else
        schema = arn;
    const char *s = attr ? cd_arena_printf(c->a, "attribute '%s' of facet '%s' (schema %s)",
                                           attr, f->name, schema)
                         : cd_arena_printf(c->a, "facet '%s' (schema %s)", f->name, schema);
    return s ? s : "attribute";
}

bool cd_facetset_covers(const cd_facetset *fs, const cd_slot *s, bool *required, bool *immutable)
{
    bool found = false, req = false, imm = false;
    for (size_t i = 0; i < fs->n; i++) {
        const cd_facet *g = fs->f[i];
        if (g->dynamic && g->sid == s->sid && strcmp(g->name, s->facet) == 0)
            found = true;
        for (size_t j = 0; j < g->nattrs; j++) {
            const cd_attrdef *a = &g->attrs[j];
            if (a->target_sid == s->sid && strcmp(a->target_attr, s->attr) == 0 &&
                strcmp(a->target_facet, s->facet) == 0) {
                found = true;
                req |= a->required;
                imm |= a->immutable;
            }
        }
    }
    if (required)
        *required = req;
    if (immutable)
        *immutable = imm;
    return found;
}

static bool facet_on(const cd_facetset *fs, const cd_facet *f)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->f[i] == f || (fs->f[i]->sid == f->sid && strcmp(fs->f[i]->name, f->name) == 0))
            return true;
    return false;
}

int cd_attr_resolve_in(cd_ctx *c, const cd_facetset *fs, const cd_facet *f, const char *name,
                       const char *what, cd_attrref *out)
{
    memset(out, 0, sizeof *out);
    out->facet = f;
    if (f->dynamic) {
        /* Dynamic facets accept any attribute name; their values are VARIANT. */
        out->slot = (cd_slot){f->sid, f->name, name};
        out->type = CD_ATTR_VARIANT;
    } else {
        out->def = cd_facet_attr(f, name);
        if (!out->def)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s: facet '%s' has no attribute '%s'", what, f->name, name);
        out->slot = cd_attr_slot(f, out->def);
        out->type = out->def->type;
    }
    out->on_object = facet_on(fs, f);
    if (!out->on_object && !cd_facetset_covers(fs, &out->slot, NULL, NULL)) {
        if (fs->what)
            return cd_fail(c->err, CD_E_FacetValidationException, "%s: %s is not among %s",
                           what, cd_attr_label(c, f, NULL), fs->what);
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s: the object does not have %s", what, cd_attr_label(c, f, NULL));
    }
    return 0;
}

int cd_attr_resolve(cd_ctx *c, const cd_facetset *fs, const cd_value *key, const char *what,
                    cd_attrref *out)
{
    size_t an, fnl;
    const char *arn = cd_get_str(key, "SchemaArn", &an);
    const char *fname = cd_get_str(key, "FacetName", &fnl);
    const char *name = cd_get_str(key, "Name", NULL);
    if (!arn || !fname || !name)
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s must have SchemaArn, FacetName and Name", what);
    /* Most keys name a facet of the object by its own ARN: no catalog lookup then. */
    cd_facet *f = NULL;
    for (size_t i = 0; i < fs->n && !f; i++)
        if (strcmp(fs->f[i]->name, fname) == 0 && strlen(fs->f[i]->schema_arn) == an &&
            memcmp(fs->f[i]->schema_arn, arn, an) == 0)
            f = fs->f[i];
    if (!f) {
        int rc = cd_facet_find(c, fs->d, key, &f);
        if (rc)
            return rc;
    }
    return cd_attr_resolve_in(c, fs, f, name, what, out);
}

/* ---------------------------------------------------------------- checking values */

#define AWS_VALUE_MAX 2048
#define AWS_POLICY_DOCUMENT_MAX 10240

static bool is_policy_document(const cd_slot *s)
{
    return s->sid == CD_BASE_SCHEMA_SID && strcmp(s->facet, "POLICY") == 0 &&
           strcmp(s->attr, "policy_document") == 0;
}

/* Labels are built only on failure: formatting costs more than the checks. */
static const char *check_label(cd_ctx *c, const cd_attrref *r)
{
    return cd_attr_label(c, r->facet, r->def ? r->def->name : r->slot.attr);
}

int cd_attr_check_value(cd_ctx *c, const cd_attrref *r, const cd_attrval *v)
{
    if (r->type != CD_ATTR_VARIANT && r->type != v->type)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "%s has type %s; a %s was given", check_label(c, r), cd_attr_type_name(r->type),
                       member_text[v->type]);
    if (cd_aws_limits(c) && (v->type == CD_ATTR_STRING || v->type == CD_ATTR_BINARY ||
                             v->type == CD_ATTR_NUMBER)) {
        size_t max = is_policy_document(&r->slot) ? AWS_POLICY_DOCUMENT_MAX : AWS_VALUE_MAX;
        if (v->n > max)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "%s: the value has %zu bytes; at most %zu are allowed (limits = "
                           "\"aws\")", check_label(c, r), v->n, max);
    }
    if (r->def && r->def->rules) {
        cd_rule_subject kind = v->type == CD_ATTR_STRING ? CD_RULE_STRING
                             : v->type == CD_ATTR_BINARY ? CD_RULE_BINARY
                             : v->type == CD_ATTR_NUMBER ? CD_RULE_NUMBER : CD_RULE_OTHER;
        const char *bad = cd_rules_check(c->a, r->def->rules, kind, v->p, v->n);
        if (bad)
            return cd_fail(c->err, CD_E_FacetValidationException, "%s breaks %s",
                           check_label(c, r), bad);
    }
    return 0;
}
