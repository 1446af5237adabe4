/* diagnose_ckpt.c - `normsim diagnose --checkpoint`: the diagnostic on imported weights
 * (Hugging Face naming of every family but gemma4, GGUF, or a normsim checkpoint): diag_run on the imported
 * model, fed by the model's own source or by token ids from a file (--input), with the
 * post-final-norm rows passed on to a .npy dump (--dump-acts). */
#include "sim/cli/commands.h"
#include "sim/base/out_path.h"
#include "sim/cli/args.h"
#include "sim/cli/model_opts.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/data/inputs.h"
#include "sim/data/token_ids.h"
#include "sim/diag/diag.h"
#include "sim/io/npy.h"
#include "sim/diag/diag_report.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char diagnose_ckpt_help[] =
    "checkpoints (the model is imported instead of built):\n"
    "  --checkpoint PATH    weights from a .safetensors or .gguf file (read by content), a\n"
    "                       model.safetensors.index.json or a folder: Hugging Face naming of gpt2,\n"
    "                       pythia, opt, bloom, falcon, phi2, command-r, llama, mistral, qwen2, gemma,\n"
    "                       t5, olmo1, olmo2, bert, vit, dinov2 (docs/formats.md); GGUF llama, gpt2;\n"
    "                       or a normsim checkpoint. Sizes come from the tensor shapes, checked\n"
    "                       against config.json (next to it, or --config) before any compute\n"
    "  --arch NAME          the family (default: config.json's model_type, which it must match;\n"
    "                       without one, the tensor names, said in a warning)\n"
    "  --config FILE        Hugging Face config.json (n_head / num_attention_heads, eps, rope_theta)\n"
    "  --no-config          do not read config.json next to the checkpoint\n"
    "  --heads N            attention heads when there is no config.json\n"
    "  --seq N              tokens per sequence (default: the context length, at most 2048)\n"
    "  --input FILE         token ids (.npy, integers, (B, T) with T <= seq, or (T,)) instead of\n"
    "                       --tokens/--data\n"
    "  --dump-acts FILE     also save the post-final-norm rows (tap final.out) as .npy float64\n"
    "  --precision, --tokens, --data, --seed, --threshold, --format, --threads   as above\n";

typedef struct {
    const char *checkpoint, *arch, *config, *input, *dump, *data;
    int no_config, heads, seq, format, tokens_given;
    long tokens;
    uint64_t seed;
    double threshold;
    precision prec;
} ckpt_diag_opts;

static int parse(int argc, char **argv, ckpt_diag_opts *o, ns_err *e)
{
    memset(o, 0, sizeof *o);
    o->heads = o->seq = -1;
    o->tokens = 4096;
    o->seed = 1;
    o->format = FORMAT_TABLE;
    int threads = 0;
    const arg_spec opts[] = {
        ARG_C("--threads", &threads, model_opts_parse_threads),
        ARG_S("--checkpoint", &o->checkpoint), ARG_S("--arch", &o->arch),
        ARG_S("--config", &o->config), ARG_S("--input", &o->input),
        ARG_S("--dump-acts", &o->dump), ARG_S("--data", &o->data),
        ARG_F("--no-config", &o->no_config), ARG_I("--heads", &o->heads, 1, 16384),
        ARG_I("--seq", &o->seq, 1, 65536),
        {"--tokens", ARG_LONG, &o->tokens, 1, 1000000000L, NULL, &o->tokens_given},
        ARG_U("--seed", &o->seed), ARG_D("--threshold", &o->threshold, 1e-300, 1.0),
        ARG_C("--precision", &o->prec, arg_parse_precision),
        ARG_C("--format", &o->format, arg_parse_format),
    };
    if (arg_table_all(argc, argv, opts, ARG_N(opts),
                      "diagnose --checkpoint (the checkpoint fixes the model; see normsim diagnose --help)", e))
        return e->code;
    if (o->input && (o->tokens_given || o->data))
        return ns_fail(e, NS_EUSAGE, "--input sets the tokens: drop --tokens and --data");
    if (o->config && o->no_config)
        return ns_fail(e, NS_EUSAGE, "--config and --no-config exclude each other");
    return NS_OK;
}

/* ---- the feed (--input: a token file) and the dump (--dump-acts: final.out rows) ---- */

typedef struct {
    npy_writer *w;
    ns_err err;
} acts_dump;

