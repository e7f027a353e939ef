/* shapes_table.h — the API's shapes as static data (defined in the generated shapes_table.c).
 *
 * Only the shapes reachable from the 66 operations' input shapes are in the table.  The
 * checker (shapes.c) walks requests against it; a later HTTP front can use the member
 * locations and each operation's method and request URI.  Regenerate the table with
 *   lua5.4 csrc/shapes_gen.lua ../shared/reference/clouddirectory-2017-01-11.service.json \
 *       > csrc/shapes_table.c */
#ifndef CD_SHAPES_TABLE_H
#define CD_SHAPES_TABLE_H

#include <stdint.h>
#include <stddef.h>

typedef enum cd_shape_kind {
    CD_SK_STRUCTURE,
    CD_SK_LIST,
    CD_SK_MAP,
    CD_SK_STRING,
    CD_SK_INTEGER,
    CD_SK_BOOLEAN,
    CD_SK_TIMESTAMP,
    CD_SK_BLOB
} cd_shape_kind;

/* The model uses three patterns; the checker matches each with hand-written code. */
typedef enum cd_shape_pattern {
    CD_PAT_NONE,
    CD_PAT_NAME,            /* ^[a-zA-Z0-9._-]*$ */
    CD_PAT_ATTRIBUTE_NAME,  /* ^[a-zA-Z0-9._:-]*$ */
    CD_PAT_LINK_NAME,       /* [^\/\[\]\(\):\{\}#@!?\s\\;]+ (whole string) */
    CD_PAT__COUNT
} cd_shape_pattern;

/* Where a member travels in the REST-JSON protocol (irrelevant to the checker). */
typedef enum cd_shape_location {
    CD_LOC_BODY,
    CD_LOC_HEADER,
    CD_LOC_URI,
    CD_LOC_QUERY
} cd_shape_location;

#define CD_SHAPE_HAS_MIN       0x01u
#define CD_SHAPE_HAS_MAX       0x02u
#define CD_SHAPE_UNION         0x04u  /* structure: exactly one member must be set */
#define CD_SHAPE_NUMBER_STRING 0x08u  /* string holding a number: a number given becomes its text */

typedef struct cd_shape {
    const char *name;
    uint8_t kind;        /* cd_shape_kind */
    uint8_t pattern;     /* cd_shape_pattern (strings) */
    uint8_t flags;       /* CD_SHAPE_* */
    uint8_t count;       /* structure: number of members; string: number of enum values */
    uint16_t first;      /* structure: index in cd_shape_members; string: in cd_shape_enum_values */
    uint16_t member;     /* list: item shape; map: key shape */
    uint16_t value;      /* map: value shape */
    uint64_t required;   /* structure: bit i set when member first+i is required */
    int64_t min, max;    /* lengths (strings: code points; lists, maps: entries) or values */
} cd_shape;

typedef struct cd_shape_member {
    const char *name;
    uint16_t namelen;
    uint16_t shape;             /* index in cd_shapes */
    uint8_t required;           /* also bit (this - first) of the structure's mask */
    uint8_t location;           /* cd_shape_location */
    const char *location_name;  /* header / URI / query name, NULL in the body */
} cd_shape_member;

typedef struct cd_shape_str {
    const char *s;
    uint16_t len;
} cd_shape_str;

typedef struct cd_op_shape {
    const char *name;           /* the operation's name, as in operations.h */
    uint16_t input;             /* index in cd_shapes */
    const char *method;         /* "POST", "PUT", ... */
    const char *request_uri;
    int response_code;
} cd_op_shape;

extern const cd_shape cd_shapes[];
extern const size_t cd_shape_count;
extern const size_t cd_shape_max_depth;  /* longest chain of nested shapes from an input */
extern const cd_shape_member cd_shape_members[];
extern const cd_shape_str cd_shape_enum_values[];
extern const char *const cd_shape_patterns[CD_PAT__COUNT];  /* the model's text, for messages */
extern const cd_op_shape cd_op_shapes[];                    /* indexed by CD_OP_* */

#endif
