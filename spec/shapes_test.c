/* shapes_test.c — unit test of the request shape checker (csrc/shapes.c).
 *
 * Requests are written as JSON-like text and parsed into cd_value trees by a small parser
 * below: integers become CDV_INT, numbers with '.' or an exponent CDV_FLOAT, {} an empty
 * CDV_MAP (as the Lua front makes it), [] an empty CDV_LIST.  Raw bytes in strings are kept,
 * so invalid UTF-8 can be written as "\xff" in the C literal.  Output is TAP. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "operations.h"
#include "shapes.h"

#include "tap.h"

/* ================================================================ a tiny JSON reader */

typedef struct reader {
    const char *p;
    cd_arena *a;
} reader;

static cd_value *parse_value(reader *r);

static void skip_space(reader *r)
{
    while (*r->p == ' ' || *r->p == '\n' || *r->p == '\t')
        r->p++;
}

static void put_utf8(char **o, unsigned cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xC0 | cp >> 6);
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *u++ = (unsigned char)(0xE0 | cp >> 12);
        *u++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *u++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = (char *)u;
}

/* Reads a quoted string into an arena buffer; *len gets its length. */
static char *parse_string(reader *r, size_t *len)
{
    const char *start = ++r->p;
    char *buf = cd_arena_alloc(r->a, strlen(start) + 1), *o = buf;
    while (*r->p && *r->p != '"') {
        if (*r->p != '\\') {
            *o++ = *r->p++;
            continue;
        }
        r->p++;
        char e = *r->p++;
        switch (e) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            char hex[5] = {0};
            memcpy(hex, r->p, 4);
            r->p += 4;
            put_utf8(&o, (unsigned)strtoul(hex, NULL, 16));
            break;
        }
        default: *o++ = e; break;  /* \" \\ \/ */
        }
    }
    if (*r->p == '"')
        r->p++;
    *len = (size_t)(o - buf);
    *o = '\0';
    return buf;
}

static cd_value *parse_value(reader *r)
{
    skip_space(r);
    char ch = *r->p;
    if (ch == '{') {
        cd_value *m = cd_map(r->a);
        r->p++;
        for (;;) {
            skip_space(r);
            if (*r->p == '}') {
                r->p++;
                return m;
            }
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            size_t klen;
            char *k = parse_string(r, &klen);
            skip_space(r);
            r->p++;  /* ':' */
            cd_map_setn(r->a, m, k, klen, parse_value(r));
        }
    }
    if (ch == '[') {
        cd_value *l = cd_list(r->a);
        r->p++;
        for (;;) {
            skip_space(r);
            if (*r->p == ']') {
                r->p++;
                return l;
            }
            if (*r->p == ',') {
                r->p++;
                continue;
            }
            cd_list_push(r->a, l, parse_value(r));
        }
    }
    if (ch == '"') {
        size_t len;
        char *s = parse_string(r, &len);
        return cd_str(r->a, s, len);
    }
    if (strncmp(r->p, "true", 4) == 0) {
        r->p += 4;
        return cd_bool(r->a, true);
    }
    if (strncmp(r->p, "false", 5) == 0) {
        r->p += 5;
        return cd_bool(r->a, false);
    }
    if (strncmp(r->p, "null", 4) == 0) {
        r->p += 4;
        return cd_null(r->a);
    }
    const char *end = r->p + strspn(r->p, "+-0123456789.eE");
    bool is_float = memchr(r->p, '.', (size_t)(end - r->p)) || memchr(r->p, 'e', (size_t)(end - r->p));
    cd_value *v = is_float ? cd_float(r->a, strtod(r->p, NULL))
                           : cd_int(r->a, strtoll(r->p, NULL, 10));
    r->p = end;
    return v;
}

static cd_value *parse(cd_arena *a, const char *json)
{
    reader r = {json, a};
    return parse_value(&r);
}

/* ================================================================ helpers */

#define DIR "\"DirectoryArn\": \"arn:aws:clouddirectory:us-east-1:123456789012:directory/AQ\""
#define SCHEMA "arn:aws:clouddirectory:us-east-1:123456789012:directory/AQ/schema/org/1"

/* Checks json against op; returns the normalised request when it passed, else NULL. */
static cd_value *expect_ok(cd_arena *a, int op, const char *json, const char *desc)
{
    cd_error err;
    cd_error_clear(&err);
    cd_value *req = parse(a, json);
    int rc = cd_shape_check(op, req, a, &err);
    if (!check(rc == 0, "%s", desc))
        printf("# got %s: %s\n", cd_code_name(rc), err.message);
    return rc == 0 ? req : NULL;
}

static void expect_error_in(cd_arena *a, int op, cd_value *req, const char *want, const char *desc)
{
    cd_error err;
    cd_error_clear(&err);
    int rc = cd_shape_check(op, req, a, &err);
    bool ok = rc == CD_E_ValidationException && err.code == rc && strstr(err.message, want);
    if (!check(ok, "%s", desc))
        printf("# wanted ValidationException containing \"%s\"\n# got %s: %s\n", want,
               cd_code_name(rc), err.message);
}

static void expect_error(cd_arena *a, int op, const char *json, const char *want, const char *desc)
{
    expect_error_in(a, op, parse(a, json), want, desc);
}

static const cd_value *at(const cd_value *v, const char *path)  /* "Operations.0.CreateObject" */
{
    char key[64];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        if (v->type == CDV_LIST) {
            size_t i = (size_t)atoi(key);
            v = i < v->u.list.n ? v->u.list.items[i] : NULL;
        } else {
            v = cd_get(v, key);
        }
        path += n + (path[n] == '.');
    }
    return v;
}

