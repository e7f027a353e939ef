/* schema_json.c — schema documents (semantics §11): PutSchemaFromJson and GetSchemaAsJson.
 *
 * A document is a whole schema's content at once.  PutSchemaFromJson parses it with Jansson
 * (no parser of our own), checks its structure and names every wrong member by its path
 * ("facets.Device.facetAttributes.serial.attributeDefinition: unknown key 'foo'"), turns
 * each facet and typed-link facet into the CreateFacet / CreateTypedLinkFacet request the
 * API would take, and runs those handlers (facet.c) in this call's transaction: the same
 * validation, limits and storage as the API, and on any error the engine aborts the
 * transaction, so the schema keeps its old content.
 *
 * Exceptions: a document that is not JSON, or not the format, is InvalidSchemaDocException
 * (with Jansson's line and column for syntax errors).  Everything CreateFacet would call a
 * FacetValidationException or ValidationException (a reference to a missing facet or
 * attribute, a default of the wrong type or one the attribute's own rules refuse, an identity
 * attribute that is not required) is also InvalidSchemaDocException: the model lists no other
 * exception for the operation.  Bad rules stay InvalidRuleException, service limits (facets
 * per schema, attributes per facet, the 200 KB document, a default over the value size)
 * LimitExceededException.
 *
 * Beyond the AWS format: a NUMBER default that is not an integer of 64 bits (a fraction,
 * more digits) is written and read as "numberValue": "<decimal string>", so that no number
 * loses digits; "longValue" is a JSON integer that fits 64 bits. */
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <jansson.h>
#include "schema_model.h"
#include "shapes.h"
#include "rules.h"
#include "keys.h"

/* The service's document limit (limits = "aws"). */
#define MAX_DOCUMENT_BYTES (200 * 1024)

/* The model's name constraints (FacetName, AttributeName, RuleKey, TypedLinkName). */
#define FACET_NAME_CHARS 64
#define ATTRIBUTE_NAME_CHARS 230
#define RULE_NAME_CHARS 64

/* ================================================================ base64url (RFC 4648 §5) */

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *base64url_encode(cd_arena *a, const unsigned char *p, size_t n)
{
    char *out = cd_arena_alloc(a, (n + 2) / 3 * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = b64url[v >> 18 & 63];
        *o++ = b64url[v >> 12 & 63];
        *o++ = i + 1 < n ? b64url[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64url[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static int b64url_digit(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '-' ? 62 : ch == '_' ? 63 : -1;
}

/* Decodes URL-safe base64, padding optional.  Returns false for anything else (including
 * the standard alphabet's '+' and '/'). */
static bool base64url_decode(cd_arena *a, const char *s, size_t n, unsigned char **out,
                             size_t *outn)
{
    if (n % 4 == 0 && n && s[n - 1] == '=') {   /* padded: one or two '=' */
        n--;
        if (s[n - 1] == '=')
            n--;
    }
    if (n % 4 == 1)
        return false;
    unsigned char *o = cd_arena_alloc(a, n / 4 * 3 + 3);
    if (!o)
        return false;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64url_digit((unsigned char)s[i]);
        if (d < 0)
            return false;
        acc = (acc << 6 | (uint32_t)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (unsigned char)(acc >> bits);
        }
    }
    *out = o;
    *outn = k;
    return true;
}

/* ================================================================ reading a document */

/* One facet or typed-link facet of the document, as the API request that creates it. */
typedef struct doc_facet {
    const char *path;          /* "facets.Device", for messages */
    cd_value *req;             /* CreateFacet / CreateTypedLinkFacet request, complete */
    cd_value *defs_only;       /* CreateFacet without its references (NULL when it has none) */
} doc_facet;

typedef struct doc {
    cd_ctx *c;
    const char *schema_arn;    /* the development schema being replaced */
    const char *source_arn;    /* the document's sourceSchemaArn ("" when absent) */
    json_t *facets;            /* the document's "facets" object (borrowed), for references */
    size_t nfacets, nlinks;
    doc_facet *fs, *ls;
} doc;

static int doc_fail(doc *d, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int doc_fail(doc *d, const char *path, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cd_fail(d->c->err, CD_E_InvalidSchemaDocException, "%s%s%s", path ? path : "",
                   path ? ": " : "", msg);
}

static int doc_oom(doc *d) { return cd_oom(d->c); }

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction or exponent";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* path.key (never NULL: messages only lose their path when memory runs out). */
static const char *sub(doc *d, const char *path, const char *key)
{
    const char *p = cd_arena_printf(d->c->a, "%s%s%s", path, *path ? "." : "", key);
    return p ? p : "?";
}

/* Every key of object o must be one of the NULL-terminated `known`. */
static int known_keys(doc *d, json_t *o, const char *path, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(key, *k) == 0;
        if (ok)
            continue;
        char list[200] = "";
        for (const char *const *k = known; *k; k++) {
            strncat(list, k == known ? "" : ", ", sizeof list - strlen(list) - 1);
            strncat(list, *k, sizeof list - strlen(list) - 1);
        }
        return doc_fail(d, path[0] ? path : "document", "unknown key '%.100s' (known: %s)",
                        key, list);
    }
    return 0;
}

/* Member key of object o: NULL when absent; a type error when present but not of `type`. */
static int member(doc *d, json_t *o, const char *path, const char *key, json_type type,
                  const char *type_text, bool required, json_t **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) {
        if (required)
            return doc_fail(d, path[0] ? path : "document", "missing key '%s' (%s)", key,
                            type_text);
        return 0;
    }
    bool fits = json_typeof(v) == type ||
                (type == JSON_TRUE && json_typeof(v) == JSON_FALSE);   /* any boolean */
    if (!fits)
        return doc_fail(d, sub(d, path, key), "must be %s, not %s", type_text, json_kind(v));
    *out = v;
    return 0;
}

/* A string member without NUL bytes (names, enums, ARNs are C strings in the engine). */
static int text_member(doc *d, json_t *o, const char *path, const char *key, bool required,
                       const char **out)
{
    json_t *v;
    int rc = member(d, o, path, key, JSON_STRING, "a string", required, &v);
    *out = NULL;
    if (rc || !v)
        return rc;
    if (strlen(json_string_value(v)) != json_string_length(v))
        return doc_fail(d, sub(d, path, key), "must not contain NUL characters");
    *out = cd_arena_strndup(d->c->a, json_string_value(v), json_string_length(v));
    return *out ? 0 : doc_oom(d);
}

/* A member whose value is one of `allowed` (NULL-terminated). */
static int enum_member(doc *d, json_t *o, const char *path, const char *key, bool required,
                       const char *const *allowed, const char **out)
{
    int rc = text_member(d, o, path, key, required, out);
    if (rc || !*out)
        return rc;
    char list[200] = "";
    for (const char *const *k = allowed; *k; k++) {
        if (strcmp(*out, *k) == 0)
            return 0;
        strncat(list, k == allowed ? "" : ", ", sizeof list - strlen(list) - 1);
        strncat(list, *k, sizeof list - strlen(list) - 1);
    }
    return doc_fail(d, sub(d, path, key), "'%.100s' is not one of %s", *out, list);
}

/* A facet, attribute or rule name (a key of the document): the model's pattern and length. */
static int check_name(doc *d, const char *path, const char *what, const char *name,
                      size_t max, bool colon)
{
    size_t n = strlen(name);
    if (n == 0)
        return doc_fail(d, path, "%s names must not be empty", what);
    if (max && n > max)
        return doc_fail(d, path, "%s names are at most %zu characters", what, max);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || (colon && *p == ':')))
            return doc_fail(d, path, "%s names may hold only letters, digits and '.', '_', "
                            "'-'%s", what, colon ? ", ':'" : "");
    return 0;
}

