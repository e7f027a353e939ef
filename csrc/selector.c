/* selector.c — ObjectReference selectors: paths, identifiers, batch references. */
#include <string.h>
#include "selector.h"

#define SHOWN_MAX 300   /* bytes of a selector quoted in a message */

static int not_found(cd_ctx *c, const cd_directory *d, const char *member, const char *sel,
                     size_t n, const char *why)
{
    return cd_fail(c->err, CD_E_ResourceNotFoundException,
                   "%s: no object '%.*s' in directory %s%s%s", member,
                   (int)(n > SHOWN_MAX ? SHOWN_MAX : n), sel, d->id, why ? ": " : "", why ? why : "");
}

/* Follows child links from the root, one get per link name. */
static int select_path(cd_ctx *c, const cd_directory *d, const char *sel, size_t n,
                       const char *member, cd_object *out)
{
    size_t end = n;
    if (end > 2 && sel[end - 1] == '/')
        end--;   /* "/a/b/" is "/a/b" */
    uint64_t cur = d->root;
    unsigned char curtag[8];
    bool have_tag = false;
    size_t depth = 0;
    size_t i = 1;
    unsigned char key[CD_LINK_KEY_MAX];
    while (end > 1) {   /* "/" alone is the root */
        size_t j = i;
        while (j < end && sel[j] != '/')
            j++;
        if (j == i)
            return not_found(c, d, member, sel, n, "it has an empty link name");
        if (++depth > CD_AWS_PATH_DEPTH && cd_aws_limits(c))
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "%s: the path '%.*s' is deeper than %d links (limits = \"aws\")",
                           member, (int)(n > SHOWN_MAX ? SHOWN_MAX : n), sel, CD_AWS_PATH_DEPTH);
        if (j - i > CD_LINK_NAME_BYTES)
            return not_found(c, d, member, sel, n, "a link name is too long");
        size_t kn = cd_child_key(key, cur, sel + i, j - i);
        cd_slice v;
        int rc = cd_get_key(c, key, kn, &v);
        if (rc == CD_KV_NOTFOUND) {
            const char *why = cd_arena_printf(c->a, "there is no link '%.*s' under '%.*s'",
                                              (int)(j - i), sel + i, (int)(i > 1 ? i - 1 : 1),
                                              sel);
            return not_found(c, d, member, sel, n, why);
        }
        if (rc)
            return rc;
        if (v.n < 16)
            return cd_fail(c->err, CD_E_InternalServiceException,
                           "the store is damaged: child link '%.*s' is malformed",
                           (int)(j - i), sel + i);
        cur = cd_get_u64be(v.p);
        memcpy(curtag, (const unsigned char *)v.p + 8, 8);
        have_tag = true;
        if (j == end)
            break;
        i = j + 1;   /* i == end here means another trailing "/": an empty name next */
    }
    int rc = cd_object_load(c, d, cur, out);
    if (rc == CD_E_ResourceNotFoundException || (rc == 0 && have_tag &&
                                                 memcmp(out->tag, curtag, 8) != 0))
        return not_found(c, d, member, sel, n, "the object behind its last link is gone");
    if (rc == 0)
        out->depth = (int)depth;
    return rc;
}

static int select_id(cd_ctx *c, const cd_directory *d, const char *sel, size_t n,
                     const char *member, cd_object *out)
{
    const char *id = sel + 1;
    size_t idn = n - 1;
    if (idn >= 2 && id[0] == '"' && id[idn - 1] == '"') {   /* $"id" */
        id++;
        idn -= 2;
    }
    uint64_t oid;
    unsigned char tag[8];
    if (!cd_object_id_parse(d, id, idn, &oid, tag))
        return not_found(c, d, member, sel, n,
                         "it is not an object identifier of this directory");
    int rc = cd_object_load(c, d, oid, out);
    if (rc == CD_E_ResourceNotFoundException || (rc == 0 && memcmp(out->tag, tag, 8) != 0))
        return not_found(c, d, member, sel, n, NULL);
    return rc;
}

static int select_ref(cd_ctx *c, const cd_directory *d, const char *sel, size_t n,
                      const char *member, cd_object *out)
{
    const cd_batch_hook *hook = c->batch;
    if (!hook || !hook->resolve)
        return not_found(c, d, member, sel, n,
                         "batch references (#name) can only be used inside BatchWrite");
    uint64_t oid;
    int rc = hook->resolve(c, sel + 1, n - 1, &oid);
    if (rc)
        return rc;
    rc = cd_object_load(c, d, oid, out);
    if (rc == CD_E_ResourceNotFoundException)
        return not_found(c, d, member, sel, n, "the object it named is gone");
    return rc;
}

int cd_select_text(cd_ctx *c, const cd_directory *d, const char *sel, size_t n,
                   const char *member, cd_object *out)
{
    if (n == 0)
        return not_found(c, d, member, sel, n, "the selector is empty");
    switch (sel[0]) {
    case '/': return select_path(c, d, sel, n, member, out);
    case '$': return select_id(c, d, sel, n, member, out);
    case '#': return select_ref(c, d, sel, n, member, out);
    default:
        return not_found(c, d, member, sel, n,
                         "a selector is a path (/a/b), an identifier ($id) or a batch "
                         "reference (#name)");
    }
}

int cd_select(cd_ctx *c, const cd_directory *d, const cd_value *ref, const char *member,
              cd_object *out)
{
    size_t n;
    const char *sel = cd_get_str(ref, "Selector", &n);
    if (!sel)
        return cd_fail(c->err, CD_E_ValidationException, "%s.Selector is missing", member);
    return cd_select_text(c, d, sel, n, member, out);
}
