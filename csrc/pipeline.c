/* pipeline.c — one cd_call at a time on a worker thread (see pipeline.h).
 *
 * A thread per call: a call here is a large batch (thousands of operations, tens of
 * milliseconds), so starting a thread costs nothing measurable, and joining it is the only
 * synchronisation needed — the call's request, arena, response and error are handed over
 * by pthread_create and handed back by pthread_join. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline.h"

struct cd_pipeline {
    cd_store *s;          /* the worker's own handle */
    pthread_t thread;
    bool running;
    /* the call in flight: written by the starter, then the worker, read after the join */
    int op;
    cd_value *req;
    cd_arena *a;
    cd_value *resp;
    cd_error err;
    int rc;
};

int cd_pipeline_new(cd_store *s, cd_pipeline **out, cd_error *err)
{
    cd_error_clear(err);
    *out = NULL;
    cd_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return cd_fail(err, CD_E_StoreError, "out of memory");
    int rc = cd_open_shared(s, cd_store_options(s), &p->s, err);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

static void *work(void *arg)
{
    cd_pipeline *p = arg;
    p->rc = cd_call(p->s, p->op, p->req, p->a, &p->resp, &p->err);
    return NULL;
}

int cd_pipeline_start(cd_pipeline *p, int op, cd_value *req, cd_arena *a, cd_error *err)
{
    cd_error_clear(err);
    if (p->running)
        return cd_fail(err, CD_E_StoreError, "the pipeline is already running a call");
    p->op = op;
    p->req = req;
    p->a = a;
    p->resp = NULL;
    p->rc = 0;
    cd_error_clear(&p->err);
    /* The worker takes no signals: they are for the thread that runs Lua (the REPL's
     * Ctrl-C handler sets a hook on its Lua state). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&p->thread, NULL, work, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        return cd_fail(err, CD_E_StoreError, "cannot start a worker thread: %s", strerror(rc));
    p->running = true;
    return 0;
}

bool cd_pipeline_busy(const cd_pipeline *p) { return p->running; }

int cd_pipeline_wait(cd_pipeline *p, cd_value **resp, cd_error *err)
{
    cd_error_clear(err);
    *resp = NULL;
    if (!p->running)
        return 0;
    pthread_join(p->thread, NULL);
    p->running = false;
    *resp = p->resp;
    *err = p->err;
    return p->rc;
}

void cd_pipeline_free(cd_pipeline *p)
{
    if (!p)
        return;
    if (p->running)
        pthread_join(p->thread, NULL);
    cd_close(p->s);
    free(p);
}
