/* screen.c - the screening battery of a normalization scheme (screen.h): the norm alone
 * on several input distributions, the scheme in models, and the classification. */
#include <errno.h>
#include <unistd.h>
#include "sim/screen/screen.h"
#include "sim/train/train.h"
#include "sim/stats/cov.h"
#include "sim/base/rng.h"
#include "sim/stats/spectrum.h"
#include "norms/registry.h"
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCG stream ids of the battery (sim/rng.h's purposes are 1..5): inputs 16 + input
 * index, randomised parameters 32. Seeded by the --seed, so every run is reproducible. */
enum { STREAM_INPUT = 16, STREAM_PARAMS = 32 };
enum { BATCH = 512 };                  /* rows per forward call */
#define SHIFT_MEAN 3.0                  /* shifted input: mu_i = 3 + 0.5 N(0,1) */
#define SHIFT_SPREAD 0.5
#define LOWRANK_NOISE 0.1               /* low-rank input: rank d/8 signal + 0.1 N(0, I) */
#define COS_TOL 1e-6                    /* AGREE needs cos(largest angle) >= 1 - COS_TOL */

const char *screen_setting_name(int s)
{
    static const char *n[] = {"init", "random", "zero-gain"};
    return s >= 0 && s < SCREEN_N_SETTINGS ? n[s] : "?";
}

const char *screen_input_name(int i)
{
    static const char *n[] = {"gaussian", "heavy-tailed", "shifted-mean", "low-rank"};
    return i >= 0 && i < SCREEN_N_INPUTS ? n[i] : "?";
}

const char *screen_status_name(int s)
{
    static const char *n[] = {"agree", "UNDECLARED-KERNEL", "DECLARED-KERNEL-MISSING",
                              "WRONG-BASIS", "skipped", "DECLARED-BASIS-INVALID"};
    return s >= 0 && s <= SCREEN_BAD_BASIS ? n[s] : "?";
}

const char *screen_class_name(int c)
{
    static const char *n[] = {"LN-like", "RMS-like", "unclear"};
    return c >= 0 && c <= SCREEN_UNCLEAR ? n[c] : "?";
}

/* ---- inputs ---- */

/* Student t with 3 degrees of freedom: z / sqrt(chi2_3 / 3) */
static double student_t3(pcg32 *r)
{
    double z = rng_normal(r), c = 0.0;
    for (int k = 0; k < 3; k++) {
        double u = rng_normal(r);
        c += u * u;
    }
    return z / sqrt(c / 3.0);
}

/* Per-input state drawn once from the input's stream before any row: the shift vector
 * (shifted-mean) or the r x d mixing matrix (low-rank). */
typedef struct {
    int kind, d, rank;
    pcg32 rng;
    double *fixed; /* shift (d) or mixing (rank x d) */
    double *z;     /* (BATCH, rank) scratch for the low-rank signal */
} input_source;

static int input_init(input_source *s, int kind, int d, uint64_t seed, ns_err *e)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->d = d;
    s->rank = d / 8 > 0 ? d / 8 : 1;
    pcg32_seed(&s->rng, seed, STREAM_INPUT + (uint64_t)kind);
    size_t nfixed = kind == SCREEN_LOWRANK ? (size_t)s->rank * d : (size_t)d;
    s->fixed = malloc(sizeof(double) * nfixed);
    s->z = kind == SCREEN_LOWRANK ? malloc(sizeof(double) * (size_t)BATCH * s->rank) : NULL;
    if (!s->fixed || (kind == SCREEN_LOWRANK && !s->z)) {
        free(s->fixed);
        free(s->z);
        return ns_fail(e, NS_ERUN, "out of memory for the screening inputs");
    }
    for (size_t i = 0; i < nfixed; i++)
        s->fixed[i] = kind == SCREEN_LOWRANK ? rng_normal(&s->rng) / sqrt((double)s->rank)
                                             : SHIFT_MEAN + SHIFT_SPREAD * rng_normal(&s->rng);
    return NS_OK;
}

static void input_free(input_source *s)
{
    free(s->fixed);
    free(s->z);
}

/* n rows (n <= BATCH) into x (n, d):
 *   gaussian N(0, I); heavy-tailed iid t_3; shifted-mean mu + N(0, I);
 *   low-rank Z A + 0.1 N(0, I) with Z (n, d/8) ~ N(0, 1) and A fixed (each signal
 *   coordinate has variance 1: the noise is 20 dB below) */
