/*
** main.c — the clouddir binary: a Lua 5.4 interpreter with the clouddir module built in,
** a store already open, and a read-eval-print loop.
**
**   clouddir [options] [store] [script.lua [args...]]
**   clouddir [options] [store] schema COMMAND [args...]
**   clouddir serve [options] STORE                  (csrc/serve.c)
**
** The shape follows lua.c, the stand-alone Lua interpreter: everything runs inside one
** protected call (pmain); chunks run through docall, whose message handler adds a
** traceback and whose SIGINT handler stops the running statement with a debug hook; the
** loop compiles a line first as "return <line>;" so expressions print, and keeps reading
** while the chunk is only incomplete ("<eof>").  What differs: the store and the globals
** clouddir/store/cd, the pretty printer (lua/clouddir/pretty.lua), errors printed as
** "Code: message", persistent history, and Ctrl-C at the prompt clearing the line.
**
** The parts that follow lua.c are derived from Lua 5.4, under this notice:
**
** Copyright (C) 1994-2022 Lua.org, PUC-Rio.
**
** Permission is hereby granted, free of charge, to any person obtaining a copy of this
** software and associated documentation files (the "Software"), to deal in the Software
** without restriction, including without limitation the rights to use, copy, modify,
** merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
** permit persons to whom the Software is furnished to do so, subject to the following
** conditions:
**
** The above copyright notice and this permission notice shall be included in all copies
** or substantial portions of the Software.
**
** THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
** INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
** PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
** HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
** CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
** THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/readline.h>
#include <readline/history.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "clouddir.h"
#include "embedded_lua.h"
#include "kv.h"          /* cd_kv_version */
#include "serve.h"       /* clouddir serve */

#define PROGNAME        "clouddir"
#define PROMPT          "clouddir> "
#define PROMPT2         ">> "
#define DEFAULT_STORE   "./clouddir.store"
#define STORE_ENV       "CLOUDDIR_STORE"
#define HISTORY_FILE    ".clouddir_history"
#define HISTORY_MAX     1000            /* entries kept in the history file */
#define EOFMARK         "<eof>"         /* how the parser says "incomplete chunk" */

/* Registry keys of the values the C side needs to reach again. */
#define STORE_KEY       "clouddir.main.store"   /* the store opened for the session */
#define PRINT_KEY       "clouddir.main.print"   /* clouddir.pretty.print, for the REPL */
#define LINE_META       "clouddir.main.line"    /* metatable of line_box */

/* loadline status: the user pressed Ctrl-C at a continuation prompt. */
#define CHUNK_CANCELLED (-2)


/*
** The state the SIGINT handler must reach.  A signal handler receives nothing but the
** signal number, so this one pointer has to be a static; it is the only mutable global in
** the program, set once in main and otherwise only read.
*/
static lua_State *globalL = NULL;


/* What the command line asked for (collectargs). */
typedef struct options {
  int interactive;      /* -i */
  int version;          /* -v */
  int help;             /* -h, --help */
  int execute;          /* some -e was given */
  int library;          /* some -l was given */
  int no_env;           /* -E */
  int warnings;         /* -W */
  int no_sync;          /* --no-sync */
  const char *limits;   /* --limits value, or NULL for the module's default */
  int store;            /* argv index of the store folder, 0 if none named */
  int script;           /* argv index of the script, 0 if none */
  int command;          /* argv index of a command word ("schema"), 0 if none */
  int serve;            /* argv index of a "serve" that does not come first, 0 if none */
} options;

/* The usage line of serve, for the message that asks for it first. */
#define SERVE_USAGE     PROGNAME " serve [options] STORE"

/* Exit status of a serve out of place: serve's usage errors exit 2 (serve.c). */
#define SERVE_USAGE_STATUS 2


/* {==================================================================
** Messages
** =================================================================== */

