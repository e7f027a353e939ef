/* lua_json.c — JSON text for Lua, through Jansson: clouddir.core.json_encode / json_decode.
 *
 * The clouddir binary embeds only our own Lua files, so Lua code that reads or writes JSON
 * (schema documents, the schema commands) uses the Jansson the engine already links.
 *
 *   core.json_encode(value [, opts]) -> text
 *   core.json_decode(text) -> value
 *   core.json_null          the value JSON null decodes to (and encodes from)
 *   core.json_array_mt      the metatable json_decode gives arrays (marks an empty table as [])
 *
 * Lua -> JSON: string -> string (must be UTF-8; NUL bytes are fine), integer -> integer,
 * float -> number with a fraction or exponent (3.0 stays "3.0"; NaN and infinities are
 * refused), boolean, json_null -> null.  A table is an array when its metatable has
 * __json = "array" or when it is non-empty with exactly the keys 1..n; an object when its
 * metatable has __json = "object" or its keys are all strings (the empty table is {}).
 * Object keys come out sorted bytewise, except that the keys listed in opts.first come
 * first, in that order, wherever they occur.  Floats are written with the fewest digits that
 * read back as the same number.  opts: pretty (true, or the indent width), first (list of
 * keys), ascii (escape everything beyond ASCII).
 *
 * Keys may not hold NUL bytes (Jansson reads none back); strings may.
 *
 * JSON -> Lua: objects -> tables, arrays -> tables with json_array_mt, integers -> integers
 * (outside 64 bits: an error, nothing is rounded), other numbers -> floats, null ->
 * json_null.  Duplicate keys are an error; "\u0000" is allowed.
 *
 * Every failure is a clouddir error value with code ValidationException whose message says
 * where: "json_encode: $.facets.Person[2]: ..." or Jansson's line and column.  Nesting deeper
 * than MAX_DEPTH levels (a cycle, when encoding) is refused the same way.
 *
 * Ownership: the Jansson tree being built or read belongs to a box userdata on the Lua stack
 * whose __gc frees it, so a Lua error raised halfway (out of memory) leaks nothing.  Each
 * new node is attached to its parent before the next Lua call. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <lua.h>
#include <lauxlib.h>
#include "lua_json.h"

#define BOX_MT "clouddir.json_box"
#define ARRAY_MT "clouddir.json_array"
#define ERROR_MT "clouddir.error"   /* lua_core.c's error values */
#define MAX_DEPTH 512
#define MAX_FIRST 16                 /* keys opts.first may list */

typedef struct box {
    json_t *root;
} box;

static int box_gc(lua_State *L)
{
    box *b = luaL_checkudata(L, 1, BOX_MT);
    json_decref(b->root);
    b->root = NULL;
    return 0;
}

static box *push_box(lua_State *L)
{
    box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->root = NULL;
    luaL_setmetatable(L, BOX_MT);
    return b;
}

static void box_free(box *b)
{
    json_decref(b->root);
    b->root = NULL;
}

