/* lua_core.c — clouddir.core: the Lua 5.4 binding of libclouddir.
 *
 * The module table: open(path[, options]) -> store handle; operations (the 66 names);
 * version, _VERSION, lmdb_version; new_error(code, message[, index, type]) -> error value;
 * echo(value) -> value after the request conversion and back (for tests); error_mt,
 * store_mt, store_methods.
 *
 * One userdata type, "clouddir.store": a handle on a store folder.  Its methods (close, call,
 * sync, stat, options, path, is_open) live in a methods table that is the metatable's
 * __index, so the Lua module (lua/clouddir.lua) can add its own methods to the same table.
 *
 * Conversions.  Request: string -> STRING, integer -> INT, float -> FLOAT, boolean -> BOOL,
 * a table with the keys 1..n -> LIST, with string keys -> MAP (the empty table -> empty MAP);
 * anything else, or tables nested more than 64 deep (cycles), is a ValidationException
 * naming the member ("Facets[1].Name", 0-based like the shape checker).  Response: STRING
 * and BYTES -> string, INT -> integer, TIME -> seconds since the epoch as a float (ms/1000),
 * LIST -> sequence, MAP -> table, NULL -> absent.
 *
 * Failures of the store itself (a folder that cannot be opened, a closed handle, out of
 * memory) raise code "StoreError", as the C core reports them.
 *
 * Rules this file keeps:
 *  - No Lua API that may raise runs while a transaction is open: cd_call does the whole
 *    transaction in C; the request is converted before and the response after.
 *  - Everything a call allocates lives in the handle's cd_arena, which the userdata owns and
 *    resets per call, so an error raised halfway through a conversion leaks nothing.
 *  - Errors are tables {code=, message=[, index=, type=]} with one shared metatable
 *    ("clouddir.error"); tostring(e) is code .. ": " .. message.
 *  - Opening a folder already open in this Lua state shares its environment
 *    (cd_open_shared): LMDB must not open one environment twice in a process. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "clouddir.h"
#include "kv.h"
#include "lua_core.h"
#include "lua_json.h"

#define STORE_MT "clouddir.store"
#define ERROR_MT "clouddir.error"
#define ARENA_MT "clouddir.arena"
#define OPEN_STORES "clouddir.open_stores"  /* registry: realpath -> {[handle] = true} (weak keys) */
#define MAX_DEPTH 64                        /* tables nested deeper than this are refused */
#define MEMO_N 8                            /* ARN strings a handle keeps for its responses */
#define HANDLE_ARENA_KEEP ((size_t)8 << 20)  /* bytes of arena blocks a handle keeps between calls */

typedef struct lstore {
    cd_store *s;   /* NULL once closed */
    cd_arena *a;   /* request/response memory of the current call; owned here */
    int busy;      /* a call is converting values with this handle's arena */
    /* The ARNs most recently pushed in responses: the same few ARNs come back in every
     * response, and each push of a long string is an allocation.  Slot i is the Lua string
     * at index i + 1 of the handle's second user value, which keeps it alive (and in place:
     * Lua never moves a string); p points at its bytes. */
    struct { const char *p; size_t n; } memo[MEMO_N];
    unsigned memo_next;
} lstore;

/* {====================================================== error values */

/* Pushes a new error value. */
static void push_error(lua_State *L, const char *code, const char *message)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    luaL_setmetatable(L, ERROR_MT);
}

/* Raises an error value; never returns (lua_core.h). */
int cd_lua_raise(lua_State *L, const char *code, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    push_error(L, code, msg);
    return lua_error(L);
}

/* Raises the error a C call reported.  err may live on the caller's C stack: everything is
 * copied into Lua before lua_error unwinds it. */
static int raise_cd_error(lua_State *L, const cd_error *err)
{
    cd_lua_push_cd_error(L, err);
    return lua_error(L);
}

void cd_lua_push_cd_error(lua_State *L, const cd_error *err)
{
    push_error(L, cd_code_name(err->code), err->message);
    if (err->code == CD_E_BatchWriteException) {
        lua_pushinteger(L, (lua_Integer)err->index);
        lua_setfield(L, -2, "index");
        lua_pushstring(L, cd_code_name(err->type));
        lua_setfield(L, -2, "type");
    }
}

/* __tostring of error values: "Code: message".  Never raises on a tampered value. */
static int error_tostring(lua_State *L)
{
    if (!lua_istable(L, 1)) {
        lua_pushliteral(L, "clouddir.error");
        return 1;
    }
    lua_pushliteral(L, "code");
    lua_rawget(L, 1);
    lua_pushliteral(L, "message");
    lua_rawget(L, 1);
    const char *code = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    lua_pushfstring(L, "%s: %s", code, msg);
    return 1;
}

/* core.new_error(code, message[, index, type]) -> an error value (not raised), so Lua code
 * raises exactly the values the C side raises. */
