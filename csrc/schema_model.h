/* schema_model.h — the control plane's own interface: schema, facet and typed-link facet
 * records, directory records by id, the small record codec they share, and the pagers and
 * reply every listing uses.  Used by schema.c, facet.c, directory.c, tags.c and
 * schema_model.c; the data plane reads the catalog through catalog.h instead.
 *
 * Schema kinds: development (mutable), published (immutable snapshot), applied (a copy of a
 * published schema living in one directory), and the built-in base schema (number 0, never
 * stored: see schema_model.c). */
#ifndef CD_SCHEMA_MODEL_H
#define CD_SCHEMA_MODEL_H

#include "catalog.h"
#include "arn.h"
#include "kv.h"

/* ---------------------------------------------------------------- record codec */

/* Writing: cd_buf (value.h) plus length-prefixed strings and varints. */
bool cd_buf_str(cd_buf *b, const char *s, size_t n);
bool cd_buf_strz(cd_buf *b, const char *s);   /* NULL is written as "" */
/* Appends a length-prefixed cd_value encoding. */
bool cd_buf_value(cd_buf *b, const cd_value *v);

/* Reading: a cursor over a record; any read past the end or malformed data sets bad. */
typedef struct cd_rd {
    const unsigned char *p, *end;
    cd_arena *a;
    bool bad;
} cd_rd;
void cd_rd_init(cd_rd *r, cd_arena *a, cd_slice s);
unsigned cd_rd_u8(cd_rd *r);
uint32_t cd_rd_u32(cd_rd *r);
uint64_t cd_rd_u64(cd_rd *r);
uint64_t cd_rd_varint(cd_rd *r);
cd_slice cd_rd_bytes(cd_rd *r);               /* a varint length and bytes, in place */
const char *cd_rd_str(cd_rd *r, size_t *n);   /* NUL-terminated copy in the arena */
cd_value *cd_rd_value(cd_rd *r);              /* decodes a length-prefixed cd_value */

/* A record that does not decode: the store is damaged (InternalServiceException). */
int cd_corrupt(cd_ctx *c, const char *what);

/* ---------------------------------------------------------------- schemas */

typedef enum cd_schema_kind {
    CD_SCHEMA_DEVELOPMENT = 'D',
    CD_SCHEMA_PUBLISHED = 'P',
    CD_SCHEMA_APPLIED = 'A',
    CD_SCHEMA_BASE = 'B',         /* built in, never stored */
    CD_SCHEMA_MANAGED = 'M'       /* the managed QuickStart schema: built in (managed.c) */
} cd_schema_kind;

typedef struct cd_schema {
    uint32_t sid;               /* internal schema number */
    cd_schema_kind kind;
    const char *name;
    const char *version;        /* "" for a development schema */
    const char *minor;          /* current minor version, "" when none */
    uint32_t dirnum;            /* applied: the directory holding it */
    uint32_t source;            /* applied: the published schema it was copied from */
    cd_value *minors;           /* applied: list of minor versions applied, oldest first */
    /* Filled by cd_schema_open, not stored: */
    const char *arn;            /* canonical ARN (applied: without minor) */
    cd_directory *dir;          /* applied and base schemas: their directory */
} cd_schema;

/* A fresh internal schema number (0 is the base schema). */
int cd_schema_new_sid(cd_ctx *c, uint32_t *sid);
/* Reads schema record sid (never the base schema).  CD_KV_NOTFOUND when absent. */
int cd_schema_get(cd_ctx *c, uint32_t sid, cd_schema *out);
/* Writes the record and its name-index entry. */
int cd_schema_put(cd_ctx *c, const cd_schema *s);
/* Removes the record, its name-index entry and every facet and typed-link facet in it. */
int cd_schema_drop(cd_ctx *c, const cd_schema *s);
/* Copies every facet and typed-link facet of schema `from` into schema `to`. */
int cd_schema_copy_contents(cd_ctx *c, uint32_t from, uint32_t to);

/* Finds the schema a request member names.  `kinds` is the set of ARN kinds the operation
 * accepts (cd_arn_kind bits).  InvalidArnException / ResourceNotFoundException.
 * Published ARNs without a minor version name the newest revision of that major family. */
