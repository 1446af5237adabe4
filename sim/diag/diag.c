/* diag.c - the diagnostic of PAPER C1/C3/C5 on a model at hand. */
#include "sim/diag/diag.h"
#include "sim/stats/cov.h"
#include "sim/data/inputs.h"
#include "sim/model/forward.h"
#include "sim/base/progress.h"
#include "sim/stats/spectrum.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The taps the diagnostic reads: resid.0 .. resid.L, then final.out. */
typedef struct {
    int n;
    char (*names)[32];
    cov_acc *cov;
    ns_err err; /* first accumulation error, reported after the forward */
} tap_covs;

static void tap_covs_sink(void *ctx, const char *name, const double *x, int n, int d)
{
    tap_covs *tc = ctx;
    (void)d;
    for (int i = 0; i < tc->n; i++)
        if (strcmp(tc->names[i], name) == 0 && tc->err.code == NS_OK)
            cov_add(&tc->cov[i], x, n, &tc->err);
}

static void tap_covs_free(tap_covs *tc)
{
    for (int i = 0; i < tc->n && tc->cov; i++)
        cov_free(&tc->cov[i]);
    free(tc->cov);
    free(tc->names);
}

static int tap_covs_init(tap_covs *tc, int layers, int d, ns_err *e)
{
    memset(tc, 0, sizeof *tc);
    tc->n = layers + 2;
    tc->names = calloc((size_t)tc->n, sizeof *tc->names);
    tc->cov = calloc((size_t)tc->n, sizeof *tc->cov);
    if (!tc->names || !tc->cov) {
        tap_covs_free(tc);
        return ns_fail(e, NS_ERUN, "out of memory for %d tap covariances", layers + 2);
    }
    for (int l = 0; l <= layers; l++)
        snprintf(tc->names[l], sizeof tc->names[l], "resid.%d", l);
    snprintf(tc->names[layers + 1], sizeof tc->names[0], "final.out");
    for (int i = 0; i < tc->n; i++)
        if (cov_init(&tc->cov[i], d, e)) {
            tap_covs_free(tc);
            return NS_ERUN;
        }
    return NS_OK;
}

/* Stream o->tokens rows: full sequences in batches of B, then one shorter sequence (token
 * models) or whole images up to at least o->tokens rows (image models). Returns rows. */
static int stream_batches(const ns_model *m, const diag_opts *o, tap_covs *tc, long *rows,
                          ns_err *e)
{
    const int T = m->cfg.seq, B = T >= 1024 ? 1 : 1024 / T;
    const int images = m->cfg.input == INPUT_PATCHES;
    int maxB = B, maxT = T;
    for (int i = 0; i < o->n_probe; i++)
        maxB = o->probe[i].B > maxB ? o->probe[i].B : maxB;
    batch_source src;
    ns_workspace w;
    int rc = o->probe ? NS_OK
                      : batch_source_init(&src, &m->cfg, o->data ? o->data : batch_source_default(&m->cfg),
                                          o->seed, B, e);
    if (rc)
        return rc;
    if ((rc = workspace_create(&w, m, maxB * maxT, maxT, e))) {
        if (!o->probe)
            batch_source_free(&src);
        return rc;
    }
    tap_sink sink = {tap_covs_sink, tc};
    progress pb;
    progress_start(&pb, "forward", o->progress);
    long done = 0;
    for (int i = 0; o->probe && i < o->n_probe && tc->err.code == NS_OK; i++) {
        model_forward(m, &w, &o->probe[i], &sink, NULL);
        done += (long)o->probe[i].B * o->probe[i].T;
    }
    while (!o->probe && done < o->tokens && tc->err.code == NS_OK) {
        long left = o->tokens - done;
        int b = left >= (long)B * T ? B : (left >= T ? (int)(left / T) : 1);
        int t = images || left >= T ? T : (int)left;
        ns_batch batch;
        batch_source_next(&src, b, t, &batch);
        model_forward(m, &w, &batch, &sink, NULL);
        done += (long)b * t;
        progress_update(&pb, (double)done, (double)o->tokens);
    }
    progress_end(&pb);
    workspace_free(&w);
    if (!o->probe)
        batch_source_free(&src);
    *rows = done;
    if (tc->err.code) {
        *e = tc->err;
        return e->code;
    }
    return NS_OK;
}

