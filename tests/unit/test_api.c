/* test_api.c - the C API of sim/api/normsim.h: strided and narrow-dtype rows against a
 * contiguous double copy (exact), f16/bf16 decoding of known bit patterns, all-or-nothing
 * updates, merge, the diagnostic on a LayerNorm output, the registry kernel, the name scan,
 * and error statuses with their messages. */
#include "check.h"
#include "sim/api/normsim.h"
#include "sim/base/rng.h"
#include <stdlib.h>
#include <string.h>

enum { D = 6, N = 40 };

static double max_abs_diff(const double *a, const double *b, int n)
{
    double m = 0.0;
    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static ns_cov *make(int d)
{
    ns_cov *c = NULL;
    char msg[256];
    int rc = ns_cov_create(d, &c, msg, sizeof msg);
    CHECK(rc == 0 && c, "ns_cov_create(%d): %s", d, msg);
    return c;
}

/* rows of x (N, D) given transposed: a (D, N) float buffer read with strides (4, 4 D) */
static void test_strided_f32(const double *x)
{
    float *t = malloc(sizeof(float) * N * D);
    double *xr = malloc(sizeof(double) * N * D), C1[D * D], C2[D * D];
    for (int r = 0; r < N; r++)
        for (int j = 0; j < D; j++) {
            t[j * N + r] = (float)x[r * D + j];
            xr[r * D + j] = (float)x[r * D + j];
        }
    ns_cov *a = make(D), *b = make(D);
    int64_t shape[2] = {N, D}, strides[2] = {sizeof(float), (int64_t)sizeof(float) * N};
    int64_t cshape[2] = {N, D}, cstrides[2] = {sizeof(double) * D, sizeof(double)};
    CHECK(ns_cov_update(a, t, NS_DTYPE_F32, 2, shape, strides) == 0, "strided f32: %s", ns_cov_error(a));
    CHECK(ns_cov_update(b, xr, NS_DTYPE_F64, 2, cshape, cstrides) == 0, "f64: %s", ns_cov_error(b));
    ns_cov_matrix(a, C1);
    ns_cov_matrix(b, C2);
    CHECK(max_abs_diff(C1, C2, D * D) == 0.0, "strided f32 vs contiguous f64: %g", max_abs_diff(C1, C2, D * D));
    CHECK(ns_cov_rows(a) == N, "rows %lld", ns_cov_rows(a));
    /* merge two halves == one pass */
    ns_cov *h1 = make(D), *h2 = make(D);
    int64_t s1[2] = {17, D}, s2[2] = {N - 17, D};
    ns_cov_update(h1, xr, NS_DTYPE_F64, 2, s1, cstrides);
    ns_cov_update(h2, xr + 17 * D, NS_DTYPE_F64, 2, s2, cstrides);
    CHECK(ns_cov_merge(h1, h2) == 0, "merge");
    ns_cov_matrix(h1, C1);
    CHECK(max_abs_diff(C1, C2, D * D) <= 1e-13, "merge vs one pass: %g", max_abs_diff(C1, C2, D * D));
    ns_cov *other = make(D + 1);
    CHECK(ns_cov_merge(h1, other) == 2 && strstr(ns_cov_error(h1), "d = 7"), "merge d mismatch: %s",
          ns_cov_error(h1));
    ns_cov_free(other);
    ns_cov_free(h1);
    ns_cov_free(h2);
    ns_cov_free(a);
    ns_cov_free(b);
    free(t);
    free(xr);
}

/* one row of known half-precision bit patterns: its mean is the row itself */
static void test_half_decoding(void)
{
    const uint16_t f16[4] = {0x3c00, 0xc100, 0x7bff, 0x0001};   /* 1, -2.5, 65504, 2^-24 */
    const uint16_t bf16[4] = {0x3f80, 0xc020, 0x7f7f, 0x0001};  /* 1, -2.5, max, tiny subnormal */
    const double want16[4] = {1.0, -2.5, 65504.0, ldexp(1.0, -24)};
    const double wantb[4] = {1.0, -2.5, 0x1.fep127, ldexp(1.0, -133)};
    double mean[4];
    int64_t shape[2] = {1, 4}, strides[2] = {8, 2};
    ns_cov *c = make(4);
    CHECK(ns_cov_update(c, f16, NS_DTYPE_F16, 2, shape, strides) == 0, "f16: %s", ns_cov_error(c));
    ns_cov_mean(c, mean);
    CHECK(max_abs_diff(mean, want16, 4) == 0.0, "f16 decoding: %g %g %g %g", mean[0], mean[1], mean[2], mean[3]);
    ns_cov_free(c);
    c = make(4);
    CHECK(ns_cov_update(c, bf16, NS_DTYPE_BF16, 2, shape, strides) == 0, "bf16: %s", ns_cov_error(c));
    ns_cov_mean(c, mean);
    CHECK(max_abs_diff(mean, wantb, 4) == 0.0, "bf16 decoding: %g %g %g %g", mean[0], mean[1], mean[2], mean[3]);
    const uint16_t nan16[4] = {0x3c00, 0x7e00, 0, 0};
    CHECK(ns_cov_update(c, nan16, NS_DTYPE_F16, 2, shape, strides) == 2 && strstr(ns_cov_error(c), "column 1"),
          "f16 NaN: %s", ns_cov_error(c));
    CHECK(ns_cov_rows(c) == 1, "a failed update added rows");
    ns_cov_free(c);
}

/* y = g (x - mean x)/s + b on every row: the kernel g^-1 is PRESENT with |cos| ~ 1 */
static void test_diagnose(const double *x)
{
    double g[D], b[D], y[N * D], eig[D], bottom[D];
    pcg32 r;
    pcg32_seed(&r, 7, 1);
    for (int i = 0; i < D; i++) {
        g[i] = exp(0.5 * rng_normal(&r));
        b[i] = 0.1 * rng_normal(&r);
    }
    for (int t = 0; t < N; t++) {
        double m = 0.0, v = 0.0;
        for (int i = 0; i < D; i++)
            m += x[t * D + i] / D;
        for (int i = 0; i < D; i++)
            v += (x[t * D + i] - m) * (x[t * D + i] - m) / D;
        for (int i = 0; i < D; i++)
            y[t * D + i] = g[i] * (x[t * D + i] - m) / sqrt(v + 1e-5) + b[i];
    }
    ns_cov *c = make(D);
    int64_t shape[3] = {4, N / 4, D}, strides[3] = {sizeof(double) * D * (N / 4), sizeof(double) * D, sizeof(double)};
    CHECK(ns_cov_update(c, y, NS_DTYPE_F64, 3, shape, strides) == 0, "3-D update: %s", ns_cov_error(c));
    ns_diag_summary s;
    CHECK(ns_cov_diagnose(c, "layernorm", g, b, 0.0, &s, eig, bottom) == 0, "diagnose: %s", ns_cov_error(c));
    CHECK(strcmp(s.verdict_name, "PRESENT") == 0 && s.cos > 1 - 1e-10, "LN: %s |cos| %.15f", s.verdict_name, s.cos);
    CHECK(fabs(s.p_mean - s.p_b) <= 1e-12, "p'mean(y) %.15g vs p'b %.15g", s.p_mean, s.p_b);
    CHECK(s.threshold == 1e-10 && eig[0] == s.lam_min, "threshold %g", s.threshold);
    CHECK(ns_cov_diagnose(c, "rmsnorm", g, NULL, 0.0, &s, NULL, NULL) == 0 && strcmp(s.verdict_name, "MISMATCH") == 0,
          "LN output as rmsnorm: %s", s.verdict_name);
    CHECK(ns_cov_diagnose(c, "nosuch", g, NULL, 0.0, &s, NULL, NULL) == 2 && strstr(ns_cov_error(c), "unknown norm"),
          "unknown norm: %s", ns_cov_error(c));
    int k = -1;
    double P[D];
    char msg[256];
    CHECK(ns_predicted_kernel("layernorm", D, g, b, &k, P, 1, msg, sizeof msg) == 0 && k == 1, "kernel: %s", msg);
    double nrm = 0.0;
    for (int i = 0; i < D; i++)
        nrm += 1.0 / (g[i] * g[i]);
    CHECK(fabs(fabs(P[0]) - 1.0 / g[0] / sqrt(nrm)) <= 1e-15, "p = g^-1/||g^-1||");
    CHECK(ns_predicted_kernel("rmsnorm", D, g, NULL, &k, NULL, 0, msg, sizeof msg) == 0 && k == 0, "rmsnorm: k %d", k);
    ns_cov_free(c);
}

static void test_errors_and_scan(void)
{
    ns_cov *c = make(D);
    double z[D] = {0};
    int64_t shape1[1] = {D}, st1[1] = {8}, shape2[2] = {1, D + 1}, st2[2] = {8 * (D + 1), 8};
    CHECK(ns_cov_update(c, z, NS_DTYPE_F64, 1, shape1, st1) == 2 && strstr(ns_cov_error(c), "got 1"), "1-D: %s",
          ns_cov_error(c));
    CHECK(ns_cov_update(c, z, NS_DTYPE_F64, 2, shape2, st2) == 2 && strstr(ns_cov_error(c), "d = 6"), "wrong d: %s",
          ns_cov_error(c));
    CHECK(ns_cov_update(c, z, 9, 2, shape2, st2) == 2 && strstr(ns_cov_error(c), "dtype code 9"), "dtype: %s",
          ns_cov_error(c));
    ns_diag_summary s;
    CHECK(ns_cov_diagnose(c, NULL, NULL, NULL, 0.0, &s, NULL, NULL) == 2 && strstr(ns_cov_error(c), "no rows"),
          "no rows: %s", ns_cov_error(c));
    ns_cov_free(c);
    char msg[256];
    ns_cov *none = NULL;
    CHECK(ns_cov_create(0, &none, msg, sizeof msg) == 2 && !none && strstr(msg, "d = 0"), "d = 0: %s", msg);
    char *json = NULL;
    CHECK(ns_inspect("/nonexistent.safetensors", "", NULL, NULL, &json, msg, sizeof msg) == 2 && !json &&
          strstr(msg, "/nonexistent"), "inspect missing: %s", msg);
    const char *names[] = {"transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias", "transformer.wte.weight",
                           "transformer.ln_f.weight", "transformer.ln_f.bias"};
    int64_t sizes[] = {8, 8, -1, 8, 8};
    CHECK(ns_scan_names(5, names, sizes, NULL, NULL, NULL, &json, msg, sizeof msg) == 0 && json, "scan: %s", msg);
    CHECK(json && strstr(json, "\"rule\":\t\"the gpt2 family's final norm name\"") &&
          strstr(json, "\"name\":\t\"transformer.ln_f\""), "scan JSON: %s", json ? json : "(none)");
    ns_free(json);
    CHECK(ns_scan_names(1, names, sizes, "[1,", NULL, NULL, &json, msg, sizeof msg) == 2 && strstr(msg, "JSON"),
          "bad config: %s", msg);
    CHECK(ns_api_version() == NORMSIM_API_VERSION && ns_diag_summary_size() == sizeof(ns_diag_summary), "version");
    CHECK(ns_norm_count() > 2 && strcmp(ns_norm_name(0), "layernorm") == 0 && !ns_norm_name(-1), "registry");
}

int main(void)
{
    double x[N * D];
    pcg32 r;
    pcg32_seed(&r, 42, 3);
    for (int i = 0; i < N * D; i++)
        x[i] = 3.0 * rng_normal(&r) + 1.0;
    test_strided_f32(x);
    test_half_decoding();
    test_diagnose(x);
    test_errors_and_scan();
    return check_summary("api");
}