int cd_schema_open(cd_ctx *c, const cd_value *req, const char *member, unsigned kinds,
                   cd_schema *out);
/* The same from a parsed ARN. */
int cd_schema_from_arn(cd_ctx *c, const char *member, const cd_arn *arn, cd_schema *out);

/* Name-index keys (`s` prefix), see schema_model.c.  Each returns the key length. */
size_t cd_key_dev_name(unsigned char *k, const char *name);
size_t cd_key_pub_family(unsigned char *k, const char *name, const char *version);
size_t cd_key_applied(unsigned char *k, uint32_t dirnum, const char *name, const char *version);
#define CD_SCHEMA_KEY_MAX 160

/* Counts keys starting with prefix (stops counting at `stop`, 0 = never). */
int cd_count_prefix(cd_ctx *c, const void *prefix, size_t pn, size_t stop, size_t *out);

/* ---------------------------------------------------------------- facets */

/* A facet exactly as declared (references not resolved, no POLICY additions);
 * cd_facet.schema_arn is the schema's canonical ARN. */
int cd_facet_read(cd_ctx *c, const cd_schema *s, const char *name, cd_facet **out);
/* Stores f (attrs sorted by name) in schema sid. */
int cd_facet_write(cd_ctx *c, uint32_t sid, const cd_facet *f);
int cd_facet_delete(cd_ctx *c, uint32_t sid, const char *name);
/* Whether a facet of that name exists in schema sid. */
int cd_facet_exists(cd_ctx *c, uint32_t sid, const char *name, bool *out);
/* The built-in facets of the base schema, in name order; NULL when name is not one. */
int cd_base_facet(cd_ctx *c, const cd_directory *d, const char *name, cd_facet **out);
extern const char *const cd_base_facet_names[];   /* NULL-terminated, sorted */

/* API spellings ("STRING", "LEAF_NODE"); cd_object_type_name(CD_OT_NONE) is NULL. */
const char *cd_attr_type_name(cd_attr_type t);
const char *cd_object_type_name(cd_object_type t);
/* qsort comparator of cd_attrdef by name (the order facets store attributes in). */
int cd_attrdef_cmp(const void *x, const void *y);

/* schema_upgrade.c: how attribute n differs from o in a way a minor version may not change
 * (definition vs reference, required behaviour, target, type, immutability, default, rules),
 * as words for a message ("changed its type"); NULL when it does not. */
const char *cd_attrdef_diff(const cd_attrdef *o, const cd_attrdef *n);

/* Facet keys: `F` + sid(4) + name.  Names are at most CD_FACET_NAME_MAX bytes (the model
 * allows 64); a longer name is never stored, so lookups of one find nothing. */
#define CD_FACET_NAME_MAX 255
#define CD_FACET_KEY_MAX (5 + CD_FACET_NAME_MAX)
size_t cd_key_facet(unsigned char *k, uint32_t sid, const char *name);

/* ---------------------------------------------------------------- typed-link facets */

typedef struct cd_link_facet {
    uint32_t sid;
    const char *schema_arn;
    const char *name;
    size_t nattrs;
    cd_attrdef *attrs;          /* sorted by name; never references */
    size_t nidentity;
    const char **identity;      /* IdentityAttributeOrder, most significant first */
} cd_link_facet;

int cd_link_facet_read(cd_ctx *c, const cd_schema *s, const char *name, cd_link_facet **out);
int cd_link_facet_write(cd_ctx *c, uint32_t sid, const cd_link_facet *f);
int cd_link_facet_delete(cd_ctx *c, uint32_t sid, const char *name);
int cd_link_facet_exists(cd_ctx *c, uint32_t sid, const char *name, bool *out);
/* Typed-link facet keys: `L` + sid(4) + name; names may be long (the model has no bound). */
size_t cd_key_link_facet(unsigned char *k, uint32_t sid, const char *name, size_t n);
#define CD_LINK_NAME_MAX 400

/* ---------------------------------------------------------------- the managed schema */

/* managed.c: arn:aws:clouddirectory:::schema/managed/quick_start/1.0/001, built in like the
 * base schema, under a schema number the counter never hands out. */
