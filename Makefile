# clouddir — build, test, bench, install.
#
#   make          static library, Lua module (clouddir + clouddir.core), clouddir binary
#   make test     installs missing Debian packages, builds, runs every test (+ sanitizers)
#   make run      installs missing Debian packages, builds, starts the REPL on a demo store
#   make bench    benchmarks against the raw LMDB floor measured in the same run
#
# BUILD=dir puts every build product in dir (default build/), so several builds can
# coexist (the sanitizer build uses build-asan/).

BUILD   ?= build
CC      ?= cc
LUA     ?= lua5.4
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
LUA_INCDIR ?=
LUA_CFLAGS := $(if $(LUA_INCDIR),-I$(LUA_INCDIR),$(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4))
LUA_LIBS   := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
ALL_CFLAGS  = $(WARN) -D_GNU_SOURCE -fPIC $(CFLAGS) $(LUA_CFLAGS) -Icsrc $(EXTRA_CFLAGS)
LDLIBS_CORE = -llmdb -ljansson -lm -lcrypto -pthread   # libcrypto: SHA-256/HMAC of csrc/sigv4.c; pthread: pipeline.c
LDLIBS_SERVE = -lmicrohttpd -pthread   # clouddir serve (csrc/serve.c), in the binary only
PREFIX  ?= /usr/local
LUADIR  ?= $(PREFIX)/share/lua/5.4
LIBDIR  ?= $(PREFIX)/lib/lua/5.4
BINDIR  ?= $(PREFIX)/bin

