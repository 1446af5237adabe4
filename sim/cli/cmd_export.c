/* cmd_export.c - `normsim export`: a model's weights, its input tokens, every tap and the
 * logits of one forward pass, as .npy files (plus config.json), for independent checks
 * (tests/oracle rebuilds the model in PyTorch from them). */
#include "sim/cli/commands.h"
#include "sim/cli/model_opts.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/data/inputs.h"
#include "sim/model/config_json.h"
#include "sim/model/forward.h"
#include "sim/model/backward.h"
#include "sim/model/loss.h"
#include "sim/io/npy.h"
#include "sim/base/atomic_file.h"
#include "sim/base/out_path.h"
#include "sim/base/rng.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char export_help[] =
    "usage: normsim export --out DIR [options]\n"
    "\n"
    "Write DIR/config.json, DIR/weights/<tensor>.npy (float64, Linear weights as (out, in)),\n"
    "DIR/tokens.npy (int32, sequences x tokens per sequence; image models: DIR/images.npy,\n"
    "images x channels x side x side), DIR/taps/<tap>.npy (float64, rows x d) for every tap\n"
    "(embed, resid.<l>, block.<l>.<norm>.out, final.in, final.out, ...) and DIR/logits.npy\n"
    "(rows x vocab; image models: images x classes) of one forward pass. DIR must not exist;\n"
    "it is written as DIR.tmp-XXXXXX and renamed when complete, so a failed or interrupted\n"
    "export leaves nothing behind.\n"
    "\n"
    "model:\n" MODEL_OPTS_HELP
    "\n"
    "  --out DIR            output folder (created)\n"
    "  --hf DIR             also (or only) the model as a Hugging Face checkpoint: DIR/model.safetensors\n"
    "                       under the family's HF names and DIR/config.json (docs/formats.md)\n"
    "  --tokens N           tokens: a multiple of --seq, or at most one sequence (default 256);\n"
    "                       image models: whole images covering at least N rows\n"
    "  --grads              also the gradient of the mean cross-entropy of random targets\n"
    "                       (the probe stream's): DIR/targets.npy (int32, one per logit row),\n"
    "                       DIR/loss.npy, DIR/grads/<tensor>.npy (shaped as the weights)\n"
    "  --data SPEC          input: uniform | zipf[:S] (tokens, default uniform),\n"
    "                       digits[:PATH] | synthetic (images, default digits)\n";

typedef struct {
    const char *dir;
    ns_err err;
} tap_writer;

static void write_tap(void *ctx, const char *name, const double *x, int n, int d)
{
    tap_writer *w = ctx;
    char path[4096];
    size_t shape[2] = {(size_t)n, (size_t)d};
    if (w->err.code)
        return;
    snprintf(path, sizeof path, "%s/taps/%s.npy", w->dir, name);
    npy_write_f64(path, x, 2, shape, &w->err);
}

static int make_dir(const char *path, ns_err *e)
{
    if (mkdir(path, 0777) != 0)
        return ns_fail(e, errno == ENOENT || errno == ENOTDIR || errno == EACCES ? NS_EUSAGE : NS_ERUN,
                       "cannot create %s: %s", path, strerror(errno));
    return NS_OK;
}

