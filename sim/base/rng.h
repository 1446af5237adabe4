/* rng.h - PCG32 (O'Neill 2014, XSH-RR 64/32) streams: one per purpose, so that
 * changing the data never changes the weights. Draws: uint32, uniform [0,1), normal. */
#ifndef NS_RNG_H
#define NS_RNG_H
#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc; /* always odd: selects the stream */
} pcg32;

/* Stream ids: the purpose a generator serves; a seed plus a purpose names one stream. */
enum { RNG_INIT = 1, RNG_DATA = 2, RNG_PROBE = 3, RNG_GAMMA = 4, RNG_PERTURB = 5, RNG_TRAIN = 6 };

void pcg32_seed(pcg32 *r, uint64_t initstate, uint64_t initseq);
uint32_t pcg32_next(pcg32 *r);
/* Uniform on [0, 1) with 53 random bits (two 32-bit draws). */
double rng_uniform(pcg32 *r);
/* Standard normal by Box-Muller (two uniforms per draw; the sine half is discarded
 * so every draw consumes the same amount of the stream). */
double rng_normal(pcg32 *r);
/* Uniform integer in [0, n) without modulo bias (Lemire-free rejection). */
uint32_t rng_below(pcg32 *r, uint32_t n);

#endif