static int l_new_error(lua_State *L)
{
    const char *code = luaL_checkstring(L, 1);
    const char *message = luaL_checkstring(L, 2);
    push_error(L, code, message);
    if (!lua_isnoneornil(L, 3)) {
        lua_pushinteger(L, luaL_checkinteger(L, 3));
        lua_setfield(L, -2, "index");
        lua_pushstring(L, luaL_checkstring(L, 4));
        lua_setfield(L, -2, "type");
    }
    return 1;
}

/* }====================================================== */

/* {====================================================== Lua -> cd_value */

/* A table already converted in this request, by address. */
typedef struct converted {
    const void *table;
    cd_value *value;
} converted;

typedef struct conv {
    lua_State *L;
    cd_arena *a;
    lstore *h;   /* its busy flag is cleared before raising */
    struct { const char *key; lua_Integer index; } path[MAX_DEPTH + 1];
    /* Tables met again in one request become the same value, converted once: a bulk load
     * shares its facet and attribute-key tables between thousands of operations, and a
     * table shared at every level of a deep request would otherwise be converted an
     * exponential number of times.  Open addressing in the arena, cap a power of two. */
    converted *done;
    size_t done_n, done_cap;
} conv;

static size_t converted_slot(const void *table, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)table * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

static cd_value *converted_find(const conv *c, const void *table)
{
    if (!c->done_n)
        return NULL;
    for (size_t i = converted_slot(table, c->done_cap);; i = (i + 1) & (c->done_cap - 1)) {
        if (c->done[i].table == table)
            return c->done[i].value;
        if (!c->done[i].table)
            return NULL;
    }
}

/* Remembers a table once its conversion is complete, so a cycle is still met as ever
 * deeper nesting and refused.  Out of memory it remembers nothing: the table is then
 * converted again where it recurs. */
static void converted_add(conv *c, const void *table, cd_value *value)
{
    if (2 * (c->done_n + 1) > c->done_cap) {
        size_t cap = c->done_cap ? 2 * c->done_cap : 64;
        converted *t = cd_arena_alloc(c->a, cap * sizeof *t);
        if (!t)
            return;
        memset(t, 0, cap * sizeof *t);
        for (size_t i = 0; i < c->done_cap; i++)
            if (c->done[i].table) {
                size_t j = converted_slot(c->done[i].table, cap);
                while (t[j].table)
                    j = (j + 1) & (cap - 1);
                t[j] = c->done[i];
            }
        c->done = t;
        c->done_cap = cap;
    }
    size_t i = converted_slot(table, c->done_cap);
    while (c->done[i].table)
        i = (i + 1) & (c->done_cap - 1);
    c->done[i] = (converted){table, value};
    c->done_n++;
}

/* Writes the member path of depth d in the shape checker's notation: "A[0].B". */
static void format_path(const conv *c, int depth, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int d = 1; d <= depth && len < cap; d++) {
        int n;
        if (c->path[d].key)
            n = snprintf(buf + len, cap - len, "%s%s", len ? "." : "", c->path[d].key);
        else
            n = snprintf(buf + len, cap - len, "[%lld]", (long long)c->path[d].index);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

static void conv_fail(conv *c, int depth, const char *what)
{
    char path[256];
    format_path(c, depth, path, sizeof path);
    c->h->busy = 0;
    if (depth == 0)
        cd_lua_raise(c->L, "ValidationException", "1 validation error detected: the request %s",
                    what);
    cd_lua_raise(c->L, "ValidationException",
                "1 validation error detected: Value at '%s' %s", path, what);
}

static void conv_oom(conv *c)
{
    c->h->busy = 0;
    cd_lua_raise(c->L, "StoreError", "out of memory converting a request");
}

static cd_value *to_value(conv *c, int idx, int depth);

/* A table is a list when its keys are exactly 1..n (n >= 1), a map when every key is a
 * string; the empty table is an empty map (the shape checker accepts it for a list too). */
static cd_value *table_to_value(conv *c, int idx, int depth)
{
    lua_State *L = c->L;
    if (depth >= MAX_DEPTH)
        conv_fail(c, depth, "is nested more than 64 tables deep (is there a cycle?)");
    if (!lua_checkstack(L, 4))
        conv_fail(c, depth, "is nested too deeply for the Lua stack");
    lua_Integer count = 0, min = LUA_MAXINTEGER, max = 0;
    int strings = 0, integers = 0, others = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        if (lua_type(L, -2) == LUA_TSTRING) {
            strings++;
        } else if (lua_isinteger(L, -2)) {
            lua_Integer k = lua_tointeger(L, -2);
            integers++;
            if (k < min)
                min = k;
            if (k > max)
                max = k;
        } else {
            others++;
        }
        lua_pop(L, 1);
    }
    if (count == 0 || strings == count) {
        cd_value *m = cd_map(c->a);
        if (!m)
            conv_oom(c);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            size_t kn;
            const char *k = lua_tolstring(L, -2, &kn);  /* a string already: no conversion */
            c->path[depth + 1].key = k;
            cd_value *v = to_value(c, lua_gettop(L), depth + 1);
            if (!cd_map_setn(c->a, m, k, kn, v))
                conv_oom(c);
            lua_pop(L, 1);
        }
        return m;
    }
    if (integers == count && min == 1 && max == count) {
        cd_value *list = cd_list(c->a);
        if (!list)
            conv_oom(c);
        for (lua_Integer i = 1; i <= count; i++) {
            lua_rawgeti(L, idx, i);
            c->path[depth + 1].key = NULL;
            c->path[depth + 1].index = i - 1;
            cd_value *v = to_value(c, lua_gettop(L), depth + 1);
            if (!cd_list_push(c->a, list, v))
                conv_oom(c);
            lua_pop(L, 1);
        }
        return list;
    }
    if (others)
        conv_fail(c, depth, "has a key that is neither a string nor an integer "
                            "(a map needs string keys, a list the keys 1..n)");
    if (strings)
        conv_fail(c, depth, "mixes string and integer keys "
                            "(a map needs string keys, a list the keys 1..n)");
    conv_fail(c, depth, "is not a sequence: a list needs exactly the keys 1..n, with no holes");
    return NULL;
}

