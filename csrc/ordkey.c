/* ordkey.c — order-preserving encodings of typed values, ranges over them, and ordered
 * scans of entries with keys of any length.  The layouts are described in ordkey.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ordkey.h"
#include "rules.h"

/* ---------------------------------------------------------------- numbers */

/* A valid decimal seen as sign * 0.d[first]..d[last] * 10^exp (the same reading as
 * rules.c, which keeps its parser to itself). */
typedef struct number {
    int sign;              /* -1, 0, +1 */
    const char *m;         /* mantissa text: digits with at most one '.' */
    size_t int_digits;     /* digits before the '.' */
    size_t first, last;    /* indexes of the first and last non-zero digit ('.' not counted) */
    int64_t exp;
} number;

static int digit_at(const number *d, size_t i)
{
    return d->m[i < d->int_digits ? i : i + 1] - '0';
}

/* Only called on strings cd_decimal_valid accepted, so the exponent is below 10^18. */
static void read_number(const char *s, size_t n, number *d)
{
    size_t i = 0, digits = 0;
    bool dot = false;
    memset(d, 0, sizeof *d);
    d->sign = 1;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        d->sign = s[i++] == '-' ? -1 : 1;
    d->m = s + i;
    for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
        if (s[i] == '.')
            dot = true;
        else if (!dot)
            d->int_digits++, digits++;
        else
            digits++;
    }
    if (!dot)
        d->int_digits = digits;
    int64_t e = 0;
    if (i < n) {   /* 'e' or 'E' */
        int esign = 1;
        i++;
        if (s[i] == '+' || s[i] == '-')
            esign = s[i++] == '-' ? -1 : 1;
        for (; i < n; i++)
            e = e * 10 + (s[i] - '0');
        e *= esign;
    }
    size_t first = digits, last = 0;
    for (size_t k = 0; k < digits; k++)
        if (digit_at(d, k)) {
            if (first == digits)
                first = k;
            last = k;
        }
    if (first == digits) {
        d->sign = 0;
        return;
    }
    d->first = first;
    d->last = last;
    d->exp = (int64_t)d->int_digits - (int64_t)first + e;
}

static unsigned bytes_for(uint64_t u)
{
    unsigned n = 1;
    while (n < 8 && (u >> (8 * n)))
        n++;
    return n;
}

/* The exponent: a header byte that orders by sign and width, then the width's bytes. */
static bool put_exponent(cd_buf *b, int64_t e)
{
    if (e == 0)
        return cd_buf_byte(b, 0x80);
    uint64_t u = e > 0 ? (uint64_t)e : (uint64_t)(-(e + 1)) + 1;
    unsigned n = bytes_for(u);
    if (e < 0)
        u = (n == 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * n)) - 1)) - u;
    if (!cd_buf_byte(b, (unsigned char)(e > 0 ? 0x80 + n : 0x80 - n)))
        return false;
    for (unsigned k = n; k-- > 0;)
        if (!cd_buf_byte(b, (unsigned char)(u >> (8 * k))))
            return false;
    return true;
}

static bool put_number(cd_buf *b, const char *s, size_t n)
{
    if (!cd_decimal_valid(s, n))
        return false;
    number d;
    read_number(s, n, &d);
    if (d.sign == 0)
        return cd_buf_byte(b, 0x02);
    if (!cd_buf_byte(b, d.sign > 0 ? 0x03 : 0x01))
        return false;
    size_t start = b->len;
    if (!put_exponent(b, d.exp))
        return false;
    for (size_t k = d.first; k <= d.last; k += 2) {
        int hi = digit_at(&d, k), lo = k + 1 <= d.last ? digit_at(&d, k + 1) : 0;
        if (!cd_buf_byte(b, (unsigned char)(1 + 10 * hi + lo)))
            return false;
    }
    if (!cd_buf_byte(b, 0x00))
        return false;
    if (d.sign < 0)   /* a larger magnitude is a smaller number */
        for (size_t k = start; k < b->len; k++)
            b->p[k] ^= 0xFF;
    return true;
}

/* Reads the body of a NUMBER (after the tag).  Fills the digits (as '0'..'9' text in
 * digits[], when not NULL) and the exponent; returns the length or 0 when malformed. */