/* sigma_min of the centred stream = sqrt(lambda_min(scatter)) */
static int residual_sigmas(const tap_covs *tc, int layers, int d, double *A, double *w,
                           double *sigma, ns_err *e)
{
    for (int l = 0; l <= layers; l++) {
        cov_matrix(&tc->cov[l], A);
        int rc = sym_eigen(d, A, w, 0, e);
        if (rc)
            return rc;
        double lam = w[0] > 0.0 ? w[0] : 0.0;
        sigma[l] = sqrt(lam * (double)tc->cov[l].n);
    }
    return NS_OK;
}

/* Compare the predicted basis P (k x d) with the measured spectrum of C. */
static int kernel_match(diag_report *r, const double *C, const double *V, const double *P, int k,
                        ns_err *e)
{
    const int d = r->d;
    r->rayleigh_rel = -INFINITY;
    for (int j = 0; j < k; j++) {
        double q = rayleigh(d, C, P + (size_t)j * d) / r->lam_max;
        r->rayleigh_rel = q > r->rayleigh_rel ? q : r->rayleigh_rel;
    }
    double proj = 0.0; /* ||P 1/sqrt(d)||: cosine of 1/sqrt(d) with the predicted span */
    for (int j = 0; j < k; j++) {
        double dot = 0.0;
        for (int i = 0; i < d; i++)
            dot += P[(size_t)j * d + i];
        proj += dot * dot / d;
    }
    r->cos_ones = sqrt(proj);
    if (k == 1) {
        r->cos = abs_cos(d, P, V);
        return NS_OK;
    }
    double *cs = malloc(sizeof(double) * (size_t)k);
    if (!cs)
        return ns_fail(e, NS_ERUN, "out of memory");
    int rc = principal_cosines(d, k, P, k, V, cs, e);
    r->cos = cs[k - 1];
    free(cs);
    return rc;
}

/* Verdict rule:
 *   UNDETERMINED  tokens <= d: at least one zero eigenvalue whatever the model
 *   PRESENT       the norm predicts a kernel and every predicted direction is dead
 *                 (p'Cp / lambda_max < threshold)
 *   ABSENT        the norm predicts none and no eigenvalue is below the threshold
 *   MISMATCH      anything else (a predicted kernel not measured, or an unpredicted one) */
verdict diag_verdict(int k, double rayleigh_rel, int dead, double threshold, long tokens, int d)
{
    if (tokens <= d)
        return VERDICT_UNDETERMINED;
    if (k > 0)
        return rayleigh_rel < threshold && dead >= k ? VERDICT_PRESENT : VERDICT_MISMATCH;
    return dead == 0 ? VERDICT_ABSENT : VERDICT_MISMATCH;
}

const char *verdict_name(verdict v)
{
    static const char *names[] = {"PRESENT", "ABSENT", "MISMATCH", "UNDETERMINED", "NO-PREDICTION"};
    return names[v];
}

static void set_warning(diag_report *r)
{
    int k = r->predicted_k > 0 ? r->predicted_k : 0;
    if (r->verdict == VERDICT_UNDETERMINED)
        snprintf(r->warning, sizeof r->warning,
                 "%ld tokens <= d = %d: the centred covariance has at least %ld zero eigenvalues "
                 "whatever the model, so the bottom direction is not unique; use more tokens than d",
                 r->tokens, r->d, (long)r->d - r->tokens + 1);
    else if (r->dead > k && r->predicted_k >= 0)
        snprintf(r->warning, sizeof r->warning,
                 "%d dead directions, %d predicted: the extra ones come from the data (too few "
                 "distinct inputs?) or the model, and the bottom direction is not unique",
                 r->dead, k);
}

