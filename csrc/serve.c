/* serve.c — `clouddir serve`: HTTP/1.1 on libmicrohttpd, one operation per request.
 *
 * Process model.  The store's handles are not meant to be shared between threads (the
 * key-value layer keeps one reusable read transaction and per-handle caches without
 * locks), while LMDB itself is built for many processes on one environment.  So the
 * parent binds the listening socket, checks that the store opens, and forks `workers`
 * processes; each opens its own handle and runs one libmicrohttpd event loop on the shared
 * socket.  Reads in different workers proceed in parallel on their own snapshots; writes
 * serialize on LMDB's writer lock; a worker's loop never blocks on a slow client, since a
 * request runs only once its whole body has arrived.  A client that goes away before that
 * leaves nothing behind: the buffered body is freed and no transaction was begun.
 *
 * The parent only supervises: SIGTERM or SIGINT stops the workers (each finishes its
 * request, stops its server and closes the store) and the parent exits 0; a worker killed
 * by a signal is replaced. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <microhttpd.h>
#include "serve.h"
#include "sigv4.h"
#include "shapes_table.h"
#include "wire_json.h"

#define PROGNAME          "clouddir serve"
#define DEFAULT_HOST      "127.0.0.1"
#define DEFAULT_PORT      "7070"
#define DEFAULT_MAX_BODY  ((size_t)1 << 20)
#define DEFAULT_TIMEOUT   60
#define MAX_WORKERS       256
#define HEADER_MEMORY     ((size_t)64 << 10)  /* per connection: request line + headers */
#define MAX_CONNECTIONS   1000                 /* per worker */

/* ================================================================ one worker */

typedef struct worker {
    const cd_serve_config *cfg;
    cd_store *store;
    cd_arena *arena;          /* one request at a time per worker: reset after each */
    unsigned long requests;   /* for request ids */
} worker;

/* What one request has collected so far (libmicrohttpd's per-request pointer), made by
 * on_uri when the request line arrives and freed by on_completed. */
typedef struct pending {
    bool started;             /* on_request has seen the headers */
    char *body;
    size_t len, cap;
    bool too_big;
    char path[];              /* the request target's path exactly as sent (see on_uri) */
} pending;

/* libmicrohttpd hands on_request the path percent-decoded, so ".../schema/cre%61te",
 * ".../schema/create%00junk" (cut at the NUL) and "%2F" in place of '/' all reached
 * CreateSchema.  The model's request URIs are literal: route on the path as the client sent
 * it, which this callback sees before any decoding.  (Not MHD_OPTION_UNESCAPE_CALLBACK:
 * libmicrohttpd uses that one for the query parameters too, and SigV4 signs those decoded.)
 * What it returns is the request's *state from the first on_request on. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    size_t n = strcspn(uri, "?");
    pending *pd = calloc(1, sizeof *pd + n + 1);  /* calloc: path is NUL-terminated */
    if (pd)
        memcpy(pd->path, uri, n);
    return pd;
}

/* RFC 9110 §5.5: whitespace around a field value is not part of it.  libmicrohttpd drops
 * the leading spaces and tabs but keeps the trailing ones, so `x-amz-data-partition: ARN `
 * was a bad ARN.  Returns v trimmed (a copy in a, when the end had to go). */
static const char *trim_field(cd_arena *a, const char *v)
{
    if (!v)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    if (n == 0 || (v[n - 1] != ' ' && v[n - 1] != '\t'))
        return v;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    const char *t = cd_arena_strndup(a, v, n);
    return t ? t : v;  /* out of memory: the untrimmed value, which the checker reports */
}

static int find_operation(const char *method, const char *path, bool *path_known)
{
    *path_known = false;
    for (int op = 0; op < CD_OP__COUNT; op++) {
        if (strcmp(cd_op_shapes[op].request_uri, path) != 0)
            continue;
        *path_known = true;
        if (strcmp(cd_op_shapes[op].method, method) == 0)
            return op;
    }
    return -1;
}