static bool is_string(const cd_value *v, const char *s)
{
    return v && v->type == CDV_STRING && v->u.s.len == strlen(s) && memcmp(v->u.s.p, s, v->u.s.len) == 0;
}

/* ================================================================ tests */

static void test_valid_requests(cd_arena *a)
{
    expect_ok(a, CD_OP_GetObjectInformation,
              "{" DIR ", \"ObjectReference\": {\"Selector\": \"/a/b\"}, \"ConsistencyLevel\": \"EVENTUAL\"}",
              "a valid GetObjectInformation passes");
    expect_ok(a, CD_OP_CreateSchema, "{\"Name\": \"org\"}", "a valid CreateSchema passes");
    expect_ok(a, CD_OP_ListDevelopmentSchemaArns, "{}", "an empty request passes when nothing is required");
    expect_ok(a, CD_OP_ListDevelopmentSchemaArns, "[]", "an empty list is taken as an empty request");
    expect_ok(a, CD_OP_CreateSchema, "{\"Name\": \"org\", \"Stray\": null}",
              "a null member is absent, even an unknown one");
}

static void test_request_itself(cd_arena *a)
{
    expect_error(a, CD_OP_CreateSchema, "\"org\"", "CreateSchema request must be a table/map",
                 "a string request is rejected");
    expect_error(a, CD_OP_CreateSchema, "[\"org\"]", "must be a table/map (got list)",
                 "a list request is rejected");
    expect_error_in(a, CD_OP_CreateSchema, NULL, "must be a table/map", "a missing request is rejected");
    expect_error(a, -1, "{}", "unknown operation", "an unknown operation number is rejected");
    expect_error(a, CD_OP__COUNT, "{}", "unknown operation", "an operation number past the end is rejected");
}

static void test_required(cd_arena *a)
{
    expect_error(a, CD_OP_CreateSchema, "{}", "Value null at 'Name' failed to satisfy constraint: Member must not be null",
                 "missing top-level required member");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": null}", "Value null at 'Name'",
                 "a null required member counts as missing");
    expect_error(a, CD_OP_AttachTypedLink,
                 "{" DIR ", \"SourceObjectReference\": {\"Selector\": \"/a\"}, \"TargetObjectReference\": {\"Selector\": \"/b\"},"
                 " \"TypedLinkFacet\": {\"SchemaArn\": \"" SCHEMA "\"}, \"Attributes\": []}",
                 "Value null at 'TypedLinkFacet.TypedLinkName'", "missing nested required member names its path");
    expect_error(a, CD_OP_CreateObject, "{" DIR ", \"SchemaFacets\": [{\"SchemaArn\": \"x\", \"FacetName\": \"F\"}, null]}",
                 "Value null at 'SchemaFacets[1]'", "a null list item is rejected");
}

static void test_unknown(cd_arena *a)
{
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": \"org\", \"Foo\": 1}",
                 "Unknown member 'Foo' in the CreateSchema request (members: Name)", "unknown top-level member");
    expect_error(a, CD_OP_GetObjectInformation, "{" DIR ", \"ObjectReference\": {\"selector\": \"/\"}}",
                 "Unknown member 'selector' in 'ObjectReference' (members: Selector)",
                 "unknown nested member (case matters)");

    /* A map with the same member twice (a JSON front could produce it). */
    cd_value *req = cd_map(a);
    cd_map_set(a, req, "Name", cd_strz(a, "a"));
    cd_map_set(a, req, "Name", cd_strz(a, "b"));
    expect_error_in(a, CD_OP_CreateSchema, req, "Value at 'Name' failed to satisfy constraint: Member must be given once",
                    "a member given twice is rejected");
}

static void test_types(cd_arena *a)
{
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": 5}", "Value at 'Name' failed to satisfy constraint: Member must be a string (got integer)",
                 "integer for a string");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": 5.5}", "Member must be a string (got float)", "float for a string");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": {\"a\": 1}}", "Member must be a string (got map)", "table for a string");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": {}}", "Member must be a string (got map)", "empty table for a string");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": true}", "Member must be a string (got boolean)", "boolean for a string");
    cd_value *req = cd_map(a);
    cd_map_set(a, req, "Name", cd_bytes(a, "org", 3));
    expect_error_in(a, CD_OP_CreateSchema, req, "Member must be a string (got bytes)", "bytes for a string");

    expect_error(a, CD_OP_GetObjectInformation, "{" DIR ", \"ObjectReference\": \"/a\"}",
                 "Value at 'ObjectReference' failed to satisfy constraint: Member must be a structure (table/map) (got string)",
                 "string for a structure");
    expect_error(a, CD_OP_GetObjectInformation, "{" DIR ", \"ObjectReference\": [\"/a\"]}",
                 "Member must be a structure (table/map) (got list)", "non-empty list for a structure");
    expect_error(a, CD_OP_CreateObject, "{" DIR ", \"SchemaFacets\": {\"SchemaArn\": \"x\"}}",
                 "Value at 'SchemaFacets' failed to satisfy constraint: Member must be a list (got map)",
                 "non-empty map for a list");
    expect_error(a, CD_OP_CreateObject, "{" DIR ", \"SchemaFacets\": \"x\"}",
                 "Member must be a list (got string)", "string for a list");
    expect_error(a, CD_OP_ListObjectChildren, "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": \"10\"}",
                 "Value at 'MaxResults' failed to satisfy constraint: Member must be an integer (got string)",
                 "string for an integer");
    expect_error(a, CD_OP_ListObjectChildren, "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": 3.5}",
                 "Member must be an integer (got float 3.5", "non-integral float for an integer");
    expect_error(a, CD_OP_UpgradePublishedSchema,
                 "{\"DevelopmentSchemaArn\": \"a\", \"PublishedSchemaArn\": \"b\", \"MinorVersion\": \"1\", \"DryRun\": 1}",
                 "Value at 'DryRun' failed to satisfy constraint: Member must be a boolean (got integer)",
                 "integer for a boolean");

    cd_value *ok = expect_ok(a, CD_OP_ListObjectChildren,
                             "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": 10.0}",
                             "an integral float is taken for an integer");
    const cd_value *mr = at(ok, "MaxResults");
    check(mr && mr->type == CDV_INT && mr->u.i == 10, "... and becomes the integer 10");
    expect_error(a, CD_OP_ListObjectChildren, "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": 4294967296}",
                 "Member must have value less than or equal to 2147483647", "integers are 32-bit");
    expect_error(a, CD_OP_ListObjectChildren, "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": 1e10}",
                 "Member must have value less than or equal to 2147483647", "an integral float out of the 32-bit range fails");
}