static void print_usage (FILE *f) {
  fputs(
  "usage: " PROGNAME " [options] [store] [script.lua [args...]]\n"
  "       " PROGNAME " [options] [store] schema list|dump|load|show|help [args...]\n"
  "       " SERVE_USAGE "\n"
  "Runs script.lua, or else an interactive prompt, in Lua " LUA_VERSION_MAJOR "."
    LUA_VERSION_MINOR " with a clouddir store open.\n"
  "Globals: clouddir (the module), store (the open store), cd (store:client()).\n"
  "\n"
  "The store is a folder, created if missing.  When none is named it is $" STORE_ENV ",\n"
  "or " DEFAULT_STORE " when that is unset.  The first argument ending in .lua (or '-')\n"
  "is the script, not the store.  The script gets the remaining arguments as arg[1..]\n"
  "and as '...'.\n"
  "\n"
  "Options:\n"
  "  -e stat      execute string 'stat'\n"
  "  -i           enter interactive mode after running the script and -e\n"
  "  -l mod       require library 'mod' into global 'mod' (for a.b: global 'b')\n"
  "  -l g=mod     require library 'mod' into global 'g'\n"
  "  -v           show version information\n"
  "  -E           ignore environment variables (LUA_PATH, LUA_CPATH, " STORE_ENV ")\n"
  "  -W           turn warnings on\n"
  "  -h, --help   show this help\n"
  "  --no-sync    open the store with sync = false: faster commits, but a system crash\n"
  "               may lose the latest ones\n"
  "  --limits L   'aws' (default): enforce the service's limits; 'none': lift them\n"
  "  --           stop handling options\n"
  "  -            run the script read from stdin\n"
  "\n"
  "With no script and no -e, the prompt starts when stdin is a terminal; otherwise\n"
  "stdin is run as the script.  Options -e and -l run in order, after the store opens.\n"
  "Prompt history is kept in ~/" HISTORY_FILE ".\n"
  "\n"
  "'schema' as the store or script is a command on the store's schemas (see\n"
  "'" PROGNAME " schema help'); a folder or script named schema is written ./schema.\n"
  "'serve' runs the Cloud Directory HTTP server on STORE (see '" PROGNAME " serve -h');\n"
  "it comes first, or after only --no-sync and --limits, which it takes too.\n"
  "\n"
  "Exit status: 0 on success; 1 when a script, -e, -l or a command raises an error,\n"
  "or the command line is wrong; 2 when serve's command line is wrong.\n", f);
  fflush(f);
}

static void print_version (void) {
  const char *lmdb = cd_kv_version();       /* "LMDB 0.9.24: (July 24, 2019)" */
  printf("%s %s (%s, %.*s)\n", PROGNAME, CLOUDDIR_VERSION, LUA_RELEASE,
         (int)strcspn(lmdb, ":"), lmdb);
  fflush(stdout);
}

/* Prints "pname: msg" (or just msg when pname is NULL, as at the prompt) on stderr. */
/*
** Error messages often quote what the user gave (a path, a link name): control bytes in it
** are written as \xHH, so a terminal escape in a name cannot reach the terminal.  Newlines
** and tabs stay (tracebacks are made of them).
*/
static void l_message (const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
      fprintf(stderr, "\\x%02X", *p);
    else
      fputc(*p, stderr);
  }
  fputc('\n', stderr);
  fflush(stderr);
}

/*
** Pushes the text of the error value at idx: "Code: message" for a clouddir error value
** (a table with string fields code and message; its __tostring wins if it has one), the
** __tostring of any other value that has one, the string itself, or a description.
*/
static const char *errortext (lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_type(L, idx) == LUA_TSTRING) {
    lua_pushvalue(L, idx);
  }
  else if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
    lua_pop(L, 1);
    luaL_tolstring(L, idx, NULL);
  }
  else if (lua_type(L, idx) == LUA_TTABLE
           && lua_getfield(L, idx, "code") == LUA_TSTRING
           && lua_getfield(L, idx, "message") == LUA_TSTRING) {
    lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
    lua_replace(L, -3);
    lua_pop(L, 1);
  }
  else {
    lua_settop(L, idx);
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, idx));
  }
  return lua_tostring(L, -1);
}

