/* arn.h — the ARNs of Cloud Directory: parsing and building.
 *
 *   directory              arn:aws:clouddirectory:R:A:directory/<DirectoryId>
 *   development schema     arn:aws:clouddirectory:R:A:schema/development/<Name>
 *   published schema       arn:aws:clouddirectory:R:A:schema/published/<Name>/<Version>[/<Minor>]
 *   applied schema         arn:aws:clouddirectory:R:A:directory/<Id>/schema/<Name>/<Version>[/<Minor>]
 *   base schema            arn:aws:clouddirectory:R:A:directory/<Id>/schema/CloudDirectory/1.0
 *                          (never with a minor version)
 *   managed schema         arn:aws:clouddirectory:::schema/managed/<Name>/<Version>[/<Minor>]
 *
 * R and A are the calling handle's region and account (c->opt).  An ARN that is well formed
 * but names another region or account is a resource this store cannot have:
 * ResourceNotFoundException.  Anything else that does not fit is InvalidArnException. */
#ifndef CD_ARN_H
#define CD_ARN_H

#include "engine.h"

/* Bit values, so a caller can accept a set of kinds. */
typedef enum cd_arn_kind {
    CD_ARN_DIRECTORY   = 1u << 0,
    CD_ARN_DEVELOPMENT = 1u << 1,
    CD_ARN_PUBLISHED   = 1u << 2,
    CD_ARN_APPLIED     = 1u << 3,
    CD_ARN_BASE        = 1u << 4,
    CD_ARN_MANAGED     = 1u << 5,
} cd_arn_kind;

#define CD_ARN_ANY_SCHEMA \
    (CD_ARN_DEVELOPMENT | CD_ARN_PUBLISHED | CD_ARN_APPLIED | CD_ARN_BASE | CD_ARN_MANAGED)

/* The base schema every directory has. */
#define CD_BASE_SCHEMA_NAME "CloudDirectory"
#define CD_BASE_SCHEMA_VERSION "1.0"

typedef struct cd_arn {
    cd_arn_kind kind;
    const char *text;          /* the ARN as given (NUL-terminated, in the arena) */
    const char *directory_id;  /* directory, applied, base; else NULL */
    const char *name;          /* schema name; NULL for a directory */
    const char *version;       /* published, applied, base, managed; else NULL */
    const char *minor;         /* NULL when the ARN has no minor version */
} cd_arn;

/* Parses arn (len bytes) and checks that its kind is one of `kinds`.  `member` names the
 * request member in messages ("SchemaArn").  Returns 0, InvalidArnException (malformed, or
 * a kind not accepted here) or ResourceNotFoundException (another region or account). */
int cd_arn_parse(cd_ctx *c, const char *member, const char *arn, size_t len, unsigned kinds,
                 cd_arn *out);
/* The same for a string member of a request; a missing member is a ValidationException. */
int cd_arn_member(cd_ctx *c, const cd_value *req, const char *member, unsigned kinds,
                  cd_arn *out);

/* "a published schema ARN" — for messages. */
const char *cd_arn_kind_text(cd_arn_kind kind);

/* Builders: NUL-terminated ARNs in the call's arena (NULL when out of memory).
 * minor may be NULL or "" for none. */
char *cd_arn_directory(cd_ctx *c, const char *directory_id);
char *cd_arn_development(cd_ctx *c, const char *name);
char *cd_arn_published(cd_ctx *c, const char *name, const char *version, const char *minor);
/* directory_arn is the directory's own ARN. */
char *cd_arn_applied(cd_ctx *c, const char *directory_arn, const char *name,
                     const char *version, const char *minor);
char *cd_arn_base(cd_ctx *c, const char *directory_arn);
char *cd_arn_managed(cd_ctx *c, const char *name, const char *version, const char *minor);

#endif
