/* diagnose_ckpt.c - `normsim diagnose --checkpoint`: the diagnostic on imported weights
 * (Hugging Face GPT-2 / LLaMA naming, or a normsim checkpoint). Without --input and
 * --dump-acts it is diag_run on the imported model; with them the same measurement is
 * made here on token ids from a file, and the post-final-norm rows can be saved. */
#include "sim/cli/commands.h"
#include "sim/cli/args.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/data/inputs.h"
#include "sim/diag/diag.h"
#include "sim/model/forward.h"
#include "sim/io/npy.h"
#include "sim/base/progress.h"
#include "sim/diag/diag_report.h"
#include "sim/stats/spectrum.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char diagnose_ckpt_help[] =
    "checkpoints (the model is imported instead of built):\n"
    "  --checkpoint PATH    weights from a .safetensors file, a model.safetensors.index.json or a\n"
    "                       folder: Hugging Face GPT-2 naming (transformer.h.<i>.ln_1.weight,\n"
    "                       Conv1D (in, out) weights) or LLaMA naming (model.layers.<i>.\n"
    "                       input_layernorm.weight, ...; also mistral, qwen2), or a normsim\n"
    "                       checkpoint. Sizes come from the tensor shapes, checked against\n"
    "                       config.json (next to it, or --config) before any compute\n"
    "  --arch NAME          the naming family: gpt2, llama, mistral, qwen2 (default: config.json's\n"
    "                       model_type, else the tensor names)\n"
    "  --config FILE        Hugging Face config.json (n_head / num_attention_heads, eps, rope_theta)\n"
    "  --no-config          do not read config.json next to the checkpoint\n"
    "  --heads N            attention heads when there is no config.json\n"
    "  --seq N              tokens per sequence (default: the context length, at most 2048)\n"
    "  --input FILE         token ids (.npy, integers, (B, T) with T <= seq, or (T,)) instead of\n"
    "                       --tokens/--data\n"
    "  --dump-acts FILE     also save the post-final-norm rows (tap final.out) as .npy float64\n"
    "  --precision, --tokens, --data, --seed, --threshold, --format   as above\n";

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
    static const char *value_opts[] = {"--checkpoint", "--arch", "--config", "--input", "--dump-acts", "--data"};
    const char **slots[] = {&o->checkpoint, &o->arch, &o->config, &o->input, &o->dump, &o->data};
    memset(o, 0, sizeof *o);
    o->heads = o->seq = -1;
    o->tokens = 4096;
    o->seed = 1;
    o->format = FORMAT_TABLE;
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        const char *v;
        int r = arg_strings(&it, value_opts, slots, (int)(sizeof value_opts / sizeof value_opts[0]), e);
        if (r < 0)
            return e->code;
        if (r > 0)
            continue;
        if (arg_flag(&it, "--no-config"))
            o->no_config = 1;
        else if ((r = arg_value(&it, "--heads", &v, e)) != 0) {
            if (r < 0 || parse_int(v, "--heads", 1, 16384, &o->heads, e))
                return e->code;
        } else if ((r = arg_value(&it, "--seq", &v, e)) != 0) {
            if (r < 0 || parse_int(v, "--seq", 1, 65536, &o->seq, e))
                return e->code;
        } else if ((r = arg_value(&it, "--tokens", &v, e)) != 0) {
            if (r < 0 || parse_long(v, "--tokens", 1, 1000000000L, &o->tokens, e))
                return e->code;
            o->tokens_given = 1;
        } else if ((r = arg_value(&it, "--seed", &v, e)) != 0) {
            if (r < 0 || parse_u64(v, "--seed", &o->seed, e))
                return e->code;
        } else if ((r = arg_value(&it, "--threshold", &v, e)) != 0) {
            if (r < 0 || parse_double(v, "--threshold", 1e-300, 1.0, &o->threshold, e))
                return e->code;
        } else if ((r = arg_value(&it, "--precision", &v, e)) != 0) {
            if (r < 0 || precision_parse(v, &o->prec, e))
                return e->code;
        } else if ((r = arg_value(&it, "--format", &v, e)) != 0) {
            if (r < 0 || report_format_parse(v, &o->format, e))
                return e->code;
        } else
            return ns_fail(e, NS_EUSAGE, "option '%s' does not apply to diagnose --checkpoint (the "
                           "checkpoint fixes the model; see normsim diagnose --help)", argv[it.i]);
    }
    if (o->input && (o->tokens_given || o->data))
        return ns_fail(e, NS_EUSAGE, "--input sets the tokens: drop --tokens and --data");
    if (o->config && o->no_config)
        return ns_fail(e, NS_EUSAGE, "--config and --no-config exclude each other");
    return NS_OK;
}

