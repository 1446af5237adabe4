/* cmd_inspect.c - `normsim inspect`: the zero-pass read (PAPER C2, C6). From a checkpoint's
 * tensor names and its norm parameters alone: every normalization layer, its kind, and
 * the final norm's predicted dead direction p. No forward pass, no eigensolve. */
#include "sim/cli/commands.h"
#include "sim/base/out_path.h"
#include "sim/cli/args.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/checkpoint/norm_scan.h"
#include "sim/io/npy.h"
#include "sim/diag/diag_report.h"
#include "sim/diag/diag.h"
#include "sim/base/csv.h"
#include "norms/registry.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_help[] =
    "usage: normsim inspect CHECKPOINT [options]\n"
    "\n"
    "Read a checkpoint's normalization layers from its tensor names and parameters alone (zero\n"
    "forward passes): each layer's kind (LayerNorm with scale + bias, LayerNorm without bias,\n"
    "non-parametric, RMSNorm-like), and for the final norm the dead direction it predicts,\n"
    "p = g^-1/||g^-1|| for LayerNorm (none for RMSNorm): d, min/max/mean/std of g, |cos(p,\n"
    "1/sqrt(d))|, p.b (the value p'y takes on every token), and any g_i at or near 0 (each a\n"
    "trivial kernel e_i). For a Gemma-style (1 + w) scale, g is the effective 1 + w.\n"
    "\n"
    "CHECKPOINT: a .safetensors file, a model.safetensors.index.json (shards), or a folder\n"
    "holding either. config.json next to it is read unless --config or --no-config.\n"
    "\n"
    "options:\n"
    "  --config FILE        Hugging Face config.json: model_type, layer_norm_eps vs rms_norm_eps\n"
    "                       settle scale-only norms (LayerNorm without bias or RMSNorm)\n"
    "  --no-config          do not look for config.json next to the checkpoint\n"
    "  --norm-pattern REGEX also treat 1-D tensors whose names match REGEX (POSIX extended) as\n"
    "                       norm parameters (suffix weight|scale|gamma: scale, bias|beta: shift)\n"
    "  --norm KIND          classify every scale-only norm as KIND (layernorm-nobias, rmsnorm,\n"
    "                       rmsnorm-1p, ...; see `normsim norms`)\n"
    "  --final NAME         the final norm's prefix (default: the family's, e.g. transformer.ln_f)\n"
    "  --zero-tol T         report g_i with |g_i| < T max|g| as near 0 (default 1e-3)\n"
    "  --write-direction FILE  save p as .npy (float64; (d,) for one direction, (k, d) for k;\n"
    "                       (0, d) with a warning when none is predicted)\n"
    "  --format table|csv|json  output on stdout (default table)\n"
    "\n"
    "example: normsim inspect gpt2/model.safetensors --write-direction p.npy\n";

typedef struct {
    const char *checkpoint, *config, *write;
    int no_config, format;
    double zero_tol;
    scan_opts scan;
} inspect_opts;

/* what one norm's parameters say */
typedef struct {
    const norm_layer *l;       /* NULL: the non-parametric final norm */
    const char *kind;          /* as classified; the facts assume layernorm-nobias when NULL */
    int d, final, one_plus;
    double gmin, gmax, gmean, gstd, glogstd, cos_ones, p_dot_b;
    int k, zeros, near;
    int zero_idx[8], near_idx[8];
    double *P;                 /* k x d (a per-head norm: head 0's) */
    int heads, k_heads;        /* a (heads, d) weight: one norm per head; k summed over them */
} norm_facts;

