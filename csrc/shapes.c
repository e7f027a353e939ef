/* shapes.c — checks a request against its operation's input shape (contract in shapes.h).
 *
 * The walk follows the shape table, never the request, so its depth is bounded by the
 * model (cd_shape_max_depth; the generator refuses recursive shapes).  A valid request costs
 * no allocation and no formatting: the path of the value being checked is a chain of steps
 * on the C stack, turned into text only when a check fails. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "operations.h"
#include "shapes.h"
#include "shapes_table.h"

/* ================================================================ paths */

typedef enum step_kind { STEP_MEMBER, STEP_INDEX, STEP_KEY } step_kind;

typedef struct step {
    const struct step *up;   /* NULL above a top-level member */
    step_kind kind;
    const char *name;        /* member name or map key */
    size_t len;
    size_t index;            /* list position */
} step;

typedef struct checker {
    cd_arena *a;
    cd_error *err;
    const char *op;          /* operation name, for messages about the request itself */
} checker;

/* A bounded text buffer: appends beyond the capacity are dropped. */
typedef struct text {
    char *p;
    size_t len, cap;         /* cap includes the NUL */
} text;

static void text_add(text *t, const char *s, size_t n)
{
    size_t room = t->cap - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_addz(text *t, const char *s) { text_add(t, s, strlen(s)); }

/* Map keys are caller data: show at most 64 bytes, control characters escaped. */
static void text_add_key(text *t, const char *k, size_t len)
{
    size_t shown = len > 64 ? 64 : len;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)k[i];
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\') {
            char esc[8];
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            text_addz(t, esc);
        } else {
            text_add(t, k + i, 1);
        }
    }
    if (shown < len)
        text_addz(t, "...");
}

/* "SchemaFacets[2].FacetName", "Operations[0].CreateObject", "LinkNames[\"a\"]". */
static void format_path(const step *at, char *buf, size_t cap)
{
    enum { MAX_STEPS = 64 };
    const step *chain[MAX_STEPS];
    size_t n = 0;
    text t = {buf, 0, cap};
    buf[0] = '\0';
    for (; at; at = at->up) {
        if (n == MAX_STEPS) {  /* cannot happen with this model; keep the innermost steps */
            text_addz(&t, "...");
            break;
        }
        chain[n++] = at;
    }
    while (n > 0) {
        const step *s = chain[--n];
        char num[32];
        switch (s->kind) {
        case STEP_MEMBER:
            if (t.len)
                text_addz(&t, ".");
            text_add(&t, s->name, s->len);
            break;
        case STEP_INDEX:
            snprintf(num, sizeof num, "[%zu]", s->index);
            text_addz(&t, num);
            break;
        case STEP_KEY:
            text_addz(&t, "[\"");
            text_add_key(&t, s->name, s->len);
            text_addz(&t, "\"]");
            break;
        }
    }
}

/* ================================================================ errors */