/* ---- the measurement on our own stream (--input, --dump-acts) ---- */

typedef struct {
    int L;
    cov_acc *cov;       /* resid.0 .. resid.L, final.out */
    npy_writer *dump;
    ns_err err;
} ckpt_sink;

static void sink_fn(void *ctx, const char *name, const double *x, int n, int d)
{
    ckpt_sink *s = ctx;
    int idx = -1, l;
    char tail;
    if (s->err.code)
        return;
    if (strcmp(name, "final.out") == 0)
        idx = s->L + 1;
    else if (sscanf(name, "resid.%d%c", &l, &tail) == 1 && l >= 0 && l <= s->L)
        idx = l;
    if (idx < 0)
        return;
    cov_add(&s->cov[idx], x, n, &s->err);
    if (idx == s->L + 1 && s->dump && !s->err.code)
        npy_writer_put(s->dump, x, (uint64_t)n * (uint64_t)d, &s->err);
}

/* token ids: a (B, T) or (T,) integer .npy; every id checked against the vocabulary */
typedef struct {
    npy_reader r;
    int T, B;
    double *buf;
    int *tok;
} token_file;

static int token_file_open(token_file *f, const char *path, const ns_model *m, ns_err *e)
{
    memset(f, 0, sizeof *f);
    int rc = npy_open(&f->r, path, e);
    if (rc)
        return rc;
    const npy_header *h = &f->r.h;
    if (m->cfg.input != INPUT_TOKENS)
        rc = ns_fail(e, NS_EUSAGE, "--input takes token ids, but %s reads images", m->cfg.arch);
    else if (h->ndim != 1 && h->ndim != 2)
        rc = ns_fail(e, NS_EUSAGE, "%s: token ids must be (B, T) or (T,), got %d dimensions", path, h->ndim);
    else if (h->cols < 1 || h->cols > (uint64_t)m->cfg.seq || h->rows < 1 || h->rows > 100000000)
        rc = ns_fail(e, NS_EUSAGE, "%s: %llu sequences of %llu tokens; need at least one sequence of 1 to "
                     "%d tokens (--seq)", path, (unsigned long long)h->rows, (unsigned long long)h->cols,
                     m->cfg.seq);
    if (!rc) {
        f->T = (int)h->cols;
        f->B = f->T >= 1024 ? 1 : 1024 / f->T;
        f->buf = malloc(sizeof(double) * (size_t)f->B * f->T);
        f->tok = malloc(sizeof(int) * (size_t)f->B * f->T);
        if (!f->buf || !f->tok)
            rc = ns_fail(e, NS_ERUN, "out of memory");
    }
    if (rc) {
        npy_close(&f->r);
        free(f->buf);
        free(f->tok);
    }
    return rc;
}

static void token_file_close(token_file *f)
{
    npy_close(&f->r);
    free(f->buf);
    free(f->tok);
}

/* next up to B sequences; *b = 0 at the end */
static int token_file_next(token_file *f, int vocab, int *b, ns_err *e)
{
    uint64_t got;
    uint64_t first = f->r.next_row;
    int rc = npy_read_rows(&f->r, f->buf, (uint64_t)f->B, &got, e);
    for (uint64_t i = 0; !rc && i < got * (uint64_t)f->T; i++) {
        double v = f->buf[i];
        if (!(v >= 0 && v < vocab) || v != floor(v))
            return ns_fail(e, NS_EUSAGE, "%s: token %g at sequence %llu, position %llu is not an id in "
                           "[0, %d)", f->r.path, v, (unsigned long long)(first + i / (uint64_t)f->T),
                           (unsigned long long)(i % (uint64_t)f->T), vocab);
        f->tok[i] = (int)v;
    }
    *b = (int)got;
    return rc;
}

