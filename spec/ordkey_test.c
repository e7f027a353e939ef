/* ordkey_test.c — order-preserving encodings, ranges and ordered scans (csrc/ordkey.h).
 *
 * Encodings are checked against reference comparisons (cd_decimal_cmp, memcmp, ...) on
 * hand-picked and random values and tuples; ranges against an independent model of the
 * semantics §6.4 position line; scans against a sorted reference list in a real temporary
 * store, with long entries that share a 600-byte start.  Output is TAP. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ordkey.h"
#include "rules.h"

#include "tap.h"

static cd_arena *A;
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void) { return tap_xorshift(&rng_state); }

static size_t rndn(size_t n) { return (size_t)(rnd() % n); }

static int sgn(int x) { return (x > 0) - (x < 0); }

/* ---------------------------------------------------------------- values */

static cd_attrval num(const char *s) { return (cd_attrval){.type = CD_ATTR_NUMBER, .p = s, .n = strlen(s)}; }
static cd_attrval str(const char *s, size_t n) { return (cd_attrval){.type = CD_ATTR_STRING, .p = s, .n = n}; }
static cd_attrval bin(const char *s, size_t n) { return (cd_attrval){.type = CD_ATTR_BINARY, .p = s, .n = n}; }
static cd_attrval boolean(bool b) { return (cd_attrval){.type = CD_ATTR_BOOLEAN, .b = b}; }
static cd_attrval dt(int64_t ms) { return (cd_attrval){.type = CD_ATTR_DATETIME, .ms = ms}; }

/* The missing slot is modelled as a value of type VARIANT. */
static const cd_attrval MISSING = {.type = CD_ATTR_VARIANT};

typedef struct enc { unsigned char *p; size_t n; } enc;

static enc encode(const cd_attrval *v)
{
    cd_buf b;
    cd_buf_init(&b, A);
    bool ok = v->type == CD_ATTR_VARIANT ? cd_ordkey_put_missing(&b) : cd_ordkey_put(&b, v);
    if (!ok) {
        printf("# cannot encode a value of type %d\n", v->type);
        exit(2);
    }
    return (enc){b.p, b.len};
}

static int enc_cmp(enc x, enc y) { return sgn(cd_ordkey_cmp(x.p, x.n, y.p, y.n)); }

/* The reference order: type (enum order), then value, missing last. */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    return sgn(cd_ordkey_cmp(a, an, b, bn));
}

static int ref_cmp(const cd_attrval *a, const cd_attrval *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case CD_ATTR_STRING:
    case CD_ATTR_BINARY: return bytes_cmp(a->p, a->n, b->p, b->n);
    case CD_ATTR_BOOLEAN: return (int)a->b - (int)b->b;
    case CD_ATTR_NUMBER: return sgn(cd_decimal_cmp(a->p, a->n, b->p, b->n));
    case CD_ATTR_DATETIME: return (a->ms > b->ms) - (a->ms < b->ms);
    case CD_ATTR_VARIANT: return 0;
    }
    return 0;
}

static const char *show(const cd_attrval *v)
{
    switch (v->type) {
    case CD_ATTR_STRING:
    case CD_ATTR_BINARY: {
        char *s = cd_arena_alloc(A, 4 * v->n + 3);
        size_t k = 0;
        s[k++] = '"';
        for (size_t i = 0; i < v->n && i < 40; i++) {
            unsigned char ch = (unsigned char)v->p[i];
            if (ch >= 32 && ch < 127)
                s[k++] = (char)ch;
            else
                k += (size_t)sprintf(s + k, "\\x%02x", ch);
        }
        s[k++] = '"';
        s[k] = 0;
        return s;
    }
    case CD_ATTR_BOOLEAN: return v->b ? "true" : "false";
    case CD_ATTR_NUMBER: return cd_arena_printf(A, "%.*s", (int)v->n, v->p);
    case CD_ATTR_DATETIME: return cd_arena_printf(A, "%lldms", (long long)v->ms);
    case CD_ATTR_VARIANT: return "missing";
    }
    return "?";
}

/* Checks that each value sorts after the previous one (groups of equal values are listed
 * with the same group number). */
static void ordered_list(const char *what, const cd_attrval *v, const int *group, size_t n)
{
    size_t bad = 0;
    for (size_t i = 1; i < n; i++) {
        int want = group[i] == group[i - 1] ? 0 : -1;
        int got = enc_cmp(encode(&v[i - 1]), encode(&v[i]));
        int ref = ref_cmp(&v[i - 1], &v[i]);
        if (got != want || ref != want) {
            printf("# %s: %s vs %s: encoding %d, reference %d, want %d\n", what,
                   show(&v[i - 1]), show(&v[i]), got, ref, want);
            bad++;
        }
    }
    check(bad == 0, "%s: %zu hand-picked values in order", what, n);
}

static void test_numbers(void)
{
    static const char *const list[][6] = {
        {"-1e999999999999999999"},
        {"-123456789012345678901234567890"},
        {"-1e3", "-1000", "-1000.000", "-0.001e6"},
        {"-10.5"},
        {"-10", "-1e1", "-10.0"},
        {"-9"},
        {"-1.5", "-15e-1", "-1.50"},
        {"-1", "-1.0", "-.1e1"},
        {"-0.5"},
        {"-0.000000000000000000001", "-1e-21"},
        {"-1e-999999999999999999"},
        {"0", "-0", "+0", "0.000", "0e-999999999999999999", "-.0E+7"},
        {"1e-999999999999999999"},
        {"0.000001", "1e-6"},
        {"0.5", ".5", "5e-1"},
        {"1", "1.0", "10e-1", "+0.1e1", ".1E+1", "001.000"},
        {"1.00000000000000000000000000001"},
        {"9"},
        {"10", "1e1", "10.", "0010"},
        {"10.5"},
        {"99.99"},
        {"1e3", "1000", "1000.0", "0.001e6"},
        {"1000.0001"},
        {"12345678901234567890123456789"},
        {"1e256"},
        {"1e999999999999999998"},
        {"1e999999999999999999", "10e999999999999999998"},
        {"1.5e999999999999999999"},
    };
    cd_attrval v[200];
    int group[200];
    size_t n = 0;
    for (size_t g = 0; g < sizeof list / sizeof *list; g++)
        for (size_t k = 0; k < 6 && list[g][k]; k++) {
            v[n] = num(list[g][k]);
            group[n++] = (int)g;
        }
    ordered_list("NUMBER", v, group, n);

    /* "-0" == "0", "1.0" == "1": identical encodings, not merely equal order */
    enc z1 = encode(&(cd_attrval){.type = CD_ATTR_NUMBER, .p = "-0", .n = 2});
    enc z2 = encode(&(cd_attrval){.type = CD_ATTR_NUMBER, .p = "0", .n = 1});
    check(z1.n == z2.n && memcmp(z1.p, z2.p, z1.n) == 0, "NUMBER: -0 and 0 encode identically");
    cd_buf b;
    cd_buf_init(&b, A);
    check(!cd_ordkey_put(&b, &(cd_attrval){.type = CD_ATTR_NUMBER, .p = "1e1000000000000000000",
                                           .n = 21}) && b.len == 0,
          "NUMBER: an invalid decimal is refused and nothing is appended");
    check(!cd_ordkey_put(&b, &(cd_attrval){.type = CD_ATTR_VARIANT}),
          "a value of type VARIANT is refused");
}