/* close_after: "Connection: close", so libmicrohttpd closes the connection once sent. */
static enum MHD_Result send_json(worker *w, struct MHD_Connection *conn, unsigned status,
                                 const char *json, size_t len, const char *error_type,
                                 const char *allow, bool close_after)
{
    static const char fallback[] = "{\"__type\":\"InternalServiceException\","
                                   "\"Message\":\"out of memory\"}";
    if (!json) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        error_type = "InternalServiceException";
        json = fallback;
        len = sizeof fallback - 1;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)json, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    char id[64];
    snprintf(id, sizeof id, "%08lx-%04x-0000-0000-%012lx", (unsigned long)getpid(),
             (unsigned)(w->requests >> 48 & 0xffff), w->requests & 0xffffffffffffUL);
    w->requests++;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, "x-amzn-RequestId", id);
    if (error_type)
        MHD_add_response_header(r, "x-amzn-ErrorType", error_type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (close_after)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_error(worker *w, struct MHD_Connection *conn, unsigned status,
                                  const char *name, const cd_error *err, const char *allow)
{
    size_t len = 0;
    const char *json = cd_wire_encode_error(name, err, w->arena, &len);
    return send_json(w, conn, status, json, len, name, allow, false);
}

static enum MHD_Result send_wire_error(worker *w, struct MHD_Connection *conn, unsigned status,
                                       const char *name, const char *allow, const char *fmt,
                                       ...) __attribute__((format(printf, 6, 7)));
static enum MHD_Result send_wire_error(worker *w, struct MHD_Connection *conn, unsigned status,
                                       const char *name, const char *allow, const char *fmt,
                                       ...)
{
    cd_error err;
    cd_error_clear(&err);
    err.code = CD_E_ValidationException;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    return send_error(w, conn, status, name, &err, allow);
}

/* ---- the request as a verifier sees it ---- */

typedef struct pairs {
    cd_arena *a;
    cd_http_pair *p;
    size_t n, cap;
} pairs;

static enum MHD_Result collect_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    pairs *ps = cls;
    if (kind == MHD_HEADER_KIND)
        value = trim_field(ps->a, value);
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        cd_http_pair *p = cd_arena_alloc(ps->a, cap * sizeof *p);
        if (!p)
            return MHD_NO;
        if (ps->n)
            memcpy(p, ps->p, ps->n * sizeof *p);
        ps->p = p;
        ps->cap = cap;
    }
    ps->p[ps->n++] = (cd_http_pair){key, value ? value : ""};
    return MHD_YES;
}

static int verify(worker *w, struct MHD_Connection *conn, const char *method, const char *url,
                  const pending *pd, cd_http_rejection *why)
{
    pairs h = {w->arena, NULL, 0, 0}, q = {w->arena, NULL, 0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_pair, &h);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_pair, &q);
    cd_http_request rq = {method, url, q.p, q.n, h.p, h.n, pd->body ? pd->body : "", pd->len};
    why->error_type = NULL;
    why->message[0] = '\0';
    return w->cfg->verify(w->cfg->verify_ctx, &rq, why);
}

/* What the decoder's lookups need: the connection, and an arena for trimmed copies. */
typedef struct lookup_ctx {
    struct MHD_Connection *conn;
    cd_arena *arena;
} lookup_ctx;

static const char *lookup_header(void *ctx, const char *name)
{
    lookup_ctx *lc = ctx;
    return trim_field(lc->arena, MHD_lookup_connection_value(lc->conn, MHD_HEADER_KIND, name));
}

