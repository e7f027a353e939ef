/* schema_upgrade.c — minor versions: UpgradePublishedSchema and UpgradeAppliedSchema, and the
 * backward-compatibility rule they share (semantics §2.3, recommendation):
 *
 *   the new revision holds every facet, typed-link facet and attribute of the old one, with
 *   the same object type and style, type, immutability, rules, default, required behaviour
 *   and reference target, and every typed-link facet keeps its identity order; it may add
 *   facets, typed-link facets and NOT_REQUIRED attributes.
 *
 * Anything else is IncompatibleSchemaException naming the first difference.  With DryRun
 * every check runs and nothing is written.
 *
 * UpgradePublishedSchema checks the development schema against the newest revision of the
 * published major version (each revision holds everything of the ones before it, so that one
 * check covers them all) and stores a new revision; a major version has at most 5 revisions
 * (LimitExceededException with limits = "aws"; published revisions are never evicted).
 *
 * UpgradeAppliedSchema checks the revision against the directory's applied schema as it is
 * now — including facets and attributes added to it in place, which the revision must hold
 * too — and then overwrites the applied schema's facets with the revision's, under the same
 * schema number: objects and typed links find their facets and values by that number, so
 * everything written before stays readable and writable and gains the new optional
 * attributes.  The applied schema remembers its 5 most recent minor versions. */
#include <string.h>
#include "schema_model.h"
#include "keys.h"

#define MAX_REVISIONS 5        /* minor versions of one published major (limits = "aws") */
#define KEEP_APPLIED_MINORS 5  /* minor versions an applied schema remembers */

/* ---------------------------------------------------------------- schema contents */

typedef struct content {
    const cd_schema *s;
    size_t nf, nl;
    cd_facet **f;             /* in name order */
    cd_link_facet **l;        /* in name order */
} content;

/* Every facet and typed-link facet of stored schema s, as declared. */
static int load_content(cd_ctx *c, const cd_schema *s, content *out)
{
    const char **fn, **ln;
    int rc = cd_stored_names(c, CDK_FACET, s->sid, &fn, &out->nf);
    if (rc || (rc = cd_stored_names(c, CDK_LINK_FACET, s->sid, &ln, &out->nl)))
        return rc;
    out->s = s;
    out->f = cd_arena_alloc(c->a, (out->nf + 1) * sizeof *out->f);
    out->l = cd_arena_alloc(c->a, (out->nl + 1) * sizeof *out->l);
    if (!out->f || !out->l)
        return cd_oom(c);
    for (size_t i = 0; i < out->nf; i++)
        if ((rc = cd_facet_read(c, s, fn[i], &out->f[i])))
            return rc;
    for (size_t i = 0; i < out->nl; i++)
        if ((rc = cd_link_facet_read(c, s, ln[i], &out->l[i])))
            return rc;
    return 0;
}

static const cd_facet *find_facet(const content *x, const char *name)
{
    for (size_t i = 0; i < x->nf; i++)
        if (strcmp(x->f[i]->name, name) == 0)
            return x->f[i];
    return NULL;
}

static const cd_link_facet *find_link(const content *x, const char *name)
{
    for (size_t i = 0; i < x->nl; i++)
        if (strcmp(x->l[i]->name, name) == 0)
            return x->l[i];
    return NULL;
}

static const cd_attrdef *find_attr(const cd_attrdef *attrs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(attrs[i].name, name) == 0)
            return &attrs[i];
    return NULL;
}

/* ---------------------------------------------------------------- compatibility */

static bool same_rules(const cd_value *x, const cd_value *y)
{
    size_t nx = cd_len(x), ny = cd_len(y);   /* none and an empty map are the same */
    return nx == ny && (nx == 0 || cd_value_equal(x, y));
}

