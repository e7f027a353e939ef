/* facet.c — facets and typed-link facets of a schema: create (with every validation of the
 * definition), get, list, delete, update facets (UpdateFacet) and typed-link facets
 * (development schemas only).
 * Storage is in schema_model.c.
 *
 * Where: facets and typed-link facets are created in development and applied schemas
 * (applied: only new ones), deleted in development schemas only, and read in development,
 * published, applied and base schemas.  The wrong kind of schema is InvalidArnException. */
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "schema_model.h"
#include "attribute.h"
#include "rules.h"
#include "keys.h"

/* Service limits (limits = "aws"). */
#define MAX_ATTRIBUTES 1000
#define MAX_REQUIRED 30
#define MAX_DEFAULTS 10
#define MAX_RULES 5
#define MAX_FACETS 30

#define READ_KINDS CD_ARN_ANY_SCHEMA
#define CREATE_KINDS (CD_ARN_DEVELOPMENT | CD_ARN_APPLIED)
#define DELETE_KINDS CD_ARN_DEVELOPMENT

/* ================================================================ enums */

static int attr_type_from(const char *s, cd_attr_type *t)
{
    for (int i = CD_ATTR_STRING; s && i <= CD_ATTR_VARIANT; i++)
        if (strcmp(s, cd_attr_type_name((cd_attr_type)i)) == 0) {
            *t = (cd_attr_type)i;
            return 0;
        }
    return -1;
}

static cd_object_type object_type_from(const char *s)
{
    for (int i = CD_OT_NODE; s && i <= CD_OT_INDEX; i++)
        if (strcmp(s, cd_object_type_name((cd_object_type)i)) == 0)
            return (cd_object_type)i;
    return CD_OT_NONE;
}

/* The TypedAttributeValue member that carries a value of type t. */
static const char *value_member(cd_attr_type t)
{
    switch (t) {
    case CD_ATTR_STRING: return "StringValue";
    case CD_ATTR_BINARY: return "BinaryValue";
    case CD_ATTR_BOOLEAN: return "BooleanValue";
    case CD_ATTR_NUMBER: return "NumberValue";
    case CD_ATTR_DATETIME: return "DatetimeValue";
    default: return NULL;
    }
}

/* ================================================================ numbers */

/* A decimal number as NumberValue and NUMBER_COMPARISON bounds spell it (rules.h). */
static bool is_number(const char *s) { return cd_decimal_valid(s, strlen(s)); }

/* A length bound: a non-negative integer (of any size; compared as a decimal). */
static bool is_length(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

/* ================================================================ validation */

/* What is being defined, for messages: "facet 'Person'" / "typed link facet 'friend'", in
 * schema schema_arn. */
typedef struct defining {
    const char *what;
    const char *name;
    const char *schema_arn;
} defining;

static int check_rules(cd_ctx *c, const defining *df, const char *attr, cd_attr_type type,
                       const cd_value *rules)
{
    size_t n = cd_len(rules);
    if (cd_aws_limits(c) && n > MAX_RULES)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "attribute '%s' of %s '%s' has %zu rules; at most %d rules per attribute",
                       attr, df->what, df->name, n, MAX_RULES);
    for (size_t i = 0; i < n; i++) {
        const cd_mapent *e = &rules->u.map.ents[i];
        const char *rt = cd_get_str(e->val, "Type", NULL);
        const cd_value *params = cd_get(e->val, "Parameters");
        if (!rt)
            return cd_fail(c->err, CD_E_InvalidRuleException,
                           "rule '%s' of attribute '%s' has no Type (STRING_LENGTH, "
                           "BINARY_LENGTH, NUMBER_COMPARISON or STRING_FROM_SET)",
                           e->key, attr);
        cd_attr_type fits;
        bool bounds = true;
        if (strcmp(rt, "STRING_LENGTH") == 0)
            fits = CD_ATTR_STRING;
        else if (strcmp(rt, "BINARY_LENGTH") == 0)
            fits = CD_ATTR_BINARY;
        else if (strcmp(rt, "NUMBER_COMPARISON") == 0)
            fits = CD_ATTR_NUMBER;
        else if (strcmp(rt, "STRING_FROM_SET") == 0)
            fits = CD_ATTR_STRING, bounds = false;
        else
            return cd_fail(c->err, CD_E_InvalidRuleException, "rule '%s' has unknown Type '%s'",
                           e->key, rt);
        if (type != fits)
            return cd_fail(c->err, CD_E_InvalidRuleException,
                           "rule '%s' (%s) of attribute '%s' applies to %s attributes, but '%s' "
                           "is %s",
                           e->key, rt, attr, cd_attr_type_name(fits), attr,
                           cd_attr_type_name(type));
        size_t np = cd_len(params);
        if (!bounds) {
            if (np != 1 || strcmp(params->u.map.ents[0].key, "allowedValues") != 0)
                return cd_fail(c->err, CD_E_InvalidRuleException,
                               "rule '%s' (STRING_FROM_SET) takes exactly one parameter, "
                               "'allowedValues' (a comma-separated list)",
                               e->key);
            continue;
        }
        const char *lo = NULL, *hi = NULL;
        for (size_t j = 0; j < np; j++) {
            const cd_mapent *pe = &params->u.map.ents[j];
            const char *val = cd_is(pe->val, CDV_STRING) ? pe->val->u.s.p : "";
            bool is_min = strcmp(pe->key, "min") == 0, is_max = strcmp(pe->key, "max") == 0;
            if (!is_min && !is_max)
                return cd_fail(c->err, CD_E_InvalidRuleException,
                               "rule '%s' (%s) has parameter '%s'; its parameters are 'min' "
                               "and 'max'",
                               e->key, rt, pe->key);
            if (!(fits == CD_ATTR_NUMBER ? is_number(val) : is_length(val)))
                return cd_fail(c->err, CD_E_InvalidRuleException,
                               "parameter '%s' of rule '%s' (%s) is '%s', which is not %s",
                               pe->key, e->key, rt, val,
                               fits == CD_ATTR_NUMBER ? "a number" : "a non-negative integer");
            if (is_min)
                lo = val;
            else
                hi = val;
        }
        if (!lo && !hi)
            return cd_fail(c->err, CD_E_InvalidRuleException,
                           "rule '%s' (%s) needs a 'min' or 'max' parameter (or both)", e->key,
                           rt);
        if (lo && hi && cd_decimal_cmp(lo, strlen(lo), hi, strlen(hi)) > 0)
            return cd_fail(c->err, CD_E_InvalidRuleException,
                           "rule '%s' (%s) has min greater than max", e->key, rt);
    }
    return 0;
}