static int is_coded_error (lua_State *L, int idx) {
  int coded = 0;
  if (lua_type(L, idx) == LUA_TTABLE) {
    coded = lua_getfield(L, idx, "code") == LUA_TSTRING;
    lua_pop(L, 1);
  }
  return coded;
}

/*
** Message handler of docall: turns the error value into text and adds a traceback.  A
** clouddir error value (which carries its own code and message) gets the traceback only
** when upvalue 1 is true (scripts, where it tells which line failed); at the prompt it
** prints as just "Code: message".
*/
static int msghandler (lua_State *L) {
  int coded = is_coded_error(L, 1);
  const char *msg = errortext(L, 1);
  if (coded && !lua_toboolean(L, lua_upvalueindex(1)))
    return 1;
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Reports a failed status (the error text is on the top) and pops it. */
static int report (lua_State *L, int status, const char *pname) {
  if (status != LUA_OK) {
    l_message(pname, errortext(L, -1));
    lua_pop(L, 2);
  }
  return status;
}

/* }================================================================== */


/* {==================================================================
** Running chunks, interruptibly
** =================================================================== */

static void setsignal (int sig, void (*handler) (int), struct sigaction *old) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, old);
}

/* The hook laction sets: runs at the next VM step of the interrupted chunk. */
static void lstop (lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/*
** SIGINT while a chunk runs.  Doing Lua work in a signal handler is not safe, so it only
** sets a hook (lua_sethook may be called asynchronously) that raises the error from inside
** the interpreter.  A second Ctrl-C gets the default action and ends the program, which
** is the way out of a long call into C, where hooks do not run.
*/
static void laction (int sig) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  setsignal(sig, SIG_DFL, NULL);
  lua_sethook(globalL, lstop, flag, 1);
}

/*
** Calls the function below its narg arguments like lua_pcall, with msghandler and with
** Ctrl-C interrupting it.  trace_coded: whether clouddir error values get a traceback.
*/
static int docall (lua_State *L, int narg, int nres, int trace_coded) {
  int status;
  struct sigaction old;
  int base = lua_gettop(L) - narg;
  lua_pushboolean(L, trace_coded);
  lua_pushcclosure(L, msghandler, 1);
  lua_insert(L, base);
  setsignal(SIGINT, laction, &old);
  status = lua_pcall(L, narg, nres, base);
  sigaction(SIGINT, &old, NULL);
  if (lua_gethook(L) == lstop)          /* Ctrl-C came after the last VM step */
    lua_sethook(L, NULL, 0, 0);
  lua_remove(L, base);
  return status;
}

static int dochunk (lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0, 1);
  return report(L, status, PROGNAME);
}

static int dostring (lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* Runs the script argv[0] ("-" is stdin) with the rest of argv as its '...'. */
static int handle_script (lua_State *L, char **argv) {
  const char *fname = strcmp(argv[0], "-") == 0 ? NULL : argv[0];
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = 0;
    luaL_checkstack(L, LUA_MINSTACK, "too many arguments to script");
    while (argv[n + 1] != NULL) {
      lua_pushstring(L, argv[n + 1]);
      n++;
      luaL_checkstack(L, 1, "too many arguments to script");
    }
    status = docall(L, n, LUA_MULTRET, 1);
  }
  return report(L, status, PROGNAME);
}

