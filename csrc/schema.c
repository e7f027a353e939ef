/* schema.c — the schema lifecycle: CreateSchema, DeleteSchema, PublishSchema and the
 * development / published listings.  Records and keys are described in schema_model.c. */
#include <string.h>
#include "schema_model.h"
#include "keys.h"

/* Service limits (limits = "aws"), per store as the service's are per account and region. */
#define MAX_DEVELOPMENT 20
#define MAX_PUBLISHED 20   /* major-version families; their minor revisions have a limit of
                              their own (UpgradePublishedSchema) */

static int reply_arn(cd_ctx *c, cd_value **resp, const char *member, const char *arn)
{
    cd_value *r = cd_map(c->a), *v = arn ? cd_strz(c->a, arn) : NULL;
    if (!r || !v || !cd_map_set(c->a, r, member, v))
        return cd_oom(c);
    *resp = r;
    return 0;
}

static int create_schema(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    const char *name = cd_get_str(req, "Name", NULL);
    unsigned char k[CD_SCHEMA_KEY_MAX];
    cd_slice v;
    int rc = cd_get_key(c, k, cd_key_dev_name(k, name), &v);
    if (rc == 0)
        return cd_fail(c->err, CD_E_SchemaAlreadyExistsException,
                       "a development schema named '%s' already exists (%s)", name,
                       cd_arn_development(c, name));
    if (rc != CD_KV_NOTFOUND)
        return rc;
    if (cd_aws_limits(c)) {
        unsigned char prefix[2] = {CDK_SCHEMA_NAME, CD_SCHEMA_DEVELOPMENT};
        size_t n;
        if ((rc = cd_count_prefix(c, prefix, 2, MAX_DEVELOPMENT, &n)))
            return rc;
        if (n >= MAX_DEVELOPMENT)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "there are already %d development schemas, the most the service "
                           "allows; delete one, or open the store with limits = \"none\"",
                           MAX_DEVELOPMENT);
    }
    cd_schema s = {.kind = CD_SCHEMA_DEVELOPMENT, .name = name, .version = "", .minor = ""};
    if ((rc = cd_schema_new_sid(c, &s.sid)) || (rc = cd_schema_put(c, &s)))
        return rc;
    return reply_arn(c, resp, "SchemaArn", cd_arn_development(c, name));
}

static int delete_schema(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = cd_schema_open(c, req, "SchemaArn", CD_ARN_DEVELOPMENT | CD_ARN_PUBLISHED, &s);
    if (rc || (rc = cd_schema_drop(c, &s)))
        return rc;
    return reply_arn(c, resp, "SchemaArn", cd_get_str(req, "SchemaArn", NULL));
}

/* UpdateSchema: renames a development schema (§2.2).  Its facets are kept under its schema
 * number, so they move with it; the old name is free afterwards.  Other kinds of schema are
 * InvalidArnException (§13 #3).  A name another development schema holds is
 * SchemaAlreadyExistsException, as for CreateSchema (the model lists no exception for it). */
static int update_schema(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = cd_schema_open(c, req, "SchemaArn", CD_ARN_DEVELOPMENT, &s);
    if (rc)
        return rc;
    const char *name = cd_get_str(req, "Name", NULL);
    if (strcmp(name, s.name) != 0) {
        unsigned char k[CD_SCHEMA_KEY_MAX];
        cd_slice v;
        rc = cd_get_key(c, k, cd_key_dev_name(k, name), &v);
        if (rc == 0)
            return cd_fail(c->err, CD_E_SchemaAlreadyExistsException,
                           "cannot rename '%s' to '%s': a development schema named '%s' already "
                           "exists (%s)",
                           s.arn, name, name, cd_arn_development(c, name));
        if (rc != CD_KV_NOTFOUND)
            return rc;
        if ((rc = cd_del_key(c, k, cd_key_dev_name(k, s.name))))
            return rc;
        s.name = name;
        if ((rc = cd_schema_put(c, &s)))
            return rc;
    }
    return reply_arn(c, resp, "SchemaArn", cd_arn_development(c, name));
}

/* ---------------------------------------------------------------- the published index */

