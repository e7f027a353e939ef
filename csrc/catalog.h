/* catalog.h — what the data plane reads from the control plane: directories, and facets
 * with their attribute definitions.  Implemented by directory.c and schema_model.c;
 * used by object.c, hierarchy.c and every later concept. */
#ifndef CD_CATALOG_H
#define CD_CATALOG_H

#include "engine.h"

typedef enum cd_attr_type {
    CD_ATTR_STRING, CD_ATTR_BINARY, CD_ATTR_BOOLEAN, CD_ATTR_NUMBER, CD_ATTR_DATETIME,
    CD_ATTR_VARIANT
} cd_attr_type;

typedef enum cd_object_type {
    CD_OT_NONE = -1,   /* a dynamic facet without an object type */
    CD_OT_NODE, CD_OT_LEAF_NODE, CD_OT_POLICY, CD_OT_INDEX
} cd_object_type;

typedef enum cd_dir_state { CD_DIR_ENABLED, CD_DIR_DISABLED, CD_DIR_DELETED } cd_dir_state;

/* One attribute of a facet.  For an attribute reference, type/default/immutable/rules are
 * those of its target (filled in when the facet is loaded), and target_* name the storage
 * slot the reference shares with its definition. */
typedef struct cd_attrdef {
    const char *name;
    bool required;              /* REQUIRED_ALWAYS (this attribute's own behaviour) */
    bool is_reference;
    const char *target_facet;   /* the slot: the definition's facet and attribute name */
    const char *target_attr;    /* (for a definition: its own facet and name) */
    uint32_t target_sid;        /* the slot's schema number: the facet's own sid, except for
                                   policy_type / policy_document of a POLICY facet, whose slot
                                   is the base schema's POLICY facet (CD_BASE_SCHEMA_SID) */
    cd_attr_type type;
    bool immutable;
    const cd_value *default_value;  /* TypedAttributeValue map, or NULL */
    const cd_value *rules;          /* RuleMap (name -> {Type, Parameters}), or NULL */
} cd_attrdef;

typedef struct cd_facet {
    uint32_t sid;               /* internal number of the schema holding the facet */
    const char *schema_arn;     /* as data-plane responses spell it (applied, no minor) */
    const char *name;
    cd_object_type object_type;
    bool dynamic;               /* FacetStyle DYNAMIC */
    size_t nattrs;
    cd_attrdef *attrs;          /* sorted by name */
} cd_facet;

typedef struct cd_directory {
    uint32_t num;               /* internal directory number */
    const char *id;             /* DirectoryId (23 chars) */
    const char *arn;
    const char *name;
    cd_dir_state state;
    int64_t created_ms;
    uint64_t root;              /* internal object number of the root */
} cd_directory;

/* The schema number of the built-in base schema <DirectoryArn>/schema/CloudDirectory/1.0
 * (facets NODE, LEAF_NODE, POLICY, INDEX), which every directory has and no listing shows. */
#define CD_BASE_SCHEMA_SID 0u

/* A directory by ARN: InvalidArnException when the ARN is not a directory ARN,
 * ResourceNotFoundException when no such directory exists. */
int cd_directory_find(cd_ctx *c, const char *arn, cd_directory **out);
/* The same, for data-plane operations: also DirectoryNotEnabledException unless ENABLED. */
int cd_directory_enabled(cd_ctx *c, const char *arn, cd_directory **out);
/* The enabled directory a data-plane request names in its DirectoryArn member. */
int cd_request_directory(cd_ctx *c, const cd_value *req, cd_directory **out);

/* A facet named by a SchemaFacet value {SchemaArn, FacetName} as data-plane requests give
 * it: an applied schema of the directory (without minor version), or the base schema.
 * InvalidArnException / ResourceNotFoundException for a bad or unknown schema ARN (an
 * applied ARN with a minor version is InvalidArnException),
 * ResourceNotFoundException when this directory has no such applied schema,
 * FacetValidationException when the ARN is another directory's or the schema has no such
 * facet (no data-plane operation lists FacetNotFoundException). */
int cd_facet_find(cd_ctx *c, const cd_directory *d, const cd_value *schema_facet,
                  cd_facet **out);
/* A facet by schema number and name (how objects remember their facets). */
int cd_facet_by_sid(cd_ctx *c, const cd_directory *d, uint32_t sid, const char *name,
                    cd_facet **out);
/* An attribute of a loaded facet by name, or NULL. */
const cd_attrdef *cd_facet_attr(const cd_facet *f, const char *name);

/* Implemented by the object layer (object.c): creates the root node of a new directory and
 * returns its internal number.  Called by CreateDirectory inside its transaction. */
int cd_object_create_root(cd_ctx *c, cd_directory *d, uint64_t *root);
/* Also object.c: the ObjectIdentifier (46 characters, NUL-terminated, in the arena) of
 * object `oid` of directory d — e.g. the root's, for CreateDirectory's response.
 * ResourceNotFoundException when d has no such object. */
int cd_object_identifier(cd_ctx *c, const cd_directory *d, uint64_t oid, const char **id);

#endif
