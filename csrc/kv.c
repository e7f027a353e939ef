/* kv.c — the storage layer on LMDB.  The only file that includes lmdb.h.
 *
 * One store folder is one LMDB environment with one unnamed database; the engine gives
 * every concept its own key prefix.  Choices made here:
 *  - MDB_WRITEMAP: commits write into the shared map instead of copying pages through
 *    write(2); with sync off a commit is then only memory traffic.
 *  - MDB_NORDAHEAD: without it the kernel reads (and msync later writes back) the map in
 *    large chunks, so one durable commit on a big store wrote megabytes; with it a commit
 *    writes only the pages it dirtied (measured: 5.5 MiB -> 74 KiB per CreateObject).
 *  - MDB_NOSYNC is switched per commit, so handles with different `sync` options can
 *    share one environment.
 *  - One read transaction is kept and renewed (mdb_txn_reset/renew), so a read call does
 *    not pay for a reader-slot lookup.
 *  - When a write finds the map full the caller aborts, grows the map and retries
 *    (CD_E_MAP_FULL); when another process grew it, the next begin adopts the new size.
 *  - With MDB_WRITEMAP, LMDB sets the data file's length to the map size whenever it maps
 *    (open, mdb_env_set_mapsize), shrinking it too.  A process that mapped the file with a
 *    smaller size than another one (a default-size open after another process grew the
 *    map, or the stale size of an older meta page) would cut the file under the other's
 *    map, which then dies of SIGBUS on its next new page.  So every (re)mapping here takes
 *    a size of at least the file's current length, under an flock on data.mdb that makes
 *    the look at the length and LMDB's truncate one step: the file never shrinks.
 *  - Durable writes fill the file with zeros a little ahead of the store's end (see
 *    cd_kv_fill_ahead). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lmdb.h>
#include "kv.h"

#define DEFAULT_MAP_SIZE ((size_t)64 << 20)

struct cd_kv {
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *idle_reader;  /* reset read transaction kept for reuse, or NULL */
    int open_txns;         /* transactions of this environment open in this process */
    size_t page_size;
    size_t filled_to;      /* the data file holds written blocks up to here (cd_kv_fill_ahead) */
    char *path;
};

/* A transaction keeps a few cursors for its gets and puts.  mdb_get and mdb_put start at the
 * root every time; a cursor that already sits on the leaf where the key is (or goes, or at
 * the very end of the tree) finds it without the descent.  A call reads and writes runs of
 * nearby keys in a few places at once (an object's record and values, the parent's child
 * links, the new objects at the end of the tree), so each get or put takes the cursor whose
 * last key shares the longest prefix with its key.  In a write transaction they are LMDB's
 * tracked cursors: inserts and deletes elsewhere keep them valid.  They are closed before
 * the transaction ends or is reset. */
#define NEAR_CURSORS 4
#define NEAR_KEY_MEMO 24   /* bytes of each cursor's last key kept to choose by */

struct cd_txn {
    cd_kv *kv;
    MDB_txn *txn;
    bool write;
    unsigned near_clock;
    struct {
        MDB_cursor *cur;   /* NULL: not opened yet */
        unsigned used;     /* near_clock of its last use: the least recent is replaced */
        size_t n;
        unsigned char key[NEAR_KEY_MEMO];
    } near[NEAR_CURSORS];
};

struct cd_cursor {
    MDB_cursor *cur;
};

const char *cd_kv_version(void)
{
    return MDB_VERSION_STRING;
}

static int store_error(cd_error *err, int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        return err ? (err->code = CD_E_MAP_FULL) : CD_E_MAP_FULL;
    return cd_fail(err, CD_E_StoreError, "store %s failed: %s", what, mdb_strerror(rc));
}

static int make_folder(const char *path, cd_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return cd_fail(err, CD_E_StoreError, "cannot open store '%s': not a folder", path);
        return 0;
    }
    if (errno != ENOENT || mkdir(path, 0775) != 0)
        return cd_fail(err, CD_E_StoreError, "cannot open store '%s': %s", path, strerror(errno));
    return 0;
}

/* Locks the data file's length against other processes' (re)mapping (see the head of the
 * file); creates data.mdb when missing (LMDB takes an empty file for a new one).  Returns
 * the descriptor to pass to map_unlock, or -1 (then the caller goes on without the lock:
 * it only closes a race between two processes remapping at the same moment). */
static int map_lock(const char *folder, size_t *file_bytes)
{
    char name[PATH_MAX];
    struct stat st;
    *file_bytes = 0;
    if ((size_t)snprintf(name, sizeof name, "%s/data.mdb", folder) >= sizeof name)
        return -1;
    int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        *file_bytes = (size_t)st.st_size;
    return fd;
}

