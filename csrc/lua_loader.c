/* lua_loader.c — the bulk loader of clouddir.core: store:loader(directory_arn[, options]).
 *
 * A loader collects BatchWrite operations and sends them as one BatchWrite per `batch`
 * operations (default 10,000).  Two things make it faster than building BatchWrite requests
 * in Lua and calling them one after the other:
 *  - loader:create(parent, link, { Facet = { attribute = value } }) turns its row straight
 *    into the CreateObject operation in C: no AWS-shaped Lua tables are built, converted and
 *    collected, and the facet and attribute-key parts are made once per loader and shared;
 *  - a full batch is written by a worker thread (pipeline.c) while Lua goes on building the
 *    next one, so on a machine with two cores Lua and the engine run side by side.
 * loader:add(operation) takes any AWS-shaped BatchWrite operation ({ CreateObject = {...} },
 * { AttachTypedLink = {...} }, ...), converted as store:call converts requests.
 *
 * Each batch is one BatchWrite: atomic by itself, committed before the next one starts.
 * Batches are not atomic together: when one fails, the ones before it stay written, nothing
 * more is sent, and the failure is raised by the loader call that finds it (create, add or
 * finish) as the BatchWriteException, with two more fields: step (the 1-based number of the
 * failing operation among all the loader's operations) and batch (1-based); a request-check
 * failure (ValidationException naming 'Operations[i]') gets the step too.  The loader is
 * then failed: every later call raises that error again.
 *
 * loader:finish() sends what is left, waits, and returns the number of operations written;
 * afterwards the loader takes nothing more.  A loader closed (<close>, loader:close() or
 * collected) without finish abandons the operations not yet sent and waits for the batch in
 * flight, which completes.
 *
 * Options: batch (operations per BatchWrite, 1..10,000,000), on_commit (function(first, ids)
 * called on the Lua side after each batch is written: first is the 1-based step of its first
 * operation, ids a list of the ObjectIdentifier of each operation that has one, false for
 * the others; without it responses are not converted at all), and for create: describe
 * (function(facet) -> schema_arn, facet_name, types, where types maps attribute names to
 * their declared type) and to_api (function(type, value) -> TypedAttributeValue) for values
 * the common cases below do not cover, and null (a value that means "no value": skipped).
 *
 * Memory: operations are built in two arenas, the batch being built and the batch in flight;
 * facet and key parts in a third one that lives as long as the loader.  All three belong to
 * the loader userdata, so an error raised halfway through a row leaks nothing. */
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lua_core.h"
#include "operations.h"
#include "pipeline.h"

#define LOADER_MT "clouddir.loader"
#define DEFAULT_BATCH 10000
#define MAX_BATCH 10000000
#define SLOT_KEEP ((size_t)64 << 20)   /* bytes of blocks a batch arena keeps between batches */

/* User values of the loader userdata. */
enum { UV_STORE = 1, UV_OPTIONS, UV_KEEP, UV_ERROR, UV_COUNT = UV_ERROR };

enum { T_UNKNOWN, T_STRING, T_NUMBER, T_BOOLEAN, T_DATETIME, T_BINARY, T_VARIANT };
static const char *const type_names[] = {NULL, "STRING", "NUMBER", "BOOLEAN", "DATETIME",
                                         "BINARY", "VARIANT"};

typedef struct attr_ent {
    const char *name;      /* a Lua string kept alive in UV_KEEP */
    size_t len;
    int type;
    cd_value *key;         /* the shared AttributeKey */
} attr_ent;

typedef struct facet_ent {
    const char *key;       /* the row's facet name: a Lua string kept alive in UV_KEEP */
    size_t len;
    cd_value *sf;          /* the shared SchemaFacet */
    cd_value *arn, *name;  /* its two members, shared by the facet's AttributeKeys too */
    attr_ent *attrs;       /* in keep, grown by doubling */
    size_t n, cap;
} facet_ent;

