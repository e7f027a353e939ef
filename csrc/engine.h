/* engine.h — what every operation handler sees.
 *
 * One C function per operation, grouped by concept in one file per concept (schema.c,
 * facet.c, directory.c, object.c, ...).  Each concept file exports a table of its handlers;
 * engine.c collects the tables.  A handler runs inside exactly one transaction that the
 * engine opened; it returns 0 or a cd_code (set through cd_fail(c->err, ...)), and on any
 * error the engine aborts the transaction, so a handler never has to undo anything. */
#ifndef CD_ENGINE_H
#define CD_ENGINE_H

#include "clouddir.h"
#include "kv.h"

typedef struct cd_ctx {
    cd_store *store;
    const cd_options *opt;   /* region, account, limits of the calling handle */
    cd_txn *txn;
    cd_arena *a;             /* everything a handler allocates goes here */
    cd_error *err;
    int op;
    int64_t now_ms;          /* wall clock at the start of the call */
    void *batch;             /* batch state (references) when running inside BatchWrite */
    struct cd_call_memo *memo; /* BatchWrite only: catalog lookups its items repeat (store.h) */
} cd_ctx;

typedef int (*cd_handler)(cd_ctx *c, const cd_value *req, cd_value **resp);

typedef struct cd_handler_entry {
    int op;                  /* CD_OP_... ; -1 ends a table */
    cd_handler fn;
} cd_handler_entry;

/* The handler tables, one per concept file. */
extern const cd_handler_entry cd_schema_handlers[];
extern const cd_handler_entry cd_facet_handlers[];
extern const cd_handler_entry cd_directory_handlers[];
extern const cd_handler_entry cd_tag_handlers[];
extern const cd_handler_entry cd_object_handlers[];
extern const cd_handler_entry cd_hierarchy_handlers[];
extern const cd_handler_entry cd_typedlink_handlers[];
extern const cd_handler_entry cd_index_handlers[];
extern const cd_handler_entry cd_policy_handlers[];
extern const cd_handler_entry cd_batch_handlers[];
extern const cd_handler_entry cd_schema_json_handlers[];
extern const cd_handler_entry cd_managed_handlers[];
extern const cd_handler_entry cd_upgrade_handlers[];

/* Runs operation op's handler inside the caller's transaction (BatchWrite and BatchRead run
 * their items through it): NotImplementedException when op has no handler yet.  The request
 * must already be shape-checked; c->op names op while it runs. */
int cd_engine_dispatch(cd_ctx *c, int op, const cd_value *req, cd_value **resp);

/* ---- helpers every handler uses ---- */
static inline bool cd_aws_limits(const cd_ctx *c) { return c->opt->limits == CD_LIMITS_AWS; }
/* Page size from a request's MaxResults: default 10; clamped to 30 under limits = "aws". */
int cd_page_size(const cd_ctx *c, const cd_value *req);
/* Out of memory while building a response or record. */
int cd_oom(cd_ctx *c);

/* Key-value shorthands bound to the call's transaction. */
int cd_get_key(cd_ctx *c, const void *k, size_t kn, cd_slice *val);  /* 0 / CD_KV_NOTFOUND / err */
int cd_put_key(cd_ctx *c, const void *k, size_t kn, const void *v, size_t vn);
int cd_put_new_key(cd_ctx *c, const void *k, size_t kn, const void *v, size_t vn); /* 0 / CD_KV_EXISTS / err */
int cd_del_key(cd_ctx *c, const void *k, size_t kn);                  /* 0 / CD_KV_NOTFOUND / err */
/* Next value of a named 64-bit counter stored in the store (starts at 1). */
int cd_next_id(cd_ctx *c, const char *counter, uint64_t *out);
/* n unpredictable-looking bytes from the handle's generator (seeded by the OS; ids, not secrets). */
int cd_random(cd_ctx *c, void *p, size_t n);

#endif
