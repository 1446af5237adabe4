/* screen_report.c - `normsim screen` results: one scheme in detail or a comparison table
 * (table), one row per scheme (csv), everything (json), one row per probe (measurements). */
#include "sim/screen/screen.h"
#include "sim/model/arch.h"
#include "sim/diag/diag_report.h"
#include "sim/base/csv.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- aggregates over the inputs of one setting ---- */

/* the common measured (or declared) dimension over the inputs; -1 if they differ */
static int common_k(const screen_result *r, int s, int declared)
{
    int k = declared ? r->alone[s][0].declared_k : r->alone[s][0].measured_k;
    for (int i = 1; i < SCREEN_N_INPUTS; i++)
        if ((declared ? r->alone[s][i].declared_k : r->alone[s][i].measured_k) != k)
            return -1;
    return k;
}

static int skipped(const screen_result *r, int s) { return r->alone[s][0].status == SCREEN_SKIPPED; }

enum agg { AGG_MIN, AGG_MAX };

/* min or max of one probe field over the inputs of setting s, ignoring NaN (NaN if none) */
static double over_inputs(const screen_result *r, int s, size_t field, int how)
{
    double best = NAN;
    for (int i = 0; i < SCREEN_N_INPUTS; i++) {
        double v = *(const double *)((const char *)&r->alone[s][i] + field);
        if (isnan(v))
            continue;
        if (isnan(best) || (how == AGG_MIN ? v < best : v > best))
            best = v;
    }
    return best;
}
#define AGG(r, s, f, how) over_inputs(r, s, offsetof(screen_probe, f), how)

/* min and max of sigma_min(l) / sigma_min(l-1) over the blocks of one model */
static void ratio_range(const diag_report *d, double *lo, double *hi)
{
    *lo = *hi = NAN;
    for (int l = 1; d->sigma_min && l <= d->layers; l++) {
        double q = d->sigma_min[l] / d->sigma_min[l - 1];
        if (isnan(q))
            continue;
        *lo = isnan(*lo) || q < *lo ? q : *lo;
        *hi = isnan(*hi) || q > *hi ? q : *hi;
    }
}

/* post-norm with a kernel: the stream is the norm's output, so sigma_min is at the rounding
 * floor and its ratios are noise */
static int kernel_in_stream(const screen_arch *a)
{
    return a->placement == PLACE_POST && a->residual == RESID_SEQUENTIAL && a->r.predicted_k > 0;
}

static void num(char *b, size_t n, double v, const char *f)
{
    if (isnan(v))
        snprintf(b, n, "-");
    else
        snprintf(b, n, f, v);
}

/* the common dimension over the inputs, or the per-input list "a,b,c,d" */
static void dims(char *b, size_t n, const screen_result *r, int s, int declared)
{
    int k = common_k(r, s, declared);
    if (skipped(r, s))
        snprintf(b, n, "-");
    else if (k >= 0)
        snprintf(b, n, "%d", k);
    else {
        size_t u = 0;
        for (int i = 0; i < SCREEN_N_INPUTS && u < n; i++) {
            const screen_probe *p = &r->alone[s][i];
            u += (size_t)snprintf(b + u, n - u, "%s%d", i ? "," : "", declared ? p->declared_k : p->measured_k);
        }
    }
}

/* what the class rests on: LN-like with the basis formula, RMS-like, or unclear */
static void class_text(char *b, size_t n, const screen_result *r)
{
    /* the measured basis of random params on the Gaussian input, named when it is g^-1 or 1 */
    int declared_ok = 1;
    for (int i = 0; i < SCREEN_N_INPUTS; i++)
        declared_ok &= r->alone[SCREEN_RANDOM][i].status == SCREEN_AGREE;
    const screen_probe *g = &r->alone[SCREEN_RANDOM][SCREEN_GAUSSIAN];
    const char *hint = g->cos_ginv > 1 - 1e-9 ? (r->class_k == 1 ? "g^-1/||g^-1||" : "a span containing g^-1")
                     : g->cos_ones > 1 - 1e-9 ? (r->class_k == 1 ? "1/sqrt(d)" : "a span containing 1/sqrt(d)")
                     : "in the JSON report (kernel_basis)";
    if (r->cls == SCREEN_LN_LIKE && declared_ok)
        snprintf(b, n, "LN-like: exact kernel of dimension %d, basis %s", r->class_k, r->ops->kernel_formula);
    else if (r->cls == SCREEN_LN_LIKE)
        snprintf(b, n, "LN-like: exact kernel of dimension %d, measured basis %s; the scheme declares "
                 "'%s' instead", r->class_k, hint, r->ops->kernel_formula);
    else if (r->cls == SCREEN_RMS_LIKE)
        snprintf(b, n, "RMS-like: no kernel%s", declared_ok ? "" : " (but the scheme declares one!)");
    else
        snprintf(b, n, "unclear: the dead count depends on the input");
}

