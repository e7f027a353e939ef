/* token.h — opaque, self-validating page tokens.
 *
 * A token carries the key to resume after (so paging stays correct while the directory
 * changes: items inserted before the resume point are skipped, later ones are seen) plus
 * a checksum keyed by the store's secret over (operation, scope, resume key).  A token that
 * was forged, damaged, or minted for another operation or scope (another parent object,
 * another directory, ...) is rejected with InvalidNextTokenException. */
#ifndef CD_TOKEN_H
#define CD_TOKEN_H

#include "engine.h"

/* Returns a NUL-terminated token string in the arena, or NULL when out of memory. */
char *cd_token_make(cd_ctx *c, const void *scope, size_t scope_n, const void *resume,
                    size_t resume_n);
/* Decodes the request's NextToken member.  *resume is NULL (and *resume_n 0) when the
 * request has no token.  Returns 0 or InvalidNextTokenException. */
int cd_token_read(cd_ctx *c, const cd_value *req, const void *scope, size_t scope_n,
                  const unsigned char **resume, size_t *resume_n);

/* URL-safe base64 without padding (also how object and directory ids are spelt). */
size_t cd_b64url_encode(const void *src, size_t n, char *dst);          /* returns chars */
/* Returns bytes written, or (size_t)-1 on a character outside the alphabet. */
size_t cd_b64url_decode(const char *src, size_t n, unsigned char *dst);
#define CD_B64URL_LEN(n) (((n) * 4 + 2) / 3)

#endif
