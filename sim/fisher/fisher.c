/* fisher.c - directional Fisher of dead and random directions, per LN-fed matrix.
 * One pass over the tokens in chunks of whole sequences; per chunk one base forward (pi,
 * and the taps for p . y), then per target and direction four forwards on the perturbed
 * tensor (+-h, +-h/2). The model's tensors are perturbed in place and restored from a
 * saved copy (memcpy: bit for bit). */
#include "sim/fisher/fisher.h"
#include "sim/fisher/fisher_internal.h"
#include "sim/data/inputs.h"
#include "sim/model/forward.h"
#include "sim/model/loss.h"
#include "sim/base/progress.h"
#include "sim/base/rng.h"
#include <cblas.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

const char *fisher_verdict_name(int v)
{
    static const char *names[] = {"DEAD", "NOT DEAD", "NO KERNEL", "MISMATCH", "UNDETERMINED"};
    return v >= 0 && v <= FV_UNDETERMINED ? names[v] : "?";
}

/* ---- directions ---- */

/* sum of one norm parameter block's bias entries dotted with each kernel row: P b */
static void kernel_bias_dot(const ns_model *m, const double *norm, const double *P, int k, double *Pb)
{
    const norm_ops *o = m->norm;
    const int d = m->cfg.d;
    size_t off = 0;
    for (int j = 0; j < k; j++)
        Pb[j] = 0.0;
    for (int i = 0; i < o->n_params; i++) {
        const norm_param *p = &o->params[i];
        if (p->role == NORM_BIAS && p->per_channel)
            for (int j = 0; j < k; j++)
                Pb[j] += cblas_ddot(d, P + (size_t)j * d, 1, norm + off, 1);
        off += p->per_channel ? (size_t)d : 1;
    }
}

/* the stream of direction (tensor w, kind, index) */
static void direction_rng(pcg32 *r, uint64_t seed, int w, int kind, int idx)
{
    pcg32_seed(r, seed, 0xF15E0000000ULL + ((uint64_t)w << 12) + ((uint64_t)kind << 10) + (uint64_t)idx);
}

static double norm2(const double *x, long n) { return n > 0 ? cblas_dnrm2((int)n, x, 1) : 0.0; }

/* dead: U (d_out x k) N(0,1) with ||U||_F = 1; dW = U P; dc = -s U (P b) (with a bias).
 * Returns ||(dW, dc)||. The U draws come first, so random direction idx can reuse the
 * norm of dead direction idx. */
static double make_dead(const fjob *j, uint64_t seed, int idx, double *dW, double *dc, double *U)
{
    const int o = j->d_out, in = j->d_in, k = j->t.k;
    pcg32 r;
    direction_rng(&r, seed, j->t.w, 0, idx);
    for (long i = 0; i < (long)o * k; i++)
        U[i] = rng_normal(&r);
    cblas_dscal(o * k, 1.0 / norm2(U, (long)o * k), U, 1);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o, in, k, 1.0, U, k, j->P, in, 0.0, dW, in);
    if (j->t.bias >= 0) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, o, k, -j->t.scale, U, k, j->Pb, 1, 0.0, dc, 1);
        return sqrt(1.0 + pow(norm2(dc, o), 2));
    }
    return 1.0;
}

/* random: every entry of (dW, dc) N(0,1), scaled to Frobenius norm `len` */
static void make_random(const fjob *j, uint64_t seed, int idx, double len, double *dW, double *dc)
{
    const long nw = (long)j->d_out * j->d_in, nc = j->t.bias >= 0 ? j->d_out : 0;
    pcg32 r;
    direction_rng(&r, seed, j->t.w, 1, idx);
    for (long i = 0; i < nw; i++)
        dW[i] = rng_normal(&r);
    for (long i = 0; i < nc; i++)
        dc[i] = rng_normal(&r);
    double n = sqrt(pow(norm2(dW, nw), 2) + pow(norm2(dc, nc), 2));
    cblas_dscal((int)nw, len / n, dW, 1);
    if (nc)
        cblas_dscal((int)nc, len / n, dc, 1);
}