/* ---- table: one scheme in detail ---- */

static void table_alone(FILE *out, const screen_result *r)
{
    fprintf(out, "\na. the norm alone: %ld rows per input, centred output covariance, dead = eigenvalue < "
            "%.3g lambda_max\n", r->rows, r->threshold);
    fprintf(out, "%-10s %-13s %8s %8s %19s %10s %11s %10s %8s %9s  %s\n", "params", "input",
            "declared", "measured", "cos(largest angle)", "p'Cp/lmax", "kernel/lmax", "next/lmax",
            "|cos 1|", "|cos g^-1|", "status");
    for (int s = 0; s < SCREEN_N_SETTINGS; s++) {
        if (skipped(r, s)) {
            fprintf(out, "%-10s (skipped: the scheme has no gain parameter)\n", screen_setting_name(s));
            continue;
        }
        for (int i = 0; i < SCREEN_N_INPUTS; i++) {
            const screen_probe *p = &r->alone[s][i];
            char c[32], q[32], f[32], l[32], o[32], g[32];
            num(c, sizeof c, p->cos_angle, "%.12f");
            num(q, sizeof q, p->rayleigh_rel, "%.1e");
            num(f, sizeof f, p->floor_rel, "%.1e");
            num(l, sizeof l, p->live_rel, "%.1e");
            num(o, sizeof o, p->cos_ones, "%.6f");
            num(g, sizeof g, p->cos_ginv, "%.6f");
            fprintf(out, "%-10s %-13s %8d %8d %19s %10s %11s %10s %8s %9s  %s%s\n", screen_setting_name(s),
                    screen_input_name(i), p->declared_k, p->measured_k, c, q, f, l, o, g,
                    p->status == SCREEN_AGREE ? "" : "!! ", screen_status_name(p->status));
        }
    }
    if (r->zero_channel >= 0)
        fprintf(out, "zero-gain: the random parameters with %s\n", r->zero_scalar
                ? "the scalar gain set to 0 (every channel constant)"
                : "one gain set to 0 (or w = -1 for a 1 + w gain)");
    if (r->zero_channel >= 0 && !r->zero_scalar)
        fprintf(out, "           at channel %d: the trivial kernel is e_%d\n", r->zero_channel, r->zero_channel);
}

static void table_models(FILE *out, const screen_result *r)
{
    if (r->n_arch == 0) {
        fprintf(out, "\nb. in models: not run (--archs none)\n");
        return;
    }
    fprintf(out, "\nb. in models (gains %s, %ld tokens; tap final.out, after the affine)\n",
            r->gamma, r->tokens);
    fprintf(out, "%-10s %-16s %4s %5s %19s %10s %11s  %s\n", "arch", "placement", "k", "dead",
            "cos(largest angle)", "p'Cp/lmax", "lmin/lmax", "verdict");
    for (int a = 0; a < r->n_arch; a++) {
        const diag_report *d = &r->arch[a].r;
        char c[32], q[32], l[32];
        num(c, sizeof c, d->cos, "%.12f");
        num(q, sizeof q, d->rayleigh_rel, "%.1e");
        num(l, sizeof l, d->lam_max > 0 ? d->lam_min / d->lam_max : NAN, "%.1e");
        fprintf(out, "%-10s %-16s %4d %5d %19s %10s %11s  %s%s\n", r->arch[a].arch,
                arch_layout_label(r->arch[a].placement, r->arch[a].residual), d->predicted_k, d->dead, c, q, l,
                d->verdict == VERDICT_MISMATCH ? "!! " : "", verdict_name(d->verdict));
    }
    if (!r->train_steps)
        fprintf(out, "\nc. after a short training run: not run (opt-in: --train STEPS)\n");
    else {
        fprintf(out, "\nc. after %ld training steps on text (tracked at bf16): the predicted direction's "
                "floor and the dead directions\n", r->train_steps);
        fprintf(out, "%-10s %12s %12s %14s %10s\n", "arch", "val loss", "->", "deepening", "dead");
        for (int a = 0; a < r->n_arch; a++) {
            const screen_arch *s = &r->arch[a];
            char q[32];
            num(q, sizeof q, s->deepening, "%.3g");
            if (s->trained)
                fprintf(out, "%-10s %12.4f %12.4f %14s %4d -> %d\n", s->arch, s->val_loss_init,
                        s->val_loss, q, s->dead_init, s->dead_end);
        }
    }
    fprintf(out, "\nd. residual stream: sigma_min of the centred resid.<l>, and the block-to-block ratio\n");
    for (int a = 0; a < r->n_arch; a++) {
        const diag_report *d = &r->arch[a].r;
        double lo, hi;
        fprintf(out, "%-10s sigma_min", r->arch[a].arch);
        for (int l = 0; d->sigma_min && l <= d->layers; l++)
            fprintf(out, " %.3e", d->sigma_min[l]);
        ratio_range(d, &lo, &hi);
        fprintf(out, "   ratio %.4f .. %.4f\n", lo, hi);
        if (kernel_in_stream(&r->arch[a]))
            fprintf(out, "%-10s (post-norm: the stream is the norm's output and carries its kernel, so "
                    "sigma_min sits at the rounding floor and these ratios are noise)\n", "");
    }
}

