/* cd_bench.c — clouddir measured from C, through cd_call with cd_value requests.
 *
 * Builds the benchmark directory once (schema, facets, a folder /items holding N leaf
 * objects, a chain /l1/l2/l3/l4/l5 ending in a leaf with attributes), then measures:
 *   c_get_object_information_id   GetObjectInformation by "$id", random objects
 *   c_get_object_attributes_path5 GetObjectAttributes of /l1/l2/l3/l4/l5 (4 attributes)
 *   c_list_object_children_30     ListObjectChildren pages of 30 walking /items
 *   c_create_object_nosync        CreateObject under /items, sync = false
 *   c_create_object_durable       CreateObject under /items, sync = true
 *   c_batch_write_20_durable      BatchWrite of 20 CreateObject under /items, sync = true
 *   c_raw_commit_durable          the floor of the two durable figures: a durable commit of one
 *                                 appended put into an N-key raw store (through kv.c), made
 *                                 after each of their calls
 * and writes what the Lua bench needs (ARNs, a sample of object ids) for it to reuse the store.
 *
 * usage: cd_bench STORE_DIR N REPS FIXTURE_FILE IDS_FILE   (the raw store: STORE_DIR-raw)
 * prints: result <name> <ns per op>  (median of REPS repetitions; durable: median latency)
 *         info <name> <value>        (bulk creation, store size, peak RSS) */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "clouddir.h"
#include "kv.h"      /* --graph: the raw floor measured beside the listings */
#include "raw_shape.h"

#define DURABLE_CREATES 200
#define MAX_REPS 50
#define ID_MAX 64        /* object identifiers are 46 characters */
#define ARN_MAX 512