/* direction dir of job j (dir < K: dead, else random dir - K); returns its norm */
double fisher_direction(const fjob *j, uint64_t seed, int K, int dir, double *dW, double *dc, double *U)
{
    double len = 1.0;
    if (j->t.k > 0)
        len = make_dead(j, seed, dir % K, dW, dc, U);
    if (dir >= K || j->t.k == 0)
        make_random(j, seed, dir % K, len, dW, dc);
    return len;
}

/* ---- one chunk ---- */

/* W = W0 + a dW, c = c0 + a dc */
static void perturb(ns_model *m, const fjob *j, double a, const double *dW, const double *dc)
{
    double *W = m->params + m->tensors[j->t.w].offset;
    const long nw = (long)j->d_out * j->d_in;
    for (long i = 0; i < nw; i++)
        W[i] = j->W0[i] + a * dW[i];
    if (j->t.bias >= 0) {
        double *c = m->params + m->tensors[j->t.bias].offset;
        for (int i = 0; i < j->d_out; i++)
            c[i] = j->c0[i] + a * dc[i];
    }
}

static void restore(ns_model *m, const fjob *j)
{
    memcpy(m->params + m->tensors[j->t.w].offset, j->W0, sizeof(double) * (size_t)j->d_out * j->d_in);
    if (j->t.bias >= 0)
        memcpy(m->params + m->tensors[j->t.bias].offset, j->c0, sizeof(double) * (size_t)j->d_out);
}

/* sum_j pi_j (x_j - sum_k pi_k x_k)^2 and (through *mean) sum_k pi_k x_k */
static double pi_variance(const double *pi, const double *x, int V, double *mean)
{
    double mu = 0.0, v = 0.0;
    for (int i = 0; i < V; i++)
        mu += pi[i] * x[i];
    for (int i = 0; i < V; i++)
        v += pi[i] * (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    return v;
}

/* dz by central differences, A = dz(h), B = dz(h/2); then the per-row sums */
static void accumulate(fstate *s, fjob *j, int dir, int rows, const int *target)
{
    const int V = s->m->cfg.vocab;
    fdir_acc *acc = &j->acc[dir];
    for (int r = 0; r < rows; r++) {
        const double *pi = s->pi + (size_t)r * V, *A = s->A + (size_t)r * V;
        double *B = s->B + (size_t)r * V, *R = s->C + (size_t)r * V, mh, mr;
        for (int i = 0; i < V; i++)
            R[i] = (4.0 * B[i] - A[i]) / 3.0;
        acc->F_half += pi_variance(pi, B, V, &mh);
        acc->F += pi_variance(pi, R, V, &mr);
        if (target && target[r] >= 0) {
            double gd = mr - R[target[r]];
            acc->emp += gd * gd;
            acc->gd += gd;
        }
    }
}

/* logits at W + a D into out */
static void forward_at(fstate *s, fjob *j, double a, const ns_batch *b, double *out)
{
    perturb(s->m, j, a, s->dW, s->dc);
    model_forward(s->m, &s->ws, b, NULL, out);
}

static void measure_direction(fstate *s, fjob *j, int dir, const ns_batch *b, int rows, const int *target)
{
    const long nl = (long)rows * s->m->cfg.vocab;
    double len = fisher_direction(j, s->o->seed, s->o->K, dir, s->dW, s->dc, s->U);
    double h = s->o->step * (j->wnorm > 0 ? j->wnorm : 1.0) / len;
    j->h = h;
    forward_at(s, j, h, b, s->A);
    forward_at(s, j, -h, b, s->C);
    for (long i = 0; i < nl; i++)
        s->A[i] = (s->A[i] - s->C[i]) / (2.0 * h);
    forward_at(s, j, 0.5 * h, b, s->B);
    forward_at(s, j, -0.5 * h, b, s->C);
    for (long i = 0; i < nl; i++)
        s->B[i] = (s->B[i] - s->C[i]) / h;
    restore(s->m, j);
    accumulate(s, j, dir, rows, target);
}

/* tap rows -> s p . y_t statistics of every job reading that tap */
static void py_sink(void *ctx, const char *name, const double *x, int n, int d)
{
    fstate *s = ctx;
    for (int i = 0; i < s->n; i++) {
        fjob *j = &s->jobs[i];
        if (j->t.k == 0 || strcmp(j->t.tap, name) != 0)
            continue;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, d, j->t.scale, x, d, j->P, 1, 0.0, s->py, 1);
        double comp = j->t.bias >= 0 ? j->t.scale * j->Pb[0] : 0.0;
        for (int t = 0; t < n; t++) {
            double v = s->py[t];
            j->py_sum += v;
            j->py_min = v < j->py_min ? v : j->py_min;
            j->py_max = v > j->py_max ? v : j->py_max;
            j->dout_sum += fabs(v - comp);
        }
        j->py_n += n;
    }
}

