/* rules.c — attribute rules and exact decimal comparison. */
#include <string.h>
#include "rules.h"

/* ---------------------------------------------------------------- decimals */

/* A valid decimal string seen as sign * 0.d1d2d3... * 10^exp, where d1 is the first
 * non-zero digit.  Digits are read in place (the mantissa may contain a '.'), so nothing is
 * copied. */
typedef struct decimal {
    int sign;            /* -1, +1; 0 for any spelling of zero */
    const char *m;       /* the mantissa's text: digits with at most one '.' */
    size_t mlen;
    size_t int_digits;   /* digits before the '.' (all of them when there is none) */
    size_t first, last;  /* digit indexes (the '.' not counted) of the first and last non-zero */
    int64_t exp;         /* decimal exponent of the position before digit `first` */
} decimal;

/* Exponents are below 10^18 in magnitude (rules.h), so every sum below fits in int64 and
 * every comparison is exact. */
#define EXP_LIMIT ((int64_t)1000000000000000000)

static int digit_at(const decimal *d, size_t i)
{
    return d->m[i < d->int_digits ? i : i + 1] - '0';   /* skip the '.' */
}

static bool parse_decimal(const char *s, size_t n, decimal *d)
{
    size_t i = 0;
    memset(d, 0, sizeof *d);
    d->sign = 1;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        d->sign = s[i++] == '-' ? -1 : 1;
    d->m = s + i;
    size_t digits = 0, int_digits = 0;
    bool dot = false;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            digits++;
            if (!dot)
                int_digits++;
        } else if (s[i] == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (digits == 0)
        return false;
    d->mlen = (size_t)(s + i - d->m);
    d->int_digits = dot ? int_digits : d->mlen;
    int64_t e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int esign = 1;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            esign = s[i++] == '-' ? -1 : 1;
        size_t start = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (e >= EXP_LIMIT / 10)   /* another digit would reach EXP_LIMIT */
                return false;
            e = e * 10 + (s[i] - '0');
        }
        if (i == start)
            return false;
        e *= esign;
    }
    if (i != n)
        return false;
    /* Find the significant digits. */
    size_t first = digits, last = 0;
    for (size_t k = 0; k < digits; k++)
        if (digit_at(d, k) != 0) {
            if (first == digits)
                first = k;
            last = k;
        }
    if (first == digits) {
        d->sign = 0;
        return true;
    }
    d->first = first;
    d->last = last;
    /* value = 0.d[first]d[first+1]... * 10^(int_digits - first + e) */
    d->exp = (int64_t)int_digits - (int64_t)first + e;
    return true;
}

bool cd_decimal_valid(const char *s, size_t n)
{
    decimal d;
    return parse_decimal(s, n, &d);
}

