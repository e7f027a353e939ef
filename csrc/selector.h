/* selector.h — resolving ObjectReference selectors to objects.
 *
 *   "/"             the directory's root
 *   "/a/b/c"        child links followed from the root: one get per link name.  One trailing
 *                   "/" is ignored ("/a/b/" is "/a/b"); an empty link name ("/a//b") names
 *                   nothing (no link can have an empty name), so it is not found.  Under
 *                   limits = "aws" a path of more than 15 links is a LimitExceededException
 *                   (no object can be that deep).
 *   "$id", "$\"id\""  an ObjectIdentifier, bare or in double quotes (both forms are in use)
 *   "#name"         a batch reference: only inside BatchWrite, where c->batch is set
 *
 * Anything else, and any selector that names no object of the directory, is a
 * ResourceNotFoundException whose message names the selector. */
#ifndef CD_SELECTOR_H
#define CD_SELECTOR_H

#include "object.h"

#define CD_AWS_PATH_DEPTH 15

/* The BatchWrite engine resolves #name references.  When c->batch is not NULL it points at
 * a struct whose first member is a cd_batch_hook; resolve returns 0 and the object number,
 * or an error (ResourceNotFoundException for an unknown name). */
typedef struct cd_batch_hook {
    int (*resolve)(cd_ctx *c, const char *name, size_t n, uint64_t *oid);
} cd_batch_hook;

/* Resolves ref (an ObjectReference value {Selector = "..."}) in directory d and loads the
 * object.  `member` names the request member in messages ("ParentReference"). */
int cd_select(cd_ctx *c, const cd_directory *d, const cd_value *ref, const char *member,
              cd_object *out);
/* The same for selector text. */
int cd_select_text(cd_ctx *c, const cd_directory *d, const char *sel, size_t n,
                   const char *member, cd_object *out);

#endif