static const char *lookup_query(void *ctx, const char *name)
{
    lookup_ctx *lc = ctx;
    return MHD_lookup_connection_value(lc->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- how long the body is ---- */

/* RFC 9112 §6.3: a request whose length is ambiguous must be refused (400, then close the
 * connection), or a proxy in front and this server could disagree on where the next
 * request starts (request smuggling).  libmicrohttpd reads the first Content-Length and
 * ignores any other, lets Transfer-Encoding override Content-Length, and decodes only
 * "chunked" (any other coding it reads until the client closes).  So look at every header. */
typedef struct framing {
    int content_lengths;      /* Content-Length headers */
    unsigned long long length;  /* the first one's value */
    bool lengths_differ;      /* another one says something else, or is not a number */
    int transfer_encodings;   /* Transfer-Encoding headers */
    bool chunked_only;        /* ... and the one there is says exactly "chunked" */
} framing;

/* A Content-Length value: digits, with optional spaces and tabs around them. */
static bool parse_length(const char *s, unsigned long long *out)
{
    s += strspn(s, " \t");
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && end[strspn(end, " \t")] == '\0';
}

static enum MHD_Result collect_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    framing *f = cls;
    if (!value)
        value = "";
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        unsigned long long n = 0;
        bool ok = parse_length(value, &n);
        if (f->content_lengths++ == 0)
            f->length = n;
        if (!ok || n != f->length)  /* equal repeats are allowed (RFC 9110 §8.6) */
            f->lengths_differ = true;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        /* Untrimmed, as libmicrohttpd compares it: "chunked " would be read to the end. */
        f->transfer_encodings++;
        f->chunked_only = strcasecmp(value, "chunked") == 0;
    }
    return MHD_YES;
}

/* NULL when the body's length is clear, else why not. */
static const char *ambiguous_length(struct MHD_Connection *conn)
{
    framing f = {0, 0, false, 0, false};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_framing, &f);
    if (f.lengths_differ)
        return "the request has Content-Length headers with different values";
    if (f.content_lengths && f.transfer_encodings)
        return "the request has both Content-Length and Transfer-Encoding";
    if (f.transfer_encodings > 1 || (f.transfer_encodings && !f.chunked_only))
        return "the only Transfer-Encoding accepted is a single \"chunked\"";
    return NULL;
}

/* The answer to an ambiguous length: SerializationException, the name this server gives a
 * request it cannot read as the protocol says (a body that is not JSON), where
 * ValidationException is for well-read requests whose values break the model.  The
 * connection is closed after it: where the next request would start is unknown. */
static enum MHD_Result refuse_framing(worker *w, struct MHD_Connection *conn, const char *why)
{
    cd_error err;
    cd_error_clear(&err);
    err.code = CD_E_ValidationException;
    snprintf(err.message, sizeof err.message, "%s (RFC 9112 section 6.3); closing the "
             "connection", why);
    size_t len = 0;
    const char *json = cd_wire_encode_error(CD_WIRE_SERIALIZATION, &err, w->arena, &len);
    return send_json(w, conn, MHD_HTTP_BAD_REQUEST, json, len, CD_WIRE_SERIALIZATION, NULL,
                     true);
}

/* The whole body is in: route, verify, decode, run, answer.  url is the raw path
 * (pd->path); where it names an operation it has no '%', so it is also the decoded path
 * the verifier wants. */