static int parse(int argc, char **argv, inspect_opts *o, ns_err *e)
{
    memset(o, 0, sizeof *o);
    o->zero_tol = 1e-3;
    const arg_spec opts[] = {
        ARG_F("--no-config", &o->no_config), ARG_S("--config", &o->config),
        ARG_S("--norm-pattern", &o->scan.pattern), ARG_S("--norm", &o->scan.force_kind),
        ARG_S("--final", &o->scan.final_name), ARG_D("--zero-tol", &o->zero_tol, 0.0, 1.0),
        ARG_S("--write-direction", &o->write), ARG_C("--format", &o->format, arg_parse_format),
    };
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = arg_table(&it, opts, ARG_N(opts), e);
        if (r < 0)
            return e->code;
        if (r > 0)
            continue;
        if (argv[it.i][0] != '-' && !o->checkpoint)
            o->checkpoint = argv[it.i++];
        else
            return arg_unknown(&it, "inspect", e);
    }
    if (!o->checkpoint)
        return ns_fail(e, NS_EUSAGE, "inspect needs a CHECKPOINT (see normsim inspect --help)");
    if (o->scan.force_kind) {
        static const char *kinds[] = {"layernorm", "layernorm-nobias", "layernorm-noaffine", "rmsnorm",
                                      "rmsnorm-1p"};
        int ok = 0;
        for (int i = 0; i < 5; i++)
            ok |= strcmp(kinds[i], o->scan.force_kind) == 0;
        if (!ok)
            return ns_fail(e, NS_EUSAGE, "--norm '%s' is not a norm kind inspect knows (layernorm, "
                           "layernorm-nobias, layernorm-noaffine, rmsnorm, rmsnorm-1p)", o->scan.force_kind);
    }
    return NS_OK;
}

/* min, max, mean, population std of g and of log|g| (over g_i != 0: the gain spread s of
 * experiments/gain_law); exact and near zeros */
static void gain_stats(norm_facts *f, const double *g, double tol)
{
    double mx = 0.0, sum = 0.0, ss = 0.0;
    f->gmin = INFINITY;
    f->gmax = -INFINITY;
    for (int i = 0; i < f->d; i++) {
        f->gmin = fmin(f->gmin, g[i]);
        f->gmax = fmax(f->gmax, g[i]);
        mx = fmax(mx, fabs(g[i]));
        sum += g[i];
    }
    f->gmean = sum / f->d;
    for (int i = 0; i < f->d; i++)
        ss += (g[i] - f->gmean) * (g[i] - f->gmean);
    f->gstd = sqrt(ss / f->d);
    f->glogstd = diag_log_spread(g, f->d, 0.0);
    for (int i = 0; i < f->d; i++) {
        if (g[i] == 0.0 && f->zeros < 8)
            f->zero_idx[f->zeros] = i;
        f->zeros += g[i] == 0.0;
        if (g[i] != 0.0 && fabs(g[i]) < tol * mx) {
            if (f->near < 8)
                f->near_idx[f->near] = i;
            f->near++;
        }
    }
}

/* cos of 1/sqrt(d) with span(P): sqrt(sum_j (p_j . 1)^2 / d) */
static double cos_with_ones(const double *P, int k, int d)
{
    double proj = 0.0;
    for (int j = 0; j < k; j++) {
        double dot = 0.0;
        for (int i = 0; i < d; i++)
            dot += P[(size_t)j * d + i];
        proj += dot * dot / d;
    }
    return sqrt(proj);
}

/* does the scheme store w for a gain 1 + w (Gemma)? */
static int gain_is_one_plus(const char *kind, int d)
{
    const norm_ops *ops;
    norm_cfg cfg;
    ns_err ignore;
    if (norm_resolve(kind, d, 1e-5, &ops, &cfg, &ignore))
        return 0;
    for (int i = 0; i < ops->n_params; i++)
        if (ops->params[i].role == NORM_GAIN_1P)
            return 1;
    return 0;
}

static int load_vec(const st_set *s, const st_tensor *t, double **out, ns_err *e)
{
    *out = t ? st_set_load(s, t, e) : NULL;
    return t && !*out ? e->code : NS_OK;
}