/* "1 validation error detected: Value at 'PATH' failed to satisfy constraint: WHAT" */
static int invalid(checker *c, const step *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int invalid(checker *c, const step *at, const char *fmt, ...)
{
    char path[256], what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    format_path(at, path, sizeof path);
    return cd_fail(c->err, CD_E_ValidationException,
                   "1 validation error detected: Value at '%s' failed to satisfy constraint: %s",
                   path, what);
}

static int missing(checker *c, const step *at)
{
    char path[256];
    format_path(at, path, sizeof path);
    return cd_fail(c->err, CD_E_ValidationException,
                   "1 validation error detected: Value null at '%s' failed to satisfy "
                   "constraint: Member must not be null", path);
}

static int out_of_memory(checker *c)
{
    return cd_fail(c->err, CD_E_InternalServiceException, "out of memory");
}

static const char *value_type_name(const cd_value *v)
{
    switch (v->type) {
    case CDV_NULL: return "null";
    case CDV_BOOL: return "boolean";
    case CDV_INT: return "integer";
    case CDV_FLOAT: return "float";
    case CDV_STRING: return "string";
    case CDV_BYTES: return "bytes";
    case CDV_TIME: return "timestamp";
    case CDV_LIST: return "list";
    case CDV_MAP: return "map";
    }
    return "unknown value";
}

static const char *shape_type_name(const cd_shape *sh)
{
    switch ((cd_shape_kind)sh->kind) {
    case CD_SK_STRUCTURE: return "a structure (table/map)";
    case CD_SK_LIST: return "a list";
    case CD_SK_MAP: return "a map";
    case CD_SK_STRING:
        return sh->flags & CD_SHAPE_NUMBER_STRING ? "a number or a string holding a number"
                                                  : "a string";
    case CD_SK_INTEGER: return "an integer";
    case CD_SK_BOOLEAN: return "a boolean";
    case CD_SK_TIMESTAMP: return "a timestamp (number of seconds since the epoch)";
    case CD_SK_BLOB: return "a blob (string of bytes)";
    }
    return "?";
}

static int wrong_type(checker *c, const cd_shape *sh, const cd_value *v, const step *at)
{
    return invalid(c, at, "Member must be %s (got %s)", shape_type_name(sh), value_type_name(v));
}

/* Lists member names for "Unknown member" and union errors: a person can spot the typo. */
static void text_add_members(text *t, const cd_shape *sh)
{
    for (unsigned i = 0; i < sh->count; i++) {
        if (i)
            text_addz(t, ", ");
        text_addz(t, cd_shape_members[sh->first + i].name);
    }
}

static int unknown_member(checker *c, const cd_shape *sh, const cd_mapent *e, const step *at)
{
    char where[256], members[384];
    text m = {members, 0, sizeof members};
    members[0] = '\0';
    text_add_members(&m, sh);
    if (at) {
        char path[240];
        format_path(at, path, sizeof path);
        snprintf(where, sizeof where, "'%s'", path);
    } else {
        snprintf(where, sizeof where, "the %s request", c->op);
    }
    return cd_fail(c->err, CD_E_ValidationException,
                   "1 validation error detected: Unknown member '%.*s' in %s (members: %s)",
                   (int)(e->keylen > 64 ? 64 : e->keylen), e->key, where,
                   sh->count ? members : "none");
}

/* ================================================================ strings */

/* Code points in p[0..len), or -1 when the bytes are not valid UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF are invalid). */
static int64_t utf8_length(const unsigned char *p, size_t len)
{
    int64_t n = 0;
    size_t i = 0;
    while (i < len) {
        /* Most text (ARNs, selectors, names) is ASCII: take 8 bytes at a time. */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
            n += 8;
        }
        if (i == len)
            break;
        unsigned ch = p[i];
        if (ch < 0x80) {
            i++;
            n++;
            continue;
        }
        size_t more;
        uint32_t cp;
        if (ch >= 0xC2 && ch <= 0xDF) {
            more = 1;
            cp = ch & 0x1F;
        } else if ((ch & 0xF0) == 0xE0) {
            more = 2;
            cp = ch & 0x0F;
        } else if (ch >= 0xF0 && ch <= 0xF4) {
            more = 3;
            cp = ch & 0x07;
        } else {
            return -1;
        }
        if (len - i <= more)
            return -1;
        for (size_t k = 1; k <= more; k++) {
            unsigned b = p[i + k];
            if ((b & 0xC0) != 0x80)
                return -1;
            cp = cp << 6 | (b & 0x3F);
        }
        if (more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            return -1;
        if (more == 3 && (cp < 0x10000 || cp > 0x10FFFF))
            return -1;
        i += more + 1;
        n++;
    }
    return n;
}

static bool name_char(unsigned char ch, bool colon)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-' || (colon && ch == ':');
}

/* LinkName's class excludes / [ ] ( ) : { } # @ ! ? \ ; and \s, which in the service's
 * (Java) regular expressions is space, \t, \n, \v, \f, \r. */
static bool link_name_char(unsigned char ch)
{
    switch (ch) {
    case '/': case '[': case ']': case '(': case ')': case ':': case '{': case '}':
    case '#': case '@': case '!': case '?': case '\\': case ';':
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
        return false;
    default:
        return true;
    }
}

/* The whole string must match, as the service matches patterns. */
static bool pattern_matches(int pattern, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    switch (pattern) {
    case CD_PAT_NAME:
    case CD_PAT_ATTRIBUTE_NAME:
        for (size_t i = 0; i < len; i++)
            if (!name_char(p[i], pattern == CD_PAT_ATTRIBUTE_NAME))
                return false;
        return true;
    case CD_PAT_LINK_NAME:
        if (len == 0)
            return false;
        for (size_t i = 0; i < len; i++)
            if (!link_name_char(p[i]))
                return false;
        return true;
    default:
        return true;
    }
}

