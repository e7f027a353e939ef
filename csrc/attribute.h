/* attribute.h — attribute values of objects: the six types, their stored form, and how an
 * AttributeKey {SchemaArn, FacetName, Name} finds its storage slot on an object.
 *
 * Storage.  Every value lives under its slot, the (schema, facet, attribute) of the
 * attribute *definition*; attribute references share their target's slot, so every alias
 * reads and writes the same value:
 *
 *   O | oid (8, BE) | 'V' | sid (4, BE) | facet name | 0x00 | attribute name   ->   value
 *   value = type byte (cd_attr_type) | STRING: UTF-8 bytes | BINARY: bytes |
 *           BOOLEAN: 1 byte | NUMBER: the decimal string as given | DATETIME: ms (8, BE)
 *
 * The values sit among the object's other sub-keys (object.h), under the 10-byte prefix
 * O | oid | 'V'.  Names cannot contain 0x00 (their patterns forbid it), so the values of
 * one object sort by schema, then facet, then attribute, and one facet's values are one key
 * range. */
#ifndef CD_ATTRIBUTE_H
#define CD_ATTRIBUTE_H

#include "catalog.h"

/* One value of one of the five concrete types (VARIANT is a property of attributes, not of
 * values).  p/n point into the request, the arena or the transaction's memory. */
typedef struct cd_attrval {
    cd_attr_type type;    /* never CD_ATTR_VARIANT */
    const char *p;        /* STRING, BINARY, NUMBER */
    size_t n;
    bool b;               /* BOOLEAN */
    int64_t ms;           /* DATETIME: milliseconds since the epoch */
} cd_attrval;

/* Reads a TypedAttributeValue ({StringValue = ...} etc., exactly one member).  `what` names
 * it in messages.  ValidationException when it has no usable member; FacetValidationException
 * when a NumberValue is not a decimal number. */
int cd_attrval_read(cd_ctx *c, const cd_value *tv, const char *what, cd_attrval *out);
/* The TypedAttributeValue of a value, in the arena (NULL when out of memory). */
cd_value *cd_attrval_typed(cd_arena *a, const cd_attrval *v);
bool cd_attrval_equal(const cd_attrval *x, const cd_attrval *y);
/* Stored form (see above). */
bool cd_attrval_encode(cd_buf *b, const cd_attrval *v);
/* Decodes a stored value; p/n of the result point into src.  false when malformed. */
bool cd_attrval_decode(const void *src, size_t n, cd_attrval *out);

/* ---- slots ---- */
typedef struct cd_slot {
    uint32_t sid;
    const char *facet;
    const char *attr;
} cd_slot;

#define CD_SLOT_AT 10   /* where the slot starts in a value key: after O | oid | 'V' */
#define CD_SLOT_KEY_MAX (CD_SLOT_AT + 4 + 64 + 1 + 230)
/* Writes the value key of (oid, slot) into buf (CD_SLOT_KEY_MAX bytes); returns its length,
 * or 0 when a name is too long to be one. */
size_t cd_slot_key(unsigned char *buf, uint64_t oid, const cd_slot *s);
/* The value key prefix of one object (CD_SLOT_AT bytes; facet NULL) or of one facet of one
 * object. */
size_t cd_slot_prefix(unsigned char *buf, uint64_t oid, uint32_t sid, const char *facet);
/* Splits the part of a value key from CD_SLOT_AT on; false when malformed. */
bool cd_slot_parse(const unsigned char *k, size_t n, cd_slot *out, cd_arena *a);
bool cd_slot_equal(const cd_slot *x, const cd_slot *y);

/* ---- resolving attribute keys against the facets of one object ---- */

/* The facets of one object, loaded from the catalog. */
typedef struct cd_facetset {
    cd_directory *d;
    size_t n;
    cd_facet **f;
    /* What the set is, for messages about a key outside it: NULL for an object's facets,
     * else e.g. "the SchemaFacets the object is created with". */
    const char *what;
} cd_facetset;

/* An AttributeKey (or a facet plus an attribute name) resolved to a slot. */
typedef struct cd_attrref {
    const cd_facet *facet;    /* the facet the key names */
    const cd_attrdef *def;    /* its attribute; NULL for an attribute of a dynamic facet */
    cd_slot slot;
    cd_attr_type type;        /* VARIANT for dynamic facets */
    bool on_object;           /* the key's facet is one of the object's facets */
} cd_attrref;

/* Resolves an AttributeKey value against fs: the key's facet must be on the object, or the
 * slot must be shared with (referenced by) an attribute of a facet on the object.
 * InvalidArnException / ResourceNotFoundException / FacetValidationException from the
 * catalog for an unknown schema or facet (cd_facet_find); FacetValidationException for an
 * attribute the facet does not define, or one the object has no facet for. */
int cd_attr_resolve(cd_ctx *c, const cd_facetset *fs, const cd_value *key, const char *what,
                    cd_attrref *out);
/* The same for an attribute named in a facet that is already loaded. */
int cd_attr_resolve_in(cd_ctx *c, const cd_facetset *fs, const cd_facet *f, const char *name,
                       const char *what, cd_attrref *out);
/* The slot of an attribute of a loaded facet (a reference's target, or the attribute). */
cd_slot cd_attr_slot(const cd_facet *f, const cd_attrdef *def);
/* Whether some facet of fs defines or references slot s (dynamic facets cover their own
 * facet's slots).  *required is set when any of those attributes is REQUIRED_ALWAYS, and
 * *immutable when any is immutable. */
bool cd_facetset_covers(const cd_facetset *fs, const cd_slot *s, bool *required,
                        bool *immutable);

/* Checks a value written to an attribute: type, rules, size (2 KB; policy_document 10 KB
 * under limits = "aws" -> LimitExceededException).  FacetValidationException naming the
 * facet and attribute otherwise. */
int cd_attr_check_value(cd_ctx *c, const cd_attrref *r, const cd_attrval *v);

/* "org/1 Person.age" — how messages name an attribute. */
const char *cd_attr_label(cd_ctx *c, const cd_facet *f, const char *attr);

#endif