static void write_detail(FILE *out, const screen_result *r)
{
    char cls[256];
    fprintf(out, "screen %s: d %d, seed %llu, storage %s\n", r->spec, r->cfg.d,
            (unsigned long long)r->seed, precision_name(r->prec));
    fprintf(out, "formula           %s\n", r->ops->summary);
    fprintf(out, "declared kernel   %s\n", r->ops->kernel_formula);
    if (r->disagreements)
        fprintf(out, "!! %d DISAGREEMENT%s between the declared and the measured kernel (marked !!)\n",
                r->disagreements, r->disagreements > 1 ? "S" : "");
    table_alone(out, r);
    table_models(out, r);
    class_text(cls, sizeof cls, r);
    fprintf(out, "\ne. classification: %s\n   evidence: %s\n", cls, r->evidence);
}

/* ---- table: one row per scheme ---- */

static void write_comparison(FILE *out, const screen_result *rs, int n)
{
    fprintf(out, "%-20s %5s %5s %5s %7s %15s %11s %10s", "scheme", "decl", "init", "rand",
            "zero", "cos(angle)", "kernel/lmax", "next/lmax");
    for (int a = 0; a < rs[0].n_arch; a++)
        fprintf(out, " %-9s", rs[0].arch[a].arch);
    fprintf(out, " %-15s %-5s %-9s %s\n", "sigma ratio", "agree", "class", "declared kernel");
    for (int j = 0; j < n; j++) {
        const screen_result *r = &rs[j];
        char dk[32], ki[32], kr[32], kz[64], zd[32], zm[32], c[32], f[32], l[32], sr[40], ag[16], cl[32];
        dims(dk, sizeof dk, r, SCREEN_RANDOM, 1);
        dims(ki, sizeof ki, r, SCREEN_INIT, 0);
        dims(kr, sizeof kr, r, SCREEN_RANDOM, 0);
        dims(zd, sizeof zd, r, SCREEN_ZERO_GAIN, 1);
        dims(zm, sizeof zm, r, SCREEN_ZERO_GAIN, 0);
        if (skipped(r, SCREEN_ZERO_GAIN))
            snprintf(kz, sizeof kz, "-");
        else
            snprintf(kz, sizeof kz, "%s/%s", zm, zd);
        num(c, sizeof c, AGG(r, SCREEN_RANDOM, cos_angle, AGG_MIN), "%.12f");
        num(f, sizeof f, AGG(r, SCREEN_RANDOM, floor_rel, AGG_MAX), "%.1e");
        num(l, sizeof l, AGG(r, SCREEN_RANDOM, live_rel, AGG_MIN), "%.1e");
        double lo = NAN, hi = NAN;
        for (int a = 0; a < r->n_arch; a++) {
            double x, y;
            if (kernel_in_stream(&r->arch[a]))
                continue;
            ratio_range(&r->arch[a].r, &x, &y);
            lo = isnan(lo) || x < lo ? x : lo;
            hi = isnan(hi) || y > hi ? y : hi;
        }
        if (isnan(lo))
            snprintf(sr, sizeof sr, "-");
        else
            snprintf(sr, sizeof sr, "%.3g..%.3g", lo, hi);
        if (r->disagreements)
            snprintf(ag, sizeof ag, "NO(%d)", r->disagreements);
        else
            snprintf(ag, sizeof ag, "yes");
        if (r->cls == SCREEN_LN_LIKE)
            snprintf(cl, sizeof cl, "LN k=%d", r->class_k);
        else
            snprintf(cl, sizeof cl, "%s", r->cls == SCREEN_RMS_LIKE ? "RMS" : "unclear");
        fprintf(out, "%-20s %5s %5s %5s %7s %15s %11s %10s", r->spec, dk, ki, kr, kz, c, f, l);
        for (int a = 0; a < r->n_arch; a++)
            fprintf(out, " %-9s", verdict_name(r->arch[a].r.verdict));
        fprintf(out, " %-15s %-5s %-9s %s\n", sr, ag, cl, r->ops->kernel_formula);
    }
    fprintf(out, "\ndecl: declared kernel dim (random params); init, rand: measured dead directions "
            "with init / random params (a,b,c,d: per input, when they differ); zero: measured/declared "
            "with one gain zeroed; cos(angle): cos of the largest principal angle, declared vs "
            "measured; kernel/lmax: largest kernel eigenvalue, next/lmax: the first one above; "
            "verdicts at init; sigma ratio: resid.<l>/resid.<l-1> over all blocks and models (but not "
            "post-norm models whose stream carries the norm's kernel: their sigma_min is at the "
            "rounding floor)\n");
}