const char *cd_attrdef_diff(const cd_attrdef *o, const cd_attrdef *n)
{
    if (o->is_reference != n->is_reference)
        return o->is_reference ? "is now a definition instead of a reference"
                               : "is now a reference instead of a definition";
    if (o->required != n->required)
        return o->required ? "is no longer REQUIRED_ALWAYS" : "became REQUIRED_ALWAYS";
    if (o->is_reference)
        return strcmp(o->target_facet, n->target_facet) != 0 ||
                       strcmp(o->target_attr, n->target_attr) != 0
                   ? "refers to another attribute"
                   : NULL;
    if (o->type != n->type)
        return "changed its type";
    if (o->immutable != n->immutable)
        return o->immutable ? "is no longer immutable" : "became immutable";
    if (!o->default_value != !n->default_value ||
        (o->default_value && !cd_value_equal(o->default_value, n->default_value)))
        return "changed its default value";
    if (!same_rules(o->rules, n->rules))
        return "changed its rules";
    return NULL;
}

/* Compares the attributes of one facet (what: "facet 'X'"); detail gets the difference. */
static const char *attrs_diff(cd_ctx *c, const char *what, const cd_attrdef *oa, size_t on,
                              const cd_attrdef *na, size_t nn)
{
    for (size_t i = 0; i < on; i++) {
        const cd_attrdef *n = find_attr(na, nn, oa[i].name);
        if (!n)
            return cd_arena_printf(c->a, "attribute '%s' of %s is missing", oa[i].name, what);
        const char *why = cd_attrdef_diff(&oa[i], n);
        if (why && oa[i].type != n->type && !oa[i].is_reference && !n->is_reference)
            return cd_arena_printf(c->a, "attribute '%s' of %s changed its type from %s to %s",
                                   oa[i].name, what, cd_attr_type_name(oa[i].type),
                                   cd_attr_type_name(n->type));
        if (why)
            return cd_arena_printf(c->a, "attribute '%s' of %s %s", oa[i].name, what, why);
    }
    for (size_t i = 0; i < nn; i++)
        if (na[i].required && !find_attr(oa, on, na[i].name))
            return cd_arena_printf(c->a,
                                   "%s gains attribute '%s', which is REQUIRED_ALWAYS (only "
                                   "NOT_REQUIRED attributes may be added)",
                                   what, na[i].name);
    return NULL;
}

/* The first way new is not backward compatible with old, or NULL. */
static const char *content_diff(cd_ctx *c, const content *old, const content *new)
{
    for (size_t i = 0; i < old->nf; i++) {
        const cd_facet *o = old->f[i], *n = find_facet(new, o->name);
        if (!n)
            return cd_arena_printf(c->a, "facet '%s' is missing", o->name);
        if (o->object_type != n->object_type) {
            const char *ot = cd_object_type_name(o->object_type);
            const char *nt = cd_object_type_name(n->object_type);
            return cd_arena_printf(c->a, "facet '%s' changed its object type from %s to %s",
                                   o->name, ot ? ot : "none", nt ? nt : "none");
        }
        if (o->dynamic != n->dynamic)
            return cd_arena_printf(c->a, "facet '%s' changed its style from %s to %s", o->name,
                                   o->dynamic ? "DYNAMIC" : "STATIC",
                                   n->dynamic ? "DYNAMIC" : "STATIC");
        const char *what = cd_arena_printf(c->a, "facet '%s'", o->name);
        const char *why = what ? attrs_diff(c, what, o->attrs, o->nattrs, n->attrs, n->nattrs)
                               : "out of memory";
        if (why)
            return why;
    }
    for (size_t i = 0; i < old->nl; i++) {
        const cd_link_facet *o = old->l[i], *n = find_link(new, o->name);
        if (!n)
            return cd_arena_printf(c->a, "typed link facet '%s' is missing", o->name);
        const char *what = cd_arena_printf(c->a, "typed link facet '%s'", o->name);
        const char *why = what ? attrs_diff(c, what, o->attrs, o->nattrs, n->attrs, n->nattrs)
                               : "out of memory";
        if (why)
            return why;
        bool same = o->nidentity == n->nidentity;
        for (size_t j = 0; same && j < o->nidentity; j++)
            same = strcmp(o->identity[j], n->identity[j]) == 0;
        if (!same)
            return cd_arena_printf(c->a, "typed link facet '%s' changed its identity order",
                                   o->name);
    }
    return NULL;
}

