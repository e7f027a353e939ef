/* pipeline.h — one call at a time on a worker thread, so the caller can build the next
 * request meanwhile (the bulk loader of the Lua binding uses it to keep both cores busy:
 * Lua builds batch k+1 while the engine writes batch k).
 *
 *   cd_pipeline_new(s)            a pipeline on s's environment, with s's options
 *   cd_pipeline_start(p, op, req, a)   runs cd_call(op, req, a) on a new worker thread;
 *                                 req and a belong to the worker until the wait returns
 *   cd_pipeline_wait(p, &resp, err)    joins it: cd_call's result, response (in a), error
 *   cd_pipeline_free(p)           waits for a call still running, then frees
 *
 * The worker has its own store handle (cd_open_shared), so the caller's handle may be used
 * or closed meanwhile: calls on any handle of the environment take turns on its lock. */
#ifndef CD_PIPELINE_H
#define CD_PIPELINE_H

#include <stdbool.h>
#include "clouddir.h"

typedef struct cd_pipeline cd_pipeline;

int cd_pipeline_new(cd_store *s, cd_pipeline **out, cd_error *err);
/* Returns 0, or StoreError when no thread could be started (nothing runs then). */
int cd_pipeline_start(cd_pipeline *p, int op, cd_value *req, cd_arena *a, cd_error *err);
bool cd_pipeline_busy(const cd_pipeline *p);
/* Waits for the started call; returns its code (0 when none was running). */
int cd_pipeline_wait(cd_pipeline *p, cd_value **resp, cd_error *err);
void cd_pipeline_free(cd_pipeline *p);   /* NULL is fine */

#endif
