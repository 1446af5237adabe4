/* diag.c - the diagnostic of PAPER C1/C3/C5 on a model at hand. */
#include "sim/diag/diag.h"
#include "sim/stats/cov.h"
#include "sim/data/inputs.h"
#include "sim/model/forward.h"
#include "sim/base/progress.h"
#include "norms/registry.h"
#include "sim/stats/spectrum.h"
#include "sim/base/threads.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The taps the diagnostic reads: resid.0 .. resid.L, then final.out; every tap also goes
 * on to `also` when set. */
typedef struct {
    int n;
    char (*names)[32];
    cov_acc *cov;
    const tap_sink *also;
    ns_err err; /* first accumulation error, reported after the forward */
} tap_covs;

static void tap_covs_sink(void *ctx, const char *name, const double *x, int n, int d)
{
    tap_covs *tc = ctx;
    for (int i = 0; i < tc->n; i++)
        if (strcmp(tc->names[i], name) == 0 && tc->err.code == NS_OK)
            cov_add(&tc->cov[i], x, n, &tc->err);
    if (tc->also && tc->err.code == NS_OK)
        tap_emit(tc->also, name, x, n, d);
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

/* ---- feeds ---- */

typedef struct {
    batch_source src;
    int B, T, images;
    long tokens, done;
} source_feed;

/* b sequences of t rows for the rows left: B full ones, else fewer, else one shorter one */
static void next_shape(long left, int B, int T, int images, int *b, int *t)
{
    *b = left >= (long)B * T ? B : (left >= T ? (int)(left / T) : 1);
    *t = images || left >= T ? T : (int)left;
}

static int source_next(void *ctx, ns_batch *batch, ns_err *e)
{
    source_feed *s = ctx;
    int b, t;
    (void)e;
    memset(batch, 0, sizeof *batch);
    if (s->done >= s->tokens)
        return NS_OK;
    next_shape(s->tokens - s->done, s->B, s->T, s->images, &b, &t);
    batch_source_next(&s->src, b, t, batch);
    s->done += (long)b * t;
    return NS_OK;
}

int diag_feed_source(diag_feed *f, const ns_model *m, const char *data, uint64_t seed, long tokens,
                     ns_err *e)
{
    memset(f, 0, sizeof *f);
    source_feed *s = calloc(1, sizeof *s);
    if (!s)
        return ns_fail(e, NS_ERUN, "out of memory");
    s->T = m->cfg.seq;
    s->B = s->T >= 1024 ? 1 : 1024 / s->T;
    s->images = m->cfg.input == INPUT_PATCHES;
    s->tokens = tokens;
    int rc = batch_source_init(&s->src, &m->cfg, data ? data : batch_source_default(&m->cfg), seed,
                               s->B, e);
    if (rc) {
        free(s);
        return rc;
    }
    for (long left = tokens; left > 0;) { /* the rows the batches will give */
        int b, t;
        next_shape(left, s->B, s->T, s->images, &b, &t);
        f->rows += (long)b * t;
        left -= (long)b * t;
    }
    *f = (diag_feed){source_next, s, f->rows, s->B, s->T};
    return NS_OK;
}

void diag_feed_close(diag_feed *f)
{
    source_feed *s = f->ctx;
    if (s) {
        batch_source_free(&s->src);
        free(s);
    }
    f->ctx = NULL;
}

typedef struct {
    const ns_batch *batch;
    int n, i;
} probe_feed;

static int probe_next(void *ctx, ns_batch *b, ns_err *e)
{
    probe_feed *p = ctx;
    (void)e;
    if (p->i < p->n)
        *b = p->batch[p->i++];
    else
        memset(b, 0, sizeof *b);
    return NS_OK;
}

/* the n fixed batches as a feed (p holds its state) */
static diag_feed probe_feed_of(probe_feed *p, const ns_batch *batch, int n)
{
    diag_feed f = {probe_next, p, 0, 1, 1};
    *p = (probe_feed){batch, n, 0};
    for (int i = 0; i < n; i++) {
        f.rows += (long)batch[i].B * batch[i].T;
        f.max_B = batch[i].B > f.max_B ? batch[i].B : f.max_B;
        f.max_T = batch[i].T > f.max_T ? batch[i].T : f.max_T;
    }
    return f;
}

/* Every batch of f through the model into tc (dist: only the batches i with i mod K = rank,
 * the others drawn and passed over); *rows: the rows of every batch. */
static int stream_feed(const ns_model *m, const diag_feed *f, int show, const ns_dist *dist, tap_covs *tc,
                       long *rows, ns_err *e)
{
    ns_workspace w;
    int rc = workspace_create(&w, m, f->max_B * f->max_T, f->max_T, e);
    if (rc)
        return rc;
    tap_sink sink = {tap_covs_sink, tc};
    progress pb;
    progress_start(&pb, "forward", show);
    *rows = 0;
    for (long i = 0;; i++) {
        ns_batch batch;
        if ((rc = f->next(f->ctx, &batch, e)) || batch.B == 0 || tc->err.code)
            break;
        if (!dist || i % dist->size == dist->rank)
            model_forward(m, &w, &batch, &sink, NULL);
        *rows += (long)batch.B * batch.T;
        progress_update(&pb, (double)*rows, (double)f->rows);
    }
    progress_end(&pb);
    workspace_free(&w);
    if (!rc && tc->err.code) {
        *e = tc->err;
        rc = e->code;
    }
    return rc;
}

/* the feed o asks for: its own, the probe set, or the model's source (made here) */
static int stream_batches(const ns_model *m, const diag_opts *o, tap_covs *tc, long *rows, ns_err *e)
{
    if (o->feed)
        return stream_feed(m, o->feed, o->progress, o->dist, tc, rows, e);
    if (o->probe) {
        probe_feed p;
        diag_feed f = probe_feed_of(&p, o->probe, o->n_probe);
        return stream_feed(m, &f, o->progress, o->dist, tc, rows, e);
    }
    diag_feed f;
    int rc = diag_feed_source(&f, m, o->data, o->seed, o->tokens, e);
    if (!rc)
        rc = stream_feed(m, &f, o->progress, o->dist, tc, rows, e);
    diag_feed_close(&f);
    return rc;
}

/* the norm whose output is resid.<l> itself: the embedding norm (l = 0), the post-LN norm
 * after block l-1; NULL when resid.<l> is a sum, not a norm's output */
static const double *resid_writer(const ns_model *m, int l)
{
    if (l == 0)
        return m->norm_embed;
    const double *n[3];
    block_sublayer_norms(m, &m->blocks[l - 1], BR_MLP, n);
    return n[2];
}

/* boundary l: sigma_min = sqrt(lambda_min(scatter)), lambda_min / lambda_max, and the
 * bottom eigenvector's |cos| with the kernel of the norm that writes resid.<l> (C5) */
static int residual_facts(const ns_model *m, const cov_acc *c, int l, double *A, double *w,
                          diag_report *r, ns_err *e)
{
    const int d = c->d;
    cov_matrix(c, A);
    int rc = sym_eigen(d, A, w, 1, e);
    if (rc)
        return rc;
    r->sigma_min[l] = sqrt((w[0] > 0.0 ? w[0] : 0.0) * (double)c->n);
    r->resid_lam_rel[l] = w[d - 1] > 0.0 ? w[0] / w[d - 1] : NAN;
    r->resid_kcos[l] = NAN;
    const double *writer = resid_writer(m, l);
    double *P = NULL;
    int k = writer ? norm_kernel_basis(m->norm, &m->ncfg, writer, d, &P, e) : 0;
    if (k < 0)
        return e->code;
    if (k > 0)
        r->resid_kcos[l] = span_cos(d, k, P, A); /* A's first row: lambda_min's vector */
    free(P);
    return NS_OK;
}

/* The eigensolves of diag_run side by side (ns_par_jobs): job 0 the final tap's (with
 * vectors, the longest: A_fin holds its matrix, eig_fin gets the values), jobs 1..L+1 the
 * residual taps' facts, each thread on its own scratch (A, w: one d x d and one d per
 * thread). Each result is one single-threaded eigensolve's: no bit depends on the count. */
typedef struct {
    const ns_model *m;
    const tap_covs *tc;
    int d;
    double *A_fin, *eig_fin, *A, *w;
    diag_report *r;
} eig_jobs;

static int eig_job(void *ctx, int j, int thread, ns_err *e)
{
    const eig_jobs *x = ctx;
    const size_t d = (size_t)x->d, me = (size_t)thread;
    if (j == 0)
        return sym_eigen(x->d, x->A_fin, x->eig_fin, 1, e);
    return residual_facts(x->m, &x->tc->cov[j - 1], j - 1, x->A + me * d * d, x->w + me * d, x->r, e);
}

double diag_log_spread(const double *w, int n, double shift)
{
    double sum = 0.0, sum2 = 0.0;
    int nz = 0;
    for (int i = 0; i < n; i++)
        if (w[i] + shift != 0.0) {
            double lg = log(fabs(w[i] + shift));
            sum += lg;
            sum2 += lg * lg;
            nz++;
        }
    return nz ? sqrt(fmax(sum2 / nz - (sum / nz) * (sum / nz), 0.0)) : NAN;
}

void diag_gain_spread(const ns_model *m, double s[3])
{
    s[0] = s[1] = s[2] = NAN;
    const norm_ops *o = m->norm;
    for (int k = 0; k < o->n_params; k++) {
        int role = o->params[k].role;
        if (role != NORM_GAIN && role != NORM_GAIN_1P)
            continue;
        const double *p = m->norm_final + norm_param_offset(o, m->cfg.d, k);
        int n = o->params[k].per_channel ? m->cfg.d : 1;
        double shift = role == NORM_GAIN_1P ? 1.0 : 0.0;
        s[0] = INFINITY;
        s[1] = -INFINITY;
        for (int i = 0; i < n; i++) {
            s[0] = fmin(s[0], p[i] + shift);
            s[1] = fmax(s[1], p[i] + shift);
        }
        s[2] = diag_log_spread(p, n, shift);
        return;
    }
}

/* the predicted basis P (k x d) against the measured spectrum of C (V: its eigenvectors,
 * ascending); cos_ones = ||P 1/sqrt(d)||, the cosine of 1/sqrt(d) with span(P) */
static int match_predicted(diag_report *r, const double *C, const double *V, const double *P, int k,
                           ns_err *e)
{
    double proj = 0.0;
    for (int j = 0; j < k; j++) {
        double dot = 0.0;
        for (int i = 0; i < r->d; i++)
            dot += P[(size_t)j * r->d + i];
        proj += dot * dot / r->d;
    }
    r->cos_ones = sqrt(proj);
    return kernel_match(r->d, C, r->lam_max, P, k, V, k, &r->rayleigh_rel, &r->cos, e);
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
    else if (r->dead > k && r->predicted_k >= 0 && r->threshold > 1.0001e-10)
        snprintf(r->warning, sizeof r->warning,
                 "%d dead directions, %d predicted: at this precision's threshold (%.3g lambda_max) "
                 "a spread spectrum (random gains) sinks real directions: try --precision f64; or "
                 "the data (too few distinct inputs?)",
                 r->dead, k, r->threshold);
    else if (r->dead > k && r->predicted_k >= 0)
        snprintf(r->warning, sizeof r->warning,
                 "%d dead directions, %d predicted: the extra ones come from the data (too few "
                 "distinct inputs?) or the model, and the bottom direction is not unique",
                 r->dead, k);
}

/* r's header for a measure of cov; r->eig allocated */
static int measure_begin(const cov_acc *cov, int k, double threshold, diag_report *r, ns_err *e)
{
    r->d = cov->d;
    r->tokens = cov->n;
    r->threshold = threshold;
    r->predicted_k = k;
    if (!r->eig && !(r->eig = malloc(sizeof(double) * (size_t)cov->d)))
        return ns_fail(e, NS_ERUN, "out of memory");
    return NS_OK;
}

/* the rest of a measure once C's eigenvalues are in r->eig and its vectors in A */
static int measure_solved(const double *C, const double *A, const double *P, int k,
                          diag_report *r, ns_err *e)
{
    const int d = r->d;
    int rc = NS_OK;
    r->lam_min = r->eig[0];
    r->lam_2 = d > 1 ? r->eig[1] : NAN;
    r->lam_max = r->eig[d - 1];
    r->dead = count_below(d, r->eig, r->threshold * r->lam_max);
    r->cos = r->cos_ones = r->rayleigh_rel = NAN;
    if (k > 0 && k <= d && r->lam_max > 0.0)
        rc = match_predicted(r, C, A, P, k, e);
    if (!r->bottom && !(r->bottom = malloc(sizeof(double) * (size_t)d)))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    else
        memcpy(r->bottom, A, sizeof(double) * (size_t)d); /* eigenvector of lambda_min */
    r->verdict = k < 0 ? VERDICT_NO_PREDICTION
                       : diag_verdict(k, r->rayleigh_rel, r->dead, r->threshold, r->tokens, d);
    set_warning(r);
    return rc;
}

/* C = cov's matrix, A a copy (to be overwritten by the eigenvectors): malloc'd pair */
static int measure_matrices(const cov_acc *cov, double **C, double **A, ns_err *e)
{
    const size_t dd = (size_t)cov->d * cov->d;
    *C = malloc(sizeof(double) * dd);
    *A = malloc(sizeof(double) * dd);
    if (!*C || !*A)
        return ns_fail(e, NS_ERUN, "out of memory for %d x %d matrices", cov->d, cov->d);
    cov_matrix(cov, *C);
    memcpy(*A, *C, sizeof(double) * dd);
    return NS_OK;
}

int diag_measure(const cov_acc *cov, const double *P, int k, double threshold, diag_report *r,
                 ns_err *e)
{
    double *C = NULL, *A = NULL;
    int rc = measure_begin(cov, k, threshold, r, e);
    rc = rc ? rc : measure_matrices(cov, &C, &A, e);
    rc = rc ? rc : sym_eigen(cov->d, A, r->eig, 1, e);
    rc = rc ? rc : measure_solved(C, A, P, k, r, e);
    free(C);
    free(A);
    return rc;
}

/* the measure of the final tap (job 0) and the residual sigmas, eigensolves side by side */
static int measure_all(const ns_model *m, const tap_covs *tc, int L, const double *P, int k,
                       double threshold, diag_report *r, ns_err *e)
{
    const int d = r->d, nt = ns_threads();
    const cov_acc *fin = &tc->cov[L + 1];
    eig_jobs x = {m, tc, d, NULL, NULL, malloc(sizeof(double) * (size_t)nt * d * d),
                  malloc(sizeof(double) * (size_t)nt * d), r};
    double *C = NULL;
    int rc = x.A && x.w ? NS_OK : ns_fail(e, NS_ERUN, "out of memory for %d x %d matrices", d, d);
    rc = rc ? rc : measure_begin(fin, k, threshold, r, e);
    rc = rc ? rc : measure_matrices(fin, &C, &x.A_fin, e);
    x.eig_fin = r->eig;
    rc = rc ? rc : ns_par_jobs(L + 2, eig_job, &x, e);
    rc = rc ? rc : measure_solved(C, x.A_fin, P, k, r, e);
    free(x.A);
    free(x.w);
    free(C);
    free(x.A_fin);
    return rc;
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
    tc.also = o->also;
    r->sigma_min = malloc(sizeof(double) * (size_t)(L + 1));
    r->resid_lam_rel = malloc(sizeof(double) * (size_t)(L + 1));
    r->resid_kcos = malloc(sizeof(double) * (size_t)(L + 1));
    double gs[3];
    diag_gain_spread(m, gs);
    r->g_logstd = gs[2];
    double *P = NULL;
    int k = 0;
    if (!r->sigma_min || !r->resid_lam_rel || !r->resid_kcos)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    if (!rc)
        rc = stream_batches(m, o, &tc, &r->tokens, e);
    for (int l = 0; !rc && o->dist && l < tc.n; l++) /* every tap merged on rank 0, in rank order */
        rc = cov_reduce(&tc.cov[l], o->dist, e);
    if (!rc && o->dist && o->dist->rank > 0) { /* rank 0 measures and reports */
        diag_report_free(r);
        tap_covs_free(&tc);
        return NS_OK;
    }
    if (!rc)
        rc = (k = norm_kernel_basis(m->norm, &m->ncfg, m->norm_final, d, &P, e)) < 0 ? e->code : NS_OK;
    if (!rc)
        rc = measure_all(m, &tc, L, P, k, o->threshold, r, e);
    if (!rc && k > 0) { /* keep the first predicted vector; P's other rows are not needed */
        r->predicted = P;
        P = NULL;
    }
    free(P);
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
    free(r->resid_lam_rel);
    free(r->resid_kcos);
    r->eig = r->sigma_min = r->bottom = r->predicted = r->resid_lam_rel = r->resid_kcos = NULL;
}
