/* kv_test.c — the storage layer's own behaviour (csrc/kv.h) that the API cannot show:
 * durable writes filling the data file ahead of the store's end (cd_kv_fill_ahead).
 *
 * The fill writes zeros into the file past the last used page, so what matters most is
 * that it never touches a page in use: a random workload of durable and unsynced commits,
 * aborted transactions and map growth is checked against a model after every step and
 * again after reopening.  Two guards keep the fill off live pages (it starts at the end of
 * the last committed page, and it only writes where the filesystem reports a hole); the
 * workload checks them together.  The fill itself is seen through lseek(SEEK_HOLE):
 * filesystems that report unwritten blocks as holes (ext4, xfs, tmpfs) show the filled
 * stretch as data; elsewhere those checks are skipped.  Output is TAP. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clouddir.h"
#include "kv.h"

#include "tap.h"

#define KEYS 4000
#define STEPS 400

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rnd(void) { return tap_xorshift(&rng_state); }

static char folder[] = "/tmp/clouddir-kv-test.XXXXXX";

static void key_of(unsigned k, unsigned char key[6])
{
    key[0] = 'K';
    key[1] = (unsigned char)(k >> 8);
    key[2] = (unsigned char)k;
    key[3] = key[4] = key[5] = 'k';
}

/* Value of key k at version v: long enough that pages split and the store grows. */
static size_t value_of(unsigned k, unsigned v, unsigned char *buf)
{
    size_t n = 200 + (k * 131u + v * 17u) % 1800u;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(k * 7u + v * 13u + i);
    return n;
}

static cd_kv *open_kv(size_t map)
{
    cd_kv *kv;
    cd_error err = {0};
    cd_kv_options o = {map};
    if (cd_kv_open(folder, &o, &kv, &err)) {
        printf("# open: %s\n", err.message);
        exit(1);
    }
    return kv;
}

static int data_fd(void)
{
    char path[sizeof folder + 16];
    snprintf(path, sizeof path, "%s/data.mdb", folder);
    return open(path, O_RDONLY);
}

/* Every key holds the value of its model version (0 = absent). */
static bool matches_model(cd_kv *kv, const unsigned *version)
{
    cd_txn *t;
    cd_error err = {0};
    static unsigned char want[2048];
    if (cd_kv_begin(kv, false, &t, &err))
        return false;
    bool ok = true;
    for (unsigned k = 0; k < KEYS && ok; k++) {
        unsigned char key[6];
        key_of(k, key);
        cd_slice v;
        int rc = cd_kv_get(t, (cd_slice){key, sizeof key}, &v, &err);
        if (version[k] == 0)
            ok = rc == CD_KV_NOTFOUND;
        else {
            size_t n = value_of(k, version[k], want);
            ok = rc == 0 && v.n == n && memcmp(v.p, want, n) == 0;
        }
        if (!ok)
            printf("# key %u (version %u): rc %d\n", k, version[k], rc);
    }
    cd_kv_abort(t);
    return ok;
}

/* Where the first hole past `from` is in the store's data file; -1 when it cannot tell. */
static off_t first_hole(size_t from)
{
    int fd = data_fd();
    off_t hole = fd < 0 ? -1 : lseek(fd, (off_t)from, SEEK_HOLE);
    if (fd >= 0)
        close(fd);
    return hole;
}

static size_t used_bytes(cd_kv *kv)
{
    cd_error err = {0};
    size_t used = 0, map;
    cd_kv_stat(kv, &used, &map, &err);
    return used;
}

static void test_fill_reaches_ahead(void)
{
    cd_kv *kv = open_kv(16u << 20);
    cd_error err = {0};
    size_t used = used_bytes(kv);
    if (first_hole(used) != (off_t)used) {
        check(true, "# SKIP the filesystem shows no hole past the store's end");
        cd_kv_close(kv);
        return;
    }
    /* A freshly opened environment has filled nothing yet: a read transaction must not. */
    cd_txn *t;
    if (cd_kv_begin(kv, false, &t, &err) == 0) {
        cd_kv_fill_ahead(t);
        cd_kv_abort(t);
    }
    check(first_hole(used) == (off_t)used, "a read transaction fills nothing");

    static unsigned char buf[2048];
    unsigned char key[6];
    key_of(1, key);
    size_t n = value_of(1, 1, buf);
    bool ok = cd_kv_begin(kv, true, &t, &err) == 0;
    if (ok) {
        cd_kv_fill_ahead(t);
        ok = cd_kv_put(t, (cd_slice){key, sizeof key}, (cd_slice){buf, n}, false, &err) == 0 &&
             cd_kv_commit(t, true, &err) == 0;
    }
    check(ok, "a durable transaction that filled ahead commits");
    off_t hole = first_hole(used);
    check(hole >= (off_t)(used + (256u << 10)),
          "the file is written at least 256 KiB past the old end (first hole at +%lld)",
          (long long)(hole - (off_t)used));
    struct stat st;
    char path[sizeof folder + 16];
    snprintf(path, sizeof path, "%s/data.mdb", folder);
    size_t map, u;
    cd_kv_stat(kv, &u, &map, &err);
    bool have = stat(path, &st) == 0;
    check(have && (size_t)st.st_size == map, "the file keeps the map's length (%lld of %zu)",
          have ? (long long)st.st_size : -1LL, map);
    cd_kv_close(kv);
}

