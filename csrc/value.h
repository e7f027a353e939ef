/* value.h — the one request/response value model shared by every front.
 *
 * A request or response is a small tree of cd_value nodes.  Every node and every
 * byte it points at lives in a cd_arena, so a whole request/response is freed at
 * once with cd_arena_free and nothing has to be released node by node. */
#ifndef CD_VALUE_H
#define CD_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef enum cd_vtype {
    CDV_NULL = 0,
    CDV_BOOL,
    CDV_INT,     /* int64 */
    CDV_FLOAT,   /* double: only ever produced by a front (a Lua float); the shape
                    checker turns it into CDV_TIME or a NumberValue string, or rejects it */
    CDV_STRING,  /* bytes, NUL-terminated for convenience, len excludes the NUL */
    CDV_BYTES,   /* raw bytes (blob members) */
    CDV_TIME,    /* timestamp: milliseconds since the epoch, in u.i */
    CDV_LIST,
    CDV_MAP      /* string-keyed, insertion ordered */
} cd_vtype;

typedef struct cd_value cd_value;
typedef struct cd_arena cd_arena;

typedef struct cd_mapent {
    const char *key;   /* NUL-terminated, in the arena */
    size_t keylen;
    cd_value *val;
} cd_mapent;

struct cd_value {
    cd_vtype type;
    /* Used by the request check (shapes.c) while it runs, 0 at all other times: 1 + the
     * API shape the value is being checked as, so a value shared by several operations of
     * one request (the bulk loader's facet and attribute keys) is checked once. */
    unsigned checked_shape;
    union {
        bool b;
        int64_t i;      /* CDV_INT; CDV_TIME (milliseconds) */
        double f;       /* CDV_FLOAT */
        struct { const char *p; size_t len; } s;             /* CDV_STRING, CDV_BYTES */
        struct { cd_value **items; size_t n, cap; } list;    /* CDV_LIST */
        struct { cd_mapent *ents; size_t n, cap; } map;      /* CDV_MAP */
    } u;
};

/* ---- arena: owns every allocation of one call ---- */
cd_arena *cd_arena_new(void);                 /* NULL when out of memory */
void cd_arena_free(cd_arena *a);              /* NULL is fine */
void cd_arena_reset(cd_arena *a);             /* drop everything, keep one block for reuse */
/* Makes cd_arena_reset keep up to max_bytes of blocks for later allocations instead of
 * freeing them: for an arena that holds one large request after another (the loader). */
void cd_arena_keep(cd_arena *a, size_t max_bytes);
void *cd_arena_alloc(cd_arena *a, size_t n);  /* 16-byte aligned; NULL when out of memory */
char *cd_arena_strndup(cd_arena *a, const char *p, size_t n); /* adds a NUL */
char *cd_arena_printf(cd_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- constructors (NULL when out of memory) ---- */
cd_value *cd_null(cd_arena *a);
cd_value *cd_bool(cd_arena *a, bool b);
cd_value *cd_int(cd_arena *a, int64_t i);
cd_value *cd_float(cd_arena *a, double f);
cd_value *cd_time_ms(cd_arena *a, int64_t ms);
cd_value *cd_str(cd_arena *a, const char *p, size_t len);   /* copies */
cd_value *cd_strz(cd_arena *a, const char *z);              /* copies */
cd_value *cd_bytes(cd_arena *a, const void *p, size_t len); /* copies */
cd_value *cd_list(cd_arena *a);
cd_value *cd_map(cd_arena *a);

/* ---- building (return false when out of memory) ---- */
bool cd_list_push(cd_arena *a, cd_value *list, cd_value *item);
/* Appends key -> val.  The key is copied.  Does not check for duplicates. */
bool cd_map_set(cd_arena *a, cd_value *map, const char *key, cd_value *val);
bool cd_map_setn(cd_arena *a, cd_value *map, const char *key, size_t keylen, cd_value *val);

/* ---- reading ---- */
/* Member of a map by name, or NULL when absent, when it is CDV_NULL, or when m is not a map. */
cd_value *cd_get(const cd_value *m, const char *key);
/* Typed accessors for a member: return the fallback when absent or of another type. */
const char *cd_get_str(const cd_value *m, const char *key, size_t *len); /* STRING or BYTES, NULL if absent */
int64_t cd_get_int(const cd_value *m, const char *key, int64_t fallback);
bool cd_get_bool(const cd_value *m, const char *key, bool fallback);
size_t cd_len(const cd_value *v);            /* items of a list / entries of a map, else 0 */
bool cd_is(const cd_value *v, cd_vtype t);   /* v != NULL && v->type == t */

/* Deep copy into another arena (NULL when out of memory). */
cd_value *cd_value_copy(cd_arena *a, const cd_value *v);
/* Structural equality (STRING and BYTES with equal bytes compare equal). */
bool cd_value_equal(const cd_value *x, const cd_value *y);

/* ---- big-endian numbers: how keys and records spell integers (memcmp order is numeric) ---- */
static inline void cd_put_u32be(unsigned char *p, uint32_t x)
{
    p[0] = (unsigned char)(x >> 24);
    p[1] = (unsigned char)(x >> 16);
    p[2] = (unsigned char)(x >> 8);
    p[3] = (unsigned char)x;
}

static inline uint32_t cd_get_u32be(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void cd_put_u64be(unsigned char *p, uint64_t x)
{
    cd_put_u32be(p, (uint32_t)(x >> 32));
    cd_put_u32be(p + 4, (uint32_t)x);
}

static inline uint64_t cd_get_u64be(const unsigned char *p)
{
    return (uint64_t)cd_get_u32be(p) << 32 | cd_get_u32be(p + 4);
}

/* ---- binary record codec: how the engine stores values in the key-value store ---- */
/* Appends the encoding of v to a growable buffer owned by the arena. */
typedef struct cd_buf { unsigned char *p; size_t len, cap; cd_arena *a; } cd_buf;
void cd_buf_init(cd_buf *b, cd_arena *a);
bool cd_buf_put(cd_buf *b, const void *p, size_t n);
bool cd_buf_byte(cd_buf *b, unsigned char c);
bool cd_buf_u32be(cd_buf *b, uint32_t x);
bool cd_buf_u64be(cd_buf *b, uint64_t x);
bool cd_buf_varint(cd_buf *b, uint64_t x);   /* LEB128: 7 bits per byte, low first */
bool cd_value_encode(cd_buf *b, const cd_value *v);
/* Decodes one value; NULL when the bytes are malformed or out of memory. */
cd_value *cd_value_decode(cd_arena *a, const void *p, size_t len);

#endif