typedef struct loader {
    cd_pipeline *pipe;     /* NULL once closed */
    cd_arena *keep;        /* facet and key parts */
    cd_arena *slot[2];     /* [cur]: the batch being built; [!cur]: the batch in flight */
    int cur;
    cd_value **ops;        /* the batch being built (in slot[cur]), room for `batch` */
    size_t n;              /* operations in it */
    size_t batch;
    cd_value *dir;         /* DirectoryArn, in keep */
    size_t sent;           /* operations handed to the worker so far */
    size_t written;        /* operations of batches that committed */
    size_t flight_first, flight_n, batches;
    facet_ent *facets;     /* in keep */
    size_t nf, capf;
    bool failed, finished;
    bool busy;             /* one of its callbacks is running: the loader refuses to be used */
    bool broken;           /* an error escaped while its state was being changed */
} loader;

/* {====================================================== small helpers */

static void oom(lua_State *L) { cd_lua_raise(L, "StoreError", "out of memory"); }

/* A map of n members whose names are static strings (no copies). */
static cd_value *map_n(lua_State *L, cd_arena *a, size_t n)
{
    cd_value *m = cd_map(a);
    cd_mapent *e = cd_arena_alloc(a, n * sizeof *e);
    if (!m || !e)
        oom(L);
    m->u.map.ents = e;
    m->u.map.cap = n;
    m->u.map.n = 0;
    return m;
}

static void put(cd_value *m, const char *key, size_t keylen, cd_value *v)
{
    cd_mapent *e = &m->u.map.ents[m->u.map.n++];
    e->key = key;
    e->keylen = keylen;
    e->val = v;
}
#define PUT(m, lit, v) put((m), lit, sizeof lit - 1, (v))

static cd_value *str(lua_State *L, cd_arena *a, const char *p, size_t n)
{
    cd_value *v = cd_str(a, p, n);
    if (!v)
        oom(L);
    return v;
}

/* arr (n entries of size each, room for *cap) with room for one more, grown by doubling in
 * arena a; the old array stays valid (arenas never free). */
static void *room_for_one(lua_State *L, cd_arena *a, void *arr, size_t n, size_t *cap,
                          size_t size)
{
    if (n < *cap)
        return arr;
    size_t grown_cap = *cap ? *cap * 2 : 8;
    void *grown = cd_arena_alloc(a, grown_cap * size);
    if (!grown)
        oom(L);
    if (n)
        memcpy(grown, arr, n * size);
    *cap = grown_cap;
    return grown;
}

static loader *check_loader(lua_State *L)
{
    return (loader *)luaL_checkudata(L, 1, LOADER_MT);
}

/* Keeps the Lua value at idx alive as long as the loader (its bytes are pointed at). */
static void keep_alive(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getiuservalue(L, 1, UV_KEEP);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

/* Pushes option `name` of the loader. */
static int get_option(lua_State *L, const char *name)
{
    lua_getiuservalue(L, 1, UV_OPTIONS);
    int t = lua_getfield(L, -1, name);
    lua_remove(L, -2);
    return t;
}

/* }====================================================== */

/* {====================================================== batches */

/* Raises the loader's stored error (it failed earlier). */
static int raise_stored(lua_State *L)
{
    lua_getiuservalue(L, 1, UV_ERROR);
    return lua_error(L);
}

/* Makes the error value on top of the stack the loader's own: every later call raises it. */
static int fail_with(lua_State *L, loader *l)
{
    l->failed = true;
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, UV_ERROR);
    return lua_error(L);
}

/* Calls a Lua callback (describe, to_api, __selector, on_commit) with nargs arguments on
 * the stack above it.  While it runs the loader refuses every use (a callback that closed
 * or fed the loader would pull its state from under the C code that called it); its
 * errors come through unchanged. */
static void callback(lua_State *L, loader *l, int nargs, int nresults)
{
    l->busy = true;
    int rc = lua_pcall(L, nargs, nresults, 0);
    l->busy = false;
    if (rc != LUA_OK)
        lua_error(L);
}

/* A fresh batch in slot[cur]. */
static void new_batch(lua_State *L, loader *l)
{
    cd_arena_reset(l->slot[l->cur]);
    l->ops = cd_arena_alloc(l->slot[l->cur], l->batch * sizeof *l->ops);
    if (!l->ops)
        oom(L);
    l->n = 0;
}

/* Whether a request-check message names one operation of the batch ("Value at
 * 'Operations[3].AttachObject...'"): its 0-based index in *at. */
static bool operation_named(const char *message, size_t *at)
{
    const char *p = strstr(message, "'Operations[");
    if (!p)
        return false;
    char *end;
    unsigned long long i = strtoull(p + 12, &end, 10);
    if (end == p + 12 || *end != ']')
        return false;
    *at = (size_t)i;
    return true;
}

