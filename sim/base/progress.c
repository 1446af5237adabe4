/* progress.c - "label [#####.....] 45% ETA 3s" redrawn at most 10 times a second. */
#include "sim/base/progress.h"
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void progress_start(progress *p, const char *label, int want)
{
    p->active = want && isatty(STDERR_FILENO);
    p->start = p->last = now();
    p->label = label;
}

void progress_update(progress *p, double done, double total)
{
    if (!p->active)
        return;
    double t = now();
    if (t - p->last < 0.1 && done < total)
        return;
    p->last = t;
    double f = total > 0 ? done / total : 1.0, el = t - p->start;
    double eta = f > 0 ? el * (1.0 - f) / f : 0.0;
    char bar[31];
    int fill = (int)(f * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%s [%s] %3.0f%% ETA %.0fs ", p->label, bar, 100 * f, eta);
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->active)
        fprintf(stderr, "\r\033[K");
}
