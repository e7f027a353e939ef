/* raw_shape.h — the raw floor's keys and values, shared by raw_lmdb.c (the floor itself)
 * and by the floors measured beside our figures (cd_bench.c, bench_clock.c): 'O' + an
 * 8-byte big-endian number, as the engine's object keys begin, and 60-byte values. */
#ifndef RAW_SHAPE_H
#define RAW_SHAPE_H

#include <stdint.h>

#define RAW_KEY_LEN 9
#define RAW_VAL_LEN 60

static inline void raw_key(uint64_t id, unsigned char key[RAW_KEY_LEN])
{
    key[0] = 'O';
    for (int i = 0; i < 8; i++)
        key[1 + i] = (unsigned char)(id >> (56 - 8 * i));
}

static inline void raw_val(uint64_t id, unsigned char val[RAW_VAL_LEN])
{
    for (int i = 0; i < RAW_VAL_LEN; i++)
        val[i] = (unsigned char)('a' + (id + (uint64_t)i * 7) % 26);
}

#endif