static cd_value *to_value(conv *c, int idx, int depth)
{
    lua_State *L = c->L;
    cd_value *v = NULL;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *p = lua_tolstring(L, idx, &n);
        v = cd_str(c->a, p, n);
        break;
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            v = cd_int(c->a, (int64_t)lua_tointeger(L, idx));
        else
            v = cd_float(c->a, (double)lua_tonumber(L, idx));
        break;
    case LUA_TBOOLEAN:
        v = cd_bool(c->a, lua_toboolean(L, idx));
        break;
    case LUA_TTABLE: {
        const void *t = lua_topointer(L, idx);
        if (!(v = converted_find(c, t))) {
            v = table_to_value(c, idx, depth);
            converted_add(c, t, v);
        }
        return v;
    }
    default: {
        char what[128];
        snprintf(what, sizeof what,
                 "is a %s, which a request cannot carry (use strings, numbers, booleans, tables)",
                 luaL_typename(L, idx));
        conv_fail(c, depth, what);
    }
    }
    if (!v)
        conv_oom(c);
    return v;
}

/* The same conversion in one pass over each table, for requests that convert without a
 * problem (nearly all): it never raises, and returns NULL on anything unusual — a key that
 * does not fit, a value it cannot carry, depth, memory — after which the caller converts
 * again with to_value, which classifies every table before converting its members and
 * raises the error it finds.  A map's members come in lua_next order and a list's items in
 * index order, as to_value has them. */
static cd_value *fast_table(conv *c, int idx, int depth);

static cd_value *fast_value(conv *c, int idx, int depth)
{
    lua_State *L = c->L;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *p = lua_tolstring(L, idx, &n);
        return cd_str(c->a, p, n);
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return cd_int(c->a, (int64_t)lua_tointeger(L, idx));
        return cd_float(c->a, (double)lua_tonumber(L, idx));
    case LUA_TBOOLEAN:
        return cd_bool(c->a, lua_toboolean(L, idx));
    case LUA_TTABLE:
        break;
    default:
        return NULL;
    }
    const void *t = lua_topointer(L, idx);
    cd_value *seen = converted_find(c, t);
    if (seen)
        return seen;
    cd_value *v = fast_table(c, idx, depth);
    if (v)
        converted_add(c, t, v);
    return v;
}

static cd_value *fast_table(conv *c, int idx, int depth)
{
    lua_State *L = c->L;
    if (depth >= MAX_DEPTH || !lua_checkstack(L, 4))
        return NULL;
    lua_Unsigned n = lua_rawlen(L, idx);
    if (n == 0) {   /* no key 1: a map (or something to_value refuses) */
        cd_value *m = cd_map(c->a);
        if (!m)
            return NULL;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            size_t kn = 0;
            const char *k = NULL;
            cd_value *v = NULL;
            if (lua_type(L, -2) == LUA_TSTRING) {
                k = lua_tolstring(L, -2, &kn);   /* a string already: no conversion */
                v = fast_value(c, lua_gettop(L), depth + 1);
            }
            if (!v || !cd_map_setn(c->a, m, k, kn, v)) {
                lua_pop(L, 2);
                return NULL;
            }
            lua_pop(L, 1);
        }
        return m;
    }
    /* A list when its keys are exactly 1..n: n distinct integers in 1..n. */
    cd_value *list = cd_list(c->a);
    cd_value **items = n <= INT_MAX ? cd_arena_alloc(c->a, (size_t)n * sizeof *items) : NULL;
    if (!list || !items)
        return NULL;
    memset(items, 0, (size_t)n * sizeof *items);
    lua_Unsigned count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_Integer k = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;
        cd_value *v = NULL;
        if (k >= 1 && (lua_Unsigned)k <= n && !items[k - 1])
            v = fast_value(c, lua_gettop(L), depth + 1);
        if (!v) {
            lua_pop(L, 2);
            return NULL;
        }
        items[k - 1] = v;
        count++;
        lua_pop(L, 1);
    }
    if (count != n)
        return NULL;
    list->u.list.items = items;
    list->u.list.n = list->u.list.cap = (size_t)n;
    return list;
}