static int check_count(checker *c, const cd_shape *sh, int64_t n, const step *at,
                       const char *subject)
{
    if ((sh->flags & CD_SHAPE_HAS_MIN) && n < sh->min)
        return invalid(c, at, "%s must have length greater than or equal to %" PRId64, subject,
                       sh->min);
    if ((sh->flags & CD_SHAPE_HAS_MAX) && n > sh->max)
        return invalid(c, at, "%s must have length less than or equal to %" PRId64, subject,
                       sh->max);
    return 0;
}

/* A string member's text or a map key: UTF-8, length, enum, pattern. */
static int check_text(checker *c, const cd_shape *sh, const char *s, size_t len, const step *at,
                      const char *subject)
{
    /* A schema document is bytes for its JSON parser, which names the position of a bad
     * byte (InvalidSchemaDocException; schema_json.c).  It has no length bounds here. */
    if (strcmp(sh->name, "SchemaJsonDocument") == 0)
        return 0;
    int64_t n = utf8_length((const unsigned char *)s, len);
    if (n < 0)
        return invalid(c, at, "%s must be valid UTF-8", subject);
    /* Identifiers, names, ARNs and selectors never hold NUL bytes, and the engine reads
     * them as C strings; only attribute values (kept by length) may carry them. */
    if (memchr(s, 0, len) && strcmp(sh->name, "StringAttributeValue") != 0)
        return invalid(c, at, "%s must not contain NUL bytes", subject);
    int rc = check_count(c, sh, n, at, subject);
    if (rc)
        return rc;
    if (sh->count) {  /* enum */
        const cd_shape_str *e = &cd_shape_enum_values[sh->first];
        for (unsigned i = 0; i < sh->count; i++)
            if (e[i].len == len && memcmp(e[i].s, s, len) == 0)
                return 0;
        char set[320];
        text t = {set, 0, sizeof set};
        set[0] = '\0';
        for (unsigned i = 0; i < sh->count; i++) {
            if (i)
                text_addz(&t, ", ");
            text_add(&t, e[i].s, e[i].len);
        }
        return invalid(c, at, "%s must satisfy enum value set: [%s]", subject, set);
    }
    if (sh->pattern != CD_PAT_NONE && !pattern_matches(sh->pattern, s, len))
        return invalid(c, at, "%s must satisfy regular expression pattern: %s", subject,
                       cd_shape_patterns[sh->pattern]);
    return 0;
}

/* NumberValue: a number becomes its decimal text (integers exactly, floats with the
 * shortest of 15, 16, 17 significant digits that reads back as the same double). */
static int number_to_text(checker *c, cd_value *v, const step *at)
{
    char buf[48];
    if (v->type == CDV_INT) {
        snprintf(buf, sizeof buf, "%" PRId64, v->u.i);
    } else {
        double f = v->u.f;
        if (!isfinite(f))
            return invalid(c, at, "Member must be a finite number (got %g)", f);
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(buf, sizeof buf, "%.*g", digits, f);
            if (strtod(buf, NULL) == f)
                break;
        }
        for (char *p = buf; *p; p++)  /* a caller's LC_NUMERIC must not leak into the data */
            if (*p == ',')
                *p = '.';
    }
    size_t len = strlen(buf);
    char *s = cd_arena_strndup(c->a, buf, len);
    if (!s)
        return out_of_memory(c);
    v->type = CDV_STRING;
    v->u.s.p = s;
    v->u.s.len = len;
    return 0;
}

static int check_string(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    if ((sh->flags & CD_SHAPE_NUMBER_STRING) && (v->type == CDV_INT || v->type == CDV_FLOAT)) {
        int rc = number_to_text(c, v, at);
        if (rc)
            return rc;
    }
    if (v->type != CDV_STRING)
        return wrong_type(c, sh, v, at);
    return check_text(c, sh, v->u.s.p, v->u.s.len, at, "Member");
}

/* ================================================================ scalars */

static int check_integer(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    if (v->type == CDV_FLOAT) {  /* 10.0 is 10; 3.5 is not an integer */
        double f = v->u.f;
        if (!(f == trunc(f)))  /* also NaN; infinities fail the range test next */
            return invalid(c, at, "Member must be an integer (got float %.17g)", f);
        if (f < -2147483648.0 || f > 2147483647.0)  /* before the cast, which could overflow */
            return invalid(c, at, "Member must have value %s %d", f < 0 ?
                           "greater than or equal to" : "less than or equal to",
                           f < 0 ? INT32_MIN : INT32_MAX);
        v->type = CDV_INT;
        v->u.i = (int64_t)f;
    }
    if (v->type != CDV_INT)
        return wrong_type(c, sh, v, at);
    int64_t i = v->u.i;
    if ((sh->flags & CD_SHAPE_HAS_MIN) && i < sh->min)
        return invalid(c, at, "Member must have value greater than or equal to %" PRId64,
                       sh->min);
    if ((sh->flags & CD_SHAPE_HAS_MAX) && i > sh->max)
        return invalid(c, at, "Member must have value less than or equal to %" PRId64, sh->max);
    /* The service's integers are 32-bit. */
    if (i < INT32_MIN)
        return invalid(c, at, "Member must have value greater than or equal to %d", INT32_MIN);
    if (i > INT32_MAX)
        return invalid(c, at, "Member must have value less than or equal to %d", INT32_MAX);
    return 0;
}