typedef struct bench {
    cd_store *fast;      /* sync = false, limits = "none": bulk creation and the nosync figure */
    cd_store *durable;   /* a second handle on the same environment, sync = true, no limits */
    cd_arena *a;         /* one call's request and response; reset between calls */
    cd_error err;
    char schema_arn[ARN_MAX];   /* the schema applied to the directory */
    char dir_arn[ARN_MAX];
    char items_ref[ID_MAX + 1]; /* "$" + the id of /items */
    char *ids;                  /* a sample of the leaf ids in random order, ID_MAX bytes each */
    size_t nids, next_id;       /* reads walk the shuffled sample: no cache miss of its own */
    char token[1024];           /* where the walk over /items goes on ("" = from the start) */
    unsigned long long next_name; /* link names of created objects stay unique */
    unsigned long long rng;
    cd_kv *raw;                 /* the raw floor's store, for durable commits beside ours */
    uint64_t raw_next;          /* its next appended key */
    double raw_lat[2 * DURABLE_CREATES];
    int raw_done;
} bench;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cd_bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y)
{
    double p = *(const double *)x, q = *(const double *)y;
    return (p > q) - (p < q);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Bytes this process has sent to storage so far (/proc/self/io), -1 when unknown: shows
 * how much a durable commit writes. */
static long long storage_write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "write_bytes: %lld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static unsigned long long next_rand(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- request building: a bench has no use for recovering from out of memory ---- */

static cd_value *ok(cd_value *v)
{
    if (!v)
        die("out of memory");
    return v;
}

static void set(cd_arena *a, cd_value *m, const char *key, cd_value *v)
{
    if (!v || !cd_map_set(a, m, key, v))
        die("out of memory");
}

static void push(cd_arena *a, cd_value *l, cd_value *v)
{
    if (!v || !cd_list_push(a, l, v))
        die("out of memory");
}

static cd_value *str(cd_arena *a, const char *s) { return ok(cd_strz(a, s)); }

static cd_value *ref(cd_arena *a, const char *selector)
{
    cd_value *r = ok(cd_map(a));
    set(a, r, "Selector", str(a, selector));
    return r;
}

static cd_value *facet_ref(bench *b, const char *facet)
{
    cd_value *f = ok(cd_map(b->a));
    set(b->a, f, "SchemaArn", str(b->a, b->schema_arn));
    set(b->a, f, "FacetName", str(b->a, facet));
    return f;
}

/* Runs op on store s; any error ends the bench (it would measure the wrong thing). */
static cd_value *call(bench *b, cd_store *s, int op, cd_value *req)
{
    cd_value *resp;
    if (cd_call(s, op, req, b->a, &resp, &b->err))
        die("%s: %s: %s", cd_op_name(op), cd_code_name(b->err.code), b->err.message);
    return resp;
}

static void copy_str(char *dst, size_t cap, const cd_value *m, const char *key)
{
    size_t n;
    const char *p = cd_get_str(m, key, &n);
    if (!p || n >= cap)
        die("response has no usable %s", key);
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* ---- the fixture ---- */

static cd_value *facet_attribute(cd_arena *a, const char *name, const char *type)
{
    cd_value *attr = ok(cd_map(a)), *def = ok(cd_map(a));
    set(a, def, "Type", str(a, type));
    set(a, attr, "Name", str(a, name));
    set(a, attr, "AttributeDefinition", def);
    set(a, attr, "RequiredBehavior", str(a, "NOT_REQUIRED"));
    return attr;
}

static void create_facet(bench *b, const char *dev_arn, const char *name, const char *type,
                         int leaf)
{
    cd_arena *a = b->a;
    cd_value *req = ok(cd_map(a)), *attrs = ok(cd_list(a));
    set(a, req, "SchemaArn", str(a, dev_arn));
    set(a, req, "Name", str(a, name));
    set(a, req, "ObjectType", str(a, type));
    push(a, attrs, facet_attribute(a, "name", "STRING"));
    if (leaf) {
        push(a, attrs, facet_attribute(a, "size", "NUMBER"));
        push(a, attrs, facet_attribute(a, "created", "DATETIME"));
        push(a, attrs, facet_attribute(a, "active", "BOOLEAN"));
    }
    set(a, req, "Attributes", attrs);
    call(b, b->fast, CD_OP_CreateFacet, req);
    cd_arena_reset(a);
}

static void setup_directory(bench *b)
{
    char dev_arn[ARN_MAX], pub_arn[ARN_MAX];
    cd_arena *a = b->a;
    cd_value *req = ok(cd_map(a));
    set(a, req, "Name", str(a, "bench"));
    copy_str(dev_arn, sizeof dev_arn, call(b, b->fast, CD_OP_CreateSchema, req), "SchemaArn");
    cd_arena_reset(a);

    create_facet(b, dev_arn, "Folder", "NODE", 0);
    create_facet(b, dev_arn, "Item", "LEAF_NODE", 1);

    req = ok(cd_map(a));
    set(a, req, "DevelopmentSchemaArn", str(a, dev_arn));
    set(a, req, "Version", str(a, "1"));
    copy_str(pub_arn, sizeof pub_arn, call(b, b->fast, CD_OP_PublishSchema, req),
             "PublishedSchemaArn");
    cd_arena_reset(a);

    req = ok(cd_map(a));
    set(a, req, "Name", str(a, "bench"));
    set(a, req, "SchemaArn", str(a, pub_arn));
    cd_value *resp = call(b, b->fast, CD_OP_CreateDirectory, req);
    copy_str(b->dir_arn, sizeof b->dir_arn, resp, "DirectoryArn");
    copy_str(b->schema_arn, sizeof b->schema_arn, resp, "AppliedSchemaArn");
    cd_arena_reset(a);
}

static cd_value *attribute(bench *b, const char *facet, const char *name, const char *member,
                           cd_value *v)
{
    cd_arena *a = b->a;
    cd_value *kv = ok(cd_map(a)), *key = ok(cd_map(a)), *val = ok(cd_map(a));
    set(a, key, "SchemaArn", str(a, b->schema_arn));
    set(a, key, "FacetName", str(a, facet));
    set(a, key, "Name", str(a, name));
    set(a, val, member, v);
    set(a, kv, "Key", key);
    set(a, kv, "Value", val);
    return kv;
}

/* A CreateObject request for a Folder, or for an Item carrying four attributes of four types. */
static cd_value *create_request(bench *b, const char *parent, const char *link, int leaf,
                                unsigned long long i)
{
    cd_arena *a = b->a;
    char text[64];
    cd_value *req = ok(cd_map(a)), *facets = ok(cd_list(a)), *attrs = ok(cd_list(a));
    const char *facet = leaf ? "Item" : "Folder";
    set(a, req, "DirectoryArn", str(a, b->dir_arn));
    push(a, facets, facet_ref(b, facet));
    set(a, req, "SchemaFacets", facets);
    snprintf(text, sizeof text, "%s-%llu", facet, i);
    push(a, attrs, attribute(b, facet, "name", "StringValue", str(a, text)));
    if (leaf) {
        snprintf(text, sizeof text, "%llu", i * 37 % 100000);
        push(a, attrs, attribute(b, facet, "size", "NumberValue", str(a, text)));
        push(a, attrs, attribute(b, facet, "created", "DatetimeValue",
                                 ok(cd_time_ms(a, 1700000000000LL + (long long)i * 1000))));
        push(a, attrs, attribute(b, facet, "active", "BooleanValue", ok(cd_bool(a, i % 2))));
    }
    set(a, req, "ObjectAttributeList", attrs);
    set(a, req, "ParentReference", ref(a, parent));
    set(a, req, "LinkName", str(a, link));
    return req;
}

/* Creates one object and copies its id into id (ID_MAX bytes) when id is not NULL. */
static void create_object(bench *b, cd_store *s, const char *parent, const char *link, int leaf,
                          unsigned long long i, char *id)
{
    cd_value *resp = call(b, s, CD_OP_CreateObject, create_request(b, parent, link, leaf, i));
    if (id)
        copy_str(id, ID_MAX, resp, "ObjectIdentifier");
    cd_arena_reset(b->a);
}

/* The directory of the benchmark: /items with n leaves, and /l1/l2/l3/l4/l5. */
static void build(bench *b, size_t n, size_t sample)
{
    char id[ID_MAX];
    setup_directory(b);
    create_object(b, b->fast, "/", "items", 0, 0, id);
    snprintf(b->items_ref, sizeof b->items_ref, "$%s", id);
    const char *chain[] = {"/", "/l1", "/l1/l2", "/l1/l2/l3", "/l1/l2/l3/l4"};
    for (int d = 0; d < 5; d++) {
        char link[16];
        snprintf(link, sizeof link, "l%d", d + 1);
        create_object(b, b->fast, chain[d], link, d == 4, (unsigned long long)d, NULL);
    }

    /* Bulk creation through CreateObject, one call per object (BatchWrite does not exist
     * yet); every stride-th id is kept for the reads. */
    size_t stride = n / sample;
    b->ids = malloc(sample * ID_MAX);
    if (!b->ids)
        die("out of memory");
    fprintf(stderr, "cd_bench: creating %zu objects...\n", n);
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        char link[32];
        snprintf(link, sizeof link, "i%08zu", i);
        int keep = i % stride == 0 && b->nids < sample;
        create_object(b, b->fast, b->items_ref, link, 1, i, keep ? b->ids + b->nids * ID_MAX : NULL);
        b->nids += (size_t)keep;
        if ((i + 1) % 200000 == 0)
            fprintf(stderr, "cd_bench:   %zu objects, %.0f s\n", i + 1, (now_ns() - t0) / 1e9);
    }
    double dt = now_ns() - t0;
    for (size_t i = b->nids - 1; i > 0; i--) {
        size_t j = (size_t)(next_rand(&b->rng) % (i + 1));
        char tmp[ID_MAX];
        memcpy(tmp, b->ids + i * ID_MAX, ID_MAX);
        memcpy(b->ids + i * ID_MAX, b->ids + j * ID_MAX, ID_MAX);
        memcpy(b->ids + j * ID_MAX, tmp, ID_MAX);
    }
    printf("result c_bulk_create_object %.1f\n", dt / (double)n);
    printf("info bulk_objects %zu\ninfo bulk_seconds %.3f\n", n, dt / 1e9);
    b->next_name = 0;
}

/* ---- the figures ---- */

static const char *random_id(bench *b)
{
    const char *id = b->ids + b->next_id * ID_MAX;
    b->next_id = (b->next_id + 1) % b->nids;
    return id;
}

static double get_by_id(bench *b, size_t ops)
{
    char sel[ID_MAX + 1] = "$";
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        const char *id = random_id(b);
        memcpy(sel + 1, id, ID_MAX);
        cd_value *req = ok(cd_map(b->a));
        set(b->a, req, "DirectoryArn", str(b->a, b->dir_arn));
        set(b->a, req, "ObjectReference", ref(b->a, sel));
        cd_value *resp = call(b, b->fast, CD_OP_GetObjectInformation, req);
        if (i == 0 && strcmp(cd_get_str(resp, "ObjectIdentifier", NULL), id) != 0)
            die("GetObjectInformation returned another object");
        cd_arena_reset(b->a);
    }
    return (now_ns() - t0) / (double)ops;
}