static size_t get_number(const unsigned char *p, size_t n, int *sign, int64_t *exp,
                         char *digits, size_t *ndigits)
{
    if (n < 1)
        return 0;
    *ndigits = 0;
    *exp = 0;
    if (p[0] == 0x02) {
        *sign = 0;
        return 1;
    }
    if (p[0] != 0x01 && p[0] != 0x03)
        return 0;
    *sign = p[0] == 0x03 ? 1 : -1;
    unsigned char inv = *sign < 0 ? 0xFF : 0x00;
    size_t i = 1;
    if (i >= n)
        return 0;
    unsigned h = p[i++] ^ inv;
    if (h != 0x80) {
        unsigned w = h > 0x80 ? h - 0x80 : 0x80 - h;
        if (w > 8 || i + w > n)
            return 0;
        uint64_t u = 0;
        for (unsigned k = 0; k < w; k++)
            u = u << 8 | (unsigned char)(p[i++] ^ inv);
        if (h < 0x80)
            u = (w == 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * w)) - 1)) - u;
        if (u == 0 || u > (uint64_t)INT64_MAX)
            return 0;
        *exp = h > 0x80 ? (int64_t)u : -(int64_t)u;
    }
    for (;;) {
        if (i >= n)
            return 0;
        unsigned x = p[i++] ^ inv;
        if (x == 0)
            break;
        if (x > 100)
            return 0;
        if (digits) {
            digits[*ndigits] = (char)('0' + (x - 1) / 10);
            digits[*ndigits + 1] = (char)('0' + (x - 1) % 10);
        }
        *ndigits += 2;
    }
    if (*ndigits == 0)
        return 0;
    return i;
}

/* The canonical text of sign * 0.digits * 10^exp. */
static char *number_text(cd_arena *a, int sign, int64_t exp, const char *digits, size_t nd)
{
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (sign == 0)
        return cd_arena_strndup(a, "0", 1);
    const char *neg = sign < 0 ? "-" : "";
    if (exp > 0 && exp <= 21) {
        size_t e = (size_t)exp;
        if (e >= nd)   /* at most 20 zeros: e <= 21, nd >= 1 */
            return cd_arena_printf(a, "%s%.*s%.*s", neg, (int)nd, digits, (int)(e - nd),
                                   "00000000000000000000");
        return cd_arena_printf(a, "%s%.*s.%.*s", neg, (int)e, digits, (int)(nd - e), digits + e);
    }
    if (exp <= 0 && exp > -6)
        return cd_arena_printf(a, "%s0.%.*s%.*s", neg, (int)-exp, "000000", (int)nd, digits);
    /* d.ddd e(exp-1), while that exponent is one cd_decimal_valid accepts (below 10^18) */
    const int64_t lim = (int64_t)999999999999999999;
    if (exp - 1 <= lim && exp - 1 >= -lim)
        return cd_arena_printf(a, "%s%c%s%.*se%+lld", neg, digits[0], nd > 1 ? "." : "",
                               (int)(nd - 1), digits + 1, (long long)(exp - 1));
    /* Beyond it, move digits across the point instead: ddd000e(lim) or 0.000ddde(-lim).
     * The zeros are few: an exponent this large came from a long mantissa. */
    cd_buf b;
    cd_buf_init(&b, a);
    bool ok = cd_buf_put(&b, neg, strlen(neg));
    int64_t e;
    if (exp > 0) {
        /* 0.D * 10^exp = D * 10^(exp - nd), with zeros appended while that is too big */
        int64_t z = exp - (int64_t)nd - lim;
        ok = ok && cd_buf_put(&b, digits, nd);
        for (int64_t i = 0; ok && i < z; i++)
            ok = cd_buf_byte(&b, '0');
        e = z > 0 ? lim : exp - (int64_t)nd;
    } else {
        int64_t z = -lim - exp;                /* 0.0^z D * 10^(exp + z) */
        ok = ok && cd_buf_put(&b, "0.", 2);
        for (int64_t i = 0; ok && i < z; i++)
            ok = cd_buf_byte(&b, '0');
        ok = ok && cd_buf_put(&b, digits, nd);
        e = -lim;
    }
    char tail[32];
    int tn = snprintf(tail, sizeof tail, "e%+lld", (long long)e);
    if (!ok || !cd_buf_put(&b, tail, (size_t)tn) || !cd_buf_byte(&b, 0))
        return NULL;
    return (char *)b.p;
}

/* ---------------------------------------------------------------- encodings */

/* STRING and BINARY: 0x00 escaped as 0x00 0xFF, then 0x00 0x00. */
static bool put_bytes(cd_buf *b, const char *p, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0) {
            if (!cd_buf_put(b, p + from, i + 1 - from) || !cd_buf_byte(b, 0xFF))
                return false;
            from = i + 1;
        }
    return cd_buf_put(b, p + from, n - from) && cd_buf_byte(b, 0) && cd_buf_byte(b, 0);
}

/* Length of an escaped byte string's body, and how many bytes it holds unescaped. */
static size_t get_bytes(const unsigned char *p, size_t n, size_t *raw)
{
    *raw = 0;
    for (size_t i = 0; i + 1 < n; i++, ++*raw) {
        if (p[i] != 0)
            continue;
        if (p[i + 1] == 0)
            return i + 2;
        if (p[i + 1] != 0xFF)
            return 0;
        i++;
    }
    return 0;
}

