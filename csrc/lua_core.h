/* lua_core.h — what lua_core.c shares with the other files of clouddir.core (the loader). */
#ifndef CD_LUA_CORE_H
#define CD_LUA_CORE_H

#include <lua.h>
#include "clouddir.h"

/* The store of the handle at idx; raises StoreError when it is closed. */
cd_store *cd_lua_store(lua_State *L, int idx);
/* Pushes an error value {code=, message=} (not raised). */
void cd_lua_push_error(lua_State *L, const char *code, const char *message);
/* Pushes the error value of a C error (with index and type for a BatchWriteException). */
void cd_lua_push_cd_error(lua_State *L, const cd_error *err);
/* Raises an error value; never returns. */
int cd_lua_raise(lua_State *L, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The request value of the Lua value at idx, in arena a, exactly as store:call converts a
 * request; raises ValidationException on what it cannot carry. */
cd_value *cd_lua_request_value(lua_State *L, int idx, cd_arena *a);

/* lua_loader.c: adds store:loader to the store methods table at index methods. */
void cd_lua_loader_open(lua_State *L, int methods);

#endif
