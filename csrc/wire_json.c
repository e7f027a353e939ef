/* wire_json.c — REST-JSON requests into values, values into REST-JSON (contract in
 * wire_json.h).
 *
 * Decoding walks the JSON together with the operation's input shape: the shape says which
 * strings are blobs (standard base64 on the wire) and which members travel outside the
 * body.  Everything else is left to the checker (cd_shape_check), which every front shares,
 * so the wire accepts exactly what the other fronts accept.  Encoding needs no shape: the
 * engine's values already say what they are (CDV_TIME, CDV_BYTES). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "operations.h"
#include "shapes_table.h"
#include "wire_json.h"

#define NO_SHAPE (-1)  /* a member the model does not know: the checker names it */

/* ================================================================ base64 (RFC 4648 §4) */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard alphabet; padding may be left off (some encoders do), but a padded text must be
 * padded right.  Returns false for anything else. */
static bool b64_decode(cd_arena *a, const char *s, size_t n, cd_value **out)
{
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (n % 4 == 1 || (pad && (n + pad) % 4 != 0))
        return false;
    unsigned char *buf = cd_arena_alloc(a, n / 4 * 3 + 3);
    if (!buf)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64_digit((unsigned char)s[i]);
        if (d < 0)
            return false;
        acc = acc << 6 | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits && (acc & ((1u << bits) - 1)))  /* non-canonical trailing bits */
        return false;
    *out = cd_bytes(a, buf, o);
    return *out != NULL;
}

static json_t *b64_encode(const unsigned char *p, size_t n)
{
    size_t len = (n + 2) / 3 * 4;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)p[i] << 16;
        if (i + 1 < n) x |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) x |= p[i + 2];
        buf[o++] = b64_alphabet[x >> 18 & 63];
        buf[o++] = b64_alphabet[x >> 12 & 63];
        buf[o++] = i + 1 < n ? b64_alphabet[x >> 6 & 63] : '=';
        buf[o++] = i + 2 < n ? b64_alphabet[x & 63] : '=';
    }
    json_t *j = json_stringn(buf, o);
    free(buf);
    return j;
}

/* ================================================================ requests */

typedef struct decoder {
    cd_arena *a;
    cd_error *err;
    const char **wire_error;
    int op;
} decoder;

static int serialization(decoder *d, const char *fmt, const char *what)
    __attribute__((format(printf, 2, 0)));
static int serialization(decoder *d, const char *fmt, const char *what)
{
    *d->wire_error = CD_WIRE_SERIALIZATION;
    return cd_fail(d->err, CD_E_ValidationException, fmt, what);
}

static int no_memory(decoder *d)
{
    *d->wire_error = NULL;
    return cd_fail(d->err, CD_E_InternalServiceException, "out of memory");
}

static const cd_shape_member *find_member(const cd_shape *sh, const char *key, size_t keylen)
{
    for (unsigned i = 0; i < sh->count; i++) {
        const cd_shape_member *m = &cd_shape_members[sh->first + i];
        if (m->namelen == keylen && memcmp(m->name, key, keylen) == 0)
            return m;
    }
    return NULL;
}

static int from_json(decoder *d, int shape, json_t *j, cd_value **out);

static int from_object(decoder *d, int shape, json_t *j, bool top, cd_value **out)
{
    const cd_shape *sh = shape == NO_SHAPE ? NULL : &cd_shapes[shape];
    cd_value *m = cd_map(d->a);
    if (!m)
        return no_memory(d);
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        size_t keylen = strlen(key);  /* keys with NUL bytes are cut here; no member has one */
        int sub = NO_SHAPE;
        if (sh && sh->kind == CD_SK_STRUCTURE) {
            const cd_shape_member *mem = find_member(sh, key, keylen);
            /* A member the model puts in a header comes from the header only. */
            if (top && mem && mem->location != CD_LOC_BODY)
                continue;
            if (mem)
                sub = mem->shape;
        } else if (sh && sh->kind == CD_SK_MAP) {
            sub = sh->value;
        }
        cd_value *x;
        int rc = from_json(d, sub, v, &x);
        if (rc)
            return rc;
        if (!cd_map_setn(d->a, m, key, keylen, x))
            return no_memory(d);
    }
    *out = m;
    return 0;
}

static int from_json(decoder *d, int shape, json_t *j, cd_value **out)
{
    const cd_shape *sh = shape == NO_SHAPE ? NULL : &cd_shapes[shape];
    cd_value *v = NULL;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return from_object(d, shape, j, false, out);
    case JSON_ARRAY: {
        int item = sh && sh->kind == CD_SK_LIST ? sh->member : NO_SHAPE;
        if (!(v = cd_list(d->a)))
            return no_memory(d);
        size_t i;
        json_t *e;
        json_array_foreach(j, i, e) {
            cd_value *x;
            int rc = from_json(d, item, e, &x);
            if (rc)
                return rc;
            if (!cd_list_push(d->a, v, x))
                return no_memory(d);
        }
        *out = v;
        return 0;
    }
    case JSON_STRING: {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        if (sh && sh->kind == CD_SK_BLOB) {
            if (!b64_decode(d->a, s, n, &v))
                return serialization(d, "%s: a blob must be standard base64 text "
                                     "(RFC 4648: A-Z a-z 0-9 + /, padded with '=')",
                                     sh->name);
        } else {
            v = cd_str(d->a, s, n);
        }
        break;
    }
    case JSON_INTEGER: v = cd_int(d->a, json_integer_value(j)); break;
    case JSON_REAL: v = cd_float(d->a, json_real_value(j)); break;
    case JSON_TRUE: v = cd_bool(d->a, true); break;
    case JSON_FALSE: v = cd_bool(d->a, false); break;
    case JSON_NULL: v = cd_null(d->a); break;
    }
    if (!v)
        return no_memory(d);
    *out = v;
    return 0;
}

