/* dist.c - the process's distributed-run table (see dist.h). */
#include "sim/base/dist.h"

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
