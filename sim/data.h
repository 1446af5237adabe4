/* data.h - token sources for the diagnostic: uniform or Zipfian over the vocabulary,
 * drawn from the data stream of the seed (so the data never changes the weights). */
#ifndef NS_DATA_H
#define NS_DATA_H
#include <stdint.h>
#include "err.h"
#include "rng.h"

typedef struct {
    int vocab;
    double zipf_s; /* 0: uniform; else P(k) ~ (k + 1)^-s */
    double *cdf;   /* (vocab) cumulative probabilities, Zipf only */
    pcg32 rng;
} token_source;

/* spec: "uniform" or "zipf[:s]" (s > 0, default 1.0) */
int token_source_init(token_source *s, const char *spec, int vocab, uint64_t seed, ns_err *e);
void token_source_free(token_source *s);
void token_source_fill(token_source *s, int *tok, long n);

#endif