/* A request value: fast_value, or to_value when that gives up. */
static cd_value *request_value(conv *c, int idx)
{
    cd_value *v = fast_value(c, idx, 0);
    return v ? v : to_value(c, idx, 0);
}

cd_value *cd_lua_request_value(lua_State *L, int idx, cd_arena *a)
{
    lstore dummy = {0};   /* no handle: nothing to mark busy */
    conv c = {.L = L, .a = a, .h = &dummy};
    return request_value(&c, lua_absindex(L, idx));
}

/* }====================================================== */

/* {====================================================== cd_value -> Lua */

#define NAME_SLOTS 64   /* member names one response conversion keeps at hand */
#define REPEAT_BITS 7   /* log2 of the long strings it watches for repeats */
#define REPEAT_SLOTS (1 << REPEAT_BITS)
#define REPEAT_MAX 256  /* longer strings are pushed as they come */
#define KEY_SLOTS (NAME_SLOTS + REPEAT_SLOTS)  /* the array of its memo table: both */

/* Where push_value memoizes ARN strings: a handle and the stack index of its memo table,
 * or no handle (h NULL).  And the member names of this one conversion: a response of 1,000
 * entries names the same few members thousands of times, and fetching the Lua string from
 * a table slot is cheaper than lua_pushlstring hashing and looking it up each time.  And
 * the long strings that repeat within the conversion, such as the source selector of every
 * link ListOutgoingTypedLinks returns: Lua does not intern strings over 40 bytes, so each
 * push of one is an allocation for the collector to free later.
 * key[i] remembers the last name whose hash is i: first the response's own bytes (lua
 * false; they stay put while it is converted), and once it has come twice the Lua string
 * at index i + 1 of the table at stack index `keys` (0: none), which keeps it alive while
 * the conversion runs.  repeat[i] is the same for long strings, at index NAME_SLOTS + i + 1
 * of that table. */
typedef struct memo {
    lstore *h;
    int table;
    int keys;
    struct { const char *p; size_t n; bool lua; } key[NAME_SLOTS];
    struct { const char *p; size_t n; uint64_t tail; bool lua; } repeat[REPEAT_SLOTS];
} memo;

/* Pushes the string p (n bytes) and keeps it at index at of the table at stack index table
 * (which keeps it alive); returns its bytes, which stay put while it is kept. */
static const char *keep_string(lua_State *L, int table, lua_Integer at, const char *p, size_t n)
{
    const char *s = lua_pushlstring(L, p, n);
    lua_pushvalue(L, -1);
    lua_rawseti(L, table, at);
    return s;
}

/* Pushes the member name p (n bytes). */
static void push_key(lua_State *L, memo *m, const char *p, size_t n)
{
    if (!m->keys || n == 0 || n > 40) {
        lua_pushlstring(L, p, n);
        return;
    }
    unsigned slot = (unsigned)(n * 7 + (unsigned char)p[0] * 3 + (unsigned char)p[n / 2] * 5 +
                               (unsigned char)p[n - 1]) % NAME_SLOTS;
    if (m->key[slot].n == n && memcmp(m->key[slot].p, p, n) == 0) {
        if (m->key[slot].lua) {
            lua_rawgeti(L, m->keys, (lua_Integer)slot + 1);
            return;
        }
        m->key[slot].p = keep_string(L, m->keys, (lua_Integer)slot + 1, p, n);
        m->key[slot].lua = true;   /* its second time: the Lua string is kept from now on */
        return;
    }
    /* Names that never repeat (the link names of ListObjectChildren) cost only this. */
    m->key[slot].p = p;
    m->key[slot].n = n;
    m->key[slot].lua = false;
    lua_pushlstring(L, p, n);
}

/* Pushes the long string p (n bytes, more than 40 and at most REPEAT_MAX), made only once
 * when it repeats within the conversion. */