static void test_enum(cd_arena *a)
{
    expect_error(a, CD_OP_GetObjectInformation,
                 "{" DIR ", \"ObjectReference\": {\"Selector\": \"/\"}, \"ConsistencyLevel\": \"STRONG\"}",
                 "Value at 'ConsistencyLevel' failed to satisfy constraint: Member must satisfy enum value set: [SERIALIZABLE, EVENTUAL]",
                 "a value outside the enum is rejected with the allowed values");
    expect_error(a, CD_OP_GetObjectInformation,
                 "{" DIR ", \"ObjectReference\": {\"Selector\": \"/\"}, \"ConsistencyLevel\": \"eventual\"}",
                 "enum value set", "enum values are case-sensitive");
    expect_error(a, CD_OP_ListObjectChildren,
                 "{" DIR ", \"ObjectReference\": {}, \"ConsistencyLevel\": \"EVENTUALX\"}",
                 "enum value set", "an enum value with a suffix is rejected");
    expect_ok(a, CD_OP_ListDirectories, "{\"state\": \"DELETED\"}", "a valid enum value passes");
}

static void test_patterns(cd_arena *a)
{
    expect_ok(a, CD_OP_CreateSchema, "{\"Name\": \"Org-1_x.y\"}", "SchemaName: letters, digits, . _ - pass");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": \"my schema\"}",
                 "Value at 'Name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9._-]*$",
                 "SchemaName: a space fails ^[a-zA-Z0-9._-]*$");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": \"a:b\"}", "pattern: ^[a-zA-Z0-9._-]*$",
                 "SchemaName: a colon fails");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": \"caf\\u00e9\"}", "pattern", "SchemaName: non-ASCII fails");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": \"org\\n\"}", "pattern", "SchemaName: a trailing newline fails");

    expect_ok(a, CD_OP_ListFacetAttributes, "{\"SchemaArn\": \"" SCHEMA "\", \"Name\": \"Person\"}", "FacetName passes");
    expect_ok(a, CD_OP_GetLinkAttributes,
              "{" DIR ", \"TypedLinkSpecifier\": {\"TypedLinkFacet\": {\"SchemaArn\": \"s\", \"TypedLinkName\": \"t\"},"
              " \"SourceObjectReference\": {}, \"TargetObjectReference\": {}, \"IdentityAttributeValues\": []},"
              " \"AttributeNames\": [\"ns:attr.1\"]}",
              "AttributeName: a colon passes ^[a-zA-Z0-9._:-]*$");
    expect_error(a, CD_OP_GetLinkAttributes,
                 "{" DIR ", \"TypedLinkSpecifier\": {\"TypedLinkFacet\": {\"SchemaArn\": \"s\", \"TypedLinkName\": \"t\"},"
                 " \"SourceObjectReference\": {}, \"TargetObjectReference\": {}, \"IdentityAttributeValues\": []},"
                 " \"AttributeNames\": [\"ok\", \"ns/attr\"]}",
                 "Value at 'AttributeNames[1]' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9._:-]*$",
                 "AttributeName: a slash fails, path names the list item");

    /* LinkName: anything but / [ ] ( ) : { } # @ ! ? \ ; and whitespace. */
    expect_ok(a, CD_OP_AttachObject,
              "{" DIR ", \"ParentReference\": {}, \"ChildReference\": {}, \"LinkName\": \"caf\\u00e9-1.2_$%^&*+=,<>'~`|\"}",
              "LinkName: punctuation outside the excluded set and non-ASCII pass");
    const char *forbidden = "/[]():{}#@!?\\; \t\n\v\f\r";
    int rejected = 0;
    for (const char *f = forbidden; *f; f++) {
        cd_value *req = parse(a, "{" DIR ", \"ParentReference\": {}, \"ChildReference\": {}}");
        char name[8];
        snprintf(name, sizeof name, "a%cb", *f);
        cd_map_set(a, req, "LinkName", cd_strz(a, name));
        cd_error err;
        cd_error_clear(&err);
        if (cd_shape_check(CD_OP_AttachObject, req, a, &err) == CD_E_ValidationException &&
            strstr(err.message, "Value at 'LinkName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\/\\[\\]\\(\\):\\{\\}#@!?\\s\\\\;]+"))
            rejected++;
        else
            printf("# LinkName with 0x%02x was not rejected as expected: %s\n", (unsigned char)*f, err.message);
    }
    check(rejected == (int)strlen(forbidden), "LinkName: each of the %zu excluded characters fails", strlen(forbidden));
    expect_ok(a, CD_OP_TagResource, "{\"ResourceArn\": \"a\", \"Tags\": []}", "unconstrained strings are not matched");
    expect_ok(a, CD_OP_DeleteTypedLinkFacet, "{\"SchemaArn\": \"s\", \"Name\": \"\"}",
              "TypedLinkName has a pattern but no minimum: empty passes");
}

