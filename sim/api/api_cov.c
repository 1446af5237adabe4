/* api_cov.c - the C API's accumulator, diagnostic and registry calls (sim/api/normsim.h):
 * strided rows of f64/f32/f16/bf16 converted to double chunk by chunk into a cov_acc, and
 * the spectrum + kernel match through diag_measure. */
#include "sim/api/normsim.h"
#include "sim/base/err.h"
#include "sim/base/precision.h"
#include "sim/checkpoint/norm_scan.h"
#include "sim/diag/diag.h"
#include "sim/stats/cov.h"
#include "sim/stats/spectrum.h"
#include "norms/registry.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_MAX_D 16384
#define API_MAX_DIMS 32
#define API_CHUNK_DOUBLES (1 << 18) /* 2 MB of converted rows per chunk */

struct ns_cov {
    cov_acc acc;
    double *buf;      /* (chunk_rows, d) converted rows */
    int chunk_rows;
    double u_max;     /* largest unit roundoff of the dtypes added (0: none yet) */
    ns_err err;
};

int ns_api_version(void) { return NORMSIM_API_VERSION; }
size_t ns_diag_summary_size(void) { return sizeof(ns_diag_summary); }

/* copy e's message into a caller buffer; returns e's code */
static int to_buffer(const ns_err *e, char *msg, size_t len)
{
    if (msg && len > 0)
        snprintf(msg, len, "%s", e->code ? e->msg : "");
    return e->code;
}

int ns_cov_create(int d, ns_cov **out, char *msg, size_t msg_len)
{
    ns_err e = {0};
    *out = NULL;
    if (d < 1 || d > API_MAX_D) {
        ns_fail(&e, NS_EUSAGE, "d = %d is outside [1, %d]", d, API_MAX_D);
        return to_buffer(&e, msg, msg_len);
    }
    ns_cov *c = calloc(1, sizeof *c);
    if (!c) {
        ns_fail(&e, NS_ERUN, "out of memory for a covariance handle");
        return to_buffer(&e, msg, msg_len);
    }
    c->chunk_rows = d >= API_CHUNK_DOUBLES ? 1 : API_CHUNK_DOUBLES / d;
    c->buf = malloc(sizeof(double) * (size_t)c->chunk_rows * (size_t)d);
    if (!c->buf)
        ns_fail(&e, NS_ERUN, "out of memory for a %d-row conversion chunk", c->chunk_rows);
    else
        cov_init(&c->acc, d, &e);
    if (e.code) {
        free(c->buf);
        free(c);
        return to_buffer(&e, msg, msg_len);
    }
    *out = c;
    return to_buffer(&e, msg, msg_len); /* NS_OK, msg "" */
}

void ns_cov_free(ns_cov *c)
{
    if (!c)
        return;
    cov_free(&c->acc);
    free(c->buf);
    free(c);
}

const char *ns_cov_error(const ns_cov *c) { return c ? c->err.msg : "no handle"; }
int ns_cov_dim(const ns_cov *c) { return c->acc.d; }
long long ns_cov_rows(const ns_cov *c) { return c->acc.n; }

/* start a call on c: clear its message */
static ns_err *begin(ns_cov *c)
{
    c->err.code = NS_OK;
    c->err.msg[0] = '\0';
    return &c->err;
}

/* ---- rows in place: element conversion ---- */

typedef struct {
    const unsigned char *data;
    int dtype, lead;              /* lead = ndim - 1 leading dimensions, flattened into rows */
    int64_t shape[API_MAX_DIMS], strides[API_MAX_DIMS];
    int64_t d, col_stride;
    long long rows;
} row_view;

/* IEEE binary16: (-1)^s 2^(e-15) (1 + m/1024); e = 0: 2^-14 m/1024; e = 31: inf / NaN */
static double f16_value(uint16_t h)
{
    int s = h >> 15, ex = (h >> 10) & 31, m = h & 1023;
    double v = ex == 0 ? ldexp(m, -24) : ex == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, ex - 25);
    return s ? -v : v;
}

