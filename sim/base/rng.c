/* rng.c - PCG32 from its published definition (pcg-random.org, pcg_basic.c). */
#include "sim/base/rng.h"
#include <math.h>

/* state' = state * 6364136223846793005 + inc; output = rotr32(((s >> 18) ^ s) >> 27, s >> 59) */
uint32_t pcg32_next(pcg32 *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

void pcg32_seed(pcg32 *r, uint64_t initstate, uint64_t initseq)
{
    r->state = 0u;
    r->inc = (initseq << 1u) | 1u;
    pcg32_next(r);
    r->state += initstate;
    pcg32_next(r);
}

/* u = (a * 2^26 + b) / 2^53 with a = 27 bits, b = 26 bits */
double rng_uniform(pcg32 *r)
{
    uint64_t a = pcg32_next(r) >> 5, b = pcg32_next(r) >> 6;
    return (double)(a * 67108864u + b) * (1.0 / 9007199254740992.0);
}

/* z = sqrt(-2 ln(1 - u1)) cos(2 pi u2) */
double rng_normal(pcg32 *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586476925 * u2);
}

/* reject draws from the incomplete top copy of [0, n) in [0, 2^32) */
uint32_t rng_below(pcg32 *r, uint32_t n)
{
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = pcg32_next(r);
        if (x >= threshold)
            return x % n;
    }
}