static void push_repeated(lua_State *L, memo *m, const char *p, size_t n)
{
    /* Identifiers share long prefixes and differ at the end: hash the last 8 bytes. */
    uint64_t tail;
    memcpy(&tail, p + n - 8, sizeof tail);
    unsigned i = (unsigned)(((tail ^ n) * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - REPEAT_BITS));
    if (m->repeat[i].tail == tail && m->repeat[i].n == n && memcmp(m->repeat[i].p, p, n) == 0) {
        if (m->repeat[i].lua) {
            lua_rawgeti(L, m->keys, (lua_Integer)(NAME_SLOTS + i + 1));
            return;
        }
        m->repeat[i].p = keep_string(L, m->keys, (lua_Integer)(NAME_SLOTS + i + 1), p, n);
        m->repeat[i].lua = true;   /* its second time: the Lua string is kept from now on */
        return;
    }
    /* Strings that never repeat (the target selectors) cost only this. */
    m->repeat[i].p = p;
    m->repeat[i].n = n;
    m->repeat[i].tail = tail;
    m->repeat[i].lua = false;
    lua_pushlstring(L, p, n);
}

/* Pushes the string p (n bytes), reusing a memoized ARN when it is one. */
static void push_string(lua_State *L, memo *m, const char *p, size_t n)
{
    /* Short strings are interned by Lua anyway; ARNs repeat from call to call, other long
     * strings within a long listing. */
    if (!m->h || n <= 40 || n > 1024 || memcmp(p, "arn:", 4) != 0) {
        if (m->keys && n > 40 && n <= REPEAT_MAX)
            push_repeated(L, m, p, n);
        else
            lua_pushlstring(L, p, n);
        return;
    }
    lstore *h = m->h;
    for (unsigned i = 0; i < MEMO_N; i++)
        if (h->memo[i].n == n && memcmp(h->memo[i].p, p, n) == 0) {
            lua_rawgeti(L, m->table, (lua_Integer)i + 1);
            return;
        }
    unsigned slot = h->memo_next++ % MEMO_N;
    h->memo[slot].p = keep_string(L, m->table, (lua_Integer)slot + 1, p, n);
    h->memo[slot].n = n;
}

/* Whether response r lists many entries (a member that is a list of 32 or more), so its
 * member names repeat enough to be worth keeping at hand. */
static bool long_listing(const cd_value *r)
{
    for (size_t i = 0; r && r->type == CDV_MAP && i < r->u.map.n; i++) {
        const cd_value *v = r->u.map.ents[i].val;
        if (v && v->type == CDV_LIST && v->u.list.n >= 32)
            return true;
    }
    return false;
}

/* Pushes v; returns 0, or -1 when the Lua stack cannot grow (nothing pushed then). */
static int push_value(lua_State *L, memo *m, const cd_value *v, int depth)
{
    if (depth > MAX_DEPTH * 4 || !lua_checkstack(L, 3))
        return -1;
    switch (v ? v->type : CDV_NULL) {
    case CDV_NULL:
        lua_pushnil(L);
        break;
    case CDV_BOOL:
        lua_pushboolean(L, v->u.b);
        break;
    case CDV_INT:
        lua_pushinteger(L, (lua_Integer)v->u.i);
        break;
    case CDV_FLOAT:
        lua_pushnumber(L, (lua_Number)v->u.f);
        break;
    case CDV_STRING:
        push_string(L, m, v->u.s.p, v->u.s.len);
        break;
    case CDV_BYTES:
        lua_pushlstring(L, v->u.s.p, v->u.s.len);
        break;
    case CDV_TIME:  /* seconds since the epoch, always a float (milliseconds kept) */
        lua_pushnumber(L, (lua_Number)v->u.i / 1000.0);
        break;
    case CDV_LIST:
        lua_createtable(L, v->u.list.n > INT_MAX ? INT_MAX : (int)v->u.list.n, 0);
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (push_value(L, m, v->u.list.items[i], depth + 1))
                return lua_pop(L, 1), -1;
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    case CDV_MAP:
        lua_createtable(L, 0, v->u.map.n > INT_MAX ? INT_MAX : (int)v->u.map.n);
        for (size_t i = 0; i < v->u.map.n; i++) {
            const cd_mapent *e = &v->u.map.ents[i];
            if (!e->val || e->val->type == CDV_NULL)
                continue;  /* absent members are nil */
            push_key(L, m, e->key, e->keylen);
            if (push_value(L, m, e->val, depth + 1))
                return lua_pop(L, 2), -1;
            lua_rawset(L, -3);
        }
        break;
    }
    return 0;
}

/* core.echo(value) -> value converted to a request value and back, exactly as store:call
 * would convert it (without the shape check): lets tests see the conversions. */
static int l_echo(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    cd_arena **pa = (cd_arena **)lua_newuserdatauv(L, sizeof *pa, 0);
    *pa = NULL;
    luaL_setmetatable(L, ARENA_MT);
    if (!(*pa = cd_arena_new()))
        return cd_lua_raise(L, "StoreError", "out of memory");
    lstore dummy = {0};
    conv c = {.L = L, .a = *pa, .h = &dummy};
    cd_value *v = request_value(&c, 1);
    memo none = {.h = NULL};
    if (push_value(L, &none, v, 0))
        return cd_lua_raise(L, "StoreError", "the value is nested too deeply");
    return 1;
}