/* A random decimal, often with leading/trailing zeros, fractions and exponents. */
static cd_attrval random_number(void)
{
    char s[96];
    size_t k = 0;
    static const char *const digits[] = {"0123456789", "01", "09", "0"};
    const char *alpha = digits[rndn(3)];
    size_t na = strlen(alpha);
    int r = (int)rndn(10);
    if (r == 0)
        s[k++] = '+';
    else if (r < 5)
        s[k++] = '-';
    size_t ni = rndn(6), nf = rndn(6);
    if (ni == 0 && nf == 0)
        ni = 1;
    for (size_t i = 0; i < ni; i++)
        s[k++] = alpha[rndn(na)];
    if (nf || rndn(4) == 0) {
        s[k++] = '.';
        if (ni == 0 && nf == 0)
            nf = 1;
    }
    for (size_t i = 0; i < nf; i++)
        s[k++] = alpha[rndn(na)];
    switch (rndn(6)) {
    case 0: k += (size_t)sprintf(s + k, "e%d", (int)rndn(7) - 3); break;
    case 1: k += (size_t)sprintf(s + k, "E+%d", (int)rndn(300)); break;
    case 2: k += (size_t)sprintf(s + k, "e-%d", (int)rndn(300)); break;
    case 3: {   /* near the limit of the accepted range */
        uint64_t e = 999999999999999999u - rndn(5);
        k += (size_t)sprintf(s + k, "e%s%llu", rndn(2) ? "-" : "", (unsigned long long)e);
        break;
    }
    default: break;
    }
    char *p = cd_arena_strndup(A, s, k);
    return num(p);
}

static cd_attrval random_bytes(cd_attr_type t)
{
    static const char alpha[] = {0x00, 0x01, 'a', 'b', (char)0xFE, (char)0xFF};
    size_t n = rndn(6);
    char *p = cd_arena_alloc(A, n + 1);
    for (size_t i = 0; i < n; i++)
        p[i] = alpha[rndn(sizeof alpha)];
    return (cd_attrval){.type = t, .p = p, .n = n};
}