/*
** "clouddir [store] schema ...": argv[0] is the command word, the rest its arguments.  The
** commands are Lua (lua/clouddir/cli.lua): calls cli[fn]([store,] command, args...), with
** the session's store when with_store.  Its errors print as "clouddir: Code: message" and
** it returns 0; else it returns 1 with the function's result pushed.
*/
static int call_cli (lua_State *L, const char *fn, int with_store, char **argv) {
  int n = 0;
  int status;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "clouddir.cli");
  status = docall(L, 1, 1, 0);
  if (status == LUA_OK) {
    lua_getfield(L, -1, fn);
    lua_remove(L, -2);
    if (with_store) {
      lua_getfield(L, LUA_REGISTRYINDEX, STORE_KEY);
      n++;
    }
    for (; *argv != NULL; argv++, n++) {
      luaL_checkstack(L, 1, "too many arguments to the command");
      lua_pushstring(L, *argv);
    }
    status = docall(L, n, 1, 0);
  }
  return report(L, status, PROGNAME) == LUA_OK;
}

/* -l mod (global mod, or the part after its last dot) or -l g=mod (global g). */
static int dolibrary (lua_State *L, const char *spec) {
  int status;
  const char *eq = strchr(spec, '=');
  const char *modname = eq ? eq + 1 : spec;
  lua_getglobal(L, "require");
  lua_pushstring(L, modname);
  status = docall(L, 1, 1, 1);
  if (status == LUA_OK) {
    if (eq) lua_pushlstring(L, spec, (size_t)(eq - spec));
    else {
      const char *dot = strrchr(modname, '.');
      lua_pushstring(L, dot ? dot + 1 : modname);
    }
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  return report(L, status, PROGNAME);
}

/* }================================================================== */


/* {==================================================================
** Command line
** =================================================================== */

static int ends_with (const char *s, const char *suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/*
** Reads the options, the store and the script out of argv.  Options may come before and
** after the store but end at the script (its arguments are its own) or at "--".  Returns
** NULL, or a message about argv[*bad].
*/
static const char *collectargs (char **argv, options *o, int *bad) {
  int i;
  int options_end = 0;
  memset(o, 0, sizeof *o);
  for (i = 1; argv[i] != NULL; i++) {
    const char *a = argv[i];
    *bad = i;
    if (options_end || a[0] != '-' || a[1] == '\0') {   /* store, script or command */
      if (!options_end && strcmp(a, "schema") == 0) {  /* its arguments are its own */
        o->command = i;
        return NULL;
      }
      if (!options_end && strcmp(a, "serve") == 0) {   /* main() runs it when first */
        o->serve = i;
        return "put `serve` first: " SERVE_USAGE;
      }
      if (o->store == 0 && strcmp(a, "-") != 0 && !ends_with(a, ".lua")) {
        o->store = i;
        continue;
      }
      o->script = i;
      return NULL;
    }
    if (strcmp(a, "--") == 0) { options_end = 1; continue; }
    if (strcmp(a, "--help") == 0) { o->help = 1; continue; }
    if (strcmp(a, "--no-sync") == 0) { o->no_sync = 1; continue; }
    if (strncmp(a, "--limits", 8) == 0 && (a[8] == '\0' || a[8] == '=')) {
      const char *v = a[8] == '=' ? a + 9 : argv[++i];
      if (v == NULL) return "needs an argument";
      if (strcmp(v, "aws") != 0 && strcmp(v, "none") != 0)
        return "must be 'aws' or 'none'";
      o->limits = v;
      continue;
    }
    if (a[1] == '-') return "unrecognized option";
    switch (a[1]) {
      case 'e': case 'l':
        if (a[1] == 'e') o->execute = 1; else o->library = 1;
        if (a[2] == '\0' && argv[++i] == NULL)    /* the value is the next argument */
          return "needs an argument";
        break;
      case 'i': o->interactive = 1; goto no_value;
      case 'v': o->version = 1; goto no_value;
      case 'h': o->help = 1; goto no_value;
      case 'E': o->no_env = 1; goto no_value;
      case 'W': o->warnings = 1; goto no_value;
      no_value:
        if (a[2] != '\0') return "unrecognized option";
        break;
      default:
        return "unrecognized option";
    }
  }
  return NULL;
}

/* Runs -e and -l in command-line order (collectargs has validated argv). */
static int runargs (lua_State *L, char **argv, const options *o) {
  int i;
  int last = o->script ? o->script : o->command;   /* 0: to the end */
  for (i = 1; argv[i] != NULL && (last == 0 || i < last); i++) {
    const char *a = argv[i];
    if (i == o->store || a[0] != '-' || a[1] == '\0') continue;
    if (strcmp(a, "--") == 0) break;
    if (a[1] == 'e' || a[1] == 'l') {
      const char *value = a[2] != '\0' ? a + 2 : argv[++i];
      int status = a[1] == 'e' ? dostring(L, value, "=(command line)")
                               : dolibrary(L, value);
      if (status != LUA_OK) return 0;
    }
    else if (strcmp(a, "--limits") == 0) i++;          /* skip its value */
  }
  return 1;
}

/*
** The global 'arg', as lua.c builds it: the script at 0, its arguments at 1..n, the
** program and its options at negative indices.  Without a script, the program is at 0.
*/
static void createargtable (lua_State *L, char **argv, int argc, int script) {
  int i;
  lua_createtable(L, argc - script - 1 > 0 ? argc - script - 1 : 0, script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* }================================================================== */


/* {==================================================================
** The store of the session
** =================================================================== */

/*
** clouddir = require "clouddir"; store = clouddir.open(path, opts); cd = store:client().
** Arguments: path, sync (boolean, false for --no-sync, nil otherwise), limits (or nil).
** The store is also kept in the registry so it can be closed at exit whatever the
** globals hold by then.
*/
static int openstore (lua_State *L) {
  lua_settop(L, 3);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "clouddir");
  lua_call(L, 1, 1);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "clouddir");                          /* 4: module */
  lua_getfield(L, 4, "open");
  lua_pushvalue(L, 1);
  lua_createtable(L, 0, 2);
  if (!lua_isnil(L, 2)) { lua_pushvalue(L, 2); lua_setfield(L, -2, "sync"); }
  if (!lua_isnil(L, 3)) { lua_pushvalue(L, 3); lua_setfield(L, -2, "limits"); }
  lua_call(L, 2, 1);                                     /* 5: store */
  lua_pushvalue(L, 5);
  lua_setfield(L, LUA_REGISTRYINDEX, STORE_KEY);
  lua_pushvalue(L, 5);
  lua_setglobal(L, "store");
  lua_getfield(L, 5, "client");
  lua_pushvalue(L, 5);
  lua_call(L, 1, 1);
  lua_setglobal(L, "cd");
  return 0;
}

static int open_store (lua_State *L, char **argv, const options *o) {
  const char *path = o->store ? argv[o->store] : NULL;
  int status;
  if (path == NULL && !o->no_env) path = getenv(STORE_ENV);
  if (path == NULL || path[0] == '\0') path = DEFAULT_STORE;
  lua_pushcfunction(L, openstore);
  lua_pushstring(L, path);
  if (o->no_sync) lua_pushboolean(L, 0); else lua_pushnil(L);
  if (o->limits) lua_pushstring(L, o->limits); else lua_pushnil(L);
  /* Only the message matters here: the traceback would point into the module. */
  status = lua_pcall(L, 3, 0, 0);
  if (status != LUA_OK) {
    l_message(PROGNAME, errortext(L, -1));
    lua_pop(L, 2);
  }
  return status == LUA_OK;
}

/* store:close() on the session's store, if one was opened. */
static int closestore (lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, STORE_KEY) == LUA_TNIL) return 0;
  lua_getfield(L, -1, "close");
  lua_insert(L, -2);
  lua_call(L, 1, 0);
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, STORE_KEY);
  return 0;
}