static void test_lengths(cd_arena *a)
{
    char json[512];
    char name[200];
    memset(name, 'a', 32);
    name[32] = '\0';
    snprintf(json, sizeof json, "{\"Name\": \"%s\"}", name);
    expect_ok(a, CD_OP_CreateSchema, json, "SchemaName of 32 characters passes");
    snprintf(json, sizeof json, "{\"Name\": \"%sa\"}", name);
    expect_error(a, CD_OP_CreateSchema, json,
                 "Value at 'Name' failed to satisfy constraint: Member must have length less than or equal to 32",
                 "SchemaName of 33 characters fails");
    expect_error(a, CD_OP_CreateSchema, "{\"Name\": \"\"}",
                 "Value at 'Name' failed to satisfy constraint: Member must have length greater than or equal to 1",
                 "empty SchemaName fails");

    /* LinkName 1..64 counted in code points: 64 x "é" (128 bytes) passes, 65 fails. */
    char link[300] = "";
    for (int i = 0; i < 64; i++)
        strcat(link, "\xc3\xa9");
    snprintf(json, sizeof json, "{" DIR ", \"ParentReference\": {}, \"ChildReference\": {}, \"LinkName\": \"%s\"}", link);
    expect_ok(a, CD_OP_AttachObject, json, "LinkName of 64 two-byte characters passes (code points, not bytes)");
    strcat(link, "\xc3\xa9");
    snprintf(json, sizeof json, "{" DIR ", \"ParentReference\": {}, \"ChildReference\": {}, \"LinkName\": \"%s\"}", link);
    expect_error(a, CD_OP_AttachObject, json, "Member must have length less than or equal to 64",
                 "LinkName of 65 two-byte characters fails");
    link[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(link, "\xf0\x9f\x98\x80");  /* U+1F600, four bytes */
    snprintf(json, sizeof json, "{" DIR ", \"ParentReference\": {}, \"ChildReference\": {}, \"LinkName\": \"%s\"}", link);
    expect_ok(a, CD_OP_AttachObject, json, "LinkName of 64 four-byte characters passes");

    static const struct { const char *bytes, *what; } bad[] = {
        {"\xff", "a 0xff byte"},
        {"ab\xc3", "a truncated sequence"},
        {"\xc3(", "a bad continuation byte"},
        {"\xc0\xaf", "an overlong encoding"},
        {"\xe0\x80\xaf", "an overlong three-byte encoding"},
        {"\xed\xa0\x80", "a surrogate"},
        {"\xf4\x90\x80\x80", "a code point above U+10FFFF"},
        {"\x80", "a lone continuation byte"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cd_value *req = cd_map(a);
        cd_map_set(a, req, "ResourceArn", cd_strz(a, "arn"));
        cd_value *keys = cd_list(a);
        cd_list_push(a, keys, cd_strz(a, "ok"));
        cd_list_push(a, keys, cd_strz(a, bad[i].bytes));
        cd_map_set(a, req, "TagKeys", keys);
        char desc[96];
        snprintf(desc, sizeof desc, "invalid UTF-8 (%s) fails even in an unconstrained string", bad[i].what);
        expect_error_in(a, CD_OP_UntagResource, req,
                        "Value at 'TagKeys[1]' failed to satisfy constraint: Member must be valid UTF-8", desc);
    }
    cd_value *req = cd_map(a);
    cd_map_set(a, req, "Name", cd_str(a, "a\0b", 3));
    expect_error_in(a, CD_OP_CreateSchema, req, "NUL", "an embedded NUL in a name is refused");
    req = cd_map(a);
    static const char nul_arn[] = "arn:aws:clouddirectory:us-east-1:123456789012:directory/x\0y";
    cd_map_set(a, req, "DirectoryArn", cd_str(a, nul_arn, sizeof nul_arn - 1));
    expect_error_in(a, CD_OP_GetDirectory, req, "NUL", "an embedded NUL in an ARN is refused");
    req = cd_map(a);
    {
        cd_value *v = cd_map(a);
        cd_map_set(a, v, "StringValue", cd_str(a, "a\0b", 3));
        cd_value *ref = cd_map(a);
        cd_map_set(a, ref, "Selector", cd_strz(a, "/"));
        cd_value *key = cd_map(a);
        cd_map_set(a, key, "SchemaArn", cd_strz(a, "arn:x"));
        cd_map_set(a, key, "FacetName", cd_strz(a, "f"));
        cd_map_set(a, key, "Name", cd_strz(a, "n"));
        cd_value *kv = cd_map(a);
        cd_map_set(a, kv, "Key", key);
        cd_map_set(a, kv, "Value", v);
        cd_value *list = cd_list(a);
        cd_list_push(a, list, kv);
        cd_value *facets = cd_list(a);
        cd_value *sf = cd_map(a);
        cd_map_set(a, sf, "SchemaArn", cd_strz(a, "arn:x"));
        cd_map_set(a, sf, "FacetName", cd_strz(a, "f"));
        cd_list_push(a, facets, sf);
        cd_map_set(a, req, "DirectoryArn", cd_strz(a, "arn:x"));
        cd_map_set(a, req, "SchemaFacets", facets);
        cd_map_set(a, req, "ObjectAttributeList", list);
        cd_error err;
        check(cd_shape_check(CD_OP_CreateObject, req, a, &err) == 0,
              "a StringValue may hold NUL bytes");
    }
}

static void test_integer_min(cd_arena *a)
{
    expect_error(a, CD_OP_ListObjectChildren, "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": 0}",
                 "Value at 'MaxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
                 "NumberResults below 1 fails");
    expect_ok(a, CD_OP_ListObjectChildren, "{" DIR ", \"ObjectReference\": {}, \"MaxResults\": 1}", "NumberResults of 1 passes");
    expect_error(a, CD_OP_ListTagsForResource, "{\"ResourceArn\": \"a\", \"MaxResults\": 49}",
                 "Member must have value greater than or equal to 50", "TagsNumberResults below 50 fails");
    expect_ok(a, CD_OP_ListTagsForResource, "{\"ResourceArn\": \"a\", \"MaxResults\": 50}", "TagsNumberResults of 50 passes");
}

static void test_unions(cd_arena *a)
{
    expect_error(a, CD_OP_BatchWrite, "{" DIR ", \"Operations\": [{}]}",
                 "Value at 'Operations[0]' failed to satisfy constraint: Exactly one member must be set (got none; one of: ",
                 "BatchWrite item with no member fails");
    expect_error(a, CD_OP_BatchWrite,
                 "{" DIR ", \"Operations\": [{\"DeleteObject\": {\"ObjectReference\": {\"Selector\": \"/a\"}},"
                 " \"DetachPolicy\": {\"PolicyReference\": {}, \"ObjectReference\": {}}}]}",
                 "Value at 'Operations[0]' failed to satisfy constraint: Exactly one member must be set (got DeleteObject and DetachPolicy)",
                 "BatchWrite item with two members fails and names both");
    expect_error(a, CD_OP_BatchRead, "{" DIR ", \"Operations\": [{\"GetObjectInformation\": {\"ObjectReference\": {}}}, {}]}",
                 "Value at 'Operations[1]' failed to satisfy constraint: Exactly one member must be set",
                 "BatchRead item with no member fails");
    expect_error(a, CD_OP_UpdateObjectAttributes,
                 "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
                 " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": {}}}]}",
                 "Value at 'AttributeUpdates[0].ObjectAttributeAction.ObjectAttributeUpdateValue' failed to satisfy constraint: Exactly one member must be set (got none",
                 "TypedAttributeValue with no member fails");
    expect_error(a, CD_OP_UpdateObjectAttributes,
                 "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
                 " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": {\"StringValue\": \"x\", \"NumberValue\": \"1\"}}}]}",
                 "Exactly one member must be set (got NumberValue and StringValue)",
                 "TypedAttributeValue with two members fails");
    expect_ok(a, CD_OP_UpdateObjectAttributes,
              "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
              " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": {\"StringValue\": \"x\", \"NumberValue\": null}}}]}",
              "TypedAttributeValue with one member and a null passes");
}

/* An UpdateObjectAttributes request setting one value, to look at its normalisation. */
static cd_value *value_request(cd_arena *a, const char *value_json, const char *desc)
{
    char json[600];
    snprintf(json, sizeof json,
             "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
             " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": %s}}]}",
             value_json);
    return expect_ok(a, CD_OP_UpdateObjectAttributes, json, desc);
}