/* l: a norm with parameters, or NULL for the non-parametric final norm of scheme kind_nonparam */
static int norm_facts_of(const st_set *s, const norm_layer *l, const char *kind_nonparam, int d,
                         const inspect_opts *o, norm_facts *f, ns_err *e)
{
    double *w = NULL, *b = NULL, *g = malloc(sizeof(double) * (size_t)d);
    memset(f, 0, sizeof *f);
    f->l = l;
    f->d = d;
    f->kind = l ? l->kind : kind_nonparam;
    f->one_plus = f->kind && gain_is_one_plus(f->kind, d);
    int rc = g ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
    if (!rc && l && !(rc = load_vec(s, l->scale, &w, e)))
        rc = load_vec(s, l->bias, &b, e);
    f->heads = l && l->heads > 1 ? l->heads : 1;
    double *gh = f->heads > 1 ? realloc(g, sizeof(double) * (size_t)d * (size_t)f->heads) : g;
    if (!gh)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    else
        g = gh;
    for (int i = 0; !rc && i < d * f->heads; i++) /* the effective gain (every head) */
        g[i] = w ? (f->one_plus ? 1.0 + w[i] : w[i]) : 1.0;
    for (int h = 1; !rc && h < f->heads; h++) { /* per head: p_h from head h's own gain */
        double *Ph = NULL;
        int kh = norm_predicted_kernel(f->kind ? f->kind : "layernorm-nobias", d, w ? w + (size_t)h * d : NULL,
                                       b ? b + (size_t)h * d : NULL, &Ph, e);
        free(Ph);
        rc = kh < 0 ? e->code : NS_OK;
        f->k_heads += kh > 0 ? kh : 0;
    }
    if (!rc) {
        f->d = d * f->heads; /* gain statistics over every head */
        gain_stats(f, g, o->zero_tol);
        f->d = d;
        f->k = norm_predicted_kernel(f->kind ? f->kind : "layernorm-nobias", d, w, b, &f->P, e);
        rc = f->k < 0 ? e->code : NS_OK;
        f->k_heads += f->k > 0 ? f->k : 0;
    }
    f->cos_ones = f->p_dot_b = NAN;
    if (!rc && f->k > 0) {
        f->cos_ones = cos_with_ones(f->P, f->k, d);
        if (f->k == 1 && b) {
            f->p_dot_b = 0.0;
            for (int i = 0; i < d; i++)
                f->p_dot_b += f->P[i] * b[i];
        }
    }
    free(w);
    free(b);
    free(g);
    return rc;
}

/* ---- output ---- */

static const char *classification(const norm_facts *f)
{
    if (!f->kind)
        return "ambiguous: LayerNorm-like (kernel p) if it subtracts the mean, RMSNorm-like (none) if not";
    if (norm_kind_is_ln(f->kind, f->d))
        return "LayerNorm-like: the kernel p is present (PAPER C6)";
    return f->k > 0 ? "RMSNorm-like: no kernel p; only the trivial e_i of zero gains (PAPER C6)"
                    : "RMSNorm-like: no kernel from the parameters (PAPER C6)";
}

static const char *facts_name(const norm_facts *f) { return f->l ? f->l->prefix : "(non-parametric)"; }

static void idx_list(char *buf, size_t n, int count, const int *idx)
{
    size_t used = (size_t)snprintf(buf, n, count ? "%d:" : "none", count);
    for (int i = 0; i < count && i < 8 && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, " %d", idx[i]);
    if (count > 8 && used < n)
        snprintf(buf + used, n - used, " ...");
}

static void num(FILE *out, const char *label, double v, const char *fmt)
{
    fprintf(out, "  %-34s", label);
    if (isnan(v))
        fputs("-\n", out);
    else {
        fprintf(out, fmt, v);
        fputc('\n', out);
    }
}

