/* rules.h — attribute rules and decimal numbers.
 *
 * NUMBER values are decimal strings of any size and precision, kept verbatim; they are
 * compared here digit by digit, never through a double, so "12345678901234567890123456789"
 * and "-0.000000000000000000001" compare exactly.
 *
 * Rules (semantics §3.3): STRING_LENGTH {min, max} counts characters (code points),
 * BINARY_LENGTH {min, max} counts bytes, NUMBER_COMPARISON {min, max} compares numerically,
 * STRING_FROM_SET {allowedValues} is a comma-separated list whose items may be wrapped in
 * double quotes to hold commas: a quoted item ends at the first quote followed by a comma or
 * the end of the list (so '"a"b",c' holds 'a"b' and 'c'); a quote that starts no such item,
 * or sits inside one, is literal ('with"quote,x' holds 'with"quote').  The same split as
 * lua/clouddir/schema.lua.  Bounds are inclusive; a missing bound is no bound. */
#ifndef CD_RULES_H
#define CD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include "value.h"

/* Whether s[0..n) is a decimal number: optional sign, digits with an optional fraction
 * ("1", "1.5", "1.", ".5", "+1", "-0", "00042"), then an optional exponent ("e3", "E-7",
 * "e+03") whose value is below 10^18 in magnitude, so that every valid number compares
 * exactly ("1e999999999999999999" is valid, "1e1000000000000000000" is not).  No spaces,
 * no other digits than 0-9, no "NaN" or "Infinity". */
bool cd_decimal_valid(const char *s, size_t n);
/* Numeric comparison of two valid decimal strings: <0, 0, >0 ("1e3" == "1000.0"). */
int cd_decimal_cmp(const char *a, size_t an, const char *b, size_t bn);

/* Whether STRING_FROM_SET's allowedValues list contains s[0..n) exactly. */
bool cd_rule_set_contains(const char *allowed, size_t allowed_n, const char *s, size_t n);

/* What a rule check looks at: one value of one of the five concrete types. */
typedef enum cd_rule_subject {
    CD_RULE_STRING,   /* p/n: UTF-8 text */
    CD_RULE_BINARY,   /* p/n: bytes */
    CD_RULE_NUMBER,   /* p/n: decimal string */
    CD_RULE_OTHER     /* booleans, datetimes: no rule applies to them */
} cd_rule_subject;

/* Checks a value against a RuleMap (name -> {Type, Parameters}) as the catalog keeps it.
 * A rule that does not apply to the value's type is ignored (a VARIANT attribute may hold
 * any type).  Returns NULL when every rule passes, else a description of the failed rule
 * for the caller's FacetValidationException ("rule 'len' (STRING_LENGTH): 7 characters,
 * max 5"), in the arena. */
const char *cd_rules_check(cd_arena *a, const cd_value *rules, cd_rule_subject kind,
                           const char *p, size_t n);

#endif
