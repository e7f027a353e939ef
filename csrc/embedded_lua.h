/* embedded_lua.h — the Lua sources of the clouddir module, compiled into the binary.
 *
 * The definitions are generated at build time by csrc/embed_lua.lua (see the Makefile's
 * $(EMBED_C) rule) from lua/clouddir.lua and the files in lua/clouddir/. */
#ifndef CD_EMBEDDED_LUA_H
#define CD_EMBEDDED_LUA_H

#include <lua.h>

/* The C binding (csrc/lua_core.c), linked into the binary. */
int luaopen_clouddir_core(lua_State *L);

/* Installs a package.preload loader for every embedded module ("clouddir",
 * "clouddir.<name>") and for "clouddir.core".  require consults package.preload before
 * package.path, so the binary always runs the copy it was built with: a stale installed
 * copy of the module can never shadow it.  Does not raise except on memory errors. */
void cd_embedded_lua_preload(lua_State *L);

#endif