/* Waits for the batch in flight (if any) and hands its ids to on_commit, then sends the
 * batch being built (if start and it has operations).  on_commit runs while nothing is in
 * flight and before the next batch goes, so a failed batch and an on_commit error both
 * leave the loader failed with nothing more sent.  An error while the next batch is being
 * handed over (out of memory, no thread) leaves it broken. */
static void cycle(lua_State *L, loader *l, bool start)
{
    if (cd_pipeline_busy(l->pipe)) {
        cd_value *resp;
        cd_error err;
        int rc = cd_pipeline_wait(l->pipe, &resp, &err);
        size_t first = l->flight_first, n = l->flight_n;
        l->flight_n = 0;
        if (rc) {
            cd_lua_push_cd_error(L, &err);
            size_t at;
            if (err.code == CD_E_BatchWriteException || operation_named(err.message, &at)) {
                if (err.code == CD_E_BatchWriteException)
                    at = (size_t)err.index;
                lua_pushinteger(L, (lua_Integer)(first + at));
                lua_setfield(L, -2, "step");
            }
            lua_pushinteger(L, (lua_Integer)l->batches);
            lua_setfield(L, -2, "batch");
            fail_with(L, l);
        }
        l->written += n;
        if (get_option(L, "on_commit") != LUA_TNIL) {
            const cd_value *list = cd_get(resp, "Responses");
            lua_pushinteger(L, (lua_Integer)first);
            lua_createtable(L, (int)n, 0);
            for (size_t i = 0; list && list->type == CDV_LIST && i < list->u.list.n; i++) {
                const cd_value *r = list->u.list.items[i];
                const cd_value *id = NULL;
                if (r && r->type == CDV_MAP && r->u.map.n == 1 && r->u.map.ents[0].val)
                    id = cd_get(r->u.map.ents[0].val, "ObjectIdentifier");
                if (id && id->type == CDV_STRING)
                    lua_pushlstring(L, id->u.s.p, id->u.s.len);
                else
                    lua_pushboolean(L, 0);
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            }
            l->busy = true;
            rc = lua_pcall(L, 2, 0, 0);
            l->busy = false;
            if (rc != LUA_OK)
                fail_with(L, l);
        } else
            lua_pop(L, 1);
    }
    if (start && l->n > 0) {
        l->broken = true;   /* until the new batch is ready */
        cd_arena *a = l->slot[l->cur];
        cd_value *list = cd_list(a);
        cd_value *req = map_n(L, a, 2);
        if (!list)
            oom(L);
        list->u.list.items = l->ops;
        list->u.list.n = list->u.list.cap = l->n;
        PUT(req, "DirectoryArn", l->dir);
        PUT(req, "Operations", list);
        cd_error err;
        if (cd_pipeline_start(l->pipe, cd_op_lookup("BatchWrite"), req, a, &err)) {
            cd_lua_push_cd_error(L, &err);
            lua_error(L);
        }
        l->flight_first = l->sent + 1;
        l->flight_n = l->n;
        l->sent += l->n;
        l->batches++;
        l->cur ^= 1;
        new_batch(L, l);
        l->broken = false;
    }
}

/* The loader at argument 1, which must take operations; with need_store, its store must
 * be open too (create resolves facets through it). */
static loader *open_loader(lua_State *L, bool need_store)
{
    loader *l = check_loader(L);
    if (l->busy)
        cd_lua_raise(L, "StoreError", "the loader cannot be used from its own callbacks "
                     "(on_commit, describe, to_api, __selector)");
    if (l->failed)
        raise_stored(L);
    if (l->broken)
        cd_lua_raise(L, "StoreError", "this loader stopped after an error (out of memory or "
                     "no thread); close it and start another");
    if (!l->pipe || l->finished)
        cd_lua_raise(L, "StoreError", "this loader is %s", l->pipe ? "finished" : "closed");
    if (need_store) {
        lua_getiuservalue(L, 1, UV_STORE);
        cd_lua_store(L, -1);   /* raises when the store was closed */
        lua_pop(L, 1);
    }
    return l;
}

/* Makes room for one more operation: sends the batch being built when it is full.  Called
 * before an operation is built, so it is built in the arena of the batch it joins; a send
 * that raised is simply tried again by the next operation. */
