/* kv.h — the storage layer: an ordered key-value store with transactions.
 *
 * This interface is all the engine knows about storage.  kv.c implements it on LMDB and
 * is the only file that includes lmdb.h, so the engine could run on another ordered
 * transactional store (FoundationDB, TiKV) by replacing kv.c alone.
 *
 * Keys are byte strings ordered by memcmp, at most CD_KV_MAX_KEY bytes. */
#ifndef CD_KV_H
#define CD_KV_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "error.h"

#define CD_KV_MAX_KEY 511
#define CD_KV_NOTFOUND 1   /* returned by cd_kv_get / cursor moves: no such key */
#define CD_KV_EXISTS (-2)  /* returned by cd_kv_put_new: the key is there already */

typedef struct cd_kv cd_kv;         /* one environment (one store folder) */
typedef struct cd_txn cd_txn;       /* one transaction */
typedef struct cd_cursor cd_cursor; /* one ordered cursor inside a transaction */

typedef struct cd_slice { const void *p; size_t n; } cd_slice;

typedef struct cd_kv_options {
    size_t map_size;   /* initial map size in bytes; 0 = default */
} cd_kv_options;

/* "LMDB 0.9.24" — the storage engine's own version string. */
const char *cd_kv_version(void);

/* Opens (creating the folder if missing) the environment at path. */
int cd_kv_open(const char *path, const cd_kv_options *opt, cd_kv **out, cd_error *err);
void cd_kv_close(cd_kv *kv);
/* Forces everything committed so far onto disk. */
int cd_kv_sync(cd_kv *kv, cd_error *err);
/* Grows the map (double it, or to at least min_bytes).  Only when no transaction is open. */
int cd_kv_grow(cd_kv *kv, size_t min_bytes, cd_error *err);
/* Bytes of the data file in use, and the current map size. */
int cd_kv_stat(cd_kv *kv, size_t *used_bytes, size_t *map_bytes, cd_error *err);

/* sync: whether this commit must reach the disk before cd_kv_commit returns. */
int cd_kv_begin(cd_kv *kv, bool write, cd_txn **out, cd_error *err);
int cd_kv_commit(cd_txn *t, bool sync, cd_error *err);  /* frees t, even on failure */
void cd_kv_abort(cd_txn *t);                             /* frees t; NULL is fine */
/* Called on a write transaction that will commit durably, before it writes anything: makes
 * the data file's blocks just past the store's end written ones, so the commit's sync does
 * not also commit the filesystem's journal (kv.c says why).  Best effort; never fails. */
void cd_kv_fill_ahead(cd_txn *t);

/* Returns 0 and fills *val (valid until the transaction ends or the next write),
 * CD_KV_NOTFOUND, or an error code. */
int cd_kv_get(cd_txn *t, cd_slice key, cd_slice *val, cd_error *err);
/* The snapshot a read-only transaction sees (LMDB's transaction id): two read transactions
 * with the same snapshot see identical contents, in any process.  0 for a write transaction,
 * whose view is no committed snapshot. */
uint64_t cd_kv_snapshot(const cd_txn *t);
/* append: the caller promises key sorts after every existing key (bulk append fast path). */
int cd_kv_put(cd_txn *t, cd_slice key, cd_slice val, bool append, cd_error *err);
/* Puts key only when it is not there: 0, CD_KV_EXISTS (nothing written), or an error code.
 * One tree walk instead of a get and a put. */
int cd_kv_put_new(cd_txn *t, cd_slice key, cd_slice val, cd_error *err);
/* Returns 0, CD_KV_NOTFOUND, or an error code. */
int cd_kv_del(cd_txn *t, cd_slice key, cd_error *err);

int cd_kv_cursor(cd_txn *t, cd_cursor **out, cd_error *err);
void cd_cursor_close(cd_cursor *c);                       /* NULL is fine */
/* Positions at the first key >= key (0), or CD_KV_NOTFOUND when there is none. */
int cd_cursor_seek(cd_cursor *c, cd_slice key, cd_slice *k, cd_slice *v, cd_error *err);
int cd_cursor_next(cd_cursor *c, cd_slice *k, cd_slice *v, cd_error *err);
int cd_cursor_prev(cd_cursor *c, cd_slice *k, cd_slice *v, cd_error *err);
/* Positions at the last key (0) or CD_KV_NOTFOUND when the store is empty. */
int cd_cursor_last(cd_cursor *c, cd_slice *k, cd_slice *v, cd_error *err);
/* Deletes the key the cursor is on. */
int cd_cursor_del(cd_cursor *c, cd_error *err);

#endif
