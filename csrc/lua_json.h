/* lua_json.h — JSON text for Lua through Jansson (csrc/lua_json.c), part of clouddir.core. */
#ifndef CLOUDDIR_LUA_JSON_H
#define CLOUDDIR_LUA_JSON_H

#include <lua.h>

/* Adds json_encode, json_decode, json_null and json_array_mt to the table at table_index.
 * Needs lua_core.c's error metatable ("clouddir.error") to exist already. */
void cd_lua_json_open(lua_State *L, int table_index);

#endif