static void make_room(lua_State *L, loader *l)
{
    if (l->n == l->batch)
        cycle(L, l, true);
}

/* }====================================================== */

/* {====================================================== rows */

/* The index in l->facets of the row's facet name at stack index idx (a string).  An entry
 * is published (l->nf) only once it is whole, so an error halfway leaves no trace. */
static size_t facet_of(lua_State *L, loader *l, int idx)
{
    size_t len;
    const char *key = lua_tolstring(L, idx, &len);
    for (size_t i = 0; i < l->nf; i++)
        if (l->facets[i].key == key ||
            (l->facets[i].len == len && memcmp(l->facets[i].key, key, len) == 0))
            return i;
    if (get_option(L, "describe") != LUA_TFUNCTION)
        cd_lua_raise(L, "ValidationException",
                     "loader:create needs the describe option (dir:loader sets it); use "
                     "loader:add with BatchWrite operations otherwise");
    lua_pushvalue(L, idx);
    callback(L, l, 1, 2);   /* schema ARN, facet name; raises for an unknown facet */
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        cd_lua_raise(L, "FacetValidationException", "facet %s could not be resolved", key);
    size_t arn_len, name_len;
    const char *arn = lua_tolstring(L, -2, &arn_len), *name = lua_tolstring(L, -1, &name_len);
    facet_ent f = {0};
    f.arn = str(L, l->keep, arn, arn_len);
    f.name = str(L, l->keep, name, name_len);
    f.sf = map_n(L, l->keep, 2);
    PUT(f.sf, "SchemaArn", f.arn);
    PUT(f.sf, "FacetName", f.name);
    lua_pop(L, 2);
    keep_alive(L, idx);
    f.key = key;
    f.len = len;
    l->facets = room_for_one(L, l->keep, l->facets, l->nf, &l->capf, sizeof *l->facets);
    l->facets[l->nf] = f;
    return l->nf++;
}

/* The attribute entry of attribute name (string at idx) of facet f, published (f->n) only
 * once it is whole. */
static attr_ent *attr_of(lua_State *L, loader *l, facet_ent *f, int idx)
{
    size_t len;
    const char *name = lua_tolstring(L, idx, &len);
    for (size_t i = 0; i < f->n; i++)
        if (f->attrs[i].name == name ||
            (f->attrs[i].len == len && memcmp(f->attrs[i].name, name, len) == 0))
            return &f->attrs[i];
    attr_ent e = {.name = name, .len = len, .type = T_UNKNOWN};
    get_option(L, "describe");
    lua_pushlstring(L, f->key, f->len);
    lua_pushvalue(L, idx);
    callback(L, l, 2, 1);   /* describe(facet, attribute) -> declared type or nil */
    if (lua_type(L, -1) == LUA_TSTRING)
        for (int t = T_STRING; t <= T_VARIANT; t++)
            if (strcmp(lua_tostring(L, -1), type_names[t]) == 0)
                e.type = t;
    lua_pop(L, 1);
    keep_alive(L, idx);
    e.key = map_n(L, l->keep, 3);
    PUT(e.key, "SchemaArn", f->arn);
    PUT(e.key, "FacetName", f->name);
    PUT(e.key, "Name", str(L, l->keep, name, len));
    f->attrs = room_for_one(L, l->keep, f->attrs, f->n, &f->cap, sizeof *f->attrs);
    f->attrs[f->n] = e;
    return &f->attrs[f->n++];
}

/* The TypedAttributeValue of the value at idx for an attribute of type t: the common cases
 * here, the rest through the to_api option (as the idiomatic batch converts values). */
