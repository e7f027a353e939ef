/* value.c — the request/response value tree, its arena, and its binary record codec. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "value.h"

/* ---------------------------------------------------------------- arena */

/* Blocks are chained, newest first.  cd_arena_reset keeps one block, the largest up to
 * ARENA_KEEP, so a reused arena (one per store handle, reset per call) allocates nothing in
 * the steady state even when a call needs more than the first block; malloc'ing and freeing
 * a block per call would also make glibc consolidate its small-chunk bins every time. */
typedef struct block {
    struct block *next;
    size_t size, used;
    max_align_t data[];
} block;

struct cd_arena {
    block *head;
    block *spare;                 /* blocks a reset kept for reuse (cd_arena_keep) */
    size_t spare_max, spare_bytes;
};

#define ARENA_FIRST 4096
#define ARENA_KEEP (64u << 10)

static block *block_new(size_t size)
{
    block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

cd_arena *cd_arena_new(void)
{
    cd_arena *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->spare = NULL;
    a->spare_max = a->spare_bytes = 0;
    a->head = block_new(ARENA_FIRST);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void cd_arena_reset(cd_arena *a)
{
    block *keep = NULL;
    for (block *b = a->head; b; b = b->next)
        if (b->size <= ARENA_KEEP && (!keep || b->size > keep->size))
            keep = b;
    for (block *b = a->head; b;) {
        block *next = b->next;
        if (b != keep && a->spare_bytes + b->size <= a->spare_max) {
            b->next = a->spare;
            a->spare = b;
            a->spare_bytes += b->size;
        } else if (b != keep)
            free(b);
        b = next;
    }
    a->head = keep;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
}

void cd_arena_keep(cd_arena *a, size_t max_bytes)
{
    a->spare_max = max_bytes;
}

void cd_arena_free(cd_arena *a)
{
    if (!a)
        return;
    for (block *b = a->spare; b;) {
        block *next = b->next;
        free(b);
        b = next;
    }
    block *b = a->head;
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *cd_arena_alloc(cd_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = b ? b->size * 2 : ARENA_FIRST;
        if (size < n)
            size = n;
        if (size > (1u << 20) && n < (1u << 20))
            size = 1u << 20;   /* grow geometrically up to 1 MiB blocks */
        if (size < n)
            size = n;
        block *nb = NULL;
        for (block **pp = &a->spare; *pp; pp = &(*pp)->next)
            if ((*pp)->size >= n) {   /* the first kept block that fits (cd_arena_keep) */
                nb = *pp;
                *pp = nb->next;
                a->spare_bytes -= nb->size;
                nb->used = 0;
                break;
            }
        if (!nb && !(nb = block_new(size)))
            return NULL;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

char *cd_arena_strndup(cd_arena *a, const char *p, size_t n)
{
    char *s = cd_arena_alloc(a, n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

char *cd_arena_printf(cd_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = cd_arena_alloc(a, (size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---------------------------------------------------------------- constructors */

static cd_value *node(cd_arena *a, cd_vtype t)
{
    cd_value *v = cd_arena_alloc(a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = t;
    }
    return v;
}

cd_value *cd_null(cd_arena *a) { return node(a, CDV_NULL); }
cd_value *cd_list(cd_arena *a) { return node(a, CDV_LIST); }
cd_value *cd_map(cd_arena *a) { return node(a, CDV_MAP); }

cd_value *cd_bool(cd_arena *a, bool b)
{
    cd_value *v = node(a, CDV_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

cd_value *cd_int(cd_arena *a, int64_t i)
{
    cd_value *v = node(a, CDV_INT);
    if (v)
        v->u.i = i;
    return v;
}

cd_value *cd_float(cd_arena *a, double f)
{
    cd_value *v = node(a, CDV_FLOAT);
    if (v)
        v->u.f = f;
    return v;
}

cd_value *cd_time_ms(cd_arena *a, int64_t ms)
{
    cd_value *v = node(a, CDV_TIME);
    if (v)
        v->u.i = ms;
    return v;
}

static cd_value *bytes_node(cd_arena *a, cd_vtype t, const void *p, size_t len)
{
    cd_value *v = node(a, t);
    if (!v)
        return NULL;
    char *s = cd_arena_strndup(a, p, len);
    if (!s)
        return NULL;
    v->u.s.p = s;
    v->u.s.len = len;
    return v;
}

cd_value *cd_str(cd_arena *a, const char *p, size_t len) { return bytes_node(a, CDV_STRING, p, len); }
cd_value *cd_strz(cd_arena *a, const char *z) { return bytes_node(a, CDV_STRING, z, strlen(z)); }
cd_value *cd_bytes(cd_arena *a, const void *p, size_t len) { return bytes_node(a, CDV_BYTES, p, len); }

/* ---------------------------------------------------------------- building */

static bool grow(cd_arena *a, void **items, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = cd_arena_alloc(a, ncap * elem);
    if (!p)
        return false;
    if (n)
        memcpy(p, *items, n * elem);
    *items = p;
    *cap = ncap;
    return true;
}

bool cd_list_push(cd_arena *a, cd_value *list, cd_value *item)
{
    if (!item || !grow(a, (void **)&list->u.list.items, &list->u.list.cap, list->u.list.n,
                       sizeof(cd_value *)))
        return false;
    list->u.list.items[list->u.list.n++] = item;
    return true;
}

bool cd_map_setn(cd_arena *a, cd_value *map, const char *key, size_t keylen, cd_value *val)
{
    if (!val || !grow(a, (void **)&map->u.map.ents, &map->u.map.cap, map->u.map.n,
                      sizeof(cd_mapent)))
        return false;
    char *k = cd_arena_strndup(a, key, keylen);
    if (!k)
        return false;
    cd_mapent *e = &map->u.map.ents[map->u.map.n++];
    e->key = k;
    e->keylen = keylen;
    e->val = val;
    return true;
}

bool cd_map_set(cd_arena *a, cd_value *map, const char *key, cd_value *val)
{
    return cd_map_setn(a, map, key, strlen(key), val);
}

/* ---------------------------------------------------------------- reading */

cd_value *cd_get(const cd_value *m, const char *key)
{
    if (!m || m->type != CDV_MAP)
        return NULL;
    for (size_t i = 0; i < m->u.map.n; i++)
        if (strcmp(m->u.map.ents[i].key, key) == 0) {
            cd_value *v = m->u.map.ents[i].val;
            return v->type == CDV_NULL ? NULL : v;
        }
    return NULL;
}

const char *cd_get_str(const cd_value *m, const char *key, size_t *len)
{
    const cd_value *v = cd_get(m, key);
    if (!v || (v->type != CDV_STRING && v->type != CDV_BYTES))
        return NULL;
    if (len)
        *len = v->u.s.len;
    return v->u.s.p;
}

int64_t cd_get_int(const cd_value *m, const char *key, int64_t fallback)
{
    const cd_value *v = cd_get(m, key);
    return v && v->type == CDV_INT ? v->u.i : fallback;
}

bool cd_get_bool(const cd_value *m, const char *key, bool fallback)
{
    const cd_value *v = cd_get(m, key);
    return v && v->type == CDV_BOOL ? v->u.b : fallback;
}

size_t cd_len(const cd_value *v)
{
    if (!v)
        return 0;
    if (v->type == CDV_LIST)
        return v->u.list.n;
    if (v->type == CDV_MAP)
        return v->u.map.n;
    return 0;
}

bool cd_is(const cd_value *v, cd_vtype t) { return v && v->type == t; }

cd_value *cd_value_copy(cd_arena *a, const cd_value *v)
{
    switch (v->type) {
    case CDV_NULL: return cd_null(a);
    case CDV_BOOL: return cd_bool(a, v->u.b);
    case CDV_INT: return cd_int(a, v->u.i);
    case CDV_FLOAT: return cd_float(a, v->u.f);
    case CDV_TIME: return cd_time_ms(a, v->u.i);
    case CDV_STRING: return cd_str(a, v->u.s.p, v->u.s.len);
    case CDV_BYTES: return cd_bytes(a, v->u.s.p, v->u.s.len);
    case CDV_LIST: {
        cd_value *l = cd_list(a);
        if (!l)
            return NULL;
        for (size_t i = 0; i < v->u.list.n; i++)
            if (!cd_list_push(a, l, cd_value_copy(a, v->u.list.items[i])))
                return NULL;
        return l;
    }
    case CDV_MAP: {
        cd_value *m = cd_map(a);
        if (!m)
            return NULL;
        for (size_t i = 0; i < v->u.map.n; i++) {
            const cd_mapent *e = &v->u.map.ents[i];
            if (!cd_map_setn(a, m, e->key, e->keylen, cd_value_copy(a, e->val)))
                return NULL;
        }
        return m;
    }
    }
    return NULL;
}

bool cd_value_equal(const cd_value *x, const cd_value *y)
{
    bool xs = x->type == CDV_STRING || x->type == CDV_BYTES;
    bool ys = y->type == CDV_STRING || y->type == CDV_BYTES;
    if (xs && ys)
        return x->u.s.len == y->u.s.len && memcmp(x->u.s.p, y->u.s.p, x->u.s.len) == 0;
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case CDV_NULL: return true;
    case CDV_BOOL: return x->u.b == y->u.b;
    case CDV_INT:
    case CDV_TIME: return x->u.i == y->u.i;
    case CDV_FLOAT: return x->u.f == y->u.f;
    case CDV_LIST:
        if (x->u.list.n != y->u.list.n)
            return false;
        for (size_t i = 0; i < x->u.list.n; i++)
            if (!cd_value_equal(x->u.list.items[i], y->u.list.items[i]))
                return false;
        return true;
    case CDV_MAP:
        if (x->u.map.n != y->u.map.n)
            return false;
        for (size_t i = 0; i < x->u.map.n; i++) {
            const cd_value *o = cd_get(y, x->u.map.ents[i].key);
            if (!o) {
                if (x->u.map.ents[i].val->type != CDV_NULL)
                    return false;
            } else if (!cd_value_equal(x->u.map.ents[i].val, o))
                return false;
        }
        return true;
    default: return false;
    }
}

/* ---------------------------------------------------------------- record codec */

/* Encoding: one tag byte per node, then
 *   BOOL: 1 byte; INT/TIME: 8 bytes big-endian; FLOAT: 8 bytes (IEEE, big-endian);
 *   STRING/BYTES: varint length + bytes; LIST: varint count + items;
 *   MAP: varint count + (varint keylen + key + value)*.
 * The encoding is private to the store; it is versioned by the store's format key. */

void cd_buf_init(cd_buf *b, cd_arena *a)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->a = a;
}

static bool buf_reserve(cd_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap * 2 : 64;
    while (ncap < b->len + n)
        ncap *= 2;
    unsigned char *p = cd_arena_alloc(b->a, ncap);
    if (!p)
        return false;
    if (b->len)
        memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = ncap;
    return true;
}

bool cd_buf_put(cd_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return true;
}

bool cd_buf_byte(cd_buf *b, unsigned char c) { return cd_buf_put(b, &c, 1); }

bool cd_buf_u32be(cd_buf *b, uint32_t x)
{
    unsigned char s[4];
    cd_put_u32be(s, x);
    return cd_buf_put(b, s, 4);
}

bool cd_buf_u64be(cd_buf *b, uint64_t x)
{
    unsigned char s[8];
    cd_put_u64be(s, x);
    return cd_buf_put(b, s, 8);
}

bool cd_buf_varint(cd_buf *b, uint64_t x)
{
    unsigned char s[10];
    int n = 0;
    do {
        unsigned char c = x & 0x7f;
        x >>= 7;
        s[n++] = c | (x ? 0x80 : 0);
    } while (x);
    return cd_buf_put(b, s, (size_t)n);
}

bool cd_value_encode(cd_buf *b, const cd_value *v)
{
    if (!cd_buf_byte(b, (unsigned char)v->type))
        return false;
    switch (v->type) {
    case CDV_NULL: return true;
    case CDV_BOOL: return cd_buf_byte(b, v->u.b ? 1 : 0);
    case CDV_INT:
    case CDV_TIME: return cd_buf_u64be(b, (uint64_t)v->u.i);
    case CDV_FLOAT: {
        uint64_t bits;
        memcpy(&bits, &v->u.f, 8);
        return cd_buf_u64be(b, bits);
    }
    case CDV_STRING:
    case CDV_BYTES: return cd_buf_varint(b, v->u.s.len) && cd_buf_put(b, v->u.s.p, v->u.s.len);
    case CDV_LIST:
        if (!cd_buf_varint(b, v->u.list.n))
            return false;
        for (size_t i = 0; i < v->u.list.n; i++)
            if (!cd_value_encode(b, v->u.list.items[i]))
                return false;
        return true;
    case CDV_MAP:
        if (!cd_buf_varint(b, v->u.map.n))
            return false;
        for (size_t i = 0; i < v->u.map.n; i++) {
            const cd_mapent *e = &v->u.map.ents[i];
            if (!cd_buf_varint(b, e->keylen) || !cd_buf_put(b, e->key, e->keylen) ||
                !cd_value_encode(b, e->val))
                return false;
        }
        return true;
    }
    return false;
}

typedef struct reader { const unsigned char *p, *end; } reader;

static bool get_varint(reader *r, uint64_t *out)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return false;
        unsigned char c = *r->p++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = x;
            return true;
        }
    }
    return false;
}

static bool get_u64(reader *r, uint64_t *out)
{
    if (r->end - r->p < 8)
        return false;
    *out = cd_get_u64be(r->p);
    r->p += 8;
    return true;
}

static cd_value *decode(cd_arena *a, reader *r, int depth)
{
    if (r->p >= r->end || depth > 64)
        return NULL;
    cd_vtype t = (cd_vtype)*r->p++;
    uint64_t n, x;
    switch (t) {
    case CDV_NULL: return cd_null(a);
    case CDV_BOOL:
        if (r->p >= r->end)
            return NULL;
        return cd_bool(a, *r->p++ != 0);
    case CDV_INT:
        return get_u64(r, &x) ? cd_int(a, (int64_t)x) : NULL;
    case CDV_TIME:
        return get_u64(r, &x) ? cd_time_ms(a, (int64_t)x) : NULL;
    case CDV_FLOAT: {
        double f;
        if (!get_u64(r, &x))
            return NULL;
        memcpy(&f, &x, 8);
        return cd_float(a, f);
    }
    case CDV_STRING:
    case CDV_BYTES:
        if (!get_varint(r, &n) || (uint64_t)(r->end - r->p) < n)
            return NULL;
        r->p += n;
        return t == CDV_STRING ? cd_str(a, (const char *)r->p - n, n)
                               : cd_bytes(a, r->p - n, n);
    case CDV_LIST: {
        cd_value *l = cd_list(a);
        if (!l || !get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
            return NULL;
        for (uint64_t i = 0; i < n; i++)
            if (!cd_list_push(a, l, decode(a, r, depth + 1)))
                return NULL;
        return l;
    }
    case CDV_MAP: {
        cd_value *m = cd_map(a);
        if (!m || !get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
            return NULL;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t kl;
            if (!get_varint(r, &kl) || (uint64_t)(r->end - r->p) < kl)
                return NULL;
            const char *k = (const char *)r->p;
            r->p += kl;
            if (!cd_map_setn(a, m, k, kl, decode(a, r, depth + 1)))
                return NULL;
        }
        return m;
    }
    }
    return NULL;
}

cd_value *cd_value_decode(cd_arena *a, const void *p, size_t len)
{
    reader r = {p, (const unsigned char *)p + len};
    cd_value *v = decode(a, &r, 0);
    return v && r.p == r.end ? v : NULL;
}
