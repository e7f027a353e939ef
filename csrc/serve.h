/* serve.h — `clouddir serve`: the Cloud Directory REST-JSON protocol over HTTP/1.1.
 *
 * The transport is libmicrohttpd; the encoding is wire_json.c; every request runs through
 * cd_call like any other front.  See serve.c for the process model. */
#ifndef CD_SERVE_H
#define CD_SERVE_H

#include <stddef.h>
#include "clouddir.h"

/* One request as it arrived, for a request verifier (AWS Signature Version 4).  Header
 * names are as the client sent them (compare case-insensitively); the query parameters are
 * URL-decoded.  Everything here is valid for the duration of the verifier call only. */
typedef struct cd_http_pair {
    const char *name, *value;
} cd_http_pair;

typedef struct cd_http_request {
    const char *method;              /* "PUT", "POST", ... */
    const char *path;                /* "/amazonclouddirectory/2017-01-11/object" */
    const cd_http_pair *query;       /* query parameters, in arrival order */
    size_t nquery;
    const cd_http_pair *headers;     /* request headers, in arrival order */
    size_t nheaders;
    const char *body;                /* the whole body (not NUL-terminated) */
    size_t body_len;
} cd_http_request;

/* Why a request was refused: sent as a 403 with this error name and message. */
typedef struct cd_http_rejection {
    const char *error_type;          /* e.g. "InvalidSignatureException"; NULL = AccessDenied */
    char message[512];
} cd_http_rejection;

/* Called for every request that reached a known operation, before anything is decoded or
 * run.  Returns 0 to accept, nonzero to refuse (after filling *why).  Runs in a worker
 * process; ctx is cd_serve_config.verify_ctx. */
typedef int (*cd_http_verifier)(void *ctx, const cd_http_request *rq, cd_http_rejection *why);

typedef struct cd_serve_config {
    const char *store;               /* the store folder */
    cd_options options;              /* how each worker opens it */
    const char *host;                /* numeric address or name; default 127.0.0.1 */
    const char *port;                /* default 7070; 0 picks a free port */
    unsigned workers;                /* worker processes; 0 = one per CPU (at least 2) */
    size_t max_body;                 /* bytes; default 1 MiB */
    unsigned timeout;                /* seconds of client silence before closing; default 60 */
    cd_http_verifier verify;         /* NULL: every signature is accepted */
    void *verify_ctx;
} cd_serve_config;

/* Serves until SIGTERM or SIGINT, then closes the store; returns the exit status. */
int cd_serve(const cd_serve_config *cfg);

/* `clouddir serve [options] STORE` (argv[0] is "serve"); returns the exit status. */
int cd_serve_main(int argc, char **argv);

#endif
