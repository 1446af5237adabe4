/* model_opts.h - the options every model-building command shares:
 * --arch --norm --d --layers --heads --seq --vocab --d-ff --seed --gamma */
#ifndef NS_MODEL_OPTS_H
#define NS_MODEL_OPTS_H
#include <stdint.h>
#include "args.h"
#include "../model.h"

typedef struct {
    const char *arch;  /* default gpt2 */
    const char *norm;  /* NULL: the family's; may be a comma-separated list */
    int d, layers, heads, seq, vocab, d_ff; /* -1: the family's default */
    uint64_t seed;
    double gamma_spread; /* 0: g = 1 (ones); > 0: g = exp(spread N(0,1)) */
} model_opts;

#define MODEL_OPTS_HELP \
    "  --arch NAME          model family (default gpt2; see `normsim archs`)\n" \
    "  --norm NAME[,NAME]   swap every norm of the model for this scheme (default: the\n" \
    "                       family's); a comma-separated list runs each, side by side\n" \
    "  --d N                model width (default: the family's, gpt2 128)\n" \
    "  --layers N           blocks (gpt2 4)\n" \
    "  --heads N            attention heads, must divide d (gpt2 4)\n" \
    "  --seq N              tokens per sequence = context length (gpt2 64)\n" \
    "  --vocab N            vocabulary size (gpt2 512)\n" \
    "  --d-ff N             MLP width (default 4d)\n" \
    "  --seed N             seed of the weights and data streams (default 1)\n" \
    "  --gamma ones|random[:S]  norm gains: all 1 (init) or exp(S N(0,1)), S default 1\n"

void model_opts_default(model_opts *o);
/* 1 if it->argv[it->i] was one of these options (consumed), 0 if not, -1 on error */
int model_opts_take(arg_iter *it, model_opts *o, ns_err *e);
/* Config of arch + overrides with the given norm spec, validated. */
int model_opts_config(const model_opts *o, const char *norm, ns_config *cfg, ns_err *e);
/* Build, init and (with --gamma random) randomise the gains of one model. */
int model_opts_build(const model_opts *o, const char *norm, ns_model *m, ns_err *e);
/* "ones" or "random:<S>" */
void model_opts_gamma_name(const model_opts *o, char *buf, size_t n);

#endif