static double get_by_path(bench *b, size_t ops)
{
    static const char *const names[] = {"name", "size", "created", "active"};
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        cd_arena *a = b->a;
        cd_value *req = ok(cd_map(a)), *list = ok(cd_list(a));
        set(a, req, "DirectoryArn", str(a, b->dir_arn));
        set(a, req, "ObjectReference", ref(a, "/l1/l2/l3/l4/l5"));
        set(a, req, "SchemaFacet", facet_ref(b, "Item"));
        for (int k = 0; k < 4; k++)
            push(a, list, str(a, names[k]));
        set(a, req, "AttributeNames", list);
        cd_value *resp = call(b, b->fast, CD_OP_GetObjectAttributes, req);
        if (i == 0 && cd_len(cd_get(resp, "Attributes")) != 4)
            die("GetObjectAttributes returned %zu attributes, not 4",
                cd_len(cd_get(resp, "Attributes")));
        cd_arena_reset(a);
    }
    return (now_ns() - t0) / (double)ops;
}

/* Walks /items 30 children at a time; the walk goes on across repetitions. */
static double list_pages(bench *b, size_t pages)
{
    char *token = b->token;
    size_t token_cap = sizeof b->token;
    double t0 = now_ns();
    for (size_t i = 0; i < pages; i++) {
        cd_arena *a = b->a;
        cd_value *req = ok(cd_map(a));
        set(a, req, "DirectoryArn", str(a, b->dir_arn));
        set(a, req, "ObjectReference", ref(a, b->items_ref));
        set(a, req, "MaxResults", ok(cd_int(a, 30)));
        if (token[0])
            set(a, req, "NextToken", str(a, token));
        cd_value *resp = call(b, b->fast, CD_OP_ListObjectChildren, req);
        if (cd_len(cd_get(resp, "Children")) != 30 && cd_get(resp, "NextToken"))
            die("ListObjectChildren returned a short page before the end");
        size_t n;
        const char *next = cd_get_str(resp, "NextToken", &n);
        if (next && n >= token_cap)
            die("NextToken of %zu bytes is longer than the bench expects", n);
        if (next)
            memcpy(token, next, n + 1);
        else
            token[0] = '\0';
        cd_arena_reset(a);
    }
    return (now_ns() - t0) / (double)pages;
}