bool cd_ordkey_put(cd_buf *b, const cd_attrval *v)
{
    switch (v->type) {
    case CD_ATTR_STRING:
        return cd_buf_byte(b, CD_ORD_TAG_STRING) && put_bytes(b, v->p, v->n);
    case CD_ATTR_BINARY:
        return cd_buf_byte(b, CD_ORD_TAG_BINARY) && put_bytes(b, v->p, v->n);
    case CD_ATTR_BOOLEAN:
        return cd_buf_byte(b, CD_ORD_TAG_BOOLEAN) && cd_buf_byte(b, v->b ? 1 : 0);
    case CD_ATTR_NUMBER: {
        size_t at = b->len;
        if (cd_buf_byte(b, CD_ORD_TAG_NUMBER) && put_number(b, v->p, v->n))
            return true;
        b->len = at;
        return false;
    }
    case CD_ATTR_DATETIME:
        return cd_buf_byte(b, CD_ORD_TAG_DATETIME) &&
               cd_buf_u64be(b, (uint64_t)v->ms ^ ((uint64_t)1 << 63));
    case CD_ATTR_VARIANT:
        break;
    }
    return false;
}

bool cd_ordkey_put_missing(cd_buf *b)
{
    return cd_buf_byte(b, CD_ORD_TAG_MISSING);
}

size_t cd_ordkey_len(const void *src, size_t n)
{
    const unsigned char *p = src;
    size_t raw, body = 0, nd;
    int sign;
    int64_t exp;
    if (n < 1)
        return 0;
    switch (p[0]) {
    case CD_ORD_TAG_MISSING: return 1;
    case CD_ORD_TAG_STRING:
    case CD_ORD_TAG_BINARY: body = get_bytes(p + 1, n - 1, &raw); break;
    case CD_ORD_TAG_BOOLEAN: body = n >= 2 && p[1] <= 1 ? 1 : 0; break;
    case CD_ORD_TAG_NUMBER: body = get_number(p + 1, n - 1, &sign, &exp, NULL, &nd); break;
    case CD_ORD_TAG_DATETIME: body = n >= 9 ? 8 : 0; break;
    default: return 0;
    }
    return body ? 1 + body : 0;
}

size_t cd_ordkey_get(cd_arena *a, const void *src, size_t n, cd_attrval *out, bool *missing)
{
    const unsigned char *p = src;
    size_t len = cd_ordkey_len(src, n);
    memset(out, 0, sizeof *out);
    *missing = false;
    if (!len)
        return 0;
    switch (p[0]) {
    case CD_ORD_TAG_MISSING:
        *missing = true;
        return 1;
    case CD_ORD_TAG_STRING:
    case CD_ORD_TAG_BINARY: {
        size_t raw;
        get_bytes(p + 1, n - 1, &raw);
        char *t = cd_arena_alloc(a, raw + 1);
        if (!t)
            return 0;
        size_t k = 0;
        for (size_t i = 1; k < raw; i++) {
            t[k++] = (char)p[i];
            if (p[i] == 0)
                i++;   /* the escape's 0xFF */
        }
        t[raw] = 0;
        out->type = p[0] == CD_ORD_TAG_STRING ? CD_ATTR_STRING : CD_ATTR_BINARY;
        out->p = t;
        out->n = raw;
        return len;
    }
    case CD_ORD_TAG_BOOLEAN:
        out->type = CD_ATTR_BOOLEAN;
        out->b = p[1] != 0;
        return len;
    case CD_ORD_TAG_DATETIME: {
        uint64_t u = 0;
        for (int i = 1; i <= 8; i++)
            u = u << 8 | p[i];
        out->type = CD_ATTR_DATETIME;
        out->ms = (int64_t)(u ^ ((uint64_t)1 << 63));
        return len;
    }
    case CD_ORD_TAG_NUMBER: {
        int sign;
        int64_t exp;
        size_t nd;
        char *digits = cd_arena_alloc(a, 2 * len + 2);
        if (!digits)
            return 0;
        get_number(p + 1, n - 1, &sign, &exp, digits, &nd);
        char *text = number_text(a, sign, exp, digits, nd);
        if (!text)
            return 0;
        out->type = CD_ATTR_NUMBER;
        out->p = text;
        out->n = strlen(text);
        return len;
    }
    }
    return 0;
}

/* ---------------------------------------------------------------- ranges */