static void dump_final(void *ctx, const char *name, const double *x, int n, int d)
{
    acts_dump *dp = ctx;
    if (!dp->err.code && strcmp(name, "final.out") == 0)
        npy_writer_put(dp->w, x, (uint64_t)n * (uint64_t)d, &dp->err);
}

/* the diagnostic of m on the feed f, the post-final-norm rows saved to o->dump when set */
static int run_feed(const ckpt_diag_opts *o, const ns_model *m, const diag_feed *f, double thr,
                    diag_report *r, ns_err *e)
{
    npy_writer w;
    acts_dump dp = {&w, {0}};
    tap_sink dump = {dump_final, &dp};
    uint64_t shape[2] = {(uint64_t)f->rows, (uint64_t)m->cfg.d};
    int rc = o->dump ? npy_writer_open(&w, o->dump, NUM_F64, 2, shape, e) : NS_OK;
    if (rc)
        return rc;
    diag_opts d = {.threshold = thr, .progress = 1, .feed = f, .also = o->dump ? &dump : NULL, .dist = cli_dist()};
    rc = diag_run(m, &d, r, e);
    if (!rc && dp.err.code) {
        diag_report_free(r);
        *e = dp.err;
        rc = e->code;
    }
    if (o->dump)
        rc = rc ? (npy_writer_abort(&w), rc) : npy_writer_close(&w, e);
    if (rc)
        diag_report_free(r);
    return rc;
}

/* the feed: the token file of --input, else the model's source (--tokens, --data, --seed) */
static int run(const ckpt_diag_opts *o, const ns_model *m, double thr, diag_report *r, ns_err *e)
{
    diag_feed f;
    token_ids ids;
    int rc = o->input ? token_ids_open(&ids, o->input, m, e)
                      : diag_feed_source(&f, m, o->data, o->seed, o->tokens, e);
    if (rc)
        return rc;
    if (o->input)
        f = (diag_feed){token_ids_next, &ids, token_ids_rows(&ids), ids.B, ids.T};
    rc = run_feed(o, m, &f, thr, r, e);
    if (o->input)
        token_ids_close(&ids);
    else
        diag_feed_close(&f);
    return rc;
}

/* ---- the command ---- */

static int load_model(const ckpt_diag_opts *o, ns_model *m, ns_err *e)
{
    ckpt_opts co = {o->arch, NULL, o->heads, o->seq, o->prec};
    return ckpt_load(o->checkpoint, o->config, o->no_config, &co, m, e);
}

int diagnose_checkpoint(int argc, char **argv)
{
    ckpt_diag_opts o;
    ns_err e = {0};
    ns_model m;
    run_result res;
    memset(&res, 0, sizeof res);
    int rc = parse(argc, argv, &o, &e);
    if (!rc && !o.checkpoint)
        rc = ns_fail(&e, NS_EUSAGE, "--checkpoint needs a path");
    if (!rc && o.dump) /* before any work (sim/base/out_path.h) */
        rc = out_check_file(o.dump, "--dump-acts", &e);
    if (!rc && o.dump && cli_dist())
        rc = ns_fail(&e, NS_EUSAGE, "--dump writes every row from one process: run it with normsim");
    if (rc || (rc = load_model(&o, &m, &e)))
        return cli_error(&e);
    double u = precision_unit_roundoff(o.prec);
    double thr = o.threshold > 0 ? o.threshold : (u * u > 1e-10 ? u * u : 1e-10);
    res.cfg = m.cfg;
    res.kernel_formula = m.norm->kernel_formula;
    res.precision = precision_name(m.prec);
    res.seed = o.seed;
    snprintf(res.gamma, sizeof res.gamma, "checkpoint");
    snprintf(res.data, sizeof res.data, "%s", o.input ? "file" : o.data ? o.data : batch_source_default(&m.cfg));
    rc = run(&o, &m, thr, &res.r, &e);
    if (!rc && res.r.warning[0] && !cli_dist_worker())
        fprintf(stderr, "normsim: warning: %s/%s: %s\n", m.cfg.arch, m.cfg.norm, res.r.warning);
    if (!rc && !cli_dist_worker())
        rc = report_write(stdout, o.format, &res, 1, &e);
    diag_report_free(&res.r);
    model_free(&m);
    return rc ? cli_error(&e) : 0;
}