/* diag_run's stream: full batches of B sequences, then one shorter piece (token models),
 * or whole images; rows it will produce */
static long stream_rows(long tokens, int B, int T, int images)
{
    long done = 0;
    while (done < tokens) {
        long left = tokens - done;
        int b = left >= (long)B * T ? B : (left >= T ? (int)(left / T) : 1);
        int t = images || left >= T ? T : (int)left;
        done += (long)b * t;
    }
    return done;
}

typedef struct {
    token_file tf;
    batch_source src;
    int from_file, B, T, images;
    long tokens, done;
} feed;

static int feed_open(feed *f, const ckpt_diag_opts *o, const ns_model *m, ns_err *e)
{
    memset(f, 0, sizeof *f);
    if (o->input) {
        f->from_file = 1;
        int rc = token_file_open(&f->tf, o->input, m, e);
        f->tokens = rc ? 0 : (long)(f->tf.r.h.rows * f->tf.r.h.cols);
        f->B = f->tf.B;
        f->T = f->tf.T;
        return rc;
    }
    f->T = m->cfg.seq;
    f->B = f->T >= 1024 ? 1 : 1024 / f->T;
    f->images = m->cfg.input == INPUT_PATCHES;
    f->tokens = stream_rows(o->tokens, f->B, f->T, f->images);
    f->done = 0;
    return batch_source_init(&f->src, &m->cfg, o->data ? o->data : batch_source_default(&m->cfg), o->seed,
                             f->B, e);
}

static int feed_next(feed *f, const ckpt_diag_opts *o, const ns_model *m, ns_batch *batch, ns_err *e)
{
    memset(batch, 0, sizeof *batch);
    if (f->from_file) {
        int b = 0, rc = token_file_next(&f->tf, m->cfg.vocab, &b, e);
        *batch = (ns_batch){b, f->T, f->tf.tok, NULL, NULL};
        return rc;
    }
    long left = o->tokens - f->done;
    if (left <= 0)
        return NS_OK;
    int b = left >= (long)f->B * f->T ? f->B : (left >= f->T ? (int)(left / f->T) : 1);
    int t = f->images || left >= f->T ? f->T : (int)left;
    batch_source_next(&f->src, b, t, batch);
    f->done += (long)b * t;
    return NS_OK;
}

static void feed_close(feed *f)
{
    if (f->from_file)
        token_file_close(&f->tf);
    else
        batch_source_free(&f->src);
}

static int stream(const ckpt_diag_opts *o, const ns_model *m, ckpt_sink *sk, long *rows, ns_err *e)
{
    feed f;
    ns_workspace w;
    int rc = feed_open(&f, o, m, e);
    if (rc)
        return rc;
    if ((rc = workspace_create(&w, m, f.B * f.T, f.T, e))) {
        feed_close(&f);
        return rc;
    }
    tap_sink sink = {sink_fn, sk};
    progress pb;
    progress_start(&pb, "forward", 1);
    *rows = 0;
    for (;;) {
        ns_batch batch;
        if ((rc = feed_next(&f, o, m, &batch, e)) || batch.B == 0 || sk->err.code)
            break;
        model_forward(m, &w, &batch, &sink, NULL);
        *rows += (long)batch.B * batch.T;
        progress_update(&pb, (double)*rows, (double)f.tokens);
    }
    progress_end(&pb);
    workspace_free(&w);
    feed_close(&f);
    if (!rc && sk->err.code) {
        *e = sk->err;
        rc = e->code;
    }
    return rc;
}