static double create_many(bench *b, cd_store *s, size_t ops)
{
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        char link[32];
        snprintf(link, sizeof link, "c%08llu", b->next_name++);
        create_object(b, s, b->items_ref, link, 1, b->next_name, NULL);
    }
    return (now_ns() - t0) / (double)ops;
}

/* The raw floor, again, inside this process: a store of n keys shaped like raw_lmdb.c's
 * ('O' + 8-byte number, 60-byte values), opened and written through kv.c (which opens LMDB
 * with the flags raw_lmdb.c uses).  Its figures are measured in the same repetitions as
 * clouddir's, so both see the same moment of the machine: this VM's CPU speed and disk
 * latency drift by up to 1.5x over minutes, and the raw_lmdb.c run is minutes away. */
static void raw_record(uint64_t id, unsigned char key[RAW_KEY_LEN],
                       unsigned char val[RAW_VAL_LEN])
{
    raw_key(id, key);
    raw_val(id, val);
}

static cd_kv *raw_store_open(const char *dir, size_t n)
{
    cd_error err;
    cd_kv *raw;
    cd_kv_options ko = {(size_t)1 << 30};
    if (cd_kv_open(dir, &ko, &raw, &err))
        die("raw store: %s", err.message);
    unsigned char key[9], val[60];
    for (size_t done = 0; done < n;) {
        cd_txn *t;
        if (cd_kv_begin(raw, true, &t, &err))
            die("raw store: %s", err.message);
        size_t end = done + 100000 < n ? done + 100000 : n;
        for (; done < end; done++) {
            raw_record(done + 1, key, val);
            if (cd_kv_put(t, (cd_slice){key, sizeof key}, (cd_slice){val, sizeof val}, true, &err))
                die("raw store: %s", err.message);
        }
        if (cd_kv_commit(t, false, &err))
            die("raw store: %s", err.message);
    }
    return raw;
}

static void raw_store_remove(cd_kv *raw, const char *dir)
{
    cd_kv_close(raw);
    char file[4200];
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    remove(file);
    snprintf(file, sizeof file, "%s/lock.mdb", dir);
    remove(file);
    remove(dir);
}

/* One durable commit of one appended put, as raw_lmdb.c's raw_commit_durable: ns. */
static double raw_commit_durable(cd_kv *raw, uint64_t id)
{
    cd_error err;
    cd_txn *t;
    unsigned char key[9], val[60];
    raw_record(id, key, val);
    double t0 = now_ns();
    if (cd_kv_begin(raw, true, &t, &err) ||
        cd_kv_put(t, (cd_slice){key, sizeof key}, (cd_slice){val, sizeof val}, true, &err) ||
        cd_kv_commit(t, true, &err))
        die("raw commit: %s", err.message);
    return now_ns() - t0;
}

/* After each durable call of ours, unmeasured by it, one raw durable commit: the floor of
 * the durable figures, measured at the same moments (disk latency drifts too). */
static void raw_commit_beside(bench *b)
{
    if (b->raw_done < 2 * DURABLE_CREATES)
        b->raw_lat[b->raw_done++] = raw_commit_durable(b->raw, b->raw_next++);
}

/* Median latency of a durable CreateObject.  The first call also flushes what the
 * sync = false calls left dirty: it runs unmeasured.  *bytes_per_call: what our calls
 * alone sent to storage. */
static double create_durable(bench *b, long long *bytes_per_call)
{
    double lat[DURABLE_CREATES];
    long long written = 0;
    for (int i = -1; i < DURABLE_CREATES; i++) {
        char link[32];
        snprintf(link, sizeof link, "d%08llu", b->next_name++);
        long long w0 = storage_write_bytes();
        double t0 = now_ns();
        create_object(b, b->durable, b->items_ref, link, 1, b->next_name, NULL);
        if (i >= 0) {
            lat[i] = now_ns() - t0;
            written += storage_write_bytes() - w0;
            raw_commit_beside(b);
        }
    }
    *bytes_per_call = written < 0 ? -1 : written / DURABLE_CREATES;
    return median(lat, DURABLE_CREATES);
}