static bool put(cd_arena *a, cd_value *m, const char *key, cd_value *v)
{
    return v && cd_map_set(a, m, key, v);
}

static const char *const attr_types[] = {"STRING", "NUMBER", "BINARY", "BOOLEAN", "DATETIME",
                                         "VARIANT", NULL};
static const char *const rule_types[] = {"STRING_LENGTH", "BINARY_LENGTH", "NUMBER_COMPARISON",
                                         "STRING_FROM_SET", NULL};

/* The rule types that apply to an attribute type (by name). */
static const char *rule_subject(const char *rule_type)
{
    if (strcmp(rule_type, "BINARY_LENGTH") == 0)
        return "BINARY";
    if (strcmp(rule_type, "NUMBER_COMPARISON") == 0)
        return "NUMBER";
    return "STRING";
}

/* attributeRules -> Rules {name: {Type, Parameters}}; NULL when there are none. */
static int read_rules(doc *d, json_t *rules, const char *path, const char *type,
                      cd_value **out)
{
    cd_arena *a = d->c->a;
    *out = NULL;
    if (!rules || json_object_size(rules) == 0)
        return 0;
    cd_value *m = cd_map(a);
    if (!m)
        return doc_oom(d);
    const char *name;
    json_t *r;
    json_object_foreach(rules, name, r) {
        static const char *const keys[] = {"ruleType", "parameters", NULL};
        const char *rp = sub(d, path, name), *rt;
        json_t *params;
        int rc;
        if ((rc = check_name(d, rp, "rule", name, RULE_NAME_CHARS, false)))
            return rc;
        if (!json_is_object(r))
            return doc_fail(d, rp, "a rule must be an object {ruleType, parameters}, not %s",
                            json_kind(r));
        if ((rc = known_keys(d, r, rp, keys)) ||
            (rc = text_member(d, r, rp, "ruleType", true, &rt)) ||
            (rc = member(d, r, rp, "parameters", JSON_OBJECT, "an object of strings", false,
                         &params)))
            return rc;
        bool known = false;
        for (const char *const *k = rule_types; *k && !known; k++)
            known = strcmp(rt, *k) == 0;
        if (!known)
            return cd_fail(d->c->err, CD_E_InvalidRuleException,
                           "%s.ruleType: '%.100s' is not a rule type (STRING_LENGTH, "
                           "BINARY_LENGTH, NUMBER_COMPARISON or STRING_FROM_SET)",
                           rp, rt);
        if (strcmp(type, "VARIANT") == 0 || strcmp(type, rule_subject(rt)) != 0)
            return cd_fail(d->c->err, CD_E_InvalidRuleException,
                           "%s: a %s rule applies to %s attributes, but this attribute is %s",
                           rp, rt, rule_subject(rt), type);
        cd_value *rule = cd_map(a), *pm = cd_map(a);
        if (!rule || !pm)
            return doc_oom(d);
        const char *pk;
        json_t *pv;
        json_object_foreach(params, pk, pv) {
            const char *pp = sub(d, rp, "parameters");
            if (!json_is_string(pv))
                return cd_fail(d->c->err, CD_E_InvalidRuleException,
                               "%s.%.100s: rule parameters are strings (\"min\": \"1\"), not %s",
                               pp, pk, json_kind(pv));
            if (strlen(json_string_value(pv)) != json_string_length(pv))
                return cd_fail(d->c->err, CD_E_InvalidRuleException,
                               "%s.%.100s must not contain NUL characters", pp, pk);
            if (!put(a, pm, pk, cd_str(a, json_string_value(pv), json_string_length(pv))))
                return doc_oom(d);
        }
        if (!put(a, rule, "Type", cd_strz(a, rt)) || !put(a, rule, "Parameters", pm) ||
            !put(a, m, name, rule))
            return doc_oom(d);
    }
    *out = m;
    return 0;
}