/* Raises a ValidationException error value with msg. */
static int raise_validation(lua_State *L, const char *msg)
{
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "ValidationException");
    lua_setfield(L, -2, "code");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    luaL_setmetatable(L, ERROR_MT);
    return lua_error(L);
}

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* {====================================================== encoding */

/* One step of the path to the value being encoded: a key or a 1-based index. */
typedef struct step {
    const char *key;   /* NULL for an array index */
    size_t keylen;
    lua_Integer index;
} step;

typedef struct encoder {
    lua_State *L;
    step path[MAX_DEPTH + 1];
    int depth;
    int precision;                      /* digits the floats need so far */
    struct { const char *p; size_t n; } first[MAX_FIRST];
    int nfirst;
    char err[512];
} encoder;

/* Appends key to buf as a readable path segment: at most 64 bytes; control bytes, and every
 * byte beyond ASCII when the key is not UTF-8, as \xNN. */
static size_t put_key(char *buf, size_t cap, const char *key, size_t n)
{
    int utf8 = utf8_ok((const unsigned char *)key, n);
    size_t used = 0;
    for (size_t i = 0; i < n && i < 64 && used + 5 < cap; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            used += (size_t)snprintf(buf + used, cap - used, "\\x%02X", c);
        else
            buf[used++] = (char)c;
    }
    buf[used] = '\0';
    return used;
}

/* Writes "json_encode: $.a.b[3]: <what>" into e->err (deep paths keep their last steps);
 * returns -1. */
static int enc_fail(encoder *e, const char *what)
{
    size_t cap = sizeof e->err - 160, used;
    int start = e->depth > 10 ? e->depth - 8 : 0;
    used = (size_t)snprintf(e->err, cap, start ? "json_encode: $<%d levels>" : "json_encode: $",
                            start);
    for (int i = start; i < e->depth && used + 8 < cap; i++) {
        const step *s = &e->path[i];
        if (s->key) {
            e->err[used++] = '.';
            used += put_key(e->err + used, cap - used, s->key, s->keylen);
        } else {
            used += (size_t)snprintf(e->err + used, cap - used, "[%lld]", (long long)s->index);
        }
    }
    snprintf(e->err + used, sizeof e->err - used, ": %s", what);
    return -1;
}

/* The fewest significant digits (1..17) that read back as x. */
static int digits_for(double x)
{
    char buf[40];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            return p;
    }
    return 17;
}

/* The metatable's __json field of the table at idx: 'a' (array), 'o' (object) or 0. */
static int declared_kind(lua_State *L, int idx)
{
    int kind = 0;
    if (luaL_getmetafield(L, idx, "__json") != LUA_TNIL) {
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            kind = strcmp(k, "array") == 0 ? 'a' : strcmp(k, "object") == 0 ? 'o' : 0;
        }
        lua_pop(L, 1);
    }
    return kind;
}

typedef struct keyref {
    const char *p;
    size_t n;
    int rank;                          /* position in opts.first, or MAX_FIRST */
} keyref;

static int keyref_cmp(const void *x, const void *y)
{
    const keyref *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    int c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Where a new value goes: the box (parent NULL), the end of an array, or a key of an
 * object.  Attaching first means the box owns every node from the moment it exists. */
typedef struct slot {
    box *b;
    json_t *parent;
    const char *key;
    size_t keylen;
} slot;

static int attach(encoder *e, const slot *at, json_t *v)
{
    if (!v)
        return enc_fail(e, "out of memory");
    int rc = !at->parent ? (at->b->root = v, 0)
             : json_is_array(at->parent) ? json_array_append_new(at->parent, v)
             : json_object_setn_new_nocheck(at->parent, at->key, at->keylen, v);
    return rc ? enc_fail(e, "out of memory") : 0;
}

static int encode_value(encoder *e, int idx, const slot *at);

static int encode_array(encoder *e, int idx, json_t *arr, lua_Integer n)
{
    lua_State *L = e->L;
    slot at = {NULL, arr, NULL, 0};
    for (lua_Integer i = 1; i <= n; i++) {
        e->path[e->depth].key = NULL;
        e->path[e->depth].index = i;
        e->depth++;
        lua_rawgeti(L, idx, i);
        if (encode_value(e, lua_gettop(L), &at))
            return -1;
        lua_pop(L, 1);
        e->depth--;
    }
    return 0;
}

static int encode_object(encoder *e, int idx, json_t *obj)
{
    lua_State *L = e->L;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n++;
    }
    /* The keys, sorted; the array lives in a userdata the collector frees. */
    keyref *keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof *keys, 0);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return enc_fail(e, "a table must have only string keys (an object) or only the "
                               "keys 1..n (an array)");
        keys[k].p = lua_tolstring(L, -1, &keys[k].n);   /* the table keeps the string alive */
        keys[k].rank = MAX_FIRST;
        for (int f = 0; f < e->nfirst; f++)
            if (e->first[f].n == keys[k].n && memcmp(e->first[f].p, keys[k].p, keys[k].n) == 0)
                keys[k].rank = f;
        k++;
    }
    qsort(keys, n, sizeof *keys, keyref_cmp);
    for (size_t i = 0; i < n; i++) {
        slot at = {NULL, obj, keys[i].p, keys[i].n};
        e->path[e->depth].key = keys[i].p;
        e->path[e->depth].keylen = keys[i].n;
        e->depth++;
        if (!utf8_ok((const unsigned char *)keys[i].p, keys[i].n))
            return enc_fail(e, "the key is not valid UTF-8");
        if (memchr(keys[i].p, '\0', keys[i].n))   /* Jansson could not read it back */
            return enc_fail(e, "a key with a NUL byte has no JSON form here");
        lua_pushlstring(L, keys[i].p, keys[i].n);
        lua_rawget(L, idx);
        if (encode_value(e, lua_gettop(L), &at))
            return -1;
        lua_pop(L, 1);
        e->depth--;
    }
    lua_pop(L, 1);   /* the keys */
    return 0;
}

