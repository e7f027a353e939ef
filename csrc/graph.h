/* graph.h — how typed links (typedlink.c), indexes (index.c) and policies (policy.c) take
 * part in the life of objects.  object.c calls these hooks inside the same transaction as
 * the change, so links and index entries never disagree with the objects they name. */
#ifndef CD_GRAPH_H
#define CD_GRAPH_H

#include "object.h"

/* DeleteObject asks each concept whether the object may go (semantics §4.5): typed links
 * in or out and policy attachments (either side) → StillContainsLinksException; index
 * attachments (either side) → ObjectNotDetachedException.  0 when nothing blocks. */
int cd_typedlink_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o);
int cd_policy_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o);
int cd_index_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o);

/* A value of the object was written or deleted (UpdateObjectAttributes, AddFacetToObject,
 * RemoveFacetFromObject): index entries of the object follow it, or become missing-value
 * entries; a unique index refuses a duplicate with LinkNameAlreadyInUseException. */
int cd_index_value_changed(cd_ctx *c, const cd_directory *d, const cd_object *o,
                           const cd_slot *slot);
/* The object's set of facets changed (AddFacetToObject, RemoveFacetFromObject): entries in
 * facet-based indexes (CloudDirectory/1.0 "facets") follow. */
int cd_index_facets_changed(cd_ctx *c, const cd_directory *d, const cd_object *before,
                            const cd_object *after);

#endif
