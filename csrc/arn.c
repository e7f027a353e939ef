/* arn.c — parsing and building Cloud Directory ARNs (formats in arn.h). */
#include <string.h>
#include "arn.h"

#define ARN_PREFIX "arn:aws:clouddirectory:"
#define MAX_SEGMENTS 7
#define SHOWN 200          /* at most this much of a bad ARN is quoted in a message */
#define MAX_SCHEMA_NAME 32 /* SchemaName in the model */
#define MAX_VERSION 10     /* Version in the model */
#define MAX_DIRECTORY_ID 64

const char *cd_arn_kind_text(cd_arn_kind kind)
{
    switch (kind) {
    case CD_ARN_DIRECTORY: return "a directory ARN";
    case CD_ARN_DEVELOPMENT: return "a development schema ARN";
    case CD_ARN_PUBLISHED: return "a published schema ARN";
    case CD_ARN_APPLIED: return "an applied schema ARN";
    case CD_ARN_BASE: return "the base schema ARN";
    case CD_ARN_MANAGED: return "a managed schema ARN";
    }
    return "an ARN";
}

static const char *kind_form(cd_arn_kind kind)
{
    switch (kind) {
    case CD_ARN_DIRECTORY: return "directory/<DirectoryId>";
    case CD_ARN_DEVELOPMENT: return "schema/development/<Name>";
    case CD_ARN_PUBLISHED: return "schema/published/<Name>/<Version>[/<MinorVersion>]";
    case CD_ARN_APPLIED: return "directory/<DirectoryId>/schema/<Name>/<Version>";
    case CD_ARN_BASE: return "directory/<DirectoryId>/schema/CloudDirectory/1.0";
    case CD_ARN_MANAGED: return "schema/managed/quick_start/1.0/001";
    }
    return "";
}

/* "a development schema ARN (arn:...:schema/development/<Name>) or ..." for the kinds. */
static const char *expected_text(cd_ctx *c, unsigned kinds)
{
    const char *out = "";
    for (unsigned k = 1; k <= CD_ARN_MANAGED; k <<= 1) {
        if (!(kinds & k))
            continue;
        bool managed = k == CD_ARN_MANAGED;
        out = cd_arena_printf(c->a, "%s%s%s (" ARN_PREFIX "%s:%s:%s)", out, *out ? " or " : "",
                              cd_arn_kind_text((cd_arn_kind)k), managed ? "" : c->opt->region,
                              managed ? "" : c->opt->account, kind_form((cd_arn_kind)k));
        if (!out)
            return "a Cloud Directory ARN";
    }
    return out;
}