/* Median latency of a durable BatchWrite of 20 CreateObject (leaves like the others, under
 * /items), as batch_graph_bench.lua measures it from Lua: the engine's share of that figure.
 * The first call flushes what the sync = false calls left dirty: unmeasured. */
static double batch_durable(bench *b, long long *bytes_per_call)
{
    double lat[DURABLE_CREATES];
    long long written = 0;
    for (int i = -1; i < DURABLE_CREATES; i++) {
        cd_arena *a = b->a;
        cd_value *req = ok(cd_map(a)), *ops = ok(cd_list(a));
        set(a, req, "DirectoryArn", str(a, b->dir_arn));
        for (int k = 0; k < 20; k++) {
            char link[32];
            snprintf(link, sizeof link, "w%08llu", b->next_name++);
            cd_value *single = create_request(b, b->items_ref, link, 1, b->next_name);
            cd_value *item = ok(cd_map(a)), *op = ok(cd_map(a));
            set(a, item, "SchemaFacet", cd_get(single, "SchemaFacets"));
            set(a, item, "ObjectAttributeList", cd_get(single, "ObjectAttributeList"));
            set(a, item, "ParentReference", cd_get(single, "ParentReference"));
            set(a, item, "LinkName", cd_get(single, "LinkName"));
            set(a, op, "CreateObject", item);
            push(a, ops, op);
        }
        set(a, req, "Operations", ops);
        long long w0 = storage_write_bytes();
        double t0 = now_ns();
        call(b, b->durable, CD_OP_BatchWrite, req);
        if (i >= 0) {
            lat[i] = now_ns() - t0;
            written += storage_write_bytes() - w0;
            raw_commit_beside(b);
        }
        cd_arena_reset(b->a);
    }
    *bytes_per_call = written < 0 ? -1 : written / DURABLE_CREATES;
    return median(lat, DURABLE_CREATES);
}

static double create_fast(bench *b, size_t ops) { return create_many(b, b->fast, ops); }

/* One figure: a loop of ops calls, timed as a whole, repeated. */
typedef struct figure {
    const char *name;
    double (*run)(bench *b, size_t ops);
    size_t ops;
    double runs[MAX_REPS];   /* ns per op of each repetition */
} figure;

static void write_handoff(bench *b, const char *fixture_file, const char *ids_file)
{
    FILE *f = fopen(fixture_file, "w");
    if (!f)
        die("cannot write %s", fixture_file);
    fprintf(f, "%s\n%s\n%s\n", b->dir_arn, b->schema_arn, b->items_ref);
    fclose(f);
    f = fopen(ids_file, "w");
    if (!f)
        die("cannot write %s", ids_file);
    for (size_t i = 0; i < b->nids; i++)
        fprintf(f, "%s\n", b->ids + i * ID_MAX);
    fclose(f);
}

static size_t clamp(size_t x, size_t lo, size_t hi) { return x < lo ? lo : x > hi ? hi : x; }

/* ---- the range figures from C, on the store batch_graph_bench.lua built ---- */

/* What batch_graph_bench.lua hands over (one line each): the directory, the applied schema,
 * "$" + the index of all N objects, "$" + the typed-link hub ("-" without typed links),
 * "$" + the depth-10 leaf. */
typedef struct graph {
    bench *b;
    char index_ref[ID_MAX + 1], hub_ref[ID_MAX + 1], leaf_ref[ID_MAX + 1];
    size_t n, page, links, kinds, entries;
    bool sweep;   /* warming up: ranges in order from the start instead of at random */
    cd_kv *raw;   /* the raw floor's store: n keys like raw_lmdb.c's, through kv.c */
} graph;

static cd_value *num(cd_arena *a, unsigned long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", v);
    cd_value *m = ok(cd_map(a));
    set(a, m, "NumberValue", str(a, text));
    return m;
}

static cd_value *range(cd_arena *a, const char *start_mode, cd_value *start, const char *end_mode,
                       cd_value *end)
{
    cd_value *r = ok(cd_map(a));
    set(a, r, "StartMode", str(a, start_mode));
    set(a, r, "StartValue", start);
    set(a, r, "EndMode", str(a, end_mode));
    set(a, r, "EndValue", end);
    return r;
}