static int check_default(cd_ctx *c, const defining *df, const char *attr, cd_attr_type type,
                         const cd_value *dv)
{
    if (cd_len(dv) != 1)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "the DefaultValue of attribute '%s' must set exactly one member",
                       attr);
    const char *given = dv->u.map.ents[0].key, *want = value_member(type);
    if (want && strcmp(given, want) != 0)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "attribute '%s' of %s '%s' is %s, so its DefaultValue must be a %s, not "
                       "a %s",
                       attr, df->what, df->name, cd_attr_type_name(type), want, given);
    const cd_value *num = cd_get(dv, "NumberValue");
    if (num && (!cd_is(num, CDV_STRING) || !is_number(num->u.s.p)))
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "the DefaultValue of attribute '%s' is not a number", attr);
    return 0;
}

/* A default is stored on every object (or link) that omits the attribute, so it must pass
 * exactly the checks a value written to the attribute passes: the same function checks both
 * (rules, and the value size under limits = "aws").  Runs once the default's type and the
 * rules themselves are known to be valid. */
static int check_default_passes(cd_ctx *c, const defining *df, const char *attr,
                                const cd_attrdef *a)
{
    cd_attrval v;
    int rc = cd_attrval_read(c, a->default_value, "DefaultValue", &v);
    if (rc)
        return rc;
    cd_facet label = {.sid = a->target_sid, .schema_arn = df->schema_arn, .name = df->name};
    cd_attrref r = {.facet = &label, .def = a, .slot = {a->target_sid, df->name, attr},
                    .type = a->type, .on_object = true};
    if ((rc = cd_attr_check_value(c, &r, &v)) == 0)
        return 0;
    char msg[sizeof c->err->message];
    memcpy(msg, c->err->message, sizeof msg);
    return cd_fail(c->err, rc, "DefaultValue refused, as a written value would be: %s", msg);
}

/* Reads the definition part common to facet and typed-link attributes. */
static int read_definition(cd_ctx *c, const defining *df, const char *attr,
                           const cd_value *def, cd_attrdef *a)
{
    if (attr_type_from(cd_get_str(def, "Type", NULL), &a->type))
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "attribute '%s' has no valid Type", attr);
    a->immutable = cd_get_bool(def, "IsImmutable", false);
    a->default_value = cd_get(def, "DefaultValue");
    a->rules = cd_get(def, "Rules");
    if (a->rules && !cd_is(a->rules, CDV_MAP))
        a->rules = NULL;
    if (a->rules && cd_len(a->rules) == 0)
        a->rules = NULL;   /* an empty map is the same as none */
    int rc;
    if (a->default_value && (rc = check_default(c, df, attr, a->type, a->default_value)))
        return rc;
    if (a->rules && (rc = check_rules(c, df, attr, a->type, a->rules)))
        return rc;
    if (a->default_value && (rc = check_default_passes(c, df, attr, a)))
        return rc;
    return 0;
}

/* Sorts attributes by name and checks names are unique and the per-facet limits. */
static int sort_and_count(cd_ctx *c, const defining *df, cd_attrdef *attrs, size_t n)
{
    qsort(attrs, n, sizeof *attrs, cd_attrdef_cmp);
    size_t required = 0, defaults = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(attrs[i - 1].name, attrs[i].name) == 0)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "%s '%s' declares attribute '%s' twice", df->what, df->name,
                           attrs[i].name);
        required += attrs[i].required;
        defaults += attrs[i].default_value != NULL;
    }
    if (!cd_aws_limits(c))
        return 0;
    if (n > MAX_ATTRIBUTES)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "%s '%s' has %zu attributes; at most %d per facet", df->what, df->name,
                       n, MAX_ATTRIBUTES);
    if (required > MAX_REQUIRED)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "%s '%s' has %zu REQUIRED_ALWAYS attributes; at most %d per facet",
                       df->what, df->name, required, MAX_REQUIRED);
    if (defaults > MAX_DEFAULTS)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "%s '%s' has %zu attributes with a DefaultValue; at most %d per facet",
                       df->what, df->name, defaults, MAX_DEFAULTS);
    return 0;
}