/* }================================================================== */


/* {==================================================================
** The read-eval-print loop
** =================================================================== */

/* Where the loop reads from; lives on doREPL's C stack. */
typedef struct repl {
  int tty;                  /* stdin is a terminal: use readline */
  int has_history_file;
  char history_file[4096];
} repl;

/*
** A line from readline or getline is malloc'd.  It sits in this box, a userdata whose
** __gc frees it, from the moment it is read until it has been copied into a Lua string,
** so a memory error while copying cannot leak it.
*/
typedef struct line_box {
  char *line;
  size_t capacity;          /* for getline */
} line_box;

static int line_box_gc (lua_State *L) {
  line_box *b = (line_box *)luaL_checkudata(L, 1, LINE_META);
  free(b->line);
  b->line = NULL;
  return 0;
}

/*
** SIGINT at the readline prompt: forget the line, start a fresh one.  readline catches
** SIGINT itself and calls the application's handler synchronously from inside readline(),
** after restoring the terminal, so readline's functions may be used here; a SIGINT that
** arrives outside that context (just before or after readline()) is ignored.  Setting the
** prompt back to the primary one is also how pushline learns that a pending multi-line
** chunk was abandoned.
*/
static void clearline (int sig) {
  (void)sig;
  if (!RL_ISSTATE(RL_STATE_SIGHANDLER)) return;
  rl_replace_line("", 0);
  rl_crlf();
  rl_set_prompt(PROMPT);
  rl_on_new_line();
  rl_redisplay();
}