int diag_measure(const cov_acc *cov, const double *P, int k, double threshold, diag_report *r,
                 ns_err *e)
{
    const int d = cov->d;
    r->d = d;
    r->tokens = cov->n;
    r->threshold = threshold;
    r->predicted_k = k;
    if (!r->eig && !(r->eig = malloc(sizeof(double) * (size_t)d)))
        return ns_fail(e, NS_ERUN, "out of memory");
    double *C = malloc(sizeof(double) * (size_t)d * d), *A = malloc(sizeof(double) * (size_t)d * d);
    int rc = C && A ? NS_OK : ns_fail(e, NS_ERUN, "out of memory for %d x %d matrices", d, d);
    if (!rc) {
        cov_matrix(cov, C);
        memcpy(A, C, sizeof(double) * (size_t)d * d);
        rc = sym_eigen(d, A, r->eig, 1, e);
    }
    if (!rc) {
        r->lam_min = r->eig[0];
        r->lam_2 = d > 1 ? r->eig[1] : NAN;
        r->lam_max = r->eig[d - 1];
        r->dead = count_below(d, r->eig, threshold * r->lam_max);
        r->cos = r->cos_ones = r->rayleigh_rel = NAN;
        if (k > 0 && k <= d && r->lam_max > 0.0)
            rc = kernel_match(r, C, A, P, k, e);
        if (!r->bottom && !(r->bottom = malloc(sizeof(double) * (size_t)d)))
            rc = ns_fail(e, NS_ERUN, "out of memory");
        else
            memcpy(r->bottom, A, sizeof(double) * (size_t)d); /* eigenvector of lambda_min */
    }
    r->verdict = k < 0 ? VERDICT_NO_PREDICTION
                       : diag_verdict(k, r->rayleigh_rel, r->dead, threshold, r->tokens, d);
    set_warning(r);
    free(C);
    free(A);
    return rc;
}

/* the final norm's predicted kernel basis (k x d), or NULL when k == 0 */
static int predicted_basis(const ns_model *m, double **P, int *k, ns_err *e)
{
    *k = m->norm->kernel(&m->ncfg, m->norm_final, NULL, 0);
    *P = NULL;
    if (*k <= 0)
        return NS_OK;
    if (!(*P = malloc(sizeof(double) * (size_t)*k * m->cfg.d)))
        return ns_fail(e, NS_ERUN, "out of memory for a %d-dim kernel basis", *k);
    m->norm->kernel(&m->ncfg, m->norm_final, *P, *k);
    return NS_OK;
}

int diag_run(const ns_model *m, const diag_opts *o, diag_report *r, ns_err *e)
{
    const int d = m->cfg.d, L = m->cfg.layers;
    memset(r, 0, sizeof *r);
    r->d = d;
    r->layers = L;
    r->threshold = o->threshold;
    tap_covs tc;
    int rc = tap_covs_init(&tc, L, d, e);
    if (rc)
        return rc;
    r->eig = malloc(sizeof(double) * (size_t)d);
    r->sigma_min = malloc(sizeof(double) * (size_t)(L + 1));
    double *A = malloc(sizeof(double) * (size_t)d * d), *P = NULL;
    int k = 0;
    if (!r->eig || !r->sigma_min || !A)
        rc = ns_fail(e, NS_ERUN, "out of memory for %d x %d matrices", d, d);
    if (!rc)
        rc = stream_batches(m, o, &tc, &r->tokens, e);
    if (!rc)
        rc = residual_sigmas(&tc, L, d, A, r->eig, r->sigma_min, e);
    if (!rc)
        rc = predicted_basis(m, &P, &k, e);
    if (!rc)
        rc = diag_measure(&tc.cov[L + 1], P, k, o->threshold, r, e);
    if (!rc && k > 0) { /* keep the first predicted vector; P's other rows are not needed */
        r->predicted = P;
        P = NULL;
    }
    free(P);
    free(A);
    tap_covs_free(&tc);
    if (rc)
        diag_report_free(r);
    return rc;
}

void diag_report_free(diag_report *r)
{
    free(r->eig);
    free(r->sigma_min);
    free(r->bottom);
    free(r->predicted);
    r->eig = r->sigma_min = r->bottom = r->predicted = NULL;
}