static void input_next(input_source *s, double *x, int n)
{
    const int d = s->d;
    size_t len = (size_t)n * d;
    switch (s->kind) {
    case SCREEN_GAUSSIAN:
        for (size_t i = 0; i < len; i++)
            x[i] = rng_normal(&s->rng);
        break;
    case SCREEN_HEAVY:
        for (size_t i = 0; i < len; i++)
            x[i] = student_t3(&s->rng);
        break;
    case SCREEN_SHIFTED:
        for (size_t i = 0; i < len; i++)
            x[i] = s->fixed[i % d] + rng_normal(&s->rng);
        break;
    default:
        for (size_t i = 0; i < (size_t)n * s->rank; i++)
            s->z[i] = rng_normal(&s->rng);
        for (size_t i = 0; i < len; i++)
            x[i] = LOWRANK_NOISE * rng_normal(&s->rng);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, s->rank, 1.0, s->z, s->rank,
                    s->fixed, d, 1.0, x, d);
    }
}

/* ---- parameters ---- */

/* index of the first gain parameter (NORM_GAIN or NORM_GAIN_1P), or -1 */
static int first_gain(const norm_ops *o)
{
    for (int i = 0; i < o->n_params; i++)
        if (o->params[i].role == NORM_GAIN || o->params[i].role == NORM_GAIN_1P)
            return i;
    return -1;
}

static void params_init(const norm_ops *o, int d, double *p)
{
    for (int k = 0; k < o->n_params; k++) {
        size_t off = norm_param_offset(o, d, k), len = o->params[k].per_channel ? (size_t)d : 1u;
        for (size_t i = 0; i < len; i++)
            p[off + i] = o->params[k].init;
    }
}

/* gain exp(N(0,1)) (as --gamma random; a 1 + w gain: w = exp(N) - 1); bias N(0,1);
 * anything else init * exp(0.5 N(0,1)), or 0.5 N(0,1) when its init is 0 */
static void params_random(const norm_ops *o, int d, uint64_t seed, double *p)
{
    pcg32 r;
    pcg32_seed(&r, seed, STREAM_PARAMS);
    for (int k = 0; k < o->n_params; k++) {
        const norm_param *q = &o->params[k];
        size_t off = norm_param_offset(o, d, k), len = q->per_channel ? (size_t)d : 1u;
        for (size_t i = 0; i < len; i++) {
            double z = rng_normal(&r);
            p[off + i] = q->role == NORM_GAIN ? exp(z) : q->role == NORM_GAIN_1P ? exp(z) - 1.0
                       : q->role == NORM_BIAS ? z : q->init != 0.0 ? q->init * exp(0.5 * z) : 0.5 * z;
        }
    }
}

/* the random parameters with the first gain zeroed at channel d/3 (g = 0, or w = -1);
 * a scalar gain zeroes every channel. Returns the channel, or -1 if there is no gain. */
static int params_zero_gain(const norm_ops *o, int d, double *p, int *scalar)
{
    int k = first_gain(o);
    *scalar = 0;
    if (k < 0)
        return -1;
    const norm_param *q = &o->params[k];
    size_t off = norm_param_offset(o, d, k);
    int ch = q->per_channel ? d / 3 : 0;
    p[off + (size_t)ch] = q->role == NORM_GAIN_1P ? -1.0 : 0.0;
    *scalar = !q->per_channel;
    return ch;
}

/* the effective per-channel gain (offset + w) if the scheme has one, else 0 */
static int gain_vector(const norm_ops *o, int d, const double *p, double *g)
{
    int k = first_gain(o);
    if (k < 0 || !o->params[k].per_channel)
        return 0;
    const double *w = p + norm_param_offset(o, d, k);
    double offset = o->params[k].role == NORM_GAIN_1P ? 1.0 : 0.0;
    for (int i = 0; i < d; i++)
        g[i] = offset + w[i];
    return 1;
}

/* ---- the measurement ---- */

/* status from the declared dimension k, the measured m and the comparison */
static int probe_status(const screen_probe *p, double threshold)
{
    int k = p->declared_k, m = p->measured_k;
    if (k == 0)
        return m == 0 ? SCREEN_AGREE : SCREEN_UNDECLARED;
    if (m < k || !(p->rayleigh_rel < threshold))
        return SCREEN_MISSING;
    if (m > k)
        return SCREEN_UNDECLARED;
    return p->cos_angle >= 1.0 - COS_TOL ? SCREEN_AGREE : SCREEN_WRONG_BASIS;
}

/* 1 if the k rows of P are finite and orthonormal (|P P^T - I| <= 1e-8) */
static int basis_valid(int d, int k, const double *P)
{
    for (size_t i = 0; i < (size_t)k * d; i++)
        if (!isfinite(P[i]))
            return 0;
    for (int a = 0; a < k; a++)
        for (int b = 0; b <= a; b++)
            if (fabs(cblas_ddot(d, P + (size_t)a * d, 1, P + (size_t)b * d, 1) - (a == b)) > 1e-8)
                return 0;
    return 1;
}