static void write_table(FILE *out, const inspect_opts *o, const st_set *s, const char *cfg_path,
                        const scan_result *r, const norm_facts *all, int nf, const norm_facts *fin)
{
    char buf[256];
    fprintf(out, "%-36s%s (%d tensors, %d file%s)\n", "checkpoint", s->path, s->n, s->n_files,
            s->n_files == 1 ? "" : "s");
    fprintf(out, "%-36s%s\n", "config", cfg_path ? cfg_path : "none");
    fprintf(out, "%-36s%s%s%s%s\n", "family", r->family[0] ? r->family : "unknown",
            r->family[0] ? " (" : "", r->family_from, r->family[0] ? ")" : "");
    fprintf(out, "%-36s%d\n", "norm layers", r->n);
    for (int i = 0; i < nf; i++) {
        const norm_facts *f = &all[i];
        const norm_layer *l = f->l;
        fprintf(out, "  %-42s %-18s d %-6d %-11s %s\n", facts_name(f), l->kind ? l->kind : "ambiguous",
                f->d, l->scale && l->bias ? "scale+bias" : l->scale ? "scale" : "bias", l->resolved_by);
        if (f->heads > 1)
            fprintf(out, "  %-42s per head: %d heads x d %d, one norm each: predicted kernel dims %d in all "
                    "(p_h from head h's gain)\n", "", f->heads, f->d, f->k_heads);
    }
    if (!fin)
        return;
    fprintf(out, "%-36s%s (%s)\n", "final norm", facts_name(fin), r->final_rule);
    fprintf(out, "  %-34s%s\n", "kind", norm_kind_label(fin->kind));
    fprintf(out, "  %-34s%s\n", "kind resolved by", fin->l ? fin->l->resolved_by : r->family_from);
    fprintf(out, "  %-34s%s\n", "classification", classification(fin));
    fprintf(out, "  %-34s%d\n", "d", fin->d);
    fprintf(out, "  %-34s%s\n", "dtype", fin->l && fin->l->scale ? st_dtype_name(fin->l->scale->dtype) : "-");
    const char *g = fin->one_plus ? "g = 1 + w" : "g";
    snprintf(buf, sizeof buf, "%s min", g);
    num(out, buf, fin->gmin, "%.9g");
    snprintf(buf, sizeof buf, "%s max", g);
    num(out, buf, fin->gmax, "%.9g");
    snprintf(buf, sizeof buf, "%s mean", g);
    num(out, buf, fin->gmean, "%.9g");
    snprintf(buf, sizeof buf, "%s std", g);
    num(out, buf, fin->gstd, "%.9g");
    fprintf(out, "  %-34s%d%s\n", "predicted kernel dim", fin->k,
            fin->kind ? "" : " (if LayerNorm without bias)");
    num(out, "|cos(p, 1/sqrt(d))|", fin->cos_ones, "%.12f");
    num(out, "p . b (p'y on every token)", fin->p_dot_b, "%.12g");
    idx_list(buf, sizeof buf, fin->zeros, fin->zero_idx);
    fprintf(out, "  %-34s%s\n", "g_i = 0 (trivial kernel e_i)", buf);
    idx_list(buf, sizeof buf, fin->near, fin->near_idx);
    char label[64];
    snprintf(label, sizeof label, "g_i near 0 (< %.0e max|g|)", o->zero_tol);
    fprintf(out, "  %-34s%s\n", label, buf);
}


/* one row per norm layer (and the non-parametric final norm, extra, when there is one) */
static void write_csv(FILE *out, const norm_facts *all, int nf, const norm_facts *extra)
{
    fputs("name,kind,resolved_by,final,layer,d,dtype,params,predicted_k,g_min,g_max,g_mean,g_std,"
          "cos_ones,p_dot_b,zeros,near_zero\n", out);
    for (int i = 0; i < nf + (extra != NULL); i++) {
        const norm_facts *f = i < nf ? &all[i] : extra;
        const norm_layer *l = f->l;
        fprintf(out, "%s,%s,\"%s\",%d,%d,%d,%s,%s,%d", facts_name(f), f->kind ? f->kind : "ambiguous",
                l ? l->resolved_by : "config.json", f->final, l ? l->layer : -1, f->d,
                l && l->scale ? st_dtype_name(l->scale->dtype) : l && l->bias ? st_dtype_name(l->bias->dtype) : "",
                !l ? "none" : l->scale && l->bias ? "scale+bias" : l->scale ? "scale" : "bias", f->k);
        double v[] = {f->gmin, f->gmax, f->gmean, f->gstd, f->cos_ones, f->p_dot_b};
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++)
            csv_num(out, v[j]);
        fprintf(out, ",%d,%d\n", f->zeros, f->near);
    }
}