/* The one defaultValue member an attribute type takes. */
static const char *default_member(const char *type)
{
    static const char *const map[][2] = {
        {"STRING", "stringValue"}, {"NUMBER", "longValue"}, {"BINARY", "binaryValue"},
        {"BOOLEAN", "booleanValue"}, {"DATETIME", "datetimeValue"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(type, map[i][0]) == 0)
            return map[i][1];
    return NULL;   /* VARIANT: any */
}

/* defaultValue -> DefaultValue (a TypedAttributeValue). */
static int read_default(doc *d, json_t *dv, const char *path, const char *type, cd_value **out)
{
    static const char *const keys[] = {"stringValue", "longValue", "booleanValue",
                                       "binaryValue", "datetimeValue", "numberValue", NULL};
    cd_arena *a = d->c->a;
    int rc = known_keys(d, dv, path, keys);
    if (rc)
        return rc;
    if (json_object_size(dv) != 1)
        return doc_fail(d, path, "must have exactly one of stringValue, longValue, "
                        "booleanValue, binaryValue, datetimeValue (it has %zu)",
                        json_object_size(dv));
    void *it = json_object_iter(dv);
    const char *k = json_object_iter_key(it);
    json_t *v = json_object_iter_value(it);
    const char *want = default_member(type), *mp = sub(d, path, k);
    bool number = strcmp(k, "longValue") == 0 || strcmp(k, "numberValue") == 0;
    if (want && strcmp(k, want) != 0 && !(number && strcmp(want, "longValue") == 0))
        return doc_fail(d, path, "the attribute is %s, so its default is a %s, not a %s", type,
                        want, k);
    cd_value *tv = cd_map(a), *val = NULL;
    const char *api = NULL;
    if (!tv)
        return doc_oom(d);
    if (strcmp(k, "stringValue") == 0) {
        if (!json_is_string(v))
            return doc_fail(d, mp, "must be a string, not %s", json_kind(v));
        api = "StringValue";
        val = cd_str(a, json_string_value(v), json_string_length(v));
    } else if (strcmp(k, "longValue") == 0) {
        if (!json_is_integer(v))
            return doc_fail(d, mp, "must be an integer, not %s (for other numbers write "
                            "\"numberValue\": \"<decimal>\")", json_kind(v));
        api = "NumberValue";
        char *txt = cd_arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        val = txt ? cd_strz(a, txt) : NULL;
    } else if (strcmp(k, "numberValue") == 0) {
        if (!json_is_string(v))
            return doc_fail(d, mp, "must be a decimal number as a string, not %s",
                            json_kind(v));
        if (!cd_decimal_valid(json_string_value(v), json_string_length(v)))
            return doc_fail(d, mp, "'%.100s' is not a decimal number", json_string_value(v));
        api = "NumberValue";
        val = cd_str(a, json_string_value(v), json_string_length(v));
    } else if (strcmp(k, "booleanValue") == 0) {
        if (!json_is_boolean(v))
            return doc_fail(d, mp, "must be true or false, not %s", json_kind(v));
        api = "BooleanValue";
        val = cd_bool(a, json_is_true(v));
    } else if (strcmp(k, "binaryValue") == 0) {
        unsigned char *bytes;
        size_t n;
        if (!json_is_string(v))
            return doc_fail(d, mp, "must be a string of URL-safe base64, not %s", json_kind(v));
        if (!base64url_decode(a, json_string_value(v), json_string_length(v), &bytes, &n))
            return doc_fail(d, mp, "is not URL-safe base64 (RFC 4648 §5: A-Z a-z 0-9 '-' '_', "
                            "'=' padding optional)");
        api = "BinaryValue";
        val = cd_bytes(a, bytes, n);
    } else {   /* datetimeValue */
        if (!json_is_integer(v))
            return doc_fail(d, mp, "must be an integer (milliseconds since the epoch), not %s",
                            json_kind(v));
        api = "DatetimeValue";
        val = cd_time_ms(a, json_integer_value(v));
    }
    if (!put(a, tv, api, val))
        return doc_oom(d);
    *out = tv;
    return 0;
}

/* attributeDefinition -> the members of an AttributeDefinition, set on `m` (a facet
 * attribute's AttributeDefinition, or a typed-link attribute itself). */
static int read_definition(doc *d, json_t *def, const char *path, cd_value *m)
{
    static const char *const keys[] = {"attributeType", "defaultValue", "isImmutable",
                                       "attributeRules", NULL};
    cd_arena *a = d->c->a;
    const char *type;
    json_t *dv, *imm, *rules;
    cd_value *dval = NULL, *rmap = NULL;
    int rc;
    if ((rc = known_keys(d, def, path, keys)) ||
        (rc = enum_member(d, def, path, "attributeType", true, attr_types, &type)) ||
        (rc = member(d, def, path, "defaultValue", JSON_OBJECT, "an object", false, &dv)) ||
        (rc = member(d, def, path, "isImmutable", JSON_TRUE, "true or false", false, &imm)) ||
        (rc = member(d, def, path, "attributeRules", JSON_OBJECT, "an object", false, &rules)))
        return rc;
    if (dv && (rc = read_default(d, dv, sub(d, path, "defaultValue"), type, &dval)))
        return rc;
    if ((rc = read_rules(d, rules, sub(d, path, "attributeRules"), type, &rmap)))
        return rc;
    if (!put(a, m, "Type", cd_strz(a, type)) || (dval && !put(a, m, "DefaultValue", dval)) ||
        !put(a, m, "IsImmutable", cd_bool(a, imm && json_is_true(imm))) ||
        (rmap && !put(a, m, "Rules", rmap)))
        return doc_oom(d);
    return 0;
}

static const char *const required_values[] = {"REQUIRED_ALWAYS", "NOT_REQUIRED", NULL};

/* A reference must name an attribute definition of a facet of this document. */
static int check_reference(doc *d, const char *path, const char *facet, const char *attr)
{
    json_t *f = json_object_get(d->facets, facet);
    json_t *attrs = f ? json_object_get(f, "facetAttributes") : NULL;
    json_t *t = attrs ? json_object_get(attrs, attr) : NULL;
    if (!f)
        return doc_fail(d, path, "refers to facet '%.100s', which the document does not have",
                        facet);
    if (!t)
        return doc_fail(d, path, "refers to %.100s.%.100s, but facet '%.100s' has no attribute "
                        "'%.100s'", facet, attr, facet, attr);
    if (!json_is_object(t) || !json_is_object(json_object_get(t, "attributeDefinition")))
        return doc_fail(d, path, "refers to %.100s.%.100s, which is not an attribute "
                        "definition (a reference must target a definition)", facet, attr);
    return 0;
}

/* attributeReference -> AttributeReference. */
static int read_reference(doc *d, json_t *ref, const char *path, cd_value **out)
{
    static const char *const keys[] = {"targetSchemaArn", "targetFacetName",
                                       "targetAttributeName", NULL};
    cd_arena *a = d->c->a;
    const char *arn, *facet, *attr;
    int rc;
    if ((rc = known_keys(d, ref, path, keys)) ||
        (rc = text_member(d, ref, path, "targetSchemaArn", false, &arn)) ||
        (rc = text_member(d, ref, path, "targetFacetName", true, &facet)) ||
        (rc = text_member(d, ref, path, "targetAttributeName", true, &attr)))
        return rc;
    /* References stay within one schema: this one, however the document spells it. */
    if (arn && *arn && strcmp(arn, d->schema_arn) != 0 && strcmp(arn, d->source_arn) != 0)
        return doc_fail(d, sub(d, path, "targetSchemaArn"),
                        "'%.200s' is another schema; references must target the same schema",
                        arn);
    if ((rc = check_reference(d, path, facet, attr)))
        return rc;
    cd_value *m = cd_map(a);
    if (!m || !put(a, m, "TargetFacetName", cd_strz(a, facet)) ||
        !put(a, m, "TargetAttributeName", cd_strz(a, attr)))
        return doc_oom(d);
    *out = m;
    return 0;
}

/* One attribute of a facet (link = false) or typed-link facet (link = true), appended to
 * `all` (and, for a facet's definitions, to `defs`).  Sets *is_ref. */
static int read_attribute(doc *d, const char *name, json_t *at, const char *path, bool link,
                          cd_value *all, cd_value *defs, bool *is_ref)
{
    static const char *const keys[] = {"attributeDefinition", "attributeReference",
                                       "requiredBehavior", NULL};
    cd_arena *a = d->c->a;
    json_t *def, *ref;
    const char *rb;
    int rc;
    *is_ref = false;
    if ((rc = check_name(d, path, "attribute", name, ATTRIBUTE_NAME_CHARS, true)))
        return rc;
    if (!json_is_object(at))
        return doc_fail(d, path, "an attribute must be an object, not %s", json_kind(at));
    if ((rc = known_keys(d, at, path, keys)) ||
        (rc = member(d, at, path, "attributeDefinition", JSON_OBJECT, "an object", false,
                     &def)) ||
        (rc = member(d, at, path, "attributeReference", JSON_OBJECT, "an object", false,
                     &ref)) ||
        (rc = enum_member(d, at, path, "requiredBehavior", true, required_values, &rb)))
        return rc;
    if (!def == !ref)
        return doc_fail(d, path, "an attribute has exactly one of attributeDefinition and "
                        "attributeReference");
    if (ref && link)
        return doc_fail(d, sub(d, path, "attributeReference"),
                        "typed link facets do not support attribute references");
    cd_value *m = cd_map(a);
    if (!m || !put(a, m, "Name", cd_strz(a, name)))
        return doc_oom(d);
    if (link) {
        if ((rc = read_definition(d, def, sub(d, path, "attributeDefinition"), m)))
            return rc;
    } else if (def) {
        cd_value *inner = cd_map(a);
        if (!inner)
            return doc_oom(d);
        if ((rc = read_definition(d, def, sub(d, path, "attributeDefinition"), inner)))
            return rc;
        if (!put(a, m, "AttributeDefinition", inner))
            return doc_oom(d);
    } else {
        cd_value *inner = NULL;
        if ((rc = read_reference(d, ref, sub(d, path, "attributeReference"), &inner)))
            return rc;
        if (!put(a, m, "AttributeReference", inner))
            return doc_oom(d);
        *is_ref = true;
    }
    if (!put(a, m, "RequiredBehavior", cd_strz(a, rb)) || !cd_list_push(a, all, m) ||
        (defs && !*is_ref && !cd_list_push(a, defs, m)))
        return doc_oom(d);
    return 0;
}

static int read_facet(doc *d, const char *name, json_t *f, doc_facet *out)
{
    static const char *const keys[] = {"facetAttributes", "objectType", "facetStyle", NULL};
    static const char *const object_types[] = {"NODE", "LEAF_NODE", "POLICY", "INDEX", NULL};
    static const char *const styles[] = {"STATIC", "DYNAMIC", NULL};
    cd_arena *a = d->c->a;
    const char *path = sub(d, "facets", name), *ot, *style;
    json_t *attrs;
    int rc;
    if ((rc = check_name(d, path, "facet", name, FACET_NAME_CHARS, false)))
        return rc;
    if (!json_is_object(f))
        return doc_fail(d, path, "a facet must be an object, not %s", json_kind(f));
    if ((rc = known_keys(d, f, path, keys)) ||
        (rc = member(d, f, path, "facetAttributes", JSON_OBJECT, "an object", false, &attrs)) ||
        (rc = enum_member(d, f, path, "objectType", false, object_types, &ot)) ||
        (rc = enum_member(d, f, path, "facetStyle", false, styles, &style)))
        return rc;
    bool dynamic = style && strcmp(style, "DYNAMIC") == 0;
    if (!attrs && !dynamic)
        return doc_fail(d, path, "missing key 'facetAttributes' (an object; only a DYNAMIC "
                        "facet may leave it out)");
    if (!ot && !dynamic)
        return doc_fail(d, path, "missing key 'objectType' (NODE, LEAF_NODE, POLICY or INDEX; "
                        "only a DYNAMIC facet may leave it out)");
    cd_value *req = cd_map(a), *all = cd_list(a), *defs = cd_list(a);
    if (!req || !all || !defs)
        return doc_oom(d);
    const char *apath = sub(d, path, "facetAttributes"), *an;
    json_t *at;
    bool any_ref = false;
    json_object_foreach(attrs, an, at) {
        bool is_ref;
        if ((rc = read_attribute(d, an, at, sub(d, apath, an), false, all, defs, &is_ref)))
            return rc;
        any_ref |= is_ref;
    }
    if (!put(a, req, "SchemaArn", cd_strz(a, d->schema_arn)) ||
        !put(a, req, "Name", cd_strz(a, name)) ||
        (ot && !put(a, req, "ObjectType", cd_strz(a, ot))) ||
        !put(a, req, "FacetStyle", cd_strz(a, dynamic ? "DYNAMIC" : "STATIC")))
        return doc_oom(d);
    out->path = path;
    out->defs_only = NULL;
    if (any_ref) {
        /* The same request with only the definitions: created first, so that every
         * reference finds its target whatever the order of the facets. */
        cd_value *first = cd_value_copy(a, req);
        if (!first || !put(a, first, "Attributes", defs))
            return doc_oom(d);
        out->defs_only = first;
    }
    if (!put(a, req, "Attributes", all))
        return doc_oom(d);
    out->req = req;
    return 0;
}

static int read_link_facet(doc *d, const char *name, json_t *f, doc_facet *out)
{
    static const char *const keys[] = {"facetAttributes", "identityAttributeOrder", NULL};
    cd_arena *a = d->c->a;
    const char *path = sub(d, "typedLinkFacets", name);
    json_t *attrs, *order;
    int rc;
    if ((rc = check_name(d, path, "typed link facet", name, CD_LINK_NAME_MAX, false)))
        return rc;
    if (!json_is_object(f))
        return doc_fail(d, path, "a typed link facet must be an object, not %s", json_kind(f));
    if ((rc = known_keys(d, f, path, keys)) ||
        (rc = member(d, f, path, "facetAttributes", JSON_OBJECT, "an object", true, &attrs)) ||
        (rc = member(d, f, path, "identityAttributeOrder", JSON_ARRAY,
                     "an array of attribute names", true, &order)))
        return rc;
    cd_value *req = cd_map(a), *facet = cd_map(a), *all = cd_list(a), *ids = cd_list(a);
    if (!req || !facet || !all || !ids)
        return doc_oom(d);
    const char *apath = sub(d, path, "facetAttributes"), *an;
    json_t *at;
    json_object_foreach(attrs, an, at) {
        bool is_ref;
        if ((rc = read_attribute(d, an, at, sub(d, apath, an), true, all, NULL, &is_ref)))
            return rc;
    }
    size_t i;
    json_t *id;
    json_array_foreach(order, i, id) {
        const char *ip = cd_arena_printf(a, "%s.identityAttributeOrder[%zu]", path, i);
        if (!json_is_string(id))
            return doc_fail(d, ip, "must be an attribute name, not %s", json_kind(id));
        const char *idn = json_string_value(id);
        if (strlen(idn) != json_string_length(id) || !json_object_get(attrs, idn))
            return doc_fail(d, ip, "'%.100s' is not an attribute of this typed link facet",
                            idn);
        if (!cd_list_push(a, ids, cd_strz(a, idn)))
            return doc_oom(d);
    }
    if (!put(a, facet, "Name", cd_strz(a, name)) || !put(a, facet, "Attributes", all) ||
        !put(a, facet, "IdentityAttributeOrder", ids) ||
        !put(a, req, "SchemaArn", cd_strz(a, d->schema_arn)) || !put(a, req, "Facet", facet))
        return doc_oom(d);
    out->path = path;
    out->req = req;
    out->defs_only = NULL;
    return 0;
}

/* Jansson's error, with its position, as InvalidSchemaDocException. */
static int syntax_error(doc *d, const json_error_t *je)
{
    const char *hint = "";
    if (strstr(je->text, "too big integer"))
        hint = " (longValue and datetimeValue are 64-bit integers; write a bigger NUMBER "
               "default as \"numberValue\": \"<decimal>\")";
    else if (strstr(je->text, "depth"))
        hint = " (a schema document nests a few levels deep only)";
    if (je->line <= 0)
        return doc_fail(d, NULL, "the document is not valid JSON: %s%s", je->text, hint);
    return doc_fail(d, NULL, "the document is not valid JSON: %s at line %d, column %d "
                    "(byte %d)%s", je->text, je->line, je->column, je->position, hint);
}

/* Parses and checks the whole document into d->fs / d->ls. */
static int read_document(doc *d, const char *text, size_t n)
{
    json_error_t je;
    /* Duplicate keys are an error (facet and attribute names are unique); \u0000 is allowed
     * in strings so that string defaults holding NUL round-trip, and refused elsewhere. */
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root)
        return syntax_error(d, &je);
    static const char *const keys[] = {"sourceSchemaArn", "facets", "typedLinkFacets", NULL};
    json_t *facets = NULL, *links = NULL;
    const char *src = NULL;
    int rc;
    if (!json_is_object(root)) {
        rc = doc_fail(d, NULL, "the document must be a JSON object {\"sourceSchemaArn\", "
                      "\"facets\", \"typedLinkFacets\"}, not %s", json_kind(root));
        goto done;
    }
    if ((rc = known_keys(d, root, "", keys)) ||
        (rc = text_member(d, root, "", "sourceSchemaArn", false, &src)) ||
        (rc = member(d, root, "", "facets", JSON_OBJECT, "an object", false, &facets)) ||
        (rc = member(d, root, "", "typedLinkFacets", JSON_OBJECT, "an object", false, &links)))
        goto done;
    d->source_arn = src ? src : "";
    d->facets = facets;
    d->nfacets = json_object_size(facets);
    d->nlinks = json_object_size(links);
    d->fs = cd_arena_alloc(d->c->a, (d->nfacets + 1) * sizeof *d->fs);
    d->ls = cd_arena_alloc(d->c->a, (d->nlinks + 1) * sizeof *d->ls);
    if (!d->fs || !d->ls) {
        rc = doc_oom(d);
        goto done;
    }
    const char *name;
    json_t *v;
    size_t i = 0;
    json_object_foreach(facets, name, v) {
        if ((rc = read_facet(d, name, v, &d->fs[i++])))
            goto done;
    }
    i = 0;
    json_object_foreach(links, name, v) {
        if ((rc = read_link_facet(d, name, v, &d->ls[i++])))
            goto done;
    }
done:
    d->facets = NULL;
    json_decref(root);
    return rc;
}

