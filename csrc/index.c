/* index.c — indexes (issue 3): being written. */
#include "graph.h"

int cd_index_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    (void)c, (void)d, (void)o;
    return 0;
}

int cd_index_value_changed(cd_ctx *c, const cd_directory *d, const cd_object *o,
                           const cd_slot *slot)
{
    (void)c, (void)d, (void)o, (void)slot;
    return 0;
}

int cd_index_facets_changed(cd_ctx *c, const cd_directory *d, const cd_object *before,
                            const cd_object *after)
{
    (void)c, (void)d, (void)before, (void)after;
    return 0;
}

const cd_handler_entry cd_index_handlers[] = {
    {-1, NULL},
};