/* Reads a line into the box; returns 0 at end of input. */
static int readinput (const repl *r, line_box *b, const char *prompt) {
  if (r->tty) {
    struct sigaction old;
    setsignal(SIGINT, clearline, &old);
    b->line = readline(prompt);
    sigaction(SIGINT, &old, NULL);
    return b->line != NULL;
  }
  fputs(prompt, stdout);
  fflush(stdout);
  return getline(&b->line, &b->capacity, stdin) >= 0;
}

/*
** Reads one line and pushes it (without its newline; a leading '=' of the first line
** becomes "return ").  Returns 0 at end of input, CHUNK_CANCELLED when Ctrl-C abandoned the
** chunk in progress (the new line is pushed), else 1.
*/
static int pushline (lua_State *L, const repl *r, int firstline) {
  const char *prompt = firstline ? PROMPT : PROMPT2;
  int result = 1;
  size_t len;
  line_box *b = (line_box *)lua_newuserdatauv(L, sizeof(line_box), 0);
  b->line = NULL;
  b->capacity = 0;
  luaL_setmetatable(L, LINE_META);
  if (!readinput(r, b, prompt)) {
    lua_pop(L, 1);                      /* the box frees whatever getline allocated */
    return 0;
  }
  if (r->tty && !firstline && rl_prompt != NULL && strcmp(rl_prompt, prompt) != 0)
    result = CHUNK_CANCELLED;
  len = strlen(b->line);
  if (len > 0 && b->line[len - 1] == '\n') b->line[--len] = '\0';
  if ((firstline || result == CHUNK_CANCELLED) && b->line[0] == '=')
    lua_pushfstring(L, "return %s", b->line + 1);
  else
    lua_pushlstring(L, b->line, len);
  free(b->line);
  b->line = NULL;
  lua_remove(L, -2);                    /* the box */
  return result;
}

/* Remembers a chunk the user entered, in readline's history and the history file. */
static void saveline (const repl *r, const char *line) {
  if (!r->tty || line[0] == '\0') return;
  add_history(line);
  if (r->has_history_file) append_history(1, r->history_file);
}

/* Tries the line on the stack as "return <line>;"; on success leaves only the function. */
static int addreturn (lua_State *L, const repl *r) {
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2);                  /* the modified line */
    saveline(r, line);
  }
  else
    lua_pop(L, 2);                      /* result and modified line */
  return status;
}