int screen_measure(const cov_acc *cov, const double *P, int k, double threshold,
                   screen_probe *out, ns_err *e)
{
    const int d = cov->d;
    double *C = malloc(sizeof(double) * (size_t)d * d), *A = malloc(sizeof(double) * (size_t)d * d);
    out->eig = malloc(sizeof(double) * (size_t)d);
    int rc = C && A && out->eig ? NS_OK : ns_fail(e, NS_ERUN, "out of memory for %d x %d matrices", d, d);
    if (!rc) {
        cov_matrix(cov, C);
        memcpy(A, C, sizeof(double) * (size_t)d * d);
        rc = sym_eigen(d, A, out->eig, 1, e);
    }
    if (!rc) {
        const double *w = out->eig;
        double lam_max = w[d - 1];
        int m = lam_max > 0.0 ? count_below(d, w, threshold * lam_max) : d; /* constant output: all */
        out->declared_k = k;
        out->measured_k = m;
        out->cos_angle = out->rayleigh_rel = out->floor_rel = out->live_rel = NAN;
        out->cos_ones = out->cos_ginv = NAN;
        out->floor_rel = 0.0;
        for (int j = 0; j < m; j++)
            out->floor_rel = fmax(out->floor_rel, lam_max > 0.0 ? fabs(w[j]) / lam_max : 0.0);
        if (m == 0)
            out->floor_rel = NAN;
        if (m < d)
            out->live_rel = w[m] / lam_max;
        if (m > 0 && !(out->basis = malloc(sizeof(double) * (size_t)m * d)))
            rc = ns_fail(e, NS_ERUN, "out of memory");
        else if (m > 0)
            memcpy(out->basis, A, sizeof(double) * (size_t)m * d); /* eigenvectors of the m smallest */
        int valid = k == 0 || basis_valid(d, k, P);
        if (!rc && k > 0 && valid)
            rc = kernel_match(d, C, lam_max, P, k, out->basis, m, &out->rayleigh_rel, &out->cos_angle, e);
        out->status = valid ? probe_status(out, threshold) : SCREEN_BAD_BASIS;
    }
    free(C);
    free(A);
    return rc;
}

/* ---- part a: the norm alone ---- */

/* stream r->rows rows of one input through the scheme (parameters p) into cov */
static int run_input(const screen_result *r, const double *p, int kind, cov_acc *cov, ns_err *e)
{
    const int d = r->cfg.d, per = r->ops->cache_per_token(&r->cfg);
    input_source src;
    int rc = input_init(&src, kind, d, r->seed, e);
    if (rc)
        return rc;
    double *x = malloc(sizeof(double) * (size_t)BATCH * d), *y = malloc(sizeof(double) * (size_t)BATCH * d);
    double *cache = malloc(sizeof(double) * ((size_t)BATCH * (per > 0 ? per : 0) + 1));
    rc = x && y && cache ? NS_OK : ns_fail(e, NS_ERUN, "out of memory for a batch of %d rows", BATCH);
    for (long done = 0; !rc && done < r->rows; done += BATCH) {
        int n = r->rows - done < BATCH ? (int)(r->rows - done) : BATCH;
        input_next(&src, x, n);
        r->ops->forward(&r->cfg, p, x, y, cache, n);
        precision_round(r->prec, y, (long)n * d);
        rc = cov_add(cov, y, n, e);
    }
    free(x);
    free(y);
    free(cache);
    input_free(&src);
    return rc;
}

