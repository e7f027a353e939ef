/* directory.c — directories and the schemas applied to them: CreateDirectory, GetDirectory,
 * ListDirectories, Disable/Enable/DeleteDirectory, ApplySchema, ListAppliedSchemaArns,
 * GetAppliedSchemaVersion; and the directory lookups of catalog.h.
 *
 * Key layouts:
 *   D dirnum(4)   -> directory record
 *                    u8 format(1) u8 state u64 created_ms u64 root str id str name
 *   d DirectoryId -> dirnum(4) + a copy of the D record, so that the directory lookup every
 *                    data-plane call makes is one get
 *   n Name        -> dirnum(4) of the live (not DELETED) directory holding that name
 * Directory numbers come from the "directory" counter, so `D` order is creation order.
 *
 * States (semantics §1.3): ENABLED <-> DISABLED -> DELETED.  Disable/Enable are idempotent;
 * DeleteDirectory needs DISABLED; a DELETED directory stays listed and keeps its data, but
 * gives up its name. */
#include <stdlib.h>
#include <string.h>
#include "schema_model.h"
#include "store.h"
#include "keys.h"
#include "token.h"

#define DIRECTORY_FORMAT 1
#define ID_BYTES 17           /* 0x01 + 16 random bytes */
#define MAX_APPLIED 5         /* applied schemas per directory (limits = "aws") */
#define MAX_DIRECTORIES 100   /* live directories per store (limits = "aws"), as per account */

static const char *const state_names[] = {"ENABLED", "DISABLED", "DELETED"};

/* ---------------------------------------------------------------- records */

static size_t key_num(unsigned char *k, unsigned char prefix, uint32_t num)
{
    k[0] = prefix;
    cd_put_u32be(k + 1, num);
    return 5;
}

static size_t key_str(unsigned char *k, unsigned char prefix, const char *s)
{
    size_t n = strlen(s);
    k[0] = prefix;
    memcpy(k + 1, s, n);
    return n + 1;
}

/* arn: the directory's ARN when the caller already has it in canonical form, else NULL. */
static int decode_directory(cd_ctx *c, uint32_t num, cd_slice v, const char *arn,
                            cd_directory **out)
{
    cd_directory *d = cd_arena_alloc(c->a, sizeof *d);
    if (!d)
        return cd_oom(c);
    cd_rd r;
    cd_rd_init(&r, c->a, v);
    unsigned fmt = cd_rd_u8(&r), state = cd_rd_u8(&r);
    d->num = num;
    d->created_ms = (int64_t)cd_rd_u64(&r);
    d->root = cd_rd_u64(&r);
    d->id = cd_rd_str(&r, NULL);
    d->name = cd_rd_str(&r, NULL);
    if (r.bad || r.p != r.end || fmt != DIRECTORY_FORMAT || state > CD_DIR_DELETED)
        return cd_corrupt(c, "directory");
    d->state = (cd_dir_state)state;
    d->arn = arn ? arn : cd_arn_directory(c, d->id);
    if (!d->arn)
        return cd_oom(c);
    *out = d;
    return 0;
}

/* Writes the D record and its copy under the DirectoryId key. */
static int put_directory(cd_ctx *c, const cd_directory *d)
{
    cd_buf b;
    cd_buf_init(&b, c->a);
    if (!cd_buf_u32be(&b, d->num) || !cd_buf_byte(&b, DIRECTORY_FORMAT) ||
        !cd_buf_byte(&b, (unsigned char)d->state) ||
        !cd_buf_u64be(&b, (uint64_t)d->created_ms) || !cd_buf_u64be(&b, d->root) ||
        !cd_buf_strz(&b, d->id) || !cd_buf_strz(&b, d->name))
        return cd_oom(c);
    unsigned char k[5], ik[1 + 64];
    int rc = cd_put_key(c, k, key_num(k, CDK_DIRECTORY, d->num), b.p + 4, b.len - 4);
    return rc ? rc : cd_put_key(c, ik, key_str(ik, CDK_DIRECTORY_ID, d->id), b.p, b.len);
}