/* Splits "name 0 version 0 minor". */
static bool split_pub_key(cd_ctx *c, cd_slice key, const char **name, const char **version,
                          const char **minor, size_t *family_n)
{
    const char *p = key.p, *end = p + key.n;
    const char *z1 = memchr(p, 0, key.n);
    const char *z2 = z1 ? memchr(z1 + 1, 0, (size_t)(end - z1 - 1)) : NULL;
    if (!z2)
        return false;
    *name = cd_arena_strndup(c->a, p, (size_t)(z1 - p));
    *version = cd_arena_strndup(c->a, z1 + 1, (size_t)(z2 - z1 - 1));
    *minor = cd_arena_strndup(c->a, z2 + 1, (size_t)(end - z2 - 1));
    *family_n = (size_t)(z2 + 1 - p);
    return *name && *version && *minor;
}

/* Counts published major families, up to `stop`, skipping over each family's revisions
 * the way the listing does. */
static int count_families(cd_ctx *c, size_t stop, size_t *out)
{
    unsigned char seek[CD_SCHEMA_KEY_MAX + 1] = {CDK_SCHEMA_NAME, CD_SCHEMA_PUBLISHED};
    size_t seek_n = 2;
    cd_cursor *cur;
    *out = 0;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice k, v;
    while (*out < stop &&
           (rc = cd_cursor_seek(cur, (cd_slice){seek, seek_n}, &k, &v, c->err)) == 0 &&
           k.n >= 2 && memcmp(k.p, seek, 2) == 0) {
        const char *name, *version, *minor;
        size_t fn;
        cd_slice key = {(const unsigned char *)k.p + 2, k.n - 2};
        if (!split_pub_key(c, key, &name, &version, &minor, &fn) || fn + 3 > sizeof seek) {
            rc = cd_corrupt(c, "published schema index");
            break;
        }
        ++*out;
        memcpy(seek + 2, key.p, fn);   /* next: after the whole family */
        seek[2 + fn] = 0xff;
        seek_n = fn + 3;
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

static int publish_schema(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema dev;
    int rc = cd_schema_open(c, req, "DevelopmentSchemaArn", CD_ARN_DEVELOPMENT, &dev);
    if (rc)
        return rc;
    const char *name = cd_get_str(req, "Name", NULL);
    const char *version = cd_get_str(req, "Version", NULL);
    const char *minor = cd_get_str(req, "MinorVersion", NULL);
    if (!name)
        name = dev.name;
    /* Applied, it would have the ARN of every directory's base schema. */
    if (strcmp(name, CD_BASE_SCHEMA_NAME) == 0 && strcmp(version, CD_BASE_SCHEMA_VERSION) == 0)
        return cd_fail(c->err, CD_E_SchemaAlreadyPublishedException,
                       "%s/%s is the name and version of the base schema every directory "
                       "has; publish another Version or Name",
                       name, version);
    /* PublishSchema starts a major family; later revisions come from UpgradePublishedSchema. */
    unsigned char k[CD_SCHEMA_KEY_MAX];
    size_t kn = cd_key_pub_family(k, name, version), n;
    if ((rc = cd_count_prefix(c, k, kn, 1, &n)))
        return rc;
    if (n)
        return cd_fail(c->err, CD_E_SchemaAlreadyPublishedException,
                       "schema '%s' is already published with version %s (%s); publish "
                       "another Version, or add a minor version with UpgradePublishedSchema",
                       name, version, cd_arn_published(c, name, version, NULL));
    if (cd_aws_limits(c)) {
        if ((rc = count_families(c, MAX_PUBLISHED, &n)))
            return rc;
        if (n >= MAX_PUBLISHED)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "there are already %d published schemas, the most the service "
                           "allows; delete one, or open the store with limits = \"none\"",
                           MAX_PUBLISHED);
    }
    cd_schema pub = {.kind = CD_SCHEMA_PUBLISHED, .name = name, .version = version,
                     .minor = minor ? minor : ""};
    if ((rc = cd_schema_new_sid(c, &pub.sid)) || (rc = cd_schema_put(c, &pub)) ||
        (rc = cd_schema_copy_contents(c, dev.sid, pub.sid)))
        return rc;
    return reply_arn(c, resp, "PublishedSchemaArn", cd_arn_published(c, name, version, minor));
}

/* ---------------------------------------------------------------- listings */

typedef struct arn_list {
    cd_value *arns;
    /* published families: the family (name 0 version 0) last added */
    const unsigned char *family;
    size_t family_n;
    /* revisions of one family: its name and version (keys hold only the minor) */
    const char *name, *version;
} arn_list;

static int push_arn(cd_ctx *c, arn_list *l, const char *arn)
{
    cd_value *v = arn ? cd_strz(c->a, arn) : NULL;
    return v && cd_list_push(c->a, l->arns, v) ? 1 : cd_oom(c);
}

static int dev_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud, cd_slice *resume)
{
    (void)val;
    (void)resume;
    if (dry)
        return 1;
    const char *name = cd_arena_strndup(c->a, key.p, key.n);
    return name ? push_arn(c, ud, cd_arn_development(c, name)) : cd_oom(c);
}

