/* wire_json.h — the REST-JSON encoding of the API (2017-01-11) on top of the value model.
 *
 * A request on the wire is a JSON body plus members that travel in HTTP headers (the
 * model's `location`: x-amz-data-partition, x-amz-consistency-level).  These functions
 * turn that into the same cd_value request every other front builds, and a response or an
 * error back into the JSON the AWS SDKs parse.  No HTTP here: serve.c owns the transport. */
#ifndef CD_WIRE_JSON_H
#define CD_WIRE_JSON_H

#include <stddef.h>
#include "value.h"
#include "error.h"

/* Where a member that is not in the body comes from: the transport answers a lookup by the
 * model's location name (a header name, case-insensitive; or a query parameter).  Returns
 * NULL when the request has no such header / parameter. */
typedef struct cd_wire_source {
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
} cd_wire_source;

/* Wire-level error names that are not API exceptions but that the SDKs know. */
#define CD_WIRE_SERIALIZATION "SerializationException"        /* body is not the JSON asked for */
#define CD_WIRE_UNKNOWN_OP    "UnknownOperationException"     /* no operation at this path */
#define CD_WIRE_TOO_LARGE     "RequestEntityTooLargeException"

/* Builds the request of operation op from body[0..len) (empty means {}) and src.  Blobs are
 * base64-decoded here, guided by the input shape, so the checker sees bytes.  On failure
 * returns nonzero and sets *wire_error to a name above (or NULL for an API exception in
 * err) with the message in err. */
int cd_wire_decode_request(int op, const char *body, size_t len, const cd_wire_source *src,
                           cd_arena *a, cd_value **out, const char **wire_error, cd_error *err);

/* The JSON text of a response value (timestamps as epoch seconds, blobs as base64); the
 * text lives in the arena.  NULL when out of memory or a string is not valid UTF-8. */
char *cd_wire_encode_response(const cd_value *resp, cd_arena *a, size_t *len);

/* The HTTP status of an error: the model's code for API exceptions (semantics §12). */
int cd_wire_error_status(int code);
/* The name an error travels under: API exceptions keep theirs; a store failure is an
 * InternalServiceException. */
const char *cd_wire_error_name(int code);
/* {"__type": name, "Message": message[, "Index": n, "Type": type]} in the arena. */
char *cd_wire_encode_error(const char *name, const cd_error *err, cd_arena *a, size_t *len);

#endif