/* IncompatibleSchemaException unless new_s is backward compatible with old_s. */
static int check_compatible(cd_ctx *c, const cd_schema *old_s, const cd_schema *new_s)
{
    content old, new;
    int rc = load_content(c, old_s, &old);
    if (rc || (rc = load_content(c, new_s, &new)))
        return rc;
    const char *why = content_diff(c, &old, &new);
    if (!why)
        return 0;
    return cd_fail(c->err, CD_E_IncompatibleSchemaException,
                   "'%s' is not backward compatible with '%s': %s; a minor version may only add "
                   "facets, typed link facets and NOT_REQUIRED attributes (anything else needs "
                   "a new major version, PublishSchema)",
                   new_s->arn, old_s->arn, why);
}

/* ---------------------------------------------------------------- operations */

static int reply(cd_ctx *c, cd_value **resp, const char *arn, const char *dir_arn)
{
    cd_value *r = cd_map(c->a);
    if (!r || !arn || !cd_map_set(c->a, r, "UpgradedSchemaArn", cd_strz(c->a, arn)) ||
        (dir_arn && !cd_map_set(c->a, r, "DirectoryArn", cd_strz(c->a, dir_arn))))
        return cd_oom(c);
    *resp = r;
    return 0;
}

static int upgrade_published(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema dev, named, newest;
    cd_arn arn;
    int rc = cd_schema_open(c, req, "DevelopmentSchemaArn", CD_ARN_DEVELOPMENT, &dev);
    if (rc || (rc = cd_arn_member(c, req, "PublishedSchemaArn", CD_ARN_PUBLISHED, &arn)) ||
        (rc = cd_schema_from_arn(c, "PublishedSchemaArn", &arn, &named)))
        return rc;
    arn.minor = NULL;   /* the major version: its newest revision */
    if ((rc = cd_schema_from_arn(c, "PublishedSchemaArn", &arn, &newest)))
        return rc;
    const char *minor = cd_get_str(req, "MinorVersion", NULL);
    bool dry = cd_get_bool(req, "DryRun", false);
    unsigned char k[CD_SCHEMA_KEY_MAX];
    size_t kn = cd_key_pub_family(k, newest.name, newest.version), n;
    size_t mn = strlen(minor);
    cd_slice v;
    if (kn + mn > sizeof k)
        return cd_fail(c->err, CD_E_ValidationException, "MinorVersion is too long");
    memcpy(k + kn, minor, mn);
    rc = cd_get_key(c, k, kn + mn, &v);
    if (rc == 0)
        return cd_fail(c->err, CD_E_SchemaAlreadyPublishedException,
                       "schema %s/%s already has minor version %s (%s); choose another "
                       "MinorVersion",
                       newest.name, newest.version, minor,
                       cd_arn_published(c, newest.name, newest.version, minor));
    if (rc != CD_KV_NOTFOUND)
        return rc;
    if (cd_aws_limits(c)) {
        if ((rc = cd_count_prefix(c, k, kn, MAX_REVISIONS, &n)))
            return rc;
        if (n >= MAX_REVISIONS)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "schema %s/%s already has %d minor versions, the most a major "
                           "version may have; publish a new major version (PublishSchema)",
                           newest.name, newest.version, MAX_REVISIONS);
    }
    if ((rc = check_compatible(c, &newest, &dev)))
        return rc;
    const char *upgraded = cd_arn_published(c, newest.name, newest.version, minor);
    if (dry)
        return reply(c, resp, upgraded, NULL);
    cd_schema pub = {.kind = CD_SCHEMA_PUBLISHED, .name = newest.name,
                     .version = newest.version, .minor = minor};
    if ((rc = cd_schema_new_sid(c, &pub.sid)) || (rc = cd_schema_put(c, &pub)) ||
        (rc = cd_schema_copy_contents(c, dev.sid, pub.sid)))
        return rc;
    return reply(c, resp, upgraded, NULL);
}

/* The applied schema's minor versions after moving to `minor`: it goes last (once), and
 * only the most recent KEEP_APPLIED_MINORS stay. */
