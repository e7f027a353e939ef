/* bench_clock.c — what the Lua benches need that Lua 5.4 lacks: a monotonic clock with
 * nanosecond resolution, the process's peak resident set, a view of its memory that tells
 * the store's shared map apart from everything else, and the raw durable commit that is
 * the floor of the durable figures, measured beside them.  Built only for `make bench`;
 * not part of clouddir. */
#include <lua.h>
#include <lauxlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "kv.h"
#include "raw_shape.h"

int luaopen_bench_clock(lua_State *L);

/* now() -> nanoseconds on the monotonic clock, as an integer */
static int clock_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
    return 1;
}

/* peak_rss_kib() -> the most resident memory this process has held, in KiB */
static int clock_peak_rss(lua_State *L)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    lua_pushinteger(L, (lua_Integer)ru.ru_maxrss);
    return 1;
}

/* The value of one "Name:   123 kB" line of /proc/self/status, -1 when missing. */
static long status_kib(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(name);
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            sscanf(line + n + 1, "%ld", &v);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

/* memory() -> { rss, hwm, anon, file, shmem } in KiB (/proc/self/status: VmRSS, VmHWM,
 * RssAnon, RssFile, RssShmem).  The store's map is file-backed and shared: it counts in
 * file (or shmem on tmpfs), never in anon. */
static int clock_memory(lua_State *L)
{
    static const char *const names[][2] = {
        {"rss", "VmRSS"}, {"hwm", "VmHWM"}, {"anon", "RssAnon"},
        {"file", "RssFile"}, {"shmem", "RssShmem"},
    };
    lua_createtable(L, 0, 5);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        lua_pushinteger(L, status_kib(names[i][1]));
        lua_setfield(L, -2, names[i][0]);
    }
    return 1;
}

/* mapped_rss_kib(suffix) -> KiB resident of the mappings whose file name ends with suffix
 * (e.g. "/data.mdb": the pages of the store this process has touched), from /proc/self/smaps */
static int clock_mapped_rss(lua_State *L)
{
    const char *suffix = luaL_checkstring(L, 1);
    size_t sn = strlen(suffix);
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[4096];
    int in = 0;
    long total = 0, v;
    while (f && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
            line[--n] = '\0';
        /* a mapping header: "start-end perms offset dev inode [path]" */
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
            in = n >= sn && strcmp(line + n - sn, suffix) == 0;
            continue;
        }
        if (in && sscanf(line, "Rss: %ld kB", &v) == 1)
            total += v;
    }
    if (f)
        fclose(f);
    lua_pushinteger(L, total);
    return 1;
}

/* A thread that samples RssAnon every few milliseconds: the peak of what is not the map
 * happens inside calls (request and response trees at once), where Lua cannot look. */
typedef struct sampler {
    pthread_t thread;
    atomic_bool stop;
    atomic_long peak_anon;
    long interval_ns;
    int running;
} sampler;