/* bfloat16: the top half of a binary32 */
static double bf16_value(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* one row of d elements at p with element stride s (bytes) into out */
static void convert_row(int dtype, const unsigned char *p, int64_t s, int64_t d, double *out)
{
    for (int64_t j = 0; j < d; j++, p += s) {
        if (dtype == NS_DTYPE_F64) {
            memcpy(&out[j], p, sizeof(double));
        } else if (dtype == NS_DTYPE_F32) {
            float f;
            memcpy(&f, p, sizeof f);
            out[j] = f;
        } else {
            uint16_t h;
            memcpy(&h, p, sizeof h);
            out[j] = dtype == NS_DTYPE_F16 ? f16_value(h) : bf16_value(h);
        }
    }
}

/* address of flat row r: its multi-index over the leading dimensions, last fastest */
static const unsigned char *row_address(const row_view *v, long long r)
{
    const unsigned char *p = v->data;
    for (int i = v->lead - 1; i >= 0; i--) {
        p += (r % v->shape[i]) * v->strides[i];
        r /= v->shape[i];
    }
    return p;
}

/* rows [first, first + n) into buf; returns the flat index of the first non-finite value, or -1 */
static long long convert_chunk(const row_view *v, long long first, int n, double *buf)
{
    long long bad = -1;
    for (int t = 0; t < n; t++)
        convert_row(v->dtype, row_address(v, first + t), v->col_stride, v->d, buf + (size_t)t * v->d);
    for (size_t i = 0; i < (size_t)n * (size_t)v->d && bad < 0; i++)
        if (!isfinite(buf[i]))
            bad = (long long)i;
    return bad;
}

static int dtype_size(int dtype)
{
    return dtype == NS_DTYPE_F64 ? 8 : dtype == NS_DTYPE_F32 ? 4 : dtype == NS_DTYPE_F16 || dtype == NS_DTYPE_BF16 ? 2 : 0;
}

static double dtype_unit_roundoff(int dtype)
{
    precision p = dtype == NS_DTYPE_F32 ? PREC_F32 : dtype == NS_DTYPE_F16 ? PREC_F16
                : dtype == NS_DTYPE_BF16 ? PREC_BF16 : PREC_F64;
    return precision_unit_roundoff(p);
}

static int view_make(const ns_cov *c, const void *data, int dtype, int ndim, const int64_t *shape,
                     const int64_t *strides, row_view *v, ns_err *e)
{
    memset(v, 0, sizeof *v);
    if (!dtype_size(dtype))
        return ns_fail(e, NS_EUSAGE, "dtype code %d is not one of float64, float32, float16, bfloat16", dtype);
    if (ndim < 2 || ndim > API_MAX_DIMS)
        return ns_fail(e, NS_EUSAGE, "rows need an array of 2 to %d dimensions (..., d), got %d", API_MAX_DIMS,
                       ndim);
    v->data = data;
    v->dtype = dtype;
    v->lead = ndim - 1;
    v->rows = 1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return ns_fail(e, NS_EUSAGE, "dimension %d has a negative extent (%lld)", i, (long long)shape[i]);
    if (shape[ndim - 1] != c->acc.d)
        return ns_fail(e, NS_EUSAGE, "the last dimension is %lld but this covariance has d = %d",
                       (long long)shape[ndim - 1], c->acc.d);
    for (int i = 0; i < v->lead; i++) {
        v->shape[i] = shape[i];
        v->strides[i] = strides[i];
        if (shape[i] > 0 && v->rows > ((long long)1 << 50) / shape[i])
            return ns_fail(e, NS_EUSAGE, "too many rows in one update");
        v->rows *= shape[i];
    }
    v->d = shape[ndim - 1];
    v->col_stride = strides[ndim - 1];
    if (v->rows > 0 && !data)
        return ns_fail(e, NS_EUSAGE, "a NULL data pointer for %lld rows", v->rows);
    return NS_OK;
}

static int non_finite(const row_view *v, long long first, long long idx, const double *buf, ns_err *e)
{
    return ns_fail(e, NS_EUSAGE, "row %lld (0-based, leading dimensions flattened) has a non-finite value "
                   "(%g) in column %lld: activations must be finite; nothing was added",
                   first + idx / v->d, buf[idx], idx % v->d);
}

/* Every chunk is checked before any is added when the update spans several chunks (all or
 * nothing); a one-chunk update is converted once. */
int ns_cov_update(ns_cov *c, const void *data, int dtype, int ndim, const int64_t *shape,
                  const int64_t *strides)
{
    ns_err *e = begin(c);
    row_view v;
    if (view_make(c, data, dtype, ndim, shape, strides, &v, e))
        return e->code;
    if (v.rows == 0)
        return NS_OK;
    const int several = v.rows > c->chunk_rows;
    for (long long r = 0; several && r < v.rows; r += c->chunk_rows) {
        int n = (int)(v.rows - r < c->chunk_rows ? v.rows - r : c->chunk_rows);
        long long bad = convert_chunk(&v, r, n, c->buf);
        if (bad >= 0)
            return non_finite(&v, r, bad, c->buf, e);
    }
    for (long long r = 0; r < v.rows; r += c->chunk_rows) {
        int n = (int)(v.rows - r < c->chunk_rows ? v.rows - r : c->chunk_rows);
        long long bad = convert_chunk(&v, r, n, c->buf);
        if (bad >= 0)
            return non_finite(&v, r, bad, c->buf, e);
        if (cov_add(&c->acc, c->buf, n, e))
            return e->code;
    }
    double u = dtype_unit_roundoff(dtype);
    c->u_max = u > c->u_max ? u : c->u_max;
    return NS_OK;
}

int ns_cov_merge(ns_cov *a, const ns_cov *b)
{
    ns_err *e = begin(a);
    if (!b)
        return ns_fail(e, NS_EUSAGE, "merge with no covariance");
    if (b->acc.d != a->acc.d)
        return ns_fail(e, NS_EUSAGE, "cannot merge a covariance of d = %d into one of d = %d", b->acc.d, a->acc.d);
    cov_merge(&a->acc, &b->acc);
    a->u_max = b->u_max > a->u_max ? b->u_max : a->u_max;
    return NS_OK;
}

int ns_cov_mean(const ns_cov *c, double *mean)
{
    memcpy(mean, c->acc.mean, sizeof(double) * (size_t)c->acc.d);
    return NS_OK;
}

int ns_cov_matrix(const ns_cov *c, double *C)
{
    cov_matrix(&c->acc, C);
    return NS_OK;
}

static int need_rows(ns_cov *c, ns_err *e)
{
    return c->acc.n > 0 ? NS_OK : ns_fail(e, NS_EUSAGE, "no rows accumulated yet (call update first)");
}

int ns_cov_eigh(ns_cov *c, double *w, double *V)
{
    ns_err *e = begin(c);
    const size_t d = (size_t)c->acc.d;
    if (need_rows(c, e))
        return e->code;
    double *A = V ? V : malloc(sizeof(double) * d * d);
    if (!A)
        return ns_fail(e, NS_ERUN, "out of memory for a %zu x %zu matrix", d, d);
    cov_matrix(&c->acc, A);
    int rc = sym_eigen((int)d, A, w, V != NULL, e);
    if (!V)
        free(A);
    return rc;
}

/* max(1e-10, u^2), as diagnose --acts defaults for a file of the coarsest dtype seen */
double ns_cov_default_threshold(const ns_cov *c)
{
    double u = c->u_max > 0 ? c->u_max : precision_unit_roundoff(PREC_F64);
    return u * u > 1e-10 ? u * u : 1e-10;
}

/* ---- the diagnostic ---- */

static int check_finite(const double *x, int d, const char *what, ns_err *e)
{
    for (int i = 0; x && i < d; i++)
        if (!isfinite(x[i]))
            return ns_fail(e, NS_EUSAGE, "%s[%d] = %g is not finite", what, i, x[i]);
    return NS_OK;
}

static double dot(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int i = 0; i < d; i++)
        s += a[i] * b[i];
    return s;
}

