/* shapes.h — every request is checked once against the API's input shapes.
 *
 * The table of shapes (shapes_table.c) is generated from the API model by
 * csrc/shapes_gen.lua; this checker walks a request against it. */
#ifndef CD_SHAPES_H
#define CD_SHAPES_H

#include "value.h"
#include "error.h"

/* Checks req against the input shape of operation op and normalises it in place:
 *  - a string given for a blob member becomes CDV_BYTES;
 *  - a number given for a timestamp member (seconds, fractions kept) becomes CDV_TIME (ms);
 *  - a number given for a NumberValue member becomes its decimal string;
 *  - an empty map given for a list member becomes an empty list, and vice versa.
 * Anything else that does not fit (missing required member, unknown member, wrong type,
 * enum, pattern, length, range, a union with zero or two members) is a ValidationException
 * whose message names the member by its path, e.g. "SchemaFacets[2].FacetName". */
int cd_shape_check(int op, cd_value *req, cd_arena *a, cd_error *err);

#endif
