/* model_opts.h - the options every model-building command shares:
 * --arch --norm --d --layers --heads --seq --vocab --d-ff --seed --gamma */
#ifndef NS_MODEL_OPTS_H
#define NS_MODEL_OPTS_H
#include <stdint.h>
#include "sim/cli/args.h"
#include "sim/model/model.h"

typedef struct {
    const char *arch;  /* default gpt2 */
    const char *norm;  /* NULL: the family's; may be a comma-separated list */
    int norm_given;    /* --norm was on the command line (a plugin does not override it) */
    int d, layers, heads, kv_heads, seq, vocab, d_ff, window, image, patch; /* -1: family's */
    uint64_t seed;
    double gamma_spread; /* 0: g = 1 (ones); > 0: g = exp(spread N(0,1)) */
    double perturb;      /* > 0: every parameter += perturb N(0,1) */
    precision prec;      /* storage precision of activations */
    int threads;         /* --threads (0: OpenBLAS's, i.e. OPENBLAS_NUM_THREADS or all cores) */
} model_opts;

#define MODEL_OPTS_HELP \
    "  --arch NAME          model family (default gpt2; see `normsim archs`)\n" \
    "  --norm NAME          swap every norm of the model for this scheme (default: the\n" \
    "                       family's; see `normsim norms`)\n" \
    "  --norm-plugin PATH   load a scheme from a shared object (docs/plugins.md); it is\n" \
    "                       the --norm unless --norm is given (repeatable: the last)\n" \
    "  --d N                model width (defaults: see `normsim archs`)\n" \
    "  --layers N           blocks\n" \
    "  --heads N            query heads, must divide d\n" \
    "  --kv-heads N         key/value heads, must divide heads (1: multi-query)\n" \
    "  --seq N              tokens per sequence = context length (image models: fixed by\n" \
    "                       --image and --patch: patches + CLS)\n" \
    "  --vocab N            vocabulary size (image models: classes)\n" \
    "  --d-ff N             MLP width\n" \
    "  --window N           sliding-window span (families with one; 0: full attention)\n" \
    "  --image N, --patch N image side and patch side (image models)\n" \
    "  --precision P        storage precision of every op's output: f64 (default), f32,\n" \
    "                       bf16, f16 (round to nearest even; compute stays in double)\n" \
    "  --seed N             seed of the weights and data streams (default 1)\n" \
    "  --gamma ones|random[:S]  norm gains: as initialised (1) or exp(S N(0,1)), S default 1\n" \
    "  --perturb S          add S N(0,1) to every parameter (biases included): a generic\n" \
    "                       non-init state\n" \
    "  --threads N          threads of every loop and of OpenBLAS (default: OPENBLAS_NUM_THREADS,\n" \
    "                       else every core); results do not depend on it\n"

void model_opts_default(model_opts *o);
/* 1 if it->argv[it->i] was one of these options (consumed), 0 if not, -1 on error */
int model_opts_take(arg_iter *it, model_opts *o, ns_err *e);
/* Config of arch + overrides with the given norm spec, validated. */
int model_opts_config(const model_opts *o, const char *norm, ns_config *cfg, ns_err *e);
/* Build, init and (with --gamma random) randomise the gains of one model. */
int model_opts_build(const model_opts *o, const char *norm, ns_model *m, ns_err *e);
/* --threads N (an ARG_C parser, dst an int): sets the thread count of normsim's loops
 * and of OpenBLAS from here on (sim/base/threads.h) */
int model_opts_parse_threads(const char *s, void *dst, ns_err *e);
/* "ones" or "random:<S>" */
void model_opts_gamma_name(const model_opts *o, char *buf, size_t n);

#endif
