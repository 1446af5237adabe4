/* taps.c - dispatch of tap values to a sink. */
#include "sim/model/taps.h"
#include <stdarg.h>
#include <stdio.h>

void tap_emit(const tap_sink *sink, const char *name, const double *x, int n, int d)
{
    if (sink && sink->fn)
        sink->fn(sink->ctx, name, x, n, d);
}

void tap_emitf(const tap_sink *sink, const double *x, int n, int d, const char *fmt, ...)
{
    if (!sink || !sink->fn)
        return;
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    sink->fn(sink->ctx, name, x, n, d);
}
