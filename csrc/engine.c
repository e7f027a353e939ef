/* engine.c — the one request path: check the shape, open one transaction, run the
 * operation's handler, commit or abort.  Also the small helpers every handler shares. */
#include <string.h>
#include <time.h>
#include "store.h"
#include "shapes.h"
#include "keys.h"

static const char *const op_names[] = {
#define CD_X(name, writes) #name,
    CD_OPERATIONS(CD_X)
#undef CD_X
};

static const unsigned char op_writes[] = {
#define CD_X(name, writes) writes,
    CD_OPERATIONS(CD_X)
#undef CD_X
};

const char *cd_op_name(int op) { return op >= 0 && op < CD_OP__COUNT ? op_names[op] : NULL; }
int cd_op_writes(int op) { return op >= 0 && op < CD_OP__COUNT ? op_writes[op] : 0; }

int cd_op_lookup(const char *name)
{
    /* The names are sorted: binary search. */
    int lo = 0, hi = CD_OP__COUNT - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(name, op_names[mid]);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

static const cd_handler_entry *const handler_tables[] = {
    cd_schema_handlers, cd_facet_handlers, cd_directory_handlers, cd_tag_handlers,
    cd_object_handlers, cd_hierarchy_handlers, cd_typedlink_handlers, cd_index_handlers,
    cd_policy_handlers, cd_batch_handlers, cd_schema_json_handlers,
    cd_managed_handlers, cd_upgrade_handlers,
};

void cd_engine_bind(cd_store *s)
{
    for (size_t t = 0; t < sizeof handler_tables / sizeof *handler_tables; t++)
        for (const cd_handler_entry *e = handler_tables[t]; e->op >= 0; e++)
            s->handlers[e->op] = e->fn;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_locked(cd_store *s, cd_kv *kv, bool write, int op, cd_handler fn,
                      cd_value *req, cd_arena *a, cd_value **resp, cd_error *err);

int cd_call(cd_store *s, int op, cd_value *req, cd_arena *a, cd_value **resp, cd_error *err)
{
    cd_error_clear(err);
    *resp = NULL;
    if (!s || !s->env)
        return cd_fail(err, CD_E_StoreError, "the store is closed");
    const char *name = cd_op_name(op);
    if (!name)
        return cd_fail(err, CD_E_ValidationException, "unknown operation #%d", op);
    if (cd_shape_check(op, req, a, err))
        return err->code;
    cd_handler fn = s->handlers[op];
    if (!fn)
        return cd_fail(err, CD_E_NotImplementedException,
                       "%s is not available yet in clouddir %s (the request was valid)", name,
                       CLOUDDIR_VERSION);
    cd_kv *kv = cd_store_kv(s);
    bool write = cd_op_writes(op);
    cd_store_lock(s);
    int rc = run_locked(s, kv, write, op, fn, req, a, resp, err);
    cd_store_unlock(s);
    return rc;
}

/* cd_call's transaction, under the environment's lock. */
static int run_locked(cd_store *s, cd_kv *kv, bool write, int op, cd_handler fn,
                      cd_value *req, cd_arena *a, cd_value **resp, cd_error *err)
{
    const char *name = cd_op_name(op);
    for (;;) {
        cd_ctx c = {.store = s, .opt = &s->opt, .a = a, .err = err, .op = op,
                    .now_ms = now_ms()};
        int rc = cd_kv_begin(kv, write, &c.txn, err);
        if (rc)
            return rc;
        if (write && s->opt.sync)
            cd_kv_fill_ahead(c.txn);
        rc = fn(&c, req, resp);
        if (rc == 0)
            rc = cd_kv_commit(c.txn, s->opt.sync, err);
        else
            cd_kv_abort(c.txn);
        if (rc == CD_E_MAP_FULL) {
            /* The map is full: grow it and run the whole call again. */
            cd_error_clear(err);
            if (cd_kv_grow(kv, 0, err))
                return err->code;
            *resp = NULL;
            continue;
        }
        if (rc) {
            *resp = NULL;
            if (err->code == CD_OK) /* a handler returned a code without a message */
                cd_fail(err, rc, "%s failed", name);
        }
        return rc;
    }
}

int cd_engine_dispatch(cd_ctx *c, int op, const cd_value *req, cd_value **resp)
{
    *resp = NULL;
    const char *name = cd_op_name(op);
    if (!name)
        return cd_fail(c->err, CD_E_ValidationException, "unknown operation #%d", op);
    cd_handler fn = c->store->handlers[op];
    if (!fn)
        return cd_fail(c->err, CD_E_NotImplementedException,
                       "%s is not available yet in clouddir %s (the request was valid)", name,
                       CLOUDDIR_VERSION);
    /* A read snapshot has a number; a write transaction has none. */
    if (cd_op_writes(op) && cd_kv_snapshot(c->txn) != 0)
        return cd_fail(c->err, CD_E_InternalServiceException,
                       "%s cannot run inside a read transaction", name);
    int outer = c->op;
    c->op = op;
    int rc = fn(c, req, resp);
    c->op = outer;
    if (rc && c->err->code == CD_OK)
        cd_fail(c->err, rc, "%s failed", name);
    return rc;
}

int cd_call_named(cd_store *s, const char *op, cd_value *req, cd_arena *a, cd_value **resp,
                  cd_error *err)
{
    int id = cd_op_lookup(op ? op : "");
    if (id < 0) {
        cd_error_clear(err);
        *resp = NULL;
        return cd_fail(err, CD_E_ValidationException, "'%s' is not an operation of the API",
                       op ? op : "");
    }
    return cd_call(s, id, req, a, resp, err);
}

/* ---------------------------------------------------------------- handler helpers */

int cd_page_size(const cd_ctx *c, const cd_value *req)
{
    int64_t n = cd_get_int(req, "MaxResults", 10);
    if (n < 1)
        n = 1;
    if (cd_aws_limits(c) && n > 30)
        n = 30;
    if (n > 1000000000)
        n = 1000000000;
    return (int)n;
}

int cd_oom(cd_ctx *c)
{
    return cd_fail(c->err, CD_E_InternalServiceException, "out of memory");
}

int cd_get_key(cd_ctx *c, const void *k, size_t kn, cd_slice *val)
{
    return cd_kv_get(c->txn, (cd_slice){k, kn}, val, c->err);
}

int cd_put_key(cd_ctx *c, const void *k, size_t kn, const void *v, size_t vn)
{
    return cd_kv_put(c->txn, (cd_slice){k, kn}, (cd_slice){v, vn}, false, c->err);
}

int cd_put_new_key(cd_ctx *c, const void *k, size_t kn, const void *v, size_t vn)
{
    return cd_kv_put_new(c->txn, (cd_slice){k, kn}, (cd_slice){v, vn}, c->err);
}

int cd_del_key(cd_ctx *c, const void *k, size_t kn)
{
    return cd_kv_del(c->txn, (cd_slice){k, kn}, c->err);
}

int cd_next_id(cd_ctx *c, const char *counter, uint64_t *out)
{
    unsigned char key[64];
    size_t n = strlen(counter);
    if (n + 2 > sizeof key)
        return cd_fail(c->err, CD_E_InternalServiceException, "counter name too long");
    key[0] = CDK_META;
    key[1] = '#';
    memcpy(key + 2, counter, n);
    cd_slice v;
    uint64_t x = 0;
    int rc = cd_get_key(c, key, n + 2, &v);
    if (rc == 0 && v.n == 8)
        x = cd_get_u64be(v.p);
    else if (rc != CD_KV_NOTFOUND && rc != 0)
        return rc;
    x++;
    unsigned char b[8];
    cd_put_u64be(b, x);
    rc = cd_put_key(c, key, n + 2, b, 8);
    if (rc)
        return rc;
    *out = x;
    return 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman & Vigna): fast, and its state belongs to the handle. */
static uint64_t next_random(uint64_t *st)
{
    uint64_t r = rotl(st[1] * 5, 7) * 9, t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 45);
    return r;
}

int cd_random(cd_ctx *c, void *p, size_t n)
{
    unsigned char *o = p;
    while (n) {
        uint64_t r = next_random(c->store->rng);
        size_t k = n < 8 ? n : 8;
        memcpy(o, &r, k);
        o += k;
        n -= k;
    }
    return 0;
}