/* The directory with DirectoryId id (n bytes); arn is its canonical ARN, or NULL. */
static int directory_by_id(cd_ctx *c, const char *id, size_t n, const char *arn,
                           cd_directory **out)
{
    unsigned char k[1 + 64];
    cd_slice v;
    int rc = CD_KV_NOTFOUND;
    if (n <= 64) {
        k[0] = CDK_DIRECTORY_ID;
        memcpy(k + 1, id, n);
        rc = cd_get_key(c, k, n + 1, &v);
    }
    if (rc == CD_KV_NOTFOUND)
        return cd_fail(c->err, CD_E_ResourceNotFoundException, "there is no directory '%.*s'",
                       (int)n, id);
    if (rc)
        return rc;
    if (v.n <= 4)
        return cd_corrupt(c, "directory index");
    return decode_directory(c, cd_get_u32be(v.p),
                            (cd_slice){(const unsigned char *)v.p + 4, v.n - 4}, arn, out);
}

int cd_directory_by_id(cd_ctx *c, const char *id, cd_directory **out)
{
    return directory_by_id(c, id, strlen(id), NULL, out);
}

/* ---------------------------------------------------------------- catalog.h */

static int find_member(cd_ctx *c, const char *member, const char *arn, size_t n,
                       cd_directory **out)
{
    cd_arn a;
    int rc = cd_arn_parse(c, member, arn, n, CD_ARN_DIRECTORY, &a);
    if (rc)
        return rc;
    /* A directory ARN that parses is canonical: prefix, this handle's region and account,
     * directory/<id>.  It serves as the directory's ARN as is. */
    rc = directory_by_id(c, a.directory_id, strlen(a.directory_id), a.text, out);
    if (rc == CD_E_ResourceNotFoundException)
        cd_fail(c->err, rc, "%s '%s': there is no directory '%s'", member, a.text,
                a.directory_id);
    return rc;
}

int cd_directory_find(cd_ctx *c, const char *arn, cd_directory **out)
{
    if (!arn)
        return cd_fail(c->err, CD_E_ValidationException, "DirectoryArn is required");
    return find_member(c, "DirectoryArn", arn, strlen(arn), out);
}

/* Keeps a copy of d in the handle's cache, as of snapshot snap; when memory is short the
 * cache just stays empty. */
static void cache_directory(cd_ctx *c, uint64_t snap, const cd_directory *d)
{
    cd_dir_cache *dc = &c->store->dir_cache;
    size_t ni = strlen(d->id) + 1, nn = strlen(d->name) + 1, na = strlen(d->arn) + 1;
    dc->snapshot = 0;
    if (ni + nn + na > dc->cap) {
        char *p = realloc(dc->buf, ni + nn + na);
        if (!p)
            return;
        dc->buf = p;
        dc->cap = ni + nn + na;
    }
    dc->d = *d;
    dc->d.id = memcpy(dc->buf, d->id, ni);
    dc->d.name = memcpy(dc->buf + ni, d->name, nn);
    dc->d.arn = memcpy(dc->buf + ni + nn, d->arn, na);
    dc->snapshot = snap;
}

/* Keeps d in a BatchWrite's memo (store.h), found by the DirectoryArn text arn; when memory
 * is short the memo just stays empty. */
static void memo_directory(cd_call_memo *memo, const char *arn, const cd_directory *d)
{
    cd_arena *a = memo->facets.a;
    cd_directory m = *d;
    if (!(m.id = cd_arena_strndup(a, d->id, strlen(d->id))) ||
        !(m.name = cd_arena_strndup(a, d->name, strlen(d->name))) ||
        !(m.arn = cd_arena_strndup(a, d->arn, strlen(d->arn))) ||
        !(memo->dir_arn = cd_arena_strndup(a, arn, strlen(arn))))
        return;
    memo->dir = m;
}

int cd_request_directory(cd_ctx *c, const cd_value *req, cd_directory **out)
{
    const char *arn = cd_get_str(req, "DirectoryArn", NULL);
    if (!arn)
        return cd_fail(c->err, CD_E_ValidationException, "DirectoryArn is required");
    return cd_directory_enabled(c, arn, out);
}

