/* raw_lmdb.c — the floor: what LMDB itself costs on this machine, measured in the same run
 * as clouddir so the ratios compare like with like.
 *
 * The benchmark is the only code besides csrc/kv.c that includes lmdb.h: it has to reach
 * under the engine to measure the store on its own.  The environment is opened exactly as
 * kv.c opens it (MDB_WRITEMAP | MDB_NOSYNC, NOSYNC switched off for a durable commit) and
 * keys look like the engine's object keys ('O' + 8-byte big-endian number) with ~60-byte
 * values.
 *
 * usage: raw_lmdb DIR N REPS [SCAN_LEN...]
 * prints: result <name> <ns per op>   (the median of REPS repetitions)
 * Each SCAN_LEN adds raw_scan_<SCAN_LEN>: a cursor scan of that many consecutive entries
 * (seek + SCAN_LEN-1 steps), the floor of a listing that returns SCAN_LEN entries.
 * Built with -D_GNU_SOURCE like the engine (clock_gettime under -std=c11). */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "raw_shape.h"

/* The flags csrc/kv.c (cd_kv_open) opens a store with: keep the two in step, or the floor
 * stops being the floor of the engine. */
#define ENGINE_ENV_FLAGS (MDB_WRITEMAP | MDB_NOSYNC | MDB_NORDAHEAD)
#define ENGINE_ENV_FLAGS_TEXT "MDB_WRITEMAP|MDB_NOSYNC|MDB_NORDAHEAD"

#define KEY_LEN RAW_KEY_LEN
#define VAL_LEN RAW_VAL_LEN
#define DURABLE_COMMITS 200

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "raw_lmdb: %s: %s\n", what, mdb_strerror(rc));
        exit(1);
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Bytes this process has sent to storage so far (/proc/self/io), -1 when unknown: shows
 * how much a durable commit writes. */
static long long storage_write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "write_bytes: %lld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/* splitmix64: a deterministic stream of well-mixed numbers for keys and shuffles. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}


static MDB_env *open_env(const char *dir, MDB_dbi *dbi)
{
    MDB_env *env;
    MDB_txn *t;
    mkdir(dir, 0775);
    check(mdb_env_create(&env), "env create");
    check(mdb_env_set_mapsize(env, (size_t)4 << 30), "set mapsize");
    check(mdb_env_set_maxreaders(env, 254), "set maxreaders");
    check(mdb_env_open(env, dir, ENGINE_ENV_FLAGS, 0664), "env open");
    check(mdb_txn_begin(env, NULL, 0, &t), "begin");
    check(mdb_dbi_open(t, NULL, 0, dbi), "dbi open");
    check(mdb_txn_commit(t), "commit");
    return env;
}

/* Puts ids[0..n) in one write transaction; commits it when keep, else aborts it so the
 * next repetition starts from the same tree.  Returns ns per put. */
static double put_all(MDB_env *env, MDB_dbi dbi, const uint64_t *ids, size_t n,
                      unsigned flags, int keep)
{
    MDB_txn *t;
    unsigned char kb[KEY_LEN], vb[VAL_LEN];
    check(mdb_txn_begin(env, NULL, 0, &t), "begin");
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        raw_key(ids[i], kb);
        raw_val(ids[i], vb);
        MDB_val k = {KEY_LEN, kb}, v = {VAL_LEN, vb};
        check(mdb_put(t, dbi, &k, &v, flags), "put");
    }
    double dt = now_ns() - t0;
    if (keep) {
        mdb_env_set_flags(env, MDB_NOSYNC, 1);
        check(mdb_txn_commit(t), "commit");
    } else
        mdb_txn_abort(t);
    return dt / (double)n;
}

/* Median ns of one scan of len consecutive entries (MDB_SET_RANGE to a random key, then
 * len-1 MDB_NEXT) in one read transaction; the starts leave room for len entries. */
