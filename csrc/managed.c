/* managed.c — the managed QuickStart schema (semantics §2.4) and ListManagedSchemaArns.
 *
 * It is built in, like the base schema: never stored, the same in every store, with the
 * internal schema number CD_MANAGED_SCHEMA_SID (objects and typed links remember facets by
 * schema number, so values written through it keep their slots).  Its content:
 *
 *   facet DynamicObjectFacet            DYNAMIC, no object type (an object also needs a
 *                                       facet with one, e.g. CloudDirectory/1.0 NODE)
 *   typed link DynamicTypedLinkFacet    one attribute DynamicTypedLinkAttribute: VARIANT,
 *                                       mutable, REQUIRED_ALWAYS, the identity
 *
 * Applying it to a directory (CreateDirectory / ApplySchema with its ARN, with or without
 * the minor version 001) stores only the applied-index key
 *   s 'A' dirnum(4) "managed/quick_start" 0 "1.0" -> CD_MANAGED_SCHEMA_SID
 * ('/' cannot occur in a schema name, so it never meets a published schema of the same name).
 * Data-plane requests name it as arn:aws:clouddirectory:::schema/managed/quick_start/1.0, the
 * ARN the service answered ApplySchema with (§1.1). */
#include <string.h>
#include "schema_model.h"
#include "keys.h"

const char *const cd_managed_facet_names[] = {CD_MANAGED_OBJECT_FACET, NULL};
const char *const cd_managed_link_facet_names[] = {CD_MANAGED_LINK_FACET, NULL};

static const cd_attrdef link_attrs[] = {
    {.name = CD_MANAGED_LINK_ATTRIBUTE, .required = true, .target_facet = CD_MANAGED_LINK_FACET,
     .target_attr = CD_MANAGED_LINK_ATTRIBUTE, .target_sid = CD_MANAGED_SCHEMA_SID,
     .type = CD_ATTR_VARIANT},
};
static const char *const link_identity[] = {CD_MANAGED_LINK_ATTRIBUTE};

bool cd_managed_is(const cd_arn *arn)
{
    return arn->kind == CD_ARN_MANAGED && strcmp(arn->name, CD_MANAGED_NAME) == 0 &&
           strcmp(arn->version, CD_MANAGED_VERSION) == 0 &&
           (!arn->minor || strcmp(arn->minor, CD_MANAGED_MINOR) == 0);
}

const char *cd_managed_arn(cd_ctx *c, bool with_minor)
{
    return cd_arn_managed(c, CD_MANAGED_NAME, CD_MANAGED_VERSION,
                          with_minor ? CD_MANAGED_MINOR : NULL);
}

int cd_managed_schema(cd_ctx *c, const char *member, const cd_arn *arn, cd_schema *out)
{
    if (!cd_managed_is(arn))
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "%s '%s': the only managed schema is %s", member, arn->text,
                       cd_managed_arn(c, true));
    cd_managed_get(out);
    out->arn = cd_managed_arn(c, true);
    return out->arn ? 0 : cd_oom(c);
}

void cd_managed_get(cd_schema *out)
{
    memset(out, 0, sizeof *out);
    out->sid = CD_MANAGED_SCHEMA_SID;
    out->kind = CD_SCHEMA_MANAGED;
    out->name = CD_MANAGED_NAME;
    out->version = CD_MANAGED_VERSION;
    out->minor = CD_MANAGED_MINOR;
}

int cd_managed_facet(cd_ctx *c, const char *name, cd_facet **out)
{
    if (strcmp(name, CD_MANAGED_OBJECT_FACET) != 0)
        return CD_KV_NOTFOUND;
    cd_facet *f = cd_arena_alloc(c->a, sizeof *f);
    const char *arn = cd_managed_arn(c, false);
    if (!f || !arn)
        return cd_oom(c);
    *f = (cd_facet){.sid = CD_MANAGED_SCHEMA_SID, .schema_arn = arn,
                    .name = CD_MANAGED_OBJECT_FACET, .object_type = CD_OT_NONE, .dynamic = true,
                    .nattrs = 0, .attrs = NULL};
    *out = f;
    return 0;
}