/* sigma_min of each centred resid.<l>, then the final norm's covariance against its kernel */
static int measure(const ns_model *m, ckpt_sink *sk, double thr, long rows, diag_report *r, ns_err *e)
{
    const int d = m->cfg.d, L = m->cfg.layers;
    r->layers = L;
    r->d = d;
    r->tokens = rows;
    double *A = malloc(sizeof(double) * (size_t)d * d), *w = malloc(sizeof(double) * (size_t)d), *P = NULL;
    r->sigma_min = malloc(sizeof(double) * (size_t)(L + 1));
    int rc = A && w && r->sigma_min ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
    for (int l = 0; l <= L && !rc; l++) {
        cov_matrix(&sk->cov[l], A);
        if (!(rc = sym_eigen(d, A, w, 0, e)))
            r->sigma_min[l] = sqrt((w[0] > 0.0 ? w[0] : 0.0) * (double)sk->cov[l].n);
    }
    int k = rc ? 0 : m->norm->kernel(&m->ncfg, m->norm_final, NULL, 0);
    if (k > 0 && !(P = malloc(sizeof(double) * (size_t)k * d)))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    if (!rc && k > 0)
        m->norm->kernel(&m->ncfg, m->norm_final, P, k);
    if (!rc)
        rc = diag_measure(&sk->cov[L + 1], P, k, thr, r, e);
    free(P);
    free(A);
    free(w);
    return rc;
}

static int run_own(const ckpt_diag_opts *o, const ns_model *m, double thr, diag_report *r, ns_err *e)
{
    const int L = m->cfg.layers, d = m->cfg.d;
    ckpt_sink sk = {L, calloc((size_t)L + 2, sizeof(cov_acc)), NULL, {0}};
    npy_writer dump;
    long rows = 0;
    int rc = sk.cov ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; i < L + 2 && !rc; i++)
        rc = cov_init(&sk.cov[i], d, e);
    if (!rc && o->dump) {
        feed probe; /* the row count, for the header */
        if (!(rc = feed_open(&probe, o, m, e))) {
            uint64_t shape[2] = {(uint64_t)probe.tokens, (uint64_t)d};
            feed_close(&probe);
            if (!(rc = npy_writer_open(&dump, o->dump, NUM_F64, 2, shape, e)))
                sk.dump = &dump;
        }
    }
    if (!rc)
        rc = stream(o, m, &sk, &rows, e);
    if (!rc)
        rc = measure(m, &sk, thr, rows, r, e);
    if (sk.dump)
        rc = rc ? (npy_writer_abort(&dump), rc) : npy_writer_close(&dump, e);
    for (int i = 0; sk.cov && i < L + 2; i++)
        cov_free(&sk.cov[i]);
    free(sk.cov);
    return rc;
}

/* ---- the command ---- */

static int load_model(const ckpt_diag_opts *o, ns_model *m, ns_err *e)
{
    char cfg_path[4096], unused_name[256];
    cJSON *cfg = NULL;
    st_set s;
    int unused = 0, rc = NS_OK;
    if (o->config)
        rc = json_load_file(o->config, &cfg, e);
    else if (!o->no_config && ckpt_find_config(o->checkpoint, cfg_path, sizeof cfg_path))
        rc = json_load_file(cfg_path, &cfg, e);
    if (rc || (rc = st_set_open(&s, o->checkpoint, e))) {
        cJSON_Delete(cfg);
        return rc;
    }
    ckpt_opts co = {o->arch, cfg, o->heads, o->seq, o->prec};
    rc = ckpt_import(&s, &co, m, &unused, unused_name, sizeof unused_name, e);
    if (!rc && unused > 0)
        fprintf(stderr, "normsim: warning: %s: %d tensor%s not used by the %s import (e.g. '%s')\n",
                s.path, unused, unused == 1 ? "" : "s", m->cfg.arch, unused_name);
    st_set_close(&s);
    cJSON_Delete(cfg);
    return rc;
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
    if (o.input || o.dump)
        rc = run_own(&o, &m, thr, &res.r, &e);
    else {
        diag_opts d = {.tokens = o.tokens, .data = o.data, .seed = o.seed, .threshold = thr, .progress = 1};
        rc = diag_run(&m, &d, &res.r, &e);
    }
    if (!rc && res.r.warning[0])
        fprintf(stderr, "normsim: warning: %s/%s: %s\n", m.cfg.arch, m.cfg.norm, res.r.warning);
    if (!rc)
        rc = report_write(stdout, o.format, &res, 1, &e);
    diag_report_free(&res.r);
    model_free(&m);
    return rc ? cli_error(&e) : 0;
}
