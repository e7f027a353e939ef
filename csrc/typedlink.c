/* typedlink.c — typed links (issue 3): being written. */
#include "graph.h"

int cd_typedlink_check_delete(cd_ctx *c, const cd_directory *d, const cd_object *o)
{
    (void)c, (void)d, (void)o;
    return 0;
}

const cd_handler_entry cd_typedlink_handlers[] = {
    {-1, NULL},
};