static void softmax_rows(double *x, int rows, int V)
{
    for (int r = 0; r < rows; r++) {
        double *z = x + (size_t)r * V, mx = z[0], sum = 0.0;
        for (int i = 1; i < V; i++)
            mx = z[i] > mx ? z[i] : mx;
        for (int i = 0; i < V; i++)
            sum += (z[i] = exp(z[i] - mx));
        for (int i = 0; i < V; i++)
            z[i] /= sum;
    }
}

static int fisher_chunk(fstate *s, const ns_batch *b, const int *target)
{
    const int rows = model_logit_rows(s->m, b->B, b->T);
    tap_sink sink = {py_sink, s};
    model_forward(s->m, &s->ws, b, &sink, s->pi);
    softmax_rows(s->pi, rows, s->m->cfg.vocab);
    for (int i = 0; i < s->n; i++) {
        for (int dir = 0; dir < 2 * s->o->K; dir++) {
            if (s->jobs[i].t.k == 0 && dir < s->o->K)
                continue; /* no dead directions without a kernel */
            measure_direction(s, &s->jobs[i], dir, b, rows, target);
            s->done++;
            progress_update(&s->pb, (double)s->done, (double)s->total);
        }
    }
    return NS_OK;
}

/* ---- selection ---- */

static int select_targets(const ns_model *m, const fisher_opts *o, fisher_target *all, int n_all,
                          int *keep, int *n_keep, ns_err *e)
{
    regex_t re;
    int have_re = o->tensors != NULL, matched = 0, with_kernel = 0, rc;
    if (have_re && (rc = regcomp(&re, o->tensors, REG_EXTENDED | REG_NOSUB)) != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof msg);
        return ns_fail(e, NS_EUSAGE, "--tensors '%s': not a regular expression (%s)", o->tensors, msg);
    }
    *n_keep = 0;
    for (int i = 0; i < n_all; i++) {
        if (have_re && regexec(&re, m->tensors[all[i].w].name, 0, NULL, 0) != 0)
            continue;
        matched++;
        with_kernel += all[i].k > 0;
        keep[(*n_keep)++] = i;
    }
    if (have_re)
        regfree(&re);
    if (n_all == 0)
        return ns_fail(e, NS_EUSAGE, "%s: no Linear weight reads a norm output", m->cfg.arch);
    if (have_re && matched == 0)
        return ns_fail(e, NS_EUSAGE, "--tensors '%s' matches none of the %d norm-fed matrices (e.g. %s, %s)",
                       o->tensors, n_all, m->tensors[all[0].w].name, m->tensors[all[n_all - 1].w].name);
    if (have_re && with_kernel == 0)
        return ns_fail(e, NS_EUSAGE, "--tensors '%s': the %d matching matri%s read%s %s outputs, which have "
                       "no kernel (no dead direction to test)", o->tensors, matched, matched == 1 ? "x" : "ces",
                       matched == 1 ? "s" : "", m->cfg.norm);
    return NS_OK;
}

/* ---- jobs ---- */