static enum MHD_Result respond(worker *w, struct MHD_Connection *conn, const char *url,
                               const char *method, pending *pd)
{
    bool path_known;
    int op = find_operation(method, url, &path_known);
    if (op < 0) {
        if (path_known) {
            char allow[32] = "";
            for (int k = 0; k < CD_OP__COUNT; k++)
                if (strcmp(cd_op_shapes[k].request_uri, url) == 0) {
                    if (allow[0])
                        strcat(allow, ", ");
                    strncat(allow, cd_op_shapes[k].method, 8);
                }
            return send_wire_error(w, conn, MHD_HTTP_METHOD_NOT_ALLOWED, CD_WIRE_UNKNOWN_OP,
                                   allow, "%.16s is not allowed on %.200s (allowed: %s)",
                                   method, url, allow);
        }
        return send_wire_error(w, conn, MHD_HTTP_NOT_FOUND, CD_WIRE_UNKNOWN_OP, NULL,
                               "no Cloud Directory operation at %.16s %.300s", method, url);
    }
    if (pd->too_big)
        return send_wire_error(w, conn, MHD_HTTP_CONTENT_TOO_LARGE, CD_WIRE_TOO_LARGE, NULL,
                               "the request body is larger than the server's limit of %zu "
                               "bytes", w->cfg->max_body);
    if (w->cfg->verify) {
        cd_http_rejection why;
        if (verify(w, conn, method, url, pd, &why)) {
            const char *name = why.error_type ? why.error_type : "AccessDeniedException";
            return send_wire_error(w, conn, MHD_HTTP_FORBIDDEN, name, NULL, "%s",
                                   why.message[0] ? why.message : "request refused");
        }
    }
    cd_error err;
    cd_value *req, *resp;
    const char *wire_error;
    lookup_ctx lc = {conn, w->arena};
    cd_wire_source src = {lookup_header, lookup_query, &lc};
    if (cd_wire_decode_request(op, pd->body ? pd->body : "", pd->len, &src, w->arena, &req,
                               &wire_error, &err)) {
        const char *name = wire_error ? wire_error : cd_wire_error_name(err.code);
        return send_error(w, conn, wire_error ? 400 : (unsigned)cd_wire_error_status(err.code),
                          name, &err, NULL);
    }
    if (cd_call(w->store, op, req, w->arena, &resp, &err))
        return send_error(w, conn, (unsigned)cd_wire_error_status(err.code),
                          cd_wire_error_name(err.code), &err, NULL);
    size_t len = 0;
    const char *json = cd_wire_encode_response(resp, w->arena, &len);
    return send_json(w, conn, (unsigned)cd_op_shapes[op].response_code, json, len, NULL, NULL,
                     false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **state)
{
    (void)version;
    (void)url;  /* percent-decoded: routing uses pd->path, the path as sent */
    worker *w = cls;
    pending *pd = *state;
    if (!pd)  /* on_uri could not allocate it */
        return MHD_NO;
    if (!pd->started) {  /* headers are in; the body (if any) follows in later calls */
        pd->started = true;
        const char *why = ambiguous_length(conn);
        if (why) {
            enum MHD_Result r = refuse_framing(w, conn, why);
            cd_arena_reset(w->arena);
            return r;
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > w->cfg->max_body) {
            /* Refuse before reading it; libmicrohttpd then closes the connection. */
            pd->too_big = true;
            enum MHD_Result r = respond(w, conn, pd->path, method, pd);
            cd_arena_reset(w->arena);
            return r;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (pd->too_big || n > w->cfg->max_body - pd->len) {
            pd->too_big = true;  /* keep reading (and dropping) it, then answer 413 */
            free(pd->body);
            pd->body = NULL;
            pd->len = pd->cap = 0;
            return MHD_YES;
        }
        if (pd->len + n > pd->cap) {
            size_t cap = pd->cap ? pd->cap : 4096;
            while (cap < pd->len + n)
                cap *= 2;
            char *b = realloc(pd->body, cap);
            if (!b)
                return MHD_NO;
            pd->body = b;
            pd->cap = cap;
        }
        memcpy(pd->body + pd->len, upload_data, n);
        pd->len += n;
        return MHD_YES;
    }
    enum MHD_Result r = respond(w, conn, pd->path, method, pd);
    cd_arena_reset(w->arena);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)conn;
    (void)why;
    pending *pd = *state;
    if (pd) {
        free(pd->body);
        free(pd);
        *state = NULL;
    }
}

/* Runs in the forked child until SIGTERM/SIGINT (blocked, so sigwait takes them). */
static int run_worker(const cd_serve_config *cfg, int listen_fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);  /* never outlive the supervisor */
    if (getppid() != parent)
        return 1;
    worker w = {cfg, NULL, cd_arena_new(), 0};
    cd_error err;
    if (!w.arena) {
        fprintf(stderr, PROGNAME ": out of memory\n");
        return 1;
    }
    if (cd_open(cfg->store, &cfg->options, &w.store, &err)) {
        fprintf(stderr, PROGNAME ": %s: %s\n", cd_code_name(err.code), err.message);
        cd_arena_free(w.arena);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, &w,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, &w,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &w,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, HEADER_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, PROGNAME ": cannot start the HTTP server in a worker\n");
        cd_close(w.store);
        cd_arena_free(w.arena);
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    int sig;
    while (sigwait(&stop, &sig) != 0)
        ;
    MHD_stop_daemon(d);   /* joins the loop: a request in progress finishes first */
    cd_close(w.store);
    cd_arena_free(w.arena);
    return 0;
}