/* Whether a load status means the chunk is only unfinished; if so pops the message. */
static int incomplete (lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    size_t lmark = sizeof(EOFMARK) - 1;
    if (lmsg >= lmark && strcmp(msg + lmsg - lmark, EOFMARK) == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}

/*
** Compiles the line at index 1 as a statement, reading continuation lines while it is
** incomplete.  On CHUNK_CANCELLED only the newly read line is left at index 1.
*/
static int multiline (lua_State *L, const repl *r) {
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbuffer(L, line, len, "=stdin");
    int more;
    if (!incomplete(L, status)) {
      saveline(r, line);
      return status;
    }
    if ((more = pushline(L, r, 0)) == 0) {   /* input ended inside the chunk */
      saveline(r, line);
      return luaL_loadbuffer(L, line, len, "=stdin");   /* again, for the message */
    }
    if (more == CHUNK_CANCELLED) {
      lua_remove(L, 1);
      return CHUNK_CANCELLED;
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

/*
** Reads a complete chunk and compiles it: leaves the function (or the error message) on
** the stack and returns the load status, or -1 at end of input.
*/
static int loadline (lua_State *L, const repl *r) {
  int status;
  lua_settop(L, 0);
  if (!pushline(L, r, 1)) return -1;
  while ((status = addreturn(L, r)) != LUA_OK
         && (status = multiline(L, r)) == CHUNK_CANCELLED)
    ;
  lua_remove(L, 1);                     /* the line */
  return status;
}

/* Prints the values on the stack with clouddir.pretty.print (interruptible: it may be long). */
static void l_print (lua_State *L) {
  int n = lua_gettop(L);
  if (n > 0) {
    luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
    lua_getfield(L, LUA_REGISTRYINDEX, PRINT_KEY);
    lua_insert(L, 1);
    report(L, docall(L, n, 0, 0), NULL);
  }
}

/* Finds clouddir.pretty.print (falling back to print) and keeps it in the registry. */
static int loadprinter (lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "clouddir.pretty");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "print");
  lua_setfield(L, LUA_REGISTRYINDEX, PRINT_KEY);
  return 0;
}

static void init_repl (lua_State *L, repl *r) {
  const char *home = getenv("HOME");
  r->tty = isatty(STDIN_FILENO);
  r->has_history_file = 0;
  if (luaL_newmetatable(L, LINE_META)) {
    lua_pushcfunction(L, line_box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, loadprinter);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    l_message(PROGNAME, errortext(L, -1));
    lua_pop(L, 2);
    lua_getglobal(L, "print");
    lua_setfield(L, LUA_REGISTRYINDEX, PRINT_KEY);
  }
  if (!r->tty) return;
  rl_readline_name = PROGNAME;          /* for "$if clouddir" in ~/.inputrc */
  /* Entries are written with "#<time>" lines before them, so that a multi-line chunk
  ** reads back as one entry (a line starting with '#' and a digit would be misread). */
  history_comment_char = '#';
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  if (home != NULL && home[0] != '\0') {
    int n = snprintf(r->history_file, sizeof r->history_file, "%s/%s", home, HISTORY_FILE);
    if (n > 0 && (size_t)n < sizeof r->history_file) {
      int fd = open(r->history_file, O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {                    /* append_history needs the file to exist */
        close(fd);
        r->has_history_file = 1;
        read_history(r->history_file);
      }
    }
  }
}

static void doREPL (lua_State *L) {
  int status;
  repl r;
  init_repl(L, &r);
  while ((status = loadline(L, &r)) != -1) {
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET, 0);
    if (status == LUA_OK) l_print(L);
    else report(L, status, NULL);
  }
  lua_settop(L, 0);
  fputs("\n", stdout);
  fflush(stdout);
  if (r.has_history_file) history_truncate_file(r.history_file, HISTORY_MAX);
}

/* }================================================================== */


/*
** Everything, in a protected call so that even memory errors during setup are reported.
** Returns true when every part succeeded, or an exit status of its own (an integer).
*/
static int pmain (lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  options o;
  int bad = 0;
  const char *problem = collectargs(argv, &o, &bad);
  if (problem != NULL && o.serve) {     /* one line: the whole usage would not help */
    l_message(PROGNAME, problem);
    lua_pushinteger(L, SERVE_USAGE_STATUS);
    return 1;
  }
  if (problem != NULL) {
    fprintf(stderr, "%s: '%s': %s\n", PROGNAME, argv[bad], problem);
    print_usage(stderr);
    return 0;
  }
  if (o.help) {
    print_usage(stdout);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (o.version || o.interactive) print_version();
  luaL_checkversion(L);
  if (o.no_env) {                       /* read by the package library */
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  cd_embedded_lua_preload(L);
  createargtable(L, argv, argc, o.script);
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (o.warnings) lua_warning(L, "@on", 0);
  /* '-v' alone asks for nothing else: do not create a store for it. */
  if (o.version && !o.interactive && !o.execute && !o.library && !o.script) {
    lua_pushboolean(L, 1);
    return 1;
  }
  /* A command's help and usage errors need no store: have them before one is created. */
  if (o.command) {
    if (!call_cli(L, "check", 0, argv + o.command)) return 0;
    if (lua_toboolean(L, -1)) return 1;         /* done: it needed no store */
    lua_pop(L, 1);
  }
  if (!open_store(L, argv, &o)) return 0;
  if (!runargs(L, argv, &o)) return 0;
  if (o.command) {
    if (!call_cli(L, "main", 1, argv + o.command)) return 0;
    lua_pushboolean(L, lua_toboolean(L, -1));
    return 1;
  }
  if (o.script && handle_script(L, argv + o.script) != LUA_OK) return 0;
  if (o.interactive)
    doREPL(L);
  else if (!o.script && !o.execute && !o.version) {
    if (isatty(STDIN_FILENO)) {
      print_version();
      doREPL(L);
    }
    else if (dochunk(L, luaL_loadfile(L, NULL)) != LUA_OK)
      return 0;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/*
** The index of "serve" in argv when it comes first or after only the options serve also
** takes (--no-sync, --limits L, --limits=L), else 0.
*/
static int serve_index (char **argv) {
  int i = 1;
  while (argv[i] != NULL) {
    if (strcmp(argv[i], "--no-sync") == 0 || strncmp(argv[i], "--limits=", 9) == 0) i++;
    else if (strcmp(argv[i], "--limits") == 0 && argv[i + 1] != NULL) i += 2;
    else break;
  }
  return argv[i] != NULL && strcmp(argv[i], "serve") == 0 ? i : 0;
}

int main (int argc, char **argv) {
  int status, ok, exit_status = 0;
  lua_State *L;
  int at = serve_index(argv);
  /* "clouddir [--no-sync] [--limits L] serve ...": the HTTP server (serve.c), no
  ** interpreter.  The options before serve move after it, where serve reads them. */
  if (at > 0) {
    char *word = argv[at];
    memmove(argv + 2, argv + 1, (size_t)(at - 1) * sizeof *argv);
    argv[1] = word;
    return cd_serve_main(argc - 1, argv + 1);
  }
  L = luaL_newstate();
  if (L == NULL) {
    l_message(PROGNAME, "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  globalL = L;
  lua_gc(L, LUA_GCSTOP);                /* no collection while the libraries load */
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 0);
  ok = lua_toboolean(L, -1);
  if (status == LUA_OK && lua_isinteger(L, -1)) exit_status = (int)lua_tointeger(L, -1);
  report(L, status, PROGNAME);
  lua_settop(L, 0);
  lua_pushcfunction(L, closestore);
  if (report(L, lua_pcall(L, 0, 0, 0), PROGNAME) != LUA_OK) ok = 0;
  lua_close(L);
  if (exit_status != 0) return exit_status;
  return (ok && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