/* }====================================================== */

/* {====================================================== store handles */

cd_store *cd_lua_store(lua_State *L, int idx)
{
    lstore *h = (lstore *)luaL_checkudata(L, idx, STORE_MT);
    if (!h->s)
        cd_lua_raise(L, "StoreError", "the store is closed");
    return h->s;
}

void cd_lua_push_error(lua_State *L, const char *code, const char *message)
{
    push_error(L, code, message);
}


static lstore *check_handle(lua_State *L)
{
    return (lstore *)luaL_checkudata(L, 1, STORE_MT);
}

/* The handle at argument 1, which must be open. */
static lstore *check_open(lua_State *L)
{
    lstore *h = check_handle(L);
    if (!h->s)
        cd_lua_raise(L, "StoreError", "the store is closed");
    return h;
}

/* Closes the handle.  The arena is kept while a call is converting with it (a close from a
 * finalizer that ran in the middle of that call); __gc frees it in any case. */
static void close_handle(lstore *h, int collecting)
{
    cd_close(h->s);
    h->s = NULL;
    if (!h->busy || collecting) {
        cd_arena_free(h->a);
        h->a = NULL;
    }
}

static int store_close(lua_State *L)
{
    close_handle(check_handle(L), 0);
    return 0;
}

static int store_gc(lua_State *L)
{
    close_handle(check_handle(L), 1);
    return 0;
}

static int store_tostring(lua_State *L)
{
    lstore *h = check_handle(L);
    if (!h->s) {
        lua_pushliteral(L, "clouddir.store (closed)");
    } else {
        lua_getiuservalue(L, 1, 1);
        lua_pushfstring(L, "clouddir.store (%s)", lua_tostring(L, -1));
    }
    return 1;
}

static int arena_gc(lua_State *L)
{
    cd_arena **pa = (cd_arena **)luaL_checkudata(L, 1, ARENA_MT);
    cd_arena_free(*pa);
    *pa = NULL;
    return 0;
}

/* store:call(opname, request) -> response table.  Raises an error value on failure. */
static int store_call(lua_State *L)
{
    lstore *h = check_open(L);
    if (lua_type(L, 2) != LUA_TSTRING)
        cd_lua_raise(L, "ValidationException", "call needs an operation name (a string), got %s",
                    luaL_typename(L, 2));
    const char *name = lua_tostring(L, 2);
    int op = cd_op_lookup(name);
    if (op < 0)
        cd_lua_raise(L, "ValidationException", "'%s' is not an operation of the API", name);
    if (!lua_istable(L, 3))
        cd_lua_raise(L, "ValidationException", "%s needs a request table, got %s", name,
                    luaL_typename(L, 3));
    lua_settop(L, 3);

    /* The handle's arena, unless a call on this handle is already converting with it (a
     * finalizer making a call while another call allocates): that call gets its own. */
    cd_arena *a;
    int own = !h->busy && h->a;
    if (own) {
        a = h->a;
        cd_arena_reset(a);
        h->busy = 1;
    } else {
        cd_arena **pa = (cd_arena **)lua_newuserdatauv(L, sizeof *pa, 0);
        *pa = NULL;
        luaL_setmetatable(L, ARENA_MT);
        if (!(*pa = a = cd_arena_new()))
            cd_lua_raise(L, "StoreError", "out of memory");
    }

    lstore dummy = {0};
    /* Without its own handle, the outer call's busy flag is not ours to clear. */
    conv c = {.L = L, .a = a, .h = own ? h : &dummy};
    cd_value *req = request_value(&c, 3);

    cd_value *resp = NULL;
    cd_error err;
    int rc = h->s ? cd_call(h->s, op, req, a, &resp, &err)
                  : cd_fail(&err, CD_E_StoreError, "the store is closed");
    if (rc) {
        if (own)
            h->busy = 0;
        return raise_cd_error(L, &err);
    }
    lua_getiuservalue(L, 1, 2);   /* the memo table */
    memo m = {.h = lua_istable(L, -1) ? h : NULL, .table = lua_gettop(L)};
    if (long_listing(resp)) {
        lua_createtable(L, KEY_SLOTS, 0);   /* this conversion's member names and repeated strings */
        m.keys = lua_gettop(L);
    }
    if (push_value(L, &m, resp, 0)) {
        if (own)
            h->busy = 0;
        return cd_lua_raise(L, "StoreError", "the response of %s is nested too deeply", name);
    }
    if (own) {
        h->busy = 0;
        if (h->s)
            cd_arena_reset(a);  /* keeps HANDLE_ARENA_KEEP of blocks, gives back the rest */
    }
    if (lua_isnil(L, -1)) {  /* an operation with an empty response */
        lua_pop(L, 1);
        lua_newtable(L);
    }
    return 1;
}