int cd_ordpoint_cmp(const void *enc, size_t n, const cd_ordpoint *pt)
{
    size_t m = n < pt->n ? n : pt->n;
    int r = memcmp(enc, pt->p, m);
    if (r)
        return r;
    if (n < pt->n)
        return -1;    /* a proper prefix of the point's bytes: before both sides */
    return pt->after ? -1 : 1;
}

/* Order of two points. */
static int point_order(const cd_ordpoint *x, const cd_ordpoint *y)
{
    size_t m = x->n < y->n ? x->n : y->n;
    int r = memcmp(x->p, y->p, m);
    if (r)
        return r;
    if (x->n == y->n)
        return (int)x->after - (int)y->after;
    if (x->n < y->n)   /* y's bytes extend x's: y sits between x-before and x-after */
        return x->after ? 1 : -1;
    return y->after ? -1 : 1;
}

static const unsigned char tag_missing[1] = {CD_ORD_TAG_MISSING};

static const char *const mode_text[] = {"FIRST", "LAST", "LAST_BEFORE_MISSING_VALUES",
                                        "INCLUSIVE", "EXCLUSIVE"};
static const char *const attr_type_text[] = {"STRING", "BINARY", "BOOLEAN", "NUMBER",
                                             "DATETIME", "VARIANT"};

/* One end of a range: its mode, its value, its point. */
static int read_end(cd_ctx *c, const cd_value *range, bool start, cd_attr_type type,
                    bool optional, const char *what, cd_rangemode *mode, cd_attrval *val,
                    cd_ordpoint *pt)
{
    const char *mname = start ? "StartMode" : "EndMode";
    const char *vname = start ? "StartValue" : "EndValue";
    size_t n;
    const char *m = cd_get_str(range, mname, &n);
    int k = -1;
    for (int i = 0; m && i < 5; i++)
        if (strlen(mode_text[i]) == n && memcmp(mode_text[i], m, n) == 0)
            k = i;
    if (k < 0)
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s: %s must be one of FIRST, LAST, LAST_BEFORE_MISSING_VALUES, "
                       "INCLUSIVE, EXCLUSIVE", what, mname);
    *mode = (cd_rangemode)k;
    memset(val, 0, sizeof *val);
    const cd_value *tv = cd_get(range, vname);
    bool needs_value = k == CD_RANGE_INCLUSIVE || k == CD_RANGE_EXCLUSIVE;
    if (needs_value && !tv)
        return cd_fail(c->err, CD_E_ValidationException, "%s: %s %s needs a %s", what, mname,
                       mode_text[k], vname);
    /* FIRST, LAST and LAST_BEFORE_MISSING_VALUES name a fixed point: a value given with
     * them has no role, so it is ignored, unread (the model makes both values optional,
     * §6.4 only says these modes need none, and some clients always fill both). */
    pt->p = (const unsigned char *)"";
    pt->n = 0;
    switch (*mode) {
    case CD_RANGE_FIRST:
        pt->after = false;
        return 0;
    case CD_RANGE_LAST_BEFORE_MISSING:
        if (optional) {
            pt->p = tag_missing;
            pt->n = 1;
            pt->after = false;
            return 0;
        }
        pt->after = true;   /* without missing values it is LAST */
        return 0;
    case CD_RANGE_LAST:
        pt->after = true;
        return 0;
    case CD_RANGE_INCLUSIVE:
    case CD_RANGE_EXCLUSIVE:
        break;
    }
    const char *vwhat = cd_arena_printf(c->a, "%s %s", what, vname);
    if (!vwhat)
        return cd_oom(c);
    int rc = cd_attrval_read(c, tv, vwhat, val);
    if (rc) {
        c->err->code = CD_E_ValidationException;   /* a bad range value is a bad request */
        return CD_E_ValidationException;
    }
    if (type != CD_ATTR_VARIANT && val->type != type)
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s: %s is a %s, but the attribute holds %s values", what, vname,
                       attr_type_text[val->type], attr_type_text[type]);
    cd_buf b;
    cd_buf_init(&b, c->a);
    if (!cd_ordkey_put(&b, val))
        return cd_oom(c);
    pt->p = b.p;
    pt->n = b.len;
    /* INCLUSIVE: v- as a start, v+ as an end; EXCLUSIVE the other way round. */
    pt->after = (*mode == CD_RANGE_INCLUSIVE) != start;
    return 0;
}

