/* err.c - ns_fail: record a one-line error. */
#include "sim/base/err.h"
#include <stdarg.h>
#include <stdio.h>

int ns_fail(ns_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}