/* Checks every reference of the new facet f points at a definition of the same schema. */
static int check_references(cd_ctx *c, const cd_schema *s, const cd_facet *f)
{
    for (size_t i = 0; i < f->nattrs; i++) {
        const cd_attrdef *a = &f->attrs[i];
        if (!a->is_reference)
            continue;
        const cd_facet *tf = NULL;
        if (strcmp(a->target_facet, f->name) == 0) {
            tf = f;
        } else {
            cd_facet *loaded;
            int rc = cd_facet_read(c, s, a->target_facet, &loaded);
            if (rc == CD_E_FacetNotFoundException)
                return cd_fail(c->err, CD_E_FacetValidationException,
                               "attribute '%s' refers to facet '%s', which schema '%s' does not "
                               "have",
                               a->name, a->target_facet, s->arn);
            if (rc)
                return rc;
            tf = loaded;
        }
        const cd_attrdef *t = cd_facet_attr(tf, a->target_attr);
        if (!t)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "attribute '%s' refers to %s.%s, but facet '%s' has no attribute "
                           "'%s'",
                           a->name, a->target_facet, a->target_attr, a->target_facet,
                           a->target_attr);
        if (t->is_reference)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "attribute '%s' refers to %s.%s, which is itself a reference; a "
                           "reference must target an attribute definition",
                           a->name, a->target_facet, a->target_attr);
    }
    return 0;
}

/* Opens the schema a create operation writes to: development or applied. */
/* The schema a facet change is for: a development schema, or one applied to a directory
 * that is not DELETED (deletion is irreversible; ApplySchema treats such a directory as gone
 * too). */
static int open_for_change(cd_ctx *c, const cd_value *req, cd_schema *s)
{
    int rc = cd_schema_open(c, req, "SchemaArn", CREATE_KINDS, s);
    if (rc == 0 && s->kind == CD_SCHEMA_APPLIED && s->dir && s->dir->state == CD_DIR_DELETED)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "SchemaArn '%s': directory '%s' has been deleted", s->arn, s->dir->arn);
    return rc;
}

static int open_for_create(cd_ctx *c, const cd_value *req, cd_schema *s)
{
    return open_for_change(c, req, s);
}

/* One FacetAttribute of facet f (`where`[i] in messages) into a: a definition, checked, or
 * a reference (checked later, by check_references, once the whole facet is known). */
static int read_facet_attribute(cd_ctx *c, const defining *df, const cd_facet *f,
                                const cd_value *fa, const char *where, size_t i, cd_attrdef *a)
{
    int rc;
    memset(a, 0, sizeof *a);
    a->name = cd_get_str(fa, "Name", NULL);
    if (!a->name)
        return cd_fail(c->err, CD_E_ValidationException, "%s[%zu].Name is required", where, i);
    const char *rb = cd_get_str(fa, "RequiredBehavior", NULL);
    a->required = rb && strcmp(rb, "REQUIRED_ALWAYS") == 0;
    a->target_sid = f->sid;
    const cd_value *def = cd_get(fa, "AttributeDefinition");
    const cd_value *ref = cd_get(fa, "AttributeReference");
    if (!def == !ref)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "attribute '%s' must have exactly one of AttributeDefinition and "
                       "AttributeReference",
                       a->name);
    if (ref) {
        a->is_reference = true;
        a->target_facet = cd_get_str(ref, "TargetFacetName", NULL);
        a->target_attr = cd_get_str(ref, "TargetAttributeName", NULL);
        if (!a->target_facet || !a->target_attr)
            return cd_fail(c->err, CD_E_ValidationException,
                           "the AttributeReference of attribute '%s' needs TargetFacetName "
                           "and TargetAttributeName",
                           a->name);
    } else {
        a->target_facet = f->name;
        a->target_attr = a->name;
        if ((rc = read_definition(c, df, a->name, def, a)))
            return rc;
    }
    return 0;
}

/* The object type and style of facet f go together: a static facet needs an object type,
 * a dynamic one may not be an INDEX. */
static int check_object_type(cd_ctx *c, const cd_facet *f)
{
    if (!f->dynamic && f->object_type == CD_OT_NONE)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "static facet '%s' needs an ObjectType (NODE, LEAF_NODE, POLICY or "
                       "INDEX); only a DYNAMIC facet may leave it out",
                       f->name);
    if (f->dynamic && f->object_type == CD_OT_INDEX)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "dynamic facet '%s' cannot have ObjectType INDEX (NODE, LEAF_NODE or "
                       "POLICY, or none)",
                       f->name);
    return 0;
}

/* ================================================================ CreateFacet */

