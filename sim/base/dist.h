/* dist.h - the process's place in a distributed run (normsim-mpi), as a table of message
 * primitives the subsystems use without knowing MPI: sim/mpi fills it in, build/normsim
 * never does (ns_dist_get() is then NULL: one process). Set once, at start, before any
 * command runs: the one piece of process state besides the norm registry. */
#ifndef NS_DIST_H
#define NS_DIST_H
#include <stddef.h>
#include "sim/base/err.h"

typedef struct {
    int rank, size;
    void *ctx;
    /* send len bytes to rank dest with tag (>= 0) */
    int (*send)(void *ctx, int dest, int tag, const void *buf, size_t len, ns_err *e);
    /* the next message from src (-1: any rank) into *buf (malloc'd; free it), its length,
     * sender and tag; block = 0: return NS_OK with *buf = NULL when none is waiting */
    int (*recv)(void *ctx, int src, int block, void **buf, size_t *len, int *from, int *tag, ns_err *e);
    /* end the whole job now with this exit code (after an error line was printed) */
    void (*abort)(void *ctx, int code);
} ns_dist;

/* the run's table, or NULL in a plain process */
const ns_dist *ns_dist_get(void);
void ns_dist_set(const ns_dist *d);
/* [begin, end) of n items owned by this rank: contiguous blocks in rank order
 * (d NULL: [0, n)) */
void ns_dist_share(const ns_dist *d, unsigned long long n, unsigned long long *begin,
                   unsigned long long *end);
/* x summed over the ranks in rank order (0, 1, ..., K-1: the same bits at the same K),
 * the sum on every rank; n doubles sent each way. d NULL or one rank: x unchanged. */
int ns_dist_sum(const ns_dist *d, double *x, size_t n, ns_err *e);

#endif
