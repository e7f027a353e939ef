/* schema_doc_fuzz.c — libFuzzer target: arbitrary bytes as the Document of PutSchemaFromJson.
 *
 * One store in a temporary folder, opened once and reused; one development schema.  For each
 * input: GetSchemaAsJson, PutSchemaFromJson(input), GetSchemaAsJson again.  The call must
 * succeed or fail with an API exception (never crash, leak or trip a sanitizer), and:
 *   - on failure the schema is unchanged (the two documents are byte-equal);
 *   - on success the new content round-trips: putting the document GetSchemaAsJson returns
 *     succeeds and gives back the very same document.
 * Anything else aborts, so libFuzzer saves the input.  Build and run: spec/fuzz/README.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clouddir.h"

typedef struct fuzz_state {
    cd_store *store;
    char dir[64];
    const char *arn;
} fuzz_state;

static fuzz_state state;   /* libFuzzer's entry points take no context */

static void cleanup(void)
{
    cd_close(state.store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", state.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", state.dir);
}

static void die(const char *what, const cd_error *err)
{
    fprintf(stderr, "schema_doc_fuzz: %s: %s: %s\n", what, cd_code_name(err->code),
            err->message);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    strcpy(state.dir, "/tmp/cd-fuzz-XXXXXX");
    if (!mkdtemp(state.dir)) {
        perror("mkdtemp");
        abort();
    }
    cd_options o;
    cd_options_default(&o);
    o.sync = false;   /* durability is not under test; speed is welcome */
    cd_error err;
    if (cd_open(state.dir, &o, &state.store, &err))
        die("open", &err);
    atexit(cleanup);
    cd_arena *a = cd_arena_new();
    cd_value *req = cd_map(a), *resp;
    cd_map_set(a, req, "Name", cd_strz(a, "fuzz"));
    if (cd_call(state.store, CD_OP_CreateSchema, req, a, &resp, &err))
        die("CreateSchema", &err);
    state.arn = strdup(cd_get_str(resp, "SchemaArn", NULL));
    cd_arena_free(a);
    return 0;
}

/* The schema's document, in arena a. */
static const char *get_document(cd_arena *a, size_t *n)
{
    cd_value *req = cd_map(a), *resp;
    cd_error err;
    cd_map_set(a, req, "SchemaArn", cd_strz(a, state.arn));
    if (cd_call(state.store, CD_OP_GetSchemaAsJson, req, a, &resp, &err))
        die("GetSchemaAsJson", &err);
    return cd_get_str(resp, "Document", n);
}

static int put_document(cd_arena *a, const void *p, size_t n, cd_error *err)
{
    cd_value *req = cd_map(a), *resp;
    cd_map_set(a, req, "SchemaArn", cd_strz(a, state.arn));
    cd_map_set(a, req, "Document", cd_str(a, p, n));
    return cd_call(state.store, CD_OP_PutSchemaFromJson, req, a, &resp, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cd_arena *a = cd_arena_new();
    cd_error err;
    size_t before_n, after_n, again_n;
    const char *before = get_document(a, &before_n);
    int rc = put_document(a, data, size, &err);
    const char *after = get_document(a, &after_n);
    if (rc) {
        switch (err.code) {
        case CD_E_InvalidSchemaDocException:
        case CD_E_InvalidRuleException:
        case CD_E_LimitExceededException:
            break;
        default:
            die("PutSchemaFromJson failed with an unexpected exception", &err);
        }
        if (before_n != after_n || memcmp(before, after, after_n) != 0)
            die("a failed PutSchemaFromJson changed the schema", &err);
    } else {
        if (put_document(a, after, after_n, &err))
            die("GetSchemaAsJson's document does not load back", &err);
        const char *again = get_document(a, &again_n);
        if (again_n != after_n || memcmp(again, after, after_n) != 0) {
            fprintf(stderr, "first:  %s\nsecond: %s\n", after, again);
            cd_error_clear(&err);
            die("the document does not round-trip", &err);
        }
    }
    cd_arena_free(a);
    return 0;
}