/* ================================================================ the supervisor */

static int open_listener(const char *host, const char *port, char *shown, size_t cap)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        fprintf(stderr, PROGNAME ": cannot resolve %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 512) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, PROGNAME ": cannot listen on %s:%s: %s\n", host, port, strerror(saved));
        return -1;
    }
    /* Workers share the socket: an accept another worker won must not block. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char h[NI_MAXHOST], p[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
        getnameinfo((struct sockaddr *)&ss, len, h, sizeof h, p, sizeof p,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(shown, cap, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, p);
    else
        snprintf(shown, cap, "%s:%s", host, port);
    return fd;
}

static pid_t start_worker(const cd_serve_config *cfg, int fd)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        exit(run_worker(cfg, fd, parent));  /* exit, not _exit: leak checkers run at exit */
    if (pid < 0)
        fprintf(stderr, PROGNAME ": cannot start a worker: %s\n", strerror(errno));
    return pid;
}

static bool loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0;
}

int cd_serve(const cd_serve_config *cfg_in)
{
    cd_serve_config cfg = *cfg_in;
    if (!cfg.host || !*cfg.host)
        cfg.host = DEFAULT_HOST;
    if (!cfg.port || !*cfg.port)
        cfg.port = DEFAULT_PORT;
    if (!cfg.max_body)
        cfg.max_body = DEFAULT_MAX_BODY;
    if (!cfg.timeout)
        cfg.timeout = DEFAULT_TIMEOUT;
    if (!cfg.workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.workers = n < 2 ? 2 : n > 16 ? 16 : (unsigned)n;
    }
    if (cfg.workers > MAX_WORKERS)
        cfg.workers = MAX_WORKERS;

    /* Signals are taken with sigwait, here and (inherited) in every worker. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Open the store once here: a bad path or a store of another format fails now. */
    cd_store *probe;
    cd_error err;
    if (cd_open(cfg.store, &cfg.options, &probe, &err)) {
        fprintf(stderr, PROGNAME ": %s: %s\n", cd_code_name(err.code), err.message);
        return 1;
    }
    cd_close(probe);

    char shown[NI_MAXHOST + NI_MAXSERV + 4];
    int fd = open_listener(cfg.host, cfg.port, shown, sizeof shown);
    if (fd < 0)
        return 1;
    pid_t pids[MAX_WORKERS];
    for (unsigned i = 0; i < cfg.workers; i++) {
        if ((pids[i] = start_worker(&cfg, fd)) < 0) {
            for (unsigned k = 0; k < i; k++)
                kill(pids[k], SIGTERM);
            for (unsigned k = 0; k < i; k++)
                waitpid(pids[k], NULL, 0);
            close(fd);
            return 1;
        }
    }
    printf(PROGNAME ": listening on http://%s (store %s, %u worker processes, pid %ld)\n",
           shown, cfg.store, cfg.workers, (long)getpid());
    if (!cfg.verify)
        printf(PROGNAME ": no --access-key/--secret-key given: requests are NOT "
               "authenticated, any signature is accepted\n");
    if (!loopback(cfg.host))
        printf(PROGNAME ": warning: listening on %s, reachable from other machines\n",
               cfg.host);
    fflush(stdout);

    int status = 0;
    bool stopping = false;
    unsigned live = cfg.workers;
    while (live > 0) {
        int sig;
        if (sigwait(&mask, &sig) != 0)
            continue;
        if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
            stopping = true;
            for (unsigned i = 0; i < cfg.workers; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGTERM);
            continue;
        }
        if (sig != SIGCHLD)
            continue;
        int ws;
        pid_t pid;
        while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
            unsigned i = 0;
            while (i < cfg.workers && pids[i] != pid)
                i++;
            if (i == cfg.workers)
                continue;
            pids[i] = 0;
            live--;
            if (stopping) {
                if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
                    status = 1;
            } else if (WIFSIGNALED(ws)) {
                fprintf(stderr, PROGNAME ": worker %ld died of signal %d; starting another\n",
                        (long)pid, WTERMSIG(ws));
                if ((pids[i] = start_worker(&cfg, fd)) > 0)
                    live++;
                else
                    pids[i] = 0;
            } else {
                /* A worker that could not start will not start the next time either. */
                fprintf(stderr, PROGNAME ": worker %ld exited (status %d); stopping\n",
                        (long)pid, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
                status = 1;
                stopping = true;
                for (unsigned k = 0; k < cfg.workers; k++)
                    if (pids[k] > 0)
                        kill(pids[k], SIGTERM);
            }
        }
    }
    close(fd);
    printf(PROGNAME ": stopped\n");
    fflush(stdout);
    return status;
}