static void summarize(const diag_report *r, const char *kind, const double *P, int k, const ns_cov *c,
                      const double *beta, ns_diag_summary *s)
{
    memset(s, 0, sizeof *s);
    s->d = r->d;
    s->predicted_k = r->predicted_k;
    s->dead = r->dead;
    s->verdict = (int)r->verdict;
    s->tokens = r->tokens;
    s->threshold = r->threshold;
    s->cos = r->cos;
    s->cos_ones = r->cos_ones;
    s->lam_min = r->lam_min;
    s->lam_2 = r->lam_2;
    s->lam_max = r->lam_max;
    s->rayleigh_rel = r->rayleigh_rel;
    s->p_mean = k == 1 ? dot(P, c->acc.mean, r->d) : NAN;
    s->p_b = k == 1 && beta ? dot(P, beta, r->d) : NAN;
    snprintf(s->norm, sizeof s->norm, "%s", kind ? kind : "none");
    snprintf(s->verdict_name, sizeof s->verdict_name, "%s", verdict_name(r->verdict));
    snprintf(s->warning, sizeof s->warning, "%s", r->warning);
}

int ns_cov_diagnose(ns_cov *c, const char *norm, const double *gamma, const double *beta,
                    double threshold, ns_diag_summary *out, double *eig, double *bottom)
{
    ns_err *e = begin(c);
    const int d = c->acc.d;
    const char *kind = norm ? norm : beta ? "layernorm" : gamma ? "layernorm-nobias" : NULL;
    if (need_rows(c, e) || check_finite(gamma, d, "gamma", e) || check_finite(beta, d, "beta", e))
        return e->code;
    if (!(threshold <= 1.0)) /* also NaN */
        return ns_fail(e, NS_EUSAGE, "threshold %g is not in (0, 1] (<= 0: the dtype's default)", threshold);
    double *P = NULL;
    int k = kind ? norm_predicted_kernel(kind, d, gamma, beta, &P, e) : -1;
    if (kind && k < 0)
        return e->code;
    diag_report r;
    memset(&r, 0, sizeof r);
    int rc = diag_measure(&c->acc, P, k, threshold > 0 ? threshold : ns_cov_default_threshold(c), &r, e);
    if (!rc) {
        summarize(&r, kind, P, k, c, beta, out);
        if (eig)
            memcpy(eig, r.eig, sizeof(double) * (size_t)d);
        if (bottom)
            memcpy(bottom, r.bottom, sizeof(double) * (size_t)d);
    }
    diag_report_free(&r);
    free(P);
    return rc;
}

