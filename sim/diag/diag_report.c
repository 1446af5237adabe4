/* report.c - table, CSV and JSON writers of diagnostic runs. */
#include "sim/diag/diag_report.h"
#include "sim/base/csv.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int report_format_parse(const char *s, int *fmt, ns_err *e)
{
    static const char *names[] = {"table", "csv", "json"};
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) {
            *fmt = i;
            return NS_OK;
        }
    return ns_fail(e, NS_EUSAGE, "unknown format '%s' (valid: table, csv, json)", s);
}

/* sigma_min(l) / sigma_min(l-1), the block-to-block ratio of block l-1 */
static double sigma_ratio(const diag_report *r, int l)
{
    return r->sigma_min[l] / r->sigma_min[l - 1];
}

/* ---- table: one row per quantity, one column per run ---- */

typedef void (*cell_fn)(char *buf, size_t n, const run_result *run, int arg);

static void row(FILE *out, const char *label, cell_fn f, const run_result *runs, int n, int arg)
{
    char cell[64];
    fprintf(out, "%-28s", label);
    for (int i = 0; i < n; i++) {
        f(cell, sizeof cell, &runs[i], arg);
        fprintf(out, "  %-30s", cell);
    }
    fputc('\n', out);
}

static void fmt_num(char *b, size_t n, double v, const char *f)
{
    if (isnan(v))
        snprintf(b, n, "-");
    else
        snprintf(b, n, f, v);
}

