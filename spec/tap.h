/* tap.h — the little test harness of the C unit tests (spec/NAME_test.c): TAP output that
 * spec/run_tests.sh counts.  Each test is one translation unit, so the counters are
 * file-local. */
#ifndef CD_TAP_H
#define CD_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

static int tests, failures;

/* Prints "ok N - what" or "not ok N - what"; returns ok. */
static bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static bool check(bool ok, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", ok ? "ok" : "not ok", ++tests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!ok)
        failures++;
    return ok;
}

/* xorshift64: the tests' reproducible random numbers, each test with its own state. */
static uint64_t tap_xorshift(uint64_t *state) __attribute__((unused));
static uint64_t tap_xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* The plan line and the exit status. */
static int tap_done(void) __attribute__((unused));
static int tap_done(void)
{
    printf("1..%d\n", tests);
    return failures ? 1 : 0;
}

#endif