static cd_value *minors_after(cd_ctx *c, const cd_value *minors, const char *minor)
{
    cd_value *list = cd_list(c->a);
    size_t n = cd_len(minors), keep = 0;
    const cd_value **kept = cd_arena_alloc(c->a, (n + 1) * sizeof *kept);
    if (!list || !kept)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const cd_value *m = minors->u.list.items[i];
        if (cd_is(m, CDV_STRING) && strcmp(m->u.s.p, minor) != 0)
            kept[keep++] = m;
    }
    cd_value *mv = cd_strz(c->a, minor);
    if (!mv)
        return NULL;
    kept[keep++] = mv;
    for (size_t i = keep > KEEP_APPLIED_MINORS ? keep - KEEP_APPLIED_MINORS : 0; i < keep; i++)
        if (!cd_list_push(c->a, list, cd_value_copy(c->a, kept[i])))
            return NULL;
    return list;
}

static int upgrade_applied(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_schema pub;
    int rc = cd_directory_find(c, cd_get_str(req, "DirectoryArn", NULL), &d);
    if (rc || (rc = cd_schema_open(c, req, "PublishedSchemaArn",
                                   CD_ARN_PUBLISHED | CD_ARN_MANAGED, &pub)))
        return rc;
    if (d->state == CD_DIR_DELETED)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "directory '%s' has been deleted", d->arn);
    bool dry = cd_get_bool(req, "DryRun", false);
    if (pub.kind == CD_SCHEMA_MANAGED) {   /* one revision only */
        bool have;
        if ((rc = cd_managed_applied(c, d, &have)))
            return rc;
        if (!have)
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "the managed schema is not applied to directory '%s'; apply it with "
                           "ApplySchema",
                           d->arn);
        return cd_fail(c->err, CD_E_SchemaAlreadyExistsException,
                       "directory '%s' already uses %s, the only revision of the managed schema",
                       d->arn, pub.arn);
    }
    unsigned char k[CD_SCHEMA_KEY_MAX];
    cd_slice v;
    rc = cd_get_key(c, k, cd_key_applied(k, d->num, pub.name, pub.version), &v);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "directory '%s' has no schema %s/%s applied to upgrade; apply '%s' with "
                       "ApplySchema",
                       d->arn, pub.name, pub.version, pub.arn);
    if (rc)
        return rc;
    if (v.n != 4)
        return cd_corrupt(c, "schema index");
    cd_schema have;
    if ((rc = cd_schema_get(c, cd_get_u32be(v.p), &have)))
        return rc == CD_KV_NOTFOUND ? cd_corrupt(c, "schema index") : rc;
    have.dir = d;
    have.arn = cd_arn_applied(c, d->arn, have.name, have.version, NULL);
    const char *upgraded = cd_arn_applied(c, d->arn, pub.name, pub.version, pub.minor);
    if (!have.arn || !upgraded)
        return cd_oom(c);
    if (have.source == pub.sid)
        return cd_fail(c->err, CD_E_SchemaAlreadyExistsException,
                       "directory '%s' already uses '%s' (%s)", d->arn, pub.arn, upgraded);
    if ((rc = check_compatible(c, &have, &pub)))
        return rc;
    if (dry)
        return reply(c, resp, upgraded, d->arn);
    /* Compatible: the revision holds every facet of the applied schema, so writing its
     * facets over the applied ones replaces them all. */
    have.source = pub.sid;
    have.minor = pub.minor;
    if (*pub.minor && !(have.minors = minors_after(c, have.minors, pub.minor)))
        return cd_oom(c);
    if ((rc = cd_schema_copy_contents(c, pub.sid, have.sid)) || (rc = cd_schema_put(c, &have)))
        return rc;
    return reply(c, resp, upgraded, d->arn);
}

const cd_handler_entry cd_upgrade_handlers[] = {
    {CD_OP_UpgradePublishedSchema, upgrade_published},
    {CD_OP_UpgradeAppliedSchema, upgrade_applied},
    {-1, NULL},
};