static int store_sync(lua_State *L)
{
    lstore *h = check_open(L);
    cd_error err;
    if (cd_sync(h->s, &err))
        return raise_cd_error(L, &err);
    return 0;
}

/* store:stat() -> used bytes, map bytes */
static int store_stat(lua_State *L)
{
    lstore *h = check_open(L);
    size_t used = 0, map = 0;
    cd_error err;
    cd_error_clear(&err);
    if (cd_store_stat(h->s, &used, &map, &err))
        return raise_cd_error(L, &err);
    lua_pushinteger(L, (lua_Integer)used);
    lua_pushinteger(L, (lua_Integer)map);
    return 2;
}

/* store:options() -> {sync=, region=, account=, limits=[, map_size=]} (a fresh table) */
static int store_options(lua_State *L)
{
    lstore *h = check_open(L);
    const cd_options *o = cd_store_options(h->s);
    lua_createtable(L, 0, 5);
    lua_pushboolean(L, o->sync);
    lua_setfield(L, -2, "sync");
    if (o->map_size) {
        lua_pushinteger(L, (lua_Integer)o->map_size);
        lua_setfield(L, -2, "map_size");
    }
    lua_pushstring(L, o->region);
    lua_setfield(L, -2, "region");
    lua_pushstring(L, o->account);
    lua_setfield(L, -2, "account");
    lua_pushstring(L, o->limits == CD_LIMITS_NONE ? "none" : "aws");
    lua_setfield(L, -2, "limits");
    return 1;
}

/* store:path() -> the folder as given to open (also works on a closed handle) */
static int store_path(lua_State *L)
{
    check_handle(L);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

/* store:is_open() -> boolean */
static int store_is_open(lua_State *L)
{
    lua_pushboolean(L, check_handle(L)->s != NULL);
    return 1;
}

/* {------------------------------------------------------ open */

/* Reads the option table at idx into o.  The strings stay valid while the table is on the
 * stack; cd_open copies them. */
static void read_options(lua_State *L, int idx, cd_options *o)
{
    cd_options_default(o);
    if (lua_isnoneornil(L, idx))
        return;
    if (!lua_istable(L, idx))
        cd_lua_raise(L, "ValidationException", "open: options must be a table, got %s",
                    luaL_typename(L, idx));
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            cd_lua_raise(L, "ValidationException",
                        "open: option names are strings (sync, map_size, region, account, "
                        "limits), got a %s key", luaL_typename(L, -2));
        const char *k = lua_tostring(L, -2);
        int t = lua_type(L, -1);
        if (strcmp(k, "sync") == 0) {
            if (t != LUA_TBOOLEAN)
                goto bad_type;
            o->sync = lua_toboolean(L, -1);
        } else if (strcmp(k, "map_size") == 0) {
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) <= 0)
                cd_lua_raise(L, "ValidationException",
                            "open: option 'map_size' must be a positive integer (bytes)");
            o->map_size = (size_t)lua_tointeger(L, -1);
        } else if (strcmp(k, "region") == 0 || strcmp(k, "account") == 0) {
            if (t != LUA_TSTRING || lua_rawlen(L, -1) == 0)
                cd_lua_raise(L, "ValidationException",
                            "open: option '%s' must be a non-empty string", k);
            if (k[0] == 'r')
                o->region = lua_tostring(L, -1);
            else
                o->account = lua_tostring(L, -1);
        } else if (strcmp(k, "limits") == 0) {
            const char *v = t == LUA_TSTRING ? lua_tostring(L, -1) : "";
            if (strcmp(v, "aws") == 0)
                o->limits = CD_LIMITS_AWS;
            else if (strcmp(v, "none") == 0)
                o->limits = CD_LIMITS_NONE;
            else
                cd_lua_raise(L, "ValidationException",
                            "open: option 'limits' must be \"aws\" or \"none\"");
        } else {
            cd_lua_raise(L, "ValidationException",
                        "open: unknown option '%s' (known: sync, map_size, region, account, "
                        "limits)", k);
        }
        lua_pop(L, 1);
        continue;
    bad_type:
        cd_lua_raise(L, "ValidationException", "open: option '%s' must be a boolean, got %s", k,
                    luaL_typename(L, -1));
    }
}

/* Pushes the set of handles opened on folder key (creating it).  Weak keys: a handle that
 * is collected leaves the set by itself. */
static void push_handle_set(lua_State *L, const char *key)
{
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, OPEN_STORES) == 0) {
        /* new: its string keys are folders, values sets; both strong (a few per process) */
    }
    if (lua_getfield(L, -1, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, key);
    }
    lua_remove(L, -2);
}

/* An open handle in the set on top of the stack, or NULL. */
static cd_store *find_open(lua_State *L)
{
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lstore *o = (lstore *)luaL_testudata(L, -1, STORE_MT);
        if (o && o->s) {
            lua_pop(L, 1);
            return o->s;
        }
    }
    return NULL;
}