/* Compares magnitudes of two non-zero decimals. */
static int cmp_magnitude(const decimal *a, const decimal *b)
{
    if (a->exp != b->exp)
        return a->exp < b->exp ? -1 : 1;
    size_t na = a->last - a->first + 1, nb = b->last - b->first + 1;
    size_t n = na > nb ? na : nb;
    for (size_t k = 0; k < n; k++) {
        int x = k < na ? digit_at(a, a->first + k) : 0;
        int y = k < nb ? digit_at(b, b->first + k) : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

int cd_decimal_cmp(const char *as, size_t an, const char *bs, size_t bn)
{
    decimal a, b;
    if (!parse_decimal(as, an, &a) || !parse_decimal(bs, bn, &b))
        return 0;
    if (a.sign != b.sign)
        return a.sign < b.sign ? -1 : 1;
    if (a.sign == 0)
        return 0;
    int m = cmp_magnitude(&a, &b);
    return a.sign > 0 ? m : -m;
}

/* ---------------------------------------------------------------- STRING_FROM_SET */

/* The quote that closes a quoted item starting at allowed[open]: the first later quote
 * followed by a comma or the end of the list; NULL when there is none. */
static const char *closing_quote(const char *allowed, size_t n, size_t open)
{
    for (size_t i = open + 1; i < n; i++)
        if (allowed[i] == '"' && (i + 1 == n || allowed[i + 1] == ','))
            return allowed + i;
    return NULL;
}

bool cd_rule_set_contains(const char *allowed, size_t allowed_n, const char *s, size_t n)
{
    size_t i = 0;
    while (i <= allowed_n) {
        const char *item = allowed + i, *close = NULL;
        size_t end;   /* where the item's text ends; the next item starts after end + 1 */
        if (i < allowed_n && allowed[i] == '"')
            close = closing_quote(allowed, allowed_n, i);
        if (close) {   /* "quoted, with commas" */
            item++;
            end = (size_t)(close - allowed);
        } else {       /* up to the next comma; a quote here is literal */
            end = i;
            while (end < allowed_n && allowed[end] != ',')
                end++;
        }
        size_t len = (size_t)(allowed + end - item);
        if (len == n && memcmp(item, s, n) == 0)
            return true;
        i = close ? end + 2 : end + 1;
    }
    return false;
}

/* ---------------------------------------------------------------- rule checks */

static size_t utf8_chars(const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            k++;
    return k;
}

/* A rule parameter by name, as text. */
static const char *param(const cd_value *rule, const char *name, size_t *len)
{
    return cd_get_str(cd_get(rule, "Parameters"), name, len);
}

/* A length bound: absent or not a non-negative integer means no bound. */
static bool length_bound(const cd_value *rule, const char *name, uint64_t *out)
{
    size_t n;
    const char *s = param(rule, name, &n);
    if (!s || n == 0 || n > 19)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *out = x;
    return true;
}

static const char *check_length(cd_arena *a, const char *rname, const cd_value *rule,
                                 const char *type, uint64_t len, const char *unit)
{
    uint64_t lo, hi;
    if (length_bound(rule, "min", &lo) && len < lo)
        return cd_arena_printf(a, "rule '%s' (%s): %llu %s, min %llu", rname, type,
                               (unsigned long long)len, unit, (unsigned long long)lo);
    if (length_bound(rule, "max", &hi) && len > hi)
        return cd_arena_printf(a, "rule '%s' (%s): %llu %s, max %llu", rname, type,
                               (unsigned long long)len, unit, (unsigned long long)hi);
    return NULL;
}

static const char *check_number(cd_arena *a, const char *rname, const cd_value *rule,
                                const char *p, size_t n)
{
    size_t bn;
    const char *b = param(rule, "min", &bn);
    if (b && cd_decimal_valid(b, bn) && cd_decimal_cmp(p, n, b, bn) < 0)
        return cd_arena_printf(a, "rule '%s' (NUMBER_COMPARISON): %.*s is below min %.*s",
                               rname, (int)n, p, (int)bn, b);
    b = param(rule, "max", &bn);
    if (b && cd_decimal_valid(b, bn) && cd_decimal_cmp(p, n, b, bn) > 0)
        return cd_arena_printf(a, "rule '%s' (NUMBER_COMPARISON): %.*s is above max %.*s",
                               rname, (int)n, p, (int)bn, b);
    return NULL;
}

const char *cd_rules_check(cd_arena *a, const cd_value *rules, cd_rule_subject kind,
                           const char *p, size_t n)
{
    if (!cd_is(rules, CDV_MAP))
        return NULL;
    for (size_t i = 0; i < rules->u.map.n; i++) {
        const char *rname = rules->u.map.ents[i].key;
        const cd_value *rule = rules->u.map.ents[i].val;
        const char *type = cd_get_str(rule, "Type", NULL);
        const char *bad = NULL;
        if (!type)
            continue;
        if (kind == CD_RULE_STRING && strcmp(type, "STRING_LENGTH") == 0) {
            bad = check_length(a, rname, rule, type, utf8_chars(p, n), "characters");
        } else if (kind == CD_RULE_BINARY && strcmp(type, "BINARY_LENGTH") == 0) {
            bad = check_length(a, rname, rule, type, n, "bytes");
        } else if (kind == CD_RULE_NUMBER && strcmp(type, "NUMBER_COMPARISON") == 0) {
            bad = check_number(a, rname, rule, p, n);
        } else if (kind == CD_RULE_STRING && strcmp(type, "STRING_FROM_SET") == 0) {
            size_t sn;
            const char *set = param(rule, "allowedValues", &sn);
            if (set && !cd_rule_set_contains(set, sn, p, n))
                bad = cd_arena_printf(a, "rule '%s' (STRING_FROM_SET): '%.*s' is not one of %.*s",
                                      rname, (int)(n > 200 ? 200 : n), p, (int)sn, set);
        }
        if (bad)
            return bad;
    }
    return NULL;
}