/* one parameter setting over every input */
static int run_setting(screen_result *r, int s, const double *p, cov_acc *cov, ns_err *e)
{
    const int d = r->cfg.d;
    int k = r->ops->kernel(&r->cfg, p, NULL, 0), rc = NS_OK;
    if (k < 0 || k > d)
        return ns_fail(e, NS_EUSAGE, "norm '%s' declares a kernel of dimension %d at d = %d",
                       r->spec, k, d);
    double *P = k > 0 ? malloc(sizeof(double) * (size_t)k * d) : NULL, *g = malloc(sizeof(double) * (size_t)d);
    if ((k > 0 && !P) || !g)
        rc = ns_fail(e, NS_ERUN, "out of memory for a %d-dim kernel basis", k);
    if (!rc && k > 0)
        r->ops->kernel(&r->cfg, p, P, k);
    int has_gain = g && gain_vector(r->ops, d, p, g);
    for (int i = 0; i < d && has_gain; i++)
        if (g[i] == 0.0)
            has_gain = 0;
        else
            g[i] = 1.0 / g[i];
    for (int in = 0; !rc && in < SCREEN_N_INPUTS; in++) {
        screen_probe *pr = &r->alone[s][in];
        cov_reset(cov);
        rc = run_input(r, p, in, cov, e);
        if (!rc)
            rc = screen_measure(cov, P, k, r->threshold, pr, e);
        if (!rc && pr->measured_k > 0) {
            pr->cos_ginv = has_gain ? span_cos(d, pr->measured_k, pr->basis, g) : NAN;
            double s1 = 0.0;
            for (int j = 0; j < pr->measured_k; j++) {
                double dot = 0.0;
                for (int i = 0; i < d; i++)
                    dot += pr->basis[(size_t)j * d + i];
                s1 += dot * dot / d;
            }
            pr->cos_ones = sqrt(s1);
        }
    }
    free(P);
    free(g);
    return rc;
}

int screen_alone(const char *spec, int d, double eps, long rows, uint64_t seed, precision prec,
                 double threshold, screen_result *r, ns_err *e)
{
    memset(r, 0, sizeof *r);
    snprintf(r->spec, sizeof r->spec, "%s", spec);
    r->rows = rows;
    r->seed = seed;
    r->threshold = threshold;
    r->prec = prec;
    r->zero_channel = -1;
    for (int s = 0; s < SCREEN_N_SETTINGS; s++)
        for (int i = 0; i < SCREEN_N_INPUTS; i++)
            r->alone[s][i].status = SCREEN_SKIPPED;
    int rc = norm_resolve(spec, d, eps, &r->ops, &r->cfg, e);
    if (rc)
        return rc;
    if (rows <= d)
        return ns_fail(e, NS_EUSAGE, "--rows %ld must exceed d = %d (with N <= d rows the "
                       "covariance has zero eigenvalues whatever the scheme)", rows, d);
    size_t np = norm_param_count(r->ops, d);
    double *p = malloc(sizeof(double) * (np + 1));
    cov_acc cov;
    if (!p)
        return ns_fail(e, NS_ERUN, "out of memory for %zu parameters", np);
    if ((rc = cov_init(&cov, d, e))) {
        free(p);
        return rc;
    }
    params_init(r->ops, d, p);
    rc = run_setting(r, SCREEN_INIT, p, &cov, e);
    params_random(r->ops, d, seed, p);
    if (!rc)
        rc = run_setting(r, SCREEN_RANDOM, p, &cov, e);
    r->zero_channel = params_zero_gain(r->ops, d, p, &r->zero_scalar);
    if (!rc && r->zero_channel >= 0)
        rc = run_setting(r, SCREEN_ZERO_GAIN, p, &cov, e);
    cov_free(&cov);
    free(p);
    return rc;
}

/* ---- part b, d: in models ---- */

int screen_add_model(screen_result *r, const ns_model *m, const diag_opts *o, ns_err *e)
{
    if (r->n_arch >= SCREEN_MAX_ARCHS)
        return ns_fail(e, NS_EUSAGE, "at most %d archetypes per screen", SCREEN_MAX_ARCHS);
    screen_arch *a = &r->arch[r->n_arch];
    memset(a, 0, sizeof *a);
    snprintf(a->arch, sizeof a->arch, "%s", m->cfg.arch);
    a->placement = m->cfg.placement;
    a->residual = m->cfg.residual;
    int rc = diag_run(m, o, &a->r, e);
    if (!rc)
        r->n_arch++;
    return rc;
}

/* ---- part c: after a short training run ---- */

