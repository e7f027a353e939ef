/* tags.c — placeholder: the operations of this concept are being written. */
#include "engine.h"

const cd_handler_entry cd_tag_handlers[] = {
    {-1, NULL},
};