static const cd_value *the_value(const cd_value *req, const char *member)
{
    char path[128];
    snprintf(path, sizeof path, "AttributeUpdates.0.ObjectAttributeAction.ObjectAttributeUpdateValue.%s", member);
    return at(req, path);
}

static void expect_value_error(cd_arena *a, const char *value_json, const char *want, const char *desc)
{
    char json[600];
    snprintf(json, sizeof json,
             "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
             " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": %s}}]}",
             value_json);
    expect_error(a, CD_OP_UpdateObjectAttributes, json, want, desc);
}

static void test_normalisation(cd_arena *a)
{
    const cd_value *v;
    cd_value *req;

    req = value_request(a, "{\"BinaryValue\": \"a\\u0000b\"}", "a string for a blob passes");
    v = the_value(req, "BinaryValue");
    check(v && v->type == CDV_BYTES && v->u.s.len == 3 && memcmp(v->u.s.p, "a\0b", 3) == 0,
          "... and becomes CDV_BYTES with the same bytes");
    expect_value_error(a, "{\"BinaryValue\": 5}",
                       "ObjectAttributeUpdateValue.BinaryValue' failed to satisfy constraint: Member must be a blob (string of bytes) (got integer)",
                       "a number for a blob fails");

    req = value_request(a, "{\"DatetimeValue\": 1514764800}", "integer seconds for a timestamp pass");
    v = the_value(req, "DatetimeValue");
    check(v && v->type == CDV_TIME && v->u.i == INT64_C(1514764800000), "... and become CDV_TIME in milliseconds");
    req = value_request(a, "{\"DatetimeValue\": 1.5}", "float seconds for a timestamp pass");
    v = the_value(req, "DatetimeValue");
    check(v && v->type == CDV_TIME && v->u.i == 1500, "... keeping the fraction (1.5 s -> 1500 ms)");
    req = value_request(a, "{\"DatetimeValue\": 0.0015}", "a sub-millisecond timestamp passes");
    v = the_value(req, "DatetimeValue");
    check(v && v->type == CDV_TIME && v->u.i == 2, "... rounded to the nearest millisecond (1.5 ms -> 2)");
    req = value_request(a, "{\"DatetimeValue\": -1.25}", "a negative timestamp passes");
    v = the_value(req, "DatetimeValue");
    check(v && v->type == CDV_TIME && v->u.i == -1250, "... (-1.25 s -> -1250 ms)");
    {
        cd_value *r = parse(a, "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
                               " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": {}}}]}");
        cd_value *tv = (cd_value *)at(r, "AttributeUpdates.0.ObjectAttributeAction.ObjectAttributeUpdateValue");
        cd_map_set(a, tv, "DatetimeValue", cd_time_ms(a, 1234));
        cd_error err;
        cd_error_clear(&err);
        int rc = cd_shape_check(CD_OP_UpdateObjectAttributes, r, a, &err);
        v = at(tv, "DatetimeValue");
        check(rc == 0 && v->type == CDV_TIME && v->u.i == 1234, "an existing CDV_TIME is kept as is");
    }
    expect_value_error(a, "{\"DatetimeValue\": \"2018-01-01\"}", "Member must be a timestamp (number of seconds since the epoch) (got string)",
                       "a string for a timestamp fails");
    expect_value_error(a, "{\"DatetimeValue\": 1e300}", "Member must be a timestamp in range", "an out-of-range timestamp fails");
    expect_value_error(a, "{\"DatetimeValue\": 9300000000000000}", "Member must be a timestamp in range",
                       "integer seconds that overflow milliseconds fail");

    req = value_request(a, "{\"NumberValue\": 42}", "an integer for NumberValue passes");
    check(is_string(the_value(req, "NumberValue"), "42"), "... and becomes \"42\"");
    req = value_request(a, "{\"NumberValue\": -9223372036854775807}", "a large integer for NumberValue passes");
    check(is_string(the_value(req, "NumberValue"), "-9223372036854775807"), "... exactly");
    req = value_request(a, "{\"NumberValue\": 0.1}", "a float for NumberValue passes");
    check(is_string(the_value(req, "NumberValue"), "0.1"), "... and becomes the shortest text \"0.1\"");
    req = value_request(a, "{\"NumberValue\": 0.30000000000000004}", "0.1+0.2 for NumberValue passes");
    check(is_string(the_value(req, "NumberValue"), "0.30000000000000004"), "... with the 17 digits it needs");
    req = value_request(a, "{\"NumberValue\": 10.0}", "an integral float for NumberValue passes");
    check(is_string(the_value(req, "NumberValue"), "10"), "... and becomes \"10\"");
    req = value_request(a, "{\"NumberValue\": \"12.50\"}", "a string for NumberValue passes");
    check(is_string(the_value(req, "NumberValue"), "12.50"), "... unchanged");
    {
        cd_value *r = parse(a, "{" DIR ", \"ObjectReference\": {}, \"AttributeUpdates\": [{\"ObjectAttributeKey\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"n\"},"
                               " \"ObjectAttributeAction\": {\"ObjectAttributeActionType\": \"CREATE_OR_UPDATE\", \"ObjectAttributeUpdateValue\": {}}}]}");
        cd_value *tv = (cd_value *)at(r, "AttributeUpdates.0.ObjectAttributeAction.ObjectAttributeUpdateValue");
        cd_map_set(a, tv, "NumberValue", cd_float(a, NAN));
        expect_error_in(a, CD_OP_UpdateObjectAttributes, r, "NumberValue' failed to satisfy constraint: Member must be a finite number",
                        "NaN for NumberValue fails");
        tv->u.map.ents[0].val = cd_float(a, INFINITY);
        expect_error_in(a, CD_OP_UpdateObjectAttributes, r, "Member must be a finite number", "infinity for NumberValue fails");
    }
    expect_value_error(a, "{\"StringValue\": 42}", "StringValue' failed to satisfy constraint: Member must be a string (got integer)",
                       "only NumberValue converts numbers: StringValue does not");
    expect_value_error(a, "{\"BooleanValue\": \"true\"}", "Member must be a boolean (got string)", "a string for BooleanValue fails");
}