static int create_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = open_for_create(c, req, &s);
    if (rc)
        return rc;
    const char *name = cd_get_str(req, "Name", NULL);
    defining df = {"facet", name, s.arn};
    bool exists;
    if ((rc = cd_facet_exists(c, s.sid, name, &exists)))
        return rc;
    if (exists)
        return cd_fail(c->err, CD_E_FacetAlreadyExistsException,
                       "schema '%s' already has a facet named '%s'", s.arn, name);
    if (cd_aws_limits(c)) {
        unsigned char k[5];
        size_t n;
        k[0] = CDK_FACET;
        cd_put_u32be(k + 1, s.sid);
        if ((rc = cd_count_prefix(c, k, 5, MAX_FACETS, &n)))
            return rc;
        if (n >= MAX_FACETS)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "schema '%s' already has %d facets, the most a schema may have",
                           s.arn, MAX_FACETS);
    }

    const char *style = cd_get_str(req, "FacetStyle", NULL);
    const char *ot = cd_get_str(req, "ObjectType", NULL);
    cd_facet f = {.sid = s.sid, .schema_arn = s.arn, .name = name,
                  .object_type = object_type_from(ot),
                  .dynamic = style && strcmp(style, "DYNAMIC") == 0};
    if (ot && f.object_type == CD_OT_NONE)
        return cd_fail(c->err, CD_E_ValidationException, "ObjectType '%s' is not valid", ot);
    if ((rc = check_object_type(c, &f)))
        return rc;

    const cd_value *list = cd_get(req, "Attributes");
    f.nattrs = cd_len(list);
    f.attrs = cd_arena_alloc(c->a, (f.nattrs ? f.nattrs : 1) * sizeof *f.attrs);
    if (!f.attrs)
        return cd_oom(c);
    for (size_t i = 0; i < f.nattrs; i++)
        if ((rc = read_facet_attribute(c, &df, &f, list->u.list.items[i], "Attributes", i,
                                       &f.attrs[i])))
            return rc;
    if ((rc = sort_and_count(c, &df, f.attrs, f.nattrs)) || (rc = check_references(c, &s, &f)) ||
        (rc = cd_facet_write(c, s.sid, &f)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ================================================================ UpdateFacet */

/* A copy of attrs[0..n) in a, with room for nu more (each update may add one). */
static cd_attrdef *attrs_for_update(cd_arena *a, const cd_attrdef *attrs, size_t n, size_t nu)
{
    cd_attrdef *copy = cd_arena_alloc(a, (n + nu + 1) * sizeof *copy);
    if (copy && n)
        memcpy(copy, attrs, n * sizeof *copy);
    return copy;
}

/* AttributeUpdates[i] of an update of a facet with attributes attrs[0..n): its Attribute,
 * Action and attribute name, each required, the name not updated before; *at is where that
 * attribute stands in attrs (n when the facet does not have it yet). */
static int read_attribute_update(cd_ctx *c, const cd_value *ups, size_t i, const cd_attrdef *attrs,
                                 size_t n, const cd_value **attr, const char **action,
                                 const char **name, size_t *at)
{
    const cd_value *u = ups->u.list.items[i];
    *attr = cd_get(u, "Attribute");
    *action = cd_get_str(u, "Action", NULL);
    *name = cd_get_str(*attr, "Name", NULL);
    if (!*name || !*action)
        return cd_fail(c->err, CD_E_ValidationException,
                       "AttributeUpdates[%zu] needs Attribute.Name and Action", i);
    for (size_t j = 0; j < i; j++) {
        const char *prev = cd_get_str(cd_get(ups->u.list.items[j], "Attribute"), "Name", NULL);
        if (prev && strcmp(prev, *name) == 0)
            return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                           "AttributeUpdates[%zu]: attribute '%s' is updated twice", i, *name);
    }
    *at = n;
    for (size_t j = 0; j < n; j++)
        if (strcmp(attrs[j].name, *name) == 0)
            *at = j;
    return 0;
}

/* After facet `old` of schema s changed into f: every reference of s that targets it must
 * still find an attribute definition there (InvalidFacetUpdateException, naming the
 * reference).  References of f itself count when it had them before; a new one is checked by
 * check_references like any definition (FacetValidationException). */
static int check_references_to(cd_ctx *c, const cd_schema *s, const cd_facet *old,
                               const cd_facet *f)
{
    unsigned char k[CD_FACET_KEY_MAX];
    size_t kn = cd_key_facet(k, s->sid, "");
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice key, val;
    const char *bad = NULL, *via = NULL, *target = NULL;
    rc = cd_cursor_seek(cur, (cd_slice){k, kn}, &key, &val, c->err);
    while (rc == 0 && !bad && key.n >= kn && memcmp(key.p, k, kn) == 0) {
        const char *other = cd_arena_strndup(c->a, (const char *)key.p + kn, key.n - kn);
        cd_facet *of;
        if (!other) {
            rc = cd_oom(c);
            break;
        }
        if (strcmp(other, f->name) == 0) {
            of = (cd_facet *)f;   /* its own references: the new version */
        } else if ((rc = cd_facet_read(c, s, other, &of))) {
            break;
        }
        for (size_t i = 0; i < of->nattrs && !bad; i++) {
            const cd_attrdef *a = &of->attrs[i];
            if (!a->is_reference || strcmp(a->target_facet, f->name) != 0)
                continue;
            const cd_attrdef *was = of == f ? cd_facet_attr(old, a->name) : a;
            if (!was || !was->is_reference || strcmp(was->target_facet, a->target_facet) != 0 ||
                strcmp(was->target_attr, a->target_attr) != 0)
                continue;   /* new in this update */
            const cd_attrdef *t = cd_facet_attr(f, a->target_attr);
            if (!t || t->is_reference)
                bad = other, via = a->name, target = a->target_attr;
        }
        rc = cd_cursor_next(cur, &key, &val, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (bad)
        return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                       "attribute '%s' of facet '%s' refers to %s.%s, which would no longer be "
                       "an attribute definition; change or delete that reference first",
                       via, bad, f->name, target);
    return 0;
}

/* UpdateFacet (§3.4).  Development schemas: attributes are created, replaced or deleted and
 * the object type may change, with every check of CreateFacet.  Applied schemas: only new
 * NOT_REQUIRED attributes (an update that leaves an attribute as it is, or sets the object
 * type it already has, changes nothing and is accepted); anything else is
 * InvalidFacetUpdateException.  Published schemas are immutable: InvalidArnException.
 * Deleting an attribute the facet does not have, or naming an attribute twice, is
 * InvalidFacetUpdateException; so is leaving a reference of the schema without its target. */
static int update_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_facet *old;
    int rc = open_for_change(c, req, &s);
    if (rc || (rc = cd_facet_read(c, &s, cd_get_str(req, "Name", NULL), &old)))
        return rc;
    bool applied = s.kind != CD_SCHEMA_DEVELOPMENT;
    defining df = {"facet", old->name, s.arn};
    cd_facet f = *old;
    const char *ot = cd_get_str(req, "ObjectType", NULL);
    if (ot) {
        f.object_type = object_type_from(ot);
        if (f.object_type == CD_OT_NONE)
            return cd_fail(c->err, CD_E_ValidationException, "ObjectType '%s' is not valid", ot);
        if (applied && f.object_type != old->object_type)
            return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                           "facet '%s' of applied schema '%s' cannot change its object type; "
                           "an applied schema only gains facets and NOT_REQUIRED attributes",
                           old->name, s.arn);
        if ((rc = check_object_type(c, &f)))
            return rc;
    }
    const cd_value *ups = cd_get(req, "AttributeUpdates");
    size_t nu = cd_len(ups);
    if (!(f.attrs = attrs_for_update(c->a, old->attrs, old->nattrs, nu)))
        return cd_oom(c);
    for (size_t i = 0; i < nu; i++) {
        const cd_value *fa;
        const char *action, *an;
        size_t at;
        if ((rc = read_attribute_update(c, ups, i, f.attrs, f.nattrs, &fa, &action, &an, &at)))
            return rc;
        if (strcmp(action, "DELETE") == 0) {
            if (at == f.nattrs)
                return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                               "AttributeUpdates[%zu]: facet '%s' has no attribute '%s' to "
                               "delete",
                               i, old->name, an);
            if (applied)
                return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                               "AttributeUpdates[%zu]: attribute '%s' of facet '%s' cannot be "
                               "deleted from applied schema '%s'; an applied schema only gains "
                               "facets and NOT_REQUIRED attributes",
                               i, an, old->name, s.arn);
            f.attrs[at] = f.attrs[--f.nattrs];
        } else if (strcmp(action, "CREATE_OR_UPDATE") == 0) {
            cd_attrdef a;
            if ((rc = read_facet_attribute(c, &df, &f, fa, "AttributeUpdates.Attribute", i, &a)))
                return rc;
            if (applied && at < f.nattrs) {
                if (cd_attrdef_diff(&f.attrs[at], &a))
                    return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                                   "AttributeUpdates[%zu]: attribute '%s' of facet '%s' cannot "
                                   "change in applied schema '%s'; an applied schema only gains "
                                   "facets and NOT_REQUIRED attributes",
                                   i, an, old->name, s.arn);
                continue;   /* unchanged */
            }
            if (applied && a.required)
                return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                               "AttributeUpdates[%zu]: attribute '%s' is REQUIRED_ALWAYS; an "
                               "applied schema only gains NOT_REQUIRED attributes (objects "
                               "already there have no value for it)",
                               i, an);
            f.attrs[at] = a;
            if (at == f.nattrs)
                f.nattrs++;
        } else {
            return cd_fail(c->err, CD_E_ValidationException,
                           "AttributeUpdates[%zu].Action '%s' is not CREATE_OR_UPDATE or DELETE",
                           i, action);
        }
    }
    if ((rc = sort_and_count(c, &df, f.attrs, f.nattrs)) ||
        (rc = check_references_to(c, &s, old, &f)) || (rc = check_references(c, &s, &f)) ||
        (rc = cd_facet_write(c, s.sid, &f)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ================================================================ reads */

static int get_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_facet *f;
    int rc = cd_schema_open(c, req, "SchemaArn", READ_KINDS, &s);
    if (rc || (rc = cd_facet_read(c, &s, cd_get_str(req, "Name", NULL), &f)))
        return rc;
    cd_value *r = cd_map(c->a), *facet = cd_map(c->a);
    const char *ot = cd_object_type_name(f->object_type);
    if (!r || !facet || !cd_map_set(c->a, facet, "Name", cd_strz(c->a, f->name)) ||
        (ot && !cd_map_set(c->a, facet, "ObjectType", cd_strz(c->a, ot))) ||
        !cd_map_set(c->a, facet, "FacetStyle", cd_strz(c->a, f->dynamic ? "DYNAMIC" : "STATIC")) ||
        !cd_map_set(c->a, r, "Facet", facet))
        return cd_oom(c);
    *resp = r;
    return 0;
}

typedef struct name_list { cd_value *names; } name_list;

static int name_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud, cd_slice *resume)
{
    (void)val;
    (void)resume;
    if (dry)
        return 1;
    name_list *l = ud;
    cd_value *v = cd_str(c->a, key.p, key.n);
    return v && cd_list_push(c->a, l->names, v) ? 1 : cd_oom(c);
}