/* The length n when the table at idx has exactly the keys 1..n, 0 when it is empty, -1
 * when it has other keys. */
static lua_Integer sequence_length(lua_State *L, int idx)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > n) {
            lua_pop(L, 1);
            return -1;
        }
        count++;
    }
    return count == n ? n : -1;
}

/* Encodes the Lua value at idx into the slot.  Returns 0, or -1 with e->err set (the stack
 * is then left as it is: the caller raises). */
static int encode_value(encoder *e, int idx, const slot *at)
{
    lua_State *L = e->L;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (!utf8_ok((const unsigned char *)s, n))
            return enc_fail(e, "the string is not valid UTF-8 (binary data needs an encoding, "
                               "such as base64)");
        return attach(e, at, json_stringn_nocheck(s, n));
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return attach(e, at, json_integer((json_int_t)lua_tointeger(L, idx)));
        double x = lua_tonumber(L, idx);
        if (!isfinite(x))
            return enc_fail(e, "NaN and infinities have no JSON form");
        int p = digits_for(x);
        if (p > e->precision)
            e->precision = p;
        return attach(e, at, json_real(x));
    case LUA_TBOOLEAN:
        return attach(e, at, json_boolean(lua_toboolean(L, idx)));
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL)
            return attach(e, at, json_null());
        return enc_fail(e, "a light userdata has no JSON form (only json_null)");
    case LUA_TTABLE: {
        if (e->depth >= MAX_DEPTH)
            return enc_fail(e, "tables nested deeper than 512 levels (a cycle?)");
        if (!lua_checkstack(L, 8))
            return enc_fail(e, "out of Lua stack");
        int kind = declared_kind(L, idx);
        lua_Integer n = kind == 'o' ? -1 : sequence_length(L, idx);
        if (kind == 'a' && n < 0)
            return enc_fail(e, "a table marked as an array must have only the keys 1..n");
        if (kind == 'a' || n > 0) {
            json_t *arr = json_array();
            return attach(e, at, arr) ? -1 : encode_array(e, idx, arr, n);
        }
        json_t *obj = json_object();
        return attach(e, at, obj) ? -1 : encode_object(e, idx, obj);
    }
    default:
        return enc_fail(e, lua_pushfstring(L, "a %s has no JSON form", luaL_typename(L, idx)));
    }
}

