/* object.h — objects of a directory: records, identifiers and hierarchy links, shared by
 * object.c, hierarchy.c, selector.c and every later concept that touches objects.
 *
 * Storage (prefixes from keys.h, where O is CDK_OBJECT, the last prefix of the store;
 * numbers big-endian so keys sort numerically).  An object's own keys are clustered under
 * its number, so creating one writes one run of keys at the very end of the store (plus
 * the child link under its parent) and deleting one clears one range:
 *
 *   O | oid(8)                                    -> object record, or a tombstone (below)
 *   O | oid(8) | 'P' | parent oid(8) | link name  -> parent tag(8)
 *   O | oid(8) | 'V' | sid(4) | facet | 0 | attr  -> attribute value (attribute.h)
 *   C | parent oid(8) | link name                 -> child oid(8) | child tag(8) | type(1)
 *
 * The sub-key tags ('P', 'V'; later 'I', 'T', 'Y') are enum cd_object_subkey in keys.h.  A
 * scan of one kind of sub-key uses the 10-byte prefix O | oid | tag, so values never run
 * into parent links (or later kinds) and the record (9 bytes) sorts before all of them.
 * Child links stay under the parent: listing a node's children is one range.
 *
 * Object numbers.  There is no counter: a new object gets 1 + the number in the last key of
 * the O range (one cursor step, on the leaf the new keys go to anyway).  Numbers must never
 * be reused, so the last key of the O range always carries the highest number ever given:
 *   - creating appends O | last+1 (when the last key was a tombstone, it is dropped: the new
 *     record now carries the highest number);
 *   - deleting an object that is not the last one removes its keys;
 *   - deleting the last object leaves its record key with a one-byte tombstone value (0x00),
 *     which every reader treats as "no such object".
 * So at most one tombstone exists, and only as the last key of the O range.  Every code
 * path that creates objects (CreateObject, a directory's root, later CreateIndex) goes
 * through cd_object_new.
 *
 * The ObjectIdentifier callers see is URL-safe base64 (46 characters) of 34 bytes:
 *
 *   0x01 | the directory's 17 id bytes | oid(8) | tag(8)
 *
 * where tag is 8 random bytes kept in the record: resolving `$id` is one get of O|oid and a
 * check that the record's directory and tag match, so forged or foreign ids are not found.
 * The C and P entries carry the other end's tag, so listings build ids without more gets.
 *
 * Record (compact; GetObjectInformation decodes it whole):
 *   format(1) = 1 | directory number(4) | tag(8) | object type(1) | facet count(1)
 *   then per facet: sid(4) | name length(1) | name | ARN form(1) | ARN length(2) | ARN
 *   ARN form 0: the text follows the directory's own ARN ("/schema/org/1"); 1: whole ARN.
 *   The ARN is the one data-plane responses show (applied, no minor version); an applied
 *   schema's ARN never changes, so keeping it saves a catalog read per GetObjectInformation.
 * Tombstone: the single byte 0x00.
 *
 * Counts are not kept: "has parents / has children" are one cursor seek on O|oid|'P' / C|oid. */
#ifndef CD_OBJECT_H
#define CD_OBJECT_H

#include "catalog.h"
#include "attribute.h"

#define CD_OBJECT_ID_LEN 46
#define CD_OBJECT_ID_BYTES 34

typedef struct cd_objfacet {
    uint32_t sid;
    const char *name;
    const char *schema_arn;   /* full ARN, in the arena */
} cd_objfacet;

typedef struct cd_object {
    uint64_t oid;
    uint32_t dir;             /* directory number */
    unsigned char tag[8];
    cd_object_type type;
    size_t nfacets;
    cd_objfacet *facets;      /* in the arena */
    int depth;                /* links above it (to the root, or to the top of a detached
                                 subtree) when known, e.g. found by a path; else -1 */
} cd_object;

/* Reads object oid of directory d.  ResourceNotFoundException (with a generic message;
 * callers that know the selector say more) when there is none. */
int cd_object_load(cd_ctx *c, const cd_directory *d, uint64_t oid, cd_object *out);
/* Writes (creates or replaces) the record of o. */
int cd_object_store(cd_ctx *c, const cd_directory *d, const cd_object *o);
/* The object's facets, loaded from the catalog into fs (arena). */
int cd_object_facets(cd_ctx *c, cd_directory *d, const cd_object *o, cd_facetset *fs);

/* The ObjectIdentifier of (oid, tag) in d: 46 characters plus NUL into out. */
void cd_object_id_format(const cd_directory *d, uint64_t oid, const unsigned char tag[8],
                         char out[CD_OBJECT_ID_LEN + 1]);
/* The 24 characters every id of d starts with, and the same formatting from them (for
 * listings, which format many ids of one directory). */
#define CD_OBJECT_ID_PREFIX 24
void cd_object_id_prefix(const cd_directory *d, char out[CD_OBJECT_ID_PREFIX]);
void cd_object_id_format_with(const char prefix[CD_OBJECT_ID_PREFIX], uint64_t oid,
                              const unsigned char tag[8], char out[CD_OBJECT_ID_LEN + 1]);
/* The same, in the arena (NULL when out of memory). */
char *cd_object_id(cd_ctx *c, const cd_directory *d, uint64_t oid, const unsigned char tag[8]);
/* A string response member holding the object's id. */
int cd_object_id_member(cd_ctx *c, const cd_directory *d, cd_value *resp, const char *member,
                        uint64_t oid, const unsigned char tag[8]);
/* Splits an ObjectIdentifier of directory d; false when it is not one (wrong length,
 * alphabet, version byte or directory). */
bool cd_object_id_parse(const cd_directory *d, const char *id, size_t n, uint64_t *oid,
                        unsigned char tag[8]);

/* Allocates the next object number (see above) and a tag into o, and writes o's record.
 * The one way objects come into being. */
int cd_object_new(cd_ctx *c, const cd_directory *d, cd_object *o);

/* ---- keys ---- */
#define CD_OBJECT_KEY 9    /* O | oid */
#define CD_OBJECT_SUB 10   /* O | oid | sub-key tag: the prefix of one kind of sub-key */
/* O | oid | tag into k (CD_OBJECT_SUB bytes); returns CD_OBJECT_SUB. */
size_t cd_object_sub_prefix(unsigned char *k, uint64_t oid, unsigned char tag);

/* Link names are at most 64 characters (the model), so at most 256 bytes of UTF-8. */
#define CD_LINK_NAME_BYTES 256
#define CD_CHILD_NAME_AT 9                      /* C | parent | name */
#define CD_PARENT_AT CD_OBJECT_SUB              /* O | child | 'P' | parent | name */
#define CD_PARENT_NAME_AT (CD_OBJECT_SUB + 8)
#define CD_LINK_KEY_MAX (CD_PARENT_NAME_AT + CD_LINK_NAME_BYTES)
size_t cd_child_key(unsigned char *k, uint64_t parent, const char *name, size_t n);
size_t cd_parent_key(unsigned char *k, uint64_t child, uint64_t parent, const char *name,
                     size_t n);
/* Whether any key starts with prefix (one cursor seek). */
int cd_prefix_exists(cd_ctx *c, const void *prefix, size_t n, bool *out);
/* InternalServiceException "the store is damaged: <what>": an entry breaks its layout. */
int cd_damaged(cd_ctx *c, const char *what);

#endif