/* ================================================================ PutSchemaFromJson */

/* Deletes every key under prefix + sid. */
static int clear_prefix(cd_ctx *c, unsigned char prefix, uint32_t sid)
{
    unsigned char p[5];
    p[0] = prefix;
    cd_put_u32be(p + 1, sid);
    cd_cursor *cur;
    int rc = cd_kv_cursor(c->txn, &cur, c->err);
    if (rc)
        return rc;
    cd_slice k, v;
    rc = cd_cursor_seek(cur, (cd_slice){p, 5}, &k, &v, c->err);
    while (rc == 0 && k.n >= 5 && memcmp(k.p, p, 5) == 0) {
        rc = cd_cursor_del(cur, c->err);
        if (rc == 0)
            rc = cd_cursor_seek(cur, (cd_slice){p, 5}, &k, &v, c->err);
    }
    cd_cursor_close(cur);
    return rc == CD_KV_NOTFOUND ? 0 : rc;
}

/* Runs one CreateFacet / CreateTypedLinkFacet built from the document, exactly as the API
 * would (shape check, then the handler); its errors name the document member. */
static int run_create(cd_ctx *c, int op, cd_value *req, const char *path)
{
    cd_value *resp;
    int rc = cd_shape_check(op, req, c->a, c->err);
    if (rc == 0)
        rc = cd_engine_dispatch(c, op, req, &resp);
    if (rc == 0 || rc == CD_E_MAP_FULL)
        return rc;
    int code = c->err->code;
    switch (code) {
    case CD_E_FacetValidationException:
    case CD_E_ValidationException:
    case CD_E_FacetAlreadyExistsException:
    case CD_E_FacetNotFoundException:
        code = CD_E_InvalidSchemaDocException;
        break;
    case CD_E_InvalidRuleException:
    case CD_E_LimitExceededException:
        break;
    default:
        return rc;   /* the store's own trouble: as it is */
    }
    char msg[sizeof c->err->message];
    memcpy(msg, c->err->message, sizeof msg);
    return cd_fail(c->err, code, "%s: %s", path, msg);
}