static void c_model(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%s/%s", x->cfg.arch, x->cfg.norm); }
static void c_shape(char *b, size_t n, const run_result *x, int a) { (void)a; x->cfg.layers ? snprintf(b, n, "d%d L%d H%d T%d", x->cfg.d, x->cfg.layers, x->cfg.heads, x->cfg.seq) : snprintf(b, n, "d%d (no model)", x->cfg.d); }
static void c_tokens(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%ld (%s)", x->r.tokens, x->data); }
static void c_gamma(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%s", x->gamma); }
static void c_prec(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%s", x->precision ? x->precision : "f64"); }
static void c_seed(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%llu", (unsigned long long)x->seed); }
static void c_kernel(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%s", x->kernel_formula); }
static void c_k(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%d", x->r.predicted_k); }
static void c_cos(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.cos, "%.12f"); }
static void c_cos1(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.cos_ones, "%.12f"); }
static void c_lmin(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.lam_min, "%.6e"); }
static void c_l2(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.lam_2, "%.6e"); }
static void c_lmax(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.lam_max, "%.6e"); }
static void c_lrel(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.lam_min / x->r.lam_max, "%.6e"); }
static void c_ray(char *b, size_t n, const run_result *x, int a) { (void)a; fmt_num(b, n, x->r.rayleigh_rel, "%.6e"); }
static void c_dead(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%d", x->r.dead); }
static int has_sigma(const diag_report *r, int l) { return r->sigma_min && l <= r->layers; }
static void c_sig(char *b, size_t n, const run_result *x, int l) { fmt_num(b, n, has_sigma(&x->r, l) ? x->r.sigma_min[l] : NAN, "%.6e"); }
static void c_ratio(char *b, size_t n, const run_result *x, int l) { fmt_num(b, n, has_sigma(&x->r, l) ? sigma_ratio(&x->r, l) : NAN, "%.6f"); }
static void c_verdict(char *b, size_t n, const run_result *x, int a) { (void)a; snprintf(b, n, "%s", verdict_name(x->r.verdict)); }

static void write_table(FILE *out, const run_result *runs, int n)
{
    int maxL = 0;
    char label[64];
    for (int i = 0; i < n; i++)
        maxL = runs[i].cfg.layers > maxL ? runs[i].cfg.layers : maxL;
    row(out, "model", c_model, runs, n, 0);
    row(out, "shape", c_shape, runs, n, 0);
    row(out, "tokens", c_tokens, runs, n, 0);
    row(out, "gamma", c_gamma, runs, n, 0);
    row(out, "precision", c_prec, runs, n, 0);
    row(out, "seed", c_seed, runs, n, 0);
    row(out, "predicted kernel (final)", c_kernel, runs, n, 0);
    row(out, "predicted kernel dim", c_k, runs, n, 0);
    row(out, "|cos(p, v)|", c_cos, runs, n, 0);
    row(out, "|cos(p, 1/sqrt(d))|", c_cos1, runs, n, 0);
    row(out, "lambda_min", c_lmin, runs, n, 0);
    row(out, "lambda_2", c_l2, runs, n, 0);
    row(out, "lambda_max", c_lmax, runs, n, 0);
    row(out, "lambda_min / lambda_max", c_lrel, runs, n, 0);
    row(out, "p'Cp / lambda_max", c_ray, runs, n, 0);
    snprintf(label, sizeof label, "dead (< %.3g lambda_max)", runs[0].r.threshold);
    row(out, label, c_dead, runs, n, 0);
    int any_sigma = 0;
    for (int i = 0; i < n; i++)
        any_sigma |= runs[i].r.sigma_min != NULL;
    for (int l = 0; any_sigma && l <= maxL; l++) {
        snprintf(label, sizeof label, "sigma_min resid.%d", l);
        row(out, label, c_sig, runs, n, l);
        if (l > 0) {
            snprintf(label, sizeof label, "  ratio resid.%d/resid.%d", l, l - 1);
            row(out, label, c_ratio, runs, n, l);
        }
    }
    row(out, "verdict", c_verdict, runs, n, 0);
}

/* ---- csv: one row per run; sigma_min.<l> and ratio.<l> for the widest model ---- */


static void write_csv(FILE *out, const run_result *runs, int n)
{
    int maxL = 0;
    for (int i = 0; i < n; i++)
        maxL = runs[i].cfg.layers > maxL ? runs[i].cfg.layers : maxL;
    fputs("arch,norm,d,layers,heads,seq,vocab,tokens,data,seed,gamma,precision,predicted_k,cos,cos_ones,"
          "lambda_min,lambda_2,lambda_max,rayleigh_rel,threshold,dead,verdict", out);
    for (int l = 0; l <= maxL; l++)
        fprintf(out, ",sigma_min.%d", l);
    for (int l = 1; l <= maxL; l++)
        fprintf(out, ",ratio.%d", l);
    fputc('\n', out);
    for (int i = 0; i < n; i++) {
        const run_result *x = &runs[i];
        const diag_report *r = &x->r;
        fprintf(out, "%s,%s,%d,%d,%d,%d,%d,%ld,%s,%llu,%s,%s,%d", x->cfg.arch, x->cfg.norm, x->cfg.d,
                x->cfg.layers, x->cfg.heads, x->cfg.seq, x->cfg.vocab, r->tokens, x->data,
                (unsigned long long)x->seed, x->gamma, x->precision ? x->precision : "f64", r->predicted_k);
        double v[] = {r->cos, r->cos_ones, r->lam_min, r->lam_2, r->lam_max, r->rayleigh_rel, r->threshold};
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++)
            csv_num(out, v[j]);
        fprintf(out, ",%d,%s", r->dead, verdict_name(r->verdict));
        for (int l = 0; l <= maxL; l++)
            csv_num(out, has_sigma(r, l) ? r->sigma_min[l] : NAN);
        for (int l = 1; l <= maxL; l++)
            csv_num(out, has_sigma(r, l) ? sigma_ratio(r, l) : NAN);
        fputc('\n', out);
    }
}

/* ---- json ---- */


static cJSON *run_json(const run_result *x)
{
    const diag_report *r = &x->r;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", x->cfg.arch);
    cJSON_AddStringToObject(o, "norm", x->cfg.norm);
    cJSON_AddNumberToObject(o, "d", x->cfg.d);
    cJSON_AddNumberToObject(o, "layers", x->cfg.layers);
    cJSON_AddNumberToObject(o, "heads", x->cfg.heads);
    cJSON_AddNumberToObject(o, "seq", x->cfg.seq);
    cJSON_AddNumberToObject(o, "vocab", x->cfg.vocab);
    cJSON_AddNumberToObject(o, "tokens", (double)r->tokens);
    cJSON_AddStringToObject(o, "data", x->data);
    cJSON_AddNumberToObject(o, "seed", (double)x->seed);
    cJSON_AddStringToObject(o, "gamma", x->gamma);
    cJSON_AddStringToObject(o, "precision", x->precision ? x->precision : "f64");
    cJSON_AddStringToObject(o, "predicted_kernel", x->kernel_formula);
    cJSON_AddNumberToObject(o, "predicted_k", r->predicted_k);
    cJSON_AddItemToObject(o, "cos", json_num_or_null(r->cos));
    cJSON_AddItemToObject(o, "cos_ones", json_num_or_null(r->cos_ones));
    cJSON_AddItemToObject(o, "lambda_min", json_num_or_null(r->lam_min));
    cJSON_AddItemToObject(o, "lambda_2", json_num_or_null(r->lam_2));
    cJSON_AddItemToObject(o, "lambda_max", json_num_or_null(r->lam_max));
    cJSON_AddItemToObject(o, "rayleigh_rel", json_num_or_null(r->rayleigh_rel));
    cJSON_AddNumberToObject(o, "threshold", r->threshold);
    cJSON_AddNumberToObject(o, "dead", r->dead);
    cJSON_AddStringToObject(o, "verdict", verdict_name(r->verdict));
    if (r->warning[0])
        cJSON_AddStringToObject(o, "warning", r->warning);
    cJSON *sig = cJSON_AddArrayToObject(o, "sigma_min"), *rat = cJSON_AddArrayToObject(o, "sigma_ratio");
    for (int l = 0; r->sigma_min && l <= r->layers; l++) {
        cJSON_AddItemToArray(sig, json_num_or_null(r->sigma_min[l]));
        if (l > 0)
            cJSON_AddItemToArray(rat, json_num_or_null(sigma_ratio(r, l)));
    }
    if (r->resid_kcos) { /* a model was run: C5's per-boundary fields, the final gain's spread */
        cJSON *lr = cJSON_AddArrayToObject(o, "resid_lambda_rel"), *kc = cJSON_AddArrayToObject(o, "resid_kernel_cos");
        for (int l = 0; l <= r->layers; l++) {
            cJSON_AddItemToArray(lr, json_num_or_null(r->resid_lam_rel[l]));
            cJSON_AddItemToArray(kc, json_num_or_null(r->resid_kcos[l]));
        }
        cJSON_AddItemToObject(o, "g_logstd", json_num_or_null(r->g_logstd));
    }
    cJSON *eig = cJSON_AddArrayToObject(o, "eigenvalues");
    for (int i = 0; i < r->d; i++)
        cJSON_AddItemToArray(eig, cJSON_CreateNumber(r->eig[i]));
    cJSON *bottom = cJSON_AddArrayToObject(o, "bottom"); /* eigenvector of lambda_min */
    for (int i = 0; r->bottom && i < r->d; i++)
        cJSON_AddItemToArray(bottom, cJSON_CreateNumber(r->bottom[i]));
    return o;
}

static int write_json(FILE *out, const run_result *runs, int n, ns_err *e)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "runs");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, run_json(&runs[i]));
    return json_write(out, root, e);
}

int report_write(FILE *out, int fmt, const run_result *runs, int n, ns_err *e)
{
    if (fmt == FORMAT_TABLE)
        write_table(out, runs, n);
    else if (fmt == FORMAT_CSV)
        write_csv(out, runs, n);
    else
        return write_json(out, runs, n, e);
    return NS_OK;
}
