/* store.h — the inside of a store handle, shared by store.c and engine.c only. */
#ifndef CD_STORE_H
#define CD_STORE_H

#include "engine.h"

struct cd_env;

struct cd_store {
    struct cd_env *env;
    cd_options opt;
    char *region, *account;          /* owned copies behind opt.region / opt.account */
    uint64_t rng[4];                 /* xoshiro256** state: object-id tags, not secrets */
    cd_handler handlers[CD_OP__COUNT];
};

/* Fills s->handlers from the concept files' tables (engine.c). */
void cd_engine_bind(cd_store *s);
cd_kv *cd_store_kv(cd_store *s);
const unsigned char *cd_store_secret(cd_store *s);

#endif