/* ================================================================ command line */

static void usage(FILE *f)
{
    fputs("usage: clouddir serve [options] STORE\n"
          "Serves the Amazon Cloud Directory API (2017-01-11, REST-JSON over HTTP/1.1) on\n"
          "the store folder STORE (created if missing), until SIGTERM or Ctrl-C.\n"
          "\n"
          "Options:\n"
          "  --listen HOST:PORT   address to listen on (default " DEFAULT_HOST ":" DEFAULT_PORT
          ");\n"
          "                       port 0 picks a free one (printed at start-up)\n"
          "  --workers N          worker processes (default: one per CPU, at least 2)\n"
          "  --max-body BYTES     largest request body accepted (default 1048576)\n"
          "  --timeout SECONDS    close connections idle this long (default 60)\n"
          "  --no-sync            commits are not flushed to disk one by one\n"
          "  --limits L           'aws' (default): the service's limits; 'none': lifted\n"
          "  --region R           region in ARNs (default us-east-1)\n"
          "  --account A          account in ARNs (default 123456789012)\n"
          "  --access-key K, --secret-key S\n"
          "                       verify AWS Signature Version 4 with these credentials\n"
          "  --credentials FILE   the same from [default] of an INI file like\n"
          "                       ~/.aws/credentials (aws_access_key_id, aws_secret_access_key)\n"
          "  -h, --help           show this help\n"
          "Without --access-key/--secret-key every request is accepted, whatever its\n"
          "signature: keep the server on a loopback address.\n", f);
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v == 0)
        return false;
    *out = (size_t)v;
    return true;
}

/* A port number: 0 to 65535 in decimal (getaddrinfo would take a service name, and wrap
 * larger numbers silently). */
static bool valid_port(const char *p)
{
    size_t n = strspn(p, "0123456789");
    return n > 0 && n <= 5 && p[n] == '\0' && strtol(p, NULL, 10) <= 65535;
}

/* HOST:PORT, [V6]:PORT, or PORT alone. */
static bool split_listen(char *s, const char **host, const char **port)
{
    if (s[0] == '[') {
        char *close_br = strchr(s, ']');
        if (!close_br || close_br[1] != ':')
            return false;
        *close_br = '\0';
        *host = s + 1;
        *port = close_br + 2;
        return **port != '\0';
    }
    char *colon = strrchr(s, ':');
    if (!colon) {
        *port = s;
        return *s != '\0';
    }
    *colon = '\0';
    if (*s)
        *host = s;
    *port = colon + 1;
    return **port != '\0';
}

static int usage_error(char *listen_copy)
{
    free(listen_copy);
    return 2;
}