/* ListIndex: an INCLUSIVE range of `page` consecutive serials (one object each). */
static double graph_list_index(graph *g, size_t ops)
{
    bench *b = g->b;
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        cd_arena *a = b->a;
        unsigned long long s = g->sweep ? i * g->page % (g->n - g->page + 1)
                                        : next_rand(&b->rng) % (g->n - g->page + 1);
        cd_value *req = ok(cd_map(a)), *ranges = ok(cd_list(a)), *r = ok(cd_map(a));
        cd_value *key = facet_ref(b, "Stamp");
        set(a, key, "Name", str(a, "serial"));
        set(a, r, "AttributeKey", key);
        set(a, r, "Range", range(a, "INCLUSIVE", num(a, s), "INCLUSIVE", num(a, s + g->page - 1)));
        push(a, ranges, r);
        set(a, req, "DirectoryArn", str(a, b->dir_arn));
        set(a, req, "IndexReference", ref(a, g->index_ref));
        set(a, req, "MaxResults", ok(cd_int(a, (int64_t)g->page)));
        set(a, req, "RangesOnIndexedValues", ranges);
        cd_value *resp = call(b, b->fast, CD_OP_ListIndex, req);
        if (i == 0 && (cd_len(cd_get(resp, "IndexAttachments")) != g->page ||
                       cd_get(resp, "NextToken")))
            die("ListIndex returned %zu entries, not %zu", cd_len(cd_get(resp, "IndexAttachments")),
                g->page);
        cd_arena_reset(a);
    }
    return (now_ns() - t0) / (double)ops;
}

/* ListOutgoingTypedLinks: kind = "k1" exactly and seq in a range holding `page` of them. */
static double graph_list_links(graph *g, size_t ops)
{
    bench *b = g->b;
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        cd_arena *a = b->a;
        size_t starts = (g->links - g->kinds * g->page) / g->kinds + 1;
        unsigned long long s = (g->sweep ? i * g->page % starts : next_rand(&b->rng) % starts) *
                               g->kinds;
        cd_value *req = ok(cd_map(a)), *filters = ok(cd_list(a));
        cd_value *kind = ok(cd_map(a)), *seq = ok(cd_map(a)), *facet = ok(cd_map(a));
        cd_value *k1 = ok(cd_map(a)), *k1b = ok(cd_map(a));
        set(a, k1, "StringValue", str(a, "k1"));
        set(a, k1b, "StringValue", str(a, "k1"));
        set(a, kind, "AttributeName", str(a, "kind"));
        set(a, kind, "Range", range(a, "INCLUSIVE", k1, "INCLUSIVE", k1b));
        set(a, seq, "AttributeName", str(a, "seq"));
        set(a, seq, "Range", range(a, "INCLUSIVE", num(a, s), "EXCLUSIVE",
                                   num(a, s + g->kinds * g->page)));
        push(a, filters, kind);
        push(a, filters, seq);
        set(a, facet, "SchemaArn", str(a, b->schema_arn));
        set(a, facet, "TypedLinkName", str(a, "Edge"));
        set(a, req, "DirectoryArn", str(a, b->dir_arn));
        set(a, req, "ObjectReference", ref(a, g->hub_ref));
        set(a, req, "MaxResults", ok(cd_int(a, (int64_t)g->page)));
        set(a, req, "FilterTypedLink", facet);
        set(a, req, "FilterAttributeRanges", filters);
        cd_value *resp = call(b, b->fast, CD_OP_ListOutgoingTypedLinks, req);
        if (i == 0 && (cd_len(cd_get(resp, "TypedLinkSpecifiers")) != g->page ||
                       cd_get(resp, "NextToken")))
            die("ListOutgoingTypedLinks returned %zu links, not %zu",
                cd_len(cd_get(resp, "TypedLinkSpecifiers")), g->page);
        cd_arena_reset(a);
    }
    return (now_ns() - t0) / (double)ops;
}

/* LookupPolicy on the depth-10 leaf: 3 paths of 11 objects, a policy on each. */
static double graph_lookup_policy(graph *g, size_t ops)
{
    bench *b = g->b;
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        cd_arena *a = b->a;
        cd_value *req = ok(cd_map(a));
        set(a, req, "DirectoryArn", str(a, b->dir_arn));
        set(a, req, "ObjectReference", ref(a, g->leaf_ref));
        set(a, req, "MaxResults", ok(cd_int(a, 10)));
        cd_value *resp = call(b, b->fast, CD_OP_LookupPolicy, req);
        if (i == 0) {
            const cd_value *paths = cd_get(resp, "PolicyToPathList");
            size_t entries = 0;
            for (size_t p = 0; p < cd_len(paths); p++)
                entries += cd_len(cd_get(paths->u.list.items[p], "Policies"));
            if (cd_len(paths) != 3 || entries != g->entries || cd_get(resp, "NextToken"))
                die("LookupPolicy returned %zu paths and %zu entries, not 3 and %zu",
                    cd_len(paths), entries, g->entries);
        }
        cd_arena_reset(a);
    }
    return (now_ns() - t0) / (double)ops;
}