static int job_init(const ns_model *m, fjob *j, const fisher_target *t, int K, ns_err *e)
{
    const ns_tensor *w = &m->tensors[t->w];
    memset(j, 0, sizeof *j);
    j->t = *t;
    j->d_out = w->rows;
    j->d_in = w->cols;
    const size_t nw = (size_t)w->rows * w->cols;
    j->W0 = malloc(sizeof(double) * nw);
    j->c0 = malloc(sizeof(double) * (size_t)w->rows);
    j->P = malloc(sizeof(double) * (size_t)(t->k > 0 ? t->k : 1) * w->cols);
    j->Pb = malloc(sizeof(double) * (size_t)(t->k > 0 ? t->k : 1));
    j->acc = calloc((size_t)2 * K, sizeof *j->acc);
    if (!j->W0 || !j->c0 || !j->P || !j->Pb || !j->acc)
        return ns_fail(e, NS_ERUN, "out of memory");
    memcpy(j->W0, m->params + w->offset, sizeof(double) * nw);
    if (t->bias >= 0)
        memcpy(j->c0, m->params + m->tensors[t->bias].offset, sizeof(double) * (size_t)w->rows);
    j->wnorm = norm2(j->W0, (long)nw);
    if (t->k > 0) {
        m->norm->kernel(&m->ncfg, t->norm, j->P, t->k);
        kernel_bias_dot(m, t->norm, j->P, t->k, j->Pb);
    }
    j->py_min = INFINITY;
    j->py_max = -INFINITY;
    return NS_OK;
}

static void job_free(fjob *j)
{
    free(j->W0);
    free(j->c0);
    free(j->P);
    free(j->Pb);
    free(j->acc);
}

static int state_init(fstate *s, ns_model *m, const fisher_opts *o, ns_err *e)
{
    fisher_target *all = NULL;
    int n_all = 0, rc = fisher_targets(m, &all, &n_all, e);
    int *keep = rc ? NULL : malloc(sizeof(int) * (size_t)(n_all + 1));
    if (!rc && !keep)
        rc = ns_fail(e, NS_ERUN, "out of memory");
    if (!rc)
        rc = select_targets(m, o, all, n_all, keep, &s->n, e);
    if (!rc && !(s->jobs = calloc((size_t)s->n, sizeof *s->jobs)))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    size_t big = 1, dout = 1;
    for (int i = 0; !rc && i < s->n; i++) {
        rc = job_init(m, &s->jobs[i], &all[keep[i]], o->K, e);
        size_t sz = (size_t)s->jobs[i].d_out * s->jobs[i].d_in;
        big = sz > big ? sz : big;
        dout = (size_t)s->jobs[i].d_out > dout ? (size_t)s->jobs[i].d_out : dout;
    }
    free(all);
    free(keep);
    if (rc)
        return rc;
    s->dW = malloc(sizeof(double) * big);
    s->dc = malloc(sizeof(double) * dout);
    s->U = malloc(sizeof(double) * dout * (size_t)m->cfg.d);
    if (!s->dW || !s->dc || !s->U)
        return ns_fail(e, NS_ERUN, "out of memory");
    return NS_OK;
}

static void state_free(fstate *s)
{
    for (int i = 0; s->jobs && i < s->n; i++)
        job_free(&s->jobs[i]);
    free(s->jobs);
    free(s->dW);
    free(s->dc);
    free(s->U);
    free(s->pi);
    free(s->A);
    free(s->B);
    free(s->C);
    free(s->py);
    free(s->target);
    if (s->ws.alloc)
        workspace_free(&s->ws);
}

/* chunk buffers for Bc sequences of T rows */
static int state_buffers(fstate *s, int Bc, int T, ns_err *e)
{
    const size_t rows = (size_t)Bc * T, nl = (size_t)model_logit_rows(s->m, Bc, T) * s->m->cfg.vocab;
    s->pi = malloc(sizeof(double) * nl);
    s->A = malloc(sizeof(double) * nl);
    s->B = malloc(sizeof(double) * nl);
    s->C = malloc(sizeof(double) * nl);
    s->py = malloc(sizeof(double) * rows);
    s->target = malloc(sizeof(int) * rows);
    if (!s->pi || !s->A || !s->B || !s->C || !s->py || !s->target)
        return ns_fail(e, NS_ERUN, "out of memory for %zu logit rows (lower --seq or --tokens)", rows);
    return workspace_create(&s->ws, s->m, (int)rows, T, e);
}

