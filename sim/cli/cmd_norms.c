/* cmd_norms.c - `normsim norms` and `normsim archs`: what the registries hold. */
#include "sim/cli/commands.h"
#include "sim/cli/args.h"
#include "norms/registry.h"
#include "sim/model/arch.h"
#include <stdio.h>

static const char norms_help[] =
    "usage: normsim norms\n"
    "List the registered normalization schemes: name, formula, parameters (symbol, length,\n"
    "init) and the exact kernel each predicts for the centred covariance of its output.\n";

static const char archs_help[] =
    "usage: normsim archs\n"
    "List the model families (archetypes) with their defining features and default sizes.\n";

static int no_args(int argc, char **argv, const char *cmd)
{
    if (argc <= 1)
        return 0;
    ns_err e;
    arg_iter it = {argc, argv, 1};
    arg_unknown(&it, cmd, &e);
    return cli_error(&e);
}

int cmd_norms(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(norms_help, stdout);
        return 0;
    }
    int rc = no_args(argc, argv, "norms");
    if (rc)
        return rc;
    for (int i = 0; i < norm_count(); i++) {
        const norm_ops *o = norm_at(i);
        printf("%s\n  formula:    %s\n  parameters:", o->name, o->summary);
        for (int k = 0; k < o->n_params; k++)
            printf("%s %s (%s, %s, init %g)", k ? "," : "", o->params[k].symbol,
                   o->params[k].name, o->params[k].per_channel ? "length d" : "scalar",
                   o->params[k].init);
        printf("%s\n  kernel:     %s\n", o->n_params ? "" : " none", o->kernel_formula);
    }
    return 0;
}

static const char *attention_kind(const ns_config *c, char *buf, size_t n)
{
    int kv = config_kv_heads(c);
    snprintf(buf, n, "%s%s%s", kv == 1 && c->heads > 1 ? "MQA" : kv < c->heads ? "GQA" : "MHA",
             c->causal ? "" : " bidir", c->window ? " +window" : "");
    return buf;
}

static const char *positions_kind(const ns_config *c, char *buf, size_t n)
{
    if (c->pos == POS_ROPE)
        snprintf(buf, n, "RoPE %g%%%s", 100 * c->rope_frac, c->rope_interleaved ? " interl." : "");
    else
        snprintf(buf, n, "%s", c->pos == POS_LEARNED && c->input == INPUT_PATCHES ? "learned+CLS"
                                                                                : arch_enum_label(ENUM_POS, c->pos));
    return buf;
}

int cmd_archs(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(archs_help, stdout);
        return 0;
    }
    int rc = no_args(argc, argv, "archs");
    if (rc)
        return rc;
    printf("%-10s %-4s %-18s %-15s %-9s %-16s %-15s %-6s %s\n", "arch", "set", "norm", "placement",
           "mlp", "positions", "attention", "tied", "defaults");
    for (int i = 0; i < arch_count(); i++) {
        ns_config c;
        char a[32], p[32];
        arch_config(arch_name(i), &c, NULL);
        printf("%-10s %-4s %-18s %-15s %-9s %-16s %-15s %-6s d%d L%d H%d T%d V%d\n", c.arch,
               arch_in_lineup(i) ? "*" : "", c.norm, arch_layout_label(c.placement, c.residual), arch_enum_label(ENUM_MLP, c.mlp),
               positions_kind(&c, p, sizeof p), attention_kind(&c, a, sizeof a),
               c.input == INPUT_PATCHES ? "-" : c.tied ? "yes" : "no", c.d, c.layers, c.heads, c.seq, c.vocab);
    }
    printf("\n* the paper's line-up (9 LayerNorm + 5 RMSNorm models)\n");
    for (int i = 0; i < arch_count(); i++)
        printf("  %-10s %s\n", arch_name(i), arch_summary(i));
    return 0;
}