/* ---- csv: one row per scheme ---- */



static void write_csv(FILE *out, const screen_result *rs, int n)
{
    fputs("scheme,norm,d,rows,seed,threshold,precision,declared_k_init,dead_init,declared_k_random,"
          "dead_random,declared_k_zero_gain,dead_zero_gain,zero_channel,cos_angle_min,rayleigh_rel_max,"
          "kernel_rel_max,next_rel_min", out);
    for (int i = 0; i < SCREEN_N_INPUTS; i++)
        fprintf(out, ",dead_random.%s", screen_input_name(i));
    for (int a = 0; a < rs[0].n_arch; a++)
        fprintf(out, ",verdict.%s,dead.%s,cos.%s,ratio_min.%s,ratio_max.%s,deepening.%s,dead_trained.%s",
                rs[0].arch[a].arch, rs[0].arch[a].arch, rs[0].arch[a].arch, rs[0].arch[a].arch,
                rs[0].arch[a].arch, rs[0].arch[a].arch, rs[0].arch[a].arch);
    fputs(",train_steps,disagreements,class,class_k,declared_kernel\n", out);
    for (int j = 0; j < n; j++) {
        const screen_result *r = &rs[j];
        csv_str(out, r->spec);
        fputc(',', out);
        csv_str(out, r->ops->name);
        fprintf(out, ",%d,%ld,%llu,%g,%s", r->cfg.d, r->rows, (unsigned long long)r->seed,
                r->threshold, precision_name(r->prec));
        for (int s = 0; s < SCREEN_N_SETTINGS; s++) {
            if (skipped(r, s))
                fputs(",,", out);
            else
                fprintf(out, ",%d,%d", common_k(r, s, 1), common_k(r, s, 0));
        }
        fprintf(out, ",%d", r->zero_channel);
        csv_num(out, AGG(r, SCREEN_RANDOM, cos_angle, AGG_MIN));
        csv_num(out, AGG(r, SCREEN_RANDOM, rayleigh_rel, AGG_MAX));
        csv_num(out, AGG(r, SCREEN_RANDOM, floor_rel, AGG_MAX));
        csv_num(out, AGG(r, SCREEN_RANDOM, live_rel, AGG_MIN));
        for (int i = 0; i < SCREEN_N_INPUTS; i++)
            fprintf(out, ",%d", r->alone[SCREEN_RANDOM][i].measured_k);
        for (int a = 0; a < r->n_arch; a++) {
            const diag_report *d = &r->arch[a].r;
            double lo, hi;
            ratio_range(d, &lo, &hi);
            fprintf(out, ",%s,%d", verdict_name(d->verdict), d->dead);
            csv_num(out, d->cos);
            csv_num(out, lo);
            csv_num(out, hi);
            csv_num(out, r->arch[a].trained ? r->arch[a].deepening : NAN);
            if (r->arch[a].trained)
                fprintf(out, ",%d", r->arch[a].dead_end);
            else
                fputs(",", out);
        }
        fprintf(out, ",%ld,%d,%s,%d,", r->train_steps, r->disagreements, screen_class_name(r->cls), r->class_k);
        csv_str(out, r->ops->kernel_formula);
        fputc('\n', out);
    }
}