static int put_schema_from_json(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = cd_schema_open(c, req, "SchemaArn", CD_ARN_DEVELOPMENT, &s);
    /* PutSchemaFromJson does not list ResourceNotFoundException: an ARN naming no schema is
     * an invalid ARN for it, as one naming a schema in the wrong state is (semantics §13.3). */
    if (rc == CD_E_ResourceNotFoundException)
        c->err->code = rc = CD_E_InvalidArnException;
    if (rc)
        return rc;
    size_t n = 0;
    const char *text = cd_get_str(req, "Document", &n);
    if (cd_aws_limits(c) && n > MAX_DOCUMENT_BYTES)
        return cd_fail(c->err, CD_E_LimitExceededException,
                       "the document is %zu bytes; a schema document is at most %d bytes "
                       "(200 KB) under limits = \"aws\"",
                       n, MAX_DOCUMENT_BYTES);
    doc d = {.c = c, .schema_arn = s.arn, .source_arn = ""};
    if ((rc = read_document(&d, text ? text : "", text ? n : 0)))
        return rc;
    /* The whole content goes; the document's comes in its place. */
    if ((rc = clear_prefix(c, CDK_FACET, s.sid)) || (rc = clear_prefix(c, CDK_LINK_FACET, s.sid)))
        return rc;
    for (size_t i = 0; i < d.nfacets; i++) {
        const doc_facet *f = &d.fs[i];
        if ((rc = run_create(c, CD_OP_CreateFacet, f->defs_only ? f->defs_only : f->req,
                             f->path)))
            return rc;
    }
    for (size_t i = 0; i < d.nfacets; i++) {
        const doc_facet *f = &d.fs[i];
        if (!f->defs_only)
            continue;
        if ((rc = cd_facet_delete(c, s.sid, cd_get_str(f->req, "Name", NULL))) ||
            (rc = run_create(c, CD_OP_CreateFacet, f->req, f->path)))
            return rc;
    }
    for (size_t i = 0; i < d.nlinks; i++)
        if ((rc = run_create(c, CD_OP_CreateTypedLinkFacet, d.ls[i].req, d.ls[i].path)))
            return rc;
    cd_value *r = cd_map(c->a);
    if (!r || !put(c->a, r, "Arn", cd_strz(c->a, s.arn)))
        return cd_oom(c);
    *resp = r;
    return 0;
}