static cd_attrval random_datetime(void)
{
    static const int64_t edges[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
    if (rndn(4) == 0)
        return dt(edges[rndn(7)]);
    int64_t x = (int64_t)(rnd() >> rndn(64));
    return dt(rndn(2) ? x : -x);
}

static cd_attrval random_value(void)
{
    switch (rndn(6)) {
    case 0: return random_bytes(CD_ATTR_STRING);
    case 1: return random_bytes(CD_ATTR_BINARY);
    case 2: return boolean(rndn(2));
    case 3: return random_number();
    case 4: return random_datetime();
    default: return rndn(4) ? random_number() : MISSING;
    }
}

/* Encoding order == reference order, prefix-freeness and decoding, for random pairs. */
static void random_pairs(const char *what, cd_attrval (*gen)(void), size_t n)
{
    size_t bad_order = 0, bad_prefix = 0, bad_decode = 0, equal = 0;
    for (size_t i = 0; i < n; i++) {
        cd_attrval x = gen(), y = gen();
        enc ex = encode(&x), ey = encode(&y);
        int got = enc_cmp(ex, ey), ref = ref_cmp(&x, &y);
        equal += ref == 0;
        if (got != ref && bad_order++ < 5)
            printf("# %s: %s vs %s: encoding %d, reference %d\n", what, show(&x), show(&y),
                   got, ref);
        /* prefix-free: neither is a proper prefix of the other */
        size_t m = ex.n < ey.n ? ex.n : ey.n;
        if (ex.n != ey.n && memcmp(ex.p, ey.p, m) == 0 && bad_prefix++ < 5)
            printf("# %s: %s is a prefix of %s\n", what, show(&x), show(&y));
        /* decoding: the length, and a value equal to the original that encodes the same */
        unsigned char *junk = cd_arena_alloc(A, ex.n + 3);
        memcpy(junk, ex.p, ex.n);
        memcpy(junk + ex.n, "\x00\xff\x10", 3);
        cd_attrval back;
        bool missing;
        size_t used = cd_ordkey_get(A, junk, ex.n + 3, &back, &missing);
        bool ok = used == ex.n && cd_ordkey_len(junk, ex.n + 3) == ex.n &&
                  cd_ordkey_len(ex.p, ex.n - 1) == 0;
        if (ok && missing)
            ok = x.type == CD_ATTR_VARIANT;
        else if (ok) {
            ok = ref_cmp(&back, &x) == 0;
            if (ok && back.type == CD_ATTR_NUMBER)
                ok = cd_decimal_valid(back.p, back.n);
            if (ok) {
                enc eb = encode(&back);
                ok = eb.n == ex.n && memcmp(eb.p, ex.p, ex.n) == 0;
            }
        }
        if (!ok && bad_decode++ < 5)
            printf("# %s: %s decodes as %s (used %zu of %zu)\n", what, show(&x),
                   missing ? "missing" : show(&back), used, ex.n);
        if ((i & 1023) == 0)
            cd_arena_reset(A);
    }
    check(bad_order == 0, "%s: encoding order == reference order on %zu random pairs (%zu equal)",
          what, n, equal);
    check(bad_prefix == 0, "%s: encodings are prefix-free", what);
    check(bad_decode == 0, "%s: cd_ordkey_len / cd_ordkey_get give back the value", what);
}

static cd_attrval gen_string(void) { return random_bytes(CD_ATTR_STRING); }
static cd_attrval gen_binary(void) { return random_bytes(CD_ATTR_BINARY); }
static cd_attrval gen_bool(void) { return boolean(rndn(2)); }

static void test_other_types(void)
{
    cd_attrval s[] = {str("", 0), str("\0", 1), str("\0\0", 2), str("\0\x01", 2),
                      str("\x01", 1), str("a", 1), str("a\0", 2), str("a\0\0", 3),
                      str("a\0b", 3), str("a\x01", 2), str("ab", 2), str("b", 1),
                      str("\xc3\xa9", 2), str("\xff", 1), str("\xff\xff", 2)};
    int g[16];
    for (int i = 0; i < 16; i++)
        g[i] = i;
    ordered_list("STRING", s, g, sizeof s / sizeof *s);
    cd_attrval b[] = {bin("", 0), bin("\0", 1), bin("\0\xff", 2), bin("\x01", 1),
                      bin("a", 1), bin("a\0", 2), bin("ab", 2), bin("\xff", 1)};
    ordered_list("BINARY", b, g, sizeof b / sizeof *b);
    cd_attrval o[] = {boolean(false), boolean(true)};
    ordered_list("BOOLEAN", o, g, 2);
    cd_attrval d[] = {dt(INT64_MIN), dt(-86400000LL * 365 * 100), dt(-1), dt(0), dt(1),
                      dt(1500000000000LL), dt(INT64_MAX)};
    ordered_list("DATETIME", d, g, sizeof d / sizeof *d);
    /* VARIANT: type order, then value; missing after every present value */
    cd_attrval v[] = {str("", 0), str("\xff\xff\xff", 3), bin("", 0), bin("\xff", 1),
                      boolean(false), boolean(true), num("-1e999999999999999999"),
                      num("1e999999999999999999"), dt(INT64_MIN), dt(INT64_MAX), MISSING};
    ordered_list("VARIANT type order STRING < BINARY < BOOLEAN < NUMBER < DATETIME < missing",
                 v, g, sizeof v / sizeof *v);
}

/* ---------------------------------------------------------------- tuples */

static void test_tuples(void)
{
    size_t bad = 0, equal = 0;
    for (int i = 0; i < 5000; i++) {
        cd_attrval x[3], y[3];
        cd_buf bx, by;
        cd_buf_init(&bx, A);
        cd_buf_init(&by, A);
        for (int k = 0; k < 3; k++) {
            /* share leading elements often, so later elements decide */
            x[k] = random_value();
            y[k] = rndn(3) ? x[k] : random_value();
            if (x[k].type == CD_ATTR_VARIANT)
                cd_ordkey_put_missing(&bx);
            else
                cd_ordkey_put(&bx, &x[k]);
            if (y[k].type == CD_ATTR_VARIANT)
                cd_ordkey_put_missing(&by);
            else
                cd_ordkey_put(&by, &y[k]);
        }
        int ref = 0;
        for (int k = 0; k < 3 && ref == 0; k++)
            ref = ref_cmp(&x[k], &y[k]);
        equal += ref == 0;
        int got = sgn(cd_ordkey_cmp(bx.p, bx.len, by.p, by.len));
        if (got != ref && bad++ < 5)
            printf("# tuple (%s, %s, %s) vs (%s, %s, %s): %d, want %d\n", show(&x[0]),
                   show(&x[1]), show(&x[2]), show(&y[0]), show(&y[1]), show(&y[2]), got, ref);
        if ((i & 511) == 0)
            cd_arena_reset(A);
    }
    check(bad == 0, "tuples: memcmp of concatenated encodings is lexicographic order (%zu equal)",
          equal);
    /* ("a", "b") vs ("a\0b"...): the terminator keeps elements apart */
    cd_buf x, y;
    cd_buf_init(&x, A);
    cd_buf_init(&y, A);
    cd_attrval a = str("a", 1), ab = str("ab", 2), b = str("b", 1), e = str("", 0);
    cd_ordkey_put(&x, &a);
    cd_ordkey_put(&x, &b);
    cd_ordkey_put(&y, &ab);
    cd_ordkey_put(&y, &e);
    check(cd_ordkey_cmp(x.p, x.len, y.p, y.len) < 0, "tuples: (\"a\", \"b\") < (\"ab\", \"\")");
}

/* ---------------------------------------------------------------- ranges */

static cd_ctx CTX;
static cd_error ERR;

static cd_value *S(const char *s) { return cd_strz(A, s); }

static cd_value *typed(const cd_attrval *v)
{
    return cd_attrval_typed(A, v);
}

static cd_value *range_value(const char *sm, const cd_attrval *sv, const char *em,
                             const cd_attrval *ev)
{
    cd_value *m = cd_map(A);
    if (sm)
        cd_map_set(A, m, "StartMode", S(sm));
    if (sv)
        cd_map_set(A, m, "StartValue", typed(sv));
    if (em)
        cd_map_set(A, m, "EndMode", S(em));
    if (ev)
        cd_map_set(A, m, "EndValue", typed(ev));
    return m;
}

static const char *const MODES[] = {"FIRST", "LAST", "LAST_BEFORE_MISSING_VALUES", "INCLUSIVE",
                                    "EXCLUSIVE"};

/* The model of semantics §6.4: positions on a line over the values 1, 2, 3 and missing. */
static int model_pos(int mode, int vi, bool start, bool optional)
{
    switch (mode) {
    case 0: return 0;                                   /* -inf */
    case 1: return 100;                                 /* +inf */
    case 2: return optional ? 50 : 100;                 /* M- (LAST for required) */
    case 3: return 10 * (vi + 1);                       /* v */
    case 4: return 10 * (vi + 1) + (start ? 1 : -1);    /* v+ / v- */
    }
    return -1;
}

static void test_ranges(void)
{
    static const char *const vals[] = {"1", "2", "3"};
    cd_attrval items[4] = {num("1"), num("2"), num("3"), MISSING};
    int item_pos[4] = {10, 20, 30, 60};
    size_t bad_valid = 0, bad_match = 0, combos = 0;
    for (int opt = 0; opt < 2; opt++)
        for (int sm = 0; sm < 5; sm++)
            for (int sv = 0; sv < (sm >= 3 ? 3 : 1); sv++)
                for (int em = 0; em < 5; em++)
                    for (int ev = 0; ev < (em >= 3 ? 3 : 1); ev++) {
                        combos++;
                        cd_attrval a = num(vals[sv]), b = num(vals[ev]);
                        cd_value *rv = range_value(MODES[sm], sm >= 3 ? &a : NULL, MODES[em],
                                                   em >= 3 ? &b : NULL);
                        cd_ordrange r;
                        int rc = cd_ordrange_from(&CTX, rv, CD_ATTR_NUMBER, opt, "range", &r);
                        int ps = model_pos(sm, sv, true, opt), pe = model_pos(em, ev, false, opt);
                        bool valid = ps <= pe;
                        const char *desc = cd_arena_printf(
                            A, "%s %s .. %s %s (%s)", MODES[sm], sm >= 3 ? vals[sv] : "",
                            MODES[em], em >= 3 ? vals[ev] : "", opt ? "optional" : "required");
                        if ((rc == 0) != valid ||
                            (rc && rc != CD_E_ValidationException)) {
                            if (bad_valid++ < 10)
                                printf("# %s: rc %s (%s), model says %s\n", desc,
                                       cd_code_name(rc), ERR.message,
                                       valid ? "valid" : "invalid");
                            continue;
                        }
                        if (rc)
                            continue;
                        for (int i = 0; i < (opt ? 4 : 3); i++) {
                            enc e = encode(&items[i]);
                            bool want = ps <= item_pos[i] && item_pos[i] <= pe;
                            if (cd_ordrange_contains(&r, e.p, e.n) != want && bad_match++ < 10)
                                printf("# %s: %s %s\n", desc, show(&items[i]),
                                       want ? "should match" : "should not match");
                        }
                    }
    check(bad_valid == 0, "ranges: validity of %zu mode/value combinations follows §6.4", combos);
    check(bad_match == 0, "ranges: which values and missing values match follows §6.4");

    /* named cases */
    struct { const char *sm; const char *sv; const char *em; const char *ev; bool opt;
             int rc; int exact; int full; } cases[] = {
        {"EXCLUSIVE", "4", "INCLUSIVE", "4", true, CD_E_ValidationException, 0, 0},
        {"INCLUSIVE", "4", "EXCLUSIVE", "4", true, CD_E_ValidationException, 0, 0},
        {"EXCLUSIVE", "4", "EXCLUSIVE", "4", true, CD_E_ValidationException, 0, 0},
        {"INCLUSIVE", "5", "INCLUSIVE", "4", true, CD_E_ValidationException, 0, 0},
        {"LAST", NULL, "INCLUSIVE", "4", true, CD_E_ValidationException, 0, 0},
        {"INCLUSIVE", "4", "FIRST", NULL, true, CD_E_ValidationException, 0, 0},
        {"LAST", NULL, "LAST_BEFORE_MISSING_VALUES", NULL, true, CD_E_ValidationException, 0, 0},
        {"LAST", NULL, "LAST_BEFORE_MISSING_VALUES", NULL, false, 0, 0, 0},
        {"FIRST", NULL, "FIRST", NULL, true, 0, 0, 0},
        {"LAST", NULL, "LAST", NULL, true, 0, 0, 0},
        {"INCLUSIVE", "4", "INCLUSIVE", "4.0", true, 0, 1, 0},
        {"INCLUSIVE", "4", "INCLUSIVE", "5", true, 0, 0, 0},
        {"FIRST", NULL, "LAST", NULL, true, 0, 0, 1},
        {"FIRST", NULL, "LAST_BEFORE_MISSING_VALUES", NULL, false, 0, 0, 1},
        {"FIRST", NULL, "LAST_BEFORE_MISSING_VALUES", NULL, true, 0, 0, 0},
        {"LAST_BEFORE_MISSING_VALUES", NULL, "LAST", NULL, true, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cd_attrval a = cases[i].sv ? num(cases[i].sv) : MISSING;
        cd_attrval b = cases[i].ev ? num(cases[i].ev) : MISSING;
        cd_ordrange r;
        int rc = cd_ordrange_from(&CTX, range_value(cases[i].sm, cases[i].sv ? &a : NULL,
                                                    cases[i].em, cases[i].ev ? &b : NULL),
                                  CD_ATTR_NUMBER, cases[i].opt, "Range of age", &r);
        bool ok = rc == cases[i].rc;
        if (ok && rc)
            ok = ERR.code == rc && strstr(ERR.message, "Range of age") != NULL;
        if (ok && !rc)
            ok = cd_ordrange_is_exact(&r) == cases[i].exact &&
                 cd_ordrange_is_full(&r) == cases[i].full;
        if (!ok)
            printf("# rc %s: %s\n", cd_code_name(rc), rc ? ERR.message : "");
        check(ok, "range %s %s .. %s %s (%s): %s%s%s", cases[i].sm, cases[i].sv ? cases[i].sv : "",
              cases[i].em, cases[i].ev ? cases[i].ev : "", cases[i].opt ? "optional" : "required",
              rc ? cd_code_name(cases[i].rc) : "valid", cases[i].exact ? ", exact" : "",
              cases[i].full ? ", full" : "");
    }
    cd_ordrange full;
    cd_ordrange_full(&full);
    check(cd_ordrange_is_full(&full) && !cd_ordrange_is_exact(&full), "cd_ordrange_full is full");

    /* malformed ranges */
    cd_attrval four = num("4"), s4 = str("4", 1), badnum = num("4x"), t = boolean(true);
    struct { cd_value *r; cd_attr_type type; const char *what; } bad[] = {
        {range_value("INCLUSIVE", NULL, "LAST", NULL), CD_ATTR_NUMBER, "INCLUSIVE without a value"},
        {range_value("FIRST", NULL, "EXCLUSIVE", NULL), CD_ATTR_NUMBER, "EXCLUSIVE without a value"},
        {range_value("INCLUSIVE", &s4, "LAST", NULL), CD_ATTR_NUMBER, "a STRING for a NUMBER"},
        {range_value("INCLUSIVE", &four, "INCLUSIVE", &t), CD_ATTR_NUMBER, "a BOOLEAN end for a NUMBER"},
        {range_value("INCLUSIVE", &badnum, "LAST", NULL), CD_ATTR_NUMBER, "a NumberValue that is no number"},
        {range_value("SOMEWHERE", NULL, "LAST", NULL), CD_ATTR_NUMBER, "an unknown mode"},
        {range_value(NULL, NULL, "LAST", NULL), CD_ATTR_NUMBER, "no StartMode"},
        {range_value("FIRST", NULL, NULL, NULL), CD_ATTR_NUMBER, "no EndMode"},
        {range_value("INCLUSIVE", &four, "INCLUSIVE", &s4), CD_ATTR_VARIANT,
         "VARIANT: NUMBER 4 .. STRING \"4\" (STRING sorts first)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cd_ordrange r;
        int rc = cd_ordrange_from(&CTX, bad[i].r, bad[i].type, true, "Range of x", &r);
        bool ok = rc == CD_E_ValidationException && ERR.code == rc &&
                  strstr(ERR.message, "Range of x");
        if (!ok)
            printf("# rc %s: %s\n", cd_code_name(rc), ERR.message);
        check(ok, "range with %s -> ValidationException", bad[i].what);
    }
    /* FIRST, LAST and LAST_BEFORE_MISSING_VALUES need no value: one given is ignored, unread
     * (not even its type or its number text is checked). */
    cd_ordrange ign;
    check(cd_ordrange_from(&CTX, range_value("FIRST", &s4, "LAST", &badnum), CD_ATTR_NUMBER,
                           true, "v", &ign) == 0 && cd_ordrange_is_full(&ign),
          "values given with FIRST and LAST are ignored: the full range");
    check(cd_ordrange_from(&CTX, range_value("LAST_BEFORE_MISSING_VALUES", &t, "LAST", &four),
                           CD_ATTR_NUMBER, true, "v", &ign) == 0 &&
              ign.start_mode == CD_RANGE_LAST_BEFORE_MISSING && ign.lo.n == 1,
          "a value given with LAST_BEFORE_MISSING_VALUES is ignored");
    cd_ordrange r;
    int rc = cd_ordrange_from(&CTX, range_value("INCLUSIVE", &s4, "INCLUSIVE", &four),
                              CD_ATTR_VARIANT, true, "v", &r);
    enc eb = encode(&(cd_attrval){.type = CD_ATTR_BINARY, .p = "z", .n = 1});
    enc e5 = encode(&(cd_attrval){.type = CD_ATTR_NUMBER, .p = "5", .n = 1});
    check(rc == 0 && cd_ordrange_contains(&r, eb.p, eb.n) && !cd_ordrange_contains(&r, e5.p, e5.n),
          "VARIANT range STRING \"4\" .. NUMBER 4 holds BINARY values, not NUMBER 5");
}

/* ---------------------------------------------------------------- scans */

typedef struct entry {
    unsigned char *enc;
    size_t n;
    unsigned char suffix[8];
    char payload[32];
    bool gone;
} entry;

static int entry_cmp(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    int r = cd_ordkey_cmp(a->enc, a->n, b->enc, b->n);
    return r ? r : memcmp(a->suffix, b->suffix, 8);
}

static void put_u64(unsigned char *p, uint64_t x)
{
    for (int i = 7; i >= 0; i--, x >>= 8)
        p[i] = (unsigned char)x;
}

/* Runs a scan (in pages of `page` entries, each page a new scan resuming after the last
 * entry of the previous one; page 0: one scan) and compares it with the entries of ref that
 * `want` selects, in order. */
typedef bool (*selector)(const entry *e, const void *arg);

static bool scan_matches(const cd_ordlayout *l, const void *exact, size_t exact_len,
                         const cd_ordrange *r, entry *ref, size_t nref, selector want,
                         const void *arg, size_t page, const char *what)
{
    size_t at = 0, got = 0, pages = 0;
    unsigned char *last = NULL, last_suffix[8];
    size_t last_n = 0;
    for (;;) {
        cd_cursor *cur;
        if (cd_kv_cursor(CTX.txn, &cur, &ERR)) {
            printf("# %s: cursor: %s\n", what, ERR.message);
            return false;
        }
        cd_ordscan s;
        int rc = cd_ordscan_open(&CTX, &s, cur, l, exact, exact_len, r, last, last_n,
                                 last ? last_suffix : NULL);
        size_t in_page = 0;
        cd_ordentry e;
        while (rc == 0 && (page == 0 || in_page < page) && (rc = cd_ordscan_next(&s, &e)) == 0) {
            while (at < nref && (ref[at].gone || !want(&ref[at], arg)))
                at++;
            if (at == nref || e.enc_len != ref[at].n || memcmp(e.enc, ref[at].enc, e.enc_len) ||
                memcmp(e.suffix, ref[at].suffix, 8) || e.payload_len != strlen(ref[at].payload) ||
                memcmp(e.payload, ref[at].payload, e.payload_len)) {
                printf("# %s: entry %zu differs from the reference (reference has %s)\n", what,
                       got, at == nref ? "no more" : "another");
                cd_cursor_close(cur);
                return false;
            }
            last = cd_arena_alloc(A, e.enc_len + 1);
            memcpy(last, e.enc, e.enc_len);
            last_n = e.enc_len;
            memcpy(last_suffix, e.suffix, 8);
            at++, got++, in_page++;
        }
        cd_cursor_close(cur);
        pages++;
        if (rc && rc != CD_KV_NOTFOUND) {
            printf("# %s: %s: %s\n", what, cd_code_name(rc), ERR.message);
            return false;
        }
        if (rc == CD_KV_NOTFOUND || page == 0 || in_page < page)
            break;
    }
    while (at < nref && (ref[at].gone || !want(&ref[at], arg)))
        at++;
    if (at != nref) {
        printf("# %s: the scan stopped after %zu entries, the reference has more\n", what, got);
        return false;
    }
    if (page)
        printf("# %s: %zu entries in %zu pages\n", what, got, pages);
    return true;
}

static bool want_all(const entry *e, const void *arg) { (void)e; (void)arg; return true; }

static bool want_range(const entry *e, const void *arg)
{
    return cd_ordrange_contains(arg, e->enc, e->n);
}

static unsigned char *long_string(size_t base_len, const char *tail, size_t tail_n, size_t *n)
{
    char *p = cd_arena_alloc(A, base_len + tail_n);
    for (size_t i = 0; i < base_len; i++)   /* the shared start, with a NUL in it */
        p[i] = i == 100 ? 0 : (char)('a' + i % 26);
    memcpy(p + base_len, tail, tail_n);
    cd_attrval v = str(p, base_len + tail_n);
    enc e = encode(&v);
    *n = e.n;
    return e.p;
}

/* A typed-link filter: the first value exactly, then a range on the rest (NULL: full). */
struct filt { const unsigned char *a; size_t an; const cd_ordrange *r; };

static bool want_link(const entry *e, const void *arg)
{
    const struct filt *f = arg;
    if (e->n <= f->an || memcmp(e->enc, f->a, f->an))
        return false;
    return !f->r || cd_ordrange_contains(f->r, e->enc + f->an, e->n - f->an);
}

static cd_arena *STORE_A;   /* the reference lives longer than the resets of A */

static void test_scans(void)
{
    char dir[] = "/tmp/ordkey_test.XXXXXX";
    if (!mkdtemp(dir)) {
        check(false, "temporary folder");
        return;
    }
    cd_kv *kv;
    cd_kv_options o = {.map_size = 256u << 20};
    if (cd_kv_open(dir, &o, &kv, &ERR) || cd_kv_begin(kv, true, &CTX.txn, &ERR)) {
        check(false, "open a store: %s", ERR.message);
        return;
    }
    /* an index: I | index number (4) | value encoding | oid (8) -> payload */
    static const unsigned char prefix[5] = {'I', 0, 0, 0, 7};
    cd_ordlayout l = {prefix, 5, 8};
    /* neighbours under other prefixes, which no scan may return */
    static const unsigned char before[] = {'I', 0, 0, 0, 6, 0xF0, 1, 2, 3, 4, 5, 6, 7, 8};
    static const unsigned char after[] = {'I', 0, 0, 0, 8, 0x10, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    cd_kv_put(CTX.txn, (cd_slice){before, sizeof before}, (cd_slice){"x", 1}, false, &ERR);
    cd_kv_put(CTX.txn, (cd_slice){after, sizeof after}, (cd_slice){"y", 1}, false, &ERR);

    size_t cap = 4000, n = 0;
    entry *ref = calloc(cap, sizeof *ref);
    cd_arena *saved = A;
    A = STORE_A;
    static const char *const tails[] = {"", "a", "b", "\0", "\0\0", "ab", "zz", "\xff", "a\0b"};
    uint64_t oid = 1;
    /* long values sharing a 600-byte start: several objects per value */
    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++)
        for (int k = 0; k < 4; k++) {
            entry *e = &ref[n++];
            e->enc = long_string(600, tails[t], t == 3 ? 1 : t == 4 ? 2 : t == 8 ? 3 : strlen(tails[t]),
                                 &e->n);
            put_u64(e->suffix, rndn(5) == 0 ? 3 : oid++);   /* some share an oid */
            snprintf(e->payload, sizeof e->payload, "long %zu.%d", t, k);
        }
    /* long values of another start (a second group), and lengths around the cut */
    for (size_t len = 480; len < 520; len += 3) {
        entry *e = &ref[n++];
        e->enc = long_string(len, "", 0, &e->n);
        put_u64(e->suffix, oid++);
        snprintf(e->payload, sizeof e->payload, "len %zu", len);
    }
    /* short values of every type, and missing values */
    for (int i = 0; i < 600; i++) {
        entry *e = &ref[n++];
        cd_attrval v = random_value();
        enc x = encode(&v);
        e->enc = x.p;
        e->n = x.n;
        put_u64(e->suffix, rndn(3) == 0 ? 3 : oid++);
        snprintf(e->payload, sizeof e->payload, "short %d", i);
    }
    A = saved;
    /* drop exact duplicates (same encoding and suffix) from the reference */
    qsort(ref, n, sizeof *ref, entry_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || entry_cmp(&ref[m - 1], &ref[i]) != 0)
            ref[m++] = ref[i];
    n = m;
    /* write in random order */
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = rndn(i), x = order[i - 1];
        order[i - 1] = order[j];
        order[j] = x;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        entry *e = &ref[order[i]];
        rc = cd_ordentry_put(&CTX, &l, e->enc, e->n, e->suffix, e->payload, strlen(e->payload));
    }
    check(rc == 0, "%zu entries written with cd_ordentry_put%s%s", n, rc ? ": " : "",
          rc ? ERR.message : "");
    size_t longs = 0;
    for (size_t i = 0; i < n; i++)
        longs += l.prefix_len + ref[i].n > CD_KV_MAX_KEY - 8 - CD_ORD_DUP_LEN;
    check(longs > 40, "%zu of them are longer than a key allows", longs);

    /* long entries that share their key start and suffix are told apart by dup numbers */
    {
        size_t dups = 0, shorts = 0, longk = 0;
        cd_cursor *cur;
        cd_slice k, v;
        cd_kv_cursor(CTX.txn, &cur, &ERR);
        for (rc = cd_cursor_seek(cur, (cd_slice){prefix, 5}, &k, &v, &ERR);
             rc == 0 && k.n >= 5 && !memcmp(k.p, prefix, 5);
             rc = cd_cursor_next(cur, &k, &v, &ERR)) {
            const unsigned char *kp = k.p;
            if (k.n == CD_KV_MAX_KEY) {
                longk++;
                dups += kp[k.n - 1] != 0 || kp[k.n - 2] != 0;
            } else {
                shorts += k.n <= CD_KV_MAX_KEY - CD_ORD_DUP_LEN;
            }
        }
        cd_cursor_close(cur);
        rc = 0;
        check(dups > 0 && longk == longs && shorts == n - longs,
              "stored keys: %zu short (<= 509 bytes), %zu long (511 bytes), %zu with dup > 0",
              shorts, longk, dups);
    }
    check(scan_matches(&l, NULL, 0, NULL, ref, n, want_all, NULL, 0, "full scan"),
          "full scan: every entry in (encoding, suffix) order, nothing from other prefixes");
    for (size_t page = 1; page <= 7; page += 3)
        check(scan_matches(&l, NULL, 0, NULL, ref, n, want_all, NULL, page, "paged"),
              "full scan in pages of %zu, resuming inside groups of long entries", page);

    /* ranges, with and without paging */
    char *base = cd_arena_alloc(A, 603);
    for (size_t i = 0; i < 600; i++)
        base[i] = i == 100 ? 0 : (char)('a' + i % 26);
    memcpy(base + 600, "ab", 2);
    cd_attrval long_a = str(base, 601), long_ab = str(base, 602), long_0 = str(base, 600);
    cd_attrval n0 = num("0"), n10 = num("10"), tru = boolean(true), sa = str("a", 1);
    struct { const char *sm; cd_attrval *sv; const char *em; cd_attrval *ev; } rs[] = {
        {"FIRST", NULL, "LAST", NULL},
        {"FIRST", NULL, "LAST_BEFORE_MISSING_VALUES", NULL},
        {"LAST_BEFORE_MISSING_VALUES", NULL, "LAST", NULL},
        {"INCLUSIVE", &long_a, "INCLUSIVE", &long_a},
        {"EXCLUSIVE", &long_a, "LAST", NULL},
        {"INCLUSIVE", &long_0, "EXCLUSIVE", &long_ab},
        {"EXCLUSIVE", &long_0, "INCLUSIVE", &long_ab},
        {"FIRST", NULL, "EXCLUSIVE", &long_a},
        {"INCLUSIVE", &n0, "EXCLUSIVE", &n10},
        {"EXCLUSIVE", &n0, "LAST_BEFORE_MISSING_VALUES", NULL},
        {"INCLUSIVE", &sa, "INCLUSIVE", &tru},
        {"EXCLUSIVE", &tru, "LAST", NULL},
        {"FIRST", NULL, "FIRST", NULL},
        {"LAST", NULL, "LAST", NULL},
    };
    for (size_t i = 0; i < sizeof rs / sizeof *rs; i++) {
        cd_ordrange r;
        const char *desc = cd_arena_printf(A, "%s %s .. %s %s", rs[i].sm,
                                           rs[i].sv ? show(rs[i].sv) : "", rs[i].em,
                                           rs[i].ev ? show(rs[i].ev) : "");
        if (cd_ordrange_from(&CTX, range_value(rs[i].sm, rs[i].sv, rs[i].em, rs[i].ev),
                             CD_ATTR_VARIANT, true, "r", &r)) {
            check(false, "range %s: %s", desc, ERR.message);
            continue;
        }
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            k += cd_ordrange_contains(&r, ref[j].enc, ref[j].n);
        bool ok = scan_matches(&l, NULL, 0, &r, ref, n, want_range, &r, 0, desc) &&
                  scan_matches(&l, NULL, 0, &r, ref, n, want_range, &r, 2, desc);
        check(ok, "scan of range %s (%zu entries), whole and in pages of 2", desc, k);
    }

    /* exact lookups */
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        cd_slice p;
        rc = cd_ordentry_get(&CTX, &l, ref[i].enc, ref[i].n, ref[i].suffix, &p);
        if (rc || p.n != strlen(ref[i].payload) || memcmp(p.p, ref[i].payload, p.n))
            bad++;
    }
    check(bad == 0, "cd_ordentry_get finds every entry's payload");
    unsigned char nobody[8];
    put_u64(nobody, 999999);
    size_t xn;
    unsigned char *x = long_string(600, "q", 1, &xn);
    check(cd_ordentry_get(&CTX, &l, x, xn, ref[0].suffix, NULL) == CD_KV_NOTFOUND &&
              cd_ordentry_get(&CTX, &l, ref[0].enc, ref[0].n, nobody, NULL) == CD_KV_NOTFOUND,
          "cd_ordentry_get: an absent long or short entry is CD_KV_NOTFOUND");

    /* replacing a payload keeps one entry */
    for (size_t i = 0; i < n; i += 7) {
        snprintf(ref[i].payload, sizeof ref[i].payload, "new %zu", i);
        rc |= cd_ordentry_put(&CTX, &l, ref[i].enc, ref[i].n, ref[i].suffix, ref[i].payload,
                              strlen(ref[i].payload));
    }
    check(rc == 0 && scan_matches(&l, NULL, 0, NULL, ref, n, want_all, NULL, 0, "replaced"),
          "putting an existing (encoding, suffix) again replaces its payload");

    /* deletes, long ones inside groups included */
    bad = 0;
    size_t dels = 0;
    for (size_t i = 0; i < n; i++)
        if (rndn(3) == 0) {
            ref[i].gone = true;
            dels++;
            if (cd_ordentry_del(&CTX, &l, ref[i].enc, ref[i].n, ref[i].suffix))
                bad++;
            else if (cd_ordentry_del(&CTX, &l, ref[i].enc, ref[i].n, ref[i].suffix) !=
                     CD_KV_NOTFOUND)
                bad++;
        }
    check(bad == 0, "cd_ordentry_del removes %zu entries; a second delete is CD_KV_NOTFOUND",
          dels);
    check(scan_matches(&l, NULL, 0, NULL, ref, n, want_all, NULL, 0, "after deletes") &&
              scan_matches(&l, NULL, 0, NULL, ref, n, want_all, NULL, 3, "after deletes"),
          "scans after deletes see exactly the remaining entries");
    /* re-adding a deleted long entry reuses a free place */
    for (size_t i = 0; i < n; i++)
        if (ref[i].gone && l.prefix_len + ref[i].n > 450) {
            ref[i].gone = false;
            rc |= cd_ordentry_put(&CTX, &l, ref[i].enc, ref[i].n, ref[i].suffix, ref[i].payload,
                                  strlen(ref[i].payload));
        }
    check(rc == 0 && scan_matches(&l, NULL, 0, NULL, ref, n, want_all, NULL, 2, "re-added"),
          "deleted long entries can be written again");

    /* resuming after an entry that is gone */
    {
        entry *g = NULL;
        for (size_t i = 0; i < n && !g; i++)
            if (ref[i].gone)
                g = &ref[i];
        cd_cursor *cur;
        cd_kv_cursor(CTX.txn, &cur, &ERR);
        cd_ordscan s;
        cd_ordentry e;
        rc = cd_ordscan_open(&CTX, &s, cur, &l, NULL, 0, NULL, g->enc, g->n, g->suffix);
        if (!rc)
            rc = cd_ordscan_next(&s, &e);
        entry *nx = g + 1;
        while (nx < ref + n && nx->gone)
            nx++;
        check(rc == 0 && nx < ref + n && e.enc_len == nx->n && !memcmp(e.enc, nx->enc, nx->n) &&
                  !memcmp(e.suffix, nx->suffix, 8),
              "resuming after a deleted entry continues with the next one");
        cd_cursor_close(cur);
    }

    /* typed-link style: T | src (8) | (STRING a, NUMBER b) | target (8), with `a` long, so
     * the exact bytes of a filter reach past the cut */
    static const unsigned char tprefix[9] = {'T', 0, 0, 0, 0, 0, 0, 0, 42};
    cd_ordlayout tl = {tprefix, 9, 8};
    size_t tn = 0;
    entry *tref = calloc(400, sizeof *tref);
    saved = A;
    A = STORE_A;
    const char *bs[] = {"-1", "0", "2.5", "10", "1e3"};
    for (int ai = 0; ai < 4; ai++)
        for (int bi = 0; bi < 5; bi++)
            for (int k = 0; k < 3; k++) {
                cd_buf b;
                cd_buf_init(&b, A);
                size_t an;
                unsigned char *ae = ai < 2 ? long_string(600, ai ? "y" : "x", 1, &an)
                                           : long_string(ai == 2 ? 5 : 6, "", 0, &an);
                cd_buf_put(&b, ae, an);
                cd_attrval bv = num(bs[bi]);
                cd_ordkey_put(&b, &bv);
                entry *e = &tref[tn++];
                e->enc = b.p;
                e->n = b.len;
                put_u64(e->suffix, (uint64_t)(100 + k));
                snprintf(e->payload, sizeof e->payload, "link %d %d %d", ai, bi, k);
            }
    A = saved;
    rc = 0;
    for (size_t i = tn; i-- > 0;)
        rc |= cd_ordentry_put(&CTX, &tl, tref[i].enc, tref[i].n, tref[i].suffix,
                              tref[i].payload, strlen(tref[i].payload));
    qsort(tref, tn, sizeof *tref, entry_cmp);
    check(rc == 0 && scan_matches(&tl, NULL, 0, NULL, tref, tn, want_all, NULL, 4, "links"),
          "typed-link tuples (long STRING, NUMBER): ordered by tuple, then target");
    size_t an;
    unsigned char *ax = long_string(600, "x", 1, &an);
    cd_attrval lo = num("0"), hi = num("10");
    cd_ordrange br;
    cd_ordrange_from(&CTX, range_value("EXCLUSIVE", &lo, "INCLUSIVE", &hi), CD_ATTR_NUMBER, false,
                     "b", &br);
    /* the reference: first element == ax and second in br */
    struct filt f = {ax, an, &br};
    bool ok = true;
    {
        size_t expect = 0;
        for (size_t i = 0; i < tn; i++)
            expect += tref[i].n > an && !memcmp(tref[i].enc, ax, an) &&
                      cd_ordrange_contains(&br, tref[i].enc + an, tref[i].n - an);
        ok = expect == 6;
    }
    check(ok && scan_matches(&tl, ax, an, &br, tref, tn, want_link, &f, 0, "link filter") &&
              scan_matches(&tl, ax, an, &br, tref, tn, want_link, &f, 1, "link filter"),
          "typed-link filter: exact long first value, range (0, 10] on the second, paged by 1");
    ok = scan_matches(&tl, ax, an, NULL, tref, tn, want_link, &(struct filt){ax, an, NULL}, 5,
                      "exact only");
    check(ok, "typed-link filter: exact first value only, the rest full");
    /* a scan prefix that includes leading encoding bytes still agrees with the writer */
    unsigned char *wide = cd_arena_alloc(A, 9 + 40);
    memcpy(wide, tprefix, 9);
    memcpy(wide + 9, ax, 40);
    cd_ordlayout wl = {wide, 49, 8};
    size_t hit = 0;
    {
        cd_cursor *cur;
        cd_kv_cursor(CTX.txn, &cur, &ERR);
        cd_ordscan s;
        cd_ordentry e;
        rc = cd_ordscan_open(&CTX, &s, cur, &wl, NULL, 0, NULL, NULL, 0, NULL);
        while (!rc && (rc = cd_ordscan_next(&s, &e)) == 0)
            hit++;
        cd_cursor_close(cur);
    }
    check(rc == CD_KV_NOTFOUND && hit == 2 * 5 * 3,
          "a scan whose prefix holds 40 bytes of the encoding finds the same %zu entries", hit);
    free(tref);
    free(order);
    free(ref);
    cd_kv_abort(CTX.txn);
    cd_kv_close(kv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

int main(void)
{
    A = cd_arena_new();
    STORE_A = cd_arena_new();
    CTX.a = A;
    CTX.err = &ERR;
    test_numbers();
    random_pairs("NUMBER", random_number, 20000);
    random_pairs("STRING", gen_string, 5000);
    random_pairs("BINARY", gen_binary, 5000);
    random_pairs("BOOLEAN", gen_bool, 200);
    random_pairs("DATETIME", random_datetime, 5000);
    random_pairs("VARIANT (mixed types and missing)", random_value, 10000);
    test_other_types();
    test_tuples();
    cd_arena_reset(A);
    test_ranges();
    cd_arena_reset(A);
    test_scans();
    cd_arena_free(A);
    cd_arena_free(STORE_A);
    return tap_done();
}