static void test_nested_paths(cd_arena *a)
{
    expect_error(a, CD_OP_BatchWrite,
                 "{" DIR ", \"Operations\": ["
                 " {\"CreateObject\": {\"SchemaFacet\": [{\"SchemaArn\": \"s\", \"FacetName\": \"F\"}], \"ObjectAttributeList\": {}}},"
                 " {\"CreateObject\": {\"SchemaFacet\": [{\"SchemaArn\": \"s\", \"FacetName\": \"F\"}, {\"SchemaArn\": \"s\", \"FacetName\": \"bad name\"}],"
                 "   \"ObjectAttributeList\": []}}]}",
                 "Value at 'Operations[1].CreateObject.SchemaFacet[1].FacetName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9._-]*$",
                 "a pattern error deep in a BatchWrite names the full path");
    expect_error(a, CD_OP_BatchWrite,
                 "{" DIR ", \"Operations\": [{\"AttachObject\": {\"ParentReference\": {}, \"ChildReference\": {}}}]}",
                 "Value null at 'Operations[0].AttachObject.LinkName' failed to satisfy constraint: Member must not be null",
                 "a missing member inside a BatchWrite item names the full path");
    expect_error(a, CD_OP_BatchWrite,
                 "{" DIR ", \"Operations\": [{\"DeleteObject\": {\"ObjectReference\": {}, \"Force\": true}}]}",
                 "Unknown member 'Force' in 'Operations[0].DeleteObject'",
                 "an unknown member inside a BatchWrite item names where it is");
    expect_error(a, CD_OP_BatchRead,
                 "{" DIR ", \"Operations\": [{\"ListObjectChildren\": {\"ObjectReference\": {}, \"MaxResults\": 0}}]}",
                 "Value at 'Operations[0].ListObjectChildren.MaxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
                 "an integer error inside a BatchRead item names the full path");
    expect_error(a, CD_OP_CreateFacet,
                 "{\"SchemaArn\": \"s\", \"Name\": \"F\", \"Attributes\": [{\"Name\": \"a\", \"AttributeDefinition\": {\"Type\": \"STRING\","
                 " \"Rules\": {\"ok\": {\"Type\": \"STRING_LENGTH\", \"Parameters\": {\"min\": \"1\"}}, \"bad/rule\": {}}}}]}",
                 "Value at 'Attributes[0].AttributeDefinition.Rules[\"bad/rule\"]' failed to satisfy constraint: Map key must satisfy regular expression pattern",
                 "a bad map key is named with its path");
    expect_error(a, CD_OP_CreateFacet,
                 "{\"SchemaArn\": \"s\", \"Name\": \"F\", \"Attributes\": [{\"Name\": \"a\", \"AttributeDefinition\": {\"Type\": \"STRING\","
                 " \"Rules\": {\"r\": {\"Type\": \"LENGTH\"}}}}]}",
                 "Value at 'Attributes[0].AttributeDefinition.Rules[\"r\"].Type' failed to satisfy constraint: Member must satisfy enum value set: [BINARY_LENGTH, NUMBER_COMPARISON, STRING_FROM_SET, STRING_LENGTH]",
                 "an error inside a map value is named with its path");
    expect_error(a, CD_OP_CreateFacet,
                 "{\"SchemaArn\": \"s\", \"Name\": \"F\", \"Attributes\": [{\"Name\": \"a\", \"AttributeDefinition\": {\"Type\": \"STRING\","
                 " \"Rules\": {\"r\": {\"Type\": \"STRING_LENGTH\", \"Parameters\": {\"max\": 10}}}}}]}",
                 "Value at 'Attributes[0].AttributeDefinition.Rules[\"r\"].Parameters[\"max\"]' failed to satisfy constraint: Member must be a string (got integer)",
                 "a number for a rule parameter (a string) fails with its path");
}