int cd_wire_decode_request(int op, const char *body, size_t len, const cd_wire_source *src,
                           cd_arena *a, cd_value **out, const char **wire_error, cd_error *err)
{
    decoder d = {a, err, wire_error, op};
    *wire_error = NULL;
    *out = NULL;
    cd_error_clear(err);
    if (op < 0 || op >= CD_OP__COUNT)
        return serialization(&d, "%s", "unknown operation");
    int input = cd_op_shapes[op].input;
    const cd_shape *sh = &cd_shapes[input];
    cd_value *req = NULL;
    /* Some calls send no body at all (GetDirectory, DeleteSchema, ...): that is {}. */
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len) {
        if (!(req = cd_map(a)))
            return no_memory(&d);
    } else {
        json_error_t je;
        json_t *j = json_loadb(body, len, JSON_ALLOW_NUL, &je);
        if (!j) {
            char what[200];
            snprintf(what, sizeof what, "line %d, column %d: %s", je.line, je.column, je.text);
            return serialization(&d, "the request body is not valid JSON (%s)", what);
        }
        if (!json_is_object(j)) {
            json_decref(j);
            return serialization(&d, "%s", "the request body must be a JSON object");
        }
        int rc = from_object(&d, input, j, true, &req);
        json_decref(j);
        if (rc)
            return rc;
    }
    /* Members that travel outside the body. */
    for (unsigned k = 0; k < sh->count; k++) {
        const cd_shape_member *m = &cd_shape_members[sh->first + k];
        const char *text = NULL;
        if (m->location == CD_LOC_HEADER && src && src->header)
            text = src->header(src->ctx, m->location_name);
        else if (m->location == CD_LOC_QUERY && src && src->query)
            text = src->query(src->ctx, m->location_name);
        /* CD_LOC_URI: no operation of this model has path parameters. */
        if (!text)
            continue;
        cd_value *x = cd_strz(a, text);
        if (!x || !cd_map_setn(a, req, m->name, m->namelen, x))
            return no_memory(&d);
    }
    *out = req;
    return 0;
}

/* ================================================================ responses */

static json_t *to_json(const cd_value *v)
{
    switch (v->type) {
    case CDV_NULL: return json_null();
    case CDV_BOOL: return json_boolean(v->u.b);
    case CDV_INT: return json_integer(v->u.i);
    case CDV_FLOAT: return json_real(v->u.f);
    case CDV_STRING: return json_stringn(v->u.s.p, v->u.s.len);
    case CDV_BYTES: return b64_encode((const unsigned char *)v->u.s.p, v->u.s.len);
    case CDV_TIME:
        /* Epoch seconds; whole seconds as an integer, else with the milliseconds. */
        if (v->u.i % 1000 == 0)
            return json_integer(v->u.i / 1000);
        return json_real((double)v->u.i / 1000.0);
    case CDV_LIST: {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < v->u.list.n; i++) {
            json_t *x = to_json(v->u.list.items[i]);
            if (!x || json_array_append_new(arr, x)) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case CDV_MAP: {
        json_t *obj = json_object();
        for (size_t i = 0; obj && i < v->u.map.n; i++) {
            const cd_mapent *e = &v->u.map.ents[i];
            if (!e->val || e->val->type == CDV_NULL)  /* absent: the last page has no NextToken */
                continue;
            json_t *x = to_json(e->val);
            if (!x || json_object_setn_new(obj, e->key, e->keylen, x)) {
                json_decref(obj);
                return NULL;
            }
        }
        return obj;
    }
    }
    return NULL;
}

static char *dump(json_t *j, cd_arena *a, size_t *len)
{
    if (!j)
        return NULL;
    char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (!text)
        return NULL;
    *len = strlen(text);  /* NUL bytes in strings are written as \u0000 */
    char *copy = cd_arena_strndup(a, text, *len);
    free(text);
    return copy;
}

char *cd_wire_encode_response(const cd_value *resp, cd_arena *a, size_t *len)
{
    if (!resp)
        return dump(json_object(), a, len);
    return dump(to_json(resp), a, len);
}

/* ================================================================ errors */

int cd_wire_error_status(int code)
{
    switch (code) {
    case CD_E_AccessDeniedException: return 403;
    case CD_E_ResourceNotFoundException: return 404;
    case CD_E_RetryableConflictException: return 409;
    case CD_E_InternalServiceException:
    case CD_E_StoreError: return 500;
    case CD_E_NotImplementedException: return 501;
    default: return 400;
    }
}

const char *cd_wire_error_name(int code)
{
    if (code == CD_E_StoreError)
        return "InternalServiceException";
    const char *name = cd_code_name(code);
    return name && *name ? name : "InternalServiceException";
}

/* A message may hold caller bytes cut anywhere: keep it JSON (valid UTF-8) whatever it is. */
static json_t *message_json(const char *msg)
{
    json_t *j = json_string(msg);
    if (j)
        return j;
    char safe[sizeof ((cd_error *)0)->message];
    size_t n = 0;
    for (const char *p = msg; *p && n + 1 < sizeof safe; p++)
        safe[n++] = (unsigned char)*p < 0x80 ? *p : '?';
    safe[n] = '\0';
    return json_string(safe);
}

char *cd_wire_encode_error(const char *name, const cd_error *err, cd_arena *a, size_t *len)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    json_object_set_new(j, "__type", json_string(name));
    json_object_set_new(j, "Message", message_json(err->message));
    if (err->code == CD_E_BatchWriteException) {
        json_object_set_new(j, "Index", json_integer(err->index));
        json_object_set_new(j, "Type", json_string(cd_wire_error_name(err->type)));
    }
    return dump(j, a, len);
}
