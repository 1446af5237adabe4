/* cmd_export.c - `normsim export`: a model's weights, its input tokens, every tap and the
 * logits of one forward pass, as .npy files (plus config.json), for independent checks
 * (tests/oracle rebuilds the model in PyTorch from them). */
#include "commands.h"
#include "model_opts.h"
#include "../data.h"
#include "../forward.h"
#include "../npy.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char export_help[] =
    "usage: normsim export --out DIR [options]\n"
    "\n"
    "Write DIR/config.json, DIR/weights/<tensor>.npy (float64, Linear weights as (out, in)),\n"
    "DIR/tokens.npy (int32, sequences x seq), DIR/taps/<tap>.npy (float64, tokens x d) for\n"
    "every tap (embed, resid.<l>, block.<l>.<norm>.out, final.in, final.out) and\n"
    "DIR/logits.npy (tokens x vocab) of one forward pass.\n"
    "\n"
    "model:\n" MODEL_OPTS_HELP
    "\n"
    "  --out DIR            output folder (created)\n"
    "  --tokens N           tokens: a multiple of --seq, or at most one sequence (default 256)\n"
    "  --data uniform|zipf[:S]  token distribution (default uniform)\n";

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
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return ns_fail(e, NS_ERUN, "cannot create %s: %s", path, strerror(errno));
    return NS_OK;
}

static int write_config(const char *dir, const ns_model *m, const model_opts *o, ns_err *e)
{
    char path[4096], tmp[4200], gamma[32];
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
    cJSON_AddNumberToObject(c, "seed", (double)o->seed);
    cJSON_AddStringToObject(c, "gamma", gamma);
    cJSON *t = cJSON_AddArrayToObject(c, "tensors");
    for (int i = 0; i < m->n_tensors; i++)
        cJSON_AddItemToArray(t, cJSON_CreateString(m->tensors[i].name));
    char *s = cJSON_Print(c);
    cJSON_Delete(c);
    snprintf(path, sizeof path, "%s/config.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = s ? fopen(tmp, "w") : NULL;
    int ok = f && fputs(s, f) >= 0;
    ok = (f && fclose(f) == 0) && ok;
    free(s);
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return ns_fail(e, NS_ERUN, "cannot write %s", path);
    }
    return NS_OK;
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

/* one forward of B sequences of T tokens, taps and logits to files */
static int export_forward(const char *dir, const ns_model *m, const char *data, uint64_t seed,
                          int B, int T, ns_err *e)
{
    token_source src;
    ns_workspace w;
    int rc = token_source_init(&src, data, m->cfg.vocab, seed, e);
    if (rc)
        return rc;
    int *tok = malloc(sizeof(int) * (size_t)B * T);
    double *logits = malloc(sizeof(double) * (size_t)B * T * m->cfg.vocab);
    if (!tok || !logits || (rc = workspace_create(&w, m, B * T, T, e))) {
        free(tok);
        free(logits);
        token_source_free(&src);
        return rc ? rc : ns_fail(e, NS_ERUN, "out of memory for %d tokens", B * T);
    }
    token_source_fill(&src, tok, (long)B * T);
    tap_writer tw = {dir, {0}};
    tap_sink sink = {write_tap, &tw};
    model_forward(m, &w, tok, B, T, &sink, logits);
    char path[4096];
    size_t ts[2] = {(size_t)B, (size_t)T}, ls[2] = {(size_t)B * T, (size_t)m->cfg.vocab};
    if (tw.err.code)
        rc = (*e = tw.err).code;
    snprintf(path, sizeof path, "%s/tokens.npy", dir);
    if (!rc)
        rc = npy_write_i32(path, tok, 2, ts, e);
    snprintf(path, sizeof path, "%s/logits.npy", dir);
    if (!rc)
        rc = npy_write_f64(path, logits, 2, ls, e);
    workspace_free(&w);
    free(tok);
    free(logits);
    token_source_free(&src);
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
    const char *dir = NULL, *data = "uniform", *v;
    long tokens = 256;
    ns_err e = {0};
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = model_opts_take(&it, &mo, &e);
        if (r < 0)
            return cli_error(&e);
        if (r > 0)
            continue;
        if ((r = arg_value(&it, "--out", &v, &e)) != 0) {
            if (r < 0)
                return cli_error(&e);
            dir = v;
        } else if ((r = arg_value(&it, "--tokens", &v, &e)) != 0) {
            if (r < 0 || parse_long(v, "--tokens", 1, 1L << 20, &tokens, &e))
                return cli_error(&e);
        } else if ((r = arg_value(&it, "--data", &v, &e)) != 0) {
            if (r < 0)
                return cli_error(&e);
            data = v;
        } else {
            arg_unknown(&it, "export", &e);
            return cli_error(&e);
        }
    }
    if (!dir) {
        ns_fail(&e, NS_EUSAGE, "export needs --out DIR");
        return cli_error(&e);
    }
    ns_model m;
    if (model_opts_build(&mo, mo.norm, &m, &e))
        return cli_error(&e);
    int T = tokens <= m.cfg.seq ? (int)tokens : m.cfg.seq, B = (int)(tokens / T);
    int rc = (long)B * T != tokens
                 ? ns_fail(&e, NS_EUSAGE, "--tokens %ld is not a multiple of --seq %d", tokens, m.cfg.seq)
                 : NS_OK;
    char sub[4096];
    if (!rc)
        rc = make_dir(dir, &e);
    snprintf(sub, sizeof sub, "%s/taps", dir);
    if (!rc)
        rc = make_dir(sub, &e);
    snprintf(sub, sizeof sub, "%s/weights", dir);
    if (!rc)
        rc = make_dir(sub, &e);
    if (!rc)
        rc = write_config(dir, &m, &mo, &e);
    if (!rc)
        rc = write_weights(dir, &m, &e);
    if (!rc)
        rc = export_forward(dir, &m, data, mo.seed, B, T, &e);
    model_free(&m);
    return rc ? cli_error(&e) : 0;
}
