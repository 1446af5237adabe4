/* arch.c - the archetype table. Facts from shared/ARCHETYPES.md; sizes are ours. */
#include "arch.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *summary;
    ns_config cfg;
} arch_row;

static const arch_row arch_table[] = {
    {"GPT-2: pre-LN (ln_1, ln_2, ln_f), learned positions, causal MHA, tanh-GELU MLP, "
     "tied unembedding; N(0,0.02), output projections N(0,0.02/sqrt(2L))",
     {.arch = "gpt2", .norm = "layernorm", .d = 128, .layers = 4, .heads = 4, .seq = 64,
      .vocab = 512, .d_ff = 0, .eps = 1e-5, .init_std = 0.02, .mlp = MLP_GELU_TANH,
      .pos = POS_LEARNED, .tied = 1, .causal = 1}},
};

#define ARCH_N ((int)(sizeof arch_table / sizeof arch_table[0]))

int arch_count(void) { return ARCH_N; }
const char *arch_name(int i) { return (i >= 0 && i < ARCH_N) ? arch_table[i].cfg.arch : NULL; }
const char *arch_summary(int i) { return (i >= 0 && i < ARCH_N) ? arch_table[i].summary : NULL; }

int arch_config(const char *name, ns_config *cfg, ns_err *e)
{
    for (int i = 0; i < ARCH_N; i++)
        if (strcmp(arch_table[i].cfg.arch, name) == 0) {
            *cfg = arch_table[i].cfg;
            return NS_OK;
        }
    char names[512] = "";
    size_t used = 0;
    for (int i = 0; i < ARCH_N && used < sizeof names; i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                 arch_table[i].cfg.arch);
    return ns_fail(e, NS_EUSAGE, "unknown arch '%s' (valid: %s)", name, names);
}

/* Limits keep one model's parameters and one batch's activations in memory. */
#define LIMIT_D 16384
#define LIMIT_LAYERS 512
#define LIMIT_SEQ 65536
#define LIMIT_VOCAB 1048576

static int check_range(ns_err *e, const char *what, long v, long lo, long hi)
{
    if (v < lo || v > hi)
        return ns_fail(e, NS_EUSAGE, "%s must be in [%ld, %ld] (got %ld)", what, lo, hi, v);
    return NS_OK;
}

int config_validate(const ns_config *c, ns_err *e)
{
    if (check_range(e, "--d", c->d, 1, LIMIT_D) || check_range(e, "--layers", c->layers, 1, LIMIT_LAYERS) ||
        check_range(e, "--heads", c->heads, 1, c->d) || check_range(e, "--seq", c->seq, 1, LIMIT_SEQ) ||
        check_range(e, "--vocab", c->vocab, 1, LIMIT_VOCAB) ||
        check_range(e, "--d-ff", c->d_ff, 0, 16L * LIMIT_D))
        return e ? e->code : NS_EUSAGE;
    if (c->d % c->heads != 0)
        return ns_fail(e, NS_EUSAGE, "--d %d is not divisible by --heads %d", c->d, c->heads);
    double params = (double)c->vocab * c->d + (double)c->seq * c->d +
                    (double)c->layers * (4.0 * c->d * c->d + 2.0 * c->d * (c->d_ff ? c->d_ff : 4 * c->d));
    if (params > 1e9)
        return ns_fail(e, NS_EUSAGE, "model too large: %.3g parameters (limit 1e9)", params);
    return NS_OK;
}
