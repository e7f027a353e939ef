/* data_test.c — unit tests of the data plane's pure pieces: exact decimal comparison,
 * rules (csrc/rules.c) and the stored form of attribute values and slots
 * (csrc/attribute.c).  Output is TAP. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "attribute.h"
#include "keys.h"
#include "rules.h"

#include "tap.h"

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_decimals(void)
{
    static const char *const valid[] = {
        "0", "-0", "+0", "1", "-1", "1.5", "1.", ".5", "-.5", "1e3", "1E+3", "1e-3", "00012",
        "12345678901234567890123456789", "-0.000000000000000000001", "6.02E+23", "1e99999999999",
        "1e999999999999999999", "1e-999999999999999999", "1e0000000000000000000000005",
    };
    static const char *const invalid[] = {
        "", "-", "+", ".", "e3", "1e", "1e+", "--1", "1.2.3", "0x10", " 1", "1 ", "NaN", "inf",
        "1,5", "1e3.5", "\xc2\xb9",
        /* exponents of 19 significant digits or more: beyond what compares exactly */
        "1e1000000000000000000", "1e-1000000000000000000", "1e1152921504606846977",
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
        check(cd_decimal_valid(valid[i], strlen(valid[i])), "decimal '%s' is valid", valid[i]);
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
        check(!cd_decimal_valid(invalid[i], strlen(invalid[i])), "decimal '%s' is not valid",
              invalid[i]);

    static const struct { const char *a, *b; int cmp; } cmps[] = {
        {"1e3", "1000", 0},          {"1000.000", "1e3", 0},       {"0", "-0", 0},
        {"0.0e10", "0", 0},          {"-1", "1", -1},              {"-2", "-1", -1},
        {"0.1", "0.10000000000000000000001", -1},
        {"12345678901234567890123456789", "12345678901234567890123456788", 1},
        {"-0.000000000000000000001", "0", -1},                     {"1e-21", "0.000000000000000000001", 0},
        {"150.5", "1.505e2", 0},     {"99", "1e2", -1},            {"1e99999999999", "1e99999999998", 1},
        {".5", "0.5", 0},            {"5.", "5", 0},               {"007", "7", 0},
        {"-1e3", "-999", -1},        {"123.456", "123.4560001", -1},
        {"1e999999999999999999", "1e999999999999999998", 1},
        {"-1e-999999999999999999", "-1e-999999999999999998", 1},
        {"1e0000000000000000000000005", "100000", 0},
    };
    for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++) {
        int c = sign(cd_decimal_cmp(cmps[i].a, strlen(cmps[i].a), cmps[i].b, strlen(cmps[i].b)));
        int r = sign(cd_decimal_cmp(cmps[i].b, strlen(cmps[i].b), cmps[i].a, strlen(cmps[i].a)));
        check(c == cmps[i].cmp && r == -cmps[i].cmp, "compare %s with %s: %d (expected %d)",
              cmps[i].a, cmps[i].b, c, cmps[i].cmp);
    }
}

