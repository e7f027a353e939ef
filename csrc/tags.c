/* tags.c — TagResource, UntagResource, ListTagsForResource.
 *
 * Only directories carry tags (semantics §9).  A malformed ARN is InvalidArnException; a
 * well-formed ARN of anything but an existing directory (a schema, an unknown directory,
 * another region's) is InvalidTaggingRequestException, as is going over 50 tags.  Tagging a
 * key again overwrites its value; untagging a key that is not there does nothing.
 *
 * Key layout:
 *   G dirnum(4) tagkey -> u8 has_value, value bytes
 * so tags list in key order.  LMDB bounds keys, so tag keys are at most MAX_KEY bytes. */
#include <string.h>
#include "schema_model.h"
#include "keys.h"

#define MAX_TAGS 50        /* per directory, limits = "aws" */
#define MAX_KEY 500
#define TAG_PREFIX 5       /* G dirnum(4): the keys of one directory's tags */

/* The directory a ResourceArn names. */
static int open_resource(cd_ctx *c, const cd_value *req, bool write, cd_directory **d)
{
    size_t n;
    const char *text = cd_get_str(req, "ResourceArn", &n);
    cd_arn arn;
    if (!text)
        return cd_fail(c->err, CD_E_ValidationException, "ResourceArn is required");
    int rc = cd_arn_parse(c, "ResourceArn", text, n, CD_ARN_DIRECTORY | CD_ARN_ANY_SCHEMA, &arn);
    if (rc == CD_E_ResourceNotFoundException)
        c->err->code = rc = CD_E_InvalidTaggingRequestException;
    if (rc)
        return rc;
    if (arn.kind != CD_ARN_DIRECTORY)
        return cd_fail(c->err, CD_E_InvalidTaggingRequestException,
                       "ResourceArn '%s' is %s; only directories can be tagged", arn.text,
                       cd_arn_kind_text(arn.kind));
    rc = cd_directory_by_id(c, arn.directory_id, d);
    if (rc == CD_E_ResourceNotFoundException)
        return cd_fail(c->err, CD_E_InvalidTaggingRequestException,
                       "ResourceArn '%s': there is no directory '%s' to tag", arn.text,
                       arn.directory_id);
    /* A deleted directory keeps its tags listable, but deletion is irreversible: no more
     * tag changes. */
    if (rc == 0 && write && (*d)->state == CD_DIR_DELETED)
        return cd_fail(c->err, CD_E_InvalidTaggingRequestException,
                       "ResourceArn '%s': directory '%s' has been deleted; its tags can no "
                       "longer change", arn.text, arn.directory_id);
    return rc;
}

static size_t tag_key(unsigned char *k, uint32_t dirnum, const char *key, size_t n)
{
    k[0] = CDK_TAG;
    cd_put_u32be(k + 1, dirnum);
    memcpy(k + TAG_PREFIX, key, n);
    return TAG_PREFIX + n;
}

static int check_key(cd_ctx *c, const char *key, size_t n, size_t i, const char *member)
{
    if (!key)
        return cd_fail(c->err, CD_E_ValidationException, "%s[%zu] has no Key", member, i);
    if (n > MAX_KEY)
        return cd_fail(c->err, CD_E_InvalidTaggingRequestException,
                       "tag key %s[%zu] is %zu bytes long; clouddir allows at most %d", member,
                       i, n, MAX_KEY);
    return 0;
}

static int empty_reply(cd_ctx *c, cd_value **resp)
{
    return (*resp = cd_map(c->a)) ? 0 : cd_oom(c);
}

static int tag_resource(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = open_resource(c, req, true, &d);
    if (rc)
        return rc;
    const cd_value *tags = cd_get(req, "Tags");
    unsigned char k[TAG_PREFIX + MAX_KEY];
    for (size_t i = 0; i < cd_len(tags); i++) {
        const cd_value *t = tags->u.list.items[i];
        size_t kn, vn = 0;
        const char *key = cd_get_str(t, "Key", &kn), *val = cd_get_str(t, "Value", &vn);
        if ((rc = check_key(c, key, kn, i, "Tags")))
            return rc;
        cd_buf b;
        cd_buf_init(&b, c->a);
        if (!cd_buf_byte(&b, val ? 1 : 0) || !cd_buf_put(&b, val ? val : "", vn))
            return cd_oom(c);
        if ((rc = cd_put_key(c, k, tag_key(k, d->num, key, kn), b.p, b.len)))
            return rc;
    }
    if (cd_aws_limits(c)) {
        size_t n;
        tag_key(k, d->num, "", 0);
        if ((rc = cd_count_prefix(c, k, TAG_PREFIX, MAX_TAGS + 1, &n)))
            return rc;
        if (n > MAX_TAGS)   /* the transaction is aborted: nothing was tagged */
            return cd_fail(c->err, CD_E_InvalidTaggingRequestException,
                           "directory '%s' would have more than %d tags", d->arn, MAX_TAGS);
    }
    return empty_reply(c, resp);
}

static int untag_resource(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = open_resource(c, req, true, &d);
    if (rc)
        return rc;
    const cd_value *keys = cd_get(req, "TagKeys");
    unsigned char k[TAG_PREFIX + MAX_KEY];
    for (size_t i = 0; i < cd_len(keys); i++) {
        const cd_value *t = keys->u.list.items[i];
        const char *key = cd_is(t, CDV_STRING) ? t->u.s.p : NULL;
        size_t kn = key ? t->u.s.len : 0;
        if ((rc = check_key(c, key, kn, i, "TagKeys")))
            return rc;
        rc = cd_del_key(c, k, tag_key(k, d->num, key, kn));
        if (rc && rc != CD_KV_NOTFOUND)
            return rc;
    }
    return empty_reply(c, resp);
}

static int tag_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud, cd_slice *resume)
{
    (void)resume;
    if (dry)
        return 1;
    const unsigned char *v = val.p;
    cd_value *t = cd_map(c->a);
    if (!t || !cd_map_set(c->a, t, "Key", cd_str(c->a, key.p, key.n)) ||
        (val.n && v[0] && !cd_map_set(c->a, t, "Value", cd_str(c->a, (const char *)v + 1, val.n - 1))))
        return cd_oom(c);
    return cd_list_push(c->a, ud, t) ? 1 : cd_oom(c);
}

static int list_tags(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = open_resource(c, req, false, &d);
    if (rc)
        return rc;
    /* Every tag in one page unless the caller asks for fewer (the service ignores paging). */
    int64_t max = cd_get_int(req, "MaxResults", 0);
    int limit = max > 0 && max < 1000000000 ? (int)max : 1000000000;
    unsigned char p[TAG_PREFIX];
    tag_key(p, d->num, "", 0);
    cd_value *list = cd_list(c->a);
    const char *token;
    if (!list)
        return cd_oom(c);
    rc = cd_page_scan(c, req, p, TAG_PREFIX, p, TAG_PREFIX, limit, tag_item, list, &token);
    /* ListTagsForResource does not list InvalidNextTokenException: a bad token is a bad
     * request here. */
    if (rc == CD_E_InvalidNextTokenException)
        c->err->code = rc = CD_E_ValidationException;
    return rc ? rc : cd_page_reply(c, "Tags", list, token, resp);
}

const cd_handler_entry cd_tag_handlers[] = {
    {CD_OP_TagResource, tag_resource},
    {CD_OP_UntagResource, untag_resource},
    {CD_OP_ListTagsForResource, list_tags},
    {-1, NULL},
};