static void *sampler_main(void *arg)
{
    sampler *s = arg;
    struct timespec pause = {0, s->interval_ns};
    while (!atomic_load(&s->stop)) {
        long v = status_kib("RssAnon");
        if (v > atomic_load(&s->peak_anon))
            atomic_store(&s->peak_anon, v);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static sampler *check_sampler(lua_State *L)
{
    return luaL_checkudata(L, 1, "bench_clock.sampler");
}

/* sampler:stop() -> peak RssAnon in KiB seen while it ran (idempotent) */
static int sampler_stop(lua_State *L)
{
    sampler *s = check_sampler(L);
    if (s->running) {
        atomic_store(&s->stop, 1);
        pthread_join(s->thread, NULL);
        s->running = 0;
    }
    long v = status_kib("RssAnon");
    if (v > atomic_load(&s->peak_anon))
        atomic_store(&s->peak_anon, v);
    lua_pushinteger(L, atomic_load(&s->peak_anon));
    return 1;
}

/* sampler(interval_ms) -> a running sampler; stop() it (also stopped when collected) */
static int clock_sampler(lua_State *L)
{
    lua_Integer ms = luaL_optinteger(L, 1, 2);
    sampler *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    atomic_init(&s->stop, 0);
    atomic_init(&s->peak_anon, status_kib("RssAnon"));
    s->interval_ns = (long)(ms < 1 ? 1 : ms > 999 ? 999 : ms) * 1000000L;
    if (luaL_newmetatable(L, "bench_clock.sampler")) {
        lua_pushcfunction(L, sampler_stop);
        lua_setfield(L, -2, "__gc");
        lua_newtable(L);
        lua_pushcfunction(L, sampler_stop);
        lua_setfield(L, -2, "stop");
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    if (pthread_create(&s->thread, NULL, sampler_main, s) != 0)
        return luaL_error(L, "cannot start the memory sampler thread");
    s->running = 1;
    return 1;
}

/* ---- the raw durable commit beside the durable figures ----
 * raw_store(dir, n) -> a store of n keys shaped like raw_lmdb.c's ('O' + 8-byte id, 60-byte
 * values), written through kv.c (so LMDB is opened as the engine opens it).  Its commit()
 * makes one durable commit of one appended put and returns its nanoseconds, as
 * cd_bench.c's c_raw_commit_durable does: disk latency drifts over minutes, so the floor of
 * a durable figure is measured at the same moments.  close() (also __gc) removes it. */
typedef struct raw_store {
    cd_kv *kv;
    uint64_t next;
    char dir[4096];
} raw_store;

static void raw_record(uint64_t id, unsigned char key[RAW_KEY_LEN],
                       unsigned char val[RAW_VAL_LEN])
{
    raw_key(id, key);
    raw_val(id, val);
}

static int raw_fail(lua_State *L, raw_store *r, const cd_error *err)
{
    cd_kv_close(r->kv);
    r->kv = NULL;
    return luaL_error(L, "raw store: %s", err->message);
}

static int raw_close(lua_State *L)
{
    raw_store *r = luaL_checkudata(L, 1, "bench_clock.raw_store");
    if (r->kv) {
        cd_kv_close(r->kv);
        r->kv = NULL;
        char file[4200];
        snprintf(file, sizeof file, "%s/data.mdb", r->dir);
        remove(file);
        snprintf(file, sizeof file, "%s/lock.mdb", r->dir);
        remove(file);
        remove(r->dir);
    }
    return 0;
}

static int raw_commit(lua_State *L)
{
    raw_store *r = luaL_checkudata(L, 1, "bench_clock.raw_store");
    if (!r->kv)
        return luaL_error(L, "raw store: closed");
    cd_error err;
    cd_txn *t;
    unsigned char key[9], val[60];
    raw_record(r->next++, key, val);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cd_kv_begin(r->kv, true, &t, &err))
        return raw_fail(L, r, &err);
    if (cd_kv_put(t, (cd_slice){key, sizeof key}, (cd_slice){val, sizeof val}, true, &err)) {
        cd_kv_abort(t);
        return raw_fail(L, r, &err);
    }
    if (cd_kv_commit(t, true, &err))
        return raw_fail(L, r, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    lua_pushinteger(L, (lua_Integer)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec));
    return 1;
}

static int clock_raw_store(lua_State *L)
{
    size_t dn;
    const char *dir = luaL_checklstring(L, 1, &dn);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, dn < sizeof ((raw_store *)0)->dir, 1, "path too long");
    luaL_argcheck(L, n >= 0, 2, "a key count expected");
    raw_store *r = lua_newuserdatauv(L, sizeof *r, 0);
    r->kv = NULL;
    memcpy(r->dir, dir, dn + 1);
    if (luaL_newmetatable(L, "bench_clock.raw_store")) {
        lua_pushcfunction(L, raw_close);
        lua_setfield(L, -2, "__gc");
        lua_newtable(L);
        lua_pushcfunction(L, raw_commit);
        lua_setfield(L, -2, "commit");
        lua_pushcfunction(L, raw_close);
        lua_setfield(L, -2, "close");
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    cd_error err;
    cd_kv_options ko = {(size_t)1 << 30};
    if (cd_kv_open(dir, &ko, &r->kv, &err))
        return luaL_error(L, "raw store: %s", err.message);
    unsigned char key[9], val[60];
    for (lua_Integer done = 0; done < n;) {
        cd_txn *t;
        if (cd_kv_begin(r->kv, true, &t, &err))
            return raw_fail(L, r, &err);
        lua_Integer end = done + 100000 < n ? done + 100000 : n;
        for (; done < end; done++) {
            raw_record((uint64_t)done + 1, key, val);
            if (cd_kv_put(t, (cd_slice){key, sizeof key}, (cd_slice){val, sizeof val}, true, &err)) {
                cd_kv_abort(t);
                return raw_fail(L, r, &err);
            }
        }
        if (cd_kv_commit(t, false, &err))
            return raw_fail(L, r, &err);
    }
    r->next = (uint64_t)n + 1;
    return 1;
}

int luaopen_bench_clock(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"now", clock_now}, {"peak_rss_kib", clock_peak_rss}, {"memory", clock_memory},
        {"mapped_rss_kib", clock_mapped_rss}, {"sampler", clock_sampler},
        {"raw_store", clock_raw_store}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