static cd_value *typed_value(lua_State *L, loader *l, cd_arena *a, int t, int idx)
{
    cd_value *tv = map_n(L, a, 1);
    bool open = t == T_UNKNOWN || t == T_VARIANT;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *p = lua_tolstring(L, idx, &n);
        if (open || t == T_STRING)
            return PUT(tv, "StringValue", str(L, a, p, n)), tv;
        if (t == T_BINARY)
            return PUT(tv, "BinaryValue", str(L, a, p, n)), tv;
        if (t == T_NUMBER)
            return PUT(tv, "NumberValue", str(L, a, p, n)), tv;
        break;
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx) && (open || t == T_NUMBER)) {
            char buf[24];
            int n = snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
            return PUT(tv, "NumberValue", str(L, a, buf, (size_t)n)), tv;
        }
        break;
    case LUA_TBOOLEAN:
        if (open || t == T_BOOLEAN) {
            cd_value *b = cd_bool(a, lua_toboolean(L, idx));
            if (!b)
                oom(L);
            return PUT(tv, "BooleanValue", b), tv;
        }
        break;
    default:
        break;
    }
    if (get_option(L, "to_api") != LUA_TFUNCTION)
        cd_lua_raise(L, "ValidationException", "a %s value for a %s attribute needs the to_api "
                     "option (dir:loader sets it)", luaL_typename(L, idx),
                     type_names[t] ? type_names[t] : "VARIANT");
    if (type_names[t])
        lua_pushstring(L, type_names[t]);
    else
        lua_pushnil(L);
    lua_pushvalue(L, idx);
    callback(L, l, 2, 1);
    cd_value *v = cd_lua_request_value(L, lua_gettop(L), a);
    lua_pop(L, 1);
    return v;
}

/* A selector argument: a string, or anything with a __selector metamethod (object handles,
 * batch placeholders).  Returns { Selector = ... } in arena a. */
static cd_value *selector_arg(lua_State *L, loader *l, cd_arena *a, int idx, const char *what)
{
    if (lua_type(L, idx) != LUA_TSTRING) {
        if (luaL_getmetafield(L, idx, "__selector") == LUA_TNIL)
            cd_lua_raise(L, "ValidationException", "loader:create: the %s must be a selector "
                         "(\"/path\", \"$id\", \"#name\") or an object, got %s", what,
                         luaL_typename(L, idx));
        lua_pushvalue(L, idx);
        callback(L, l, 1, 1);
        lua_replace(L, idx);
        if (lua_type(L, idx) != LUA_TSTRING)
            cd_lua_raise(L, "ValidationException", "loader:create: the %s's __selector gave %s, "
                         "not a string", what, luaL_typename(L, idx));
    }
    size_t n;
    const char *p = lua_tolstring(L, idx, &n);
    cd_value *ref = map_n(L, a, 1);
    PUT(ref, "Selector", str(L, a, p, n));
    return ref;
}

/* A facet of the row being read: its entry and the stack index of its values table. */
typedef struct row_facet {
    loader *l;
    size_t f;
    int vals;
} row_facet;