/* Reserves disk blocks for the whole map.  With MDB_WRITEMAP, LMDB writes pages through the
 * map, and a page the filesystem cannot back (a full disk) kills the process with SIGBUS
 * instead of failing the call; reserving up front turns a full disk into a clean error
 * when the store opens or grows.  Filesystems without fallocate are left as they are. */
static int reserve(int fd, size_t bytes, const char *path, cd_error *err)
{
    if (fd < 0)
        return 0;
    int rc = posix_fallocate(fd, 0, (off_t)bytes);
    if (rc == 0 || rc == EOPNOTSUPP || rc == EINVAL)
        return 0;
    return cd_fail(err, CD_E_StoreError, "store '%s' cannot grow to %zu KiB: %s", path,
                   bytes >> 10, strerror(rc));
}

static void map_unlock(int fd)
{
    if (fd >= 0)
        close(fd);   /* releases the flock (LMDB's own locks are on lock.mdb) */
}

int cd_kv_open(const char *path, const cd_kv_options *opt, cd_kv **out, cd_error *err)
{
    *out = NULL;
    if (make_folder(path, err))
        return err->code;
    cd_kv *kv = calloc(1, sizeof *kv);
    if (!kv || !(kv->path = strdup(path))) {
        free(kv);
        return cd_fail(err, CD_E_StoreError, "out of memory opening store '%s'", path);
    }
    size_t file_bytes;
    int lock = map_lock(path, &file_bytes);
    size_t map = opt && opt->map_size ? opt->map_size : DEFAULT_MAP_SIZE;
    if (map < file_bytes)
        map = file_bytes;
    int rc = mdb_env_create(&kv->env);
    if (rc == 0)
        rc = mdb_env_set_mapsize(kv->env, map);
    if (rc == 0)
        rc = mdb_env_set_maxreaders(kv->env, 254);
    if (rc == 0)
        rc = mdb_env_open(kv->env, path, MDB_WRITEMAP | MDB_NOSYNC | MDB_NORDAHEAD, 0664);
    if (rc == 0) {
        /* Adopt a larger map a previous session left behind. */
        MDB_envinfo info;
        mdb_env_info(kv->env, &info);
        if (info.me_mapsize < map)
            rc = mdb_env_set_mapsize(kv->env, map);
    }
    /* After mdb_env_open: LMDB only initialises an empty file as a new store.  An existing
     * store that cannot get a bigger map opens with the one its file already has. */
    if (rc == 0 && map > file_bytes && file_bytes > 0 && reserve(lock, map, path, NULL)) {
        map = file_bytes;
        rc = mdb_env_set_mapsize(kv->env, map);
    }
    if (rc == 0 && reserve(lock, map, path, err)) {
        map_unlock(lock);
        mdb_env_close(kv->env);
        free(kv->path);
        free(kv);
        return err->code;
    }
    map_unlock(lock);
    MDB_txn *t = NULL;
    if (rc == 0)
        rc = mdb_txn_begin(kv->env, NULL, 0, &t);
    if (rc == 0)
        rc = mdb_dbi_open(t, NULL, 0, &kv->dbi);
    if (rc == 0) {
        MDB_stat st;
        rc = mdb_env_stat(kv->env, &st);
        kv->page_size = st.ms_psize;
    }
    if (rc == 0) {
        rc = mdb_txn_commit(t);
        t = NULL;
    }
    if (rc != 0) {
        if (t)
            mdb_txn_abort(t);
        cd_fail(err, CD_E_StoreError, "cannot open store '%s': %s", path,
                rc == ENOENT || rc == EACCES ? strerror(rc) : mdb_strerror(rc));
        if (kv->env)
            mdb_env_close(kv->env);
        free(kv->path);
        free(kv);
        return err->code;
    }
    *out = kv;
    return 0;
}

void cd_kv_close(cd_kv *kv)
{
    if (!kv)
        return;
    if (kv->idle_reader)
        mdb_txn_abort(kv->idle_reader);
    mdb_env_close(kv->env);
    free(kv->path);
    free(kv);
}

int cd_kv_sync(cd_kv *kv, cd_error *err)
{
    int rc = mdb_env_sync(kv->env, 1);
    return rc ? store_error(err, rc, "sync") : 0;
}