/* ---- the registry ---- */

int ns_predicted_kernel(const char *norm, int d, const double *gamma, const double *beta, int *k,
                        double *P, int max_k, char *msg, size_t msg_len)
{
    ns_err e = {0};
    double *B = NULL;
    *k = 0;
    if (!norm)
        ns_fail(&e, NS_EUSAGE, "no norm scheme given");
    else if (d < 1 || d > API_MAX_D)
        ns_fail(&e, NS_EUSAGE, "d = %d is outside [1, %d]", d, API_MAX_D);
    else if (!check_finite(gamma, d, "gamma", &e) && !check_finite(beta, d, "beta", &e) &&
             (*k = norm_predicted_kernel(norm, d, gamma, beta, &B, &e)) < 0)
        *k = 0;
    if (!e.code && P && B)
        memcpy(P, B, sizeof(double) * (size_t)(*k < max_k ? *k : max_k) * (size_t)d);
    free(B);
    return to_buffer(&e, msg, msg_len);
}

int ns_norm_count(void) { return norm_count(); }
const char *ns_norm_name(int i) { return norm_at(i) ? norm_at(i)->name : NULL; }
const char *ns_norm_summary(int i) { return norm_at(i) ? norm_at(i)->summary : NULL; }
const char *ns_norm_kernel_formula(int i) { return norm_at(i) ? norm_at(i)->kernel_formula : NULL; }

void ns_free(void *p) { free(p); }
