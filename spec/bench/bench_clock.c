/* bench_clock.c — the two things the Lua bench needs that Lua 5.4 lacks: a monotonic
 * clock with nanosecond resolution and the process's peak resident set.  Built only for
 * `make bench`; not part of clouddir. */
#include <lua.h>
#include <lauxlib.h>
#include <sys/resource.h>
#include <time.h>

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

int luaopen_bench_clock(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"now", clock_now}, {"peak_rss_kib", clock_peak_rss}, {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
