/* cmd_norms.c - `normsim norms` and `normsim archs`: what the registries hold. */
#include "commands.h"
#include "args.h"
#include "../../norms/registry.h"
#include "../arch.h"
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

int cmd_archs(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(archs_help, stdout);
        return 0;
    }
    int rc = no_args(argc, argv, "archs");
    if (rc)
        return rc;
    for (int i = 0; i < arch_count(); i++) {
        ns_config c;
        arch_config(arch_name(i), &c, NULL);
        printf("%s\n  %s\n  defaults: norm %s (eps %g), d %d, layers %d, heads %d, seq %d, vocab %d\n",
               arch_name(i), arch_summary(i), c.norm, c.eps, c.d, c.layers, c.heads, c.seq, c.vocab);
    }
    return 0;
}