int screen_train_model(screen_result *r, int a, ns_model *m, long steps, uint64_t seed, ns_err *e)
{
    char dir[] = "/tmp/normsim-screen-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return ns_fail(e, NS_ERUN, "cannot create a temporary folder for part c: %s", strerror(errno));
    train_opts t = {.data = m->cfg.input == INPUT_PATCHES ? "digits" : "text", .steps = steps,
                    .batch = 8, .opt = {2e-3, 0.1, steps / 10, steps, 0.9, 0.95, 1e-8, 0.1, 1.0},
                    .track_every = steps, .track_prec = {PREC_BF16}, .n_track_prec = 1,
                    .probe_tokens = 2048, .out = dir, .seed = seed};
    train_result res;
    int rc = train_run(m, &t, &res, e);
    snprintf(path, sizeof path, "%s/track.csv", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
    remove(path);
    rmdir(dir);
    if (rc)
        return rc;
    screen_arch *s = &r->arch[a];
    s->trained = 1;
    s->train_steps = steps;
    s->val_loss_init = res.val_loss_init;
    s->val_loss = res.val_loss;
    s->deepening = fabs(res.ray_init[0]) / fabs(res.ray_end[0]);
    s->dead_init = res.dead_init[0];
    s->dead_end = res.dead_end[0];
    r->train_steps = steps;
    return NS_OK;
}

/* ---- part e: classification ---- */

/* the common measured dimension of one setting over every input, or -1 if they differ */
static int common_dim(const screen_result *r, int s)
{
    int k = r->alone[s][0].measured_k;
    for (int i = 1; i < SCREEN_N_INPUTS; i++)
        if (r->alone[s][i].measured_k != k)
            return -1;
    return k;
}

/* printf-append into buf (size n) at *used; silently truncates */
static void appendf(char *buf, size_t n, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void appendf(char *buf, size_t n, size_t *used, const char *fmt, ...)
{
    if (*used >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *used, n - *used, fmt, ap);
    va_end(ap);
    if (w > 0)
        *used += (size_t)w < n - *used ? (size_t)w : n - *used;
}

/* evidence: the measured dimensions, how close the kernel sits to 0 (floor) against the
 * first live eigenvalue, the principal angle, the init setting and the models' verdicts */
static void write_evidence(screen_result *r, int k)
{
    char *b = r->evidence;
    size_t n = sizeof r->evidence, u = 0;
    double floor_max = 0.0, live_min = INFINITY, cos_min = INFINITY;
    for (int i = 0; i < SCREEN_N_INPUTS; i++) {
        const screen_probe *p = &r->alone[SCREEN_RANDOM][i];
        if (!isnan(p->floor_rel))
            floor_max = fmax(floor_max, p->floor_rel);
        if (!isnan(p->live_rel))
            live_min = fmin(live_min, p->live_rel);
        if (!isnan(p->cos_angle))
            cos_min = fmin(cos_min, p->cos_angle);
    }
    appendf(b, n, &u, "random params: %d dead on all %d inputs", k, SCREEN_N_INPUTS);
    if (k > 0)
        appendf(b, n, &u, " at <= %.1e lambda_max", floor_max);
    if (live_min < INFINITY)
        appendf(b, n, &u, ", next eigenvalue >= %.1e lambda_max", live_min);
    if (k > 0 && cos_min < INFINITY)
        appendf(b, n, &u, ", declared basis at cos(largest angle) >= %.12f", cos_min);
    int ki = common_dim(r, SCREEN_INIT);
    if (ki >= 0)
        appendf(b, n, &u, "; init params: %d dead", ki);
    else
        appendf(b, n, &u, "; init params: dead count depends on the input");
    for (int a = 0; a < r->n_arch; a++)
        appendf(b, n, &u, "%s%s %s", a ? ", " : "; models: ", r->arch[a].arch,
                verdict_name(r->arch[a].r.verdict));
}

void screen_classify(screen_result *r)
{
    r->disagreements = 0;
    for (int s = 0; s < SCREEN_N_SETTINGS; s++)
        for (int i = 0; i < SCREEN_N_INPUTS; i++)
            r->disagreements += r->alone[s][i].status != SCREEN_AGREE &&
                                r->alone[s][i].status != SCREEN_SKIPPED;
    for (int a = 0; a < r->n_arch; a++)
        r->disagreements += r->arch[a].r.verdict == VERDICT_MISMATCH;
    int k = common_dim(r, SCREEN_RANDOM);
    r->class_k = k;
    r->cls = k < 0 ? SCREEN_UNCLEAR : k > 0 ? SCREEN_LN_LIKE : SCREEN_RMS_LIKE;
    if (k >= 0) {
        write_evidence(r, k);
        return;
    }
    size_t u = 0;
    appendf(r->evidence, sizeof r->evidence, &u, "the kernel depends on the input (random params, dead:");
    for (int i = 0; i < SCREEN_N_INPUTS; i++)
        appendf(r->evidence, sizeof r->evidence, &u, " %s %d", screen_input_name(i),
                r->alone[SCREEN_RANDOM][i].measured_k);
    appendf(r->evidence, sizeof r->evidence, &u, ")");
}

void screen_free(screen_result *r)
{
    for (int s = 0; s < SCREEN_N_SETTINGS; s++)
        for (int i = 0; i < SCREEN_N_INPUTS; i++) {
            free(r->alone[s][i].eig);
            free(r->alone[s][i].basis);
            r->alone[s][i].eig = r->alone[s][i].basis = NULL;
        }
    for (int a = 0; a < r->n_arch; a++)
        diag_report_free(&r->arch[a].r);
    r->n_arch = 0;
}
