/* sigv4_test.c — Signature Version 4 verification (csrc/sigv4.c) against AWS's published
 * test suite (aws-sig-v4-test-suite, 2015-08-30, service "service"), requests signed by
 * botocore 1.29 for "clouddirectory", and every refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sigv4.h"
#include "tap.h"

#define SUITE_NOW 1440938160  /* 2015-08-30T12:36:00Z */
#define BOTO_NOW  1795314600  /* 2026-11-22T02:30:00Z */
#define SUITE_AUTH "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/" \
                   "aws4_request, SignedHeaders="

static cd_http_request request(const char *method, const char *path, const cd_http_pair *h,
                               size_t nh, const cd_http_pair *q, size_t nq, const char *body)
{
    return (cd_http_request){method, path, q, nq, h, nh, body, strlen(body)};
}

static int verify(const cd_sigv4_verifier *v, cd_http_request rq, time_t now,
                  cd_http_rejection *why)
{
    why->error_type = NULL;
    why->message[0] = '\0';
    return cd_sigv4_verify_at(v, &rq, now, why);
}

static void accepts(const cd_sigv4_verifier *v, const char *name, cd_http_request rq,
                    time_t now)
{
    cd_http_rejection why;
    int rc = verify(v, rq, now, &why);
    check(rc == 0, "%s verifies", name);
    if (rc)
        printf("# %s: %s\n", why.error_type, why.message);
}

static void refuses(const cd_sigv4_verifier *v, const char *name, cd_http_request rq,
                    time_t now, const char *error_type, const char *message_part)
{
    cd_http_rejection why;
    int rc = verify(v, rq, now, &why);
    bool ok = rc != 0 && why.error_type && strcmp(why.error_type, error_type) == 0 &&
              strstr(why.message, message_part) != NULL;
    check(ok, "%s is refused with %s", name, error_type);
    if (!ok)
        printf("# got rc=%d %s: %s\n", rc, why.error_type ? why.error_type : "(none)",
               why.message);
}