int cd_kv_grow(cd_kv *kv, size_t min_bytes, cd_error *err)
{
    MDB_envinfo info;
    if (kv->open_txns > 0)
        return cd_fail(err, CD_E_StoreError, "cannot grow the store while a transaction is open");
    size_t file_bytes;
    int lock = map_lock(kv->path, &file_bytes);
    mdb_env_info(kv->env, &info);
    size_t size = info.me_mapsize;
    size = size < ((size_t)1 << 30) ? size * 2 : size + ((size_t)1 << 30);
    if (size < min_bytes)
        size = min_bytes;
    if (size < file_bytes)
        size = file_bytes;
    if (reserve(lock, size, kv->path, err)) {
        map_unlock(lock);
        return err->code;
    }
    if (kv->idle_reader) {
        mdb_txn_abort(kv->idle_reader);
        kv->idle_reader = NULL;
    }
    int rc = mdb_env_set_mapsize(kv->env, size);
    map_unlock(lock);
    return rc ? store_error(err, rc, "growing the map") : 0;
}

int cd_kv_stat(cd_kv *kv, size_t *used_bytes, size_t *map_bytes, cd_error *err)
{
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(kv->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(kv->env, &st);
    if (rc)
        return store_error(err, rc, "stat");
    *used_bytes = (size_t)(info.me_last_pgno + 1) * st.ms_psize;
    *map_bytes = info.me_mapsize;
    return 0;
}

int cd_kv_begin(cd_kv *kv, bool write, cd_txn **out, cd_error *err)
{
    cd_txn *t = malloc(sizeof *t);
    if (!t)
        return cd_fail(err, CD_E_StoreError, "out of memory");
    t->kv = kv;
    t->write = write;
    t->txn = NULL;
    t->near_clock = 0;
    memset(t->near, 0, sizeof t->near);
    int rc;
    for (int attempt = 0;; attempt++) {
        if (!write && kv->idle_reader) {
            t->txn = kv->idle_reader;
            kv->idle_reader = NULL;
            rc = mdb_txn_renew(t->txn);
            if (rc) {
                mdb_txn_abort(t->txn);
                t->txn = NULL;
            }
        } else
            rc = mdb_txn_begin(kv->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (rc == MDB_MAP_RESIZED && attempt == 0 && kv->open_txns == 0) {
            /* Another process grew the map: adopt its size (the file's length, which is
             * the largest map in use; the meta page may still hold an older, smaller size)
             * and try again. */
            size_t file_bytes;
            int lock = map_lock(kv->path, &file_bytes);
            mdb_env_set_mapsize(kv->env, file_bytes);
            map_unlock(lock);
            continue;
        }
        break;
    }
    if (rc) {
        free(t);
        return store_error(err, rc, write ? "write transaction" : "read transaction");
    }
    kv->open_txns++;
    *out = t;
    return 0;
}

/* Why durable writes fill ahead.  The map's file is reserved with fallocate, which leaves
 * unwritten extents.  The first write into one changes the filesystem's extent tree, so the
 * fdatasync of the commit that wrote it must also commit the filesystem's journal: a durable
 * commit that adds pages at the end of the store (every commit that creates objects) paid
 * for a journal commit as well (measured on ext4: a durable 20-object BatchWrite took
 * 0.9-1.1 ms over unwritten blocks, 0.64 ms over written ones).  So before a durable write
 * transaction writes anything, the blocks just past the last used page are overwritten with
 * zeros, some way ahead, and the journal is committed once per stretch instead of once per
 * commit.  It only touches pages past the last committed one, under LMDB's write lock and
 * before this transaction has dirtied a page: no snapshot and no writer can be using them.
 * Stretches already written (by an earlier process, say) are skipped: the filesystem
 * reports unwritten extents as holes.  Best effort: a failure leaves things as they were. */
#define FILL_AHEAD_MIN ((size_t)256 << 10)
#define FILL_AHEAD_MAX ((size_t)8 << 20)

/* Writes zeros over [from, to) of fd, 4 KiB per call.  A larger write lets the page cache
 * keep the range as one large folio, and a page LMDB later changes through the map then
 * dirties the whole folio: each durable commit wrote 1 MiB instead of its own pages. */
static bool write_zeros(int fd, size_t from, size_t to)
{
    static const unsigned char zeros[4096];
    while (from < to) {
        size_t n = to - from < sizeof zeros ? to - from : sizeof zeros;
        ssize_t w = pwrite(fd, zeros, n, (off_t)from);
        if (w <= 0)
            return false;
        from += (size_t)w;
    }
    return true;
}

void cd_kv_fill_ahead(cd_txn *t)
{
    cd_kv *kv = t->kv;
    MDB_envinfo info;
    int fd;
    if (!t->write || mdb_env_info(kv->env, &info) || mdb_env_get_fd(kv->env, &fd))
        return;
    size_t used = (size_t)(info.me_last_pgno + 1) * kv->page_size;
    size_t ahead = used / 16;
    ahead = ahead < FILL_AHEAD_MIN ? FILL_AHEAD_MIN : ahead > FILL_AHEAD_MAX ? FILL_AHEAD_MAX : ahead;
    if (kv->filled_to >= used + ahead / 2)
        return;
    size_t start = kv->filled_to > used ? kv->filled_to : used;
    size_t to = used + ahead < info.me_mapsize ? used + ahead : info.me_mapsize;
    for (size_t from = start; from < to;) {
        off_t hole = lseek(fd, (off_t)from, SEEK_HOLE);
        if (hole < 0 || (size_t)hole >= to)
            break;
        off_t data = lseek(fd, hole, SEEK_DATA);
        size_t end = data < 0 || (size_t)data > to ? to : (size_t)data;
        if (end <= (size_t)hole || !write_zeros(fd, (size_t)hole, end))
            return;
        from = end;
    }
    /* Start writing the zeros back now: LMDB syncs the whole map, so otherwise the next
     * durable commit would write the stretch itself before it could return. */
    if (to > start)
        sync_file_range(fd, (off_t)start, (off_t)(to - start), SYNC_FILE_RANGE_WRITE);
    kv->filled_to = to;
}

/* Closes the near cursors (before the transaction ends or is reset). */
static void close_near_cursors(cd_txn *t)
{
    for (int i = 0; i < NEAR_CURSORS; i++)
        if (t->near[i].cur) {
            mdb_cursor_close(t->near[i].cur);
            t->near[i].cur = NULL;
        }
}

static void txn_done(cd_txn *t)
{
    t->kv->open_txns--;
    free(t);
}

int cd_kv_commit(cd_txn *t, bool sync, cd_error *err)
{
    cd_kv *kv = t->kv;
    int rc = 0;
    if (!t->write) {
        close_near_cursors(t);
        mdb_txn_reset(t->txn);
        if (kv->idle_reader)
            mdb_txn_abort(t->txn);
        else
            kv->idle_reader = t->txn;
        txn_done(t);
        return 0;
    }
    close_near_cursors(t);
    mdb_env_set_flags(kv->env, MDB_NOSYNC, sync ? 0 : 1);
    rc = mdb_txn_commit(t->txn);
    txn_done(t);
    if (rc)
        return store_error(err, rc, "commit");
    return 0;
}

void cd_kv_abort(cd_txn *t)
{
    if (!t)
        return;
    close_near_cursors(t);
    if (!t->write && !t->kv->idle_reader) {
        mdb_txn_reset(t->txn);
        t->kv->idle_reader = t->txn;
    } else
        mdb_txn_abort(t->txn);
    txn_done(t);
}

uint64_t cd_kv_snapshot(const cd_txn *t)
{
    return t->write ? 0 : (uint64_t)mdb_txn_id(t->txn);
}

static int check_key(cd_slice key, cd_error *err)
{
    if (key.n == 0 || key.n > CD_KV_MAX_KEY)
        return cd_fail(err, CD_E_InternalServiceException, "store key of %zu bytes is out of range",
                       key.n);
    return 0;
}

static MDB_cursor *near_cursor(cd_txn *t, cd_slice key);

int cd_kv_get(cd_txn *t, cd_slice key, cd_slice *val, cd_error *err)
{
    if (check_key(key, err))
        return err->code;
    MDB_val k = {key.n, (void *)key.p}, v;
    MDB_cursor *c = near_cursor(t, key);
    int rc = c ? mdb_cursor_get(c, &k, &v, MDB_SET) : mdb_get(t->txn, t->kv->dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return CD_KV_NOTFOUND;
    if (rc)
        return store_error(err, rc, "read");
    val->p = v.mv_data;
    val->n = v.mv_size;
    return 0;
}

/* The cursor for a get or put of key (see struct cd_txn), or NULL to use mdb_get/mdb_put. */
static MDB_cursor *near_cursor(cd_txn *t, cd_slice key)
{
    const unsigned char *kp = key.p;
    int best = -1, oldest = 0;
    size_t best_len = 0;
    for (int i = 0; i < NEAR_CURSORS; i++) {
        if (!t->near[i].cur) {
            oldest = i;
            break;
        }
        size_t m = key.n < t->near[i].n ? key.n : t->near[i].n, l = 0;
        while (l < m && kp[l] == t->near[i].key[l])
            l++;
        if (l > best_len) {
            best = i;
            best_len = l;
        }
        if (t->near[i].used < t->near[oldest].used)
            oldest = i;
    }
    /* Sharing the prefix byte only is no sign of being near: take a cursor of its own. */
    int i = best >= 0 && best_len >= 2 ? best : oldest;
    if (!t->near[i].cur && mdb_cursor_open(t->txn, t->kv->dbi, &t->near[i].cur))
        return t->near[i].cur = NULL, NULL;
    t->near[i].used = ++t->near_clock;
    t->near[i].n = key.n < NEAR_KEY_MEMO ? key.n : NEAR_KEY_MEMO;
    memcpy(t->near[i].key, key.p, t->near[i].n);
    return t->near[i].cur;
}

int cd_kv_put(cd_txn *t, cd_slice key, cd_slice val, bool append, cd_error *err)
{
    if (check_key(key, err))
        return err->code;
    MDB_val k = {key.n, (void *)key.p}, v = {val.n, (void *)val.p};
    MDB_cursor *c = near_cursor(t, key);
    unsigned flags = append ? MDB_APPEND : 0;
    int rc = c ? mdb_cursor_put(c, &k, &v, flags) : mdb_put(t->txn, t->kv->dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST && append) /* not really an append: fall back to an insert */
        rc = c ? mdb_cursor_put(c, &k, &v, 0) : mdb_put(t->txn, t->kv->dbi, &k, &v, 0);
    return rc ? store_error(err, rc, "write") : 0;
}

int cd_kv_put_new(cd_txn *t, cd_slice key, cd_slice val, cd_error *err)
{
    if (check_key(key, err))
        return err->code;
    MDB_val k = {key.n, (void *)key.p}, v = {val.n, (void *)val.p};
    MDB_cursor *c = near_cursor(t, key);
    int rc = c ? mdb_cursor_put(c, &k, &v, MDB_NOOVERWRITE)
               : mdb_put(t->txn, t->kv->dbi, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        return CD_KV_EXISTS;
    return rc ? store_error(err, rc, "write") : 0;
}

int cd_kv_del(cd_txn *t, cd_slice key, cd_error *err)
{
    if (check_key(key, err))
        return err->code;
    MDB_val k = {key.n, (void *)key.p};
    int rc = mdb_del(t->txn, t->kv->dbi, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return CD_KV_NOTFOUND;
    return rc ? store_error(err, rc, "delete") : 0;
}

int cd_kv_cursor(cd_txn *t, cd_cursor **out, cd_error *err)
{
    cd_cursor *c = malloc(sizeof *c);
    if (!c)
        return cd_fail(err, CD_E_StoreError, "out of memory");
    int rc = mdb_cursor_open(t->txn, t->kv->dbi, &c->cur);
    if (rc) {
        free(c);
        return store_error(err, rc, "cursor");
    }
    *out = c;
    return 0;
}

void cd_cursor_close(cd_cursor *c)
{
    if (!c)
        return;
    mdb_cursor_close(c->cur);
    free(c);
}

static int move(cd_cursor *c, MDB_val *k, MDB_cursor_op op, cd_slice *ko, cd_slice *vo,
                cd_error *err)
{
    MDB_val v;
    int rc = mdb_cursor_get(c->cur, k, &v, op);
    if (rc == MDB_NOTFOUND)
        return CD_KV_NOTFOUND;
    if (rc)
        return store_error(err, rc, "cursor move");
    if (ko) {
        ko->p = k->mv_data;
        ko->n = k->mv_size;
    }
    if (vo) {
        vo->p = v.mv_data;
        vo->n = v.mv_size;
    }
    return 0;
}

int cd_cursor_seek(cd_cursor *c, cd_slice key, cd_slice *k, cd_slice *v, cd_error *err)
{
    if (check_key(key, err))
        return err->code;
    MDB_val mk = {key.n, (void *)key.p};
    return move(c, &mk, MDB_SET_RANGE, k, v, err);
}

int cd_cursor_next(cd_cursor *c, cd_slice *k, cd_slice *v, cd_error *err)
{
    MDB_val mk;
    return move(c, &mk, MDB_NEXT, k, v, err);
}

int cd_cursor_prev(cd_cursor *c, cd_slice *k, cd_slice *v, cd_error *err)
{
    MDB_val mk;
    return move(c, &mk, MDB_PREV, k, v, err);
}

int cd_cursor_last(cd_cursor *c, cd_slice *k, cd_slice *v, cd_error *err)
{
    MDB_val mk;
    return move(c, &mk, MDB_LAST, k, v, err);
}

int cd_cursor_del(cd_cursor *c, cd_error *err)
{
    int rc = mdb_cursor_del(c->cur, 0);
    return rc ? store_error(err, rc, "delete") : 0;
}