/* Lists the names under prefix (F or L) of schema s. */
static int list_names(cd_ctx *c, const cd_value *req, unsigned char prefix, cd_value **resp)
{
    cd_schema s;
    int rc = cd_schema_open(c, req, "SchemaArn", READ_KINDS, &s);
    if (rc)
        return rc;
    name_list l = {cd_list(c->a)};
    if (!l.names)
        return cd_oom(c);
    unsigned char k[5];
    k[0] = prefix;
    cd_put_u32be(k + 1, s.sid);
    const char *token = NULL;
    if (s.kind != CD_SCHEMA_BASE && s.kind != CD_SCHEMA_MANAGED) {
        rc = cd_page_scan(c, req, k, 5, k, 5, 0, name_item, &l, &token);
    } else {
        /* Built in: the base schema has four facets and no typed-link facets, the managed
         * one a facet and a typed-link facet (a NextToken is checked all the same). */
        const char *const *names =
            s.kind == CD_SCHEMA_BASE ? cd_base_facet_names
            : prefix == CDK_FACET    ? cd_managed_facet_names
                                     : cd_managed_link_facet_names;
        size_t n = 0, from, to;
        while ((prefix == CDK_FACET || s.kind == CD_SCHEMA_MANAGED) && names[n])
            n++;
        rc = cd_page_array(c, req, k, 5, names, n, true, 0, &from, &to, &token);
        for (size_t i = from; rc == 0 && i < to; i++) {
            cd_value *v = cd_strz(c->a, names[i]);
            if (!v || !cd_list_push(c->a, l.names, v))
                rc = cd_oom(c);
        }
    }
    return rc ? rc : cd_page_reply(c, "FacetNames", l.names, token, resp);
}

