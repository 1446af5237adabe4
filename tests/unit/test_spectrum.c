/* test_spectrum.c - eigen residuals, ordering, Rayleigh quotients, principal angles. */
#include "check.h"
#include "sim/base/rng.h"
#include "sim/stats/spectrum.h"
#include <stdlib.h>
#include <string.h>

static void random_sym(double *A, int d, uint64_t seed)
{
    pcg32 r;
    pcg32_seed(&r, seed, 1);
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++)
            A[i * d + j] = A[j * d + i] = rng_normal(&r);
}

static void test_residuals(int d)
{
    double *A = malloc(sizeof(double) * d * d), *V = malloc(sizeof(double) * d * d),
           *w = malloc(sizeof(double) * d);
    random_sym(A, d, (uint64_t)d);
    memcpy(V, A, sizeof(double) * d * d);
    ns_err e;
    CHECK(sym_eigen(d, V, w, 1, &e) == NS_OK, "sym_eigen d=%d", d);
    double anorm = fmax(fabs(w[0]), fabs(w[d - 1])), worst = 0.0, orth = 0.0;
    for (int j = 0; j < d; j++) {
        const double *v = V + (size_t)j * d;
        for (int i = 0; i < d; i++) {
            double av = 0;
            for (int k = 0; k < d; k++)
                av += A[i * d + k] * v[k];
            worst = fmax(worst, fabs(av - w[j] * v[i]));
        }
        for (int k = 0; k < d; k++) {
            double dot = 0;
            for (int i = 0; i < d; i++)
                dot += v[i] * V[(size_t)k * d + i];
            orth = fmax(orth, fabs(dot - (j == k)));
        }
    }
    CHECK(worst <= 1e-12 * anorm, "d=%d: max |Av - lambda v| = %.3g (||A|| %.3g)", d, worst, anorm);
    CHECK(orth <= 1e-12, "d=%d: eigenvectors orthonormal to %.3g", d, orth);
    int sorted = 1;
    for (int j = 1; j < d; j++)
        sorted &= w[j - 1] <= w[j];
    CHECK(sorted, "d=%d: eigenvalues ascending", d);
    CHECK_REL(rayleigh(d, A, V), w[0], 1e-12, anorm, "Rayleigh quotient of the bottom vector");
    double *w2 = malloc(sizeof(double) * d);
    memcpy(V, A, sizeof(double) * d * d);
    sym_eigen(d, V, w2, 0, &e);
    CHECK_REL(w2[0], w[0], 1e-12, anorm, "eigenvalues without vectors agree");
    free(w2);
    free(A);
    free(V);
    free(w);
}

static void test_principal_angles(void)
{
    enum { d = 6, k = 2 };
    double P[k * d] = {0}, V[k * d] = {0}, c[k];
    ns_err e;
    P[0] = 1; P[d + 1] = 1;                 /* span(e0, e1) */
    V[0] = V[1] = 0.70710678118654752440; V[d + 0] = 0.70710678118654752440; V[d + 1] = -0.70710678118654752440; /* same span, rotated */
    principal_cosines(d, k, P, k, V, c, &e);
    CHECK(fabs(c[1] - 1.0) < 1e-15, "same subspace: smallest cosine %.17g", c[1]);
    memset(V, 0, sizeof V);
    V[0] = 1; V[d + 2] = 1;                 /* span(e0, e2): one angle 0, one 90 degrees */
    principal_cosines(d, k, P, k, V, c, &e);
    CHECK(fabs(c[0] - 1.0) < 1e-15 && fabs(c[1]) < 1e-15, "cosines %g %g", c[0], c[1]);
    double a[3] = {1, 2, 2}, b[3] = {-2, -4, -4};
    CHECK(fabs(abs_cos(3, a, b) - 1.0) < 1e-15, "abs_cos of opposite vectors");
    double w[5] = {1e-20, 1e-12, 1e-3, 1, 2};
    CHECK(count_below(5, w, 1e-10) == 2, "count_below");
}

/* kernel_match on C = diag(0, 1, 2, 3): e0 is the kernel */
static void test_kernel_match(void)
{
    enum { d = 4 };
    double C[d * d] = {0}, V[2 * d] = {0}, P[2 * d] = {0}, ray, cos;
    ns_err e = {0};
    for (int i = 0; i < d; i++)
        C[i * d + i] = i;
    V[0] = 1;                       /* measured bottom: e0 */
    P[0] = sqrt(0.5); P[1] = sqrt(0.5); /* predicted (e0 + e1)/sqrt 2 */
    CHECK(kernel_match(d, C, 3.0, P, 1, V, 1, &ray, &cos, &e) == NS_OK, "k = m = 1");
    CHECK_REL(ray, 0.5 / 3.0, 1e-15, 0, "rayleigh of (e0 + e1)/sqrt 2");
    CHECK_REL(cos, sqrt(0.5), 1e-15, 0, "|cos| with e0");
    CHECK(cos == abs_cos(d, P, V), "k = m = 1 is abs_cos exactly");
    V[d + 1] = 1;                   /* measured: span(e0, e1) contains P's row */
    CHECK(kernel_match(d, C, 3.0, P, 1, V, 2, &ray, &cos, &e) == NS_OK && fabs(cos - 1.0) < 1e-15,
          "p in the span of two measured: cos %.17g", cos);
    P[d + 3] = 1;                   /* predicted span(p, e3): e3 is far from the kernel */
    CHECK(kernel_match(d, C, 3.0, P, 2, V, 2, &ray, &cos, &e) == NS_OK && fabs(cos) < 1e-15 &&
          fabs(ray - 1.0) < 1e-15, "k = 2: largest angle 90 degrees (cos %.3g), rayleigh %.17g", cos, ray);
    CHECK(kernel_match(d, C, 3.0, P, 1, V, 0, &ray, &cos, &e) == NS_OK && isnan(cos),
          "nothing measured: cos is NaN");
    CHECK(kernel_match(d, C, 0.0, P, 1, V, 1, &ray, &cos, &e) == NS_OK && ray == 0.0,
          "lambda_max 0: rayleigh 0");
    double u[d] = {1, 1, 0, 0};
    CHECK_REL(span_cos(d, 1, V, u), sqrt(0.5), 1e-15, 0, "span_cos");
}

int main(void)
{
    test_kernel_match();
    test_residuals(5);
    test_residuals(64);
    test_residuals(200);
    test_principal_angles();
    return check_summary("spectrum");
}
