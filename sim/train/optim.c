/* optim.c - AdamW (Loshchilov & Hutter), schedule, clipping. The AdamW update is
 * elementwise, so it runs on ns_threads() threads with the same bits as on one. */
#include "sim/train/optim.h"
#include "sim/base/threads.h"
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* decay applies to 2-D weights that are not norm parameters */
int adamw_init(adamw *o, const ns_model *m, ns_err *e)
{
    memset(o, 0, sizeof *o);
    o->n = m->n_params;
    o->m = calloc(o->n, sizeof(double));
    o->v = calloc(o->n, sizeof(double));
    o->decay = calloc(o->n, 1);
    if (!o->m || !o->v || !o->decay) {
        adamw_free(o);
        return ns_fail(e, NS_ERUN, "out of memory for the optimizer state");
    }
    for (int t = 0; t < m->n_tensors; t++) {
        const ns_tensor *T = &m->tensors[t];
        if (T->rows > 1 && T->norm_role < 0)
            memset(o->decay + T->offset, 1, (size_t)T->rows * T->cols);
    }
    return NS_OK;
}

void adamw_free(adamw *o)
{
    free(o->m);
    free(o->v);
    free(o->decay);
    memset(o, 0, sizeof *o);
}

double optim_lr(const optim_cfg *c, long step)
{
    if (step < c->warmup)
        return c->lr * (double)(step + 1) / (double)c->warmup;
    long span = c->steps - c->warmup;
    double t = span > 0 ? (double)(step - c->warmup) / (double)span : 1.0;
    t = t > 1.0 ? 1.0 : t;
    double lo = c->lr * c->min_lr_frac;
    return lo + 0.5 * (c->lr - lo) * (1.0 + cos(3.14159265358979323846 * t));
}

double grad_clip(double *g, size_t n, double max_norm)
{
    double norm = cblas_dnrm2((int)n, g, 1);
    if (max_norm > 0.0 && norm > max_norm)
        cblas_dscal((int)n, max_norm / norm, g, 1);
    return norm;
}

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (mhat / (sqrt(vhat) + eps) + wd p) */
void adamw_step(adamw *o, const optim_cfg *c, double *p, const double *g, double lr)
{
    o->step++;
    const double b1 = c->beta1, b2 = c->beta2;
    const double c1 = 1.0 - pow(b1, (double)o->step), c2 = 1.0 - pow(b2, (double)o->step);
    const long n = (long)o->n;
    NS_PAR_FOR(8 * n)
    for (long i = 0; i < n; i++) {
        o->m[i] = b1 * o->m[i] + (1.0 - b1) * g[i];
        o->v[i] = b2 * o->v[i] + (1.0 - b2) * g[i] * g[i];
        double mhat = o->m[i] / c1, vhat = o->v[i] / c2;
        p[i] -= lr * (mhat / (sqrt(vhat) + c->eps) + (o->decay[i] ? c->weight_decay * p[i] : 0.0));
    }
}