/* replace (or add) key in o by v */
static void set_item(cJSON *o, const char *key, cJSON *v)
{
    if (cJSON_HasObjectItem(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else
        cJSON_AddItemToObject(o, key, v);
}

/* every architectural fact, for independent rebuilds: the config's fields (config_json.h,
 * enums by name), then the derived facts resolved - kv_heads, head_dim, attn_scale, the
 * bias flags, and per layer rope_dims, rope_base (0 without RoPE) and window */
static cJSON *features_json(const ns_config *c, const ns_model *m)
{
    cJSON *f = config_to_json(c);
    if (!f)
        return NULL;
    set_item(f, "kv_heads", cJSON_CreateNumber(m->kv_heads));
    set_item(f, "head_dim", cJSON_CreateNumber(m->hd));
    set_item(f, "attn_scale", cJSON_CreateNumber(c->attn_scale > 0 ? c->attn_scale : 1.0 / sqrt((double)m->hd)));
    static const struct { const char *key; int bit; } bias[] = {{"bias_qkv", BIAS_QKV},
        {"bias_attn_out", BIAS_ATTN_OUT}, {"bias_mlp", BIAS_MLP}, {"bias_head", BIAS_HEAD},
        {"bias_patch", BIAS_PATCH}};
    for (size_t i = 0; i < sizeof bias / sizeof bias[0]; i++)
        set_item(f, bias[i].key, cJSON_CreateBool((c->bias & bias[i].bit) != 0));
    cJSON *rd = cJSON_CreateArray(), *rb = cJSON_CreateArray(), *win = cJSON_CreateArray();
    for (int l = 0; l < c->layers; l++) {
        cJSON_AddItemToArray(rd, cJSON_CreateNumber(config_rope_dims(c, l)));
        cJSON_AddItemToArray(rb, cJSON_CreateNumber(c->pos == POS_ROPE ? config_rope_base(c, l) : 0));
        cJSON_AddItemToArray(win, cJSON_CreateNumber(config_window(c, l)));
    }
    set_item(f, "rope_dims", rd);
    set_item(f, "rope_base", rb);
    set_item(f, "window", win);
    return f;
}

static int write_config(const char *dir, const ns_model *m, const model_opts *o, ns_err *e)
{
    char path[4096], gamma[32];
    model_opts_gamma_name(o, gamma, sizeof gamma);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "arch", m->cfg.arch);
    cJSON_AddStringToObject(c, "norm", m->cfg.norm);
    cJSON_AddNumberToObject(c, "d", m->cfg.d);
    cJSON_AddNumberToObject(c, "layers", m->cfg.layers);
    cJSON_AddNumberToObject(c, "heads", m->cfg.heads);
    cJSON_AddNumberToObject(c, "seq", m->cfg.seq);
    cJSON_AddNumberToObject(c, "vocab", m->cfg.vocab);
    cJSON_AddNumberToObject(c, "d_ff", m->d_ff);
    cJSON_AddNumberToObject(c, "eps", m->cfg.eps);
    cJSON_AddItemToObject(c, "features", features_json(&m->cfg, m));
    cJSON_AddStringToObject(c, "precision", precision_name(m->prec));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    cJSON_AddStringToObject(c, "seed", seed); /* a string: JSON numbers lose seeds > 2^53 */
    cJSON_AddStringToObject(c, "gamma", gamma);
    cJSON *t = cJSON_AddArrayToObject(c, "tensors");
    for (int i = 0; i < m->n_tensors; i++)
        cJSON_AddItemToArray(t, cJSON_CreateString(m->tensors[i].name));
    char *s = cJSON_Print(c);
    cJSON_Delete(c);
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = s ? atomic_write_text(path, s, e) : ns_fail(e, NS_ERUN, "cannot write %s: out of memory", path);
    free(s);
    return rc;
}

static int write_weights(const char *dir, const ns_model *m, ns_err *e)
{
    char path[4096];
    for (int i = 0; i < m->n_tensors; i++) {
        const ns_tensor *t = &m->tensors[i];
        size_t shape[2] = {(size_t)t->rows, (size_t)t->cols};
        snprintf(path, sizeof path, "%s/weights/%s.npy", dir, t->name);
        int rc = t->rows == 1 ? npy_write_f64(path, m->params + t->offset, 1, shape + 1, e)
                              : npy_write_f64(path, m->params + t->offset, 2, shape, e);
        if (rc)
            return rc;
    }
    return NS_OK;
}

/* With --grads: random targets (data stream) for every logit row, the mean cross-entropy,
 * and dL/dparams by model_backward, written as targets.npy, loss.npy, grads/<tensor>.npy */
static int export_grads(const char *dir, const ns_model *m, ns_workspace *w, const ns_batch *in,
                        const double *logits, uint64_t seed, ns_err *e)
{
    const int V = m->cfg.vocab, L = model_logit_rows(m, in->B, in->T);
    int *target = malloc(sizeof(int) * (size_t)L);
    double *dlogits = malloc(sizeof(double) * (size_t)L * V), *grads = calloc(m->n_params, sizeof(double));
    ns_grads_ws g;
    int rc = target && dlogits && grads ? grads_ws_create(&g, m, in->B * in->T, in->T, e)
                                        : ns_fail(e, NS_ERUN, "out of memory for gradients");
    if (!rc) {
        pcg32 r;
        pcg32_seed(&r, seed, RNG_PROBE);
        for (int i = 0; i < L; i++)
            target[i] = (int)rng_below(&r, (uint32_t)V);
        double loss = cross_entropy(logits, target, L, V, dlogits);
        model_backward(m, w, &g, in, logits, dlogits, grads);
        grads_ws_free(&g);
        char path[4096];
        size_t one = 1, ls = (size_t)L;
        snprintf(path, sizeof path, "%s/targets.npy", dir);
        rc = npy_write_i32(path, target, 1, &ls, e);
        snprintf(path, sizeof path, "%s/loss.npy", dir);
        if (!rc)
            rc = npy_write_f64(path, &loss, 1, &one, e);
        snprintf(path, sizeof path, "%s/grads", dir);
        if (!rc)
            rc = make_dir(path, e);
        for (int i = 0; !rc && i < m->n_tensors; i++) {
            const ns_tensor *t = &m->tensors[i];
            size_t shape[2] = {(size_t)t->rows, (size_t)t->cols};
            snprintf(path, sizeof path, "%s/grads/%s.npy", dir, t->name);
            rc = t->rows == 1 ? npy_write_f64(path, grads + t->offset, 1, shape + 1, e)
                              : npy_write_f64(path, grads + t->offset, 2, shape, e);
        }
    }
    free(target);
    free(dlogits);
    free(grads);
    return rc;
}

/* one forward of B sequences of T rows from the data source; taps and logits to files */
static int export_forward(const char *dir, const ns_model *m, batch_source *src, int B, int T,
                          int with_grads, uint64_t seed, ns_err *e)
{
    ns_workspace w;
    const int V = m->cfg.vocab, L = model_logit_rows(m, B, T);
    double *logits = malloc(sizeof(double) * (size_t)L * V);
    int rc = logits ? (with_grads ? workspace_create_train(&w, m, B * T, T, e) : workspace_create(&w, m, B * T, T, e))
                    : ns_fail(e, NS_ERUN, "out of memory");
    if (rc) {
        free(logits);
        return rc;
    }
    ns_batch batch;
    batch_source_next(src, B, T, &batch);
    tap_writer tw = {dir, {0}};
    tap_sink sink = {write_tap, &tw};
    model_forward(m, &w, &batch, &sink, logits);
    char path[4096];
    size_t ls[2] = {(size_t)L, (size_t)V};
    if (tw.err.code)
        rc = (*e = tw.err).code;
    if (!rc && batch.tok) {
        size_t ts[2] = {(size_t)B, (size_t)T};
        snprintf(path, sizeof path, "%s/tokens.npy", dir);
        rc = npy_write_i32(path, batch.tok, 2, ts, e);
    }
    if (!rc && batch.images) {
        const ns_config *c = &m->cfg;
        size_t is[4] = {(size_t)B, (size_t)c->channels, (size_t)c->image, (size_t)c->image};
        snprintf(path, sizeof path, "%s/images.npy", dir);
        rc = npy_write_f64(path, batch.images, 4, is, e);
    }
    snprintf(path, sizeof path, "%s/logits.npy", dir);
    if (!rc)
        rc = npy_write_f64(path, logits, 2, ls, e);
    if (!rc && with_grads)
        rc = export_grads(dir, m, &w, &batch, logits, seed, e);
    workspace_free(&w);
    free(logits);
    return rc;
}

/* --hf DIR: a new folder holding the model as a Hugging Face checkpoint (nothing left on failure) */
static int export_hf(const ns_model *m, const char *dir, ns_err *e)
{
    struct stat st;
    char path[4096];
    if (stat(dir, &st) == 0)
        return ns_fail(e, NS_EUSAGE, "%s already exists: choose a new --hf folder", dir);
    int rc = make_dir(dir, e);
    if (!rc && (rc = ckpt_export_hf(m, dir, e))) {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        remove(path);
        rmdir(dir);
    }
    return rc;
}

int cmd_export(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(export_help, stdout);
        return 0;
    }
    model_opts mo;
    model_opts_default(&mo);
    const char *dir = NULL, *data = NULL, *hf = NULL;
    long tokens = 256;
    int grads = 0;
    ns_err e = {0};
    const arg_spec opts[] = {ARG_S("--out", &dir), ARG_L("--tokens", &tokens, 1, 1L << 20),
                             ARG_F("--grads", &grads), ARG_S("--data", &data), ARG_S("--hf", &hf)};
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = model_opts_take(&it, &mo, &e);
        if (r == 0)
            r = arg_table(&it, opts, ARG_N(opts), &e);
        if (r < 0 || (r == 0 && arg_unknown(&it, "export", &e)))
            return cli_error(&e);
    }
    if (!dir && !hf) {
        ns_fail(&e, NS_EUSAGE, "export needs --out DIR (or --hf DIR)");
        return cli_error(&e);
    }
    ns_model m;
    if (model_opts_build(&mo, mo.norm, &m, &e))
        return cli_error(&e);
    if (hf) {
        int hrc = export_hf(&m, hf, &e);
        if (hrc || !dir) {
            model_free(&m);
            return hrc ? cli_error(&e) : 0;
        }
    }
    int T = tokens <= m.cfg.seq ? (int)tokens : m.cfg.seq, B = (int)((tokens + T - 1) / T);
    int rc = NS_OK;
    if (m.cfg.input == INPUT_PATCHES)
        T = m.cfg.seq, B = (int)((tokens + T - 1) / T); /* whole images */
    else if ((long)B * T != tokens)
        rc = ns_fail(&e, NS_EUSAGE, "--tokens %ld is not a multiple of --seq %d", tokens, m.cfg.seq);
    batch_source src;
    int have_src = 0;
    if (!rc && !(rc = batch_source_init(&src, &m.cfg, data ? data : batch_source_default(&m.cfg),
                                        mo.seed, B, &e)))
        have_src = 1;
    atomic_dir out = {0}; /* filled under DIR.tmp-XXXXXX, renamed to DIR when complete */
    char sub[4096];
    if (!rc)
        rc = atomic_dir_begin(&out, dir, "--out", &e);
    const char *tmp = rc ? "" : out.tmp;
    if (!rc && snprintf(sub, sizeof sub, "%s/taps", tmp) > 0)
        rc = make_dir(sub, &e);
    if (!rc && snprintf(sub, sizeof sub, "%s/weights", tmp) > 0)
        rc = make_dir(sub, &e);
    if (!rc)
        rc = write_config(tmp, &m, &mo, &e);
    if (!rc)
        rc = write_weights(tmp, &m, &e);
    if (!rc)
        rc = export_forward(tmp, &m, &src, B, T, grads, mo.seed, &e);
    if (!rc)
        rc = atomic_dir_commit(&out, &e);
    else
        atomic_dir_abort(&out);
    if (have_src)
        batch_source_free(&src);
    model_free(&m);
    return rc ? cli_error(&e) : 0;
}
