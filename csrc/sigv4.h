/* sigv4.h — AWS Signature Version 4 verification for `clouddir serve`.
 *
 * The SDKs and aws-cli sign every request with an Authorization header
 *   AWS4-HMAC-SHA256 Credential=AKID/YYYYMMDD/REGION/SERVICE/aws4_request,
 *                    SignedHeaders=h1;h2;..., Signature=<64 hex>
 * over a canonical form of the request.  The verifier rebuilds that form from what arrived,
 * signs it with the configured secret and compares.  The region is whatever the client
 * signed for (it only has to be consistent within the request); the service must be
 * "clouddirectory".  See sigv4.c for which error each refusal carries. */
#ifndef CD_SIGV4_H
#define CD_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "serve.h"

#define CD_SIGV4_MAX_SKEW 900  /* seconds between x-amz-date and the server's clock */

typedef struct cd_sigv4_verifier {
    char access_key[129];
    char secret_key[129];
    const char *service;          /* "clouddirectory"; the test suite uses "service" */
} cd_sigv4_verifier;

/* Fills v from an access key id and secret; 0 on success, nonzero (message in err) if
 * either is empty or too long. */
int cd_sigv4_init(cd_sigv4_verifier *v, const char *access_key, const char *secret_key,
                  char *err, size_t errlen);

/* Reads [profile] (NULL: "default") of an INI file shaped like ~/.aws/credentials
 * (aws_access_key_id = ..., aws_secret_access_key = ...) into v. */
int cd_sigv4_load_credentials(cd_sigv4_verifier *v, const char *path, const char *profile,
                              char *err, size_t errlen);

/* A cd_http_verifier (ctx is a cd_sigv4_verifier): checks rq against the clock. */
int cd_sigv4_verify(void *ctx, const cd_http_request *rq, cd_http_rejection *why);

/* The same at a given time (for tests).  rq->path is the decoded path. */
int cd_sigv4_verify_at(const cd_sigv4_verifier *v, const cd_http_request *rq, time_t now,
                       cd_http_rejection *why);

#endif
