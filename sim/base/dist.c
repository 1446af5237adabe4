/* dist.c - the process's distributed-run table (see dist.h). */
#include "sim/base/dist.h"
#include <stdlib.h>
#include <string.h>

static const ns_dist *the_dist;

const ns_dist *ns_dist_get(void) { return the_dist; }
void ns_dist_set(const ns_dist *d) { the_dist = d; }

/* rank r owns [floor(r n / K), floor((r + 1) n / K)) */
void ns_dist_share(const ns_dist *d, unsigned long long n, unsigned long long *begin,
                   unsigned long long *end)
{
    unsigned long long r = d ? (unsigned long long)d->rank : 0, k = d ? (unsigned long long)d->size : 1;
    *begin = (unsigned long long)((unsigned __int128)n * r / k);
    *end = (unsigned long long)((unsigned __int128)n * (r + 1) / k);
}

#define TAG_SUM 200

/* rank 0: x = x_0 + x_1 + ... + x_{K-1}, added in that order; then x sent to every rank */
int ns_dist_sum(const ns_dist *d, double *x, size_t n, ns_err *e)
{
    if (!d || d->size < 2)
        return NS_OK;
    void *msg;
    size_t len;
    int from, tag, rc = NS_OK;
    if (d->rank > 0) {
        if ((rc = d->send(d->ctx, 0, TAG_SUM, x, sizeof *x * n, e)) ||
            (rc = d->recv(d->ctx, 0, 1, &msg, &len, &from, &tag, e)))
            return rc;
        if (len == sizeof *x * n)
            memcpy(x, msg, len);
        else
            rc = ns_fail(e, NS_ERUN, "rank 0 sent a sum of %zu bytes (want %zu)", len, sizeof *x * n);
        free(msg);
        return rc;
    }
    for (int r = 1; r < d->size && !rc; r++) {
        if ((rc = d->recv(d->ctx, r, 1, &msg, &len, &from, &tag, e)))
            break;
        if (len != sizeof *x * n)
            rc = ns_fail(e, NS_ERUN, "rank %d sent %zu bytes to a sum of %zu", r, len, sizeof *x * n);
        const double *y = msg;
        for (size_t i = 0; !rc && i < n; i++)
            x[i] += y[i];
        free(msg);
    }
    for (int r = 1; r < d->size && !rc; r++)
        rc = d->send(d->ctx, r, TAG_SUM, x, sizeof *x * n, e);
    return rc;
}