static int family_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud,
                       cd_slice *resume)
{
    (void)val;
    arn_list *l = ud;
    const char *name, *version, *minor;
    size_t fn;
    if (!split_pub_key(c, key, &name, &version, &minor, &fn))
        return cd_corrupt(c, "published schema index");
    if (l->family && l->family_n == fn && memcmp(l->family, key.p, fn) == 0)
        return 0;   /* another revision of the family just listed */
    if (dry)
        return 1;
    /* Continue after the whole family: names and versions never hold 0xff. */
    unsigned char *r = cd_arena_alloc(c->a, fn + 1);
    if (!r)
        return cd_oom(c);
    memcpy(r, key.p, fn);
    r[fn] = 0xff;
    *resume = (cd_slice){r, fn + 1};
    l->family = r;
    l->family_n = fn;
    return push_arn(c, l, cd_arn_published(c, name, version, NULL));
}

static int revision_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud,
                         cd_slice *resume)
{
    (void)val;
    (void)resume;
    if (dry)
        return 1;
    arn_list *l = ud;
    const char *minor = cd_arena_strndup(c->a, key.p, key.n);
    return minor ? push_arn(c, l, cd_arn_published(c, l->name, l->version, minor)) : cd_oom(c);
}

static int list_development(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    arn_list l = {.arns = cd_list(c->a)};
    if (!l.arns)
        return cd_oom(c);
    unsigned char prefix[2] = {CDK_SCHEMA_NAME, CD_SCHEMA_DEVELOPMENT};
    const char *token;
    int rc = cd_page_scan(c, req, prefix, 2, "", 0, 0, dev_item, &l, &token);
    return rc ? rc : cd_page_reply(c, "SchemaArns", l.arns, token, resp);
}

static int list_published(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    arn_list l = {.arns = cd_list(c->a)};
    if (!l.arns)
        return cd_oom(c);
    const char *token;
    int rc;
    if (!cd_get(req, "SchemaArn")) {
        unsigned char prefix[2] = {CDK_SCHEMA_NAME, CD_SCHEMA_PUBLISHED};
        rc = cd_page_scan(c, req, prefix, 2, "", 0, 0, family_item, &l, &token);
        return rc ? rc : cd_page_reply(c, "SchemaArns", l.arns, token, resp);
    }
    /* The revisions of one major family. */
    cd_arn arn;
    if ((rc = cd_arn_member(c, req, "SchemaArn", CD_ARN_PUBLISHED, &arn)))
        return rc;
    if (arn.minor)
        return cd_fail(c->err, CD_E_InvalidArnException,
                       "SchemaArn '%s' names a minor version; ListPublishedSchemaArns lists the "
                       "revisions of a major version ARN (%s)",
                       arn.text, cd_arn_published(c, arn.name, arn.version, NULL));
    unsigned char k[CD_SCHEMA_KEY_MAX];
    size_t kn = cd_key_pub_family(k, arn.name, arn.version), n;
    if ((rc = cd_count_prefix(c, k, kn, 1, &n)))
        return rc;
    if (!n)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "SchemaArn '%s': schema '%s' is not published with version %s", arn.text,
                       arn.name, arn.version);
    l.name = arn.name;
    l.version = arn.version;
    rc = cd_page_scan(c, req, k, kn, k, kn, 0, revision_item, &l, &token);
    return rc ? rc : cd_page_reply(c, "SchemaArns", l.arns, token, resp);
}

const cd_handler_entry cd_schema_handlers[] = {
    {CD_OP_CreateSchema, create_schema},
    {CD_OP_DeleteSchema, delete_schema},
    {CD_OP_PublishSchema, publish_schema},
    {CD_OP_UpdateSchema, update_schema},
    {CD_OP_ListDevelopmentSchemaArns, list_development},
    {CD_OP_ListPublishedSchemaArns, list_published},
    {-1, NULL},
};