/* ================================================================ GetSchemaAsJson */

/* Jansson's json_object_set_new, tolerating a NULL object or value (out of memory). */
static bool jset(json_t *o, const char *key, json_t *v)
{
    if (!o || !v) {
        json_decref(v);
        return false;
    }
    return json_object_set_new(o, key, v) == 0;
}

static int entry_cmp(const void *x, const void *y)
{
    return strcmp((*(const cd_mapent *const *)x)->key, (*(const cd_mapent *const *)y)->key);
}

/* The entries of a stored map (rules, parameters), sorted by key: output is deterministic. */
static const cd_mapent **sorted_entries(cd_arena *a, const cd_value *m)
{
    size_t n = cd_len(m);
    const cd_mapent **e = cd_arena_alloc(a, (n + 1) * sizeof *e);
    if (!e)
        return NULL;
    for (size_t i = 0; i < n; i++)
        e[i] = &m->u.map.ents[i];
    qsort(e, n, sizeof *e, entry_cmp);
    return e;
}

static json_t *json_default(cd_arena *a, const cd_value *dv)
{
    if (cd_len(dv) != 1)
        return NULL;
    const cd_mapent *e = &dv->u.map.ents[0];
    const cd_value *v = e->val;
    json_t *o = json_object();
    if (strcmp(e->key, "StringValue") == 0 && cd_is(v, CDV_STRING)) {
        return jset(o, "stringValue", json_stringn(v->u.s.p, v->u.s.len)) ? o : NULL;
    } else if (strcmp(e->key, "NumberValue") == 0 && cd_is(v, CDV_STRING)) {
        /* An integer of 64 bits is a longValue; any other number keeps its digits. */
        char *end;
        errno = 0;
        long long x = strtoll(v->u.s.p, &end, 10);
        if (errno == 0 && end != v->u.s.p && *end == '\0')
            return jset(o, "longValue", json_integer(x)) ? o : NULL;
        return jset(o, "numberValue", json_stringn(v->u.s.p, v->u.s.len)) ? o : NULL;
    } else if (strcmp(e->key, "BooleanValue") == 0 && cd_is(v, CDV_BOOL)) {
        return jset(o, "booleanValue", json_boolean(v->u.b)) ? o : NULL;
    } else if (strcmp(e->key, "BinaryValue") == 0 &&
               (cd_is(v, CDV_BYTES) || cd_is(v, CDV_STRING))) {
        const char *b64 = base64url_encode(a, (const unsigned char *)v->u.s.p, v->u.s.len);
        return b64 && jset(o, "binaryValue", json_string(b64)) ? o : NULL;
    } else if (strcmp(e->key, "DatetimeValue") == 0 &&
               (cd_is(v, CDV_TIME) || cd_is(v, CDV_INT))) {
        return jset(o, "datetimeValue", json_integer(v->u.i)) ? o : NULL;
    }
    json_decref(o);
    return NULL;
}