#define CD_MANAGED_SCHEMA_SID UINT32_MAX
#define CD_MANAGED_NAME "quick_start"
#define CD_MANAGED_VERSION "1.0"
#define CD_MANAGED_MINOR "001"
#define CD_MANAGED_APPLIED_NAME "managed/quick_start"   /* its applied-index key name */
#define CD_MANAGED_OBJECT_FACET "DynamicObjectFacet"
#define CD_MANAGED_LINK_FACET "DynamicTypedLinkFacet"
#define CD_MANAGED_LINK_ATTRIBUTE "DynamicTypedLinkAttribute"
extern const char *const cd_managed_facet_names[];        /* NULL-terminated */
extern const char *const cd_managed_link_facet_names[];   /* NULL-terminated */
/* Whether a managed ARN names the QuickStart schema (with or without minor 001). */
bool cd_managed_is(const cd_arn *arn);
/* Its ARN, with or without the minor version (in the arena; NULL when out of memory). */
const char *cd_managed_arn(cd_ctx *c, bool with_minor);
/* The schema a managed ARN names (ResourceNotFoundException for any other). */
int cd_managed_schema(cd_ctx *c, const char *member, const cd_arn *arn, cd_schema *out);
/* Fills the managed schema's record (arn and dir left NULL). */
void cd_managed_get(cd_schema *out);
/* Its facets; CD_KV_NOTFOUND (no message) for other names. */
int cd_managed_facet(cd_ctx *c, const char *name, cd_facet **out);
int cd_managed_link_facet(cd_ctx *c, const char *name, cd_link_facet **out);
/* The applied-index key that says directory dirnum has it applied, and that test. */
size_t cd_managed_applied_key(unsigned char *k, uint32_t dirnum);
int cd_managed_applied(cd_ctx *c, const cd_directory *d, bool *out);
/* cd_facet_find for a managed SchemaArn: FacetValidationException when d does not have it
 * applied, FacetNotFoundException for an unknown facet. */
int cd_managed_find_facet(cd_ctx *c, const cd_directory *d, const cd_arn *arn,
                          const char *name, cd_facet **out);

/* ---------------------------------------------------------------- directories */

/* A directory by its DirectoryId (ResourceNotFoundException when unknown). */
int cd_directory_by_id(cd_ctx *c, const char *id, cd_directory **out);

/* ---------------------------------------------------------------- listings */

/* One paginated scan over the keys starting with a prefix, resuming after a page token.
 * The callback sees each key (without the prefix) and value; it returns 1 when it added an
 * item to the response, 0 when it skipped the key, or an error code.  When `dry` is true it
 * only says whether it would add the item.  It may set *resume (default: the key itself)
 * to the position the next page continues after. */
typedef int (*cd_page_fn)(cd_ctx *c, cd_slice key, cd_slice val, bool dry, void *ud,
                          cd_slice *resume);

/* Runs the scan with page size cd_page_size(c, req) (or `limit` when > 0); sets *token to
 * the NextToken (NULL when this is the last page).  The token is bound to `scope`. */
int cd_page_scan(cd_ctx *c, const cd_value *req, const void *prefix, size_t pn,
                 const void *scope, size_t sn, int limit, cd_page_fn fn, void *ud,
                 const char **token);
/* Pages over n items already in memory.  With `sorted` the items are in strcmp order of
 * names[] and a page resumes after the last name returned (robust to changes between
 * pages); otherwise it resumes by position.  Sets [*from, *to) and the NextToken. */
int cd_page_array(cd_ctx *c, const cd_value *req, const void *scope, size_t sn,
                  const char *const *names, size_t n, bool sorted, int limit, size_t *from,
                  size_t *to, const char **token);
/* A listing's response: { <member> = items, NextToken = token (left out when NULL) }. */
int cd_page_reply(cd_ctx *c, const char *member, cd_value *items, const char *token,
                  cd_value **resp);

/* The facet (prefix CDK_FACET) or typed-link facet (CDK_LINK_FACET) names stored for schema
 * sid, in key (strcmp) order, in the arena. */
int cd_stored_names(cd_ctx *c, unsigned char prefix, uint32_t sid, const char ***names,
                    size_t *n);

#endif