static int list_facet_names(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    return list_names(c, req, CDK_FACET, resp);
}

static int list_link_facet_names(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    return list_names(c, req, CDK_LINK_FACET, resp);
}

/* The AttributeDefinition members of a definition (shared by both kinds of attribute). */
static bool put_definition(cd_arena *a, cd_value *m, const cd_attrdef *d)
{
    cd_value *rules = d->rules ? cd_value_copy(a, d->rules) : cd_map(a);
    return cd_map_set(a, m, "Type", cd_strz(a, cd_attr_type_name(d->type))) &&
           (!d->default_value ||
            cd_map_set(a, m, "DefaultValue", cd_value_copy(a, d->default_value))) &&
           cd_map_set(a, m, "IsImmutable", cd_bool(a, d->immutable)) && rules &&
           cd_map_set(a, m, "Rules", rules);
}

static const char *required_name(const cd_attrdef *d)
{
    return d->required ? "REQUIRED_ALWAYS" : "NOT_REQUIRED";
}

static cd_value *facet_attribute(cd_arena *a, const cd_attrdef *d)
{
    cd_value *m = cd_map(a), *inner = cd_map(a);
    if (!m || !inner || !cd_map_set(a, m, "Name", cd_strz(a, d->name)))
        return NULL;
    if (d->is_reference) {
        if (!cd_map_set(a, inner, "TargetFacetName", cd_strz(a, d->target_facet)) ||
            !cd_map_set(a, inner, "TargetAttributeName", cd_strz(a, d->target_attr)) ||
            !cd_map_set(a, m, "AttributeReference", inner))
            return NULL;
    } else if (!put_definition(a, inner, d) || !cd_map_set(a, m, "AttributeDefinition", inner)) {
        return NULL;
    }
    return cd_map_set(a, m, "RequiredBehavior", cd_strz(a, required_name(d))) ? m : NULL;
}

static cd_value *link_attribute(cd_arena *a, const cd_attrdef *d)
{
    cd_value *m = cd_map(a);
    if (!m || !cd_map_set(a, m, "Name", cd_strz(a, d->name)) || !put_definition(a, m, d) ||
        !cd_map_set(a, m, "RequiredBehavior", cd_strz(a, required_name(d))))
        return NULL;
    return m;
}

/* Pages over sorted attributes; scope = schema number + owner name. */
static int attrs_reply(cd_ctx *c, const cd_value *req, uint32_t sid, const char *owner,
                       const cd_attrdef *attrs, size_t n, cd_value *(*shape)(cd_arena *,
                                                                             const cd_attrdef *),
                       cd_value **resp)
{
    const char **names = cd_arena_alloc(c->a, (n ? n : 1) * sizeof *names);
    size_t on = strlen(owner), sn = 4 + on;
    unsigned char *scope = cd_arena_alloc(c->a, sn);
    if (!names || !scope)
        return cd_oom(c);
    cd_put_u32be(scope, sid);
    memcpy(scope + 4, owner, on);
    for (size_t i = 0; i < n; i++)
        names[i] = attrs[i].name;
    size_t from, to;
    const char *token;
    int rc = cd_page_array(c, req, scope, sn, names, n, true, 0, &from, &to, &token);
    if (rc)
        return rc;
    cd_value *list = cd_list(c->a);
    for (size_t i = from; list && i < to; i++)
        if (!cd_list_push(c->a, list, shape(c->a, &attrs[i])))
            return cd_oom(c);
    return cd_page_reply(c, "Attributes", list, token, resp);
}

static int list_facet_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_facet *f;
    int rc = cd_schema_open(c, req, "SchemaArn", READ_KINDS, &s);
    if (rc || (rc = cd_facet_read(c, &s, cd_get_str(req, "Name", NULL), &f)))
        return rc;
    return attrs_reply(c, req, s.sid, f->name, f->attrs, f->nattrs, facet_attribute, resp);
}

/* ================================================================ DeleteFacet */

