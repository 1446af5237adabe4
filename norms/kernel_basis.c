/* kernel_basis.c - shared kernel constructions (trivial e_i, normalised g^-1). */
#include "norms/kernel_basis.h"
#include <math.h>
#include <string.h>

int kernel_zero_gains(int d, const double *w, double offset, double *basis, int max_k)
{
    int k = 0;
    for (int i = 0; i < d; i++) {
        if (offset + w[i] != 0.0)
            continue;
        if (k < max_k) {
            memset(basis + (size_t)k * d, 0, sizeof(double) * (size_t)d);
            basis[(size_t)k * d + i] = 1.0;
        }
        k++;
    }
    return k;
}

/* p_i = g_i^-1 / sqrt(sum_j g_j^-2) */
int kernel_inverse_gain(int d, const double *g, double *basis, int max_k)
{
    if (max_k < 1)
        return 1;
    double ss = 0.0;
    for (int i = 0; i < d; i++) {
        double w = g ? 1.0 / g[i] : 1.0;
        basis[i] = w;
        ss += w * w;
    }
    double inv = 1.0 / sqrt(ss);
    for (int i = 0; i < d; i++)
        basis[i] *= inv;
    return 1;
}

int kernel_identity(int d, double *basis, int max_k)
{
    for (int k = 0; k < d && k < max_k; k++) {
        memset(basis + (size_t)k * d, 0, sizeof(double) * (size_t)d);
        basis[(size_t)k * d + k] = 1.0;
    }
    return d;
}