static int cmp_row_facet(const void *x, const void *y)
{
    const row_facet *p = x, *q = y;
    const facet_ent *a = &p->l->facets[p->f], *b = &q->l->facets[q->f];
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

#define ROW_FACETS 16   /* facets one row may carry */

/* loader:create(parent, link, values) | loader:create(values): a CreateObject operation.
 * values: { Facet = { attribute = value } }.  Returns the operation's step number. */
static int loader_create(lua_State *L)
{
    loader *l = open_loader(L, true);
    int vals = 4;
    if (lua_gettop(L) <= 2) {   /* create(values): an object outside the tree */
        lua_settop(L, 2);
        vals = 2;
    } else
        lua_settop(L, 4);
    if (!lua_istable(L, vals))
        cd_lua_raise(L, "ValidationException",
                     "loader:create: facet values table expected ({ Facet = { attribute = value } }), got %s",
                     luaL_typename(L, vals));
    make_room(L, l);
    cd_arena *a = l->slot[l->cur];
    cd_value *parent = NULL, *link = NULL;
    if (vals == 4) {
        parent = selector_arg(L, l, a, 2, "parent");
        if (lua_type(L, 3) != LUA_TSTRING)
            cd_lua_raise(L, "ValidationException", "loader:create: link name (a string) expected, "
                         "got %s", luaL_typename(L, 3));
        size_t n;
        const char *p = lua_tolstring(L, 3, &n);
        link = str(L, a, p, n);
    }
    get_option(L, "null");
    int null = lua_gettop(L);

    /* Pass 1: the facets, each values table kept on the stack for pass 2 (callbacks run in
     * between and may change the row: pass 2 reads what pass 1 saw, and checks its count). */
    luaL_checkstack(L, ROW_FACETS + 8, "loader:create");
    row_facet used[ROW_FACETS];
    size_t nf = 0, nv = 0;
    lua_pushnil(L);
    while (lua_next(L, vals)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            cd_lua_raise(L, "FacetValidationException", "facet names are strings, got %s",
                         luaL_typename(L, -2));
        if (!lua_istable(L, -1))
            cd_lua_raise(L, "ValidationException", "the values of facet %s must be a table of "
                         "attribute = value, got %s", lua_tostring(L, -2), luaL_typename(L, -1));
        if (lua_getmetatable(L, -1))
            cd_lua_raise(L, "ValidationException", "the values of facet %s must be a plain table "
                         "of attribute = value (this one has a metatable)", lua_tostring(L, -3));
        if (nf == ROW_FACETS)
            cd_lua_raise(L, "ValidationException", "loader:create: more than %d facets in one row",
                         ROW_FACETS);
        size_t f = facet_of(L, l, lua_gettop(L) - 1);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            nv++;
            lua_pop(L, 1);
        }
        /* keep the values table below the key: key, vals -> vals, key */
        lua_insert(L, -2);
        used[nf++] = (row_facet){l, f, lua_gettop(L) - 1};
    }
    if (nf > 1)
        qsort(used, nf, sizeof *used, cmp_row_facet);

    /* Pass 2: the attribute list, facet by facet in name order. */
    cd_value *sfs = cd_list(a), *attrs = cd_list(a);
    cd_value **sfi = cd_arena_alloc(a, (nf ? nf : 1) * sizeof *sfi);
    cd_value **avi = cd_arena_alloc(a, (nv ? nv : 1) * sizeof *avi);
    if (!sfs || !attrs || !sfi || !avi)
        oom(L);
    size_t k = 0;
    for (size_t i = 0; i < nf; i++) {
        facet_ent *f = &l->facets[used[i].f];
        sfi[i] = f->sf;
        int t = used[i].vals;
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                cd_lua_raise(L, "FacetValidationException", "attribute names of facet %s are "
                             "strings, got %s", f->key, luaL_typename(L, -2));
            if (!lua_rawequal(L, -1, null)) {
                attr_ent *e = attr_of(L, l, f, lua_gettop(L) - 1);
                cd_value *ent = map_n(L, a, 2);
                PUT(ent, "Key", e->key);
                PUT(ent, "Value", typed_value(L, l, a, e->type, lua_gettop(L)));
                f = &l->facets[used[i].f];   /* (entries never move, but stay exact) */
                if (k == nv)
                    cd_lua_raise(L, "ValidationException", "loader:create: the row changed "
                                 "while it was being read");
                avi[k++] = ent;
            }
            lua_pop(L, 1);
        }
    }
    sfs->u.list.items = sfi;
    sfs->u.list.n = sfs->u.list.cap = nf;
    attrs->u.list.items = avi;
    attrs->u.list.n = attrs->u.list.cap = k;

    cd_value *body = map_n(L, a, 4), *op = map_n(L, a, 1);
    PUT(body, "SchemaFacet", sfs);
    PUT(body, "ObjectAttributeList", attrs);
    if (parent) {
        PUT(body, "ParentReference", parent);
        PUT(body, "LinkName", link);
    }
    PUT(op, "CreateObject", body);
    l->ops[l->n++] = op;
    lua_pushinteger(L, (lua_Integer)(l->sent + l->n));
    return 1;
}

/* loader:add(operation): any AWS-shaped BatchWrite operation.  Returns its step number. */
static int loader_add(lua_State *L)
{
    loader *l = open_loader(L, true);
    luaL_checktype(L, 2, LUA_TTABLE);
    make_room(L, l);
    cd_value *op = cd_lua_request_value(L, 2, l->slot[l->cur]);
    l->ops[l->n++] = op;
    lua_pushinteger(L, (lua_Integer)(l->sent + l->n));
    return 1;
}

/* }====================================================== */

/* {====================================================== the userdata */

/* loader:finish() -> operations written.  Sends what is left and waits. */
static int loader_finish(lua_State *L)
{
    loader *l = open_loader(L, false);
    cycle(L, l, true);    /* waits for the batch in flight, sends the last one */
    cycle(L, l, false);   /* waits for it */
    l->finished = true;
    lua_pushinteger(L, (lua_Integer)l->written);
    return 1;
}

