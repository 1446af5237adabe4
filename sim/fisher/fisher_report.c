/* fisher_report.c - `normsim fisher` results as a table, CSV or JSON (cJSON). */
#include "sim/fisher/fisher.h"
#include "sim/diag/diag_report.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void table(FILE *f, const ns_model *m, const fisher_result *r)
{
    fprintf(f, "normsim fisher: %s, norm %s, d %d, %ld token rows (%d x %d), %d directions of each "
            "kind, FD step %g, threshold %g\n\n", m->cfg.arch, m->cfg.norm, m->cfg.d, r->tokens, r->seqs,
            r->T, r->K, r->step, r->threshold);
    int lora = 0;
    for (int i = 0; i < r->n; i++)
        lora |= r->rows[i].lora_rank > 0;
    fprintf(f, "%-24s %-10s %2s %-4s %10s %10s %10s %10s %10s %10s %10s  %-12s %s\n", "tensor", "shape", "k",
            "bias", "s p.b", "F dead", "F random", "ratio", "emp ratio", "gD dead", "gD rand", "verdict",
            "why");
    for (int i = 0; i < r->n; i++) {
        const fisher_row *w = &r->rows[i];
        char shape[24];
        snprintf(shape, sizeof shape, "%dx%d", w->d_out, w->d_in);
        fprintf(f, "%-24s %-10s %2d %-4s %10.3g %10.3g %10.3g %10.3g %10.3g %10.3g %10.3g  %-12s %s\n", w->name,
                shape, w->k, w->has_bias ? "yes" : "no", w->pb, w->dead.F_max, w->rnd.F, w->ratio, w->emp_ratio,
                w->dead.gd_std, w->rnd.gd_std, fisher_verdict_name(w->verdict), w->reason);
    }
    fprintf(f, "\nF dead: the largest of the dead directions' Fishers; ratio = F dead / mean F random;\n"
            "gD: std over tokens of g_t . D (dead: 0 to rounding). s p.b: the constant s p . y_t.\n");
    if (!lora)
        return;
    fprintf(f, "\nLoRA guard (rank %d): rank of the top right singular directions of dL/dW spent on span(p)\n",
            r->rows[0].lora_rank ? r->rows[0].lora_rank : 0);
    fprintf(f, "%-24s %12s %12s %12s %12s\n", "tensor", "on p before", "on p after", "energy before",
            "energy after");
    for (int i = 0; i < r->n; i++) {
        const fisher_row *w = &r->rows[i];
        if (w->lora_rank > 0)
            fprintf(f, "%-24s %12.3g %12.3g %12.4f %12.4f\n", w->name, w->lora_on_p_before, w->lora_on_p_after,
                    w->lora_energy_before, w->lora_energy_after);
    }
}

static void csv_num(FILE *f, double v) { isfinite(v) ? fprintf(f, ",%.17g", v) : fprintf(f, ","); }

static void csv(FILE *f, const fisher_result *r)
{
    fprintf(f, "tensor,bias,d_out,d_in,k,tied,pb,py_mean,py_spread,dout,F_dead_mean,F_dead_max,F_random_mean,"
            "F_random_min,ratio,emp_dead,emp_random,emp_ratio,gd_dead_mean,gd_dead_std,gd_random_mean,"
            "gd_random_std,fd_err_dead,fd_err_random,jvp_vs_bwd,verdict,reason,lora_rank,lora_on_p_before,"
            "lora_on_p_after,lora_energy_before,lora_energy_after\n");
    for (int i = 0; i < r->n; i++) {
        const fisher_row *w = &r->rows[i];
        fprintf(f, "%s,%s,%d,%d,%d,%d", w->name, w->bias_name, w->d_out, w->d_in, w->k, w->tied);
        const double v[] = {w->pb, w->py_mean, w->py_spread, w->dout, w->dead.F, w->dead.F_max, w->rnd.F,
                            w->rnd.F_min, w->ratio, w->dead.emp, w->rnd.emp, w->emp_ratio, w->dead.gd_mean,
                            w->dead.gd_std, w->rnd.gd_mean, w->rnd.gd_std, w->dead.fd_err, w->rnd.fd_err,
                            w->jvp_vs_bwd};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            csv_num(f, v[k]);
        fprintf(f, ",%s,\"%s\",%d", fisher_verdict_name(w->verdict), w->reason, w->lora_rank);
        const double l[] = {w->lora_on_p_before, w->lora_on_p_after, w->lora_energy_before, w->lora_energy_after};
        for (size_t k = 0; k < 4; k++)
            csv_num(f, w->lora_rank ? l[k] : NAN);
        fputc('\n', f);
    }
}