/* Whether any value under v still carries a mark of the checker. */
static bool any_marked(const cd_value *v)
{
    if (!v)
        return false;
    if (v->checked_shape)
        return true;
    if (v->type == CDV_MAP)
        for (size_t i = 0; i < v->u.map.n; i++)
            if (any_marked(v->u.map.ents[i].val))
                return true;
    if (v->type == CDV_LIST)
        for (size_t i = 0; i < v->u.list.n; i++)
            if (any_marked(v->u.list.items[i]))
                return true;
    return false;
}

/* During one check the checker marks each value with the shape it is checked as, so a value
 * shared by several operations (the bulk loader shares its facet and attribute keys) is
 * checked once; the marks are cleared when the check ends.  Sharing must not change what
 * passes or what error is reported. */
static void test_shared_values(cd_arena *a)
{
    const char *json =
        "{" DIR ", \"Operations\": ["
        " {\"CreateObject\": {\"SchemaFacet\": [{\"SchemaArn\": \"s\", \"FacetName\": \"F\"}],"
        "   \"ObjectAttributeList\": [{\"Key\": {\"SchemaArn\": \"s\", \"FacetName\": \"F\", \"Name\": \"a\"},"
        "     \"Value\": {\"StringValue\": \"x\"}}]}},"
        " {\"CreateObject\": {\"SchemaFacet\": [], \"ObjectAttributeList\": [{\"Value\": {\"StringValue\": \"y\"}}]}},"
        " {\"CreateObject\": {\"SchemaFacet\": [], \"ObjectAttributeList\": [{\"Value\": {\"StringValue\": \"z\"}}]}}]}";
    cd_value *req = parse(a, json);
    /* Operations 1 and 2 take operation 0's SchemaFacet list and attribute Key nodes. */
    cd_value *sf = (cd_value *)at(req, "Operations.0.CreateObject.SchemaFacet");
    cd_value *key = (cd_value *)at(req, "Operations.0.CreateObject.ObjectAttributeList.0.Key");
    for (int i = 1; i <= 2; i++) {
        char path[96];
        snprintf(path, sizeof path, "Operations.%d.CreateObject", i);
        cd_value *op = (cd_value *)at(req, path);
        op->u.map.ents[0].val = sf;
        snprintf(path, sizeof path, "Operations.%d.CreateObject.ObjectAttributeList.0", i);
        cd_map_set(a, (cd_value *)at(req, path), "Key", key);
    }
    cd_error err;
    cd_error_clear(&err);
    check(cd_shape_check(CD_OP_BatchWrite, req, a, &err) == 0,
          "a request whose operations share facet and key nodes passes (%s)", err.message);
    check(cd_shape_check(CD_OP_BatchWrite, req, a, &err) == 0, "... and passes when checked again");
    check(!any_marked(req), "... and no value keeps a mark after the check");

    /* A member added to the shared key after it passed is still checked. */
    cd_map_set(a, key, "Stray", cd_strz(a, "x"));
    expect_error_in(a, CD_OP_BatchWrite, req,
                    "Unknown member 'Stray' in 'Operations[0].CreateObject.ObjectAttributeList[0].Key'",
                    "a shared node changed after it passed is checked again, at its first place");

    /* A shared node that is bad is reported where it first appears. */
    req = parse(a, json);
    sf = (cd_value *)at(req, "Operations.0.CreateObject.SchemaFacet");
    cd_value *facet = (cd_value *)at(req, "Operations.0.CreateObject.SchemaFacet.0");
    cd_map_set(a, facet, "FacetName", cd_strz(a, "bad name"));
    facet->u.map.ents[1] = facet->u.map.ents[2];   /* the new FacetName replaces the old */
    facet->u.map.n = 2;
    for (int i = 1; i <= 2; i++) {
        char path[96];
        snprintf(path, sizeof path, "Operations.%d.CreateObject", i);
        ((cd_value *)at(req, path))->u.map.ents[0].val = sf;
    }
    expect_error_in(a, CD_OP_BatchWrite, req,
                    "'Operations[0].CreateObject.SchemaFacet[0].FacetName' failed to satisfy constraint",
                    "a bad shared node is reported at its first place");
    check(!any_marked(req), "... and no value keeps a mark after a failed check");

    /* One string node in two places of different shapes: passing as one is not passing as
     * the other ("/a" is a fine selector and a bad link name). */
    req = parse(a, "{" DIR ", \"ParentReference\": {\"Selector\": \"/a\"},"
                   " \"ChildReference\": {\"Selector\": \"/b\"}, \"LinkName\": \"c\"}");
    cd_value *parent = (cd_value *)at(req, "ParentReference");
    cd_value *text = parent->u.map.ents[0].val;
    for (size_t i = 0; i < req->u.map.n; i++)
        if (strcmp(req->u.map.ents[i].key, "LinkName") == 0)
            req->u.map.ents[i].val = text;
    expect_error_in(a, CD_OP_AttachObject, req,
                    "'LinkName' failed to satisfy constraint: Member must satisfy regular expression pattern",
                    "a node that passed as a selector is still checked as a link name");
}

