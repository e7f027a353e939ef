/* error.c — exception names and the one way to raise an error in C. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "error.h"

static const char *const code_names[] = {
    "",
#define CD_X(name) #name,
    CD_ERROR_CODES(CD_X)
#undef CD_X
};

const char *cd_code_name(int code)
{
    if (code < 0 || code >= CD_E__COUNT)
        return "InternalServiceException";
    return code_names[code];
}

int cd_code_from_name(const char *name)
{
    for (int i = 1; i < CD_E__COUNT; i++)
        if (strcmp(code_names[i], name) == 0)
            return i;
    return CD_OK;
}

int cd_fail(cd_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->index = -1;
        err->type = CD_OK;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void cd_error_clear(cd_error *err)
{
    err->code = CD_OK;
    err->message[0] = '\0';
    err->index = -1;
    err->type = CD_OK;
}