static cJSON *facts_json(const norm_facts *f, int with_direction)
{
    const norm_layer *l = f->l;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", facts_name(f));
    cJSON_AddItemToObject(o, "kind", f->kind ? cJSON_CreateString(f->kind) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "kind_label", norm_kind_label(f->kind));
    cJSON_AddStringToObject(o, "resolved_by", l ? l->resolved_by : "config.json");
    cJSON_AddItemToObject(o, "scale", l && l->scale ? cJSON_CreateString(l->scale->name) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "bias", l && l->bias ? cJSON_CreateString(l->bias->name) : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "layer", l ? l->layer : -1);
    cJSON_AddNumberToObject(o, "d", f->d);
    cJSON_AddNumberToObject(o, "heads", f->heads > 0 ? f->heads : 1);
    cJSON_AddNumberToObject(o, "predicted_k_all_heads", f->k_heads);
    cJSON_AddBoolToObject(o, "final", f->final);
    cJSON_AddBoolToObject(o, "one_plus_w", f->one_plus);
    cJSON_AddNumberToObject(o, "predicted_k", f->k);
    cJSON_AddItemToObject(o, "g_min", json_num_or_null(f->gmin));
    cJSON_AddItemToObject(o, "g_max", json_num_or_null(f->gmax));
    cJSON_AddItemToObject(o, "g_mean", json_num_or_null(f->gmean));
    cJSON_AddItemToObject(o, "g_std", json_num_or_null(f->gstd));
    cJSON_AddItemToObject(o, "g_logstd", json_num_or_null(f->glogstd));
    cJSON_AddItemToObject(o, "cos_ones", json_num_or_null(f->cos_ones));
    cJSON_AddItemToObject(o, "p_dot_b", json_num_or_null(f->p_dot_b));
    cJSON_AddNumberToObject(o, "zeros", f->zeros);
    cJSON_AddNumberToObject(o, "near_zero", f->near);
    cJSON *zi = cJSON_AddArrayToObject(o, "zero_indices"), *ni = cJSON_AddArrayToObject(o, "near_zero_indices");
    for (int i = 0; i < f->zeros && i < 8; i++)
        cJSON_AddItemToArray(zi, cJSON_CreateNumber(f->zero_idx[i]));
    for (int i = 0; i < f->near && i < 8; i++)
        cJSON_AddItemToArray(ni, cJSON_CreateNumber(f->near_idx[i]));
    if (with_direction) {
        cJSON *dir = cJSON_AddArrayToObject(o, "direction");
        for (int j = 0; j < f->k; j++) {
            cJSON *row = f->k == 1 ? dir : cJSON_CreateArray();
            for (int i = 0; i < f->d; i++)
                cJSON_AddItemToArray(row, cJSON_CreateNumber(f->P[(size_t)j * f->d + i]));
            if (f->k > 1)
                cJSON_AddItemToArray(dir, row);
        }
    }
    return o;
}

static int write_json(FILE *out, const st_set *s, const char *cfg_path, const scan_result *r,
                      const norm_facts *all, int nf, const norm_facts *fin, ns_err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "checkpoint", s->path);
    cJSON_AddNumberToObject(root, "tensors", s->n);
    cJSON_AddNumberToObject(root, "files", s->n_files);
    cJSON_AddItemToObject(root, "config", cfg_path ? cJSON_CreateString(cfg_path) : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "family", r->family[0] ? cJSON_CreateString(r->family) : cJSON_CreateNull());
    cJSON_AddStringToObject(root, "family_from", r->family_from);
    cJSON_AddItemToObject(root, "classification",
                          !fin ? cJSON_CreateNull()
                          : !fin->kind ? cJSON_CreateString("ambiguous")
                          : cJSON_CreateString(norm_kind_is_ln(fin->kind, fin->d) ? "LayerNorm-like" : "RMSNorm-like"));
    cJSON *arr = cJSON_AddArrayToObject(root, "norms");
    for (int i = 0; i < nf; i++)
        cJSON_AddItemToArray(arr, facts_json(&all[i], 0));
    if (fin) {
        cJSON *f = facts_json(fin, 1);
        cJSON_AddStringToObject(f, "rule", r->final_rule);
        cJSON_AddItemToObject(root, "final", f);
    } else
        cJSON_AddNullToObject(root, "final");
    return json_write(out, root, e);
}