int cd_directory_enabled(cd_ctx *c, const char *arn, cd_directory **out)
{
    if (!arn)
        return cd_fail(c->err, CD_E_ValidationException, "DirectoryArn is required");
    /* Data-plane reads find the directory in the handle's cache while the store has not
     * changed (same snapshot, see store.h); write transactions always read it. */
    uint64_t snap = cd_kv_snapshot(c->txn);
    const cd_dir_cache *dc = &c->store->dir_cache;
    /* The cached ARN is canonical for this handle: a request giving exactly it would parse
     * to that directory's id, so it needs no parsing. */
    cd_call_memo *memo = c->memo;
    if (snap && dc->snapshot == snap && strcmp(dc->d.arn, arn) == 0) {
        cd_directory *d = cd_arena_alloc(c->a, sizeof *d);
        if (!d)
            return cd_oom(c);
        *d = dc->d;   /* a copy: the handler may change its own */
        *out = d;
    } else if (memo && memo->dir_arn && strcmp(memo->dir_arn, arn) == 0) {
        cd_directory *d = cd_arena_alloc(c->a, sizeof *d);
        if (!d)
            return cd_oom(c);
        *d = memo->dir;   /* a copy, as above; the strings stay the memo's */
        *out = d;
    } else {
        cd_arn a;
        int rc = cd_arn_parse(c, "DirectoryArn", arn, strlen(arn), CD_ARN_DIRECTORY, &a);
        if (rc)
            return rc;
        rc = directory_by_id(c, a.directory_id, strlen(a.directory_id), a.text, out);
        if (rc == CD_E_ResourceNotFoundException)
            cd_fail(c->err, rc, "DirectoryArn '%s': there is no directory '%s'", a.text,
                    a.directory_id);
        if (rc)
            return rc;
        if (snap)
            cache_directory(c, snap, *out);
        else if (memo)
            memo_directory(memo, arn, *out);
    }
    if ((*out)->state != CD_DIR_ENABLED)
        return cd_fail(c->err, CD_E_DirectoryNotEnabledException,
                       "directory '%s' is %s%s", (*out)->arn, state_names[(*out)->state],
                       (*out)->state == CD_DIR_DISABLED ? "; enable it with EnableDirectory"
                                                        : "");
    return 0;
}

/* The directory a request's DirectoryArn names. */
static int open_directory(cd_ctx *c, const cd_value *req, cd_directory **out)
{
    size_t n;
    const char *arn = cd_get_str(req, "DirectoryArn", &n);
    if (!arn)
        return cd_fail(c->err, CD_E_ValidationException, "DirectoryArn is required");
    return find_member(c, "DirectoryArn", arn, n, out);
}

/* ---------------------------------------------------------------- applying schemas */

/* LimitExceededException when directory d already has the most applied schemas. */
static int check_applied_limit(cd_ctx *c, const cd_directory *d)
{
    if (!cd_aws_limits(c))
        return 0;
    unsigned char p[6] = {CDK_SCHEMA_NAME, CD_SCHEMA_APPLIED};
    size_t n;
    cd_put_u32be(p + 2, d->num);
    int rc = cd_count_prefix(c, p, 6, MAX_APPLIED, &n);
    if (rc == 0 && n >= MAX_APPLIED)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "directory '%s' already has %d schemas applied, the most it may have",
                       d->arn, MAX_APPLIED);
    return rc;
}

/* The managed schema is built in (managed.c): applying it stores only its index key. */
static int apply_managed(cd_ctx *c, cd_directory *d, const char **applied)
{
    bool have;
    int rc = cd_managed_applied(c, d, &have);
    if (rc)
        return rc;
    if (have)
        return cd_fail(c->err, CD_E_InvalidAttachmentException,
                       "the managed schema %s is already applied to directory '%s'",
                       cd_managed_arn(c, true), d->arn);
    unsigned char k[CD_SCHEMA_KEY_MAX], sid[4];
    cd_put_u32be(sid, CD_MANAGED_SCHEMA_SID);
    if ((rc = check_applied_limit(c, d)) ||
        (rc = cd_put_key(c, k, cd_managed_applied_key(k, d->num), sid, 4)))
        return rc;
    *applied = cd_managed_arn(c, false);
    return *applied ? 0 : cd_oom(c);
}