int screen_write_measurements(FILE *out, const screen_result *rs, int n)
{
    fputs("scheme,part,params,input,declared_k,measured_k,cos_angle,rayleigh_rel,kernel_rel,next_rel,"
          "cos_ones,cos_ginv,status\n", out);
    for (int j = 0; j < n; j++) {
        const screen_result *r = &rs[j];
        for (int s = 0; s < SCREEN_N_SETTINGS; s++)
            for (int i = 0; i < SCREEN_N_INPUTS && !skipped(r, s); i++) {
                const screen_probe *p = &r->alone[s][i];
                csv_str(out, r->spec);
                fprintf(out, ",alone,%s,%s,%d,%d", screen_setting_name(s), screen_input_name(i),
                        p->declared_k, p->measured_k);
                double v[] = {p->cos_angle, p->rayleigh_rel, p->floor_rel, p->live_rel, p->cos_ones, p->cos_ginv};
                for (size_t q = 0; q < sizeof v / sizeof v[0]; q++)
                    csv_num(out, v[q]);
                fprintf(out, ",%s\n", screen_status_name(p->status));
            }
        for (int a = 0; a < r->n_arch; a++) {
            const diag_report *d = &r->arch[a].r;
            csv_str(out, r->spec);
            fprintf(out, ",model,%s,%s,%d,%d", r->gamma, r->arch[a].arch, d->predicted_k, d->dead);
            double lmax = d->lam_max > 0 ? d->lam_max : NAN;
            double v[] = {d->cos, d->rayleigh_rel, d->lam_min / lmax, d->lam_2 / lmax, d->cos_ones, NAN};
            for (size_t q = 0; q < sizeof v / sizeof v[0]; q++)
                csv_num(out, v[q]);
            fprintf(out, ",%s\n", verdict_name(d->verdict));
        }
    }
    return ferror(out) ? -1 : 0;
}

/* ---- json ---- */


static cJSON *jarray(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; v && i < n; i++)
        cJSON_AddItemToArray(a, json_num_or_null(v[i]));
    return a;
}

static cJSON *probe_json(const screen_result *r, int s, int i)
{
    const screen_probe *p = &r->alone[s][i];
    const int d = r->cfg.d;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "params", screen_setting_name(s));
    cJSON_AddStringToObject(o, "input", screen_input_name(i));
    cJSON_AddNumberToObject(o, "declared_k", p->declared_k);
    cJSON_AddNumberToObject(o, "measured_k", p->measured_k);
    cJSON_AddItemToObject(o, "cos_angle", json_num_or_null(p->cos_angle));
    cJSON_AddItemToObject(o, "rayleigh_rel", json_num_or_null(p->rayleigh_rel));
    cJSON_AddItemToObject(o, "kernel_rel", json_num_or_null(p->floor_rel));
    cJSON_AddItemToObject(o, "next_rel", json_num_or_null(p->live_rel));
    cJSON_AddItemToObject(o, "cos_ones", json_num_or_null(p->cos_ones));
    cJSON_AddItemToObject(o, "cos_ginv", json_num_or_null(p->cos_ginv));
    cJSON_AddStringToObject(o, "status", screen_status_name(p->status));
    cJSON_AddItemToObject(o, "eigenvalues", jarray(p->eig, d));
    cJSON *b = cJSON_AddArrayToObject(o, "kernel_basis");
    for (int j = 0; j < p->measured_k && p->basis; j++)
        cJSON_AddItemToArray(b, jarray(p->basis + (size_t)j * d, d));
    return o;
}