/* core.open(path[, options]) -> store handle.  Raises StoreError naming the folder when it
 * cannot be opened or created, ValidationException for bad options. */
static int l_open(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING || lua_rawlen(L, 1) == 0)
        cd_lua_raise(L, "ValidationException", "open needs a folder path (a string), got %s",
                    lua_type(L, 1) == LUA_TSTRING ? "an empty string" : luaL_typename(L, 1));
    const char *path = lua_tostring(L, 1);
    cd_options o;
    read_options(L, 2, &o);
    lua_settop(L, 2);

    /* The handle is made closed first (as liolib does), so a failure below leaves the
     * collector a valid closed handle. */
    lstore *h = (lstore *)lua_newuserdatauv(L, sizeof *h, 2);  /* 3 */
    memset(h, 0, sizeof *h);
    luaL_setmetatable(L, STORE_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, 3, 1);
    lua_createtable(L, MEMO_N, 0);
    lua_setiuservalue(L, 3, 2);
    if (!(h->a = cd_arena_new()))
        cd_lua_raise(L, "StoreError", "out of memory opening store '%s'", path);
    /* Calls that return large listings need the same blocks again and again: keeping them
     * saves a malloc, a free and fresh pages to fault in per call. */
    cd_arena_keep(h->a, HANDLE_ARENA_KEEP);

    cd_error err;
    cd_error_clear(&err);
    char real[PATH_MAX];
    if (realpath(path, real)) {            /* fails while the folder does not exist yet */
        push_handle_set(L, real);          /* 4 */
        cd_store *shared = find_open(L);
        if (shared && cd_open_shared(shared, &o, &h->s, &err))
            return raise_cd_error(L, &err);
        if (!shared && cd_open(path, &o, &h->s, &err))
            return raise_cd_error(L, &err);
    } else {
        int e = errno;
        if (e != ENOENT)
            cd_lua_raise(L, "StoreError", "cannot open store '%s': %s", path, strerror(e));
        if (cd_open(path, &o, &h->s, &err))
            return raise_cd_error(L, &err);
        push_handle_set(L, realpath(path, real) ? real : path);  /* 4 */
    }
    lua_pushvalue(L, 3);
    lua_pushboolean(L, 1);
    lua_rawset(L, 4);
    lua_settop(L, 3);
    return 1;
}

/* }------------------------------------------------------ */

/* }====================================================== */

static const luaL_Reg store_meta[] = {
    {"__gc", store_gc},
    {"__close", store_close},
    {"__tostring", store_tostring},
    {NULL, NULL},
};

static const luaL_Reg store_methods[] = {
    {"close", store_close},
    {"call", store_call},
    {"sync", store_sync},
    {"stat", store_stat},
    {"options", store_options},
    {"path", store_path},
    {"is_open", store_is_open},
    {NULL, NULL},
};

static const luaL_Reg core_funcs[] = {
    {"open", l_open},
    {"new_error", l_new_error},
    {"echo", l_echo},
    {NULL, NULL},
};

int luaopen_clouddir_core(lua_State *L);

int luaopen_clouddir_core(lua_State *L)
{
    luaL_newlib(L, core_funcs);

    /* error values */
    luaL_newmetatable(L, ERROR_MT);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_setfield(L, -2, "error_mt");

    /* per-call arenas of re-entrant calls */
    luaL_newmetatable(L, ARENA_MT);
    lua_pushcfunction(L, arena_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    /* store handles: metamethods in the metatable, methods in a separate __index table.
     * Loaded again in the same state (package.loaded cleared), the methods table is kept,
     * so methods the Lua side added stay and existing handles keep working. */
    luaL_newmetatable(L, STORE_MT);
    luaL_setfuncs(L, store_meta, 0);
    if (lua_getfield(L, -1, "__index") != LUA_TTABLE) {  /* first load in this state */
        lua_pop(L, 1);
        lua_newtable(L);
    }
    luaL_setfuncs(L, store_methods, 0);
    cd_lua_loader_open(L, -1);   /* store:loader (lua_loader.c) */
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__index");
    lua_setfield(L, -3, "store_methods");
    lua_setfield(L, -2, "store_mt");

    lua_createtable(L, CD_OP__COUNT, 0);
    for (int op = 0; op < CD_OP__COUNT; op++) {
        lua_pushstring(L, cd_op_name(op));
        lua_rawseti(L, -2, op + 1);
    }
    lua_setfield(L, -2, "operations");

    lua_pushliteral(L, CLOUDDIR_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushliteral(L, "clouddir.core " CLOUDDIR_VERSION);
    lua_setfield(L, -2, "_VERSION");
    lua_pushstring(L, cd_kv_version());
    lua_setfield(L, -2, "lmdb_version");

    /* json_encode, json_decode, json_null, json_array_mt (lua_json.c) */
    cd_lua_json_open(L, -1);
    return 1;
}