int cd_ordrange_from(cd_ctx *c, const cd_value *range, cd_attr_type type, bool optional,
                     const char *what, cd_ordrange *out)
{
    memset(out, 0, sizeof *out);
    if (!cd_is(range, CDV_MAP))
        return cd_fail(c->err, CD_E_ValidationException, "%s must be a range", what);
    int rc = read_end(c, range, true, type, optional, what, &out->start_mode, &out->start,
                      &out->lo);
    if (!rc)
        rc = read_end(c, range, false, type, optional, what, &out->end_mode, &out->end,
                      &out->hi);
    if (rc)
        return rc;
    /* Byte points cannot tell v- from v (nothing lies between them), but §6.4 can:
     * INCLUSIVE v .. EXCLUSIVE v is v .. v-, and EXCLUSIVE v .. INCLUSIVE v is v+ .. v. */
    int order = point_order(&out->lo, &out->hi);
    if (order == 0 && out->start_mode >= CD_RANGE_INCLUSIVE && out->end_mode >= CD_RANGE_INCLUSIVE)
        order = 1;   /* equal points from two values: always one of the two above */
    if (order > 0)
        return cd_fail(c->err, CD_E_ValidationException,
                       "%s: the range starts after it ends (%s .. %s); the start must not "
                       "come after the end", what, mode_text[out->start_mode],
                       mode_text[out->end_mode]);
    return 0;
}

void cd_ordrange_full(cd_ordrange *out)
{
    memset(out, 0, sizeof *out);
    out->start_mode = CD_RANGE_FIRST;
    out->end_mode = CD_RANGE_LAST;
    out->lo.p = out->hi.p = (const unsigned char *)"";
    out->hi.after = true;
}

bool cd_ordrange_is_exact(const cd_ordrange *r)
{
    return r->start_mode == CD_RANGE_INCLUSIVE && r->end_mode == CD_RANGE_INCLUSIVE &&
           r->lo.n == r->hi.n && memcmp(r->lo.p, r->hi.p, r->lo.n) == 0;
}

bool cd_ordrange_is_full(const cd_ordrange *r)
{
    return r->lo.n == 0 && !r->lo.after && r->hi.n == 0 && r->hi.after;
}

bool cd_ordrange_contains(const cd_ordrange *r, const void *enc, size_t n)
{
    return cd_ordpoint_cmp(enc, n, &r->lo) > 0 && cd_ordpoint_cmp(enc, n, &r->hi) < 0;
}

/* ---------------------------------------------------------------- entries */

/* Bytes of prefix | encoding a key keeps before the suffix (K in ordkey.h). */
static size_t cut_len(const cd_ordlayout *l)
{
    return CD_KV_MAX_KEY - l->suffix_len - CD_ORD_DUP_LEN;
}

static bool layout_ok(const cd_ordlayout *l)
{
    return l->prefix_len >= 1 && l->suffix_len <= 64 &&
           l->prefix_len + l->suffix_len + CD_ORD_DUP_LEN + 64 <= CD_KV_MAX_KEY;
}

static int bad_layout(cd_ctx *c)
{
    return cd_fail(c->err, CD_E_InternalServiceException,
                   "ordered entries: key prefix or suffix too long");
}

static int corrupt(cd_ctx *c)
{
    return cd_fail(c->err, CD_E_InternalServiceException,
                   "ordered entries: a stored entry is malformed");
}

/* Appends bytes [from, to) of prefix | enc. */
static bool put_joined(cd_buf *b, const cd_ordlayout *l, const unsigned char *enc, size_t from,
                       size_t to)
{
    size_t p = l->prefix_len;
    if (from < p && !cd_buf_put(b, (const unsigned char *)l->prefix + from,
                                (to < p ? to : p) - from))
        return false;
    if (to > p)
        return cd_buf_put(b, enc + (from > p ? from - p : 0), to - (from > p ? from : p));
    return true;
}

bool cd_ordkey_make(cd_buf *key, cd_buf *val, const cd_ordlayout *l, const void *enc,
                    size_t enc_len, const void *suffix, const void *payload, size_t payload_len,
                    unsigned dup)
{
    if (!layout_ok(l))
        return false;
    size_t full = l->prefix_len + enc_len, k = cut_len(l);
    if (full <= k)
        return put_joined(key, l, enc, 0, full) && cd_buf_put(key, suffix, l->suffix_len) &&
               cd_buf_put(val, payload, payload_len);
    return put_joined(key, l, enc, 0, k) && cd_buf_put(key, suffix, l->suffix_len) &&
           cd_buf_byte(key, (unsigned char)(dup >> 8)) && cd_buf_byte(key, (unsigned char)dup) &&
           cd_buf_u32be(val, (uint32_t)(full - k)) && put_joined(val, l, enc, k, full) &&
           cd_buf_put(val, payload, payload_len);
}