static cJSON *model_json(const screen_result *r, int a)
{
    const diag_report *d = &r->arch[a].r;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", r->arch[a].arch);
    cJSON_AddStringToObject(o, "placement", arch_layout_label(r->arch[a].placement, r->arch[a].residual));
    cJSON_AddStringToObject(o, "gamma", r->gamma);
    cJSON_AddNumberToObject(o, "tokens", (double)d->tokens);
    cJSON_AddNumberToObject(o, "layers", d->layers);
    cJSON_AddNumberToObject(o, "predicted_k", d->predicted_k);
    cJSON_AddNumberToObject(o, "dead", d->dead);
    cJSON_AddItemToObject(o, "cos", json_num_or_null(d->cos));
    cJSON_AddItemToObject(o, "rayleigh_rel", json_num_or_null(d->rayleigh_rel));
    cJSON_AddItemToObject(o, "lambda_min", json_num_or_null(d->lam_min));
    cJSON_AddItemToObject(o, "lambda_max", json_num_or_null(d->lam_max));
    cJSON_AddStringToObject(o, "verdict", verdict_name(d->verdict));
    cJSON *sig = cJSON_AddArrayToObject(o, "sigma_min"), *rat = cJSON_AddArrayToObject(o, "sigma_ratio");
    for (int l = 0; d->sigma_min && l <= d->layers; l++) {
        cJSON_AddItemToArray(sig, json_num_or_null(d->sigma_min[l]));
        if (l > 0)
            cJSON_AddItemToArray(rat, json_num_or_null(d->sigma_min[l] / d->sigma_min[l - 1]));
    }
    cJSON_AddItemToObject(o, "eigenvalues", jarray(d->eig, d->d));
    return o;
}

static cJSON *scheme_json(const screen_result *r)
{
    char cls[256];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scheme", r->spec);
    cJSON_AddStringToObject(o, "norm", r->ops->name);
    cJSON_AddStringToObject(o, "formula", r->ops->summary);
    cJSON_AddStringToObject(o, "declared_kernel", r->ops->kernel_formula);
    cJSON_AddNumberToObject(o, "d", r->cfg.d);
    cJSON_AddNumberToObject(o, "eps", r->cfg.eps);
    cJSON_AddNumberToObject(o, "rows", (double)r->rows);
    cJSON_AddNumberToObject(o, "seed", (double)r->seed);
    cJSON_AddNumberToObject(o, "threshold", r->threshold);
    cJSON_AddStringToObject(o, "precision", precision_name(r->prec));
    cJSON_AddNumberToObject(o, "zero_channel", r->zero_channel);
    cJSON_AddBoolToObject(o, "zero_scalar", r->zero_scalar);
    cJSON *al = cJSON_AddArrayToObject(o, "alone");
    for (int s = 0; s < SCREEN_N_SETTINGS; s++)
        for (int i = 0; i < SCREEN_N_INPUTS && !skipped(r, s); i++)
            cJSON_AddItemToArray(al, probe_json(r, s, i));
    cJSON *ms = cJSON_AddArrayToObject(o, "models");
    for (int a = 0; a < r->n_arch; a++)
        cJSON_AddItemToArray(ms, model_json(r, a));
    if (!r->train_steps)
        cJSON_AddNullToObject(o, "trained");
    else {
        cJSON *tr = cJSON_AddArrayToObject(o, "trained");
        for (int a = 0; a < r->n_arch; a++) {
            const screen_arch *s = &r->arch[a];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "arch", s->arch);
            cJSON_AddNumberToObject(x, "steps", (double)s->train_steps);
            cJSON_AddStringToObject(x, "precision", "bf16");
            cJSON_AddNumberToObject(x, "val_loss_init", s->val_loss_init);
            cJSON_AddNumberToObject(x, "val_loss", s->val_loss);
            cJSON_AddItemToObject(x, "deepening", json_num_or_null(s->deepening));
            cJSON_AddNumberToObject(x, "dead_init", s->dead_init);
            cJSON_AddNumberToObject(x, "dead_end", s->dead_end);
            cJSON_AddItemToArray(tr, x);
        }
    }
    cJSON_AddStringToObject(o, "class", screen_class_name(r->cls));
    cJSON_AddNumberToObject(o, "class_k", r->class_k);
    class_text(cls, sizeof cls, r);
    cJSON_AddStringToObject(o, "classification", cls);
    cJSON_AddStringToObject(o, "evidence", r->evidence);
    cJSON_AddNumberToObject(o, "disagreements", r->disagreements);
    return o;
}

static int write_json(FILE *out, const screen_result *rs, int n, ns_err *e)
{
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "schemes");
    for (int j = 0; j < n; j++)
        cJSON_AddItemToArray(arr, scheme_json(&rs[j]));
    return json_write(out, root, e);
}

int screen_write(FILE *out, int fmt, const screen_result *rs, int n, ns_err *e)
{
    if (fmt == FORMAT_JSON)
        return write_json(out, rs, n, e);
    if (fmt == FORMAT_CSV)
        write_csv(out, rs, n);
    else if (n == 1)
        write_detail(out, rs);
    else
        write_comparison(out, rs, n);
    return NS_OK;
}