static void suite_vectors(const cd_sigv4_verifier *v)
{
    const cd_http_pair vanilla[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;x-amz-date, Signature="
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    };
    accepts(v, "get-vanilla", request("GET", "/", vanilla, 3, NULL, 0, ""), SUITE_NOW);

    const cd_http_pair post[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;x-amz-date, Signature="
         "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    };
    accepts(v, "post-vanilla", request("POST", "/", post, 3, NULL, 0, ""), SUITE_NOW);

    const cd_http_pair order_h[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;x-amz-date, Signature="
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    };
    const cd_http_pair order_q[] = {{"Param2", "value2"}, {"Param1", "value1"}};
    accepts(v, "get-vanilla-query-order-key-case",
            request("GET", "/", order_h, 3, order_q, 2, ""), SUITE_NOW);

    const cd_http_pair pq_h[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;x-amz-date, Signature="
         "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    };
    const cd_http_pair pq_q[] = {{"Param1", "value1"}};
    accepts(v, "post-vanilla-query", request("POST", "/", pq_h, 3, pq_q, 1, ""), SUITE_NOW);

    const cd_http_pair hcase[] = {
        {"Host", "example.amazonaws.com"},
        {"My-Header1", "VALUE1"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;my-header1;x-amz-date, Signature="
         "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    };
    accepts(v, "post-header-value-case", request("POST", "/", hcase, 4, NULL, 0, ""),
            SUITE_NOW);

    const cd_http_pair trim[] = {
        {"Host", "example.amazonaws.com"},
        {"My-Header1", " value1"},
        {"My-Header2", " \"a   b   c\""},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;my-header1;my-header2;x-amz-date, Signature="
         "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    };
    accepts(v, "get-header-value-trim", request("GET", "/", trim, 5, NULL, 0, ""), SUITE_NOW);

    const cd_http_pair unreserved[] = {
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"Authorization", SUITE_AUTH "host;x-amz-date, Signature="
         "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    };
    accepts(v, "get-unreserved",
            request("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    unreserved, 3, NULL, 0, ""), SUITE_NOW);

    /* x-amz-content-sha256 signed and matching the 13-byte body */
    const cd_http_pair form[] = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"Host", "example.amazonaws.com"},
        {"Content-Length", "13"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Amz-Content-Sha256",
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"},
        {"Authorization", SUITE_AUTH "content-length;content-type;host;x-amz-content-sha256;"
         "x-amz-date, Signature="
         "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"},
    };
    accepts(v, "post-x-www-form-urlencoded",
            request("POST", "/", form, 6, NULL, 0, "Param1=value1"), SUITE_NOW);
    refuses(v, "post-x-www-form-urlencoded with another body",
            request("POST", "/", form, 6, NULL, 0, "Param1=value2"), SUITE_NOW,
            "InvalidSignatureException", "X-Amz-Content-Sha256");

    refuses(v, "get-vanilla as a POST", request("POST", "/", vanilla, 3, NULL, 0, ""),
            SUITE_NOW, "InvalidSignatureException", "does not match");
    refuses(v, "post-vanilla with a body it did not sign",
            request("POST", "/", post, 3, NULL, 0, "{}"), SUITE_NOW,
            "InvalidSignatureException", "does not match");
}

/* Signed by botocore's SigV4Auth (python3-botocore 1.29.27) at 2026-11-22T02:30:00Z. */
static const char *const boto_body = "{\"ObjectReference\":{\"Selector\":\"/people/ada\"}}";
static const cd_http_pair boto_headers[] = {
    {"Content-Type", "application/json"},
    {"x-amz-data-partition",
     "arn:aws:clouddirectory:us-east-1:123456789012:directory/AXQXDXvdgkOWktRXV4HnRa8"},
    {"x-amz-consistency-level", "EVENTUAL"},
    {"Host", "127.0.0.1:7070"},
    {"X-Amz-Date", "20261122T023000Z"},
    {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/eu-west-1/"
     "clouddirectory/aws4_request, SignedHeaders=content-type;host;x-amz-consistency-level;"
     "x-amz-data-partition;x-amz-date, Signature="
     "b30a7d5011d7f6d78fd4ecb6c4827d840fbedf5b7b8ae13ae4c83eea8697281b"},
};
#define BOTO_PATH "/amazonclouddirectory/2017-01-11/object/information"

static void botocore_vectors(const cd_sigv4_verifier *v)
{
    accepts(v, "botocore GetObjectInformation (region eu-west-1)",
            request("POST", BOTO_PATH, boto_headers, 6, NULL, 0, boto_body), BOTO_NOW);
    accepts(v, "botocore request 14 minutes later",
            request("POST", BOTO_PATH, boto_headers, 6, NULL, 0, boto_body), BOTO_NOW + 840);
    refuses(v, "botocore request 16 minutes later",
            request("POST", BOTO_PATH, boto_headers, 6, NULL, 0, boto_body), BOTO_NOW + 960,
            "InvalidSignatureException", "check the client's clock");
    refuses(v, "botocore request 16 minutes early",
            request("POST", BOTO_PATH, boto_headers, 6, NULL, 0, boto_body), BOTO_NOW - 960,
            "InvalidSignatureException", "minutes from the server's time");

    cd_http_pair changed[6];
    memcpy(changed, boto_headers, sizeof changed);
    changed[1].value = "arn:aws:clouddirectory:us-east-1:123456789012:directory/other";
    refuses(v, "botocore request with a changed signed header",
            request("POST", BOTO_PATH, changed, 6, NULL, 0, boto_body), BOTO_NOW,
            "InvalidSignatureException", "does not match");
    /* A header that is not signed may change (proxies add them). */
    cd_http_pair extra[7];
    memcpy(extra, boto_headers, sizeof boto_headers);
    extra[6] = (cd_http_pair){"User-Agent", "something else"};
    accepts(v, "botocore request with an unsigned header added",
            request("POST", BOTO_PATH, extra, 7, NULL, 0, boto_body), BOTO_NOW);

    /* Paths and queries that need encoding: the wire had
     * /amazonclouddirectory/2017-01-11/odd%20path/%C3%BC?b=2&a=x%20y%2Fz, decoded here. */
    const cd_http_pair odd[] = {
        {"Host", "localhost:7070"},
        {"X-Amz-Date", "20261122T023000Z"},
        {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/us-east-1/"
         "clouddirectory/aws4_request, SignedHeaders=host;x-amz-date, Signature="
         "7bd9c503c8220c411bebc8925e5f11fbbe38ec5110649173806ed5a971fffc9d"},
    };
    const cd_http_pair odd_q[] = {{"b", "2"}, {"a", "x y/z"}};
    accepts(v, "botocore GET with an encoded path and query",
            request("GET", "/amazonclouddirectory/2017-01-11/odd path/\xc3\xbc", odd, 3, odd_q,
                    2, ""), BOTO_NOW);
}

static void refusals(const cd_sigv4_verifier *v)
{
    const cd_http_pair none[] = {{"Host", "127.0.0.1:7070"}, {"X-Amz-Date", "20261122T023000Z"}};
    refuses(v, "a request without Authorization",
            request("POST", BOTO_PATH, none, 2, NULL, 0, ""), BOTO_NOW,
            "MissingAuthenticationTokenException", "Missing Authentication Token");

    cd_http_pair h[6];
    memcpy(h, boto_headers, sizeof h);
    const char *bad_headers[][2] = {
        {"Basic dXNlcjpwYXNz", "Signature Version 4"},
        {"AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/eu-west-1/clouddirectory/"
         "aws4_request, SignedHeaders=host;x-amz-date", "'Signature'"},
        {"AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/eu-west-1/clouddirectory/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature="
         "b30a7d5011d7f6d78fd4ecb6c4827d840fbedf5b7b8ae13ae4c83eea8697281b", "Credential must"},
        {"AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/eu-west-1/clouddirectory/"
         "aws4_request, SignedHeaders=host;x-amz-date, Signature=zz", "64 lower-case hex"},
        {"AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/eu-west-1/clouddirectory/"
         "aws4_request, SignedHeaders=content-type;x-amz-date, Signature="
         "b30a7d5011d7f6d78fd4ecb6c4827d840fbedf5b7b8ae13ae4c83eea8697281b", "'host'"},
        {"AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/eu-west-1/clouddirectory/"
         "aws4_request, SignedHeaders=host, Signature="
         "b30a7d5011d7f6d78fd4ecb6c4827d840fbedf5b7b8ae13ae4c83eea8697281b", "'x-amz-date'"},
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof *bad_headers; i++) {
        h[5].value = bad_headers[i][0];
        char name[64];
        snprintf(name, sizeof name, "malformed Authorization #%zu", i + 1);
        refuses(v, name, request("POST", BOTO_PATH, h, 6, NULL, 0, boto_body), BOTO_NOW,
                "IncompleteSignatureException", bad_headers[i][1]);
    }

    memcpy(h, boto_headers, sizeof h);
    h[5].value = "AWS4-HMAC-SHA256 Credential=AKIDSOMEONEELSE/20261122/eu-west-1/"
                 "clouddirectory/aws4_request, SignedHeaders=content-type;host;"
                 "x-amz-consistency-level;x-amz-data-partition;x-amz-date, Signature="
                 "b30a7d5011d7f6d78fd4ecb6c4827d840fbedf5b7b8ae13ae4c83eea8697281b";
    refuses(v, "another access key id", request("POST", BOTO_PATH, h, 6, NULL, 0, boto_body),
            BOTO_NOW, "UnrecognizedClientException", "AKIDSOMEONEELSE");
    h[5].value = "AWS4-HMAC-SHA256 Credential=AKIDCLOUDDIRTEST/20261122/eu-west-1/s3/"
                 "aws4_request, SignedHeaders=content-type;host;"
                 "x-amz-consistency-level;x-amz-data-partition;x-amz-date, Signature="
                 "b30a7d5011d7f6d78fd4ecb6c4827d840fbedf5b7b8ae13ae4c83eea8697281b";
    refuses(v, "a signature for another service",
            request("POST", BOTO_PATH, h, 6, NULL, 0, boto_body), BOTO_NOW,
            "InvalidSignatureException", "clouddirectory");

    memcpy(h, boto_headers, sizeof h);
    h[4].value = "20261123T023000Z";
    refuses(v, "x-amz-date on another day than the scope",
            request("POST", BOTO_PATH, h, 6, NULL, 0, boto_body), BOTO_NOW + 86400,
            "InvalidSignatureException", "Credential scope");
    h[4].value = "yesterday";
    refuses(v, "an unreadable x-amz-date", request("POST", BOTO_PATH, h, 6, NULL, 0, boto_body),
            BOTO_NOW, "IncompleteSignatureException", "X-Amz-Date");

    cd_sigv4_verifier wrong;
    char err[128];
    cd_sigv4_init(&wrong, "AKIDCLOUDDIRTEST", "not the secret", err, sizeof err);
    refuses(&wrong, "the right request checked with another secret",
            request("POST", BOTO_PATH, boto_headers, 6, NULL, 0, boto_body), BOTO_NOW,
            "InvalidSignatureException", "Secret Access Key");
}

static void credentials_file(void)
{
    char path[] = "/tmp/clouddir-sigv4-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!check(f != NULL, "a temporary credentials file"))
        return;
    fputs("# test\n[other]\naws_access_key_id = NOPE\naws_secret_access_key = nope\n\n"
          "[default]\naws_access_key_id=AKIDCLOUDDIRTEST\n"
          "  aws_secret_access_key =  s3cr3t/KEY+example  \nregion = eu-west-1\n"
          "[broken]\naws_access_key_id = X\n", f);
    fclose(f);
    cd_sigv4_verifier v;
    char err[256] = "";
    int rc = cd_sigv4_load_credentials(&v, path, NULL, err, sizeof err);
    check(rc == 0 && strcmp(v.access_key, "AKIDCLOUDDIRTEST") == 0 &&
          strcmp(v.secret_key, "s3cr3t/KEY+example") == 0,
          "credentials file: [default] is read (%s)", err);
    if (rc == 0)
        accepts(&v, "botocore request with credentials from the file",
                request("POST", BOTO_PATH, boto_headers, 6, NULL, 0, boto_body), BOTO_NOW);
    rc = cd_sigv4_load_credentials(&v, path, "other", err, sizeof err);
    check(rc == 0 && strcmp(v.access_key, "NOPE") == 0, "credentials file: a named profile");
    rc = cd_sigv4_load_credentials(&v, path, "broken", err, sizeof err);
    check(rc != 0 && strstr(err, "aws_secret_access_key"), "credentials file: missing secret "
          "(%s)", err);
    rc = cd_sigv4_load_credentials(&v, path, "absent", err, sizeof err);
    check(rc != 0 && strstr(err, "no [absent] section"), "credentials file: missing profile "
          "(%s)", err);
    unlink(path);
    rc = cd_sigv4_load_credentials(&v, path, NULL, err, sizeof err);
    check(rc != 0 && strstr(err, "cannot read"), "credentials file: missing file (%s)", err);
    check(cd_sigv4_init(&v, "", "x", err, sizeof err) != 0, "an empty access key is refused");
}

int main(void)
{
    cd_sigv4_verifier suite, clouddir;
    char err[128];
    cd_sigv4_init(&suite, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", err,
                  sizeof err);
    suite.service = "service";
    cd_sigv4_init(&clouddir, "AKIDCLOUDDIRTEST", "s3cr3t/KEY+example", err, sizeof err);
    suite_vectors(&suite);
    botocore_vectors(&clouddir);
    refusals(&clouddir);
    credentials_file();
    return tap_done();
}