/* Copies published schema pub into directory d; returns the applied ARN (no minor). */
static int apply_schema(cd_ctx *c, cd_directory *d, const cd_schema *pub, const char **applied)
{
    if (pub->kind == CD_SCHEMA_MANAGED)
        return apply_managed(c, d, applied);
    unsigned char k[CD_SCHEMA_KEY_MAX];
    size_t kn = cd_key_applied(k, d->num, pub->name, pub->version);
    cd_slice v;
    int rc = cd_get_key(c, k, kn, &v);
    if (rc == 0) {
        cd_schema have;
        if (v.n != 4)
            return cd_corrupt(c, "schema index");
        if ((rc = cd_schema_get(c, cd_get_u32be(v.p), &have)))
            return rc == CD_KV_NOTFOUND ? cd_corrupt(c, "schema index") : rc;
        if (have.source == pub->sid)
            return cd_fail(c->err, CD_E_InvalidAttachmentException,
                           "schema '%s' is already applied to directory '%s'", pub->arn,
                           d->arn);
        return cd_fail(c->err, CD_E_SchemaAlreadyExistsException,
                       "directory '%s' already has a schema %s/%s applied (from another "
                       "published revision); use UpgradeAppliedSchema to move it to '%s'",
                       d->arn, pub->name, pub->version, pub->arn);
    }
    if (rc != CD_KV_NOTFOUND)
        return rc;
    if ((rc = check_applied_limit(c, d)))
        return rc;
    cd_schema s = {.kind = CD_SCHEMA_APPLIED, .name = pub->name, .version = pub->version,
                   .minor = pub->minor, .dirnum = d->num, .source = pub->sid,
                   .minors = cd_list(c->a)};
    if (!s.minors || (*pub->minor && !cd_list_push(c->a, s.minors, cd_strz(c->a, pub->minor))))
        return cd_oom(c);
    if ((rc = cd_schema_new_sid(c, &s.sid)) || (rc = cd_schema_put(c, &s)) ||
        (rc = cd_schema_copy_contents(c, pub->sid, s.sid)))
        return rc;
    *applied = cd_arn_applied(c, d->arn, s.name, s.version, NULL);
    return *applied ? 0 : cd_oom(c);
}

/* The published (or managed) schema a request member names. */
static int open_published(cd_ctx *c, const cd_value *req, const char *member, cd_schema *s)
{
    return cd_schema_open(c, req, member, CD_ARN_PUBLISHED | CD_ARN_MANAGED, s);
}

/* ---------------------------------------------------------------- operations */

static int new_directory_id(cd_ctx *c, char id[32])
{
    unsigned char raw[ID_BYTES];
    for (int attempt = 0; attempt < 8; attempt++) {
        raw[0] = 0x01;
        cd_random(c, raw + 1, ID_BYTES - 1);
        id[cd_b64url_encode(raw, ID_BYTES, id)] = 0;
        unsigned char k[32];
        cd_slice v;
        int rc = cd_get_key(c, k, key_str(k, CDK_DIRECTORY_ID, id), &v);
        if (rc == CD_KV_NOTFOUND)
            return 0;
        if (rc)
            return rc;
    }
    return cd_fail(c->err, CD_E_InternalServiceException, "could not draw a fresh directory id");
}

static int create_directory(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    const char *name = cd_get_str(req, "Name", NULL);
    cd_schema pub;
    int rc = open_published(c, req, "SchemaArn", &pub);
    if (rc)
        return rc;
    unsigned char k[1 + 64 + 1];
    size_t kn = key_str(k, CDK_DIRECTORY_NAME, name);
    cd_slice v;
    rc = cd_get_key(c, k, kn, &v);
    if (rc == 0)
        return cd_fail(c->err, CD_E_DirectoryAlreadyExistsException,
                       "a directory named '%s' already exists", name);
    if (rc != CD_KV_NOTFOUND)
        return rc;
    if (cd_aws_limits(c)) {
        /* Every live directory holds one name key; deleted ones gave theirs up. */
        unsigned char names[1] = {CDK_DIRECTORY_NAME};
        size_t n;
        if ((rc = cd_count_prefix(c, names, 1, MAX_DIRECTORIES, &n)))
            return rc;
        if (n >= MAX_DIRECTORIES)
            return cd_fail(c->err, CD_E_LimitExceededException,
                           "there are already %d directories that are not deleted, the most "
                           "the service allows; delete one, or open the store with "
                           "limits = \"none\"",
                           MAX_DIRECTORIES);
    }

    uint64_t num;
    if ((rc = cd_next_id(c, "directory", &num)))
        return rc;
    if (num > UINT32_MAX)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "this store has used up its directory numbers");
    char *id = cd_arena_alloc(c->a, 32);
    cd_directory *d = cd_arena_alloc(c->a, sizeof *d);
    if (!id || !d)
        return cd_oom(c);
    if ((rc = new_directory_id(c, id)))
        return rc;
    *d = (cd_directory){.num = (uint32_t)num, .id = id, .arn = cd_arn_directory(c, id),
                        .name = name, .state = CD_DIR_ENABLED, .created_ms = c->now_ms};
    if (!d->arn)
        return cd_oom(c);
    unsigned char nb[4];
    cd_put_u32be(nb, d->num);
    const char *applied;
    if ((rc = put_directory(c, d)) || (rc = cd_put_key(c, k, kn, nb, 4)) || (rc = apply_schema(c, d, &pub, &applied)) ||
        (rc = cd_object_create_root(c, d, &d->root)) || (rc = put_directory(c, d)))
        return rc;

    const char *oid;
    if ((rc = cd_object_identifier(c, d, d->root, &oid)))
        return rc;
    cd_value *r = cd_map(c->a);
    if (!r || !cd_map_set(c->a, r, "DirectoryArn", cd_strz(c->a, d->arn)) ||
        !cd_map_set(c->a, r, "Name", cd_strz(c->a, name)) ||
        !cd_map_set(c->a, r, "ObjectIdentifier", cd_strz(c->a, oid)) ||
        !cd_map_set(c->a, r, "AppliedSchemaArn", cd_strz(c->a, applied)))
        return cd_oom(c);
    *resp = r;
    return 0;
}

