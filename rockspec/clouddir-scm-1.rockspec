-- clouddir: the Amazon Cloud Directory API (2017-01-11) on LMDB, for Lua 5.4.
-- Install from a checkout, offline:  luarocks --lua-version=5.4 make rockspec/clouddir-scm-1.rockspec
rockspec_format = "3.0"
package = "clouddir"
version = "scm-1"
source = {
   url = "git+file://./clouddir",
}
description = {
   summary = "An embeddable implementation of the Amazon Cloud Directory API on LMDB",
   detailed = [[
clouddir implements the Cloud Directory data model and API (schemas with facets, typed
objects in hierarchies, typed links, indexes, policies, atomic batches) in a C core that
stores everything in LMDB, with Lua 5.4 bindings (an AWS-shaped client and an idiomatic
API) and a standalone `clouddir` REPL and script runner.]],
   license = "MIT",
   labels = { "directory", "lmdb", "aws", "clouddirectory" },
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
external_dependencies = {
   LMDB = { header = "lmdb.h", library = "lmdb" },
   READLINE = { header = "readline/readline.h", library = "readline" },
   JANSSON = { header = "jansson.h", library = "jansson" },
   MICROHTTPD = { header = "microhttpd.h", library = "microhttpd" },  -- clouddir serve
   LIBCRYPTO = { header = "openssl/hmac.h", library = "crypto" },  -- serve: Signature V4
}
build = {
   type = "make",
   build_target = "all",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LUA = "$(LUA)",
      LUA_INCDIR = "$(LUA_INCDIR)",
      EXTRA_CFLAGS = "-I$(LMDB_INCDIR) -I$(READLINE_INCDIR) -I$(JANSSON_INCDIR) -I$(MICROHTTPD_INCDIR) -I$(LIBCRYPTO_INCDIR)",
      EXTRA_LDFLAGS = "-L$(LMDB_LIBDIR) -L$(READLINE_LIBDIR) -L$(JANSSON_LIBDIR) -L$(MICROHTTPD_LIBDIR) -L$(LIBCRYPTO_LIBDIR)",
   },
   install_target = "install",
   install_variables = {
      PREFIX = "$(PREFIX)",
      LUADIR = "$(LUADIR)",
      LIBDIR = "$(LIBDIR)",
      BINDIR = "$(BINDIR)",
   },
}