static int delete_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_facet *f;
    int rc = cd_schema_open(c, req, "SchemaArn", DELETE_KINDS, &s);
    if (rc || (rc = cd_facet_read(c, &s, cd_get_str(req, "Name", NULL), &f)))
        return rc;
    /* Another facet whose reference targets this one keeps it alive. */
    unsigned char k[CD_FACET_KEY_MAX];
    size_t kn = cd_key_facet(k, s.sid, "");
    cd_cursor *cur;
    if ((rc = cd_kv_cursor(c->txn, &cur, c->err)))
        return rc;
    cd_slice key, val;
    const char *user = NULL, *via = NULL;
    rc = cd_cursor_seek(cur, (cd_slice){k, kn}, &key, &val, c->err);
    while (rc == 0 && !user && key.n >= kn && memcmp(key.p, k, kn) == 0) {
        const char *other = cd_arena_strndup(c->a, (const char *)key.p + kn, key.n - kn);
        cd_facet *of;
        if (!other) {
            rc = cd_oom(c);
            break;
        }
        if (strcmp(other, f->name) != 0) {
            if ((rc = cd_facet_read(c, &s, other, &of)))
                break;
            for (size_t i = 0; i < of->nattrs && !user; i++)
                if (of->attrs[i].is_reference && strcmp(of->attrs[i].target_facet, f->name) == 0)
                    user = other, via = of->attrs[i].name;
        }
        rc = cd_cursor_next(cur, &key, &val, c->err);
    }
    cd_cursor_close(cur);
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    if (user)
        return cd_fail(c->err, CD_E_FacetInUseException,
                       "facet '%s' cannot be deleted: attribute '%s' of facet '%s' refers to "
                       "it; delete or change that facet first",
                       f->name, via, user);
    if ((rc = cd_facet_delete(c, s.sid, f->name)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* ================================================================ typed-link facets */

/* One TypedLinkAttributeDefinition of typed-link facet f (`where`[i] in messages). */
static int read_link_attribute(cd_ctx *c, const defining *df, const cd_link_facet *f,
                               const cd_value *ta, const char *where, size_t i, cd_attrdef *a)
{
    memset(a, 0, sizeof *a);
    a->name = cd_get_str(ta, "Name", NULL);
    if (!a->name)
        return cd_fail(c->err, CD_E_ValidationException, "%s[%zu].Name is required", where, i);
    const char *rb = cd_get_str(ta, "RequiredBehavior", NULL);
    a->required = rb && strcmp(rb, "REQUIRED_ALWAYS") == 0;
    a->target_facet = f->name;
    a->target_attr = a->name;
    a->target_sid = f->sid;
    return read_definition(c, df, a->name, ta, a);
}

/* Sets f's identity order: attributes of f, REQUIRED_ALWAYS, each once. */
static int read_identity_order(cd_ctx *c, cd_link_facet *f, const cd_value *order)
{
    f->nidentity = cd_len(order);
    f->identity = cd_arena_alloc(c->a, (f->nidentity ? f->nidentity : 1) * sizeof *f->identity);
    if (!f->identity)
        return cd_oom(c);
    for (size_t i = 0; i < f->nidentity; i++) {
        const cd_value *v = order->u.list.items[i];
        const char *an = cd_is(v, CDV_STRING) ? v->u.s.p : "";
        const cd_attrdef *a = NULL;
        for (size_t j = 0; j < f->nattrs && !a; j++)
            if (strcmp(f->attrs[j].name, an) == 0)
                a = &f->attrs[j];
        if (!a)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "IdentityAttributeOrder names '%s', which is not an attribute of "
                           "typed link facet '%s'",
                           an, f->name);
        if (!a->required)
            return cd_fail(c->err, CD_E_FacetValidationException,
                           "identity attribute '%s' of typed link facet '%s' must be "
                           "REQUIRED_ALWAYS",
                           an, f->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->identity[j], an) == 0)
                return cd_fail(c->err, CD_E_FacetValidationException,
                               "IdentityAttributeOrder names '%s' twice", an);
        f->identity[i] = an;
    }
    return 0;
}

