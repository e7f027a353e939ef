/* sigv4.c — AWS Signature Version 4 verification (header form, AWS4-HMAC-SHA256).
 *
 * Refusals, all HTTP 403 (the names AWS's JSON services use, so the SDKs raise the
 * matching exception class):
 *   MissingAuthenticationTokenException  no Authorization header at all;
 *   IncompleteSignatureException         an Authorization header that cannot be parsed,
 *                                        or a required part (x-amz-date, host) not signed;
 *   UnrecognizedClientException          an access key id other than the server's;
 *   InvalidSignatureException            the signature does not match, the payload hash
 *                                        does not match the body, or x-amz-date is more
 *                                        than 15 minutes off the server's clock.
 * AccessDeniedException stays the model's own 403 (authorization, not authentication).
 *
 * The canonical request of a non-S3 service: the URI path encoded twice (the SDKs encode
 * each segment for the wire, then once more for signing), the query string with names and
 * values encoded and sorted, the signed headers lower-case with trimmed, space-collapsed
 * values joined by ',' when repeated, and the SHA-256 of the body. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include "sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* ---------------------------------------------------------------- a growable string */

typedef struct strbuf {
    char *p;
    size_t len, cap;
    bool oom;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_chr(strbuf *b, char c) { sb_add(b, &c, 1); }

/* RFC 3986 percent-encoding of everything but the unreserved set (and '/' if asked). */
static void sb_uri_encode(strbuf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/'))
            sb_chr(b, (char)c);
        else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sb_add(b, e, 3);
        }
    }
}

/* ---------------------------------------------------------------- hashing */

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(data, n, d);
    to_hex(d, sizeof d, out);
}

static void hmac(const void *key, size_t keylen, const char *msg, size_t msglen,
                 unsigned char out[32])
{
    unsigned int outlen = 32;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, out, &outlen);
}

/* ---------------------------------------------------------------- the Authorization header */

typedef struct authorization {
    char access_key[129];
    char date[9];          /* YYYYMMDD */
    char region[64];
    char service[64];
    char signed_headers[1024];
    char signature[65];
} authorization;