static uint32_t u32be(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Looks for the long entry (enc, suffix) among the long keys sharing its start and suffix.
 * 0 with cur on it (k, v), or CD_KV_NOTFOUND with *next_dup the first unused dup number
 * after the existing ones (0x10000 when none is left), or an error. */
static int find_long(cd_ctx *c, cd_cursor *cur, const cd_ordlayout *l, const void *enc,
                     size_t enc_len, const void *suffix, cd_slice *k, cd_slice *v,
                     unsigned *next_dup)
{
    size_t cut = cut_len(l), head = cut + l->suffix_len;
    const unsigned char *tail = (const unsigned char *)enc + (cut - l->prefix_len);
    size_t tail_len = l->prefix_len + enc_len - cut;
    cd_buf seek;
    cd_buf_init(&seek, c->a);
    if (!put_joined(&seek, l, enc, 0, cut) || !cd_buf_put(&seek, suffix, l->suffix_len))
        return cd_oom(c);
    *next_dup = 0;
    int rc = cd_cursor_seek(cur, (cd_slice){seek.p, seek.len}, k, v, c->err);
    for (; rc == 0; rc = cd_cursor_next(cur, k, v, c->err)) {
        const unsigned char *kp = k->p, *vp = v->p;
        if (k->n != CD_KV_MAX_KEY || memcmp(kp, seek.p, head) != 0)
            return CD_KV_NOTFOUND;
        *next_dup = ((unsigned)kp[head] << 8 | kp[head + 1]) + 1;
        if (v->n < 4 || v->n - 4 < u32be(vp))
            return corrupt(c);
        if (u32be(vp) == tail_len && memcmp(vp + 4, tail, tail_len) == 0)
            return 0;
    }
    return rc;
}

/* Runs find_long with a cursor of its own. */
typedef struct long_hit {
    cd_slice k, v;
    unsigned next_dup;
} long_hit;

static int with_long(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                     const void *suffix, long_hit *h, bool del)
{
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    rc = find_long(c, cur, l, enc, enc_len, suffix, &h->k, &h->v, &h->next_dup);
    if (rc == 0 && del)
        rc = cd_cursor_del(cur, c->err);
    cd_cursor_close(cur);
    return rc;
}

static bool is_long(const cd_ordlayout *l, size_t enc_len)
{
    return l->prefix_len + enc_len > cut_len(l);
}

int cd_ordentry_put(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                    const void *suffix, const void *payload, size_t payload_len)
{
    if (!layout_ok(l))
        return bad_layout(c);
    unsigned dup = 0;
    if (is_long(l, enc_len)) {
        long_hit h;
        int rc = with_long(c, l, enc, enc_len, suffix, &h, false);
        if (rc == 0) {   /* the same entry: keep its key */
            dup = (unsigned)((const unsigned char *)h.k.p)[CD_KV_MAX_KEY - 2] << 8 |
                  ((const unsigned char *)h.k.p)[CD_KV_MAX_KEY - 1];
        } else if (rc == CD_KV_NOTFOUND) {
            if (h.next_dup > 0xFFFF)
                return cd_fail(c->err, CD_E_LimitExceededException,
                               "too many entries share the same object and the first %zu "
                               "bytes of their values", cut_len(l) - l->prefix_len);
            dup = h.next_dup;
        } else {
            return rc;
        }
    }
    cd_buf key, val;
    cd_buf_init(&key, c->a);
    cd_buf_init(&val, c->a);
    if (!cd_ordkey_make(&key, &val, l, enc, enc_len, suffix, payload, payload_len, dup))
        return cd_oom(c);
    return cd_kv_put(c->txn, (cd_slice){key.p, key.len}, (cd_slice){val.p, val.len}, false,
                     c->err);
}

int cd_ordentry_get(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                    const void *suffix, cd_slice *payload)
{
    if (!layout_ok(l))
        return bad_layout(c);
    cd_slice got;
    if (is_long(l, enc_len)) {
        long_hit h;
        int rc = with_long(c, l, enc, enc_len, suffix, &h, false);
        if (rc)
            return rc;
        size_t skip = 4 + u32be(h.v.p);
        got = (cd_slice){(const unsigned char *)h.v.p + skip, h.v.n - skip};
    } else {
        cd_buf key;
        cd_buf_init(&key, c->a);
        if (!put_joined(&key, l, enc, 0, l->prefix_len + enc_len) ||
            !cd_buf_put(&key, suffix, l->suffix_len))
            return cd_oom(c);
        int rc = cd_kv_get(c->txn, (cd_slice){key.p, key.len}, &got, c->err);
        if (rc)
            return rc;
    }
    if (payload)
        *payload = got;
    return 0;
}

int cd_ordentry_del(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                    const void *suffix)
{
    if (!layout_ok(l))
        return bad_layout(c);
    if (is_long(l, enc_len)) {
        long_hit h;
        return with_long(c, l, enc, enc_len, suffix, &h, true);
    }
    cd_buf key;
    cd_buf_init(&key, c->a);
    if (!put_joined(&key, l, enc, 0, l->prefix_len + enc_len) ||
        !cd_buf_put(&key, suffix, l->suffix_len))
        return cd_oom(c);
    return cd_kv_del(c->txn, (cd_slice){key.p, key.len}, c->err);
}

/* ---------------------------------------------------------------- scans */

/* One long entry of a group.  Within a group the keys agree on prefix | encoding up to the
 * cut, so entries order by the rest of their encoding (tail), then suffix. */
struct cd_ordgroup_item {
    const unsigned char *key;
    const unsigned char *tail;
    size_t tail_len;
    const void *payload;
    size_t payload_len;
    size_t suffix_at, suffix_len;
};

static int group_item_cmp(const void *x, const void *y)
{
    const cd_ordgroup_item *a = x, *b = y;
    int r = cd_ordkey_cmp(a->tail, a->tail_len, b->tail, b->tail_len);
    return r ? r : memcmp(a->key + a->suffix_at, b->key + b->suffix_at, a->suffix_len);
}

/* The bytes after a point: the smallest string after every string that starts with b[0..n)
 * (drop trailing 0xFF bytes, add one to the last).  0 when there is none. */
static size_t successor(unsigned char *b, size_t n)
{
    while (n > 0 && b[n - 1] == 0xFF)
        n--;
    if (n > 0)
        b[n - 1]++;
    return n;
}

static bool join(cd_arena *a, const void *x, size_t xn, const void *y, size_t yn,
                 cd_ordpoint *out, bool after)
{
    unsigned char *p = cd_arena_alloc(a, xn + yn + 1);
    if (!p)
        return false;
    if (xn)
        memcpy(p, x, xn);
    if (yn)
        memcpy(p + xn, y, yn);
    *out = (cd_ordpoint){p, xn + yn, after};
    return true;
}

int cd_ordscan_open(cd_ctx *c, cd_ordscan *s, cd_cursor *cur, const cd_ordlayout *l,
                    const void *exact, size_t exact_len, const cd_ordrange *r,
                    const void *resume, size_t resume_len, const void *resume_suffix)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->cur = cur;
    s->l = *l;
    cd_buf_init(&s->enc_buf, c->a);
    if (!layout_ok(l))
        return bad_layout(c);
    cd_ordrange full;
    if (!r) {
        cd_ordrange_full(&full);
        r = &full;
    }
    if (!join(c->a, exact, exact_len, r->lo.p, r->lo.n, &s->lo, r->lo.after) ||
        !join(c->a, exact, exact_len, r->hi.p, r->hi.n, &s->hi, r->hi.after))
        return cd_oom(c);
    size_t cut = cut_len(l);
    /* Where to start: before every key whose entry can lie after the start point.  Keys keep
     * at most `cut` bytes of prefix | encoding, so a longer seek key is cut there (and the
     * entries of that one group are filtered one by one). */
    cd_buf seek;
    cd_buf_init(&seek, c->a);
    if (!cd_buf_put(&seek, l->prefix, l->prefix_len) || !cd_buf_put(&seek, s->lo.p, s->lo.n))
        return cd_oom(c);
    if (s->lo.after) {
        size_t n = successor(seek.p + l->prefix_len, s->lo.n);
        if (n == 0) {   /* nothing comes after it under the prefix */
            s->done = true;
            return 0;
        }
        seek.len = l->prefix_len + n;
    }
    if (seek.len > cut)
        seek.len = cut;
    if (resume) {
        unsigned char *rp = cd_arena_alloc(c->a, resume_len + l->suffix_len + 1);
        if (!rp)
            return cd_oom(c);
        memcpy(rp, resume, resume_len);
        memcpy(rp + resume_len, resume_suffix, l->suffix_len);
        s->resume = rp;
        s->resume_len = resume_len;
        s->resume_suffix = rp + resume_len;
        cd_buf rk;
        cd_buf_init(&rk, c->a);
        if (!put_joined(&rk, l, rp, 0, l->prefix_len + resume_len))
            return cd_oom(c);
        if (rk.len > cut)
            rk.len = cut;   /* the start of the resume entry's group */
        else if (!cd_buf_put(&rk, resume_suffix, l->suffix_len))
            return cd_oom(c);
        if (cd_ordkey_cmp(rk.p, rk.len, seek.p, seek.len) > 0)
            seek = rk;
    }
    int rc = cd_cursor_seek(cur, (cd_slice){seek.p, seek.len}, &s->k, &s->v, c->err);
    if (rc == CD_KV_NOTFOUND)
        s->done = true;
    else if (rc)
        return rc;
    else
        s->have = true;
    return 0;
}