int cd_managed_link_facet(cd_ctx *c, const char *name, cd_link_facet **out)
{
    if (strcmp(name, CD_MANAGED_LINK_FACET) != 0)
        return CD_KV_NOTFOUND;
    cd_link_facet *f = cd_arena_alloc(c->a, sizeof *f);
    cd_attrdef *attrs = cd_arena_alloc(c->a, sizeof link_attrs);
    const char **identity = cd_arena_alloc(c->a, sizeof link_identity);
    const char *arn = cd_managed_arn(c, false);
    if (!f || !attrs || !identity || !arn)
        return cd_oom(c);
    memcpy(attrs, link_attrs, sizeof link_attrs);
    memcpy(identity, link_identity, sizeof link_identity);
    *f = (cd_link_facet){.sid = CD_MANAGED_SCHEMA_SID, .schema_arn = arn,
                         .name = CD_MANAGED_LINK_FACET, .nattrs = 1, .attrs = attrs,
                         .nidentity = 1, .identity = identity};
    *out = f;
    return 0;
}

size_t cd_managed_applied_key(unsigned char *k, uint32_t dirnum)
{
    return cd_key_applied(k, dirnum, CD_MANAGED_APPLIED_NAME, CD_MANAGED_VERSION);
}

int cd_managed_applied(cd_ctx *c, const cd_directory *d, bool *out)
{
    unsigned char k[CD_SCHEMA_KEY_MAX];
    cd_slice v;
    int rc = cd_get_key(c, k, cd_managed_applied_key(k, d->num), &v);
    *out = rc == 0;
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

int cd_managed_find_facet(cd_ctx *c, const cd_directory *d, const cd_arn *arn,
                          const char *name, cd_facet **out)
{
    if (arn->minor)
        return cd_fail(c->err, CD_E_InvalidArnException,
                       "SchemaArn '%s' names minor version %s; data-plane requests name the "
                       "managed schema without one (%s)",
                       arn->text, arn->minor, cd_managed_arn(c, false));
    if (!cd_managed_is(arn))
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "SchemaArn '%s': the only managed schema is %s", arn->text,
                       cd_managed_arn(c, false));
    bool applied;
    int rc = cd_managed_applied(c, d, &applied);
    if (rc)
        return rc;
    if (!applied)
        return cd_fail(c->err, CD_E_FacetValidationException,
                       "the managed schema %s is not applied to directory '%s'; apply it with "
                       "ApplySchema",
                       cd_managed_arn(c, false), d->id);
    rc = cd_managed_facet(c, name, out);
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_FacetNotFoundException,
                       "the managed schema %s has no facet named '%s' (it has %s)",
                       cd_managed_arn(c, false), name, CD_MANAGED_OBJECT_FACET);
    return rc;
}

/* ListManagedSchemaArns(SchemaArn?): the one managed schema; with its major-version ARN,
 * its minor versions (just 001). */
static int list_managed(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    if (cd_get(req, "SchemaArn")) {
        cd_arn arn;
        int rc = cd_arn_member(c, req, "SchemaArn", CD_ARN_MANAGED, &arn);
        if (rc)
            return rc;
        if (arn.minor)
            return cd_fail(c->err, CD_E_InvalidArnException,
                           "SchemaArn '%s' names a minor version; ListManagedSchemaArns lists "
                           "the minor versions of a major version ARN (%s)",
                           arn.text, cd_arn_managed(c, arn.name, arn.version, NULL));
        if (!cd_managed_is(&arn))
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "SchemaArn '%s': the only managed schema is %s", arn.text,
                           cd_managed_arn(c, false));
    }
    const char *arns[1] = {cd_managed_arn(c, true)};
    cd_value *list = cd_list(c->a);
    if (!arns[0] || !list)
        return cd_oom(c);
    size_t from, to;
    const char *token;
    int rc = cd_page_array(c, req, "managed", 7, arns, 1, true, 0, &from, &to, &token);
    for (size_t i = from; rc == 0 && i < to; i++)
        if (!cd_list_push(c->a, list, cd_strz(c->a, arns[i])))
            rc = cd_oom(c);
    return rc ? rc : cd_page_reply(c, "SchemaArns", list, token, resp);
}

const cd_handler_entry cd_managed_handlers[] = {
    {CD_OP_ListManagedSchemaArns, list_managed},
    {-1, NULL},
};