static int malformed(cd_ctx *c, const char *member, const char *arn, size_t len, unsigned kinds,
                     const char *why)
{
    return cd_fail(c->err, CD_E_InvalidArnException,
                   "%s '%.*s%s' is not a valid ARN (%s): expected %s", member,
                   (int)(len < SHOWN ? len : SHOWN), arn, len > SHOWN ? "..." : "", why,
                   expected_text(c, kinds));
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

static bool id_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

typedef struct seg { const char *p; size_t n; } seg;

static bool seg_is(seg s, const char *z) { return s.n == strlen(z) && memcmp(s.p, z, s.n) == 0; }

static const char *seg_check(seg s, size_t max, bool (*ok)(char))
{
    if (s.n == 0)
        return "empty";
    if (s.n > max)
        return "too long";
    for (size_t i = 0; i < s.n; i++)
        if (!ok(s.p[i]))
            return "unexpected character";
    return NULL;
}

int cd_arn_parse(cd_ctx *c, const char *member, const char *arn, size_t len, unsigned kinds,
                 cd_arn *out)
{
    memset(out, 0, sizeof *out);
    size_t pn = sizeof ARN_PREFIX - 1;
    if (len < pn || memcmp(arn, ARN_PREFIX, pn) != 0)
        return malformed(c, member, arn, len, kinds, "it does not start with '" ARN_PREFIX "'");
    /* region:account:resource */
    const char *p = arn + pn, *end = arn + len;
    const char *colon1 = memchr(p, ':', (size_t)(end - p));
    const char *colon2 = colon1 ? memchr(colon1 + 1, ':', (size_t)(end - colon1 - 1)) : NULL;
    if (!colon2)
        return malformed(c, member, arn, len, kinds, "no region and account");
    seg region = {p, (size_t)(colon1 - p)}, account = {colon1 + 1, (size_t)(colon2 - colon1 - 1)};
    const char *res = colon2 + 1;

    seg s[MAX_SEGMENTS];
    size_t ns = 0;
    for (const char *q = res;;) {
        const char *slash = memchr(q, '/', (size_t)(end - q));
        const char *e = slash ? slash : end;
        if (ns == MAX_SEGMENTS)
            return malformed(c, member, arn, len, kinds, "too many '/' components");
        s[ns++] = (seg){q, (size_t)(e - q)};
        if (!slash)
            break;
        q = slash + 1;
    }

    cd_arn_kind kind;
    seg id = {0}, name = {0}, version = {0}, minor = {0};
    bool has_minor = false;
    if (seg_is(s[0], "directory") && (ns == 2 || ns == 5 || ns == 6) &&
        (ns == 2 || seg_is(s[2], "schema"))) {
        id = s[1];
        if (ns == 2) {
            kind = CD_ARN_DIRECTORY;
        } else {
            name = s[3];
            version = s[4];
            has_minor = ns == 6;
            if (has_minor)
                minor = s[5];
            bool base = seg_is(name, CD_BASE_SCHEMA_NAME) &&
                        seg_is(version, CD_BASE_SCHEMA_VERSION);
            if (base && has_minor)
                return malformed(c, member, arn, len, kinds,
                                 "the base schema has no minor version");
            kind = base ? CD_ARN_BASE : CD_ARN_APPLIED;
        }
    } else if (seg_is(s[0], "schema") && ns == 3 && seg_is(s[1], "development")) {
        kind = CD_ARN_DEVELOPMENT;
        name = s[2];
    } else if (seg_is(s[0], "schema") && (ns == 4 || ns == 5) &&
               (seg_is(s[1], "published") || seg_is(s[1], "managed"))) {
        kind = seg_is(s[1], "published") ? CD_ARN_PUBLISHED : CD_ARN_MANAGED;
        name = s[2];
        version = s[3];
        has_minor = ns == 5;
        if (has_minor)
            minor = s[4];
    } else {
        return malformed(c, member, arn, len, kinds, "unknown resource");
    }

    const char *why = NULL, *part = NULL;
    if (id.p && (why = seg_check(id, MAX_DIRECTORY_ID, id_char)))
        part = "directory id";
    else if (name.p && (why = seg_check(name, MAX_SCHEMA_NAME, name_char)))
        part = "schema name";
    else if (version.p && (why = seg_check(version, MAX_VERSION, name_char)))
        part = "version";
    else if (has_minor && (why = seg_check(minor, MAX_VERSION, name_char)))
        part = "minor version";
    if (why) {
        const char *text = cd_arena_printf(c->a, "%s: %s", part, why);
        return malformed(c, member, arn, len, kinds, text ? text : part);
    }

    if (!(kinds & kind))
        return cd_fail(c->err, CD_E_InvalidArnException, "%s '%.*s%s' is %s, but %s needs %s",
                       member, (int)(len < SHOWN ? len : SHOWN), arn, len > SHOWN ? "..." : "",
                       cd_arn_kind_text(kind), cd_op_name(c->op), expected_text(c, kinds));

    /* Managed schemas belong to no region or account; everything else to this handle's. */
    if (kind == CD_ARN_MANAGED) {
        if (region.n || account.n)
            return malformed(c, member, arn, len, kinds,
                             "a managed schema ARN has an empty region and account");
    } else {
        if (!region.n || !account.n)
            return malformed(c, member, arn, len, kinds, "empty region or account");
        if (!seg_is(region, c->opt->region) || !seg_is(account, c->opt->account))
            return cd_fail(c->err, CD_E_ResourceNotFoundException,
                           "%s '%.*s%s' names region '%.*s' and account '%.*s'; this store "
                           "holds the resources of region '%s', account '%s'",
                           member, (int)(len < SHOWN ? len : SHOWN), arn,
                           len > SHOWN ? "..." : "", (int)(region.n < 64 ? region.n : 64),
                           region.p, (int)(account.n < 64 ? account.n : 64), account.p,
                           c->opt->region, c->opt->account);
    }

    out->kind = kind;
    out->text = cd_arena_strndup(c->a, arn, len);
    if (id.p)
        out->directory_id = cd_arena_strndup(c->a, id.p, id.n);
    if (name.p)
        out->name = cd_arena_strndup(c->a, name.p, name.n);
    if (version.p)
        out->version = cd_arena_strndup(c->a, version.p, version.n);
    if (has_minor)
        out->minor = cd_arena_strndup(c->a, minor.p, minor.n);
    if (!out->text || (id.p && !out->directory_id) || (name.p && !out->name) ||
        (version.p && !out->version) || (has_minor && !out->minor))
        return cd_oom(c);
    return 0;
}

int cd_arn_member(cd_ctx *c, const cd_value *req, const char *member, unsigned kinds,
                  cd_arn *out)
{
    size_t n;
    const char *s = cd_get_str(req, member, &n);
    if (!s)
        return cd_fail(c->err, CD_E_ValidationException, "%s is required", member);
    return cd_arn_parse(c, member, s, n, kinds, out);
}

/* Joins up to 12 NUL-terminated parts (NULL parts are skipped) into the arena: the ARN
 * builders run on every data-plane call, so no printf. */
static char *join(cd_arena *a, const char *const *parts, size_t n)
{
    size_t len[12], total = 0;
    for (size_t i = 0; i < n; i++)
        total += len[i] = parts[i] ? strlen(parts[i]) : 0;
    char *s = cd_arena_alloc(a, total + 1), *o = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        memcpy(o, parts[i] ? parts[i] : "", len[i]);
        o += len[i];
    }
    *o = '\0';
    return s;
}