static int l_json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 2);
    size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
    encoder *e = lua_newuserdatauv(L, sizeof *e, 0);   /* 3: too big for the C stack */
    memset(e, 0, sizeof *e);
    e->L = L;
    if (!lua_isnil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        int t = lua_getfield(L, 2, "pretty");
        if (t == LUA_TNUMBER) {
            lua_Integer w = lua_tointeger(L, -1);
            luaL_argcheck(L, w >= 0 && w <= 31, 2, "pretty: an indent width 0..31 expected");
            flags = JSON_ENCODE_ANY | JSON_INDENT((size_t)w);
        } else if (lua_toboolean(L, -1)) {
            flags = JSON_ENCODE_ANY | JSON_INDENT(2);
        }
        lua_pop(L, 1);
        lua_getfield(L, 2, "ascii");
        if (lua_toboolean(L, -1))
            flags |= JSON_ENSURE_ASCII;
        lua_pop(L, 1);
        if (lua_getfield(L, 2, "first") == LUA_TTABLE) {   /* 4: kept on the stack */
            lua_Integer n = (lua_Integer)lua_rawlen(L, 4);
            luaL_argcheck(L, n <= MAX_FIRST, 2, "first: at most 16 keys");
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, 4, i);
                luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 2, "first: a list of strings expected");
                e->first[e->nfirst].p = lua_tolstring(L, -1, &e->first[e->nfirst].n);
                e->nfirst++;
                lua_pop(L, 1);   /* the list keeps the string alive */
            }
        } else if (!lua_isnil(L, 4)) {
            luaL_argerror(L, 2, "first: a list of strings expected");
        }
    }
    box *b = push_box(L);
    slot top = {b, NULL, NULL, 0};
    if (encode_value(e, 1, &top)) {
        box_free(b);
        return raise_validation(L, e->err);
    }
    flags |= JSON_REAL_PRECISION(e->precision ? e->precision : 17);
    size_t n = json_dumpb(b->root, NULL, 0, flags);
    if (n == 0) {
        box_free(b);
        return raise_validation(L, "json_encode: the value cannot be written");
    }
    luaL_Buffer buf;
    char *p = luaL_buffinitsize(L, &buf, n);
    if (json_dumpb(b->root, p, n, flags) != n) {
        box_free(b);
        return raise_validation(L, "json_encode: the value cannot be written");
    }
    luaL_pushresultsize(&buf, n);
    box_free(b);
    return 1;
}

/* }====================================================== */

/* {====================================================== decoding */

static void decode_value(lua_State *L, json_t *v, int depth)
{
    if (depth > MAX_DEPTH)
        raise_validation(L, "json_decode: nested deeper than 512 levels");
    luaL_checkstack(L, 4, "json_decode: nesting too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            lua_pushlstring(L, json_object_iter_key(it), json_object_iter_key_len(it));
            decode_value(L, json_object_iter_value(it), depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            decode_value(L, json_array_get(v, i), depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        luaL_setmetatable(L, ARRAY_MT);
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        lua_pushboolean(L, json_is_true(v));
        break;
    case JSON_NULL:
        lua_pushlightuserdata(L, NULL);
        break;
    }
}

static int l_json_decode(lua_State *L)
{
    size_t n;
    const char *text = luaL_checklstring(L, 1, &n);
    box *b = push_box(L);
    json_error_t je;
    b->root = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
                         &je);
    if (!b->root) {
        char msg[JSON_ERROR_TEXT_LENGTH + 96];
        snprintf(msg, sizeof msg, "json_decode: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return raise_validation(L, msg);
    }
    decode_value(L, b->root, 1);
    box_free(b);
    return 1;
}

/* }====================================================== */

void cd_lua_json_open(lua_State *L, int table_index)
{
    table_index = lua_absindex(L, table_index);
    if (luaL_newmetatable(L, BOX_MT)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, ARRAY_MT)) {
        lua_pushliteral(L, "array");
        lua_setfield(L, -2, "__json");
    }
    lua_setfield(L, table_index, "json_array_mt");
    lua_pushcfunction(L, l_json_encode);
    lua_setfield(L, table_index, "json_encode");
    lua_pushcfunction(L, l_json_decode);
    lua_setfield(L, table_index, "json_decode");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, table_index, "json_null");
}