static void test_empty_containers(cd_arena *a)
{
    cd_value *req = expect_ok(a, CD_OP_BatchWrite, "{" DIR ", \"Operations\": {}}", "an empty map for a list passes");
    const cd_value *ops = at(req, "Operations");
    check(ops && ops->type == CDV_LIST && ops->u.list.n == 0, "... and becomes an empty list");
    req = expect_ok(a, CD_OP_BatchWrite,
                    "{" DIR ", \"Operations\": [{\"CreateObject\": {\"SchemaFacet\": [{\"SchemaArn\": \"s\", \"FacetName\": \"F\"}], \"ObjectAttributeList\": {}}}]}",
                    "an empty map for a nested list passes");
    const cd_value *attrs = at(req, "Operations.0.CreateObject.ObjectAttributeList");
    check(attrs && attrs->type == CDV_LIST && attrs->u.list.n == 0, "... and becomes an empty list too");
    req = expect_ok(a, CD_OP_CreateFacet,
                    "{\"SchemaArn\": \"s\", \"Name\": \"F\", \"Attributes\": [{\"Name\": \"a\", \"AttributeDefinition\": {\"Type\": \"STRING\", \"Rules\": []}}]}",
                    "an empty list for a map passes");
    const cd_value *rules = at(req, "Attributes.0.AttributeDefinition.Rules");
    check(rules && rules->type == CDV_MAP && rules->u.map.n == 0, "... and becomes an empty map");
    req = expect_ok(a, CD_OP_GetObjectInformation, "{" DIR ", \"ObjectReference\": []}", "an empty list for a structure passes");
    const cd_value *ref = at(req, "ObjectReference");
    check(ref && ref->type == CDV_MAP, "... and becomes an empty map");
    expect_error(a, CD_OP_BatchWrite, "{" DIR "}", "Value null at 'Operations'",
                 "an absent list is still missing when required");
}

static void test_speed(cd_arena *a)
{
    cd_value *req = parse(a, "{" DIR ", \"ObjectReference\": {\"Selector\": \"/org/people/alice\"}, \"ConsistencyLevel\": \"SERIALIZABLE\"}");
    cd_error err;
    cd_error_clear(&err);
    enum { N = 200000 };
    struct timespec t0, t1;
    int rc = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++)
        rc |= cd_shape_check(CD_OP_GetObjectInformation, req, a, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N;
    printf("# GetObjectInformation check: %.0f ns\n", ns);
    /* Generous bound: the sanitizer build runs this too. */
    check(rc == 0 && ns < 20000, "checking a GetObjectInformation request is fast (%.0f ns)", ns);
}

int main(void)
{
    cd_arena *a = cd_arena_new();
    if (!a) {
        printf("not ok 1 - cannot make an arena\n");
        return 1;
    }
    test_valid_requests(a);
    test_request_itself(a);
    test_required(a);
    test_unknown(a);
    test_types(a);
    test_enum(a);
    test_patterns(a);
    test_lengths(a);
    test_integer_min(a);
    test_unions(a);
    test_normalisation(a);
    test_nested_paths(a);
    test_empty_containers(a);
    test_shared_values(a);
    test_speed(a);
    cd_arena_free(a);
    return tap_done();
}