enum { YIELD, SKIP, STOP };

static int judge(cd_ordscan *s, const cd_ordentry *e)
{
    if (!s->past_start) {
        if (cd_ordpoint_cmp(e->enc, e->enc_len, &s->lo) < 0)
            return SKIP;
        if (s->resume) {
            int r = cd_ordkey_cmp(e->enc, e->enc_len, s->resume, s->resume_len);
            if (r < 0 || (r == 0 && memcmp(e->suffix, s->resume_suffix, s->l.suffix_len) <= 0))
                return SKIP;
        }
        s->past_start = true;   /* entries come in order: every later one is past too */
    }
    return cd_ordpoint_cmp(e->enc, e->enc_len, &s->hi) > 0 ? STOP : YIELD;
}

/* Whether the cursor's entry belongs to the scan's prefix. */
static bool in_prefix(const cd_ordscan *s)
{
    return s->k.n >= s->l.prefix_len + s->l.suffix_len &&
           memcmp(s->k.p, s->l.prefix, s->l.prefix_len) == 0;
}

/* Reads the group starting at the cursor's (long) entry and sorts it.  Leaves the cursor on
 * the first entry after the group. */
static int read_group(cd_ordscan *s)
{
    cd_ctx *c = s->c;
    size_t cut = cut_len(&s->l);
    const unsigned char *start = s->k.p;
    s->group_n = s->group_at = 0;
    for (;;) {
        const unsigned char *vp = s->v.p;
        if (s->v.n < 4 || s->v.n - 4 < u32be(vp))
            return corrupt(c);
        if (s->group_n == s->group_cap) {
            size_t cap = s->group_cap ? 2 * s->group_cap : 16;
            cd_ordgroup_item *g = cd_arena_alloc(c->a, cap * sizeof *g);
            if (!g)
                return cd_oom(c);
            if (s->group_n)
                memcpy(g, s->group, s->group_n * sizeof *g);
            s->group = g;
            s->group_cap = cap;
        }
        size_t tl = u32be(vp);
        s->group[s->group_n++] = (cd_ordgroup_item){
            .key = s->k.p, .tail = vp + 4, .tail_len = tl, .payload = vp + 4 + tl,
            .payload_len = s->v.n - 4 - tl, .suffix_at = cut, .suffix_len = s->l.suffix_len};
        int rc = cd_cursor_next(s->cur, &s->k, &s->v, c->err);
        if (rc == CD_KV_NOTFOUND) {
            s->have = false;
            s->done = true;   /* after the group there is nothing more to read */
            break;
        }
        if (rc)
            return rc;
        if (s->k.n != CD_KV_MAX_KEY || memcmp(s->k.p, start, cut) != 0)
            break;        /* s->k is the next entry to look at */
    }
    qsort(s->group, s->group_n, sizeof *s->group, group_item_cmp);
    return 0;
}