static cd_value *directory_value(cd_ctx *c, const cd_directory *d)
{
    cd_value *m = cd_map(c->a);
    if (!m || !cd_map_set(c->a, m, "Name", cd_strz(c->a, d->name)) ||
        !cd_map_set(c->a, m, "DirectoryArn", cd_strz(c->a, d->arn)) ||
        !cd_map_set(c->a, m, "State", cd_strz(c->a, state_names[d->state])) ||
        !cd_map_set(c->a, m, "CreationDateTime", cd_time_ms(c->a, d->created_ms)))
        return NULL;
    return m;
}

static int get_directory(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = open_directory(c, req, &d);
    if (rc == CD_E_ResourceNotFoundException)   /* GetDirectory does not list it (§1.3) */
        c->err->code = rc = CD_E_AccessDeniedException;
    if (rc)
        return rc;
    cd_value *r = cd_map(c->a), *dv = directory_value(c, d);
    if (!r || !dv || !cd_map_set(c->a, r, "Directory", dv))
        return cd_oom(c);
    *resp = r;
    return 0;
}

typedef struct dir_list {
    cd_value *list;
    int state;      /* filter, or -1 */
} dir_list;

static int directory_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud,
                          cd_slice *resume)
{
    (void)resume;
    dir_list *l = ud;
    cd_directory *d;
    if (key.n != 4)
        return 0;
    int rc = decode_directory(c, cd_get_u32be(key.p), val, NULL, &d);
    if (rc)
        return rc;
    if (l->state >= 0 && (int)d->state != l->state)
        return 0;
    if (dry)
        return 1;
    cd_value *v = directory_value(c, d);
    return v && cd_list_push(c->a, l->list, v) ? 1 : cd_oom(c);
}

static int list_directories(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    const char *state = cd_get_str(req, "state", NULL);
    dir_list l = {cd_list(c->a), -1};
    if (!l.list)
        return cd_oom(c);
    for (int i = 0; state && i < 3; i++)
        if (strcmp(state, state_names[i]) == 0)
            l.state = i;
    if (state && l.state < 0)
        return cd_fail(c->err, CD_E_ValidationException, "state '%s' is not a DirectoryState",
                       state);
    unsigned char prefix[1] = {CDK_DIRECTORY};
    const char *scope = state ? state : "";
    const char *token;
    int rc = cd_page_scan(c, req, prefix, 1, scope, strlen(scope), 0, directory_item, &l, &token);
    return rc ? rc : cd_page_reply(c, "Directories", l.list, token, resp);
}

static int reply_directory_arn(cd_ctx *c, const cd_directory *d, cd_value **resp)
{
    cd_value *r = cd_map(c->a);
    if (!r || !cd_map_set(c->a, r, "DirectoryArn", cd_strz(c->a, d->arn)))
        return cd_oom(c);
    *resp = r;
    return 0;
}

static int deleted(cd_ctx *c, const cd_directory *d)
{
    return cd_fail(c->err, CD_E_DirectoryDeletedException, "directory '%s' has been deleted",
                   d->arn);
}

