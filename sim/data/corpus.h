/* corpus.h - training data: a corpus split into train and validation, and batches drawn
 * from it. Specs:
 *   text[:PATH]       bytes of a file, or of every file in a folder (sorted); default the
 *                     fortune databases of Debian's fortunes package (vocab 256)
 *   tokens:PATH       llm.c's token file: 256 int32 header (magic 20240520, version 1,
 *                     count), then count uint16 tokens
 *   zipf-markov[:S]   synthetic language: a random Markov chain over the vocabulary whose
 *                     rows are Zipf(S) (default 1.1) over a per-state permutation
 *   copy              induction task: sequences whose second half repeats the first
 *   digits[:PATH]     labelled 8x8 digit images (image models)
 * The last 10% (images: 20%) is the validation split. */
#ifndef NS_CORPUS_H
#define NS_CORPUS_H
#include <stdint.h>
#include "sim/model/arch.h"
#include "sim/base/err.h"
#include "sim/base/rng.h"

#define FORTUNES_DIR "/usr/share/games/fortunes"

typedef struct {
    int images;      /* 1: labelled images */
    int vocab;       /* tokens: the largest id + 1 the data can hold */
    int *tok;        /* tokens */
    long n, split;   /* train [0, split), validation [split, n) */
    int period;      /* > 0: windows start at multiples of it (the copy task) */
    double *img;     /* (n, 64) pixels in [-1, 1] */
    int *label;      /* (n) */
    char name[64];
} corpus;

/* Load spec for a model of config c (vocab, seq checked against the data). */
int corpus_load(corpus *k, const char *spec, const ns_config *c, uint64_t seed, ns_err *e);
void corpus_free(corpus *k);
/* B windows of T tokens (or B images) from split 0 (train) or 1 (validation). */
void corpus_batch(const corpus *k, int split, pcg32 *r, int B, int T, int *tok, double *img,
                  int *label);

#endif
