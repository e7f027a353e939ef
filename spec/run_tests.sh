#!/bin/sh
# Runs every test of clouddir and ends with one line: "N passed, N failed".
#
#   spec/run_tests.sh BUILD [ASAN_BUILD]
#
# 1. C unit tests (spec/*_test.c), built against BUILD/libclouddir.a;
# 2. the busted specs under Lua 5.4 against BUILD's clouddir.core;
# 3. with ASAN_BUILD: the C tests and the specs again, with clouddir.core built under
#    AddressSanitizer + UndefinedBehaviorSanitizer (any report fails the run).
# Output is TAP; the counts come from its ok / not ok lines.
set -u
BUILD=${1:-build}
ASAN=${2:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_c_tests() { # build dir, extra flags
    for src in spec/*_test.c; do
        [ -e "$src" ] || continue
        exe="$1/tests/$(basename "$src" .c)"
        mkdir -p "$1/tests"
        if ! ${CC:-cc} -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -g $2 -Icsrc "$src" \
                "$1/libclouddir.a" -llmdb -ljansson -lm -lcrypto -pthread -o "$exe"; then
            echo "not ok - $src does not build"
            continue
        fi
        echo "# $exe"
        "$exe" || echo "not ok - $exe exited with status $?"
    done
}

run_specs() { # build dir, label
    echo "# busted specs ($2)"
    LUA_CPATH="$1/lib/?.so;;" CLOUDDIR_BIN="$1/bin/clouddir" \
        busted --lua=lua5.4 --cpath="$1/lib/?.so" -o TAP spec 2>&1 ||
        echo "not ok - busted exited with status $? ($2)"
}

# The AWS SDK for JavaScript v3 against `clouddir serve` (spec/sdkjs/scenario.mjs, TAP).
run_sdkjs() { # build dir
    echo "# AWS SDK for JavaScript v3 scenario ($1/bin/clouddir)"
    if ! command -v node >/dev/null; then
        echo "not ok - sdkjs: node is missing (make deps installs nodejs)"
        return
    fi
    if [ ! -d spec/sdkjs/node_modules/@aws-sdk/client-clouddirectory ] &&
       ! (cd spec/sdkjs && npm ci --no-audit --no-fund --loglevel=error >&2); then
        echo "not ok - sdkjs: npm ci in spec/sdkjs failed"
        return
    fi
    node spec/sdkjs/scenario.mjs "$1/bin/clouddir" ||
        echo "not ok - sdkjs: scenario.mjs exited with status $?"
}

{
    run_c_tests "$BUILD" ""
    run_specs "$BUILD" "$BUILD"
    run_sdkjs "$BUILD"
    if [ -n "$ASAN" ]; then
        san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
        run_c_tests "$ASAN" "$san"
        run_sdkjs "$ASAN"
        # lua5.4 itself is not instrumented: preload the runtimes into it.
        LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)" \
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23" \
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24" \
            run_specs "$ASAN" "sanitizers"
    fi
} 2>&1 | tee "$log"

passed=$(grep -cE '^ok ' "$log")
failed=$(grep -cE '^not ok' "$log")
sanitizer=$(grep -cE '^(==[0-9]+==ERROR|.*runtime error:)' "$log")
failed=$((failed + sanitizer))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