/* a number, or null when not finite */
static void jnum(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *side_json(const fisher_side *s)
{
    cJSON *o = cJSON_CreateObject();
    jnum(o, "F_mean", s->F);
    jnum(o, "F_max", s->F_max);
    jnum(o, "F_min", s->F_min);
    jnum(o, "empirical", s->emp);
    jnum(o, "gd_mean", s->gd_mean);
    jnum(o, "gd_std", s->gd_std);
    jnum(o, "fd_rel_err", s->fd_err);
    return o;
}

static cJSON *row_json(const fisher_row *w)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tensor", w->name);
    if (w->has_bias)
        cJSON_AddStringToObject(o, "bias", w->bias_name);
    else
        cJSON_AddNullToObject(o, "bias");
    cJSON_AddNumberToObject(o, "d_out", w->d_out);
    cJSON_AddNumberToObject(o, "d_in", w->d_in);
    cJSON_AddNumberToObject(o, "k", w->k);
    cJSON_AddBoolToObject(o, "tied", w->tied);
    jnum(o, "pb", w->pb);
    jnum(o, "py_mean", w->py_mean);
    jnum(o, "py_spread", w->py_spread);
    jnum(o, "dout", w->dout);
    cJSON_AddItemToObject(o, "dead", w->k > 0 ? side_json(&w->dead) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "random", side_json(&w->rnd));
    jnum(o, "ratio", w->ratio);
    jnum(o, "emp_ratio", w->emp_ratio);
    jnum(o, "jvp_vs_bwd", w->jvp_vs_bwd);
    cJSON_AddStringToObject(o, "verdict", fisher_verdict_name(w->verdict));
    cJSON_AddStringToObject(o, "reason", w->reason);
    if (w->lora_rank > 0) {
        cJSON *l = cJSON_AddObjectToObject(o, "lora");
        cJSON_AddNumberToObject(l, "rank", w->lora_rank);
        jnum(l, "on_p_before", w->lora_on_p_before);
        jnum(l, "on_p_after", w->lora_on_p_after);
        jnum(l, "energy_before", w->lora_energy_before);
        jnum(l, "energy_after", w->lora_energy_after);
    }
    return o;
}

static int json(FILE *f, const ns_model *m, const fisher_result *r, ns_err *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "arch", m->cfg.arch);
    cJSON_AddStringToObject(root, "norm", m->cfg.norm);
    cJSON_AddNumberToObject(root, "d", m->cfg.d);
    cJSON_AddNumberToObject(root, "tokens", (double)r->tokens);
    cJSON_AddNumberToObject(root, "target_rows", (double)r->target_rows);
    cJSON_AddNumberToObject(root, "sequences", r->seqs);
    cJSON_AddNumberToObject(root, "seq", r->T);
    cJSON_AddNumberToObject(root, "directions", r->K);
    cJSON_AddNumberToObject(root, "step", r->step);
    cJSON_AddNumberToObject(root, "threshold", r->threshold);
    cJSON_AddStringToObject(root, "method", "central differences at h and h/2, Richardson-extrapolated");
    cJSON *arr = cJSON_AddArrayToObject(root, "tensors");
    for (int i = 0; i < r->n; i++)
        cJSON_AddItemToArray(arr, row_json(&r->rows[i]));
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    if (!txt)
        return ns_fail(e, NS_ERUN, "out of memory writing JSON");
    fprintf(f, "%s\n", txt);
    free(txt);
    return NS_OK;
}

int fisher_report(FILE *f, int format, const ns_model *m, const fisher_result *r, ns_err *e)
{
    if (format == FORMAT_JSON)
        return json(f, m, r, e);
    if (format == FORMAT_CSV)
        csv(f, r);
    else
        table(f, m, r);
    return NS_OK;
}