int cd_serve_main(int argc, char **argv)
{
    cd_serve_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cd_options_default(&cfg.options);
    const char *access_key = NULL, *secret_key = NULL, *credentials = NULL;
    char *listen_copy = NULL;  /* --listen's text, split in place; lives as long as the server */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        size_t size;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--no-sync") == 0) {
            cfg.options.sync = false;
            continue;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (cfg.store) {
                fprintf(stderr, PROGNAME ": only one store, please ('%s', then '%s')\n",
                        cfg.store, a);
                return usage_error(listen_copy);
            }
            cfg.store = a;
            continue;
        }
        /* Every other option takes a value: --opt V or --opt=V. */
        const char *eq = strchr(a, '=');
        size_t namelen = eq ? (size_t)(eq - a) : strlen(a);
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fprintf(stderr, PROGNAME ": %s needs a value\n", a);
            return usage_error(listen_copy);
        }
#define IS(name) (namelen == strlen(name) && strncmp(a, name, namelen) == 0)
        if (IS("--listen")) {
            free(listen_copy);
            listen_copy = strdup(v);
            cfg.host = cfg.port = NULL;
            if (!listen_copy || !split_listen(listen_copy, &cfg.host, &cfg.port) ||
                !valid_port(cfg.port)) {
                fprintf(stderr, PROGNAME ": --listen wants HOST:PORT, the port a number from 0 "
                        "(any free port) to 65535 (got '%s')\n", v);
                free(listen_copy);
                listen_copy = NULL;
                return 2;
            }
        } else if (IS("--workers")) {
            if (!parse_size(v, &size) || size > MAX_WORKERS) {
                fprintf(stderr, PROGNAME ": --workers wants 1 to %d (got '%s')\n", MAX_WORKERS,
                        v);
                return usage_error(listen_copy);
            }
            cfg.workers = (unsigned)size;
        } else if (IS("--max-body")) {
            if (!parse_size(v, &cfg.max_body)) {
                fprintf(stderr, PROGNAME ": --max-body wants a number of bytes (got '%s')\n", v);
                return usage_error(listen_copy);
            }
        } else if (IS("--timeout")) {
            if (!parse_size(v, &size) || size > 86400) {
                fprintf(stderr, PROGNAME ": --timeout wants 1 to 86400 seconds (got '%s')\n", v);
                return usage_error(listen_copy);
            }
            cfg.timeout = (unsigned)size;
        } else if (IS("--limits")) {
            if (strcmp(v, "aws") == 0)
                cfg.options.limits = CD_LIMITS_AWS;
            else if (strcmp(v, "none") == 0)
                cfg.options.limits = CD_LIMITS_NONE;
            else {
                fprintf(stderr, PROGNAME ": --limits must be 'aws' or 'none'\n");
                return usage_error(listen_copy);
            }
        } else if (IS("--region")) {
            cfg.options.region = v;
        } else if (IS("--account")) {
            cfg.options.account = v;
        } else if (IS("--access-key")) {
            access_key = v;
        } else if (IS("--secret-key")) {
            secret_key = v;
        } else if (IS("--credentials")) {
            credentials = v;
        } else {
            fprintf(stderr, PROGNAME ": unknown option '%s'\n", a);
            usage(stderr);
            return usage_error(listen_copy);
        }
#undef IS
    }
    if (!cfg.store) {
        fprintf(stderr, PROGNAME ": which store? (clouddir serve [options] STORE)\n");
        usage(stderr);
        return usage_error(listen_copy);
    }
    /* Signature Version 4 (sigv4.c): the verifier lives as long as the server. */
    cd_sigv4_verifier sigv4;
    if (access_key || secret_key || credentials) {
        char why[256];
        int bad = (access_key || secret_key) && credentials
                      ? (snprintf(why, sizeof why, "give --access-key/--secret-key or "
                                  "--credentials, not both"), 1)
                  : credentials ? cd_sigv4_load_credentials(&sigv4, credentials, NULL, why,
                                                            sizeof why)
                                : cd_sigv4_init(&sigv4, access_key, secret_key, why, sizeof why);
        if (bad) {
            fprintf(stderr, PROGNAME ": %s\n", why);
            return usage_error(listen_copy);
        }
        cfg.verify = cd_sigv4_verify;
        cfg.verify_ctx = &sigv4;
    }
    int status = cd_serve(&cfg);
    free(listen_copy);
    return status;
}
