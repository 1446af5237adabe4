/* fisher_grad.c - the loss gradient (sim/model/backward.c) for two uses: a check of the
 * finite-difference JVP (<dL/dW, D> = mean_t g_t . D for a random direction), and the LoRA
 * guard; plus --save-dir (the tokens and directions, for the PyTorch oracle). */
#include "sim/fisher/fisher_internal.h"
#include "sim/model/backward.h"
#include "sim/model/loss.h"
#include "sim/stats/spectrum.h"
#include "sim/io/npy.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ns_batch fisher_sub_batch(const ns_model *m, const ns_batch *all, int b0, int bc)
{
    ns_batch b = {bc, all->T, NULL, NULL, NULL};
    if (all->tok)
        b.tok = all->tok + (size_t)b0 * all->T;
    if (all->images)
        b.images = all->images + (size_t)b0 * m->cfg.channels * m->cfg.image * m->cfg.image;
    return b;
}

/* grads = dL/dparams of the mean cross-entropy over every row with a target */
static int loss_gradient(const ns_model *m, const ns_batch *all, int nseq, int T, int Bc, double *grads,
                         ns_err *e)
{
    const int V = m->cfg.vocab;
    ns_workspace w;
    ns_grads_ws g;
    int rc = workspace_create_train(&w, m, Bc * T, T, e);
    if (rc)
        return rc;
    if ((rc = grads_ws_create(&g, m, Bc * T, T, e))) {
        workspace_free(&w);
        return rc;
    }
    double *logits = malloc(sizeof(double) * (size_t)Bc * T * V), *dl = malloc(sizeof(double) * (size_t)Bc * T * V);
    int *target = malloc(sizeof(int) * (size_t)Bc * T);
    long total = 0;
    if (!logits || !dl || !target)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    for (int b0 = 0; !rc && b0 < nseq; b0 += Bc) { /* rows with a target */
        int bc = nseq - b0 < Bc ? nseq - b0 : Bc;
        total += (long)bc * (T - 1);
    }
    memset(grads, 0, sizeof(double) * m->n_params);
    for (int b0 = 0; !rc && total > 0 && b0 < nseq; b0 += Bc) {
        int bc = nseq - b0 < Bc ? nseq - b0 : Bc;
        ns_batch b = fisher_sub_batch(m, all, b0, bc);
        targets_next_token(b.tok, bc, T, target);
        model_forward(m, &w, &b, NULL, logits);
        cross_entropy(logits, target, bc * T, V, dl);
        double share = (double)bc * (T - 1) / (double)total; /* chunk mean -> global mean */
        cblas_dscal(bc * T * V, share, dl, 1);
        model_backward(m, &w, &g, &b, logits, dl, grads);
    }
    free(logits);
    free(dl);
    free(target);
    grads_ws_free(&g);
    workspace_free(&w);
    return rc;
}

/* top-R eigenvectors of M = G^T G (d_in x d_in): rows of V (R x d_in), and the share of
 * trace(M) they hold relative to `total` */
static int top_right(const double *G, int o, int in, int R, double *M, double *w, double *V, double total,
                     double *share, ns_err *e)
{
    /* row-major lower = the column-major upper triangle sym_eigen reads */
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, in, o, 1.0, G, in, 0.0, M, in);
    int rc = sym_eigen(in, M, w, 1, e); /* ascending; vector j at M + j in */
    double top = 0.0;
    for (int r = 0; !rc && r < R; r++) {
        memcpy(V + (size_t)r * in, M + (size_t)(in - 1 - r) * in, sizeof(double) * in);
        top += w[in - 1 - r];
    }
    *share = total > 0 ? top / total : NAN;
    return rc;
}

/* ||V P^T||_F^2: the rank of span(V) spent on span(P) */
static double rank_on(const double *V, int R, const double *P, int k, int in)
{
    double s = 0.0;
    for (int r = 0; r < R; r++)
        for (int j = 0; j < k; j++) {
            double c = cblas_ddot(in, V + (size_t)r * in, 1, P + (size_t)j * in, 1);
            s += c * c;
        }
    return s;
}

