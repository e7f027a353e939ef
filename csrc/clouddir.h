/* clouddir.h — the public C API of libclouddir.
 *
 * A store is one folder holding one LMDB environment with any number of schemas and
 * directories.  Every operation of the Cloud Directory API (2017-01-11) is reached through
 * cd_call with a request value (see value.h); the request is checked against the API's
 * shapes, then run as exactly one transaction. */
#ifndef CLOUDDIR_H
#define CLOUDDIR_H

#include <stdbool.h>
#include <stddef.h>
#include "value.h"
#include "error.h"
#include "operations.h"

#define CLOUDDIR_VERSION "0.1.0"

typedef struct cd_store cd_store;

typedef enum cd_limits {
    CD_LIMITS_AWS = 0,   /* enforce the service's published limits with its exceptions */
    CD_LIMITS_NONE = 1   /* lift every cap that exists only because of the service */
} cd_limits;

typedef struct cd_options {
    bool sync;            /* durable commits (default true) */
    size_t map_size;      /* initial map size in bytes (0 = default); grows when full */
    const char *region;   /* default "us-east-1" */
    const char *account;  /* default "123456789012" */
    cd_limits limits;     /* default CD_LIMITS_AWS */
} cd_options;

void cd_options_default(cd_options *o);

/* Opens the store folder at path (created if missing). */
int cd_open(const char *path, const cd_options *o, cd_store **out, cd_error *err);
/* A second handle on the environment of an open store (same folder, same process), with
 * its own options.  Each handle closes independently; the environment closes with the last. */
int cd_open_shared(cd_store *s, const cd_options *o, cd_store **out, cd_error *err);
void cd_close(cd_store *s);   /* NULL is fine */
int cd_sync(cd_store *s, cd_error *err);
const cd_options *cd_store_options(const cd_store *s);
/* Bytes of the data file in use and the current map size. */
int cd_store_stat(cd_store *s, size_t *used_bytes, size_t *map_bytes, cd_error *err);

/* Runs one operation.  req is checked (and normalised in place: blobs, timestamps, numbers)
 * against the operation's input shape; *resp is allocated in the arena a.  Returns 0 or the
 * cd_code also stored in err. */
int cd_call(cd_store *s, int op, cd_value *req, cd_arena *a, cd_value **resp, cd_error *err);
int cd_call_named(cd_store *s, const char *op, cd_value *req, cd_arena *a, cd_value **resp,
                  cd_error *err);

#endif