/* Stops the loader: waits for the batch in flight (its outcome is dropped) and frees. */
static void stop(loader *l)
{
    cd_pipeline_free(l->pipe);
    l->pipe = NULL;
    for (int i = 0; i < 2; i++) {
        cd_arena_free(l->slot[i]);
        l->slot[i] = NULL;
    }
    cd_arena_free(l->keep);
    l->keep = NULL;
}

static int loader_close(lua_State *L)
{
    loader *l = check_loader(L);
    if (l->busy)   /* (never from __gc: the loader is on the stack while it is busy) */
        cd_lua_raise(L, "StoreError", "the loader cannot be closed from its own callbacks");
    stop(l);
    return 0;
}

static int loader_count(lua_State *L)
{
    loader *l = check_loader(L);
    lua_pushinteger(L, (lua_Integer)(l->sent + l->n));
    lua_pushinteger(L, (lua_Integer)l->written);
    return 2;
}

static int loader_tostring(lua_State *L)
{
    loader *l = check_loader(L);
    const char *state = l->failed ? "failed" : !l->pipe ? "closed" : l->finished ? "finished" : "open";
    lua_pushfstring(L, "clouddir.loader (%s, %d operations, %d written)", state,
                    (int)(l->sent + l->n), (int)l->written);
    return 1;
}

/* store:loader(directory_arn[, options]) -> loader */
static int store_loader(lua_State *L)
{
    cd_store *s = cd_lua_store(L, 1);
    size_t dn;
    const char *dir = luaL_checklstring(L, 2, &dn);
    lua_settop(L, 3);
    if (lua_isnil(L, 3)) {
        lua_newtable(L);
        lua_replace(L, 3);
    }
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_Integer batch = DEFAULT_BATCH;
    if (lua_getfield(L, 3, "batch") != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > MAX_BATCH)
            cd_lua_raise(L, "ValidationException", "loader: batch must be an integer in 1..%d",
                         MAX_BATCH);
        batch = lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    static const char *const fns[] = {"on_commit", "describe", "to_api"};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        int t = lua_getfield(L, 3, fns[i]);
        if (t != LUA_TNIL && t != LUA_TFUNCTION)
            cd_lua_raise(L, "ValidationException", "loader: %s must be a function, got %s",
                         fns[i], lua_typename(L, t));
        lua_pop(L, 1);
    }

    loader *l = (loader *)lua_newuserdatauv(L, sizeof *l, UV_COUNT);
    memset(l, 0, sizeof *l);
    luaL_setmetatable(L, LOADER_MT);
    l->batch = (size_t)batch;
    l->keep = cd_arena_new();
    l->slot[0] = cd_arena_new();
    l->slot[1] = cd_arena_new();
    if (!l->keep || !l->slot[0] || !l->slot[1] || !(l->dir = cd_str(l->keep, dir, dn)))
        oom(L);
    /* Each batch needs about as much as the one before: keep the blocks rather than give
     * them back and fault fresh pages in for every batch. */
    cd_arena_keep(l->slot[0], SLOT_KEEP);
    cd_arena_keep(l->slot[1], SLOT_KEEP);
    cd_error err;
    if (cd_pipeline_new(s, &l->pipe, &err)) {
        cd_lua_push_cd_error(L, &err);
        return lua_error(L);
    }
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, UV_STORE);
    lua_createtable(L, 0, 4);   /* a copy of the options: later changes do not apply */
    lua_pushnil(L);
    while (lua_next(L, 3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_setiuservalue(L, -2, UV_OPTIONS);
    lua_newtable(L);
    lua_setiuservalue(L, -2, UV_KEEP);
    /* The loader is the first argument of the helpers above (they use index 1). */
    lua_replace(L, 1);
    lua_settop(L, 1);
    new_batch(L, l);
    return 1;
}

/* }====================================================== */

static const luaL_Reg loader_methods[] = {
    {"create", loader_create},
    {"add", loader_add},
    {"finish", loader_finish},
    {"close", loader_close},
    {"count", loader_count},
    {NULL, NULL},
};

void cd_lua_loader_open(lua_State *L, int methods)
{
    methods = lua_absindex(L, methods);
    luaL_newmetatable(L, LOADER_MT);
    lua_pushcfunction(L, loader_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, loader_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, loader_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, loader_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_pushcfunction(L, store_loader);
    lua_setfield(L, methods, "loader");
}