/* Cursor scans of `len` consecutive entries from a random key: ns per scan. */
static double raw_scan(graph *g, size_t ops, size_t len)
{
    bench *b = g->b;
    cd_txn *t;
    cd_cursor *c;
    cd_error err;
    if (cd_kv_begin(g->raw, false, &t, &err) || cd_kv_cursor(t, &c, &err))
        die("raw scan: %s", err.message);
    volatile size_t sink = 0;
    double t0 = now_ns();
    for (size_t i = 0; i < ops; i++) {
        uint64_t id = g->sweep ? 1 + i * len % (g->n - len + 1)
                               : 1 + next_rand(&b->rng) % (g->n - len + 1);
        unsigned char key[9] = {'O'};
        for (int k = 0; k < 8; k++)
            key[1 + k] = (unsigned char)(id >> (56 - 8 * k));
        cd_slice k, v;
        int rc = cd_cursor_seek(c, (cd_slice){key, sizeof key}, &k, &v, &err);
        for (size_t j = 1; j < len && rc == 0; j++) {
            sink += v.n;
            rc = cd_cursor_next(c, &k, &v, &err);
        }
        if (rc)
            die("raw scan: the store ended early");
    }
    double ns = (now_ns() - t0) / (double)ops;
    cd_cursor_close(c);
    cd_kv_abort(t);
    (void)sink;
    return ns;
}

static double raw_scan_page(graph *g, size_t ops) { return raw_scan(g, ops, g->page); }
static double raw_scan_entries(graph *g, size_t ops) { return raw_scan(g, ops, g->entries); }

static void read_line(FILE *f, char *dst, size_t cap, const char *what)
{
    if (!fgets(dst, (int)cap, f))
        die("the graph fixture has no %s", what);
    dst[strcspn(dst, "\n")] = '\0';
}