# The engine: every csrc/*.c except the fronts (Lua binding, binary) and generators.
FRONT_SRC := csrc/lua_core.c csrc/lua_json.c csrc/lua_loader.c csrc/main.c csrc/serve.c
# clouddir.core: the Lua binding, its JSON functions (lua_json.c) and bulk loader (lua_loader.c).
LUA_CORE_OBJ := $(BUILD)/obj/lua_core.o $(BUILD)/obj/lua_json.o $(BUILD)/obj/lua_loader.o
CORE_SRC  := $(filter-out $(FRONT_SRC),$(wildcard csrc/*.c))
CORE_OBJ  := $(CORE_SRC:csrc/%.c=$(BUILD)/obj/%.o)
LUA_SRC   := lua/clouddir.lua $(wildcard lua/clouddir/*.lua)

LIB     := $(BUILD)/libclouddir.a
CORE_SO := $(BUILD)/lib/clouddir/core.so
BIN     := $(BUILD)/bin/clouddir
EMBED_C := $(BUILD)/gen/embedded_lua.c

.PHONY: all lib test check run bench clean deps install asan fuzz
all: $(LIB) $(CORE_SO) $(BIN)
lib: $(LIB)

$(BUILD)/obj/%.o: csrc/%.c $(wildcard csrc/*.h) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj $(BUILD)/lib/clouddir $(BUILD)/bin $(BUILD)/gen:
	mkdir -p $@

$(LIB): $(CORE_OBJ)
	rm -f $@; ar rcs $@ $^

$(CORE_SO): $(LUA_CORE_OBJ) $(LIB) | $(BUILD)/lib/clouddir
	$(CC) -shared $(CFLAGS) $(EXTRA_LDFLAGS) -o $@ $(LUA_CORE_OBJ) $(LIB) $(LDLIBS_CORE)

# The binary embeds the interpreter, clouddir.core and the Lua sources of the module.
$(EMBED_C): $(LUA_SRC) csrc/embed_lua.lua | $(BUILD)/gen
	$(LUA) csrc/embed_lua.lua $@ $(LUA_SRC)

$(BIN): $(BUILD)/obj/main.o $(LUA_CORE_OBJ) $(BUILD)/obj/serve.o $(EMBED_C) $(LIB) | $(BUILD)/bin
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $(BUILD)/obj/main.o $(LUA_CORE_OBJ) $(BUILD)/obj/serve.o $(EMBED_C) $(LIB) $(LUA_LIBS) -lreadline $(LDLIBS_SERVE) $(LDLIBS_CORE)

# ---- set-up: install what is missing from Debian (as root), then build ----
DEB_PACKAGES := gcc make pkg-config lua5.4 liblua5.4-dev liblmdb-dev lmdb-utils \
                libreadline-dev libjansson-dev lua-busted lua-dkjson \
                libmicrohttpd-dev awscli \
                libssl-dev nodejs wrk   # sigv4.c; spec/sdkjs (JS SDK scenario); serve bench
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root (or install them yourself):" $$missing; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@# npm ships inside nodesource's nodejs but is its own package in Debian's.
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }

# The sanitizer build: the same sources under AddressSanitizer + UndefinedBehaviorSanitizer.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(MAKE) BUILD=build-asan OPT=-O1 EXTRA_CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="$(SAN_FLAGS)" all

test: deps
	$(MAKE) all
	$(MAKE) asan
	spec/run_tests.sh $(BUILD) build-asan

# The quick loop while developing: no sanitizer pass.
check: all
	spec/run_tests.sh $(BUILD)

DEMO_STORE ?= demo.store
run: deps
	$(MAKE) all
	$(BIN) $(DEMO_STORE)

install: all
	install -d $(DESTDIR)$(LUADIR)/clouddir $(DESTDIR)$(LIBDIR)/clouddir $(DESTDIR)$(BINDIR)
	install -m 644 lua/clouddir.lua $(DESTDIR)$(LUADIR)/clouddir.lua
	install -m 644 $(wildcard lua/clouddir/*.lua) $(DESTDIR)$(LUADIR)/clouddir/
	install -m 755 $(CORE_SO) $(DESTDIR)$(LIBDIR)/clouddir/core.so
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/clouddir

clean:
	rm -rf build build-*

# make bench: the raw LMDB floor, then clouddir from C and Lua on BENCH_N objects (spec/bench/).
BENCH_N    ?= 1000000
BENCH_REPS ?= 7
BENCH_BINS := $(BUILD)/bench/raw_lmdb $(BUILD)/bench/cd_bench $(BUILD)/bench/bench_clock.so

bench: deps
	$(MAKE) $(BENCH_BINS) $(CORE_SO) $(BIN)
	BUILD=$(BUILD) BENCH_N=$(BENCH_N) BENCH_REPS=$(BENCH_REPS) LUA=$(LUA) bash spec/bench/run.sh

$(BUILD)/bench/raw_lmdb: spec/bench/raw_lmdb.c spec/bench/raw_shape.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< -llmdb

$(BUILD)/bench/cd_bench: spec/bench/cd_bench.c spec/bench/raw_shape.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS_CORE)

$(BUILD)/bench/bench_clock.so: spec/bench/bench_clock.c spec/bench/raw_shape.h $(LIB)
	@mkdir -p $(@D)
	$(CC) -shared -pthread $(ALL_CFLAGS) -Icsrc -o $@ $< $(LIB) $(LDLIBS_CORE)

# make fuzz: libFuzzer on the schema-document parser (PutSchemaFromJson) for FUZZ_SECONDS,
# under AddressSanitizer + UndefinedBehaviorSanitizer.  Needs clang (Debian: clang,
# libclang-rt-14-dev); `make test` does not.  New inputs go to $(BUILD)/fuzz/corpus;
# spec/fuzz/README.md has the details.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BIN     := $(BUILD)/fuzz/schema_doc_fuzz

fuzz: $(FUZZ_BIN)
	mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/crashes
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -dict=spec/fuzz/schema_doc.dict \
	    -artifact_prefix=$(BUILD)/fuzz/crashes/ $(BUILD)/fuzz/corpus spec/fuzz/corpus

$(FUZZ_BIN): spec/fuzz/schema_doc_fuzz.c $(CORE_SRC) $(wildcard csrc/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Icsrc \
	    -o $@ spec/fuzz/schema_doc_fuzz.c $(CORE_SRC) $(LDLIBS_CORE)