static int write_direction(const char *path, const norm_facts *f, ns_err *e)
{
    uint64_t shape[2] = {(uint64_t)f->k, (uint64_t)f->d};
    if (f->k == 0)
        fprintf(stderr, "normsim: warning: %s predicts no dead direction: writing a (0, %d) array\n",
                facts_name(f), f->d);
    else if (!f->kind)
        fprintf(stderr, "normsim: warning: %s is ambiguous: the direction written assumes LayerNorm\n",
                facts_name(f));
    return f->k == 1 ? npy_write_as(path, NUM_F64, f->P, 1, shape + 1, e)
                     : npy_write_as(path, NUM_F64, f->P, 2, shape, e);
}

/* facts of every norm layer (all: r->n entries) and of the final norm (*fin: one of them, or
 * *nonparam for a non-parametric final norm) */
static int collect_facts(const st_set *s, const scan_result *r, const inspect_opts *o, norm_facts *all,
                         norm_facts *nonparam, norm_facts **fin, ns_err *e)
{
    int rc = NS_OK;
    *fin = NULL;
    if (r->n == 0 && r->nonparam_d == 0)
        return ns_fail(e, NS_EUSAGE, "no normalization layers found in %s (%d tensors): name them with "
                       "--norm-pattern REGEX", s->path, s->n);
    for (int i = 0; i < r->n && !rc; i++) {
        rc = norm_facts_of(s, &r->layers[i], NULL, r->layers[i].d, o, &all[i], e);
        all[i].final = i == r->final;
    }
    if (!rc && r->final >= 0)
        *fin = &all[r->final];
    else if (!rc && r->nonparam_d > 0 &&
             !(rc = norm_facts_of(s, NULL, r->nonparam_kind, r->nonparam_d, o, nonparam, e))) {
        nonparam->final = 1;
        *fin = nonparam;
    }
    return rc;
}

static int write_output(const inspect_opts *o, const st_set *s, const char *cfg_path, const scan_result *r,
                        const norm_facts *all, const norm_facts *fin, int fin_is_extra, ns_err *e)
{
    if (o->format == FORMAT_TABLE)
        write_table(stdout, o, s, cfg_path, r, all, r->n, fin);
    else if (o->format == FORMAT_CSV)
        write_csv(stdout, all, r->n, fin_is_extra ? fin : NULL);
    else
        return write_json(stdout, s, cfg_path, r, all, r->n, fin, e);
    return NS_OK;
}

static int inspect(inspect_opts *o, ns_err *e)
{
    char cfg_path[4096];
    cJSON *cfg;
    st_set s;
    scan_result r;
    int rc = ckpt_load_config(o->checkpoint, o->config, o->no_config, &cfg, cfg_path, sizeof cfg_path,
                              e);
    if (rc)
        return rc;
    if ((rc = st_set_open(&s, o->checkpoint, e))) {
        cJSON_Delete(cfg);
        return rc;
    }
    o->scan.config = cfg;
    if ((rc = norm_scan(&s, &o->scan, &r, e))) {
        st_set_close(&s);
        cJSON_Delete(cfg);
        return rc;
    }
    norm_facts nonparam = {0}, *fin = NULL, *all = calloc((size_t)r.n + 1, sizeof *all);
    rc = all ? collect_facts(&s, &r, o, all, &nonparam, &fin, e) : ns_fail(e, NS_ERUN, "out of memory");
    if (!rc && o->write && fin)
        rc = write_direction(o->write, fin, e);
    if (!rc)
        rc = write_output(o, &s, cfg ? cfg_path : NULL, &r, all, fin, fin == &nonparam, e);
    for (int i = 0; all && i < r.n; i++)
        free(all[i].P);
    free(nonparam.P);
    free(all);
    scan_result_free(&r);
    st_set_close(&s);
    cJSON_Delete(cfg);
    return rc;
}

int cmd_inspect(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(inspect_help, stdout);
        return 0;
    }
    inspect_opts o;
    ns_err e = {0};
    if (parse(argc, argv, &o, &e) || (o.write && out_check_file(o.write, "--write-direction", &e)) ||
        inspect(&o, &e))
        return cli_error(&e);
    return 0;
}