/* Rule parameters, sorted by key (NULL when out of memory). */
static json_t *json_params(cd_arena *a, const cd_value *params)
{
    const cd_mapent **e = sorted_entries(a, params);
    json_t *o = e ? json_object() : NULL;
    for (size_t i = 0; o && i < cd_len(params); i++)
        if (!cd_is(e[i]->val, CDV_STRING) ||
            !jset(o, e[i]->key, json_stringn(e[i]->val->u.s.p, e[i]->val->u.s.len))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *json_rules(cd_arena *a, const cd_value *rules)
{
    const cd_mapent **e = sorted_entries(a, rules);
    json_t *o = e ? json_object() : NULL;
    for (size_t i = 0; o && i < cd_len(rules); i++) {
        const char *type = cd_get_str(e[i]->val, "Type", NULL);
        json_t *r = json_object();
        if (!jset(r, "ruleType", json_string(type ? type : "")) ||
            !jset(r, "parameters", json_params(a, cd_get(e[i]->val, "Parameters")))) {
            json_decref(r);
            json_decref(o);
            return NULL;
        }
        if (!jset(o, e[i]->key, r)) {   /* r is gone either way */
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* A definition with every member, as the service normalises it: isImmutable and
 * attributeRules always, defaultValue when there is one. */
static json_t *json_definition(cd_arena *a, const cd_attrdef *ad)
{
    json_t *o = json_object();
    if (!jset(o, "attributeType", json_string(cd_attr_type_name(ad->type))) ||
        (ad->default_value && !jset(o, "defaultValue", json_default(a, ad->default_value))) ||
        !jset(o, "isImmutable", json_boolean(ad->immutable)) ||
        !jset(o, "attributeRules", ad->rules ? json_rules(a, ad->rules) : json_object())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *json_reference(const cd_attrdef *ad)
{
    json_t *o = json_object();
    if (!jset(o, "targetFacetName", json_string(ad->target_facet)) ||
        !jset(o, "targetAttributeName", json_string(ad->target_attr))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* {attributeDefinition | attributeReference, requiredBehavior}. */
static json_t *json_attribute(cd_arena *a, const cd_attrdef *ad)
{
    json_t *at = json_object();
    if (!jset(at, ad->is_reference ? "attributeReference" : "attributeDefinition",
              ad->is_reference ? json_reference(ad) : json_definition(a, ad)) ||
        !jset(at, "requiredBehavior",
              json_string(ad->required ? "REQUIRED_ALWAYS" : "NOT_REQUIRED"))) {
        json_decref(at);
        return NULL;
    }
    return at;
}

static json_t *json_attributes(cd_arena *a, const cd_attrdef *attrs, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        if (!jset(o, attrs[i].name, json_attribute(a, &attrs[i]))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *json_identity(const cd_link_facet *f)
{
    json_t *o = json_array();
    for (size_t i = 0; o && i < f->nidentity; i++)
        if (json_array_append_new(o, json_string(f->identity[i]))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

/* The published ARN a schema's document names as its source. */
static const char *source_arn(cd_ctx *c, const cd_schema *s)
{
    if (s->kind == CD_SCHEMA_APPLIED)
        return cd_arn_published(c, s->name, s->version, s->minor);
    return s->arn;
}

/* The names of a schema's facets (links false) or typed-link facets (links true): built in
 * for the base and managed schemas, stored for the others. */
static int names_of(cd_ctx *c, const cd_schema *s, bool links, const char ***names, size_t *n)
{
    static const char *const none[] = {NULL};
    const char *const *fixed;
    if (s->kind == CD_SCHEMA_BASE)
        fixed = links ? none : cd_base_facet_names;
    else if (s->kind == CD_SCHEMA_MANAGED)
        fixed = links ? cd_managed_link_facet_names : cd_managed_facet_names;
    else
        return cd_stored_names(c, links ? CDK_LINK_FACET : CDK_FACET, s->sid, names, n);
    for (*n = 0; fixed[*n]; (*n)++) {
    }
    *names = (const char **)fixed;
    return 0;
}

static int build_document(cd_ctx *c, const cd_schema *s, json_t *root)
{
    const char **names;
    size_t n;
    int rc;
    const char *src = source_arn(c, s);
    if (!src || !jset(root, "sourceSchemaArn", json_string(src)))
        return cd_oom(c);
    /* Set on root first: from then on root owns them and they are only borrowed here. */
    json_t *facets = json_object(), *links;
    if (!jset(root, "facets", facets))
        return cd_oom(c);
    links = json_object();
    if (!jset(root, "typedLinkFacets", links))
        return cd_oom(c);
    if ((rc = names_of(c, s, false, &names, &n)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        cd_facet *f;
        if ((rc = cd_facet_read(c, s, names[i], &f)))
            return rc;
        json_t *fo = json_object();
        const char *ot = cd_object_type_name(f->object_type);
        if (!jset(fo, "facetAttributes", json_attributes(c->a, f->attrs, f->nattrs)) ||
            (ot && !jset(fo, "objectType", json_string(ot))) ||
            !jset(fo, "facetStyle", json_string(f->dynamic ? "DYNAMIC" : "STATIC"))) {
            json_decref(fo);
            return cd_fail(c->err, CD_E_InternalServiceException,
                           "facet '%s' cannot be written as JSON", f->name);
        }
        if (!jset(facets, f->name, fo))
            return cd_oom(c);
    }
    if ((rc = names_of(c, s, true, &names, &n)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        cd_link_facet *f;
        if ((rc = cd_link_facet_read(c, s, names[i], &f)))
            return rc;
        json_t *fo = json_object();
        if (!jset(fo, "facetAttributes", json_attributes(c->a, f->attrs, f->nattrs)) ||
            !jset(fo, "identityAttributeOrder", json_identity(f))) {
            json_decref(fo);
            return cd_fail(c->err, CD_E_InternalServiceException,
                           "typed link facet '%s' cannot be written as JSON", f->name);
        }
        if (!jset(links, f->name, fo))
            return cd_oom(c);
    }
    return 0;
}

static int get_schema_as_json(cd_ctx *c, const cd_value *req, cd_value **resp)
{
    cd_schema s;
    int rc = cd_schema_open(c, req, "SchemaArn", CD_ARN_ANY_SCHEMA, &s);
    if (rc)
        return rc;
    json_t *root = json_object();
    if (!root)
        return cd_oom(c);
    rc = build_document(c, &s, root);
    /* Compact, keys in insertion order (Jansson keeps it): sourceSchemaArn, facets by name,
     * typedLinkFacets by name — the same schema always gives the same bytes. */
    char *text = rc ? NULL : json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (rc)
        return rc;
    if (!text)
        return cd_oom(c);
    cd_value *r = cd_map(c->a), *document = cd_strz(c->a, text);
    free(text);
    if (!r || !put(c->a, r, "Name", cd_strz(c->a, s.name)) ||
        !put(c->a, r, "Document", document))
        return cd_oom(c);
    *resp = r;
    return 0;
}

const cd_handler_entry cd_schema_json_handlers[] = {
    {CD_OP_PutSchemaFromJson, put_schema_from_json},
    {CD_OP_GetSchemaAsJson, get_schema_as_json},
    {-1, NULL},
};