static int create_link_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = open_for_create(c, req, &s);
    if (rc)
        return rc;
    const cd_value *facet = cd_get(req, "Facet");
    const char *name = cd_get_str(facet, "Name", NULL);
    /* The model's TypedLinkName has no minimum length, but a schema document cannot name a
     * facet "" (schema_json.c), and every other name has at least one character. */
    if (!name || !*name)
        return cd_fail(c->err, CD_E_ValidationException,
                       "Facet.Name is required and must not be empty");
    if (strlen(name) > CD_LINK_NAME_MAX)
        return cd_fail(c->err, CD_E_ValidationException,
                       "Facet.Name is longer than the %d bytes clouddir allows for typed link "
                       "facet names",
                       CD_LINK_NAME_MAX);
    defining df = {"typed link facet", name, s.arn};
    bool exists;
    if ((rc = cd_link_facet_exists(c, s.sid, name, &exists)))
        return rc;
    if (exists)
        return cd_fail(c->err, CD_E_FacetAlreadyExistsException,
                       "schema '%s' already has a typed link facet named '%s'", s.arn, name);

    const cd_value *list = cd_get(facet, "Attributes");
    cd_link_facet f = {.sid = s.sid, .schema_arn = s.arn, .name = name, .nattrs = cd_len(list)};
    f.attrs = cd_arena_alloc(c->a, (f.nattrs ? f.nattrs : 1) * sizeof *f.attrs);
    if (!f.attrs)
        return cd_oom(c);
    for (size_t i = 0; i < f.nattrs; i++)
        if ((rc = read_link_attribute(c, &df, &f, list->u.list.items[i], "Facet.Attributes", i,
                                      &f.attrs[i])))
            return rc;
    if ((rc = sort_and_count(c, &df, f.attrs, f.nattrs)) ||
        (rc = read_identity_order(c, &f, cd_get(facet, "IdentityAttributeOrder"))) ||
        (rc = cd_link_facet_write(c, s.sid, &f)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

/* UpdateTypedLinkFacet: development schemas only.  A published schema is immutable
 * (InvalidArnException, §13 #3); links of an applied schema's facets depend on its attribute
 * set and identity order, so an applied facet cannot change (InvalidFacetUpdateException). */
static int update_link_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_link_facet *old;
    int rc = open_for_change(c, req, &s);
    if (rc || (rc = cd_link_facet_read(c, &s, cd_get_str(req, "Name", NULL), &old)))
        return rc;
    if (s.kind != CD_SCHEMA_DEVELOPMENT)
        return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                       "typed link facet '%s' belongs to applied schema '%s': the attributes "
                       "and identity order of an applied typed link facet cannot change; "
                       "update the development schema and publish a new version",
                       old->name, s.arn);
    defining df = {"typed link facet", old->name, s.arn};
    const cd_value *ups = cd_get(req, "AttributeUpdates");
    size_t nu = cd_len(ups);
    cd_link_facet f = *old;
    if (!(f.attrs = attrs_for_update(c->a, old->attrs, old->nattrs, nu)))
        return cd_oom(c);
    for (size_t i = 0; i < nu; i++) {
        const cd_value *ta;
        const char *action, *an;
        size_t at;
        if ((rc = read_attribute_update(c, ups, i, f.attrs, f.nattrs, &ta, &action, &an, &at)))
            return rc;
        if (strcmp(action, "DELETE") == 0) {
            if (at == f.nattrs)
                return cd_fail(c->err, CD_E_InvalidFacetUpdateException,
                               "AttributeUpdates[%zu]: typed link facet '%s' has no attribute "
                               "'%s' to delete",
                               i, old->name, an);
            f.attrs[at] = f.attrs[--f.nattrs];
        } else if (strcmp(action, "CREATE_OR_UPDATE") == 0) {
            if ((rc = read_link_attribute(c, &df, &f, ta, "AttributeUpdates.Attribute", i,
                                          &f.attrs[at])))
                return rc;
            if (at == f.nattrs)
                f.nattrs++;
        } else {
            return cd_fail(c->err, CD_E_ValidationException,
                           "AttributeUpdates[%zu].Action '%s' is not CREATE_OR_UPDATE or DELETE",
                           i, action);
        }
    }
    if ((rc = sort_and_count(c, &df, f.attrs, f.nattrs)) ||
        (rc = read_identity_order(c, &f, cd_get(req, "IdentityAttributeOrder"))) ||
        (rc = cd_link_facet_write(c, s.sid, &f)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

static int get_link_facet_information(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_link_facet *f;
    int rc = cd_schema_open(c, req, "SchemaArn", READ_KINDS, &s);
    if (rc || (rc = cd_link_facet_read(c, &s, cd_get_str(req, "Name", NULL), &f)))
        return rc;
    cd_value *r = cd_map(c->a), *order = cd_list(c->a);
    if (!r || !order)
        return cd_oom(c);
    for (size_t i = 0; i < f->nidentity; i++)
        if (!cd_list_push(c->a, order, cd_strz(c->a, f->identity[i])))
            return cd_oom(c);
    if (!cd_map_set(c->a, r, "IdentityAttributeOrder", order))
        return cd_oom(c);
    *resp = r;
    return 0;
}

static int list_link_facet_attributes(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_link_facet *f;
    int rc = cd_schema_open(c, req, "SchemaArn", READ_KINDS, &s);
    if (rc || (rc = cd_link_facet_read(c, &s, cd_get_str(req, "Name", NULL), &f)))
        return rc;
    return attrs_reply(c, req, s.sid, f->name, f->attrs, f->nattrs, link_attribute, resp);
}

static int delete_link_facet(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    cd_link_facet *f;
    int rc = cd_schema_open(c, req, "SchemaArn", DELETE_KINDS, &s);
    if (rc || (rc = cd_link_facet_read(c, &s, cd_get_str(req, "Name", NULL), &f)) ||
        (rc = cd_link_facet_delete(c, s.sid, f->name)))
        return rc;
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

const cd_handler_entry cd_facet_handlers[] = {
    {CD_OP_CreateFacet, create_facet},
    {CD_OP_GetFacet, get_facet},
    {CD_OP_ListFacetNames, list_facet_names},
    {CD_OP_ListFacetAttributes, list_facet_attributes},
    {CD_OP_DeleteFacet, delete_facet},
    {CD_OP_UpdateFacet, update_facet},
    {CD_OP_CreateTypedLinkFacet, create_link_facet},
    {CD_OP_GetTypedLinkFacetInformation, get_link_facet_information},
    {CD_OP_ListTypedLinkFacetNames, list_link_facet_names},
    {CD_OP_ListTypedLinkFacetAttributes, list_link_facet_attributes},
    {CD_OP_DeleteTypedLinkFacet, delete_link_facet},
    {CD_OP_UpdateTypedLinkFacet, update_link_facet},
    {-1, NULL},
};