static double scan_run(MDB_env *env, MDB_dbi dbi, size_t n, size_t len, int reps,
                       uint64_t *seed, double *runs, volatile size_t *sink)
{
    size_t scans = 2000000 / len;
    scans = scans < 100 ? 100 : scans > 100000 ? 100000 : scans;
    for (int r = 0; r < reps; r++) {
        MDB_txn *t;
        MDB_cursor *c;
        unsigned char kb[KEY_LEN];
        size_t got = 0;
        check(mdb_txn_begin(env, NULL, MDB_RDONLY, &t), "begin read");
        check(mdb_cursor_open(t, dbi, &c), "cursor");
        double t0 = now_ns();
        for (size_t i = 0; i < scans; i++) {
            raw_key(1 + next_rand(seed) % (n - len + 1), kb);
            MDB_val k = {KEY_LEN, kb}, v;
            int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
            for (size_t j = 1; j < len && rc == 0; j++) {
                *sink += v.mv_size;
                got++;
                rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            }
            got += rc == 0;
        }
        runs[r] = (now_ns() - t0) / (double)scans;
        mdb_cursor_close(c);
        mdb_txn_abort(t);
        if (got != scans * len) {
            fprintf(stderr, "raw_lmdb: a scan of %zu came up short\n", len);
            exit(1);
        }
    }
    return median(runs, reps);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: raw_lmdb DIR N REPS [SCAN_LEN...]\n");
        return 2;
    }
    const char *root = argv[1];
    size_t n = strtoull(argv[2], NULL, 10);
    int reps = atoi(argv[3]);
    if (n < 1000 || reps < 1 || reps > 50) {
        fprintf(stderr, "raw_lmdb: N must be >= 1000 and REPS in 1..50\n");
        return 2;
    }
    char dir_seq[4096], dir_rand[4096];
    snprintf(dir_seq, sizeof dir_seq, "%s/append", root);
    snprintf(dir_rand, sizeof dir_rand, "%s/random", root);
    mkdir(root, 0775);
    printf("# raw floor: %s, opened as the engine opens it (" ENGINE_ENV_FLAGS_TEXT
           ", NOSYNC off for a durable commit); %zu keys of %d bytes, values of %d bytes\n",
           MDB_VERSION_STRING, n, KEY_LEN, VAL_LEN);
    uint64_t seed = 42;
    uint64_t *seq = malloc(n * sizeof *seq), *rnd = malloc(n * sizeof *rnd);
    double *runs = malloc((size_t)(reps > DURABLE_COMMITS ? reps : DURABLE_COMMITS) * sizeof *runs);
    if (!seq || !rnd || !runs)
        return 1;
    for (size_t i = 0; i < n; i++) {
        seq[i] = i + 1;                 /* ids as the engine allocates them: increasing */
        rnd[i] = next_rand(&seed) >> 1; /* ids scattered over the key space */
    }

    /* Appended puts (MDB_APPEND) of N keys into an empty database, one transaction. */
    MDB_dbi dbi_seq, dbi_rand;
    MDB_env *env_seq = open_env(dir_seq, &dbi_seq);
    for (int r = 0; r < reps; r++)
        runs[r] = put_all(env_seq, dbi_seq, seq, n, MDB_APPEND, r == reps - 1);
    printf("result raw_put_append %.1f\n", median(runs, reps));

    /* Random puts of N keys into an empty database, one transaction. */
    MDB_env *env_rand = open_env(dir_rand, &dbi_rand);
    for (int r = 0; r < reps; r++)
        runs[r] = put_all(env_rand, dbi_rand, rnd, n, 0, r == reps - 1);
    printf("result raw_put_random %.1f\n", median(runs, reps));
    mdb_env_close(env_rand);

    /* Random gets in the N-key (appended) database, all in one read transaction. */
    uint64_t *order = malloc(n * sizeof *order);
    if (!order)
        return 1;
    memcpy(order, seq, n * sizeof *order);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(next_rand(&seed) % (i + 1));
        uint64_t x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    volatile size_t sink = 0;
    for (int r = 0; r < reps; r++) {
        MDB_txn *t;
        unsigned char kb[KEY_LEN];
        check(mdb_txn_begin(env_seq, NULL, MDB_RDONLY, &t), "begin read");
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            raw_key(order[i], kb);
            MDB_val k = {KEY_LEN, kb}, v;
            check(mdb_get(t, dbi_seq, &k, &v), "get");
            sink += v.mv_size;
        }
        runs[r] = (now_ns() - t0) / (double)n;
        mdb_txn_abort(t);
    }
    printf("result raw_get_random %.1f\n", median(runs, reps));

    /* Pages of 30: seek to a random key, then 29 steps, in one read transaction — the
     * floor of a ListObjectChildren page. */
    size_t pages = n / 30;
    for (int r = 0; r < reps; r++) {
        MDB_txn *t;
        MDB_cursor *c;
        unsigned char kb[KEY_LEN];
        check(mdb_txn_begin(env_seq, NULL, MDB_RDONLY, &t), "begin read");
        check(mdb_cursor_open(t, dbi_seq, &c), "cursor");
        double t0 = now_ns();
        for (size_t i = 0; i < pages; i++) {
            raw_key(order[i], kb);
            MDB_val k = {KEY_LEN, kb}, v;
            int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
            for (int j = 1; j < 30 && rc == 0; j++) {
                sink += v.mv_size;
                rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            }
        }
        runs[r] = (now_ns() - t0) / (double)pages;
        mdb_cursor_close(c);
        mdb_txn_abort(t);
    }
    printf("result raw_page_30 %.1f\n", median(runs, reps));

    /* Scans of SCAN_LEN consecutive entries: the floor of the range listings. */
    for (int a = 4; a < argc; a++) {
        size_t len = strtoull(argv[a], NULL, 10);
        if (len < 1 || len > n) {
            fprintf(stderr, "raw_lmdb: SCAN_LEN %s is not in 1..N\n", argv[a]);
            return 2;
        }
        printf("result raw_scan_%zu %.1f\n", len,
               scan_run(env_seq, dbi_seq, n, len, reps, &seed, runs, &sink));
    }

    /* Durable commits of one put each into the N-key database: the per-commit latency,
     * NOSYNC switched off for the commit as kv.c does for a durable call.  The first commit
     * also flushes what the NOSYNC transactions above left dirty: do it unmeasured. */
    long long written = 0;
    for (int i = -1; i < DURABLE_COMMITS; i++) {
        MDB_txn *t;
        unsigned char kb[KEY_LEN], vb[VAL_LEN];
        uint64_t id = n + 2 + (uint64_t)i;
        raw_key(id, kb);
        raw_val(id, vb);
        MDB_val k = {KEY_LEN, kb}, v = {VAL_LEN, vb};
        if (i == 0)
            written = storage_write_bytes();
        double t0 = now_ns();
        check(mdb_txn_begin(env_seq, NULL, 0, &t), "begin");
        check(mdb_put(t, dbi_seq, &k, &v, 0), "put");
        mdb_env_set_flags(env_seq, MDB_NOSYNC, 0);
        check(mdb_txn_commit(t), "durable commit");
        if (i >= 0)
            runs[i] = now_ns() - t0;
    }
    printf("result raw_commit_durable %.1f\n", median(runs, DURABLE_COMMITS));

    if (written >= 0)
        printf("info raw_durable_write_bytes %.0f\n",
               (double)(storage_write_bytes() - written) / DURABLE_COMMITS);
    /* For context beside the 20-operation durable BatchWrite (its floor stays the single-put
     * commit above): durable commits of 20 puts at random keys each, overwriting existing
     * keys so the store does not grow. */
    for (int i = -1; i < DURABLE_COMMITS; i++) {
        MDB_txn *t;
        double t0 = now_ns();
        check(mdb_txn_begin(env_seq, NULL, 0, &t), "begin");
        for (int k = 0; k < 20; k++) {
            unsigned char kb[KEY_LEN], vb[VAL_LEN];
            uint64_t id = 1 + next_rand(&seed) % n;
            raw_key(id, kb);
            raw_val(id, vb);
            MDB_val key = {KEY_LEN, kb}, val = {VAL_LEN, vb};
            check(mdb_put(t, dbi_seq, &key, &val, 0), "put");
        }
        mdb_env_set_flags(env_seq, MDB_NOSYNC, 0);
        check(mdb_txn_commit(t), "durable commit");
        if (i >= 0)
            runs[i] = now_ns() - t0;
    }
    printf("info raw_commit_durable_20_random_us %.1f\n", median(runs, DURABLE_COMMITS) / 1000);

    MDB_stat st;
    MDB_envinfo info;
    mdb_env_stat(env_seq, &st);
    mdb_env_info(env_seq, &info);
    printf("info raw_bytes_per_key %.1f\n",
           (double)(info.me_last_pgno + 1) * st.ms_psize / (double)(n + DURABLE_COMMITS));
    mdb_env_close(env_seq);
    free(order);
    free(seq);
    free(rnd);
    free(runs);
    return (int)(sink == 0);
}
