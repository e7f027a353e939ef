/* catalog_test.c — what the data plane reads from the control plane (csrc/catalog.h):
 * directories by ARN, facets by SchemaFacet and by schema number, attribute references
 * resolved to their definitions, and the base POLICY attributes every POLICY facet reaches.
 * The schema is built through cd_call; the lookups then run in a read transaction.
 * Output is TAP. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "store.h"

#include "tap.h"

/* ---------------------------------------------------------------- building requests */

static cd_arena *A;

static cd_value *S(const char *s) { return cd_strz(A, s); }

/* M("k1", v1, "k2", v2, ..., NULL): a map; NULL values are left out. */
static cd_value *M(const char *key, ...)
{
    cd_value *m = cd_map(A);
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *)) {
        cd_value *v = va_arg(ap, cd_value *);
        if (v)
            cd_map_set(A, m, k, v);
    }
    va_end(ap);
    return m;
}

/* L(v1, v2, ..., NULL): a list. */
static cd_value *L(cd_value *first, ...)
{
    cd_value *l = cd_list(A);
    va_list ap;
    va_start(ap, first);
    for (cd_value *v = first; v; v = va_arg(ap, cd_value *))
        cd_list_push(A, l, v);
    va_end(ap);
    return l;
}

static cd_value *def(const char *name, const char *type, bool required)
{
    return M("Name", S(name), "AttributeDefinition", M("Type", S(type), NULL),
             "RequiredBehavior", S(required ? "REQUIRED_ALWAYS" : "NOT_REQUIRED"), NULL);
}

static cd_value *ref(const char *name, const char *facet, const char *attr, bool required)
{
    return M("Name", S(name),
             "AttributeReference",
             M("TargetFacetName", S(facet), "TargetAttributeName", S(attr), NULL),
             "RequiredBehavior", S(required ? "REQUIRED_ALWAYS" : "NOT_REQUIRED"), NULL);
}

static cd_store *store;

static cd_value *call(const char *op, cd_value *req)
{
    cd_error err;
    cd_value *resp;
    if (cd_call_named(store, op, req, A, &resp, &err)) {
        printf("# %s failed: %s: %s\n", op, cd_code_name(err.code), err.message);
        check(false, "%s", op);
        return NULL;
    }
    return resp;
}

/* ---------------------------------------------------------------- a read context */

typedef struct reader {
    cd_ctx c;
    cd_error err;
} reader;

static void begin(reader *r)
{
    memset(r, 0, sizeof *r);
    r->c.store = store;
    r->c.opt = cd_store_options(store);
    r->c.a = A;
    r->c.err = &r->err;
    r->c.op = CD_OP_GetObjectInformation;
    if (cd_kv_begin(cd_store_kv(store), false, &r->c.txn, &r->err))
        printf("# cannot begin: %s\n", r->err.message);
}

static void end(reader *r) { cd_kv_abort(r->c.txn); }

static bool fails_with(reader *r, int rc, int code, const char *what)
{
    bool ok = rc == code && r->err.code == code;
    if (!ok)
        printf("# got %s: %s\n", cd_code_name(rc), r->err.message);
    return check(ok, "%s -> %s", what, cd_code_name(code));
}

static cd_value *schema_facet(const char *arn, const char *name)
{
    return M("SchemaArn", S(arn), "FacetName", S(name), NULL);
}

/* ---------------------------------------------------------------- tests */