#define JOIN(c, ...) \
    join((c)->a, (const char *const[]){__VA_ARGS__}, \
         sizeof (const char *const[]){__VA_ARGS__} / sizeof(const char *))

char *cd_arn_directory(cd_ctx *c, const char *directory_id)
{
    return JOIN(c, ARN_PREFIX, c->opt->region, ":", c->opt->account, ":directory/",
                directory_id);
}

char *cd_arn_development(cd_ctx *c, const char *name)
{
    return JOIN(c, ARN_PREFIX, c->opt->region, ":", c->opt->account, ":schema/development/",
                name);
}

char *cd_arn_published(cd_ctx *c, const char *name, const char *version, const char *minor)
{
    bool m = minor && *minor;
    return JOIN(c, ARN_PREFIX, c->opt->region, ":", c->opt->account, ":schema/published/", name,
                "/", version, m ? "/" : NULL, m ? minor : NULL);
}

char *cd_arn_applied(cd_ctx *c, const char *directory_arn, const char *name,
                     const char *version, const char *minor)
{
    bool m = minor && *minor;
    return JOIN(c, directory_arn, "/schema/", name, "/", version, m ? "/" : NULL,
                m ? minor : NULL);
}

char *cd_arn_base(cd_ctx *c, const char *directory_arn)
{
    return JOIN(c, directory_arn, "/schema/" CD_BASE_SCHEMA_NAME "/" CD_BASE_SCHEMA_VERSION);
}

char *cd_arn_managed(cd_ctx *c, const char *name, const char *version, const char *minor)
{
    bool m = minor && *minor;
    return JOIN(c, ARN_PREFIX "::schema/managed/", name, "/", version, m ? "/" : NULL,
                m ? minor : NULL);
}
