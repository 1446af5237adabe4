/* parallel.h - a scheme's forward and backward run over blocks of tokens on
 * ns_threads() threads (sim/base/threads.h), the scheme's own code unchanged: a norm
 * acts on each token alone, so the forward and dx are exact per token; the parameter
 * gradient sums each block of NS_BLOCK_ROWS tokens into its own zeroed slice (the
 * scheme's loop, in token order), then adds the slices to dp in block order, whatever
 * the thread count. */
#ifndef NS_NORM_PARALLEL_H
#define NS_NORM_PARALLEL_H
#include "norms/norm.h"

/* ops->forward(cfg, p, x, y, cache, n), split over token blocks */
void norm_forward_par(const norm_ops *ops, const norm_cfg *cfg, const double *p, const double *x,
                      double *y, double *cache, int n);
/* doubles of scratch norm_backward_par needs for n tokens of a block of np parameters */
size_t norm_backward_scratch(int n, size_t np);
/* ops->backward(...) split over token blocks; np: the parameter block's length
 * (norm_param_count), part: norm_backward_scratch(n, np) doubles */
void norm_backward_par(const norm_ops *ops, const norm_cfg *cfg, const double *p, const double *x,
                       const double *cache, const double *dy, double *dx, double *dp, size_t np,
                       double *part, int n);

#endif