/* cd_bench --graph STORE_DIR N REPS SCAN_PAGE POLICY_ENTRIES FIXTURE_FILE */
static int graph_main(char **argv)
{
    bench b = {.rng = 11};
    graph g = {.b = &b, .n = strtoull(argv[3], NULL, 10), .page = strtoull(argv[5], NULL, 10),
               .entries = strtoull(argv[6], NULL, 10), .links = 100000, .kinds = 4};
    int reps = atoi(argv[4]);
    if (g.n < g.page || g.page == 0 || reps < 1 || reps > MAX_REPS)
        die("--graph: N must be >= SCAN_PAGE > 0 and REPS in 1..%d", MAX_REPS);
    FILE *f = fopen(argv[7], "r");
    if (!f)
        die("cannot read %s", argv[7]);
    read_line(f, b.dir_arn, sizeof b.dir_arn, "directory");
    read_line(f, b.schema_arn, sizeof b.schema_arn, "schema");
    read_line(f, g.index_ref, sizeof g.index_ref, "index");
    read_line(f, g.hub_ref, sizeof g.hub_ref, "hub");
    read_line(f, g.leaf_ref, sizeof g.leaf_ref, "leaf");
    fclose(f);
    cd_options o;
    cd_options_default(&o);
    o.sync = false;
    o.limits = CD_LIMITS_NONE;
    if (cd_open(argv[2], &o, &b.fast, &b.err))
        die("%s", b.err.message);
    if (!(b.a = cd_arena_new()))
        die("out of memory");
    cd_arena_keep(b.a, (size_t)8 << 20);   /* as the Lua binding's handles do */
    bool links = strcmp(g.hub_ref, "-") != 0;
    char names[5][64];
    snprintf(names[0], sizeof names[0], "c_list_index_range_%zu", g.page);
    snprintf(names[1], sizeof names[1], "c_list_outgoing_typed_links_%zu", g.page);
    snprintf(names[2], sizeof names[2], "c_lookup_policy_depth10");
    snprintf(names[3], sizeof names[3], "c_raw_scan_%zu", g.page);
    snprintf(names[4], sizeof names[4], "c_raw_scan_%zu", g.entries);
    struct {
        const char *name;
        double (*run)(graph *g, size_t ops);
        size_t ops;
        double runs[MAX_REPS];
    } figs[] = {
        {names[0], graph_list_index, 100, {0}},
        {names[1], graph_list_links, 50, {0}},
        {names[2], graph_lookup_policy, 5000, {0}},
        {names[3], raw_scan_page, 2000, {0}},
        {names[4], raw_scan_entries, 20000, {0}},
    };
    enum { NFIGS = sizeof figs / sizeof *figs };
    char raw_dir[4096];
    snprintf(raw_dir, sizeof raw_dir, "%s-raw", argv[2]);
    g.raw = raw_store_open(raw_dir, g.n);
    /* BENCH_ONLY=<figure name>: that figure alone (for profiling). */
    const char *only = getenv("BENCH_ONLY");
    bool run[NFIGS];
    for (size_t i = 0; i < NFIGS; i++)
        run[i] = (i != 1 || links) && (!only || !*only || strcmp(only, figs[i].name) == 0);
    /* Before each repetition, unmeasured, a sweep over what the listings read.  The raw
     * floor's scans read its whole store twice in every repetition, so it is measured with
     * every page resident and mapped; sweeping first compares like with like.  Pages this
     * process has not touched yet cost page faults, and on this VM the host takes back page
     * cache idle for a few seconds, so a cold read can even wait for the disk. */
    for (int r = 0; r < reps; r++) {
        g.sweep = true;
        if (run[0])
            (void)graph_list_index(&g, g.n / g.page + 1);
        if (run[1])
            (void)graph_list_links(&g, g.links / (g.kinds * g.page) + 1);
        if (run[2])
            (void)graph_lookup_policy(&g, 10);
        if (run[3] || run[4])
            (void)raw_scan(&g, g.n / g.page + 1, g.page);
        g.sweep = false;
        for (size_t i = 0; i < NFIGS; i++)
            if (run[i])
                figs[i].runs[r] = figs[i].run(&g, figs[i].ops);
    }
    static const size_t print_order[NFIGS] = {3, 4, 0, 1, 2};   /* floors first */
    for (size_t at = 0; at < NFIGS; at++) {
        size_t i = print_order[at];
        if (run[i])
            printf("result %s %.1f\n", figs[i].name, median(figs[i].runs, reps));
    }
    raw_store_remove(g.raw, raw_dir);
    cd_arena_free(b.a);
    cd_close(b.fast);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "--graph") == 0)
        return graph_main(argv);
    if (argc != 6)
        die("usage: cd_bench STORE_DIR N REPS FIXTURE_FILE IDS_FILE\n"
            "       cd_bench --graph STORE_DIR N REPS SCAN_PAGE POLICY_ENTRIES FIXTURE_FILE");
    size_t n = strtoull(argv[2], NULL, 10);
    int reps = atoi(argv[3]);
    if (n < 1000 || reps < 1 || reps > MAX_REPS)
        die("N must be >= 1000 and REPS in 1..%d", MAX_REPS);

    bench b = {.rng = 7};
    cd_options o;
    cd_options_default(&o);
    o.sync = false;
    o.limits = CD_LIMITS_NONE;
    if (cd_open(argv[1], &o, &b.fast, &b.err))
        die("%s", b.err.message);
    cd_options_default(&o);
    o.limits = CD_LIMITS_NONE;   /* a 20-object batch under one parent writes 21 objects */
    if (cd_open_shared(b.fast, &o, &b.durable, &b.err))
        die("%s", b.err.message);
    if (!(b.a = cd_arena_new()))
        die("out of memory");
    cd_arena_keep(b.a, (size_t)8 << 20);   /* as the Lua binding's handles do */

    size_t reads = clamp(n / 10, 10000, 100000);
    build(&b, n, clamp(n / 10, 1000, 100000));
    size_t used, map;
    if (cd_store_stat(b.fast, &used, &map, &b.err))
        die("%s", b.err.message);
    printf("info store_bytes_per_object %.1f\n", (double)used / (double)(n + 6));
    write_handoff(&b, argv[4], argv[5]);
    fflush(stdout);

    /* Repetitions go round the figures, so a burst of other work on the machine spoils
     * one repetition of several figures rather than every repetition of one. */
    figure figs[] = {
        {"c_get_object_information_id", get_by_id, reads, {0}},
        {"c_get_object_attributes_path5", get_by_path, reads, {0}},
        {"c_list_object_children_30", list_pages, reads / 10, {0}},
        {"c_create_object_nosync", create_fast, clamp(n / 50, 2000, 20000), {0}},
    };
    size_t nfigs = sizeof figs / sizeof *figs;
    for (int r = 0; r < reps; r++)
        for (size_t f = 0; f < nfigs; f++)
            figs[f].runs[r] = figs[f].run(&b, figs[f].ops);
    for (size_t f = 0; f < nfigs; f++)
        printf("result %s %.1f\n", figs[f].name, median(figs[f].runs, reps));
    /* The durable figures, each call followed by a raw durable commit (the floor). */
    char raw_dir[4096];
    snprintf(raw_dir, sizeof raw_dir, "%s-raw", argv[1]);
    b.raw = raw_store_open(raw_dir, n);
    b.raw_next = n + 1;
    (void)raw_commit_durable(b.raw, b.raw_next++);   /* flushes the unsynced build */
    long long durable_bytes, batch_bytes;
    double create_ns = create_durable(&b, &durable_bytes);
    double batch_ns = batch_durable(&b, &batch_bytes);
    printf("result c_raw_commit_durable %.1f\n", median(b.raw_lat, b.raw_done));
    printf("result c_create_object_durable %.1f\n", create_ns);
    printf("result c_batch_write_20_durable %.1f\n", batch_ns);
    raw_store_remove(b.raw, raw_dir);
    if (durable_bytes >= 0)
        printf("info c_durable_write_bytes %lld\n", durable_bytes);
    if (batch_bytes >= 0)
        printf("info c_batch_durable_write_bytes %lld\n", batch_bytes);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("info c_peak_rss_kib %ld\n", ru.ru_maxrss);
    cd_arena_free(b.a);
    free(b.ids);
    cd_close(b.durable);
    cd_close(b.fast);
    return 0;
}
