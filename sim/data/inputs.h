/* data.h - inputs for the forward: token sources (uniform or Zipfian over the vocabulary)
 * and image sources, drawn from the data stream of the seed (so the data never changes
 * the weights), assembled into batches. */
#ifndef NS_DATA_H
#define NS_DATA_H
#include <stdint.h>
#include "sim/model/arch.h"
#include "sim/base/err.h"
#include "sim/model/forward.h"
#include "sim/base/rng.h"

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


/* ---- batches for the forward: token ids or images, by a spec string ----
 *   tokens:  uniform | zipf[:s]
 *   images:  digits[:PATH]  the 1797 8x8 grey digits of Debian's python3-sklearn
 *                           (pixels 0..16 mapped to [-1, 1]), drawn with replacement
 *            synthetic      3 Gaussian blobs of random centre, width and amplitude per
 *                           channel plus 0.1 N(0,1) noise, any size and channel count */
#define DIGITS_PATH "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

typedef struct {
    int images;        /* 1: image batches, 0: token batches */
    token_source tok;
    double *pool;      /* digits: (pool_n, 64) pixels in [-1, 1]; NULL: synthetic */
    int pool_n;
    int *labels;       /* digits: (pool_n) the digit of each image */
    int C, S;          /* channels, image side */
    pcg32 rng;         /* image draws (data stream) */
    int *tok_buf;      /* (max_B * T) */
    double *img_buf;   /* (max_B, C, S, S) */
    int max_B;
} batch_source;

/* the default spec for a model's input: "uniform" for tokens, "digits" for images */
const char *batch_source_default(const ns_config *c);
int batch_source_init(batch_source *s, const ns_config *c, const char *spec, uint64_t seed,
                      int max_B, ns_err *e);
/* Fill B sequences of T rows (B <= max_B) and point out at them. */
void batch_source_next(batch_source *s, int B, int T, ns_batch *out);
void batch_source_free(batch_source *s);

#endif