/* ---- results ---- */

/* ref > 0: fd_err relative to it (dead directions: the random ones' F), else to each F */
static void side_finish(fisher_side *sd, const fjob *j, int from, int K, long rows, long trows, double ref)
{
    double F = 0, Fmax = -INFINITY, Fmin = INFINITY, emp = 0, gd = 0, gd2 = 0, err = 0;
    for (int i = from; i < from + K; i++) {
        const fdir_acc *a = &j->acc[i];
        double f = a->F / rows, fh = a->F_half / rows;
        F += f / K;
        Fmax = f > Fmax ? f : Fmax;
        Fmin = f < Fmin ? f : Fmin;
        double er = fabs(f - fh) / (ref > 0 ? ref : f > 0 ? f : 1.0);
        err = er > err ? er : err;
        emp += trows ? a->emp / trows / K : NAN;
        gd += a->gd;
        gd2 += a->emp;
    }
    long n = trows * K;
    sd->F = F;
    sd->F_max = Fmax;
    sd->F_min = Fmin;
    sd->emp = trows ? emp : NAN;
    sd->gd_mean = n ? gd / n : NAN;
    sd->gd_std = n ? sqrt(fmax(gd2 / n - sd->gd_mean * sd->gd_mean, 0.0)) : NAN;
    sd->fd_err = err;
}

static const char *reason_of(const fjob *j, int bias_free_dead)
{
    if (j->t.k == 0)
        return "the norm predicts no kernel";
    if (j->t.tied)
        return "tied: D also moves the token embeddings";
    if (j->t.bias >= 0)
        return "bias compensated: (U P; -s U P b)";
    if (bias_free_dead)
        return "P b = 0: U P alone";
    return "no bias: U P acts as a missing bias (s P b) U";
}

static void row_finish(const fstate *s, const fjob *j, fisher_row *r, long rows, long trows)
{
    const ns_model *m = s->m;
    const int K = s->o->K;
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", m->tensors[j->t.w].name);
    if (j->t.bias >= 0)
        snprintf(r->bias_name, sizeof r->bias_name, "%s", m->tensors[j->t.bias].name);
    r->d_out = j->d_out;
    r->d_in = j->d_in;
    r->k = j->t.k;
    r->tied = j->t.tied;
    r->has_bias = j->t.bias >= 0;
    r->pb = j->t.k > 0 ? j->t.scale * j->Pb[0] : NAN;
    r->py_mean = j->py_n ? j->py_sum / j->py_n : NAN;
    r->py_spread = j->py_n ? j->py_max - j->py_min : NAN;
    r->dout = j->py_n ? j->dout_sum / j->py_n : NAN;
    int pb_zero = 1;
    for (int i = 0; i < j->t.k; i++)
        pb_zero &= j->Pb[i] == 0.0;
    side_finish(&r->rnd, j, K, K, rows, trows, 0.0);
    r->lora_rank = 0;
    r->jvp_vs_bwd = NAN;
    if (j->t.k == 0) {
        r->dead.F = r->dead.F_max = r->dead.F_min = r->dead.emp = NAN;
        r->dead.gd_mean = r->dead.gd_std = r->dead.fd_err = NAN;
        r->ratio = r->emp_ratio = NAN;
        r->verdict = FV_NO_KERNEL;
        r->reason = reason_of(j, 0);
        return;
    }
    side_finish(&r->dead, j, 0, K, rows, trows, r->rnd.F);
    r->ratio = r->dead.F_max / r->rnd.F;
    r->emp_ratio = r->dead.emp / r->rnd.emp;
    int predicted = !j->t.tied && (j->t.bias >= 0 || pb_zero);
    int dead = r->dead.F_max <= s->o->threshold * r->rnd.F;
    r->reason = reason_of(j, pb_zero);
    if (!(r->rnd.F > 0))
        r->verdict = FV_UNDETERMINED;
    else if (dead)
        r->verdict = FV_DEAD;
    else
        r->verdict = predicted ? FV_MISMATCH : FV_NOT_DEAD;
    if (dead && !predicted)
        r->reason = "dead although not predicted: its consumer is shift-invariant";
}