static void test_catalog(const char *dir_arn, const char *applied, const char *other_applied)
{
    reader r;
    begin(&r);
    cd_ctx *c = &r.c;

    cd_directory *d = NULL;
    int rc = cd_directory_find(c, dir_arn, &d);
    check(rc == 0 && d, "cd_directory_find finds the directory");
    if (!d)
        return;
    check(strcmp(d->arn, dir_arn) == 0, "directory ARN round-trips");
    check(strlen(d->id) == 23, "DirectoryId has 23 characters");
    check(strcmp(d->name, "people") == 0, "directory name");
    check(d->state == CD_DIR_ENABLED, "a new directory is ENABLED");
    check(d->root != 0, "the root object number is recorded");
    const char *root_id = NULL;
    check(cd_object_identifier(c, d, d->root, &root_id) == 0 && root_id && strlen(root_id) == 46,
          "the root has an ObjectIdentifier");
    cd_directory *e = NULL;
    check(cd_directory_enabled(c, dir_arn, &e) == 0 && e && e->num == d->num,
          "cd_directory_enabled accepts an enabled directory");

    rc = cd_directory_find(c, "arn:aws:clouddirectory:us-east-1:123456789012:directory/"
                              "AQAAAAAAAAAAAAAAAAAAAAA", &e);
    fails_with(&r, rc, CD_E_ResourceNotFoundException, "unknown directory");
    rc = cd_directory_find(c, applied, &e);
    fails_with(&r, rc, CD_E_InvalidArnException, "a schema ARN as directory");
    rc = cd_directory_find(c, "arn:aws:clouddirectory:eu-west-1:123456789012:directory/AQAA", &e);
    fails_with(&r, rc, CD_E_ResourceNotFoundException, "another region's directory");

    /* Person: alias -> Person.email, given -> User.first (NUMBER) */
    cd_facet *f = NULL;
    rc = cd_facet_find(c, d, schema_facet(applied, "Person"), &f);
    check(rc == 0 && f, "cd_facet_find finds an applied facet");
    if (!f)
        return;
    check(strcmp(f->schema_arn, applied) == 0, "facet schema_arn is the applied ARN");
    check(strcmp(f->name, "Person") == 0 && f->object_type == CD_OT_LEAF_NODE && !f->dynamic,
          "facet name, object type and style");
    check(f->sid != CD_BASE_SCHEMA_SID, "an applied facet has its own schema number");
    check(f->nattrs == 3 && strcmp(f->attrs[0].name, "alias") == 0 &&
              strcmp(f->attrs[1].name, "email") == 0 && strcmp(f->attrs[2].name, "given") == 0,
          "attributes sorted by name");
    const cd_attrdef *email = cd_facet_attr(f, "email");
    check(email && !email->is_reference && email->type == CD_ATTR_STRING && email->required &&
              strcmp(email->target_facet, "Person") == 0 &&
              strcmp(email->target_attr, "email") == 0 && email->target_sid == f->sid,
          "a definition's slot is itself");
    check(email && email->rules && cd_len(email->rules) == 1, "definition keeps its rules");
    const cd_attrdef *alias = cd_facet_attr(f, "alias");
    check(alias && alias->is_reference && alias->type == CD_ATTR_STRING && !alias->required &&
              strcmp(alias->target_facet, "Person") == 0 &&
              strcmp(alias->target_attr, "email") == 0 && alias->target_sid == f->sid &&
              alias->rules && cd_len(alias->rules) == 1,
          "a same-facet reference takes its target's type and rules, keeps its required");
    const cd_attrdef *given = cd_facet_attr(f, "given");
    check(given && given->is_reference && given->type == CD_ATTR_NUMBER && given->immutable &&
              given->required && given->default_value &&
              strcmp(given->target_facet, "User") == 0 &&
              strcmp(given->target_attr, "first") == 0,
          "a cross-facet reference takes type, immutability and default from its target");
    check(cd_facet_attr(f, "nope") == NULL, "cd_facet_attr: unknown name -> NULL");

    cd_facet *g = NULL;
    rc = cd_facet_by_sid(c, d, f->sid, "Person", &g);
    check(rc == 0 && g && strcmp(g->schema_arn, applied) == 0 && g->nattrs == 3 &&
              cd_facet_attr(g, "given") && cd_facet_attr(g, "given")->type == CD_ATTR_NUMBER,
          "cd_facet_by_sid loads the same facet, resolved");
    rc = cd_facet_by_sid(c, d, f->sid, "Nope", &g);
    fails_with(&r, rc, CD_E_FacetNotFoundException, "cd_facet_by_sid of an unknown facet");

    /* POLICY facets reach the base POLICY attributes. */
    rc = cd_facet_find(c, d, schema_facet(applied, "Rule"), &f);
    check(rc == 0 && f && f->object_type == CD_OT_POLICY, "a POLICY facet");
    if (rc == 0) {
        const cd_attrdef *pt = cd_facet_attr(f, "policy_type");
        const cd_attrdef *pd = cd_facet_attr(f, "policy_document");
        check(f->nattrs == 3, "POLICY facet: its own attribute plus the two base ones");
        check(pt && pt->is_reference && pt->type == CD_ATTR_STRING && pt->required &&
                  pt->target_sid == CD_BASE_SCHEMA_SID &&
                  strcmp(pt->target_facet, "POLICY") == 0 &&
                  strcmp(pt->target_attr, "policy_type") == 0,
              "policy_type: a reference to the base POLICY facet");
        check(pd && pd->is_reference && pd->type == CD_ATTR_BINARY &&
                  pd->target_sid == CD_BASE_SCHEMA_SID,
              "policy_document: a reference to the base POLICY facet");
        check(f->nattrs == 3 && strcmp(f->attrs[0].name, "level") == 0 &&
                  strcmp(f->attrs[1].name, "policy_document") == 0 &&
                  strcmp(f->attrs[2].name, "policy_type") == 0,
              "POLICY facet attributes stay sorted");
    }
    rc = cd_facet_find(c, d, schema_facet(applied, "OwnPolicy"), &f);
    if (check(rc == 0 && f, "a POLICY facet declaring policy_type itself")) {
        const cd_attrdef *pt = cd_facet_attr(f, "policy_type");
        check(f->nattrs == 2 && pt && !pt->is_reference && pt->target_sid == f->sid,
              "a declared policy_type is kept; only policy_document is added");
    }
    rc = cd_facet_find(c, d, schema_facet(applied, "Person"), &f);
    check(rc == 0 && f && f->nattrs == 3, "non-POLICY facets get no policy attributes");

    /* The base schema. */
    char base[512];
    snprintf(base, sizeof base, "%s/schema/CloudDirectory/1.0", dir_arn);
    rc = cd_facet_find(c, d, schema_facet(base, "POLICY"), &f);
    check(rc == 0 && f && f->sid == CD_BASE_SCHEMA_SID && strcmp(f->schema_arn, base) == 0 &&
              f->nattrs == 2 && !f->attrs[0].is_reference &&
              strcmp(f->attrs[0].name, "policy_document") == 0 &&
              f->attrs[0].type == CD_ATTR_BINARY && f->attrs[1].type == CD_ATTR_STRING,
          "base POLICY facet: policy_document BINARY, policy_type STRING");
    rc = cd_facet_find(c, d, schema_facet(base, "INDEX"), &f);
    check(rc == 0 && f->object_type == CD_OT_INDEX && cd_facet_attr(f, "index_is_unique") &&
              cd_facet_attr(f, "index_is_unique")->type == CD_ATTR_BOOLEAN &&
              cd_facet_attr(f, "ordered_indexed_attributes"),
          "base INDEX facet");
    rc = cd_facet_find(c, d, schema_facet(base, "NODE"), &f);
    check(rc == 0 && f->object_type == CD_OT_NODE && f->nattrs == 0, "base NODE facet");
    rc = cd_facet_by_sid(c, d, CD_BASE_SCHEMA_SID, "LEAF_NODE", &f);
    check(rc == 0 && f->object_type == CD_OT_LEAF_NODE && strcmp(f->schema_arn, base) == 0,
          "cd_facet_by_sid of the base schema");
    rc = cd_facet_find(c, d, schema_facet(base, "GROUP"), &f);
    fails_with(&r, rc, CD_E_FacetValidationException, "base schema: unknown facet");

    /* Errors. */
    rc = cd_facet_find(c, d, schema_facet(applied, "Nope"), &f);
    fails_with(&r, rc, CD_E_FacetValidationException, "unknown facet");
    rc = cd_facet_find(c, d, schema_facet(other_applied, "Person"), &f);
    fails_with(&r, rc, CD_E_FacetValidationException, "a schema of another directory");
    snprintf(base, sizeof base, "%s/schema/hr/1", dir_arn);
    rc = cd_facet_find(c, d, schema_facet(base, "Person"), &f);
    fails_with(&r, rc, CD_E_ResourceNotFoundException, "a schema not applied here");
    rc = cd_facet_find(c, d,
                       schema_facet("arn:aws:clouddirectory:us-east-1:123456789012:schema/"
                                    "published/org/1", "Person"), &f);
    fails_with(&r, rc, CD_E_InvalidArnException, "a published schema ARN");
    /* Data-plane requests name the applied schema without a minor version (§1.1). */
    snprintf(base, sizeof base, "%s/0", applied);
    rc = cd_facet_find(c, d, schema_facet(base, "Person"), &f);
    fails_with(&r, rc, CD_E_InvalidArnException, "an applied schema ARN with a minor version");
    snprintf(base, sizeof base, "%s/schema/CloudDirectory/1.0/0", dir_arn);
    rc = cd_facet_find(c, d, schema_facet(base, "NODE"), &f);
    fails_with(&r, rc, CD_E_InvalidArnException, "the base schema ARN with a minor version");
    rc = cd_facet_find(c, d, schema_facet("org", "Person"), &f);
    fails_with(&r, rc, CD_E_InvalidArnException, "not an ARN");
    rc = cd_facet_find(c, d, M("SchemaArn", S(applied), NULL), &f);
    fails_with(&r, rc, CD_E_ValidationException, "SchemaFacet without FacetName");
    end(&r);

    /* Disabled and deleted directories are not enabled. */
    call("DisableDirectory", M("DirectoryArn", S(dir_arn), NULL));
    begin(&r);
    rc = cd_directory_enabled(&r.c, dir_arn, &e);
    fails_with(&r, rc, CD_E_DirectoryNotEnabledException, "a DISABLED directory");
    end(&r);
    call("DeleteDirectory", M("DirectoryArn", S(dir_arn), NULL));
    begin(&r);
    rc = cd_directory_enabled(&r.c, dir_arn, &e);
    fails_with(&r, rc, CD_E_DirectoryNotEnabledException, "a DELETED directory");
    rc = cd_directory_find(&r.c, dir_arn, &e);
    check(rc == 0 && e->state == CD_DIR_DELETED, "cd_directory_find still finds a DELETED one");
    end(&r);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    char dir[] = "/tmp/catalog_test.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    A = cd_arena_new();
    cd_options o;
    cd_options_default(&o);
    o.sync = false;
    cd_error err;
    if (cd_open(dir, &o, &store, &err)) {
        printf("not ok 1 - open: %s\n", err.message);
        return 1;
    }

    const char *schema = cd_get_str(call("CreateSchema", M("Name", S("org"), NULL)), "SchemaArn",
                                    NULL);
    cd_value *rules = M("len", M("Type", S("STRING_LENGTH"),
                                 "Parameters", M("max", S("64"), NULL), NULL), NULL);
    cd_value *email = def("email", "STRING", true);
    cd_map_set(A, cd_get(email, "AttributeDefinition"), "Rules", rules);
    cd_value *first = def("first", "NUMBER", false);
    cd_map_set(A, cd_get(first, "AttributeDefinition"), "IsImmutable", cd_bool(A, true));
    cd_map_set(A, cd_get(first, "AttributeDefinition"), "DefaultValue",
               M("NumberValue", S("1"), NULL));
    call("CreateFacet", M("SchemaArn", S(schema), "Name", S("User"), "ObjectType", S("NODE"),
                          "Attributes", L(first, NULL), NULL));
    call("CreateFacet", M("SchemaArn", S(schema), "Name", S("Person"),
                          "ObjectType", S("LEAF_NODE"),
                          "Attributes", L(email, ref("alias", "Person", "email", false),
                                          ref("given", "User", "first", true), NULL), NULL));
    call("CreateFacet", M("SchemaArn", S(schema), "Name", S("Rule"), "ObjectType", S("POLICY"),
                          "Attributes", L(def("level", "NUMBER", false), NULL), NULL));
    call("CreateFacet", M("SchemaArn", S(schema), "Name", S("OwnPolicy"),
                          "ObjectType", S("POLICY"),
                          "Attributes", L(def("policy_type", "STRING", true), NULL), NULL));
    const char *pub = cd_get_str(call("PublishSchema", M("DevelopmentSchemaArn", S(schema),
                                                         "Version", S("1"), NULL)),
                                 "PublishedSchemaArn", NULL);
    cd_value *d1 = call("CreateDirectory", M("Name", S("people"), "SchemaArn", S(pub), NULL));
    cd_value *d2 = call("CreateDirectory", M("Name", S("other"), "SchemaArn", S(pub), NULL));
    if (d1 && d2)
        test_catalog(cd_get_str(d1, "DirectoryArn", NULL), cd_get_str(d1, "AppliedSchemaArn", NULL),
                     cd_get_str(d2, "AppliedSchemaArn", NULL));

    cd_close(store);
    cd_arena_free(A);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return tap_done();
}