/* Seconds since the epoch (fractions kept) become milliseconds, rounded to nearest. */
static int check_timestamp(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    switch (v->type) {
    case CDV_TIME:
        return 0;
    case CDV_INT:
        if (v->u.i > INT64_MAX / 1000 || v->u.i < INT64_MIN / 1000)
            return invalid(c, at, "Member must be a timestamp in range (got %" PRId64
                           " seconds)", v->u.i);
        v->u.i *= 1000;
        v->type = CDV_TIME;
        return 0;
    case CDV_FLOAT: {
        double ms = v->u.f * 1000.0;
        if (!(ms > -9.2e18 && ms < 9.2e18))  /* also NaN and infinities */
            return invalid(c, at, "Member must be a timestamp in range (got %g seconds)",
                           v->u.f);
        v->type = CDV_TIME;
        v->u.i = (int64_t)round(ms);
        return 0;
    }
    default:
        return wrong_type(c, sh, v, at);
    }
}

static int check_blob(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    if (v->type == CDV_STRING)
        v->type = CDV_BYTES;  /* same bytes, same NUL-terminated storage */
    if (v->type != CDV_BYTES)
        return wrong_type(c, sh, v, at);
    return check_count(c, sh, (int64_t)v->u.s.len, at, "Member");
}

/* ================================================================ containers */

static int check_value(checker *c, unsigned shape, cd_value *v, const step *at);

static bool absent(const cd_value *v) { return !v || v->type == CDV_NULL; }

/* A front cannot tell an empty list from an empty map (Lua's {}): the shape decides. */
static void empty_to_list(cd_value *v)
{
    if (v->type == CDV_MAP && v->u.map.n == 0) {
        v->type = CDV_LIST;
        v->u.list.items = NULL;
        v->u.list.n = v->u.list.cap = 0;
    }
}

static void empty_to_map(cd_value *v)
{
    if (v->type == CDV_LIST && v->u.list.n == 0) {
        v->type = CDV_MAP;
        v->u.map.ents = NULL;
        v->u.map.n = v->u.map.cap = 0;
    }
}

static int union_error(checker *c, const cd_shape *sh, uint64_t seen, const step *at)
{
    const cd_shape_member *mem = &cd_shape_members[sh->first];
    if (seen == 0) {
        char names[320];
        text t = {names, 0, sizeof names};
        names[0] = '\0';
        text_add_members(&t, sh);
        return invalid(c, at, "Exactly one member must be set (got none; one of: %s)", names);
    }
    unsigned first = 0, second;
    while (!(seen >> first & 1))
        first++;
    second = first + 1;
    while (!(seen >> second & 1))
        second++;
    return invalid(c, at, "Exactly one member must be set (got %s and %s)", mem[first].name,
                   mem[second].name);
}

static int check_structure(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    empty_to_map(v);
    if (v->type != CDV_MAP)
        return wrong_type(c, sh, v, at);
    const cd_shape_member *mem = &cd_shape_members[sh->first];
    uint64_t seen = 0;  /* bit j: member first+j is present */
    for (size_t i = 0; i < v->u.map.n; i++) {
        const cd_mapent *e = &v->u.map.ents[i];
        if (absent(e->val))
            continue;
        unsigned j = 0;
        while (j < sh->count && !(mem[j].namelen == e->keylen &&
                                  memcmp(mem[j].name, e->key, e->keylen) == 0))
            j++;
        if (j == sh->count)
            return unknown_member(c, sh, e, at);
        step s = {at, STEP_MEMBER, mem[j].name, mem[j].namelen, 0};
        uint64_t bit = UINT64_C(1) << j;
        if (seen & bit)
            return invalid(c, &s, "Member must be given once");
        seen |= bit;
        int rc = check_value(c, mem[j].shape, e->val, &s);
        if (rc)
            return rc;
    }
    uint64_t lacking = sh->required & ~seen;
    if (lacking) {
        unsigned j = 0;
        while (!(lacking >> j & 1))
            j++;
        step s = {at, STEP_MEMBER, mem[j].name, mem[j].namelen, 0};
        return missing(c, &s);
    }
    if ((sh->flags & CD_SHAPE_UNION) && (seen == 0 || (seen & (seen - 1)) != 0))
        return union_error(c, sh, seen, at);
    return 0;
}