/* Disable and Enable: idempotent on the state they set (§13.1). */
static int set_state(cd_ctx *c, const cd_value *req, cd_dir_state to, cd_value **resp)
{
    cd_directory *d;
    int rc = open_directory(c, req, &d);
    if (rc)
        return rc;
    if (d->state == CD_DIR_DELETED)
        return deleted(c, d);
    if (d->state != to) {
        d->state = to;
        if ((rc = put_directory(c, d)))
            return rc;
    }
    return reply_directory_arn(c, d, resp);
}

static int disable_directory(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    return set_state(c, req, CD_DIR_DISABLED, resp);
}

static int enable_directory(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    return set_state(c, req, CD_DIR_ENABLED, resp);
}

static int delete_directory(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = open_directory(c, req, &d);
    if (rc)
        return rc;
    if (d->state == CD_DIR_DELETED)
        return deleted(c, d);
    if (d->state != CD_DIR_DISABLED)
        return cd_fail(c->err, CD_E_DirectoryNotDisabledException,
                       "directory '%s' is ENABLED; disable it with DisableDirectory before "
                       "deleting it",
                       d->arn);
    d->state = CD_DIR_DELETED;
    unsigned char k[1 + 64 + 1];
    if ((rc = put_directory(c, d)))
        return rc;
    /* The name is free again: a new directory may take it (§1.3, recommendation). */
    rc = cd_del_key(c, k, key_str(k, CDK_DIRECTORY_NAME, d->name));
    if (rc && rc != CD_KV_NOTFOUND)
        return rc;
    return reply_directory_arn(c, d, resp);
}

static int apply_schema_op(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    cd_schema pub;
    int rc = open_directory(c, req, &d);
    if (rc || (rc = open_published(c, req, "PublishedSchemaArn", &pub)))
        return rc;
    if (d->state == CD_DIR_DELETED)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "directory '%s' has been deleted", d->arn);
    const char *applied;
    if ((rc = apply_schema(c, d, &pub, &applied)))
        return rc;
    cd_value *r = cd_map(c->a);
    if (!r || !cd_map_set(c->a, r, "AppliedSchemaArn", cd_strz(c->a, applied)) ||
        !cd_map_set(c->a, r, "DirectoryArn", cd_strz(c->a, d->arn)))
        return cd_oom(c);
    *resp = r;
    return 0;
}

typedef struct applied_list {
    cd_value *arns;
    const cd_directory *d;
} applied_list;

static int applied_item(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud,
                        cd_slice *resume)
{
    (void)val;
    (void)resume;
    if (dry)
        return 1;
    applied_list *l = ud;
    const char *z = memchr(key.p, 0, key.n);
    if (!z)
        return cd_corrupt(c, "applied schema index");
    size_t nn = (size_t)(z - (const char *)key.p);
    const char *name = cd_arena_strndup(c->a, key.p, nn);
    const char *version = cd_arena_strndup(c->a, z + 1, key.n - nn - 1);
    const char *arn = !name || !version ? NULL
                      : strcmp(name, CD_MANAGED_APPLIED_NAME) == 0
                          ? cd_managed_arn(c, false)
                          : cd_arn_applied(c, l->d->arn, name, version, NULL);
    cd_value *v = arn ? cd_strz(c->a, arn) : NULL;
    return v && cd_list_push(c->a, l->arns, v) ? 1 : cd_oom(c);
}

/* ListAppliedSchemaArns for the managed schema's major version: its one minor version. */
static int list_applied_managed(cd_ctx *c, const cd_value *req, const cd_directory *d,
                                const cd_arn *arn, cd_value **resp)
{
    cd_schema s;
    bool have;
    int rc = cd_managed_schema(c, "SchemaArn", arn, &s);
    if (rc || (rc = cd_managed_applied(c, d, &have)))
        return rc;
    if (arn->minor)
        return cd_fail(c->err, CD_E_InvalidArnException,
                       "SchemaArn '%s' names a minor version; ListAppliedSchemaArns lists the "
                       "minor versions of a major version ARN (%s)",
                       arn->text, cd_managed_arn(c, false));
    if (!have)
        return cd_fail(c->err, CD_E_ResourceNotFoundException,
                       "the managed schema %s is not applied to directory '%s'",
                       cd_managed_arn(c, false), d->arn);
    const char *arns[1] = {s.arn};
    cd_value *list = cd_list(c->a);
    size_t from, to;
    const char *token;
    if (!list)
        return cd_oom(c);
    rc = cd_page_array(c, req, "managed", 7, arns, 1, false, 0, &from, &to, &token);
    for (size_t i = from; rc == 0 && i < to; i++)
        if (!cd_list_push(c->a, list, cd_strz(c->a, arns[i])))
            rc = cd_oom(c);
    return rc ? rc : cd_page_reply(c, "SchemaArns", list, token, resp);
}