/* Copies the value of "Name=" out of the comma-separated list after the algorithm. */
static bool auth_field(const char *params, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = params;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl == 0 || vl >= outlen)
                return false;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static bool parse_authorization(const char *h, authorization *a, char *msg, size_t msglen)
{
    size_t al = strlen(ALGORITHM);
    if (strncmp(h, ALGORITHM, al) != 0 || h[al] != ' ') {
        snprintf(msg, msglen, "Authorization header must start with '" ALGORITHM " ' "
                 "(only Signature Version 4 is supported)");
        return false;
    }
    char credential[512];
    const char *params = h + al + 1;
    if (!auth_field(params, "Credential", credential, sizeof credential) ||
        !auth_field(params, "SignedHeaders", a->signed_headers, sizeof a->signed_headers) ||
        !auth_field(params, "Signature", a->signature, sizeof a->signature)) {
        snprintf(msg, msglen, "Authorization header requires 'Credential', 'SignedHeaders' "
                 "and 'Signature' parameters");
        return false;
    }
    /* AKID/date/region/service/aws4_request: split from the right, the key id is the rest. */
    char *parts[5];
    char *s = credential;
    for (int i = 4; i > 0; i--) {
        char *slash = strrchr(s, '/');
        if (!slash) {
            snprintf(msg, msglen, "Credential must be AKID/YYYYMMDD/region/service/"
                     "aws4_request");
            return false;
        }
        *slash = '\0';
        parts[i] = slash + 1;
    }
    parts[0] = s;
    if (strcmp(parts[4], "aws4_request") != 0 || strlen(parts[1]) != 8 ||
        strspn(parts[1], "0123456789") != 8 || !parts[0][0] || !parts[2][0] ||
        strlen(parts[0]) >= sizeof a->access_key || strlen(parts[2]) >= sizeof a->region ||
        strlen(parts[3]) >= sizeof a->service) {
        snprintf(msg, msglen, "Credential must be AKID/YYYYMMDD/region/service/aws4_request");
        return false;
    }
    strcpy(a->access_key, parts[0]);
    strcpy(a->date, parts[1]);
    strcpy(a->region, parts[2]);
    strcpy(a->service, parts[3]);
    if (strlen(a->signature) != 64 || strspn(a->signature, "0123456789abcdef") != 64) {
        snprintf(msg, msglen, "Signature must be 64 lower-case hex digits");
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- request parts */

static const char *find_header(const cd_http_request *rq, const char *name)
{
    for (size_t i = 0; i < rq->nheaders; i++)
        if (strcasecmp(rq->headers[i].name, name) == 0)
            return rq->headers[i].value;
    return NULL;
}

/* "name:v1,v2\n": every occurrence of the header, each value trimmed with inner runs of
 * spaces and tabs collapsed to one space. */
static void canonical_header(strbuf *b, const cd_http_request *rq, const char *name,
                             size_t namelen)
{
    sb_add(b, name, namelen);
    sb_chr(b, ':');
    bool first = true;
    for (size_t i = 0; i < rq->nheaders; i++) {
        const char *n = rq->headers[i].name;
        if (strlen(n) != namelen || strncasecmp(n, name, namelen) != 0)
            continue;
        if (!first)
            sb_chr(b, ',');
        first = false;
        const char *v = rq->headers[i].value;
        bool pending_space = false, started = false;
        for (; *v; v++) {
            if (*v == ' ' || *v == '\t') {
                pending_space = started;
                continue;
            }
            if (pending_space)
                sb_chr(b, ' ');
            pending_space = false;
            started = true;
            sb_chr(b, *v);
        }
    }
    sb_chr(b, '\n');
}

typedef struct query_item {
    char *text;  /* "name=value", both encoded */
    size_t name_len;
} query_item;

static int compare_query(const void *x, const void *y)
{
    const query_item *a = x, *b = y;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->text, b->text, n);
    if (c)
        return c;
    if (a->name_len != b->name_len)
        return a->name_len < b->name_len ? -1 : 1;
    return strcmp(a->text + a->name_len, b->text + b->name_len);
}

static void canonical_query(strbuf *b, const cd_http_request *rq)
{
    if (rq->nquery == 0)
        return;
    query_item *items = calloc(rq->nquery, sizeof *items);
    if (!items) {
        b->oom = true;
        return;
    }
    size_t n = 0;
    for (; n < rq->nquery; n++) {
        strbuf t = {0};
        const cd_http_pair *q = &rq->query[n];
        sb_uri_encode(&t, q->name, strlen(q->name), false);
        items[n].name_len = t.len;
        sb_chr(&t, '=');
        sb_uri_encode(&t, q->value, strlen(q->value), false);
        if (t.oom) {
            free(t.p);
            b->oom = true;
            break;
        }
        items[n].text = t.p;
    }
    if (!b->oom) {
        qsort(items, n, sizeof *items, compare_query);
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_chr(b, '&');
            sb_str(b, items[i].text);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(items[i].text);
    free(items);
}

/* The path as the client put it on the wire (each segment encoded once), encoded again. */
static void canonical_uri(strbuf *b, const char *path)
{
    if (!*path) {
        sb_chr(b, '/');
        return;
    }
    strbuf wire = {0};
    sb_uri_encode(&wire, path, strlen(path), true);
    if (wire.oom)
        b->oom = true;
    else
        sb_uri_encode(b, wire.p, wire.len, true);
    free(wire.p);
}

/* Seconds since the epoch of "YYYYMMDDTHHMMSSZ", or -1. */
static time_t parse_amz_date(const char *s)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || strspn(s, "0123456789") != 8 ||
        strspn(s + 9, "0123456789") != 6)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static void format_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool signed_list_has(const char *list, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == nl && strncmp(p, name, nl) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static int refuse(cd_http_rejection *why, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(cd_http_rejection *why, const char *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    why->error_type = type;
    vsnprintf(why->message, sizeof why->message, fmt, ap);
    va_end(ap);
    return 1;
}

/* ---------------------------------------------------------------- verification */

int cd_sigv4_verify_at(const cd_sigv4_verifier *v, const cd_http_request *rq, time_t now,
                       cd_http_rejection *why)
{
    const char *header = find_header(rq, "Authorization");
    if (!header || !*header)
        return refuse(why, "MissingAuthenticationTokenException",
                      "Missing Authentication Token: this server verifies AWS Signature "
                      "Version 4; sign the request with the server's access key");
    authorization a;
    char msg[256];
    if (!parse_authorization(header, &a, msg, sizeof msg))
        return refuse(why, "IncompleteSignatureException", "%s", msg);
    if (strcmp(a.access_key, v->access_key) != 0)
        return refuse(why, "UnrecognizedClientException",
                      "The security token included in the request is invalid: access key "
                      "id '%.64s' is not the one this server was started with", a.access_key);
    if (strcmp(a.service, v->service) != 0)
        return refuse(why, "InvalidSignatureException",
                      "Credential should be scoped to the service '%s', not '%.32s'",
                      v->service, a.service);
    if (!signed_list_has(a.signed_headers, "host") ||
        !signed_list_has(a.signed_headers, "x-amz-date"))
        return refuse(why, "IncompleteSignatureException",
                      "SignedHeaders must include 'host' and 'x-amz-date' (got '%.200s')",
                      a.signed_headers);
    const char *amz_date = find_header(rq, "X-Amz-Date");
    time_t when = amz_date ? parse_amz_date(amz_date) : -1;
    if (when < 0)
        return refuse(why, "IncompleteSignatureException",
                      "the request needs an X-Amz-Date header of the form YYYYMMDDTHHMMSSZ");
    if (strncmp(amz_date, a.date, 8) != 0)
        return refuse(why, "InvalidSignatureException",
                      "Date in Credential scope (%s) does not match the date of X-Amz-Date "
                      "(%.8s)", a.date, amz_date);
    if (when < now - CD_SIGV4_MAX_SKEW || when > now + CD_SIGV4_MAX_SKEW) {
        char now_s[17];
        format_amz_date(now, now_s);
        return refuse(why, "InvalidSignatureException",
                      "Signature expired or not yet current: X-Amz-Date %s is more than %d "
                      "minutes from the server's time %s; check the client's clock", amz_date,
                      CD_SIGV4_MAX_SKEW / 60, now_s);
    }

    char body_hash[65];
    sha256_hex(rq->body_len ? rq->body : "", rq->body_len, body_hash);
    const char *claimed = find_header(rq, "X-Amz-Content-Sha256");
    if (claimed && strcmp(claimed, body_hash) != 0)
        return refuse(why, "InvalidSignatureException",
                      "X-Amz-Content-Sha256 (%.80s) is not the SHA-256 of the body; this "
                      "service needs a signed payload", claimed);

    /* The canonical request, then the string to sign. */
    strbuf cr = {0};
    sb_str(&cr, rq->method);
    sb_chr(&cr, '\n');
    canonical_uri(&cr, rq->path);
    sb_chr(&cr, '\n');
    canonical_query(&cr, rq);
    sb_chr(&cr, '\n');
    for (const char *p = a.signed_headers; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        canonical_header(&cr, rq, p, len);
        if (!end)
            break;
        p = end + 1;
    }
    sb_chr(&cr, '\n');
    sb_str(&cr, a.signed_headers);
    sb_chr(&cr, '\n');
    sb_str(&cr, claimed ? claimed : body_hash);
    if (cr.oom) {
        free(cr.p);
        return refuse(why, "InvalidSignatureException", "out of memory checking the signature");
    }
    char cr_hash[65];
    sha256_hex(cr.p, cr.len, cr_hash);
    free(cr.p);

    char to_sign[512];
    int n = snprintf(to_sign, sizeof to_sign, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
                     amz_date, a.date, a.region, a.service, cr_hash);
    if (n < 0 || (size_t)n >= sizeof to_sign)
        return refuse(why, "IncompleteSignatureException", "credential scope too long");

    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
    char k_secret[4 + sizeof v->secret_key];
    int kl = snprintf(k_secret, sizeof k_secret, "AWS4%s", v->secret_key);
    unsigned char k1[32], k2[32], sig[32];
    hmac(k_secret, (size_t)kl, a.date, strlen(a.date), k1);
    OPENSSL_cleanse(k_secret, sizeof k_secret);
    hmac(k1, 32, a.region, strlen(a.region), k2);
    hmac(k2, 32, a.service, strlen(a.service), k1);
    hmac(k1, 32, "aws4_request", 12, k2);
    hmac(k2, 32, to_sign, (size_t)n, sig);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    char sig_hex[65];
    to_hex(sig, 32, sig_hex);
    if (CRYPTO_memcmp(sig_hex, a.signature, 64) != 0)
        return refuse(why, "InvalidSignatureException",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method.");
    return 0;
}

int cd_sigv4_verify(void *ctx, const cd_http_request *rq, cd_http_rejection *why)
{
    return cd_sigv4_verify_at(ctx, rq, time(NULL), why);
}

/* ---------------------------------------------------------------- credentials */

int cd_sigv4_init(cd_sigv4_verifier *v, const char *access_key, const char *secret_key,
                  char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    v->service = "clouddirectory";
    if (!access_key || !*access_key || !secret_key || !*secret_key) {
        snprintf(err, errlen, "both an access key id and a secret access key are needed");
        return 1;
    }
    if (strlen(access_key) >= sizeof v->access_key || strlen(secret_key) >= sizeof v->secret_key) {
        snprintf(err, errlen, "access key id or secret key longer than %zu characters",
                 sizeof v->access_key - 1);
        return 1;
    }
    strcpy(v->access_key, access_key);
    strcpy(v->secret_key, secret_key);
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int cd_sigv4_load_credentials(cd_sigv4_verifier *v, const char *path, const char *profile,
                              char *err, size_t errlen)
{
    if (!profile)
        profile = "default";
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read credentials file %s", path);
        return 1;
    }
    char line[1024], akid[256] = "", secret[256] = "";
    bool in_profile = false, seen = false;
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            char *close_br = strchr(s, ']');
            if (close_br)
                *close_br = '\0';
            in_profile = strcmp(trim(s + 1), profile) == 0;
            seen |= in_profile;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in_profile || !eq)
            continue;
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (strcmp(key, "aws_access_key_id") == 0)
            snprintf(akid, sizeof akid, "%s", val);
        else if (strcmp(key, "aws_secret_access_key") == 0)
            snprintf(secret, sizeof secret, "%s", val);
    }
    fclose(f);
    OPENSSL_cleanse(line, sizeof line);
    int rc;
    if (!seen) {
        snprintf(err, errlen, "%s has no [%s] section", path, profile);
        rc = 1;
    } else if (!akid[0] || !secret[0]) {
        snprintf(err, errlen, "[%s] in %s needs aws_access_key_id and aws_secret_access_key",
                 profile, path);
        rc = 1;
    } else
        rc = cd_sigv4_init(v, akid, secret, err, errlen);
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}