static int check_list(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    empty_to_list(v);
    if (v->type != CDV_LIST)
        return wrong_type(c, sh, v, at);
    int rc = check_count(c, sh, (int64_t)v->u.list.n, at, "Member");
    if (rc)
        return rc;
    for (size_t i = 0; i < v->u.list.n; i++) {
        step s = {at, STEP_INDEX, NULL, 0, i};
        cd_value *item = v->u.list.items[i];
        if (absent(item))
            return missing(c, &s);
        rc = check_value(c, sh->member, item, &s);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_map(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    empty_to_map(v);
    if (v->type != CDV_MAP)
        return wrong_type(c, sh, v, at);
    int rc = check_count(c, sh, (int64_t)v->u.map.n, at, "Member");
    if (rc)
        return rc;
    for (size_t i = 0; i < v->u.map.n; i++) {
        const cd_mapent *e = &v->u.map.ents[i];
        step s = {at, STEP_KEY, e->key, e->keylen, 0};
        rc = check_text(c, &cd_shapes[sh->member], e->key, e->keylen, &s, "Map key");
        if (rc)
            return rc;
        if (absent(e->val))
            return missing(c, &s);
        rc = check_value(c, sh->value, e->val, &s);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_shape(checker *c, const cd_shape *sh, cd_value *v, const step *at)
{
    switch ((cd_shape_kind)sh->kind) {
    case CD_SK_STRUCTURE: return check_structure(c, sh, v, at);
    case CD_SK_LIST: return check_list(c, sh, v, at);
    case CD_SK_MAP: return check_map(c, sh, v, at);
    case CD_SK_STRING: return check_string(c, sh, v, at);
    case CD_SK_INTEGER: return check_integer(c, sh, v, at);
    case CD_SK_BOOLEAN: return v->type == CDV_BOOL ? 0 : wrong_type(c, sh, v, at);
    case CD_SK_TIMESTAMP: return check_timestamp(c, sh, v, at);
    case CD_SK_BLOB: return check_blob(c, sh, v, at);
    }
    return invalid(c, at, "shape %s has an unknown kind", sh->name);
}

/* A value met again as the same shape during one check (one node shared by several
 * operations) is checked once.  The mark is set on entry: a check stops at the first
 * error, so a marked value has passed, or is the one that failed and ends the check. */
static int check_value(checker *c, unsigned shape, cd_value *v, const step *at)
{
    if (v->checked_shape == shape + 1)
        return 0;
    v->checked_shape = shape + 1;
    return check_shape(c, &cd_shapes[shape], v, at);
}

/* Clears the marks of one check, so they never outlive it: a caller may change a value
 * and send it again.  Every marked value is reached through marked ones. */
static void forget_marks(cd_value *v)
{
    if (!v || v->checked_shape == 0)
        return;
    v->checked_shape = 0;
    if (v->type == CDV_MAP)
        for (size_t i = 0; i < v->u.map.n; i++)
            forget_marks(v->u.map.ents[i].val);
    else if (v->type == CDV_LIST)
        for (size_t i = 0; i < v->u.list.n; i++)
            forget_marks(v->u.list.items[i]);
}

/* ================================================================ entry */

int cd_shape_check(int op, cd_value *req, cd_arena *a, cd_error *err)
{
    if (op < 0 || op >= CD_OP__COUNT)
        return cd_fail(err, CD_E_ValidationException, "unknown operation #%d", op);
    const cd_op_shape *o = &cd_op_shapes[op];
    if (req)
        empty_to_map(req);
    if (!req || req->type != CDV_MAP)
        return cd_fail(err, CD_E_ValidationException,
                       "the %s request must be a table/map (got %s)", o->name,
                       req ? value_type_name(req) : "nothing");
    checker c = {a, err, o->name};
    int rc = check_structure(&c, &cd_shapes[o->input], req, NULL);
    for (size_t i = 0; i < req->u.map.n; i++)
        forget_marks(req->u.map.ents[i].val);
    return rc;
}