static int list_applied(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_directory *d;
    int rc = open_directory(c, req, &d);
    if (rc)
        return rc;
    applied_list l = {cd_list(c->a), d};
    if (!l.arns)
        return cd_oom(c);
    const char *token = NULL;
    if (!cd_get(req, "SchemaArn")) {
        unsigned char p[6] = {CDK_SCHEMA_NAME, CD_SCHEMA_APPLIED};
        cd_put_u32be(p + 2, d->num);
        rc = cd_page_scan(c, req, p, 6, p, 6, 0, applied_item, &l, &token);
    } else {
        /* The minor versions of one applied major version. */
        cd_arn arn;
        cd_schema s;
        if ((rc = cd_arn_member(c, req, "SchemaArn", CD_ARN_APPLIED | CD_ARN_MANAGED, &arn)))
            return rc;
        if (arn.kind == CD_ARN_MANAGED)
            return list_applied_managed(c, req, d, &arn, resp);
        if (strcmp(arn.directory_id, d->id) != 0)
            return cd_fail(c->err, CD_E_InvalidArnException,
                           "SchemaArn '%s' is a schema of another directory than '%s'",
                           arn.text, d->arn);
        if (arn.minor)
            return cd_fail(c->err, CD_E_InvalidArnException,
                           "SchemaArn '%s' names a minor version; ListAppliedSchemaArns lists "
                           "the minor versions of a major version ARN (%s)",
                           arn.text, cd_arn_applied(c, d->arn, arn.name, arn.version, NULL));
        if ((rc = cd_schema_from_arn(c, "SchemaArn", &arn, &s)))
            return rc;
        size_t n = cd_len(s.minors), from, to;
        const char **arns = cd_arena_alloc(c->a, (n ? n : 1) * sizeof *arns);
        if (!arns)
            return cd_oom(c);
        for (size_t i = 0; i < n; i++) {
            const cd_value *m = s.minors->u.list.items[i];
            arns[i] = cd_arn_applied(c, d->arn, s.name, s.version,
                                     cd_is(m, CDV_STRING) ? m->u.s.p : NULL);
            if (!arns[i])
                return cd_oom(c);
        }
        if (n == 0) {   /* applied without a minor version: the major is the version in use */
            arns[0] = s.arn;
            n = 1;
        }
        unsigned char scope[4];
        cd_put_u32be(scope, s.sid);
        rc = cd_page_array(c, req, scope, 4, arns, n, false, 0, &from, &to, &token);
        for (size_t i = from; rc == 0 && i < to; i++)
            if (!cd_list_push(c->a, l.arns, cd_strz(c->a, arns[i])))
                rc = cd_oom(c);
    }
    return rc ? rc : cd_page_reply(c, "SchemaArns", l.arns, token, resp);
}

static int get_applied_version(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = cd_schema_open(c, req, "SchemaArn",
                            CD_ARN_APPLIED | CD_ARN_BASE | CD_ARN_MANAGED, &s);
    if (rc)
        return rc;
    const char *arn = s.kind == CD_SCHEMA_BASE || s.kind == CD_SCHEMA_MANAGED
                          ? s.arn
                          : cd_arn_applied(c, s.dir->arn, s.name, s.version, s.minor);
    cd_value *r = cd_map(c->a);
    if (!arn || !r || !cd_map_set(c->a, r, "AppliedSchemaArn", cd_strz(c->a, arn)))
        return cd_oom(c);
    *resp = r;
    return 0;
}

const cd_handler_entry cd_directory_handlers[] = {
    {CD_OP_CreateDirectory, create_directory},
    {CD_OP_GetDirectory, get_directory},
    {CD_OP_ListDirectories, list_directories},
    {CD_OP_DisableDirectory, disable_directory},
    {CD_OP_EnableDirectory, enable_directory},
    {CD_OP_DeleteDirectory, delete_directory},
    {CD_OP_ApplySchema, apply_schema_op},
    {CD_OP_ListAppliedSchemaArns, list_applied},
    {CD_OP_GetAppliedSchemaVersion, get_applied_version},
    {-1, NULL},
};