static void test_string_sets(void)
{
    const char *set = "red,\"with,comma\",with\"quote,,\"unclosed";
    static const struct { const char *s; bool in; } cases[] = {
        {"red", true}, {"with,comma", true}, {"with\"quote", true}, {"", true},
        {"\"unclosed", true}, {"with", false}, {"comma", false}, {"\"with,comma\"", false},
        {"Red", false}, {"red,", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check(cd_rule_set_contains(set, strlen(set), cases[i].s, strlen(cases[i].s)) ==
                  cases[i].in,
              "STRING_FROM_SET %s '%s'", cases[i].in ? "has" : "lacks", cases[i].s);

    /* A quoted item ends at a quote followed by a comma or the end of the list, as
     * lua/clouddir/schema.lua splits it; a quote followed by anything else is part of
     * the item, and a leading quote with no such end is literal.  Nothing is dropped. */
    static const struct { const char *set, *s; bool in; } quoting[] = {
        {"\"a\"b,c", "\"a\"b", true},         {"\"a\"b,c", "a", false},
        {"\"a\"b,c", "c", true},              {"\"a\"b\",c", "a\"b", true},
        {"\"a\"b\",c", "c", true},             {"\"a\"\"b\"", "a\"\"b", true},
        {"\"a\"\"b\"", "a", false},           {"x,\"y,z\"", "y,z", true},
        {"x,\"y,z\"", "x", true},             {"\"\"", "", true},
        {"\"\",x", "x", true},                {"\"a,b", "\"a", true},
        {"\"a,b", "b", true},                 {"a\"b,\"c\"", "a\"b", true},
        {"a\"b,\"c\"", "c", true},
    };
    for (size_t i = 0; i < sizeof quoting / sizeof *quoting; i++)
        check(cd_rule_set_contains(quoting[i].set, strlen(quoting[i].set), quoting[i].s,
                                   strlen(quoting[i].s)) == quoting[i].in,
              "STRING_FROM_SET [%s] %s '%s'", quoting[i].set, quoting[i].in ? "has" : "lacks",
              quoting[i].s);
}

/* A RuleMap {name = {Type = type, Parameters = {k1 = v1, k2 = v2}}}. */
static cd_value *rule(cd_arena *a, const char *type, const char *k1, const char *v1,
                      const char *k2, const char *v2)
{
    cd_value *rules = cd_map(a), *r = cd_map(a), *p = cd_map(a);
    cd_map_set(a, r, "Type", cd_strz(a, type));
    if (k1)
        cd_map_set(a, p, k1, cd_strz(a, v1));
    if (k2)
        cd_map_set(a, p, k2, cd_strz(a, v2));
    cd_map_set(a, r, "Parameters", p);
    cd_map_set(a, rules, "r", r);
    return rules;
}

static void test_rules(void)
{
    cd_arena *a = cd_arena_new();
    cd_value *len = rule(a, "STRING_LENGTH", "min", "2", "max", "3");
    check(cd_rules_check(a, len, CD_RULE_STRING, "\xc3\xa9\xc3\xa9\xc3\xa9", 6) == NULL,
          "STRING_LENGTH counts characters, not bytes");
    check(cd_rules_check(a, len, CD_RULE_STRING, "ab", 2) == NULL, "STRING_LENGTH min inclusive");
    check(cd_rules_check(a, len, CD_RULE_STRING, "a", 1) != NULL, "STRING_LENGTH below min");
    check(cd_rules_check(a, len, CD_RULE_STRING, "abcd", 4) != NULL, "STRING_LENGTH above max");
    check(cd_rules_check(a, len, CD_RULE_NUMBER, "1", 1) == NULL,
          "STRING_LENGTH does not apply to numbers");

    cd_value *blen = rule(a, "BINARY_LENGTH", "max", "2", NULL, NULL);
    check(cd_rules_check(a, blen, CD_RULE_BINARY, "\0\0", 2) == NULL, "BINARY_LENGTH max inclusive");
    check(cd_rules_check(a, blen, CD_RULE_BINARY, "\xc3\xa9\0", 3) != NULL,
          "BINARY_LENGTH counts bytes");

    cd_value *num = rule(a, "NUMBER_COMPARISON", "min", "-1.5", "max", "1e30");
    check(cd_rules_check(a, num, CD_RULE_NUMBER, "-1.50", 5) == NULL, "NUMBER_COMPARISON min inclusive");
    check(cd_rules_check(a, num, CD_RULE_NUMBER, "1000000000000000000000000000000", 31) == NULL,
          "NUMBER_COMPARISON max inclusive, exact");
    check(cd_rules_check(a, num, CD_RULE_NUMBER, "1000000000000000000000000000000.1", 33) != NULL,
          "NUMBER_COMPARISON above max by a fraction");
    check(cd_rules_check(a, num, CD_RULE_NUMBER, "-1.5000000000000000000001", 25) != NULL,
          "NUMBER_COMPARISON below min by a tiny amount");

    cd_value *set = rule(a, "STRING_FROM_SET", "allowedValues", "a,b", NULL, NULL);
    const char *msg = cd_rules_check(a, set, CD_RULE_STRING, "c", 1);
    check(msg && strstr(msg, "STRING_FROM_SET"), "STRING_FROM_SET failure names the rule: %s",
          msg ? msg : "(none)");
    cd_arena_free(a);
}

static void test_values(void)
{
    cd_arena *a = cd_arena_new();
    cd_attrval vals[] = {
        {.type = CD_ATTR_STRING, .p = "h\0i", .n = 3},
        {.type = CD_ATTR_BINARY, .p = "\0\xff", .n = 2},
        {.type = CD_ATTR_BOOLEAN, .b = true},
        {.type = CD_ATTR_NUMBER, .p = "-1e-9", .n = 5},
        {.type = CD_ATTR_DATETIME, .ms = -1234567},
        {.type = CD_ATTR_STRING, .p = "", .n = 0},
    };
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        cd_buf b;
        cd_attrval back;
        cd_buf_init(&b, a);
        bool ok = cd_attrval_encode(&b, &vals[i]) && cd_attrval_decode(b.p, b.len, &back) &&
                  cd_attrval_equal(&vals[i], &back);
        check(ok, "stored value %zu (type %d) round trips", i, (int)vals[i].type);
    }
    cd_attrval junk;
    check(!cd_attrval_decode("\x02\x01\x01", 3, &junk), "a malformed boolean does not decode");
    check(!cd_attrval_decode("\x09", 1, &junk), "an unknown type does not decode");

    unsigned char key[CD_SLOT_KEY_MAX];
    cd_slot s = {7, "Person", "email"}, back;
    size_t n = cd_slot_key(key, 42, &s);
    check(n == 10 + 4 + 6 + 1 + 5 && key[0] == CDK_OBJECT && key[9] == CDO_VALUE, "slot key layout");
    check(cd_slot_parse(key + CD_SLOT_AT, n - CD_SLOT_AT, &back, a) && cd_slot_equal(&s, &back),
          "slot key parses back");
    cd_slot a1 = {7, "Person", "e"}, a2 = {7, "Persons", ""};
    unsigned char k1[CD_SLOT_KEY_MAX], k2[CD_SLOT_KEY_MAX];
    size_t n1 = cd_slot_key(k1, 42, &a1), n2 = cd_slot_key(k2, 42, &a2);
    check(memcmp(k1, k2, n1 < n2 ? n1 : n2) < 0,
          "one facet's slots sort before a facet whose name extends it");
    cd_arena_free(a);
}

int main(void)
{
    test_decimals();
    test_string_sets();
    test_rules();
    test_values();
    return tap_done();
}
