/* parallel.c - a scheme's forward and backward over token blocks, in parallel. */
#include "norms/parallel.h"
#include "sim/base/threads.h"
#include <string.h>

void norm_forward_par(const norm_ops *ops, const norm_cfg *c, const double *p, const double *x,
                      double *y, double *cache, int n)
{
    const size_t d = (size_t)c->d, cl = cache ? (size_t)ops->cache_per_token(c) : 0;
    const int nb = ns_blocks(n);
    NS_PAR_FOR(8L * n * c->d)
    for (int b = 0; b < nb; b++) {
        const int t0 = b * NS_BLOCK_ROWS, k = n - t0 < NS_BLOCK_ROWS ? n - t0 : NS_BLOCK_ROWS;
        ops->forward(c, p, x + t0 * d, y + t0 * d, cache ? cache + t0 * cl : NULL, k);
    }
}

size_t norm_backward_scratch(int n, size_t np)
{
    return (size_t)ns_blocks(n) * np;
}

/* dp += sum over blocks b (in order) of part_b = the block's gradient from zero */
void norm_backward_par(const norm_ops *ops, const norm_cfg *c, const double *p, const double *x,
                       const double *cache, const double *dy, double *dx, double *dp, size_t np,
                       double *part, int n)
{
    const size_t d = (size_t)c->d, cl = cache ? (size_t)ops->cache_per_token(c) : 0;
    const int nb = ns_blocks(n);
    NS_PAR_FOR(16L * n * c->d)
    for (int b = 0; b < nb; b++) {
        const int t0 = b * NS_BLOCK_ROWS, k = n - t0 < NS_BLOCK_ROWS ? n - t0 : NS_BLOCK_ROWS;
        double *pb = dp ? part + (size_t)b * np : NULL;
        if (pb)
            memset(pb, 0, sizeof(double) * np);
        ops->backward(c, p, x + t0 * d, cache ? cache + t0 * cl : NULL, dy + t0 * d, dx + t0 * d, pb, k);
    }
    if (!dp)
        return;
    NS_PAR_FOR((long)nb * (long)np)
    for (size_t i = 0; i < np; i++)
        for (int b = 0; b < nb; b++)
            dp[i] += part[(size_t)b * np + i];
}
