/* store.h — the inside of a store handle, shared by store.c, engine.c and the handle's
 * caches (directory.c). */
#ifndef CD_STORE_H
#define CD_STORE_H

#include "catalog.h"

struct cd_env;

/* The directory the last data-plane read found, as of one snapshot (cd_kv_snapshot): valid
 * for a read transaction with that same snapshot only, since the store then holds exactly
 * what it held when the entry was filled.  Owned by the handle; strings live in buf. */
typedef struct cd_dir_cache {
    uint64_t snapshot;               /* 0: empty */
    cd_directory d;
    char *buf;
    size_t cap;
} cd_dir_cache;

/* The facets data-plane reads found (cd_facet_find), resolved, as of one snapshot, under the
 * same rule; every entry and string lives in the handle's arena `a`, emptied when the
 * snapshot changes. */
#define CD_FACET_CACHE_N 16
typedef struct cd_facet_cache {
    uint64_t snapshot;               /* 0: empty */
    cd_arena *a;                     /* NULL until first used */
    size_t n;
    struct {
        uint32_t dirnum;
        const char *schema_arn, *facet;   /* SchemaArn and FacetName as a request gave them */
        size_t schema_arn_len;
        const cd_facet *f;
    } e[CD_FACET_CACHE_N];
} cd_facet_cache;

/* What the items of one BatchWrite look up again and again: the directory (by the exact
 * DirectoryArn text) and the facets (keyed like cd_facet_cache; its snapshot is unused).
 * Valid for the whole call because no BatchWrite item changes the catalog (schemas, facets,
 * the directory record); single operations never get one, so control-plane writes cannot
 * see a stale entry.  Everything lives in the call's arena `a`, so it dies with the call. */
typedef struct cd_call_memo {
    const char *dir_arn;             /* NULL: no directory yet */
    cd_directory dir;
    cd_facet_cache facets;           /* facets.a = the call's arena */
    uint64_t next_oid;               /* the next object number, 0: not known (object.c) */
} cd_call_memo;

struct cd_store {
    struct cd_env *env;
    cd_options opt;
    char *region, *account;          /* owned copies behind opt.region / opt.account */
    uint64_t rng[4];                 /* xoshiro256** state: object-id tags, not secrets */
    cd_handler handlers[CD_OP__COUNT];
    cd_dir_cache dir_cache;
    cd_facet_cache facet_cache;
};

/* Fills s->handlers from the concept files' tables (engine.c). */
void cd_engine_bind(cd_store *s);
cd_kv *cd_store_kv(cd_store *s);
/* The environment's lock (store.c): held by a call while it uses the storage layer. */
void cd_store_lock(cd_store *s);
void cd_store_unlock(cd_store *s);
const unsigned char *cd_store_secret(cd_store *s);

#endif