int cd_ordscan_next(cd_ordscan *s, cd_ordentry *e)
{
    cd_ctx *c = s->c;
    size_t cut = cut_len(&s->l), p = s->l.prefix_len, sl = s->l.suffix_len;
    for (;;) {
        if (s->group_at < s->group_n) {
            const cd_ordgroup_item *g = &s->group[s->group_at++];
            s->enc_buf.len = 0;
            if (!cd_buf_put(&s->enc_buf, g->key + p, cut - p) ||
                !cd_buf_put(&s->enc_buf, g->tail, g->tail_len))
                return cd_oom(c);
            *e = (cd_ordentry){s->enc_buf.p, s->enc_buf.len, g->key + cut, g->payload,
                               g->payload_len};
            int j = judge(s, e);
            if (j == YIELD)
                return 0;
            if (j == STOP) {
                s->group_n = s->group_at = 0;
                s->done = true;
                s->have = false;
                return CD_KV_NOTFOUND;
            }
            continue;
        }
        if (!s->have) {
            if (s->done)
                return CD_KV_NOTFOUND;
            int rc = cd_cursor_next(s->cur, &s->k, &s->v, c->err);
            if (rc == CD_KV_NOTFOUND) {
                s->done = true;
                return rc;
            }
            if (rc)
                return rc;
            s->have = true;
        }
        if (!in_prefix(s)) {
            s->done = true;
            s->have = false;
            return CD_KV_NOTFOUND;
        }
        if (s->k.n == CD_KV_MAX_KEY) {
            int rc = read_group(s);
            if (rc)
                return rc;
            continue;
        }
        const unsigned char *kp = s->k.p;
        *e = (cd_ordentry){kp + p, s->k.n - p - sl, kp + s->k.n - sl, s->v.p, s->v.n};
        s->have = false;
        int j = judge(s, e);
        if (j == YIELD)
            return 0;
        if (j == STOP) {
            s->done = true;
            return CD_KV_NOTFOUND;
        }
    }
}