/* ---- the run ---- */

/* sequences and their length for `tokens` rows: whole sequences of seq, or one shorter */
static void plan_tokens(const ns_model *m, long tokens, int *nseq, int *T)
{
    const int seq = m->cfg.seq;
    if (m->cfg.input == INPUT_PATCHES) {
        *T = seq;
        *nseq = (int)(tokens < 1 ? 1 : tokens); /* one logit row per image */
    } else if (tokens < seq) {
        *T = (int)tokens;
        *nseq = 1;
    } else {
        *T = seq;
        *nseq = (int)(tokens / seq);
    }
}

int fisher_run(ns_model *m, const fisher_opts *o, fisher_result *r, ns_err *e)
{
    memset(r, 0, sizeof *r);
    if (o->tokens <= 0)
        return ns_fail(e, NS_EUSAGE, "--tokens must be positive (got %ld)", o->tokens);
    if (o->K < 1)
        return ns_fail(e, NS_EUSAGE, "--directions must be positive (got %d)", o->K);
    fstate s;
    memset(&s, 0, sizeof s);
    s.m = m;
    s.o = o;
    int nseq, T, rc = state_init(&s, m, o, e);
    plan_tokens(m, o->tokens, &nseq, &T);
    const int V = m->cfg.vocab, images = m->cfg.input == INPUT_PATCHES;
    long per = 4L * 1024 * 1024 / ((long)(images ? 1 : T) * V);
    int Bc = per < 1 ? 1 : (per > nseq ? nseq : (int)per);
    if (Bc * T > 4096)
        Bc = 4096 / T > 0 ? 4096 / T : 1;
    batch_source src;
    memset(&src, 0, sizeof src);
    if (!rc)
        rc = state_buffers(&s, Bc, T, e);
    if (!rc)
        rc = batch_source_init(&src, &m->cfg, o->data ? o->data : batch_source_default(&m->cfg), o->seed,
                               nseq, e);
    ns_batch all;
    if (!rc)
        batch_source_next(&src, nseq, T, &all);
    if (!rc && o->save_dir)
        rc = fisher_save(&s, &all, e);
    long dirs = 0;
    for (int i = 0; !rc && i < s.n; i++)
        dirs += (s.jobs[i].t.k > 0 ? 2 : 1) * o->K;
    s.total = dirs * ((nseq + Bc - 1) / Bc);
    progress_start(&s.pb, "fisher", o->progress);
    long rows = 0, trows = 0;
    for (int b0 = 0; !rc && b0 < nseq; b0 += Bc) {
        int bc = nseq - b0 < Bc ? nseq - b0 : Bc;
        ns_batch b = fisher_sub_batch(m, &all, b0, bc);
        const int *target = NULL;
        if (!images) {
            targets_next_token(b.tok, bc, T, s.target);
            target = s.target;
            for (int i = 0; i < bc * T; i++)
                trows += s.target[i] >= 0;
        }
        rc = fisher_chunk(&s, &b, target);
        rows += model_logit_rows(m, bc, T);
    }
    progress_end(&s.pb);
    if (!rc && !(r->rows = calloc((size_t)s.n, sizeof *r->rows)))
        rc = ns_fail(e, NS_ERUN, "out of memory");
    for (int i = 0; !rc && i < s.n; i++)
        row_finish(&s, &s.jobs[i], &r->rows[i], rows, trows);
    if (!rc && !images)
        rc = fisher_gradient_checks(&s, &all, nseq, T, Bc, r->rows, e);
    r->n = rc ? 0 : s.n;
    r->tokens = rows;
    r->target_rows = trows;
    r->seqs = nseq;
    r->T = T;
    r->step = o->step;
    r->threshold = o->threshold;
    r->K = o->K;
    batch_source_free(&src);
    state_free(&s);
    if (rc)
        fisher_result_free(r);
    return rc;
}

void fisher_result_free(fisher_result *r)
{
    free(r->rows);
    memset(r, 0, sizeof *r);
}