/* The engine fills for the calls of a handle with sync = true, and only for those. */
static void test_engine_fills_for_durable_calls(void)
{
    for (int durable = 0; durable <= 1; durable++) {
        cd_options o;
        cd_options_default(&o);
        o.sync = durable;
        cd_store *s;
        cd_error err = {0};
        if (cd_open(folder, &o, &s, &err)) {
            check(false, "open: %s", err.message);
            return;
        }
        size_t used, map;
        cd_store_stat(s, &used, &map, &err);
        if (first_hole(used) != (off_t)used) {
            check(true, "# SKIP the filesystem shows no hole past the store's end");
            cd_close(s);
            return;
        }
        cd_arena *a = cd_arena_new();
        cd_value *req = cd_map(a), *resp;
        cd_map_set(a, req, "Name", cd_strz(a, durable ? "durable" : "unsynced"));
        bool ok = cd_call_named(s, "CreateSchema", req, a, &resp, &err) == 0;
        off_t hole = first_hole(used);
        if (durable)
            check(ok && hole >= (off_t)(used + (256u << 10)),
                  "a call on a sync = true handle fills ahead (first hole at +%lld)",
                  (long long)(hole - (off_t)used));
        else
            check(ok && hole < (off_t)(used + (64u << 10)),
                  "a call on a sync = false handle does not fill (first hole at +%lld)",
                  (long long)(hole - (off_t)used));
        cd_arena_free(a);
        cd_close(s);
    }
}

/* Durable commits with the fill, unsynced ones, aborts after the fill and map growth: every
 * step leaves exactly the model's contents. */
static void test_fill_never_touches_data(void)
{
    cd_kv *kv = open_kv(1u << 20);   /* small: the workload grows the map several times */
    cd_error err = {0};
    static unsigned version[KEYS], pending[KEYS];
    static unsigned char buf[2048];
    unsigned grows = 0, fills = 0, aborts = 0, next_key = 0;
    bool all_ok = true;

    for (unsigned step = 1; step <= STEPS && all_ok; step++) {
        memcpy(pending, version, sizeof version);
        cd_txn *t;
        if (cd_kv_begin(kv, true, &t, &err)) {
            all_ok = false;
            break;
        }
        bool durable = rnd() % 2, abort_it = rnd() % 7 == 0;
        if (durable) {
            cd_kv_fill_ahead(t);
            fills++;
        }
        int rc = 0;
        for (unsigned i = 0, ops = 1 + (unsigned)(rnd() % 12); i < ops && rc == 0; i++) {
            /* mostly new keys at the end, where the last used pages are live ones */
            unsigned k = rnd() % 3 && next_key < KEYS ? next_key++ : (unsigned)(rnd() % KEYS);
            unsigned char key[6];
            key_of(k, key);
            if (rnd() % 5 == 0 && pending[k]) {
                rc = cd_kv_del(t, (cd_slice){key, sizeof key}, &err);
                pending[k] = 0;
            } else {
                size_t n = value_of(k, step, buf);
                rc = cd_kv_put(t, (cd_slice){key, sizeof key}, (cd_slice){buf, n}, false, &err);
                pending[k] = step;
            }
        }
        if (rc == 0 && abort_it) {
            cd_kv_abort(t);
            aborts++;
        } else if (rc == 0) {
            rc = cd_kv_commit(t, durable, &err);
            if (rc == 0)
                memcpy(version, pending, sizeof version);
        } else
            cd_kv_abort(t);
        if (rc == CD_E_MAP_FULL) {
            err = (cd_error){0};
            if (cd_kv_grow(kv, 0, &err)) {
                all_ok = false;
                break;
            }
            grows++;
            step--;      /* the same step again, in the bigger map */
            continue;
        }
        if (rc) {
            printf("# step %u: %s\n", step, err.message);
            all_ok = false;
            break;
        }
        if (step % 20 == 0 || durable)
            all_ok = matches_model(kv, version);
    }
    check(all_ok && grows > 0 && fills > 0 && aborts > 0,
          "%d steps of durable (filling) and unsynced commits, aborts and %u map growths "
          "leave exactly the model's contents", STEPS, grows);
    cd_kv_close(kv);
    kv = open_kv(0);
    check(matches_model(kv, version), "after reopening the store holds the model's contents");
    cd_kv_close(kv);
}

static void remove_store(void)
{
    char path[sizeof folder + 16];
    snprintf(path, sizeof path, "%s/data.mdb", folder);
    remove(path);
    snprintf(path, sizeof path, "%s/lock.mdb", folder);
    remove(path);
}

int main(void)
{
    if (!mkdtemp(folder)) {
        perror("mkdtemp");
        return 1;
    }
    test_fill_reaches_ahead();
    remove_store();
    test_engine_fills_for_durable_calls();
    remove_store();
    test_fill_never_touches_data();
    remove_store();
    rmdir(folder);
    return tap_done();
}
