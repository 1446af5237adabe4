/* cov_reduce.c - merge the covariance accumulators of every rank of a distributed run into
 * rank 0's, by Chan's formula in rank order (1, 2, ..., K-1): the same result from one run
 * to the next at the same K. Each rank sends n, its mean and its scatter matrix: 1 + d + d^2
 * doubles. */
#include "sim/stats/cov.h"
#include "sim/base/dist.h"
#include <stdlib.h>
#include <string.h>

#define TAG_COV 100

int cov_reduce(cov_acc *c, const ns_dist *d, ns_err *e)
{
    if (!d || d->size < 2)
        return NS_OK;
    const size_t nd = (size_t)c->d, count = 1 + nd + nd * nd;
    if (d->rank > 0) {
        double *buf = malloc(sizeof *buf * count);
        if (!buf)
            return ns_fail(e, NS_ERUN, "out of memory for a covariance message");
        buf[0] = (double)c->n;
        memcpy(buf + 1, c->mean, sizeof *buf * nd);
        memcpy(buf + 1 + nd, c->scatter, sizeof *buf * nd * nd);
        int rc = d->send(d->ctx, 0, TAG_COV, buf, sizeof *buf * count, e);
        free(buf);
        return rc;
    }
    for (int r = 1; r < d->size; r++) {
        void *msg;
        size_t len;
        int from, tag;
        int rc = d->recv(d->ctx, r, 1, &msg, &len, &from, &tag, e);
        if (rc)
            return rc;
        if (tag != TAG_COV || len != sizeof(double) * count) {
            free(msg);
            return ns_fail(e, NS_ERUN, "rank %d sent a covariance of %zu bytes (want %zu)", r, len,
                           sizeof(double) * count);
        }
        double *buf = msg;
        cov_acc b = {.d = c->d, .n = (long long)buf[0], .mean = buf + 1, .scatter = buf + 1 + nd};
        cov_merge(c, &b); /* reads n, mean and scatter only */
        free(msg);
    }
    return NS_OK;
}
