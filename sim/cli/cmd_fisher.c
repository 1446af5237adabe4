/* cmd_fisher.c - `normsim fisher`: parameter-space dead directions (claim C7) of every
 * LN-fed matrix, on a random-init model (the model options) or a checkpoint (HF or
 * normsim's, loaded by ckpt_import as diagnose --checkpoint does), and the LoRA guard. */
#include "sim/cli/commands.h"
#include "sim/cli/args.h"
#include "sim/cli/model_opts.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/diag/diag_report.h"
#include "sim/fisher/fisher.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char fisher_help[] =
    "usage: normsim fisher [model options | --checkpoint PATH ...] [options]\n"
    "\n"
    "For every Linear weight W that reads a norm output y (q, k, v, MLP gate/up, the head or\n"
    "bert's MLM transform), the directional Fisher F(D) = E_t[Var_pi(dz)] of the model's own\n"
    "predictive distribution pi along K members of the predicted dead subspace D = (U P,\n"
    "-U P b) (P: the norm's kernel, p = g^-1/||g^-1|| for LayerNorm; the bias part only where\n"
    "the layer has a bias) and along K random directions of the same norm in the same\n"
    "tensors; their ratio, the empirical Fisher with next-token targets, the per-token\n"
    "gradient projection g_t . D, and a verdict: DEAD, NOT DEAD (no bias and p . b != 0: a\n"
    "missing bias; or tied to the embedding), NO KERNEL (RMSNorm), MISMATCH (predicted dead,\n"
    "measured not). dz is a central difference of the logits at h and h/2, Richardson-\n"
    "extrapolated (error O(h^4); fd_rel_err = |F_R - F_h/2| / F_R bounds it). docs/fisher.md.\n"
    "\n"
    "model (random init):\n" MODEL_OPTS_HELP
    "\n"
    "checkpoint (instead of the model options):\n"
    "  --checkpoint PATH    a normsim checkpoint (normsim train's DIR/checkpoint.safetensors) or a\n"
    "                       Hugging Face one (GPT-2 / LLaMA naming), as in diagnose --checkpoint\n"
    "  --arch NAME, --config FILE, --no-config, --heads N, --seq N, --precision P   as there\n"
    "  --seed N             seed of the data and the directions (default 1)\n"
    "\n"
    "  --tokens N           token rows to average over: floor(N / seq) sequences, or one of N\n"
    "                       tokens when N < seq (image models: N images) (default 512)\n"
    "  --directions K       dead and random directions per tensor (default 4)\n"
    "  --tensors REGEX      only the weights whose name matches (POSIX extended regex)\n"
    "  --data SPEC          token source: uniform | zipf[:S] (default uniform)\n"
    "  --step H             finite-difference step: ||h D|| = H ||W||_F (default 1e-3)\n"
    "  --threshold T        DEAD if max F(dead) <= T mean F(random) (default 1e-12)\n"
    "  --lora-rank R        LoRA guard: the rank of the top-R right singular directions of dL/dW\n"
    "                       spent on span(p), before and after projecting p out (default 0: off)\n"
    "  --save-dir DIR       write the tokens and every direction as .npy into DIR (must exist)\n"
    "  --format F           table (default), csv or json\n";

typedef struct {
    model_opts mo;
    fisher_opts fo;
    const char *checkpoint, *config, *ckpt_arch;
    int no_config, heads, seq, format, model_opt_seen;
    precision prec;
} fisher_cli;

static int take_fisher(arg_iter *it, fisher_cli *c, ns_err *e)
{
    const arg_spec opts[] = {
        ARG_S("--tensors", &c->fo.tensors), ARG_S("--data", &c->fo.data), ARG_S("--save-dir", &c->fo.save_dir),
        ARG_S("--checkpoint", &c->checkpoint), ARG_S("--config", &c->config),
        ARG_F("--no-config", &c->no_config), ARG_L("--tokens", &c->fo.tokens, 1, 100000000L),
        ARG_I("--directions", &c->fo.K, 1, 1000), ARG_D("--step", &c->fo.step, 1e-8, 0.1),
        ARG_D("--threshold", &c->fo.threshold, 0.0, 1.0), ARG_I("--lora-rank", &c->fo.lora_rank, 1, 16384),
        ARG_C("--format", &c->format, arg_parse_format),
    };
    return arg_table(it, opts, ARG_N(opts), e);
}