int fisher_lora_guard(const double *G, int o, int in, const double *P, int k, int R, fisher_row *row,
                      ns_err *e)
{
    if (R > in)
        R = in;
    double *M = malloc(sizeof(double) * (size_t)in * in), *w = malloc(sizeof(double) * (size_t)in);
    double *V = malloc(sizeof(double) * (size_t)R * in), *Gp = malloc(sizeof(double) * (size_t)o * in);
    double *GP = malloc(sizeof(double) * (size_t)o * k);
    int rc = M && w && V && Gp && GP ? NS_OK : ns_fail(e, NS_ERUN, "out of memory");
    double total = 0.0;
    if (!rc) {
        total = pow(cblas_dnrm2(o * in, G, 1), 2);
        rc = top_right(G, o, in, R, M, w, V, total, &row->lora_energy_before, e);
    }
    if (!rc) {
        row->lora_on_p_before = rank_on(V, R, P, k, in);
        /* G' = G (I - P^T P) = G - (G P^T) P */
        memcpy(Gp, G, sizeof(double) * (size_t)o * in);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, o, k, in, 1.0, G, in, P, in, 0.0, GP, k);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o, in, k, -1.0, GP, k, P, in, 1.0, Gp, in);
        rc = top_right(Gp, o, in, R, M, w, V, total, &row->lora_energy_after, e);
    }
    if (!rc) {
        row->lora_on_p_after = rank_on(V, R, P, k, in);
        row->lora_rank = R;
    }
    free(M);
    free(w);
    free(V);
    free(Gp);
    free(GP);
    return rc;
}

/* <dL/dW, dW> + <dL/dc, dc> */
static double grad_dot(const fstate *s, const fjob *j, const double *grads)
{
    const ns_model *m = s->m;
    double v = cblas_ddot(j->d_out * j->d_in, grads + m->tensors[j->t.w].offset, 1, s->dW, 1);
    if (j->t.bias >= 0)
        v += cblas_ddot(j->d_out, grads + m->tensors[j->t.bias].offset, 1, s->dc, 1);
    return v;
}

int fisher_gradient_checks(fstate *s, const ns_batch *all, int nseq, int T, int Bc, fisher_row *rows,
                           ns_err *e)
{
    const ns_model *m = s->m;
    const int K = s->o->K;
    long trows = (long)nseq * (T - 1);
    if (trows <= 0)
        return NS_OK;
    double *grads = malloc(sizeof(double) * m->n_params);
    int rc = grads ? loss_gradient(m, all, nseq, T, Bc, grads, e) : ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; !rc && i < s->n; i++) {
        fjob *j = &s->jobs[i];
        fisher_direction(j, s->o->seed, K, K, s->dW, s->dc, s->U);
        double bwd = grad_dot(s, j, grads), jvp = j->acc[K].gd / trows;
        double scale = sqrt(rows[i].rnd.emp); /* the size of one token's g_t . D */
        rows[i].jvp_vs_bwd = fabs(jvp - bwd) / (scale > 0 ? scale : 1.0);
        if (s->o->lora_rank > 0 && j->t.k > 0)
            rc = fisher_lora_guard(grads + m->tensors[j->t.w].offset, j->d_out, j->d_in, j->P, j->t.k,
                                   s->o->lora_rank, &rows[i], e);
    }
    free(grads);
    return rc;
}

/* DIR/tokens.npy (or images.npy), DIR/<tensor>.<dead|random>.<k>.npy for W and its bias */
int fisher_save(const fstate *s, const ns_batch *all, ns_err *e)
{
    const ns_model *m = s->m;
    const int K = s->o->K;
    char path[4096];
    int rc = NS_OK;
    if (all->tok) {
        size_t sh[2] = {(size_t)all->B, (size_t)all->T};
        snprintf(path, sizeof path, "%s/tokens.npy", s->o->save_dir);
        rc = npy_write_i32(path, all->tok, 2, sh, e);
    } else {
        size_t sh[4] = {(size_t)all->B, (size_t)m->cfg.channels, (size_t)m->cfg.image, (size_t)m->cfg.image};
        snprintf(path, sizeof path, "%s/images.npy", s->o->save_dir);
        rc = npy_write_f64(path, all->images, 4, sh, e);
    }
    for (int i = 0; !rc && i < s->n; i++) {
        const fjob *j = &s->jobs[i];
        for (int dir = j->t.k > 0 ? 0 : K; !rc && dir < 2 * K; dir++) {
            fisher_direction(j, s->o->seed, K, dir, s->dW, s->dc, s->U);
            const char *kind = dir < K ? "dead" : "random";
            size_t sw[2] = {(size_t)j->d_out, (size_t)j->d_in}, sc[1] = {(size_t)j->d_out};
            snprintf(path, sizeof path, "%s/%s.%s.%d.npy", s->o->save_dir, m->tensors[j->t.w].name, kind, dir % K);
            rc = npy_write_f64(path, s->dW, 2, sw, e);
            if (!rc && j->t.bias >= 0) {
                snprintf(path, sizeof path, "%s/%s.%s.%d.npy", s->o->save_dir, m->tensors[j->t.bias].name, kind,
                         dir % K);
                rc = npy_write_f64(path, s->dc, 1, sc, e);
            }
        }
    }
    return rc;
}
