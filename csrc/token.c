/* token.c — page tokens and URL-safe base64. */
#include <string.h>
#include "token.h"
#include "store.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t cd_b64url_encode(const void *src, size_t n, char *dst)
{
    const unsigned char *s = src;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t x = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        dst[o++] = b64[x >> 18];
        dst[o++] = b64[(x >> 12) & 63];
        dst[o++] = b64[(x >> 6) & 63];
        dst[o++] = b64[x & 63];
    }
    if (n - i == 1) {
        uint32_t x = (uint32_t)s[i] << 16;
        dst[o++] = b64[x >> 18];
        dst[o++] = b64[(x >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t x = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        dst[o++] = b64[x >> 18];
        dst[o++] = b64[(x >> 12) & 63];
        dst[o++] = b64[(x >> 6) & 63];
    }
    return o;
}

/* The value of each base64url character, -1 for any other byte: decoding object ids is on
 * the path of every data-plane call. */
static const signed char b64val[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

size_t cd_b64url_decode(const char *src, size_t n, unsigned char *dst)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    if (n % 4 == 1)
        return (size_t)-1;
    for (; i + 4 <= n; i += 4) {
        int a = b64val[s[i]], b = b64val[s[i + 1]], c = b64val[s[i + 2]], d = b64val[s[i + 3]];
        if ((a | b | c | d) < 0)
            return (size_t)-1;
        uint32_t x = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        dst[o++] = (unsigned char)(x >> 16);
        dst[o++] = (unsigned char)(x >> 8);
        dst[o++] = (unsigned char)x;
    }
    if (i < n) {   /* 2 or 3 characters left: 1 or 2 bytes, the unused bits must be 0 */
        int a = b64val[s[i]], b = b64val[s[i + 1]], c = n - i == 3 ? b64val[s[i + 2]] : 0;
        if ((a | b | c) < 0)
            return (size_t)-1;
        uint32_t x = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        dst[o++] = (unsigned char)(x >> 16);
        if (n - i == 3)
            dst[o++] = (unsigned char)(x >> 8);
        if (x & (n - i == 3 ? 0xffu : 0xffffu))   /* non-canonical trailing bits */
            return (size_t)-1;
    }
    return o;
}

/* SipHash-2-4 (Aumasson & Bernstein), keyed by the store secret. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                     \
    do {                                                                             \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                    \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                       \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                       \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                    \
    } while (0)

static uint64_t le64(const unsigned char *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

static uint64_t siphash(const unsigned char key[16], const unsigned char *m, size_t n)
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    uint64_t b = (uint64_t)n << 56;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = le64(m + i);
        v3 ^= w;
        SIPROUND;
        SIPROUND;
        v0 ^= w;
    }
    for (size_t j = 0; i + j < n; j++)
        b |= (uint64_t)m[i + j] << (8 * j);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

#define TOKEN_VERSION 1
#define TOKEN_MAX_RESUME 2048

/* mac over: op | scope length | scope | resume */
static uint64_t token_mac(cd_ctx *c, const void *scope, size_t scope_n, const void *resume,
                          size_t resume_n, unsigned char *tmp)
{
    size_t n = 0;
    tmp[n++] = (unsigned char)c->op;
    tmp[n++] = (unsigned char)(scope_n >> 8);
    tmp[n++] = (unsigned char)scope_n;
    memcpy(tmp + n, scope, scope_n);
    n += scope_n;
    memcpy(tmp + n, resume, resume_n);
    n += resume_n;
    return siphash(cd_store_secret(c->store), tmp, n);
}

char *cd_token_make(cd_ctx *c, const void *scope, size_t scope_n, const void *resume,
                    size_t resume_n)
{
    if (scope_n > 0xffff || resume_n > TOKEN_MAX_RESUME)
        return NULL;
    unsigned char *tmp = cd_arena_alloc(c->a, 3 + scope_n + resume_n);
    unsigned char *raw = cd_arena_alloc(c->a, 1 + resume_n + 8);
    if (!tmp || !raw)
        return NULL;
    uint64_t mac = token_mac(c, scope, scope_n, resume, resume_n, tmp);
    raw[0] = TOKEN_VERSION;
    memcpy(raw + 1, resume, resume_n);
    for (int i = 0; i < 8; i++)
        raw[1 + resume_n + i] = (unsigned char)(mac >> (8 * i));
    size_t rn = 1 + resume_n + 8;
    char *out = cd_arena_alloc(c->a, CD_B64URL_LEN(rn) + 1);
    if (!out)
        return NULL;
    out[cd_b64url_encode(raw, rn, out)] = '\0';
    return out;
}

int cd_token_read(cd_ctx *c, const cd_value *req, const void *scope, size_t scope_n,
                  const unsigned char **resume, size_t *resume_n)
{
    size_t n;
    const char *tok = cd_get_str(req, "NextToken", &n);
    *resume = NULL;
    *resume_n = 0;
    if (!tok)
        return 0;
    if (n == 0 || n > CD_B64URL_LEN(TOKEN_MAX_RESUME + 9) || scope_n > 0xffff)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    unsigned char *raw = cd_arena_alloc(c->a, n);
    if (!raw)
        return cd_oom(c);
    size_t rn = cd_b64url_decode(tok, n, raw);
    if (rn == (size_t)-1 || rn < 9 || raw[0] != TOKEN_VERSION)
        return cd_fail(c->err, CD_E_InvalidNextTokenException, "the NextToken is not valid");
    size_t kn = rn - 9;
    unsigned char *tmp = cd_arena_alloc(c->a, 3 + scope_n + kn);
    if (!tmp)
        return cd_oom(c);
    uint64_t mac = token_mac(c, scope, scope_n, raw + 1, kn, tmp), got = 0;
    for (int i = 7; i >= 0; i--)
        got = (got << 8) | raw[1 + kn + i];
    if (mac != got)
        return cd_fail(c->err, CD_E_InvalidNextTokenException,
                       "the NextToken was not issued for this request");
    *resume = raw + 1;
    *resume_n = kn;
    return 0;
}
