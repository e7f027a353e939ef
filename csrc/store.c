/* store.c — store handles: opening, sharing one environment, closing.
 *
 * A cd_store is a handle with its own options (sync, region, account, limits) on a shared
 * environment.  Handles on one folder in one process share the environment (LMDB must not
 * open an environment twice in a process); the environment closes with its last handle.
 *
 * Each environment has a lock that every call holds while it uses the storage layer
 * (cd_store_lock): calls normally come from one thread, but a pipeline (pipeline.c) runs
 * calls on a worker thread, and kv.c's per-environment state (the kept reader, the map
 * size) is not for two threads at once.  Uncontended, the lock costs a few nanoseconds.
 * Opening and closing handles stay with the thread that owns them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "store.h"
#include "keys.h"

typedef struct cd_env {
    cd_kv *kv;
    int handles;
    pthread_mutex_t lock;      /* held by each call while it uses kv (see above) */
    unsigned char secret[16];  /* keys page-token checksums; kept in the store */
} cd_env;

void cd_options_default(cd_options *o)
{
    o->sync = true;
    o->map_size = 0;
    o->region = "us-east-1";
    o->account = "123456789012";
    o->limits = CD_LIMITS_AWS;
}

static const unsigned char meta_secret_key[] = {CDK_META, 's', 'e', 'c', 'r', 'e', 't'};
static const unsigned char meta_format_key[] = {CDK_META, 'f', 'o', 'r', 'm', 'a', 't'};
#define STORE_FORMAT "clouddir-2"

/* Reads (or on first open creates) the store's metadata. */
static int load_meta(cd_env *e, cd_error *err)
{
    cd_txn *t;
    cd_slice v;
    int rc = cd_kv_begin(e->kv, true, &t, err);
    if (rc)
        return rc;
    rc = cd_kv_get(t, (cd_slice){meta_format_key, sizeof meta_format_key}, &v, err);
    if (rc == 0 && (v.n != strlen(STORE_FORMAT) || memcmp(v.p, STORE_FORMAT, v.n) != 0)) {
        cd_kv_abort(t);
        return cd_fail(err, CD_E_StoreError, "the store was written by another format (%.*s)",
                       (int)v.n, (const char *)v.p);
    }
    if (rc == CD_KV_NOTFOUND) {
        if (getrandom(e->secret, sizeof e->secret, 0) != (ssize_t)sizeof e->secret) {
            cd_kv_abort(t);
            return cd_fail(err, CD_E_StoreError, "no random bytes from the system");
        }
        rc = cd_kv_put(t, (cd_slice){meta_format_key, sizeof meta_format_key},
                       (cd_slice){STORE_FORMAT, strlen(STORE_FORMAT)}, false, err);
        if (rc == 0)
            rc = cd_kv_put(t, (cd_slice){meta_secret_key, sizeof meta_secret_key},
                           (cd_slice){e->secret, sizeof e->secret}, false, err);
        if (rc) {
            cd_kv_abort(t);
            return rc == CD_E_MAP_FULL ? cd_fail(err, CD_E_StoreError, "store map full") : rc;
        }
        return cd_kv_commit(t, true, err);
    }
    if (rc == 0)
        rc = cd_kv_get(t, (cd_slice){meta_secret_key, sizeof meta_secret_key}, &v, err);
    if (rc == 0 && v.n == sizeof e->secret)
        memcpy(e->secret, v.p, sizeof e->secret);
    else if (rc == 0 || rc == CD_KV_NOTFOUND)
        rc = cd_fail(err, CD_E_StoreError, "the store's metadata is damaged");
    cd_kv_abort(t);
    return rc;
}

static char *dup_or(const char *s, const char *fallback)
{
    return strdup(s && *s ? s : fallback);
}

static int new_handle(cd_env *e, const cd_options *o, cd_store **out, cd_error *err)
{
    cd_options def;
    cd_options_default(&def);
    if (!o)
        o = &def;
    cd_store *s = calloc(1, sizeof *s);
    if (!s)
        return cd_fail(err, CD_E_StoreError, "out of memory");
    s->env = e;
    s->opt = *o;
    s->region = dup_or(o->region, def.region);
    s->account = dup_or(o->account, def.account);
    s->opt.region = s->region;
    s->opt.account = s->account;
    if (!s->region || !s->account || getrandom(s->rng, sizeof s->rng, 0) != sizeof s->rng) {
        free(s->region);
        free(s->account);
        free(s);
        return cd_fail(err, CD_E_StoreError, "out of memory");
    }
    cd_engine_bind(s);
    e->handles++;
    *out = s;
    return 0;
}

int cd_open(const char *path, const cd_options *o, cd_store **out, cd_error *err)
{
    cd_error_clear(err);
    *out = NULL;
    if (!path || !*path)
        return cd_fail(err, CD_E_StoreError, "a store needs a folder path");
    cd_env *e = calloc(1, sizeof *e);
    if (!e)
        return cd_fail(err, CD_E_StoreError, "out of memory");
    if (pthread_mutex_init(&e->lock, NULL)) {
        free(e);
        return cd_fail(err, CD_E_StoreError, "no lock for the store");
    }
    cd_kv_options ko = {o ? o->map_size : 0};
    int rc = cd_kv_open(path, &ko, &e->kv, err);
    if (rc == 0)
        rc = load_meta(e, err);
    if (rc == 0)
        rc = new_handle(e, o, out, err);
    if (rc) {
        cd_kv_close(e->kv);
        pthread_mutex_destroy(&e->lock);
        free(e);
    }
    return rc;
}

int cd_open_shared(cd_store *s, const cd_options *o, cd_store **out, cd_error *err)
{
    cd_error_clear(err);
    *out = NULL;
    if (!s || !s->env)
        return cd_fail(err, CD_E_StoreError, "the store is closed");
    return new_handle(s->env, o, out, err);
}

void cd_close(cd_store *s)
{
    if (!s)
        return;
    cd_env *e = s->env;
    if (e && --e->handles == 0) {
        cd_kv_close(e->kv);
        pthread_mutex_destroy(&e->lock);
        free(e);
    }
    free(s->dir_cache.buf);
    cd_arena_free(s->facet_cache.a);
    free(s->region);
    free(s->account);
    free(s);
}

void cd_store_lock(cd_store *s) { pthread_mutex_lock(&s->env->lock); }
void cd_store_unlock(cd_store *s) { pthread_mutex_unlock(&s->env->lock); }

int cd_sync(cd_store *s, cd_error *err)
{
    cd_error_clear(err);
    cd_store_lock(s);
    int rc = cd_kv_sync(s->env->kv, err);
    cd_store_unlock(s);
    return rc;
}

const cd_options *cd_store_options(const cd_store *s) { return &s->opt; }

int cd_store_stat(cd_store *s, size_t *used_bytes, size_t *map_bytes, cd_error *err)
{
    cd_store_lock(s);
    int rc = cd_kv_stat(s->env->kv, used_bytes, map_bytes, err);
    cd_store_unlock(s);
    return rc;
}

cd_kv *cd_store_kv(cd_store *s) { return s->env->kv; }
const unsigned char *cd_store_secret(cd_store *s) { return s->env->secret; }