/* the options diagnose --checkpoint shares with the model options */
static int take_ckpt(arg_iter *it, fisher_cli *c, ns_err *e)
{
    const arg_spec opts[] = {
        ARG_S("--arch", &c->ckpt_arch), ARG_I("--heads", &c->heads, 1, 16384), ARG_I("--seq", &c->seq, 1, 65536),
        ARG_U("--seed", &c->mo.seed), ARG_C("--precision", &c->prec, arg_parse_precision),
    };
    return arg_table(it, opts, ARG_N(opts), e);
}

static int has_checkpoint(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--checkpoint") == 0 || strncmp(argv[i], "--checkpoint=", 13) == 0)
            return 1;
    return 0;
}

static int parse(int argc, char **argv, fisher_cli *c, ns_err *e)
{
    memset(c, 0, sizeof *c);
    model_opts_default(&c->mo);
    c->fo = (fisher_opts){.tokens = 512, .K = 4, .step = 1e-3, .threshold = 1e-12, .progress = 1};
    c->heads = c->seq = -1;
    c->format = FORMAT_TABLE;
    const int ckpt = has_checkpoint(argc, argv);
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = take_fisher(&it, c, e);
        if (r == 0)
            r = ckpt ? take_ckpt(&it, c, e) : model_opts_take(&it, &c->mo, e);
        if (r < 0)
            return e->code ? e->code : NS_EUSAGE;
        if (r == 0)
            return ckpt ? ns_fail(e, NS_EUSAGE, "option '%s' does not apply to fisher --checkpoint (the "
                                  "checkpoint fixes the model; see normsim fisher --help)", argv[it.i])
                        : arg_unknown(&it, "fisher", e);
    }
    if (ckpt && !c->checkpoint)
        return ns_fail(e, NS_EUSAGE, "--checkpoint needs a path");
    if (!ckpt && (c->config || c->no_config))
        return ns_fail(e, NS_EUSAGE, "--config and --no-config apply only with --checkpoint");
    if (c->config && c->no_config)
        return ns_fail(e, NS_EUSAGE, "--config and --no-config exclude each other");
    struct stat st;
    if (c->fo.save_dir && (stat(c->fo.save_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return ns_fail(e, NS_EUSAGE, "--save-dir %s: not an existing folder", c->fo.save_dir);
    c->fo.seed = c->mo.seed;
    return NS_OK;
}

/* the checkpoint as diagnose --checkpoint loads it */
static int load_checkpoint(const fisher_cli *c, ns_model *m, ns_err *e)
{
    ckpt_opts co = {c->ckpt_arch, NULL, c->heads, c->seq, c->prec};
    return ckpt_load(c->checkpoint, c->config, c->no_config, &co, m, e);
}

int cmd_fisher(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(fisher_help, stdout);
        return 0;
    }
    fisher_cli c;
    ns_err e = {0};
    ns_model m;
    int rc = parse(argc, argv, &c, &e);
    if (rc)
        return cli_error(&e);
    rc = c.checkpoint ? load_checkpoint(&c, &m, &e) : model_opts_build(&c.mo, c.mo.norm, &m, &e);
    if (rc)
        return cli_error(&e);
    fisher_result r;
    rc = fisher_run(&m, &c.fo, &r, &e);
    if (!rc)
        rc = fisher_report(stdout, c.format, &m, &r, &e);
    fisher_result_free(&r);
    model_free(&m);
    return rc ? cli_error(&e) : 0;
}
